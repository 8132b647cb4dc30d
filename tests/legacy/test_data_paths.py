"""Every data path of the legacy document, plain and ``/cache``, against the sandbox."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.enedis.catalogue import BY_NAME
from gateway.surfaces.legacy import CUSTOMER_PATHS, RANGED_PATHS
from gateway.surfaces.legacy_schemas import DATA_SCHEMAS
from tests.conftest import Services
from tests.legacy.conftest import PLAIN, VARIANTS, Variant, assert_valid, data_path
from tests.support.journey import ready_account
from tests.support.sandbox import CONSUMPTION_AND_PRODUCTION, query, recent_range
from tests.support.upstream import upstream_calls, upstream_names

SEGMENTS = (*CUSTOMER_PATHS, *RANGED_PATHS)


def _path(segment: str) -> str:
    if segment in RANGED_PATHS:
        return data_path(segment, CONSUMPTION_AND_PRODUCTION, *recent_range(3))
    return data_path(segment, CONSUMPTION_AND_PRODUCTION)


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.id)
@pytest.mark.parametrize("segment", SEGMENTS)
async def test_data_path_plain_then_cache(
    gateway: Any, clean_services: Services, segment: str, variant: Variant
) -> None:
    account = await ready_account(gateway)
    headers = variant.headers(account)
    endpoint_name = (CUSTOMER_PATHS | RANGED_PATHS)[segment]
    path = _path(segment)

    plain = await gateway.get(variant.path(path), headers=headers)
    assert plain.status == 200, await plain.text()
    assert plain.content_type == "application/json"
    assert plain.headers["X-Cache-Status"] == "BYPASS"
    body = await plain.json()
    assert_valid(body, DATA_SCHEMAS[segment])

    miss = await gateway.get(variant.path(path + "/cache"), headers=headers)
    assert miss.status == 200, await miss.text()
    assert miss.headers["X-Cache-Status"] == "MISS"  # the plain path stored nothing
    assert await miss.json() == body

    hit = await gateway.get(variant.path(path + "/cache"), headers=headers)
    assert hit.status == 200
    assert hit.headers["X-Cache-Status"] == "HIT"
    cached = await hit.json()
    assert_valid(cached, DATA_SCHEMAS[segment])
    assert cached == body
    calls_per_answer = len(upstream_names(endpoint_name))
    assert upstream_calls(clean_services.sandbox_stats(), endpoint_name) == 2 * calls_per_answer


@pytest.mark.parametrize("segment", SEGMENTS)
async def test_data_bodies_are_enedis_json_as_the_v5_surface_answers(
    gateway: Any, segment: str
) -> None:
    account = await ready_account(gateway)
    endpoint = BY_NAME[(CUSTOMER_PATHS | RANGED_PATHS)[segment]]
    start, end = recent_range(3)
    legacy = await gateway.get(
        data_path(
            segment, CONSUMPTION_AND_PRODUCTION, *((start, end) if endpoint.is_ranged else ())
        ),
        headers=PLAIN.headers(account),
    )
    assert legacy.status == 200, await legacy.text()
    v5 = await gateway.get(
        endpoint.path,
        params=query(CONSUMPTION_AND_PRODUCTION, endpoint, start, end),
        headers={**account.bearer, "Cache-Control": "no-store"},
    )
    assert v5.status == 200, await v5.text()
    body = await legacy.json()
    assert body == await v5.json()
    if endpoint.is_ranged:
        assert body["meter_reading"]["usage_point_id"] == CONSUMPTION_AND_PRODUCTION
        assert (body["meter_reading"]["start"], body["meter_reading"]["end"]) == (
            start.isoformat(),
            end.isoformat(),
        )


async def test_a_plain_path_neither_writes_nor_reads_the_cache(
    gateway: Any, clean_services: Services
) -> None:
    account = await ready_account(gateway)
    headers = PLAIN.headers(account)
    path = data_path("daily_consumption", CONSUMPTION_AND_PRODUCTION, *recent_range(10))

    def calls() -> int:
        return upstream_calls(clean_services.sandbox_stats(), "daily_consumption")

    for expected in (1, 2):
        answer = await gateway.get(path, headers=headers)
        assert answer.status == 200
        assert answer.headers["X-Cache-Status"] == "BYPASS"
        assert calls() == expected
    # nothing was stored: the /cache path of the same range fetches, then answers from cache
    miss = await gateway.get(path + "/cache", headers=headers)
    assert (miss.status, miss.headers["X-Cache-Status"]) == (200, "MISS")
    assert calls() == 3
    hit = await gateway.get(path + "/cache", headers=headers)
    assert (hit.status, hit.headers["X-Cache-Status"]) == (200, "HIT")
    assert calls() == 3
    assert await hit.json() == await miss.json()
    # the plain path still goes to Enedis although the cache now holds the range
    again = await gateway.get(path, headers=headers)
    assert (again.status, again.headers["X-Cache-Status"]) == (200, "BYPASS")
    assert calls() == 4


async def test_a_cache_path_fetches_only_the_missing_days(
    gateway: Any, clean_services: Services
) -> None:
    account = await ready_account(gateway)
    headers = PLAIN.headers(account)
    start, end = recent_range(10)
    inner = data_path("daily_consumption", CONSUMPTION_AND_PRODUCTION, start, end)
    outer = data_path("daily_consumption", CONSUMPTION_AND_PRODUCTION, *recent_range(20))
    assert (await gateway.get(inner + "/cache", headers=headers)).status == 200
    partial = await gateway.get(outer + "/cache", headers=headers)
    assert (partial.status, partial.headers["X-Cache-Status"]) == (200, "PARTIAL")
    body = await partial.json()
    assert_valid(body, "ResponseDailyConsumption")
    assert len(body["meter_reading"]["interval_reading"]) == 20
    assert upstream_calls(clean_services.sandbox_stats(), "daily_consumption") == 2


async def test_long_ranges_are_split_like_the_v5_surface(
    gateway: Any, clean_services: Services
) -> None:
    account = await ready_account(gateway)
    path = data_path("consumption_load_curve", CONSUMPTION_AND_PRODUCTION, *recent_range(15))
    answer = await gateway.get(path, headers=PLAIN.headers(account))
    assert answer.status == 200, await answer.text()
    assert_valid(await answer.json(), "ResponseConsumptionLoadCurve")
    assert upstream_calls(clean_services.sandbox_stats(), "consumption_load_curve") == 3
