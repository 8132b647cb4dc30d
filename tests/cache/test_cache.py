"""The encrypted per-user, per-day cache, against the sandbox and the real Valkey."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from typing import Any

import redis.asyncio as aioredis

from gateway import state
from gateway.app import build_app
from gateway.cache.crypto import EntryCipher
from gateway.config import Settings
from gateway.data.days import each_day
from gateway.enedis.catalogue import BY_NAME
from gateway.enedis.rules import paris_today
from gateway.keyring import account_cache_key
from tests.conftest import Services
from tests.support.journey import ready_account
from tests.support.sandbox import (
    CONSUMPTION_AND_PRODUCTION,
    CONSUMPTION_ONLY,
    direct,
    query,
    recent_range,
)
from tests.support.upstream import upstream_calls

CURVE = BY_NAME["consumption_load_curve"]
DAILY = BY_NAME["daily_consumption"]


async def test_overlapping_range_fetches_only_missing_days(
    gateway: Any, clean_services: Services
) -> None:
    account = await ready_account(gateway)
    day1 = recent_range(30)[0]
    first = query(CONSUMPTION_AND_PRODUCTION, CURVE, day1, day1 + timedelta(days=20))
    assert (await gateway.get(CURVE.path, params=first, headers=account.bearer)).status == 200
    assert (
        upstream_calls(clean_services.sandbox_stats(), "consumption_load_curve") == 3
    )  # 7 + 7 + 6 days
    second = query(
        CONSUMPTION_AND_PRODUCTION, CURVE, day1 + timedelta(days=9), day1 + timedelta(days=30)
    )
    answer = await gateway.get(CURVE.path, params=second, headers=account.bearer)
    assert answer.status == 200
    assert answer.headers["X-Cache-Status"] == "PARTIAL"
    # days 21..30 only: 10 days = 7 + 3, two more calls
    assert upstream_calls(clean_services.sandbox_stats(), "consumption_load_curve") == 5
    body = await answer.json()
    expected: list[Any] = []
    for start, end in (
        (day1 + timedelta(days=9), day1 + timedelta(days=16)),
        (day1 + timedelta(days=16), day1 + timedelta(days=23)),
        (day1 + timedelta(days=23), day1 + timedelta(days=30)),
    ):
        _, part = await direct(
            clean_services.reference_url,
            CURVE,
            query(CONSUMPTION_AND_PRODUCTION, CURVE, start, end),
        )
        expected.extend(part["meter_reading"]["interval_reading"])
    assert body["meter_reading"]["interval_reading"] == expected
    assert body["meter_reading"]["start"] == second["start"]
    assert body["meter_reading"]["end"] == second["end"]
    stamps = [r["date"] for r in body["meter_reading"]["interval_reading"]]
    assert len(stamps) == len(set(stamps)) or len(stamps) == len(expected)


async def cache_reads_during(url: str, action: Any) -> tuple[Any, list[str]]:
    """Run ``action`` and return its result and the read commands Redis saw on cache keys."""
    client = aioredis.Redis.from_url(url)
    seen: list[str] = []
    try:
        async with client.monitor() as monitor:
            listener = monitor.listen()
            result = await action()
            await aioredis.Redis.from_url(url).echo("end-of-action")
            async for event in listener:
                command = event["command"]
                if "end-of-action" in command:
                    break
                name = command.split(" ", 1)[0].upper()
                if name in {"GET", "MGET", "HGET", "HGETALL"} and ":c:" in command:
                    seen.append(name)
    finally:
        await client.aclose()
    return result, seen


async def test_a_cached_year_is_read_in_one_round_trip(
    gateway: Any, clean_services: Services
) -> None:
    account = await ready_account(gateway)
    params = query(CONSUMPTION_AND_PRODUCTION, DAILY, *recent_range(365, 3))
    assert (await gateway.get(DAILY.path, params=params, headers=account.bearer)).status == 200
    # the same year again: the memo of that answer, one GET
    answer, reads = await cache_reads_during(
        clean_services.valkey.url,
        lambda: gateway.get(DAILY.path, params=params, headers=account.bearer),
    )
    assert answer.headers["X-Cache-Status"] == "HIT"
    assert len((await answer.json())["meter_reading"]["interval_reading"]) == 365
    assert reads == ["GET"]
    # another range over the same cached days: the memo misses, the days come in one MGET
    wider = query(CONSUMPTION_AND_PRODUCTION, DAILY, *recent_range(364, 4))
    answer, reads = await cache_reads_during(
        clean_services.valkey.url,
        lambda: gateway.get(DAILY.path, params=wider, headers=account.bearer),
    )
    assert answer.headers["X-Cache-Status"] == "HIT"
    assert reads == ["GET", "MGET"]


async def test_nothing_readable_in_redis_after_a_workload(
    gateway: Any, clean_services: Services
) -> None:
    account = await ready_account(gateway)
    start, end = recent_range(10)
    bodies = []
    for endpoint in (DAILY, CURVE, BY_NAME["identity"], BY_NAME["contracts"]):
        answer = await gateway.get(
            endpoint.path,
            params=query(CONSUMPTION_AND_PRODUCTION, endpoint, start, end),
            headers=account.bearer,
        )
        assert answer.status == 200
        bodies.append(await answer.text())
    values = set()
    for text in bodies:
        values.update(v for v in re.findall(r'"value": ?"(\d{4,})"', text))
    forbidden = [
        CONSUMPTION_AND_PRODUCTION.encode(),
        CONSUMPTION_ONLY.encode(),
        start.isoformat().encode(),
        end.isoformat().encode(),
        account.client_secret.encode(),
        account.token.encode(),
    ]
    client = clean_services.aioredis()
    try:
        keys = [key async for key in client.scan_iter(count=1000)]
        assert keys
        for key in keys:
            kind = await client.type(key)
            if kind == b"string":
                contents = [await client.get(key) or b""]
            elif kind == b"set":
                contents = list(await client.smembers(key))
            elif kind == b"hash":
                contents = [k + b"=" + v for k, v in (await client.hgetall(key)).items()]
            elif kind == b"zset":
                contents = [m for m, _ in await client.zrange(key, 0, -1, withscores=True)]
            else:
                contents = []
            for blob in [key, *contents]:
                for secret in forbidden:
                    assert secret not in blob, (key, secret)
                for value in values:
                    assert f'"{value}"'.encode() not in blob
                assert b"interval_reading" not in blob
    finally:
        await client.aclose()


async def test_an_entry_does_not_decrypt_with_another_accounts_key(gateway: Any) -> None:
    a = await ready_account(gateway)
    b = await ready_account(gateway, customer="holder-2")
    params = query(CONSUMPTION_AND_PRODUCTION, DAILY, *recent_range(5))
    assert (await gateway.get(DAILY.path, params=params, headers=a.bearer)).status == 200
    cache = gateway.server.app[state.CACHE]
    accounts_ids = await gateway.server.app[state.DB].fetch("SELECT id, client_id FROM accounts")
    ids = {row["client_id"]: str(row["id"]) for row in accounts_ids}
    a_id = ids[a.client_id]
    days = list(
        __import__("gateway.cache.store", fromlist=["days_of"]).days_of(DAILY, *recent_range(5))
    )
    own = await cache.lookup(
        a_id, account_cache_key(a.client_secret, a_id), CONSUMPTION_AND_PRODUCTION, DAILY, days
    )
    assert len(own.fresh) == 5
    foreign = await cache.lookup(
        a_id,
        account_cache_key(b.client_secret, ids[b.client_id]),
        CONSUMPTION_AND_PRODUCTION,
        DAILY,
        days,
    )
    assert foreign.fresh == {} and foreign.stale == {} and len(foreign.missing) == 5


async def test_corrupt_entries_count_as_misses(gateway: Any, clean_services: Services) -> None:
    account = await ready_account(gateway)
    params = query(CONSUMPTION_AND_PRODUCTION, DAILY, *recent_range(3))
    assert (await gateway.get(DAILY.path, params=params, headers=account.bearer)).status == 200
    client = clean_services.aioredis()
    try:
        async for key in client.scan_iter(match="*:c:*"):
            await client.set(key, b"garbage-that-is-not-sealed")
    finally:
        await client.aclose()
    answer = await gateway.get(DAILY.path, params=params, headers=account.bearer)
    assert answer.status == 200
    assert answer.headers["X-Cache-Status"] == "MISS"


async def test_entries_of_the_earlier_format_read_as_misses(
    gateway: Any, clean_services: Services
) -> None:
    """Entries written before the model (v5 readings, no version) are fetched again."""
    account = await ready_account(gateway)
    start, end = recent_range(3)
    params = query(CONSUMPTION_AND_PRODUCTION, DAILY, start, end)
    assert (await gateway.get(DAILY.path, params=params, headers=account.bearer)).status == 200
    cache = gateway.server.app[state.CACHE]
    account_id = str(
        await gateway.server.app[state.DB].fetchval(
            "SELECT id FROM accounts WHERE client_id = $1", account.client_id
        )
    )
    cipher = EntryCipher(account_cache_key(account.client_secret, account_id))
    client = clean_services.aioredis()
    try:
        for day in each_day(start, end):
            redis_key = cache.entry_key(account_id, CONSUMPTION_AND_PRODUCTION, DAILY, day)
            earlier = {"r": [{"value": "1", "date": day.isoformat()}], "m": {}, "f": 4e9}
            await client.set(redis_key, cipher.seal(redis_key, earlier))
    finally:
        await client.aclose()
    # a range of those days that no memo answers: the days are read, and refetched
    part = query(CONSUMPTION_AND_PRODUCTION, DAILY, start, end - timedelta(days=1))
    answer = await gateway.get(DAILY.path, params=part, headers=account.bearer)
    assert answer.status == 200, await answer.text()
    assert answer.headers["X-Cache-Status"] == "MISS"
    values = [r["value"] for r in (await answer.json())["meter_reading"]["interval_reading"]]
    assert len(values) == 2 and "1" not in values


async def test_cache_control_no_store_and_no_cache(gateway: Any, clean_services: Services) -> None:
    account = await ready_account(gateway)
    params = query(CONSUMPTION_AND_PRODUCTION, DAILY, *recent_range(3))
    bypass = await gateway.get(
        DAILY.path, params=params, headers={**account.bearer, "Cache-Control": "no-store"}
    )
    assert bypass.headers["X-Cache-Status"] == "BYPASS"
    miss = await gateway.get(DAILY.path, params=params, headers=account.bearer)
    assert miss.headers["X-Cache-Status"] == "MISS"  # no-store wrote nothing
    hit = await gateway.get(DAILY.path, params=params, headers=account.bearer)
    assert hit.headers["X-Cache-Status"] == "HIT"
    refresh = await gateway.get(
        DAILY.path, params=params, headers={**account.bearer, "Cache-Control": "no-cache"}
    )
    assert refresh.headers["X-Cache-Status"] == "MISS"
    assert upstream_calls(clean_services.sandbox_stats(), "daily_consumption") == 3


async def test_stale_entries_served_during_an_outage(
    aiohttp_client: Any, clean_services: Services
) -> None:
    settings = Settings.from_env(
        clean_services.env(
            CACHE_TTL_SECONDS="1",
            CACHE_TTL_RECENT_SECONDS="1",
            UPSTREAM_MAX_ATTEMPTS="2",
            UPSTREAM_DEADLINE_SECONDS="3",
        )
    )
    client = await aiohttp_client(build_app(settings))
    account = await ready_account(client)
    cached = query(CONSUMPTION_AND_PRODUCTION, DAILY, *recent_range(5, 10))
    fresh = await client.get(DAILY.path, params=cached, headers=account.bearer)
    expected = await fresh.json()
    clean_services.sandbox_call("POST", "/__sandbox/faults", {"outage": True})
    deadline = asyncio.get_running_loop().time() + 15
    while True:
        answer = await client.get(DAILY.path, params=cached, headers=account.bearer)
        if answer.headers.get("X-Cache-Status") == "STALE":
            break
        assert answer.status == 200  # still fresh: a HIT
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.2)
    assert answer.status == 200
    assert await answer.json() == expected
    uncached = await client.get(
        DAILY.path,
        params=query(CONSUMPTION_AND_PRODUCTION, DAILY, *recent_range(5, 40)),
        headers=account.bearer,
    )
    assert uncached.status in (503, 504)
    assert "error_description" in await uncached.json()


async def test_purges_remove_exactly_what_they_say(gateway: Any, clean_services: Services) -> None:
    account = await ready_account(gateway)
    app = gateway.server.app
    row = await app[state.DB].fetchrow(
        "SELECT id FROM accounts WHERE client_id = $1", account.client_id
    )
    account_id = str(row["id"])
    cache = app[state.CACHE]
    first = recent_range(4)
    for point in (CONSUMPTION_AND_PRODUCTION, CONSUMPTION_ONLY):
        for endpoint in (DAILY, CURVE):
            assert (
                await gateway.get(
                    endpoint.path, params=query(point, endpoint, *first), headers=account.bearer
                )
            ).status == 200
    # one endpoint, part of the range
    deleted = await cache.purge_days(
        account_id, CONSUMPTION_AND_PRODUCTION, DAILY, first[0], first[0] + timedelta(days=2)
    )
    assert deleted == 2
    partial = await gateway.get(
        DAILY.path, params=query(CONSUMPTION_AND_PRODUCTION, DAILY, *first), headers=account.bearer
    )
    assert partial.headers["X-Cache-Status"] == "PARTIAL"
    # one point: the other point is untouched
    assert await cache.purge_usage_point(account_id, CONSUMPTION_AND_PRODUCTION) >= 8
    for endpoint in (DAILY, CURVE):
        miss = await gateway.get(
            endpoint.path,
            params=query(CONSUMPTION_AND_PRODUCTION, endpoint, *first),
            headers=account.bearer,
        )
        assert miss.headers["X-Cache-Status"] == "MISS"
        hit = await gateway.get(
            endpoint.path, params=query(CONSUMPTION_ONLY, endpoint, *first), headers=account.bearer
        )
        assert hit.headers["X-Cache-Status"] == "HIT"
    # the whole account
    assert await cache.purge_account(account_id) >= 8
    client = clean_services.aioredis()
    try:
        assert [key async for key in client.scan_iter(match="*:c:*")] == []
    finally:
        await client.aclose()


async def test_no_data_answers_are_cached_briefly(gateway: Any, clean_services: Services) -> None:
    """The `gaps` customer has no data on the 10th-12th of every month."""
    account = await ready_account(gateway, customer="gaps")
    point = account.usage_points[0]
    today = paris_today()
    month = today.replace(day=1) - timedelta(days=40)
    gap = query(point, DAILY, month.replace(day=10), month.replace(day=13))
    first = await gateway.get(DAILY.path, params=gap, headers=account.bearer)
    assert first.status == 404
    assert (await first.json())["error"] == "no_data_found"
    again = await gateway.get(DAILY.path, params=gap, headers=account.bearer)
    assert again.status == 404
    assert upstream_calls(clean_services.sandbox_stats(), "daily_consumption") == 1
    around = query(point, DAILY, month.replace(day=8), month.replace(day=15))
    answer = await gateway.get(DAILY.path, params=around, headers=account.bearer)
    assert answer.status == 200
    assert answer.headers["X-Cache-Status"] == "PARTIAL"
    dates = [r["date"] for r in (await answer.json())["meter_reading"]["interval_reading"]]
    assert dates == [month.replace(day=d).isoformat() for d in (8, 9, 13, 14)]
    _, expected = await direct(clean_services.reference_url, DAILY, around)
    assert [r["date"] for r in expected["meter_reading"]["interval_reading"]] == dates


def test_lifetimes_of_entries(settings: Settings) -> None:
    from gateway.cache.store import CacheStore, Entry
    from gateway.keyring import Keyring
    from gateway.shared_store import SharedStore

    store = CacheStore(SharedStore.from_settings(settings), Keyring(settings.secret_key), settings)
    today = paris_today()
    data = Entry([{"v": "1", "d": "x"}], {}, 0.0)
    assert store.ttl_for(DAILY, today - timedelta(days=1), data, today) == settings.cache_ttl_recent
    assert store.ttl_for(DAILY, today - timedelta(days=2), data, today) == settings.cache_ttl_recent
    assert store.ttl_for(DAILY, today - timedelta(days=3), data, today) == settings.cache_ttl
    nothing = Entry(None, {}, 0.0)
    assert (
        store.ttl_for(DAILY, today - timedelta(days=30), nothing, today)
        == settings.cache_ttl_no_data
    )
    short_curve = Entry([{"v": "1", "d": "x", "p": "PT30M"}] * 20, {}, 0.0)
    assert (
        store.ttl_for(CURVE, today - timedelta(days=30), short_curve, today)
        == settings.cache_ttl_recent
    )
    full_curve = Entry([{"value": "1", "date": "x", "interval_length": "PT30M"}] * 48, {}, 0.0)
    assert store.ttl_for(CURVE, today - timedelta(days=30), full_curve, today) == settings.cache_ttl
