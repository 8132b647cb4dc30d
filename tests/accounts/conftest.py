"""Fixtures of the accounts tests: cheap password hashing, a gateway with test-only routes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from aiohttp import web

from gateway import routing
from gateway.accounts import crypto
from gateway.config import Settings
from gateway.data.request import CacheMode, DataRequest
from gateway.enedis.catalogue import BY_NAME
from gateway.errors import GatewayError
from gateway.request_keys import PRINCIPAL
from gateway.routing import Auth, RouteSpec, Surface
from gateway.surfaces.v5_bodies import DIALECT, render

FAST_COST = crypto.PasswordCost(time_cost=1, memory_cost=256, parallelism=1)


@pytest.fixture(autouse=True)
def fast_passwords(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """argon2id with tiny parameters: same code path, a fraction of the time."""
    monkeypatch.setattr(crypto, "DEFAULT_COST", FAST_COST)
    yield


def _parse(request: web.Request) -> DataRequest:
    usage_point_id = request.match_info["usage_point_id"]
    if len(usage_point_id) != 14 or not usage_point_id.isdigit():
        raise GatewayError(400, "invalid_usage_point_id", "14 digits", field="usage_point_id")
    return DataRequest(
        BY_NAME["contracts"], usage_point_id, render, DIALECT, cache=CacheMode.NO_STORE
    )


async def _echo(request: web.Request) -> web.Response:
    principal = request[PRINCIPAL]
    return web.json_response({"account_id": principal.account_id, "data": "ok"})


def add_probe_routes(app: web.Application) -> None:
    """Data routes that answer without Enedis: they exercise the auth stage alone."""
    routing.add(
        app,
        "GET",
        "/__probe__/v5/{usage_point_id}",
        _echo,
        RouteSpec(Surface.V5, Auth.ACCOUNT, parse=_parse, name="probe.v5"),
    )
    routing.add(
        app,
        "GET",
        "/__probe__/legacy/{usage_point_id}",
        _echo,
        RouteSpec(Surface.LEGACY, Auth.ACCOUNT, parse=_parse, name="probe.legacy"),
    )
    routing.add(
        app,
        "GET",
        "/__probe__/whoami",
        _echo,
        RouteSpec(Surface.LEGACY, Auth.ACCOUNT, name="probe.whoami"),
    )


@pytest.fixture
async def gateway(aiohttp_client: Any, settings: Settings) -> AsyncIterator[Any]:
    """The gateway (real PostgreSQL, Valkey, sandbox) plus the probe routes."""
    from gateway.app import build_app

    app = build_app(settings)
    add_probe_routes(app)
    client = await aiohttp_client(app)
    yield client
