"""Retries, the circuit breaker and running without Redis, against the real sandbox."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from gateway import state
from gateway.app import build_app
from gateway.config import Settings
from gateway.enedis.catalogue import BY_NAME
from tests.conftest import Services
from tests.support.journey import ready_account
from tests.support.polling import poll
from tests.support.sandbox import CONSUMPTION_AND_PRODUCTION, query, recent_range
from tests.support.upstream import data_calls, measurement_limiter_key, upstream_calls

DAILY = BY_NAME["daily_consumption"]


async def client_with(aiohttp_client: Any, services: Services, **env: str) -> Any:
    return await aiohttp_client(build_app(Settings.from_env(services.env(**env))))


async def test_a_burst_of_503_is_retried_and_succeeds(
    aiohttp_client: Any, clean_services: Services
) -> None:
    client = await client_with(
        aiohttp_client, clean_services, UPSTREAM_MAX_ATTEMPTS="10", BREAKER_FAILURE_THRESHOLD="50"
    )
    account = await ready_account(client)
    clean_services.sandbox_call("POST", "/__sandbox/faults", {"error_rate": 1.0})
    request = asyncio.ensure_future(
        client.get(
            DAILY.path,
            params=query(CONSUMPTION_AND_PRODUCTION, DAILY, *recent_range(3)),
            headers=account.bearer,
        )
    )

    async def failed_twice() -> bool:
        return int(clean_services.sandbox_stats()["errors_injected"]) >= 2

    await poll(failed_twice)
    clean_services.sandbox_call("POST", "/__sandbox/faults", {"error_rate": 0.0})
    answer = await request
    assert answer.status == 200, await answer.text()
    assert upstream_calls(clean_services.sandbox_stats(), "daily_consumption") >= 3


async def test_an_outage_opens_the_breaker_and_recovery_closes_it(
    aiohttp_client: Any, clean_services: Services
) -> None:
    client = await client_with(
        aiohttp_client,
        clean_services,
        BREAKER_FAILURE_THRESHOLD="3",
        UPSTREAM_MAX_ATTEMPTS="2",
        BREAKER_COOLDOWN_SECONDS="0.5",
    )
    account = await ready_account(client)
    breaker = client.server.app[state.FORWARDER].breaker
    clean_services.sandbox_call("POST", "/__sandbox/faults", {"outage": True})
    for offset in range(2):
        answer = await client.get(
            DAILY.path,
            params=query(CONSUMPTION_AND_PRODUCTION, DAILY, *recent_range(2, 3 + offset * 3)),
            headers=account.bearer,
        )
        assert answer.status == 503
    assert breaker.state in {"open", "half_open"}
    calls = data_calls(clean_services.sandbox_stats())
    refused = await client.get(
        DAILY.path,
        params=query(CONSUMPTION_AND_PRODUCTION, DAILY, *recent_range(2, 20)),
        headers=account.bearer,
    )
    if breaker.state == "open":
        assert refused.status == 503
        assert (await refused.json())["error"] == "GW-UPSTREAM-UNAVAILABLE"
        assert "Retry-After" in refused.headers
        assert data_calls(clean_services.sandbox_stats()) == calls
    clean_services.sandbox_call("POST", "/__sandbox/faults", {"outage": False})

    async def recovered() -> bool:
        answer = await client.get(
            DAILY.path,
            params=query(CONSUMPTION_AND_PRODUCTION, DAILY, *recent_range(2, 30)),
            headers=account.bearer,
        )
        return bool(answer.status == 200)

    await poll(recovered, interval=0.1)
    assert breaker.state == "closed"


async def test_valkey_stopped_then_restarted(gateway: Any, clean_services: Services) -> None:
    account = await ready_account(gateway)
    store = gateway.server.app[state.STORE]
    clean_services.valkey.stop()
    try:
        for offset in range(3):
            answer = await gateway.get(
                DAILY.path,
                params=query(CONSUMPTION_AND_PRODUCTION, DAILY, *recent_range(2, 3 + 2 * offset)),
                headers=account.bearer,
            )
            assert answer.status == 200, await answer.text()
            assert answer.headers["X-Cache-Status"] == "MISS"
        assert not store.available
    finally:
        clean_services.valkey.start()
    params = query(CONSUMPTION_AND_PRODUCTION, DAILY, *recent_range(2, 40))

    async def cached_again() -> bool:
        first = await gateway.get(DAILY.path, params=params, headers=account.bearer)
        assert first.status == 200
        second = await gateway.get(DAILY.path, params=params, headers=account.bearer)
        return bool(second.headers["X-Cache-Status"] == "HIT")

    await poll(cached_again, interval=0.2)
    cold = await gateway.get(  # a new upstream call: through the shared limiter again
        DAILY.path,
        params=query(CONSUMPTION_AND_PRODUCTION, DAILY, *recent_range(2, 50)),
        headers=account.bearer,
    )
    assert cold.headers["X-Cache-Status"] == "MISS"

    client = clean_services.aioredis()
    try:
        assert (
            await client.exists(measurement_limiter_key() + ":s") == 1
        )  # the shared limiter is used again
    finally:
        await client.aclose()


@pytest.mark.parametrize("header", ["no-store"])
async def test_bypass_works_without_valkey(
    gateway: Any, clean_services: Services, header: str
) -> None:
    account = await ready_account(gateway)
    clean_services.valkey.stop()
    try:
        answer = await gateway.get(
            DAILY.path,
            params=query(CONSUMPTION_AND_PRODUCTION, DAILY, *recent_range(2)),
            headers={**account.bearer, "Cache-Control": header},
        )
        assert answer.status == 200
    finally:
        clean_services.valkey.start()
