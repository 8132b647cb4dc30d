"""``DELETE .../cache`` per endpoint (range or point) and ``DELETE /cache/{usage_point_id}``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from gateway.surfaces.legacy import CUSTOMER_PATHS, RANGED_PATHS
from tests.conftest import Services
from tests.legacy.conftest import VARIANTS, Variant, assert_valid, data_path
from tests.support.journey import ready_account
from tests.support.sandbox import CONSUMPTION_AND_PRODUCTION, OTHER_CUSTOMER_POINT, recent_range
from tests.support.upstream import upstream_calls, upstream_names

PURGE_VARIANTS = (VARIANTS[0], VARIANTS[3])


def _calls(services: Services, segment: str) -> int:
    name = (CUSTOMER_PATHS | RANGED_PATHS)[segment]
    return upstream_calls(services.sandbox_stats(), name)


@pytest.mark.parametrize("variant", PURGE_VARIANTS, ids=lambda v: v.id)
@pytest.mark.parametrize("segment", list(CUSTOMER_PATHS))
async def test_delete_customer_cache(
    gateway: Any, clean_services: Services, segment: str, variant: Variant
) -> None:
    account = await ready_account(gateway)
    headers = variant.headers(account)
    path = data_path(segment, CONSUMPTION_AND_PRODUCTION) + "/cache"
    assert (await gateway.get(path, headers=headers)).headers["X-Cache-Status"] == "MISS"
    assert (await gateway.get(path, headers=headers)).headers["X-Cache-Status"] == "HIT"

    deleted = await gateway.delete(variant.path(path), headers=headers)
    assert deleted.status == 200, await deleted.text()
    body = await deleted.json()
    assert_valid(body, "ResponseDeleteCustomer")
    assert body == {"usage_point_id": CONSUMPTION_AND_PRODUCTION, "path": path, "delete": True}

    again = await gateway.get(path, headers=headers)
    assert again.headers["X-Cache-Status"] == "MISS"
    sections = len(upstream_names((CUSTOMER_PATHS | RANGED_PATHS)[segment]))
    assert _calls(clean_services, segment) == 2 * sections


@pytest.mark.parametrize("variant", PURGE_VARIANTS, ids=lambda v: v.id)
@pytest.mark.parametrize("segment", list(RANGED_PATHS))
async def test_delete_range_cache_purges_that_range_only(
    gateway: Any, clean_services: Services, segment: str, variant: Variant
) -> None:
    account = await ready_account(gateway)
    headers = variant.headers(account)
    start, end = recent_range(6)
    middle = start + timedelta(days=3)
    whole = data_path(segment, CONSUMPTION_AND_PRODUCTION, start, end) + "/cache"
    first_half = data_path(segment, CONSUMPTION_AND_PRODUCTION, start, middle) + "/cache"
    second_half = data_path(segment, CONSUMPTION_AND_PRODUCTION, middle, end) + "/cache"
    assert (await gateway.get(whole, headers=headers)).headers["X-Cache-Status"] == "MISS"

    deleted = await gateway.delete(variant.path(first_half), headers=headers)
    assert deleted.status == 200, await deleted.text()
    body = await deleted.json()
    assert_valid(body, "ResponseDeleteCache")
    assert body == {
        "usage_point_id": CONSUMPTION_AND_PRODUCTION,
        "path": [first_half],
        "purge": True,
    }

    kept = await gateway.get(second_half, headers=headers)
    assert kept.headers["X-Cache-Status"] == "HIT"
    refetched = await gateway.get(whole, headers=headers)
    assert refetched.headers["X-Cache-Status"] == "PARTIAL"
    assert _calls(clean_services, segment) == 2


@pytest.mark.parametrize("variant", PURGE_VARIANTS, ids=lambda v: v.id)
async def test_delete_cache_of_a_point_purges_every_endpoint(
    gateway: Any, clean_services: Services, variant: Variant
) -> None:
    account = await ready_account(gateway)
    headers = variant.headers(account)
    paths = [
        data_path("contracts", CONSUMPTION_AND_PRODUCTION) + "/cache",
        data_path("daily_consumption", CONSUMPTION_AND_PRODUCTION, *recent_range(5)) + "/cache",
    ]
    for path in paths:
        assert (await gateway.get(path, headers=headers)).headers["X-Cache-Status"] == "MISS"
    # the v5 surface shares the same cache
    v5 = await gateway.get(
        "/metering_data_dp/v5/daily_production",
        params={
            "usage_point_id": CONSUMPTION_AND_PRODUCTION,
            "start": recent_range(5)[0].isoformat(),
            "end": recent_range(5)[1].isoformat(),
        },
        headers=account.bearer,
    )
    assert v5.headers["X-Cache-Status"] == "MISS"

    deleted = await gateway.delete(
        variant.path(f"/cache/{CONSUMPTION_AND_PRODUCTION}"), headers=headers
    )
    assert deleted.status == 200, await deleted.text()
    body = await deleted.json()
    assert_valid(body, "ResponseDeleteCache")
    assert body["usage_point_id"] == CONSUMPTION_AND_PRODUCTION
    assert body["purge"] is True
    assert len(body["path"]) == 9

    for path in paths:
        assert (await gateway.get(path, headers=headers)).headers["X-Cache-Status"] == "MISS"


async def test_purging_another_accounts_point_is_403(gateway: Any) -> None:
    account = await ready_account(gateway)
    headers = VARIANTS[1].headers(account)
    start, end = recent_range(3)
    for path in (
        f"/cache/{OTHER_CUSTOMER_POINT}",
        data_path("contracts", OTHER_CUSTOMER_POINT) + "/cache",
        data_path("daily_consumption", OTHER_CUSTOMER_POINT, start, end) + "/cache",
    ):
        answer = await gateway.delete(path, headers=headers)
        assert answer.status == 403, path
        body = await answer.json()
        assert isinstance(body["detail"], str)


async def test_purges_of_one_account_leave_another_accounts_cache(gateway: Any) -> None:
    first = await ready_account(gateway)
    second = await ready_account(gateway, customer="holder-2")  # a meter of its own
    paths = {
        account.client_id: data_path("contracts", account.usage_points[0]) + "/cache"
        for account in (first, second)
    }
    for account in (first, second):
        cached = await gateway.get(paths[account.client_id], headers=VARIANTS[1].headers(account))
        assert cached.status == 200, await cached.text()
    deleted = await gateway.delete(
        f"/cache/{CONSUMPTION_AND_PRODUCTION}", headers=VARIANTS[1].headers(first)
    )
    assert deleted.status == 200
    purged = await gateway.get(paths[first.client_id], headers=VARIANTS[1].headers(first))
    assert purged.headers["X-Cache-Status"] == "MISS"
    kept = await gateway.get(paths[second.client_id], headers=VARIANTS[1].headers(second))
    assert kept.headers["X-Cache-Status"] == "HIT"


@pytest.mark.parametrize(
    ("path", "status", "loc"),
    [
        ("/cache/123", 422, ["path", "usage_point_id"]),
        (
            "/daily_consumption/{point}/start/2025-13-01/end/2025-01-02/cache",
            422,
            ["path", "start"],
        ),
        ("/daily_consumption/{point}/start/2025-01-01/end/tomorrow/cache", 422, ["path", "end"]),
        ("/daily_consumption/{point}/start/2025-01-05/end/2025-01-02/cache", 400, None),
    ],
)
async def test_bad_purge_parameters(
    gateway: Any, path: str, status: int, loc: list[str] | None
) -> None:
    account = await ready_account(gateway)
    answer = await gateway.delete(
        path.format(point=CONSUMPTION_AND_PRODUCTION), headers=VARIANTS[1].headers(account)
    )
    assert answer.status == status
    body = await answer.json()
    if loc is None:
        assert isinstance(body["detail"], str)
    else:
        assert_valid(body, "HTTPValidationError")
        assert body["detail"][0]["loc"] == loc
