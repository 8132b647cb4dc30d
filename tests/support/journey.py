"""Test helpers that walk the user journey through the real gateway and sandbox."""

from __future__ import annotations

import itertools
import json
import urllib.request
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


def customer_points(sandbox_url: str, customer: str) -> list[str]:
    """The usage points of a customer of the sandbox's table ([] for a generated one)."""
    with urllib.request.urlopen(sandbox_url + "/__sandbox/customers", timeout=10) as answer:
        table = json.loads(answer.read())
    entry = table.get(customer)
    return [p["usage_point_id"] for p in entry["usage_points"]] if entry else []


async def consent_once(
    client: Any, account: Account, customer: str | None, usage_point: str | None
) -> dict[str, Any]:
    """One consent through the sandbox's page (v2: one meter); the callback's JSON answer."""
    answer = await client.get(
        "/oauth/authorize", auth=account.basic, headers={"Accept": "application/json"}
    )
    assert answer.status == 200, await answer.text()
    url = (await answer.json())["url"]
    if customer:
        url += f"&sandbox_customer={customer}"
    if usage_point:
        url += f"&sandbox_usage_point={usage_point}"
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
    body: dict[str, Any] = await callback.json()
    return body


async def consent(client: Any, account: Account, customer: str | None = None) -> list[str]:
    """Consent every point of a sandbox customer (consent v2 gives one meter per consent)."""
    answer = await client.get(
        "/oauth/authorize", auth=account.basic, headers={"Accept": "application/json"}
    )
    assert answer.status == 200, await answer.text()
    parts = urlsplit((await answer.json())["url"])
    points = customer_points(f"{parts.scheme}://{parts.netloc}", customer or "default")
    found: list[str] = []
    for point in points or [None]:
        body = await consent_once(client, account, customer, point)
        ids = [p if isinstance(p, str) else p["usage_point_id"] for p in body["usage_points"]]
        found.extend(p for p in ids if p not in found)
    account.usage_points = found
    return found


async def ready_account(client: Any, customer: str | None = None) -> Account:
    """A signed-up account with consent for a sandbox customer and a Bearer token."""
    account = await signup(client)
    await consent(client, account, customer)
    await get_token(client, account)
    return account
