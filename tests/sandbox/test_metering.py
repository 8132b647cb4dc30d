from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from gateway.enedis import upstream_errors as errors
from gateway.enedis.catalogue import BY_NAME

from .conftest import Sandbox, days_ago, last_sunday

DAILY = BY_NAME["daily_consumption"].path
CURVE = BY_NAME["consumption_load_curve"].path
MAX_POWER = BY_NAME["daily_consumption_max_power"].path
DAILY_PROD = BY_NAME["daily_production"].path
CURVE_PROD = BY_NAME["production_load_curve"].path

BOTH = "09100000000001"  # default customer: consumption + production
SECOND = "09100000000002"  # default customer: consumption only
PROD_ONLY = "09300000000001"
NO_CURVE = "09400000000001"
REVOKED = "09500000000001"
GAPS = "09600000000001"

TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}")


def _reading(body: dict[str, Any]) -> list[dict[str, str]]:
    return body["meter_reading"]["interval_reading"]  # type: ignore[no-any-return]


async def test_daily_consumption_shape(sandbox: Sandbox, today: date) -> None:
    start, end = days_ago(today, 10), days_ago(today, 0)
    status, body = await sandbox.get(DAILY, usage_point_id=BOTH, start=start, end=end)
    assert status == 200
    reading = body["meter_reading"]
    assert set(reading) == {
        "usage_point_id",
        "start",
        "end",
        "quality",
        "reading_type",
        "interval_reading",
    }
    assert (reading["usage_point_id"], reading["start"], reading["end"]) == (BOTH, start, end)
    assert reading["quality"] == "BRUT"
    assert reading["reading_type"] == {
        "measurement_kind": "energy",
        "measuring_period": "P1D",
        "unit": "Wh",
        "aggregate": "sum",
    }
    points = reading["interval_reading"]
    assert [p["date"] for p in points] == [days_ago(today, n) for n in range(10, 0, -1)]
    for p in points:
        assert set(p) == {"value", "date"}
        assert p["value"].isdigit() and 1000 < int(p["value"]) < 200_000


async def test_load_curve_shape(sandbox: Sandbox, today: date) -> None:
    start, end = days_ago(today, 3), days_ago(today, 1)
    status, body = await sandbox.get(CURVE, usage_point_id=BOTH, start=start, end=end)
    assert status == 200
    reading = body["meter_reading"]
    assert reading["reading_type"] == {
        "measurement_kind": "power",
        "unit": "W",
        "aggregate": "average",
    }
    points = reading["interval_reading"]
    first_day = today - timedelta(days=3)
    assert points[0]["date"] == f"{first_day.isoformat()} 00:30:00"
    assert points[-1]["date"] == f"{days_ago(today, 1)} 00:00:00"
    for p in points:
        assert set(p) == {"value", "date", "interval_length", "measure_type"}
        assert p["interval_length"] == "PT30M" and p["measure_type"] == "B"
        assert p["value"].isdigit()
        assert TIMESTAMP.fullmatch(p["date"])


async def test_max_power_shape(sandbox: Sandbox, today: date) -> None:
    status, body = await sandbox.get(
        MAX_POWER, usage_point_id=BOTH, start=days_ago(today, 5), end=days_ago(today, 0)
    )
    assert status == 200
    assert body["meter_reading"]["reading_type"] == {
        "measurement_kind": "power",
        "measuring_period": "P1D",
        "unit": "VA",
        "aggregate": "maximum",
    }
    points = _reading(body)
    assert len(points) == 5
    for n, p in zip(range(5, 0, -1), points, strict=True):
        assert TIMESTAMP.fullmatch(p["date"]) and p["date"].startswith(days_ago(today, n))


async def test_production_endpoints(sandbox: Sandbox, today: date) -> None:
    status, body = await sandbox.get(
        DAILY_PROD, usage_point_id=PROD_ONLY, start=days_ago(today, 30), end=days_ago(today, 0)
    )
    assert status == 200
    assert body["meter_reading"]["reading_type"]["unit"] == "Wh"
    assert len(_reading(body)) == 30
    status, body = await sandbox.get(
        CURVE_PROD, usage_point_id=BOTH, start=days_ago(today, 2), end=days_ago(today, 1)
    )
    assert status == 200
    points = _reading(body)
    night = [p for p in points if p["date"][11:13] in ("00", "01", "02", "03", "22", "23")]
    assert night and all(p["value"] == "0" for p in night)
    assert any(int(p["value"]) > 0 for p in points)


async def test_customer_endpoints(sandbox: Sandbox) -> None:
    status, body = await sandbox.get(
        "/customers_upc/v5/usage_points/contracts", usage_point_id=BOTH
    )
    assert status == 200
    assert body["customer"]["customer_id"] == "1358019319"
    [item] = body["customer"]["usage_points"]
    assert item["usage_point"] == {
        "usage_point_id": BOTH,
        "usage_point_status": "com",
        "meter_type": "AMM",
    }
    contracts = item["contracts"]
    assert contracts["segment"] == "C5" and contracts["subscribed_power"] == "9 kVA"
    assert {
        "last_activation_date",
        "distribution_tariff",
        "offpeak_hours",
        "contract_type",
        "contract_status",
        "last_distribution_tariff_change_date",
    } <= set(contracts)

    status, body = await sandbox.get(
        "/customers_upa/v5/usage_points/addresses", usage_point_id=SECOND
    )
    assert status == 200
    [item] = body["customer"]["usage_points"]
    address = item["usage_point"]["usage_point_addresses"]
    assert item["usage_point"]["usage_point_id"] == SECOND
    assert {"street", "postal_code", "insee_code", "city", "country", "geo_points"} <= set(address)
    assert set(address["geo_points"]) == {"latitude", "longitude", "altitude"}

    status, body = await sandbox.get("/customers_i/v5/identity", usage_point_id=BOTH)
    assert status == 200
    assert body == {
        "customer_id": "1358019319",
        "identity": {
            "natural_person": {"title": "Mme", "firstname": "Sandra", "lastname": "Thiébaut"}
        },
    }

    status, body = await sandbox.get("/customers_cd/v5/contact_data", usage_point_id=BOTH)
    assert status == 200
    assert body == {
        "customer_id": "1358019319",
        "contact": {"phone": "0245323491", "email": "sandra.thiebaut@example.fr"},
    }


@pytest.mark.parametrize("name", list(BY_NAME))
async def test_every_endpoint_is_deterministic(sandbox: Sandbox, today: date, name: str) -> None:
    endpoint = BY_NAME[name]
    params = {"usage_point_id": BOTH}
    if endpoint.is_ranged:
        params |= {"start": days_ago(today, 4), "end": days_ago(today, 1)}
    first = await sandbox.get(endpoint.path, **params)
    second = await sandbox.get(endpoint.path, **params)
    assert first[0] == 200
    assert first == second


async def test_data_is_per_point(sandbox: Sandbox, today: date) -> None:
    params = {"start": days_ago(today, 4), "end": days_ago(today, 1)}
    _, a = await sandbox.get(DAILY, usage_point_id=BOTH, **params)
    _, b = await sandbox.get(DAILY, usage_point_id=SECOND, **params)
    assert _reading(a) != _reading(b)


@pytest.mark.parametrize(
    ("usage_point_id", "path", "minutes"),
    [
        (BOTH, CURVE, 30),
        (BOTH, CURVE_PROD, 30),
        ("09700000000010", CURVE, 10),
        ("09700000000015", CURVE, 15),
        ("09700000000060", CURVE, 60),
    ],
)
async def test_load_curve_integrates_to_daily_and_peaks_to_max_power(
    sandbox: Sandbox, today: date, usage_point_id: str, path: str, minutes: int
) -> None:
    params = {
        "usage_point_id": usage_point_id,
        "start": days_ago(today, 7),
        "end": days_ago(today, 0),
    }
    _, curve = await sandbox.get(path, **params)
    daily_path = DAILY if path == CURVE else DAILY_PROD
    _, daily = await sandbox.get(daily_path, **params)
    points = _reading(curve)
    assert {p["interval_length"] for p in points} == {f"PT{minutes}M"}
    per_day = 24 * 60 // minutes
    assert len(points) in (7 * per_day, 7 * per_day - 60 // minutes, 7 * per_day + 60 // minutes)
    by_day: dict[str, list[dict[str, str]]] = {}
    for day_point, start in zip(_reading(daily), range(7), strict=True):
        day = days_ago(today, 7 - start)
        assert day_point["date"] == day
        by_day[day] = []
    for p in points:
        end = datetime.strptime(p["date"], "%Y-%m-%d %H:%M:%S")
        by_day[(end - timedelta(minutes=minutes)).date().isoformat()].append(p)
    for day_point in _reading(daily):
        values = [int(p["value"]) for p in by_day[day_point["date"]]]
        assert int(day_point["value"]) == round(sum(values) * minutes / 60)
    if path == CURVE:
        _, max_power = await sandbox.get(MAX_POWER, **params)
        for day_max in _reading(max_power):
            day_points = by_day[day_max["date"][:10]]
            peak = max(day_points, key=lambda p: int(p["value"]))
            assert day_max["value"] == peak["value"]
            peak_end = datetime.strptime(peak["date"], "%Y-%m-%d %H:%M:%S")
            # Dated at the start of the peak interval, so always on its own day.
            assert day_max["date"] == f"{peak_end - timedelta(minutes=minutes):%Y-%m-%d %H:%M:%S}"


@pytest.mark.parametrize(("month", "count"), [(3, 46), (10, 50)])
async def test_dst_days_have_23_or_25_hours(
    sandbox: Sandbox, today: date, month: int, count: int
) -> None:
    day = last_sunday(today.year - 1, month)
    status, body = await sandbox.get(
        CURVE, usage_point_id=BOTH, start=day.isoformat(), end=(day + timedelta(days=1)).isoformat()
    )
    assert status == 200
    points = _reading(body)
    assert len(points) == count
    assert points[0]["date"] == f"{day} 00:30:00"
    assert points[-1]["date"] == f"{day + timedelta(days=1)} 00:00:00"
    hours = [p["date"][11:16] for p in points]
    if month == 3:  # 02:00 -> 03:00: the interval ending 03:00 follows the one ending 01:30
        assert "02:00" not in hours and "02:30" not in hours
        assert hours[hours.index("01:30") + 1] == "03:00"
    else:  # 03:00 -> 02:00: the intervals ending 02:00 and 02:30 happen twice
        assert (hours.count("02:00"), hours.count("02:30"), hours.count("03:00")) == (2, 2, 1)


def _error(expected: errors.UpstreamError) -> tuple[int, dict[str, str]]:
    return expected.status, expected.body()


async def test_validation_errors(sandbox: Sandbox, today: date) -> None:
    yesterday, now = days_ago(today, 1), today.isoformat()
    tomorrow = (today + timedelta(days=1)).isoformat()
    ok = {"start": yesterday, "end": now}
    point = {"usage_point_id": BOTH}
    cases: list[tuple[str, dict[str, str], errors.UpstreamError]] = [
        (DAILY, ok, errors.USAGE_POINT_REQUIRED),
        (DAILY, {"usage_point_id": "9100000000001", **ok}, errors.USAGE_POINT_FORMAT),
        (DAILY, {**point, "end": now}, errors.START_REQUIRED),
        (DAILY, {**point, "start": yesterday}, errors.END_REQUIRED),
        (DAILY, {**point, "start": "2025/01/01", "end": now}, errors.START_FORMAT),
        (DAILY, {**point, "start": yesterday, "end": "2025-13-01"}, errors.END_FORMAT),
        (DAILY, {**point, "start": now, "end": yesterday}, errors.START_AFTER_END),
        (DAILY, {**point, "start": now, "end": tomorrow}, errors.END_IN_FUTURE),
        (CURVE, {**point, "start": days_ago(today, 8), "end": now}, errors.LOAD_CURVE_RANGE),
        (
            CURVE,
            {**point, "start": days_ago(today, 760), "end": days_ago(today, 758)},
            errors.HISTORY,
        ),
        (DAILY, {**point, "start": days_ago(today, 366), "end": now}, errors.DAILY_RANGE),
        (
            DAILY,
            {**point, "start": days_ago(today, 1120), "end": days_ago(today, 1100)},
            errors.HISTORY,
        ),
        ("/customers_i/v5/identity", {}, errors.USAGE_POINT_REQUIRED),
        (
            "/customers_cd/v5/contact_data",
            {"usage_point_id": "0910000000000x"},
            errors.USAGE_POINT_FORMAT,
        ),
    ]
    for path, params, expected in cases:
        assert await sandbox.get(path, **params) == _error(expected), (path, params)


async def test_limits_are_inclusive(sandbox: Sandbox, today: date) -> None:
    assert (
        await sandbox.get(
            CURVE, usage_point_id=BOTH, start=days_ago(today, 7), end=today.isoformat()
        )
    )[0] == 200
    assert (
        await sandbox.get(
            DAILY, usage_point_id=BOTH, start=days_ago(today, 365), end=today.isoformat()
        )
    )[0] == 200
    assert (
        await sandbox.get(
            CURVE, usage_point_id=BOTH, start=days_ago(today, 700), end=days_ago(today, 699)
        )
    )[0] == 200


@pytest.mark.parametrize("usage_point_id", [REVOKED, "12345678901234"])
@pytest.mark.parametrize("name", list(BY_NAME))
async def test_no_consent(sandbox: Sandbox, today: date, usage_point_id: str, name: str) -> None:
    endpoint = BY_NAME[name]
    params = {"usage_point_id": usage_point_id}
    if endpoint.is_ranged:
        params |= {"start": days_ago(today, 2), "end": days_ago(today, 1)}
    assert await sandbox.get(endpoint.path, **params) == _error(errors.NO_CONSENT)


async def test_wrong_direction(sandbox: Sandbox, today: date) -> None:
    dates = {"start": days_ago(today, 2), "end": days_ago(today, 1)}
    expected = _error(errors.WRONG_DIRECTION)
    for path in (DAILY_PROD, CURVE_PROD):
        assert await sandbox.get(path, usage_point_id=SECOND, **dates) == expected
    for path in (DAILY, CURVE, MAX_POWER):
        assert await sandbox.get(path, usage_point_id=PROD_ONLY, **dates) == expected


async def test_load_curve_not_activated(sandbox: Sandbox, today: date) -> None:
    dates = {"start": days_ago(today, 2), "end": days_ago(today, 1)}
    assert await sandbox.get(CURVE, usage_point_id=NO_CURVE, **dates) == _error(errors.NO_DATA_STM)
    assert (await sandbox.get(DAILY, usage_point_id=NO_CURVE, **dates))[0] == 200
    assert (await sandbox.get(MAX_POWER, usage_point_id=NO_CURVE, **dates))[0] == 200


def _previous_month(today: date) -> date:
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


async def test_gap_days_are_omitted(sandbox: Sandbox, today: date) -> None:
    month = _previous_month(today)
    start, end = month.replace(day=8).isoformat(), month.replace(day=15).isoformat()
    status, body = await sandbox.get(DAILY, usage_point_id=GAPS, start=start, end=end)
    assert status == 200
    assert [int(p["date"][8:]) for p in _reading(body)] == [8, 9, 13, 14]
    status, body = await sandbox.get(CURVE, usage_point_id=GAPS, start=start, end=end)
    assert status == 200
    assert len(_reading(body)) in (4 * 48 - 2, 4 * 48, 4 * 48 + 2)
    status, body = await sandbox.get(MAX_POWER, usage_point_id=GAPS, start=start, end=end)
    assert [int(p["date"][8:10]) for p in _reading(body)] == [8, 9, 13, 14]


@pytest.mark.parametrize("path", [DAILY, CURVE, MAX_POWER])
async def test_range_entirely_in_a_gap_is_404(sandbox: Sandbox, today: date, path: str) -> None:
    month = _previous_month(today)
    start, end = month.replace(day=10).isoformat(), month.replace(day=13).isoformat()
    assert await sandbox.get(path, usage_point_id=GAPS, start=start, end=end) == (
        404,
        {"error": "no_data_found", "error_description": "no measure found for this usage point"},
    )


async def test_stats_count_calls_per_endpoint(sandbox: Sandbox, today: date) -> None:
    dates = {"start": days_ago(today, 2), "end": days_ago(today, 1)}
    await sandbox.get(DAILY, usage_point_id=BOTH, **dates)
    await sandbox.get(DAILY, usage_point_id="bad", **dates)
    await sandbox.get("/customers_i/v5/identity", usage_point_id=BOTH)
    stats = await sandbox.stats()
    assert stats["calls"]["daily_consumption"] == 2
    assert stats["calls"]["identity"] == 1
    assert stats["calls"]["token"] == 1
    assert stats["total_calls"] == 3
    assert stats["max_calls_per_second"] == 3  # the manual clock never moved
    assert (stats["rate_limited"], stats["errors_injected"], stats["timeouts_injected"]) == (
        0,
        0,
        0,
    )
