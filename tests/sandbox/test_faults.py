from __future__ import annotations

import asyncio
from datetime import date

import aiohttp
import pytest

from gateway.enedis import upstream_errors as errors
from gateway.sandbox.settings import FaultSettings, SandboxSettings

from .conftest import ROOMY, MakeSandbox, Sandbox, days_ago

DAILY = "/metering_data_dc/v5/daily_consumption"
POINT = "09100000000001"
TOKEN_FORM = {
    "grant_type": "client_credentials",
    "client_id": ROOMY.client_id,
    "client_secret": ROOMY.client_secret,
}
FAULT_DEFAULTS = {
    "latency_ms": 0,
    "latency_jitter_ms": 0,
    "error_rate": 0.0,
    "timeout_rate": 0.0,
    "timeout_seconds": 30.0,
    "outage": False,
}


async def _daily(sandbox: Sandbox, today: date) -> tuple[int, object]:
    return await sandbox.get(
        DAILY, usage_point_id=POINT, start=days_ago(today, 2), end=days_ago(today, 1)
    )


async def test_get_and_set_faults(sandbox: Sandbox) -> None:
    assert await (await sandbox.client.get("/__sandbox/faults")).json() == FAULT_DEFAULTS
    answer = await sandbox.set_faults(latency_ms=5, error_rate=0.5)
    assert answer == FAULT_DEFAULTS | {"latency_ms": 5, "error_rate": 0.5}
    assert await (await sandbox.client.get("/__sandbox/faults")).json() == answer


@pytest.mark.parametrize(
    "body",
    [
        {"error_rate": 1.5},
        {"error_rate": -0.1},
        {"error_rate": "0.5"},
        {"timeout_rate": True},
        {"latency_ms": -1},
        {"latency_ms": 1.5},
        {"timeout_seconds": -1},
        {"outage": "yes"},
        {"bogus": 1},
        [1, 2],
    ],
)
async def test_bad_fault_values(sandbox: Sandbox, body: object) -> None:
    resp = await sandbox.client.post("/__sandbox/faults", json=body)
    assert resp.status == 400
    assert (await resp.json())["error"] == "invalid_request"
    assert await (await sandbox.client.get("/__sandbox/faults")).json() == FAULT_DEFAULTS


async def test_fault_body_must_be_json(sandbox: Sandbox) -> None:
    resp = await sandbox.client.post("/__sandbox/faults", data=b"not json")
    assert resp.status == 400


async def test_error_rate_one_gives_500_or_503(sandbox: Sandbox, today: date) -> None:
    await sandbox.set_faults(error_rate=1)
    seen = set()
    for _ in range(30):
        status, body = await _daily(sandbox, today)
        assert (status, body) in (
            (500, errors.TECHNICAL_ERROR.body()),
            (503, errors.SERVICE_UNAVAILABLE.body()),
        )
        seen.add(status)
    assert seen == {500, 503}  # 2**-29 chance of a false failure
    stats = await sandbox.stats()
    assert (stats["errors_injected"], stats["total_calls"]) == (30, 30)
    # The token endpoint is not affected by the error rate.
    token = await sandbox.client.post("/oauth2/v3/token", data=TOKEN_FORM)
    assert token.status == 200


async def test_outage_hits_data_and_token_calls(sandbox: Sandbox, today: date) -> None:
    await sandbox.set_faults(outage=True)
    assert await _daily(sandbox, today) == (
        503,
        {"error": "Service Unavailable", "error_description": "Service Unavailable"},
    )
    token = await sandbox.client.post("/oauth2/v3/token", data=TOKEN_FORM)
    assert token.status == 503
    await sandbox.set_faults(outage=False)
    assert (await _daily(sandbox, today))[0] == 200


async def test_latency_still_answers(sandbox: Sandbox, today: date) -> None:
    await sandbox.set_faults(latency_ms=2, latency_jitter_ms=3)
    assert (await _daily(sandbox, today))[0] == 200


async def test_timeout_hangs_then_504(sandbox: Sandbox, today: date) -> None:
    await sandbox.set_faults(timeout_rate=1, timeout_seconds=0)
    assert await _daily(sandbox, today) == (504, errors.GATEWAY_TIMEOUT.body())
    assert (await sandbox.stats())["timeouts_injected"] == 1


async def test_timeout_makes_the_client_give_up(sandbox: Sandbox, today: date) -> None:
    await sandbox.set_faults(timeout_rate=1, timeout_seconds=30)
    params = {"usage_point_id": POINT, "start": days_ago(today, 2), "end": days_ago(today, 1)}
    with pytest.raises(asyncio.TimeoutError):
        await sandbox.client.get(
            DAILY, params=params, headers=sandbox.auth, timeout=aiohttp.ClientTimeout(total=0.2)
        )
    assert (await sandbox.stats())["timeouts_injected"] == 1


async def test_faults_from_settings_and_reset(make_sandbox: MakeSandbox, today: date) -> None:
    settings = SandboxSettings(
        rate_per_second=2, faults=FaultSettings(error_rate=1.0, latency_ms=1)
    )
    sandbox = await make_sandbox(settings)
    assert (await _daily(sandbox, today))[0] in (500, 503)
    await sandbox.set_faults(error_rate=0, latency_ms=0)
    assert (await _daily(sandbox, today))[0] == 200
    assert (await _daily(sandbox, today))[0] == 429  # the injected error counted in the quota
    resp = await sandbox.client.post("/__sandbox/reset")
    assert resp.status == 200
    body = await resp.json()
    assert body["faults"] == FAULT_DEFAULTS | {"error_rate": 1.0, "latency_ms": 1}
    stats = await sandbox.stats()
    assert stats["total_calls"] == 0 and stats["rate_limited"] == 0
    assert stats["max_calls_per_second"] == 0 and stats["errors_injected"] == 0
    assert set(stats["calls"].values()) == {0}
    # Quota windows are empty again, tokens survive the reset.
    await sandbox.set_faults(error_rate=0)
    assert (await _daily(sandbox, today))[0] == 200
    assert (await _daily(sandbox, today))[0] == 200
    assert (await _daily(sandbox, today))[0] == 429
