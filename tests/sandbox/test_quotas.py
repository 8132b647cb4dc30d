from __future__ import annotations

import asyncio
from datetime import date

from gateway.sandbox.quotas import Quotas, SlidingWindow, format_period
from gateway.sandbox.settings import SandboxSettings

from .conftest import MakeSandbox, Sandbox, days_ago

DAILY = "/metering_data_dc/v5/daily_consumption"
POINT = "09100000000001"


async def _call(sandbox: Sandbox, today: date) -> tuple[int, object, str | None]:
    resp = await sandbox.client.get(
        DAILY,
        params={"usage_point_id": POINT, "start": days_ago(today, 2), "end": days_ago(today, 1)},
        headers=sandbox.auth,
    )
    return resp.status, await resp.json(), resp.headers.get("Retry-After")


async def test_sixth_call_in_a_second_gets_quota_q3(make_sandbox: MakeSandbox, today: date) -> None:
    sandbox = await make_sandbox(SandboxSettings())
    for _ in range(5):
        assert (await _call(sandbox, today))[0] == 200
    status, body, retry_after = await _call(sandbox, today)
    assert status == 429
    assert body == {
        "error": "Quota Q3 reached",
        "error_description": "Call threshold allowed on 0:00:01",
    }
    assert retry_after == "1"
    stats = await sandbox.stats()
    assert stats["rate_limited"] == 1
    assert stats["max_calls_per_second"] == 6
    assert stats["total_calls"] == 6
    # Refused calls are not counted: once the second has slid by, five more fit.
    sandbox.clock.advance(1.0)
    for _ in range(5):
        assert (await _call(sandbox, today))[0] == 200
    assert (await _call(sandbox, today))[0] == 429
    stats = await sandbox.stats()
    assert (stats["rate_limited"], stats["max_calls_per_second"], stats["total_calls"]) == (
        2,
        6,
        12,
    )


async def test_concurrent_calls_share_the_quota(make_sandbox: MakeSandbox, today: date) -> None:
    sandbox = await make_sandbox(SandboxSettings())
    results = await asyncio.gather(*(_call(sandbox, today) for _ in range(8)))
    assert sorted(r[0] for r in results) == [200] * 5 + [429] * 3


async def test_sliding_window_not_fixed(make_sandbox: MakeSandbox, today: date) -> None:
    sandbox = await make_sandbox(SandboxSettings(rate_per_second=2))
    assert (await _call(sandbox, today))[0] == 200
    sandbox.clock.advance(0.6)
    assert (await _call(sandbox, today))[0] == 200
    sandbox.clock.advance(0.6)  # the first call left the window, the second did not
    assert (await _call(sandbox, today))[0] == 200
    assert (await _call(sandbox, today))[0] == 429
    assert (await sandbox.stats())["max_calls_per_second"] == 3


async def test_hourly_quota_q4(make_sandbox: MakeSandbox, today: date) -> None:
    sandbox = await make_sandbox(SandboxSettings(rate_per_hour=3))
    for _ in range(3):
        assert (await _call(sandbox, today))[0] == 200
        sandbox.clock.advance(10)
    status, body, retry_after = await _call(sandbox, today)
    assert status == 429
    assert body == {
        "error": "Quota Q4 reached",
        "error_description": "Call threshold allowed on 1:00:00",
    }
    assert retry_after == str(3600 - 30)
    sandbox.clock.advance(3600 - 30)
    assert (await _call(sandbox, today))[0] == 200
    assert (await sandbox.stats())["rate_limited"] == 1


async def test_quota_counts_every_data_endpoint_not_tokens(
    make_sandbox: MakeSandbox, today: date
) -> None:
    sandbox = await make_sandbox(SandboxSettings(rate_per_second=2))
    assert (await sandbox.get("/customers_i/v5/identity", usage_point_id=POINT))[0] == 200
    token = await sandbox.client.post(
        "/oauth2/v3/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "sandbox-client-id",
            "client_secret": "sandbox-client-secret",
        },
    )
    assert token.status == 200
    assert (await _call(sandbox, today))[0] == 200
    assert (await _call(sandbox, today))[0] == 429


def test_sliding_window_unit() -> None:
    window = SlidingWindow(2, 1.0)
    assert window.wait_time(0.0) == 0
    window.add(0.0)
    window.add(0.25)
    assert window.wait_time(0.5) == 0.5
    assert window.wait_time(1.0) == 0  # the event at 0.0 left the window
    quotas = Quotas(per_second=1, per_hour=10)
    assert quotas.acquire(0.0) is None
    refused = quotas.acquire(0.5)
    assert refused is not None and refused.retry_after == 1
    quotas.reset()
    assert quotas.acquire(0.5) is None


def test_format_period() -> None:
    assert format_period(1) == "0:00:01"
    assert format_period(3600) == "1:00:00"
    assert format_period(86399) == "23:59:59"
