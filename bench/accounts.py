"""Gateway accounts for the benchmarks: signup, consent through the sandbox, token.

The same HTTP calls as ``tests/support/journey.py``, against a running gateway URL.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

import aiohttp

_counter = itertools.count()
_RUN = uuid.uuid4().hex[:8]
PASSWORD = "correct horse battery staple"


@dataclass
class Account:
    email: str
    client_id: str
    client_secret: str
    usage_points: list[str] = field(default_factory=list)
    token: str = ""

    @property
    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def _expect(answer: aiohttp.ClientResponse, status: int, what: str) -> None:
    if answer.status != status:
        raise RuntimeError(f"{what}: HTTP {answer.status}: {(await answer.text())[:500]}")


async def ready_account(session: aiohttp.ClientSession, gateway_url: str) -> Account:
    """A new account with consent for the sandbox's default customer and a Bearer token."""
    email = f"bench-{_RUN}-{next(_counter)}@example.com"
    async with session.post(
        gateway_url + "/accounts/signup", json={"email": email, "password": PASSWORD}
    ) as answer:
        await _expect(answer, 201, "signup")
        body = await answer.json()
    account = Account(email, body["client_id"], body["client_secret"])
    basic = aiohttp.BasicAuth(account.client_id, account.client_secret)

    async with session.get(
        gateway_url + "/oauth/authorize", auth=basic, headers={"Accept": "application/json"}
    ) as answer:
        await _expect(answer, 200, "authorize")
        consent_url = (await answer.json())["url"]
    async with session.get(consent_url, allow_redirects=False) as answer:
        await _expect(answer, 302, "sandbox consent page")
        location = answer.headers["Location"]
    query = dict(parse_qsl(urlsplit(location).query))
    async with session.get(
        gateway_url + "/oauth/callback", params=query, headers={"Accept": "application/json"}
    ) as answer:
        await _expect(answer, 200, "consent callback")
        points = (await answer.json())["usage_points"]
    account.usage_points = [p if isinstance(p, str) else p["usage_point_id"] for p in points]

    async with session.post(
        gateway_url + "/oauth2/v3/token",
        data={
            "grant_type": "client_credentials",
            "client_id": account.client_id,
            "client_secret": account.client_secret,
        },
    ) as answer:
        await _expect(answer, 200, "token")
        account.token = (await answer.json())["access_token"]
    return account


async def ready_accounts(
    session: aiohttp.ClientSession, gateway_urls: list[str], count: int, parallel: int = 4
) -> list[Account]:
    """``count`` accounts, made through the given gateways in turn, ``parallel`` at a time."""
    gate = asyncio.Semaphore(parallel)

    async def one(index: int) -> Account:
        async with gate:
            return await ready_account(session, gateway_urls[index % len(gateway_urls)])

    return list(await asyncio.gather(*(one(i) for i in range(count))))
