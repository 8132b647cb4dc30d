"""Unit tests of the forwarder's error paths (aioresponses for the upstream only;
the limiter and the application token use the real Valkey)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import aiohttp
import pytest
from aioresponses import aioresponses

from gateway.config import Settings
from gateway.enedis.adapters.v5 import V5Adapter
from gateway.enedis.app_token import AppTokenProvider
from gateway.enedis.breaker import CircuitBreaker
from gateway.enedis.catalogue import BY_NAME, Api
from gateway.enedis.forwarder import Forwarder, UpstreamCall
from gateway.enedis.limiter import Limiter
from gateway.errors import UpstreamFailure
from gateway.shared_store import SharedStore

BASE = "http://enedis.test"
DATA = re.compile(r"^http://enedis\.test/metering_data_dc/v5/daily_consumption.*$")
TOKEN = f"{BASE}/oauth2/v3/token"
CALL = UpstreamCall(
    BY_NAME["daily_consumption"], "12345678901234", date(2025, 1, 1), date(2025, 1, 8)
)
OK_BODY = {"meter_reading": {"usage_point_id": "12345678901234", "interval_reading": []}}


@pytest.fixture
async def forwarder(settings: Settings) -> AsyncIterator[Forwarder]:
    settings = settings.replace(
        enedis_base_url=BASE,
        upstream_backoff=0.01,
        upstream_max_attempts=3,
        upstream_deadline=5.0,
        upstream_timeout=0.5,
        breaker_threshold=3,
        enedis_rate_limit=1000,
    )
    store = SharedStore.from_settings(settings)
    async with aiohttp.ClientSession() as http:
        limiter = Limiter(store, rate=1000, hourly=1_000_000, max_wait=2)
        tokens = AppTokenProvider(
            http=http,
            store=store,
            server_key=settings.secret_key,
            base_url=BASE,
            client_id="id",
            client_secret="secret",
            timeout=1,
        )
        breaker = CircuitBreaker(settings.breaker_threshold, 60)
        yield Forwarder(settings, http, {Api.V5: limiter}, tokens, breaker, V5Adapter())
        await limiter.close()
    await store.close()


def token_ok(mocked: aioresponses, times: int = 1) -> None:
    for _ in range(times):
        mocked.post(TOKEN, payload={"access_token": "app-token", "expires_in": 3600})


async def test_retries_429_after_the_wait_then_succeeds(forwarder: Forwarder) -> None:
    with aioresponses() as mocked:
        token_ok(mocked)
        mocked.get(
            DATA, status=429, payload={"error": "Quota Q3 reached"}, headers={"Retry-After": "0"}
        )
        mocked.get(DATA, status=200, payload=OK_BODY)
        result = await forwarder.fetch(CALL, "a")
    assert result.body == OK_BODY
    assert result.attempts == 2


async def test_5xx_retried_with_backoff_then_mapped_to_502(forwarder: Forwarder) -> None:
    with aioresponses() as mocked:
        token_ok(mocked)
        for _ in range(3):
            mocked.get(
                DATA,
                status=500,
                payload={"error": "ADAM-DC-0500", "error_description": "Technical Exception"},
            )
        with pytest.raises(UpstreamFailure) as caught:
            await forwarder.fetch(CALL, "a")
    assert caught.value.status == 502
    assert caught.value.code == "ADAM-DC-0500"
    assert forwarder.calls_made == 3


async def test_503_burst_then_success(forwarder: Forwarder) -> None:
    with aioresponses() as mocked:
        token_ok(mocked)
        mocked.get(DATA, status=503, payload={"error": "Service Unavailable"})
        mocked.get(DATA, status=503, payload={"error": "Service Unavailable"})
        mocked.get(DATA, status=200, payload=OK_BODY)
        result = await forwarder.fetch(CALL, "a")
    assert result.attempts == 3


async def test_other_4xx_never_retried(forwarder: Forwarder) -> None:
    with aioresponses() as mocked:
        token_ok(mocked)
        mocked.get(
            DATA,
            status=403,
            payload={
                "error": "ADAM-DC-0008",
                "error_description": "No consent can be found for this customer and this usage point.",
            },
        )
        with pytest.raises(UpstreamFailure) as caught:
            await forwarder.fetch(CALL, "a")
    assert caught.value.status == 403
    assert caught.value.code == "ADAM-DC-0008"
    assert forwarder.calls_made == 1


async def test_unknown_upstream_error_is_502_keeping_the_code(forwarder: Forwarder) -> None:
    with aioresponses() as mocked:
        token_ok(mocked)
        mocked.get(DATA, status=418, payload={"error": "TEAPOT-1", "error_description": "?"})
        with pytest.raises(UpstreamFailure) as caught:
            await forwarder.fetch(CALL, "a")
    assert caught.value.status == 502
    assert caught.value.code == "TEAPOT-1"


async def test_timeouts_give_504(forwarder: Forwarder) -> None:
    with aioresponses() as mocked:
        token_ok(mocked)
        for _ in range(3):
            mocked.get(DATA, exception=TimeoutError())
        with pytest.raises(UpstreamFailure) as caught:
            await forwarder.fetch(CALL, "a")
    assert caught.value.status == 504


async def test_upstream_401_renews_the_token_once(forwarder: Forwarder) -> None:
    with aioresponses() as mocked:
        token_ok(mocked, times=2)
        mocked.get(DATA, status=401, payload={"error": "invalid_token"})
        mocked.get(DATA, status=200, payload=OK_BODY)
        result = await forwarder.fetch(CALL, "a")
    assert result.body == OK_BODY
    assert forwarder.tokens.fetches == 2


async def test_no_data_is_a_result_not_an_error(forwarder: Forwarder) -> None:
    with aioresponses() as mocked:
        token_ok(mocked)
        mocked.get(
            DATA,
            status=404,
            payload={
                "error": "no_data_found",
                "error_description": "no measure found for this usage point",
            },
        )
        result = await forwarder.fetch(CALL, "a")
    assert result.no_data


async def test_breaker_opens_after_consecutive_failures(forwarder: Forwarder) -> None:
    with aioresponses() as mocked:
        token_ok(mocked)
        for _ in range(3):
            mocked.get(DATA, status=503, payload={"error": "Service Unavailable"})
        with pytest.raises(UpstreamFailure):
            await forwarder.fetch(CALL, "a")
        assert forwarder.breaker.state == "open"
        with pytest.raises(UpstreamFailure) as caught:
            await forwarder.fetch(CALL, "a")
    assert caught.value.code == "GW-UPSTREAM-UNAVAILABLE"
    assert "Retry-After" in caught.value.headers
    assert forwarder.calls_made == 3


async def test_replicas_share_one_application_token(settings: Settings) -> None:
    """Two providers (two replicas) over the same Valkey: one token request upstream."""
    stores = [SharedStore.from_settings(settings) for _ in range(2)]
    async with aiohttp.ClientSession() as http:
        providers = [
            AppTokenProvider(
                http=http,
                store=store,
                server_key=settings.secret_key,
                base_url=BASE,
                client_id="id",
                client_secret="secret",
                timeout=1,
            )
            for store in stores
        ]
        with aioresponses() as mocked:
            token_ok(mocked, times=1)
            tokens = await asyncio.gather(*(p.get() for p in providers), providers[0].get())
    assert len(set(tokens)) == 1
    assert sum(p.fetches for p in providers) == 1
    for store in stores:
        await store.close()


async def test_a_renewal_finished_meanwhile_is_not_repeated(settings: Settings) -> None:
    """B reads no token, A renews and releases the lock, then B takes the lock: B must use
    A's token, not ask Enedis again."""
    stores = [SharedStore.from_settings(settings) for _ in range(2)]
    async with aiohttp.ClientSession() as http:
        a, b = (
            AppTokenProvider(
                http=http,
                store=store,
                server_key=settings.secret_key,
                base_url=BASE,
                client_id="id",
                client_secret="secret",
                timeout=1,
            )
            for store in stores
        )
        with aioresponses() as mocked:
            token_ok(mocked, times=1)
            token = await a.get()
            real_read = b._read_shared
            reads = 0

            async def stale_first_read() -> Any:
                nonlocal reads
                reads += 1
                return None if reads == 1 else await real_read()

            b._read_shared = stale_first_read  # type: ignore[method-assign]
            assert await b.get() == token
    assert (a.fetches, b.fetches) == (1, 0)
    for store in stores:
        await store.close()
