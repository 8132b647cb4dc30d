"""Test helpers that walk the user journey through the real gateway and sandbox."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import aiohttp

_counter = itertools.count()


@dataclass
class Account:
    email: str
    password: str
    client_id: str
    client_secret: str
    usage_points: list[str] = field(default_factory=list)
    token: str = ""

    @property
    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def basic(self) -> aiohttp.BasicAuth:
        return aiohttp.BasicAuth(self.client_id, self.client_secret)


async def signup(
    client: Any, email: str | None = None, password: str = "correct horse battery"
) -> Account:
    email = email or f"user{next(_counter)}@example.com"
    answer = await client.post("/accounts/signup", json={"email": email, "password": password})
    assert answer.status == 201, await answer.text()
    body = await answer.json()
    return Account(email, password, body["client_id"], body["client_secret"])


async def get_token(client: Any, account: Account) -> str:
    answer = await client.post(
        "/oauth2/v3/token",
        data={
            "grant_type": "client_credentials",
            "client_id": account.client_id,
            "client_secret": account.client_secret,
        },
    )
    assert answer.status == 200, await answer.text()
    account.token = (await answer.json())["access_token"]
    return account.token


async def consent(client: Any, account: Account, customer: str | None = None) -> list[str]:
    """Follow /oauth/authorize through the sandbox's consent page back to the callback."""
    answer = await client.get(
        "/oauth/authorize", auth=account.basic, headers={"Accept": "application/json"}
    )
    assert answer.status == 200, await answer.text()
    url = (await answer.json())["url"]
    if customer:
        url += f"&sandbox_customer={customer}"
    async with (
        aiohttp.ClientSession() as session,
        session.get(url, allow_redirects=False) as redirect,
    ):
        assert redirect.status == 302, await redirect.text()
        location = redirect.headers["Location"]
    query = dict(parse_qsl(urlsplit(location).query))
    callback = await client.get(
        "/oauth/callback", params=query, headers={"Accept": "application/json"}
    )
    assert callback.status == 200, await callback.text()
    points = list((await callback.json())["usage_points"])
    account.usage_points = [p if isinstance(p, str) else p["usage_point_id"] for p in points]
    return account.usage_points


async def ready_account(client: Any, customer: str | None = None) -> Account:
    """A signed-up account with consent for a sandbox customer and a Bearer token."""
    account = await signup(client)
    await consent(client, account, customer)
    await get_token(client, account)
    return account
