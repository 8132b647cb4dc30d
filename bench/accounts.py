"""Gateway accounts for the benchmarks: signup, consent through the sandbox, token.

The journey is the test suite's own (``tests/support/journey.py``), run against a live
gateway URL instead of an in-process test client.
"""

from __future__ import annotations

import asyncio
import itertools
import os

import aiohttp

from tests.support.journey import Account, consent_once, get_token, signup
from tests.support.journey import ready_account as journey_ready_account

__all__ = ["Account", "consent_point", "ready_account", "ready_accounts", "signed_up"]

_customers = itertools.count()


async def ready_account(session: aiohttp.ClientSession, gateway_url: str) -> Account:
    """A new account with consent for a customer of its own and a Bearer token.

    Consent v2 gives a meter to ONE account: each account consents for a generated sandbox
    customer (``sandbox_customer=<new name>``: one consumption meter with a load curve).
    """
    customer = f"bench-{os.getpid()}-{next(_customers)}"
    async with _client(session, gateway_url) as client:
        return await journey_ready_account(client, customer=customer)


def _client(session: aiohttp.ClientSession, gateway_url: str) -> aiohttp.ClientSession:
    """A client of ``gateway_url`` on ``session``'s connections."""
    return aiohttp.ClientSession(
        base_url=gateway_url, connector_owner=False, connector=session.connector
    )


async def signed_up(session: aiohttp.ClientSession, gateway_url: str) -> Account:
    """A new account, no consent yet."""
    async with _client(session, gateway_url) as client:
        return await signup(client)


async def consent_point(
    session: aiohttp.ClientSession,
    gateway_url: str,
    account: Account,
    customer: str,
    usage_point: str,
) -> None:
    """Consent ``usage_point`` of the sandbox ``customer`` (that point alone, where
    ``ready_account`` consents every point of its customer), then the Bearer token."""
    async with _client(session, gateway_url) as client:
        body = await consent_once(client, account, customer, usage_point)
        await get_token(client, account)
    account.usage_points = [
        p if isinstance(p, str) else p["usage_point_id"] for p in body["usage_points"]
    ]


async def ready_accounts(
    session: aiohttp.ClientSession, gateway_urls: list[str], count: int, parallel: int = 4
) -> list[Account]:
    """``count`` accounts, made through the given gateways in turn, ``parallel`` at a time."""
    gate = asyncio.Semaphore(parallel)

    async def one(index: int) -> Account:
        async with gate:
            return await ready_account(session, gateway_urls[index % len(gateway_urls)])

    return list(await asyncio.gather(*(one(i) for i in range(count))))
