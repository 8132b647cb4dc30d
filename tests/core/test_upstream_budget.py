"""The whole application never exceeds Enedis' 5 calls/second, with one or two replicas."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest

from gateway.app import build_app
from gateway.config import Settings
from gateway.enedis.catalogue import BY_NAME
from tests.conftest import Services
from tests.support.journey import ready_account
from tests.support.processes import gateway_process
from tests.support.sandbox import CONSUMPTION_AND_PRODUCTION, query, recent_range
from tests.support.upstream import upstream_calls

pytestmark = pytest.mark.slow
ENDPOINT = BY_NAME["daily_consumption"]


def distinct_requests(accounts: int, per_account: int) -> list[tuple[int, dict[str, str]]]:
    """(account index, params) pairs, every one a different upstream call."""
    requests = []
    for a in range(accounts):
        for r in range(per_account):
            start, end = recent_range(2, ending_days_ago=1 + 2 * (a * per_account + r))
            requests.append((a, query(CONSUMPTION_AND_PRODUCTION, ENDPOINT, start, end)))
    return requests


def assert_within_budget(stats: dict[str, Any], expected_calls: int) -> None:
    assert upstream_calls(stats, "daily_consumption") == expected_calls
    assert stats["max_calls_per_second"] <= 5
    assert stats["rate_limited"] == 0


# 200 upstream calls at 5/s take ~45 s: the callers are allowed to wait that long
PATIENT = {"UPSTREAM_MAX_WAIT_SECONDS": "80", "UPSTREAM_DEADLINE_SECONDS": "90"}


async def test_200_concurrent_requests_from_20_accounts_stay_within_5_per_second(
    aiohttp_client: Any, clean_services: Services
) -> None:
    gateway = await aiohttp_client(build_app(Settings.from_env(clean_services.env(**PATIENT))))
    accounts = [await ready_account(gateway) for _ in range(20)]
    clean_services.sandbox_call("POST", "/__sandbox/reset")
    requests = distinct_requests(20, 10)
    answers = await asyncio.gather(
        *(gateway.get(ENDPOINT.path, params=p, headers=accounts[a].bearer) for a, p in requests)
    )
    assert [answer.status for answer in answers] == [200] * 200
    assert_within_budget(clean_services.sandbox_stats(), 200)


async def test_two_replicas_share_the_budget(aiohttp_client: Any, clean_services: Services) -> None:
    env = clean_services.env(GATEWAY_REPLICAS="2", **PATIENT)
    replicas = [
        gateway_process(clean_services.log_dir, env).start("/health/ready") for _ in range(2)
    ]
    try:
        async with aiohttp.ClientSession(base_url=replicas[0].url) as first:
            accounts = [await ready_account(first) for _ in range(20)]
        clean_services.sandbox_call("POST", "/__sandbox/reset")
        requests = distinct_requests(20, 10)
        sessions = [aiohttp.ClientSession() for _ in replicas]
        try:
            answers = await asyncio.gather(
                *(
                    sessions[i % 2].get(
                        replicas[i % 2].url + ENDPOINT.path, params=p, headers=accounts[a].bearer
                    )
                    for i, (a, p) in enumerate(requests)
                )
            )
            statuses = [answer.status for answer in answers]
        finally:
            for session in sessions:
                await session.close()
        assert statuses == [200] * 200
        assert_within_budget(clean_services.sandbox_stats(), 200)
    finally:
        for replica in replicas:
            replica.stop()


async def test_a_backfill_does_not_starve_another_account(
    gateway: Any, clean_services: Services
) -> None:
    """Round-robin between accounts: B's one-day request overtakes A's 40-call backfill."""
    backfiller = await ready_account(gateway)
    other = await ready_account(gateway)
    curve = BY_NAME["consumption_load_curve"]
    start, end = recent_range(7 * 40, ending_days_ago=30)
    backfill = asyncio.ensure_future(
        gateway.get(
            curve.path,
            params=query(CONSUMPTION_AND_PRODUCTION, curve, start, end),
            headers=backfiller.bearer,
        )
    )

    async def calls_started() -> int:
        return upstream_calls(clean_services.sandbox_stats(), "consumption_load_curve")

    deadline = asyncio.get_running_loop().time() + 30
    while await calls_started() < 3:
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.05)
    day = recent_range(1)
    quick = await gateway.get(
        ENDPOINT.path,
        params=query(CONSUMPTION_AND_PRODUCTION, ENDPOINT, *day),
        headers=other.bearer,
    )
    assert quick.status == 200
    # B was served while most of A's calls were still waiting for their turn
    assert await calls_started() < 20
    answer = await backfill
    assert answer.status == 200
    assert len((await answer.json())["meter_reading"]["interval_reading"]) > 0
