"""Fixtures of the sandbox tests: a sandbox over real loopback HTTP, with a manual clock."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from gateway.enedis.rules import paris_today
from gateway.sandbox.app import create_app
from gateway.sandbox.settings import SandboxSettings

AiohttpClient = Callable[[web.Application], Awaitable[TestClient[web.Request, web.Application]]]

#: Quotas high enough that ordinary tests never meet them.
ROOMY = SandboxSettings(
    rate_per_second=100_000,
    rate_per_hour=1_000_000,
    rate_per_second_2026=100_000,
    rate_per_hour_2026=1_000_000,
)


class ManualClock:
    """Monotonic clock that moves only when told to (quota and token tests)."""

    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Sandbox:
    """A running sandbox, its HTTP client, clock and an application token."""

    client: TestClient[web.Request, web.Application]
    clock: ManualClock
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def get(self, path: str, **params: str) -> tuple[int, Any]:
        """GET a data endpoint with the token; (status, JSON body)."""
        resp = await self.client.get(path, params=params, headers=self.auth)
        return resp.status, await resp.json()

    async def post(self, path: str, body: Any) -> tuple[int, Any]:
        """POST a JSON body with the token; (status, JSON body)."""
        resp = await self.client.post(path, json=body, headers=self.auth)
        return resp.status, await resp.json()

    async def stats(self) -> dict[str, Any]:
        resp = await self.client.get("/__sandbox/stats")
        return await resp.json()  # type: ignore[no-any-return]

    async def set_faults(self, **faults: Any) -> Any:
        resp = await self.client.post("/__sandbox/faults", json=faults)
        assert resp.status == 200, await resp.text()
        return await resp.json()


async def _token(
    client: TestClient[web.Request, web.Application], settings: SandboxSettings
) -> str:
    resp = await client.post(
        "/oauth2/v3/token",
        data={
            "grant_type": "client_credentials",
            "client_id": settings.client_id,
            "client_secret": settings.client_secret,
        },
    )
    assert resp.status == 200, await resp.text()
    return str((await resp.json())["access_token"])


MakeSandbox = Callable[..., Awaitable[Sandbox]]


@pytest.fixture
def make_sandbox(aiohttp_client: AiohttpClient) -> MakeSandbox:
    """Factory: ``await make_sandbox(settings)`` starts a sandbox and gets a token."""

    async def make(settings: SandboxSettings = ROOMY) -> Sandbox:
        clock = ManualClock()
        client = await aiohttp_client(create_app(settings, clock=clock))
        return Sandbox(client, clock, await _token(client, settings))

    return make


@pytest.fixture
async def sandbox(make_sandbox: MakeSandbox) -> Sandbox:
    """A sandbox with roomy quotas and no faults."""
    return await make_sandbox()


@pytest.fixture
def today() -> date:
    return paris_today()


def days_ago(today: date, n: int) -> str:
    return (today - timedelta(days=n)).isoformat()


def last_sunday(year: int, month: int) -> date:
    """Last Sunday of a month (DST changes happen on the last Sunday of March/October)."""
    day = date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)
    return day - timedelta(days=(day.weekday() + 1) % 7)
