"""The 2026 surface: Enedis Data Connect 2026's paths on the gateway, bodies equal to
Enedis' (the sandbox), one cached day answering every surface."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.enedis.catalogue import BY_NAME, CONTRACT_APIS, MEASURE_OPERATIONS, Measure
from tests.conftest import Services
from tests.support.journey import ready_account
from tests.support.sandbox import CONSUMPTION_AND_PRODUCTION, direct, query, recent_range
from tests.support.upstream import ENEDIS_API, data_calls, upstream_calls

pytestmark = pytest.mark.skipif(ENEDIS_API != "2026", reason="the 2026 upstream only")


def _params(operation: Any, start: Any, end: Any) -> dict[str, str]:
    params = {
        "pointId": CONSUMPTION_AND_PRODUCTION,
        "dateDebut": start.isoformat(),
        "dateFin": end.isoformat(),
    }
    if operation.measure is Measure.MAX_POWER:
        params |= {"mesuresPas": "P1D", "grandeurPhysique": "PMA"}
    return params


async def test_every_2026_route_round_trips_equal_to_the_sandbox(
    gateway: Any, clean_services: Services
) -> None:
    account = await ready_account(gateway)
    start, end = recent_range(3)
    for operation in MEASURE_OPERATIONS:
        params = _params(operation, start, end)
        status, expected = await direct(clean_services.sandbox_url, operation.path, params)
        assert status == 200, (operation.name, expected)
        answer = await gateway.get(operation.path, params=params, headers=account.bearer)
        assert answer.status == 200, (operation.name, await answer.text())
        assert await answer.json() == expected, operation.name
        again = await gateway.get(operation.path, params=params, headers=account.bearer)
        assert again.headers["X-Cache-Status"] == "HIT", operation.name
        assert await again.json() == expected, operation.name
    # monthly maxima from the cached daily ones, equal to Enedis' P1M answer
    max_power = next(op for op in MEASURE_OPERATIONS if op.measure is Measure.MAX_POWER)
    monthly = {**_params(max_power, *recent_range(60)), "mesuresPas": "P1M"}
    status, expected = await direct(clean_services.sandbox_url, max_power.path, monthly)
    assert status == 200, expected
    answer = await gateway.get(max_power.path, params=monthly, headers=account.bearer)
    assert answer.status == 200, await answer.text()
    assert await answer.json() == expected
    for contract_api in CONTRACT_APIS:
        path = contract_api.path(CONSUMPTION_AND_PRODUCTION)
        status, expected = await direct(clean_services.sandbox_url, path, {})
        assert status == 200, (contract_api.name, expected)
        answer = await gateway.get(path, headers=account.bearer)
        assert answer.status == 200, (contract_api.name, await answer.text())
        assert await answer.json() == expected, contract_api.name


async def test_a_long_range_is_split_and_checked_before_any_call(
    gateway: Any, clean_services: Services
) -> None:
    account = await ready_account(gateway)
    curve = next(op for op in MEASURE_OPERATIONS if op.name == "courbe_de_charge_consommation")
    start, end = recent_range(20)
    answer = await gateway.get(
        curve.path, params=_params(curve, start, end), headers=account.bearer
    )
    assert answer.status == 200, await answer.text()
    points = (await answer.json())["grandeur"][0]["points"]
    assert len(points) >= 20 * 46
    assert upstream_calls(clean_services.sandbox_stats(), "consumption_load_curve") == 3
    before = data_calls(clean_services.sandbox_stats())
    for params, field in [
        ({**_params(curve, start, end), "usage_point_id": "x"}, "usage_point_id"),
        ({**_params(curve, start, end), "pointId": "123"}, "pointId"),
        ({**_params(curve, start, end), "dateFin": "2020-13-01"}, "dateFin"),
        ({**_params(curve, end, start)}, "dateFin"),
        ({"pointId": CONSUMPTION_AND_PRODUCTION, "dateDebut": start.isoformat()}, "dateFin"),
    ]:
        refused = await gateway.get(curve.path, params=params, headers=account.bearer)
        assert refused.status == 400, await refused.text()
        body = await refused.json()
        assert set(body) == {"code", "message"} and body["message"].startswith(field), body
    contract = CONTRACT_APIS[0].path(CONSUMPTION_AND_PRODUCTION)
    refused = await gateway.get(contract, params={"pointId": "1"}, headers=account.bearer)
    assert refused.status == 400
    assert data_calls(clean_services.sandbox_stats()) == before


async def test_one_cached_day_answers_v5_2026_and_legacy(
    gateway: Any, clean_services: Services
) -> None:
    account = await ready_account(gateway)
    start, end = recent_range(4)
    daily = BY_NAME["daily_consumption"]
    operation = next(op for op in MEASURE_OPERATIONS if op.v5 == daily.name)
    first = await gateway.get(
        daily.path,
        params=query(CONSUMPTION_AND_PRODUCTION, daily, start, end),
        headers=account.bearer,
    )
    assert first.headers["X-Cache-Status"] == "MISS"
    mirror = await gateway.get(
        operation.path, params=_params(operation, start, end), headers=account.bearer
    )
    assert mirror.headers["X-Cache-Status"] == "HIT"
    legacy = await gateway.get(
        f"/daily_consumption/{CONSUMPTION_AND_PRODUCTION}/start/{start}/end/{end}/cache",
        headers=account.bearer,
    )
    assert legacy.headers["X-Cache-Status"] == "HIT"
    v5_values = [r["value"] for r in (await first.json())["meter_reading"]["interval_reading"]]
    mirror_values = [p["v"] for p in (await mirror.json())["grandeur"][0]["points"]]
    assert v5_values == mirror_values
    assert upstream_calls(clean_services.sandbox_stats(), "daily_consumption") == 1
    assert clean_services.sandbox_stats()["calls_by_generation"]["v5"] == 0
