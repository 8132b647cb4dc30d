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
from tests.support.journey import Account, ready_account
from tests.support.processes import gateway_process
from tests.support.sandbox import CONSUMPTION_AND_PRODUCTION, query, recent_range
from tests.support.upstream import ENEDIS_API, busiest_second, upstream_calls

pytestmark = pytest.mark.slow
ENDPOINT = BY_NAME["daily_consumption"]


def distinct_requests(
    accounts: list[Account], per_account: int
) -> list[tuple[int, dict[str, str]]]:
    """(account index, params) pairs, every one a different upstream call (each account
    reads its own meter: consent v2 gives a meter to one account)."""
    requests = []
    for a, account in enumerate(accounts):
        for r in range(per_account):
            start, end = recent_range(2, ending_days_ago=1 + 2 * r)
            requests.append((a, query(account.usage_points[0], ENDPOINT, start, end)))
    return requests


async def holders(client: Any, count: int) -> list[Account]:
    """``count`` accounts, each holding a meter of its own (a generated sandbox customer)."""
    return [await ready_account(client, customer=f"budget-{n}") for n in range(count)]


def assert_within_budget(stats: dict[str, Any], expected_calls: int) -> None:
    assert upstream_calls(stats, "daily_consumption") == expected_calls
    assert busiest_second(stats) <= 5
    assert stats["rate_limited"] == 0


# 200 upstream calls at 5/s take ~45 s: the callers are allowed to wait that long
PATIENT = {"UPSTREAM_MAX_WAIT_SECONDS": "80", "UPSTREAM_DEADLINE_SECONDS": "90"}


async def test_200_concurrent_requests_from_20_accounts_stay_within_5_per_second(
    aiohttp_client: Any, clean_services: Services
) -> None:
    """300 distinct requests at once, 260 to the measurement API and 40 to two contract-data
    APIs: each API keeps its own 5/s, and the contract-data calls do not wait behind the
    measurement API's queue."""
    gateway = await aiohttp_client(build_app(Settings.from_env(clean_services.env(**PATIENT))))
    accounts = await holders(gateway, 20)
    clean_services.sandbox_call("POST", "/__sandbox/reset")
    requests = distinct_requests(accounts, 13)
    daily = [
        asyncio.ensure_future(gateway.get(ENDPOINT.path, params=p, headers=accounts[a].bearer))
        for a, p in requests
    ]
    contracts = [
        gateway.get(
            BY_NAME[name].path,
            params=query(account.usage_points[0], BY_NAME[name]),
            headers=account.bearer,
        )
        for account in accounts
        for name in ("addresses", "identity")
    ]
    contract_answers = await asyncio.gather(*contracts)
    assert [answer.status for answer in contract_answers] == [200] * 40
    # every contract-data answer came while the measurement calls were still queued
    assert upstream_calls(clean_services.sandbox_stats(), "daily_consumption") < 260
    answers = await asyncio.gather(*daily)
    assert [answer.status for answer in answers] == [200] * 260
    stats = clean_services.sandbox_stats()
    assert_within_budget(stats, 260)
    if ENEDIS_API == "2026":
        by_api = stats["max_calls_per_second_by_api"]
        assert all(count <= 5 for count in by_api.values()), by_api
        assert stats["calls_by_api"]["donnees_generales_auto"] == 20
        assert sum(stats["rate_limited_by_api"].values()) == 0


async def test_the_hourly_budget_is_per_api(aiohttp_client: Any, clean_services: Services) -> None:
    gateway = await aiohttp_client(
        build_app(Settings.from_env(clean_services.env(ENEDIS_HOURLY_LIMIT="3")))
    )
    account = await ready_account(gateway, customer="hourly")
    point = account.usage_points[0]
    for days_ago in (1, 3, 5):
        answer = await gateway.get(
            ENDPOINT.path,
            params=query(point, ENDPOINT, *recent_range(1, ending_days_ago=days_ago)),
            headers=account.bearer,
        )
        assert answer.status == 200, await answer.text()
    refused = await gateway.get(
        ENDPOINT.path,
        params=query(point, ENDPOINT, *recent_range(1, ending_days_ago=7)),
        headers=account.bearer,
    )
    assert refused.status == 503
    assert (await refused.json())["error"] == "GW-UPSTREAM-BUSY"
    assert "Retry-After" in refused.headers
    addresses = BY_NAME["addresses"]
    other_api = await gateway.get(
        addresses.path, params=query(point, addresses), headers=account.bearer
    )
    assert other_api.status == 200, await other_api.text()
    ready = await (await gateway.get("/health/ready")).json()
    if ENEDIS_API == "2026":
        assert ready["upstream"]["generation"] == "2026"
        assert ready["upstream"]["hourly_remaining"]["mesure_synchrone_auto"] == 0
        assert "mesure_synchrone_auto" in ready["upstream"]["hourly_budget_low"]


async def test_two_replicas_share_the_budget(aiohttp_client: Any, clean_services: Services) -> None:
    env = clean_services.env(GATEWAY_REPLICAS="2", **PATIENT)
    replicas = [
        gateway_process(clean_services.log_dir, env).start("/health/ready") for _ in range(2)
    ]
    try:
        async with aiohttp.ClientSession(base_url=replicas[0].url) as first:
            accounts = await holders(first, 20)
        clean_services.sandbox_call("POST", "/__sandbox/reset")
        requests = distinct_requests(accounts, 10)
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
    other = await ready_account(gateway, customer="quick-reader")
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
        params=query(other.usage_points[0], ENDPOINT, *day),
        headers=other.bearer,
    )
    assert quick.status == 200
    # B was served while most of A's calls were still waiting for their turn
    assert await calls_started() < 20
    answer = await backfill
    assert answer.status == 200
    assert len((await answer.json())["meter_reading"]["interval_reading"]) > 0
