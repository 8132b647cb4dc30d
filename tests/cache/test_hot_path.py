"""Issue 18's hot path: a warm range in one Redis round trip, the quota still charged."""

from __future__ import annotations

import asyncio
from typing import Any

from gateway.enedis.catalogue import BY_NAME
from gateway.quota import CACHED, UPSTREAM, counter_key
from tests.conftest import Services
from tests.support.journey import ready_account
from tests.support.sandbox import CONSUMPTION_AND_PRODUCTION, query, recent_range

DAILY = BY_NAME["daily_consumption"]


#: The commands of one hot read (``HOT_HIT``): one EVALSHA from the gateway, and inside it
#: the snapshot, generation, revocation mark and memo reads and the cached charge.
ONE_HOT_READ = {
    "evalsha": 1,
    "hgetall": 1,
    "get": 3,  # generation, memo, counter
    "exists": 1,
    "incrby": 1,
    "expire": 3,
    "sadd": 1,
}


async def _commands(client: Any) -> dict[str, int]:
    """Calls per command since the last CONFIG RESETSTAT (commands run by scripts too)."""
    stats = await client.info("commandstats")
    names = {key.removeprefix("cmdstat_"): int(value["calls"]) for key, value in stats.items()}
    return {name: calls for name, calls in names.items() if not name.startswith("config")}


async def test_a_warm_range_is_one_round_trip_and_still_charged(
    gateway: Any, clean_services: Services
) -> None:
    account = await ready_account(gateway)
    params = query(CONSUMPTION_AND_PRODUCTION, DAILY, *recent_range(30))
    for expected in ("MISS", "HIT"):  # the second builds the memo from the days
        answer = await gateway.get(DAILY.path, params=params, headers=account.bearer)
        assert answer.headers["X-Cache-Status"] == expected
    redis = clean_services.aioredis()
    try:
        account_id = await redis.keys("{a:*}:snap")
        counter = counter_key(account_id[0].decode()[3:-6], CACHED)
        charged_before = int(await redis.get(counter) or 0)
        await redis.config_resetstat()
        answer = await gateway.get(DAILY.path, params=params, headers=account.bearer)
        assert answer.status == 200
        assert answer.headers["X-Cache-Status"] == "HIT"
        assert await _commands(redis) == ONE_HOT_READ
        assert int(await redis.get(counter) or 0) == charged_before + 1
        assert int(answer.headers["X-RateLimit-Remaining"]) >= 0
    finally:
        await redis.aclose()


async def test_a_refused_request_gets_the_charge_back(
    gateway: Any, clean_services: Services
) -> None:
    account = await ready_account(gateway)
    params = query(CONSUMPTION_AND_PRODUCTION, DAILY, *recent_range(10))
    for _ in range(2):
        await gateway.get(DAILY.path, params=params, headers=account.bearer)
    redis = clean_services.aioredis()
    try:
        (snap,) = await redis.keys("{a:*}:snap")
        counter = counter_key(snap.decode()[3:-6], CACHED)
        charged_before = int(await redis.get(counter) or 0)
        revoked = await gateway.post(
            "/oauth2/v3/revoke", data={"token": account.token}, auth=account.basic
        )
        assert revoked.status in (200, 204)
        answer = await gateway.get(DAILY.path, params=params, headers=account.bearer)
        assert answer.status == 401
        assert int(await redis.get(counter) or 0) == charged_before
    finally:
        await redis.aclose()


async def test_a_one_day_miss_reserves_its_call_in_the_hot_read(
    gateway: Any, clean_services: Services
) -> None:
    """Before the upstream call of a one-day miss: the hot read (which reserved the call)
    and the limiter's slot, nothing else; the allowance counts the call once."""
    account = await ready_account(gateway)
    redis = clean_services.aioredis()
    try:
        (snap,) = await redis.keys("{a:*}:snap")
        counter = counter_key(snap.decode()[3:-6], UPSTREAM)
        before = int(await redis.get(counter) or 0)
        await redis.config_resetstat()
        answer = await gateway.get(
            DAILY.path,
            params=query(CONSUMPTION_AND_PRODUCTION, DAILY, *recent_range(1, 40)),
            headers=account.bearer,
        )
        assert answer.status == 200
        assert answer.headers["X-Cache-Status"] == "MISS"
        assert int(await redis.get(counter) or 0) == before + 1
        assert int(answer.headers["X-RateLimit-Remaining"]) == int(
            answer.headers["X-RateLimit-Limit"]
        ) - (before + 1)
        commands = await _commands(redis)
        assert commands["evalsha"] == 2  # the hot read, the limiter
    finally:
        await redis.aclose()


async def test_a_reservation_the_request_did_not_need_is_given_back(
    gateway: Any, clean_services: Services
) -> None:
    """Identical misses arriving together: each hot read reserves a call, one request makes
    it, the others join it and give their reservation back."""
    account = await ready_account(gateway)
    params = query(CONSUMPTION_AND_PRODUCTION, DAILY, *recent_range(1, 45))
    redis = clean_services.aioredis()
    try:
        (snap,) = await redis.keys("{a:*}:snap")
        counter = counter_key(snap.decode()[3:-6], UPSTREAM)
        before = int(await redis.get(counter) or 0)
        answers = await asyncio.gather(
            *(gateway.get(DAILY.path, params=params, headers=account.bearer) for _ in range(10))
        )
        assert [answer.status for answer in answers] == [200] * 10
        assert int(await redis.get(counter) or 0) == before + 1
    finally:
        await redis.aclose()
