"""The v5 mirror against the real sandbox, Valkey and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from gateway.enedis.catalogue import BY_NAME, ENDPOINTS, DataKind, history_deadline
from gateway.enedis.rules import paris_today
from tests.conftest import Services
from tests.support.journey import ready_account
from tests.support.sandbox import (
    CONSUMPTION_AND_PRODUCTION,
    OTHER_CUSTOMER_POINT,
    direct,
    query,
    recent_range,
)
from tests.support.upstream import comparable_v5, data_calls, upstream_calls, upstream_names


async def test_every_endpoint_round_trips_equal_to_the_sandbox(
    gateway: Any, clean_services: Services
) -> None:
    account = await ready_account(gateway)
    start, end = recent_range(6)
    fetched: set[str] = set()  # under 2026, customer endpoints share contract-data sections
    for endpoint in ENDPOINTS:
        params = query(CONSUMPTION_AND_PRODUCTION, endpoint, start, end)
        names = set(upstream_names(endpoint.name))
        first = "HIT" if names <= fetched else "MISS"
        fetched |= names
        status, expected = await direct(clean_services.reference_url, endpoint, params)
        assert status == 200, (endpoint.name, expected)
        customer = endpoint.kind is DataKind.CUSTOMER
        expected = comparable_v5(expected, customer)
        answer = await gateway.get(endpoint.path, params=params, headers=account.bearer)
        assert answer.status == 200, (endpoint.name, await answer.text())
        assert answer.headers["X-Cache-Status"] in {first, "PARTIAL"}, endpoint.name
        assert comparable_v5(await answer.json(), customer) == expected, endpoint.name
        again = await gateway.get(
            endpoint.path + "/",
            params=params,
            headers={**account.bearer, "Content-Type": "application/json"},
        )
        assert again.status == 200
        assert again.headers["X-Cache-Status"] == "HIT", endpoint.name
        assert comparable_v5(await again.json(), customer) == expected, endpoint.name


async def test_basic_auth_works_like_bearer(gateway: Any) -> None:
    account = await ready_account(gateway)
    start, end = recent_range(3)
    endpoint = BY_NAME["daily_consumption"]
    answer = await gateway.get(
        endpoint.path,
        params=query(CONSUMPTION_AND_PRODUCTION, endpoint, start, end),
        auth=account.basic,
    )
    assert answer.status == 200


@pytest.mark.parametrize(
    ("params", "status", "error"),
    [
        (
            {"usage_point_id": "123", "start": "2025-01-01", "end": "2025-01-02"},
            400,
            "Invalid_request",
        ),
        ({"start": "2025-01-01", "end": "2025-01-02"}, 400, "Invalid_request"),
        (
            {
                "usage_point_id": CONSUMPTION_AND_PRODUCTION,
                "start": "01/01/2025",
                "end": "2025-01-02",
            },
            400,
            "invalid_request",
        ),
        (
            {
                "usage_point_id": CONSUMPTION_AND_PRODUCTION,
                "start": "2025-01-05",
                "end": "2025-01-02",
            },
            400,
            "invalid_request",
        ),
        (
            {
                "usage_point_id": CONSUMPTION_AND_PRODUCTION,
                "start": "2025-01-05",
                "end": "2999-01-02",
            },
            400,
            "invalid_request",
        ),
        (
            {
                "usage_point_id": CONSUMPTION_AND_PRODUCTION,
                "start": "2001-01-05",
                "end": "2001-01-08",
            },
            400,
            "ADAM-ERR0125",
        ),
    ],
)
async def test_bad_requests_refused_like_enedis_without_an_upstream_call(
    gateway: Any, clean_services: Services, params: dict[str, str], status: int, error: str
) -> None:
    account = await ready_account(gateway)
    endpoint = BY_NAME["daily_consumption"]
    expected_status, expected = await direct(clean_services.reference_url, endpoint, params)
    clean_services.sandbox_call("POST", "/__sandbox/reset")
    answer = await gateway.get(endpoint.path, params=params, headers=account.bearer)
    body = await answer.json()
    assert (answer.status, body["error"]) == (status, error)
    # Enedis' body, word for word (the sandbox answers exactly as Enedis does), and the
    # gateway's hint beside it for some (a key Enedis' clients ignore)
    assert set(expected) == {"error", "error_description"}
    body.pop("hint", None)
    assert (answer.status, body) == (expected_status, expected)
    assert data_calls(clean_services.sandbox_stats()) == 0


async def test_enedis_errors_carry_the_gateway_s_hint(gateway: Any) -> None:
    account = await ready_account(gateway)
    endpoint = BY_NAME["daily_consumption"]
    today = paris_today()

    async def refusal(**params: str) -> dict[str, Any]:
        answer = await gateway.get(endpoint.path, params=params, headers=account.bearer)
        assert answer.status == 400, await answer.text()
        body: dict[str, Any] = await answer.json()
        return body

    point = CONSUMPTION_AND_PRODUCTION
    future = await refusal(
        usage_point_id=point, start=str(today), end=str(today + timedelta(days=1))
    )
    assert future["error_description"] == (
        "The end date parameter must be earlier than the current date."
    )
    assert "excluded" in future["hint"] and str(today) in future["hint"]
    old = await refusal(usage_point_id=point, start="2001-01-05", end="2001-01-08")
    assert old["error"] == "ADAM-ERR0125"
    deadline = history_deadline(endpoint, today)
    assert f"earliest start date allowed today is {deadline}" in old["hint"]
    malformed = await refusal(usage_point_id="123", start="2025-01-01", end="2025-01-02")
    assert malformed["error"] == "Invalid_request"
    assert "'invalid_request'" in malformed["hint"] and "14-digit" in malformed["hint"]
    # errors whose Enedis text says it all carry no hint
    reversed_range = await refusal(usage_point_id=point, start="2025-01-05", end="2025-01-02")
    assert "hint" not in reversed_range
    # the legacy surface (the gateway's own texts) says the same in its detail
    answer = await gateway.get(
        f"/daily_consumption/{point}/start/2001-01-05/end/2001-01-08", headers=account.bearer
    )
    assert answer.status == 400
    assert f"is {deadline}" in (await answer.json())["detail"]


async def test_a_point_without_consent_through_the_gateway_is_403(
    gateway: Any, clean_services: Services
) -> None:
    account = await ready_account(gateway)
    endpoint = BY_NAME["daily_consumption"]
    start, end = recent_range(3)
    for point in (OTHER_CUSTOMER_POINT, "12345678901234"):
        answer = await gateway.get(
            endpoint.path, params=query(point, endpoint, start, end), headers=account.bearer
        )
        assert answer.status == 403
        body = await answer.json()
        assert body["error"] == "GW-NO-CONSENT"
        assert "/oauth/authorize" in body["error_description"]  # how to fix it
    assert upstream_calls(clean_services.sandbox_stats(), "daily_consumption") == 0


async def test_missing_credentials_are_401_in_the_enedis_dialect(gateway: Any) -> None:
    endpoint = BY_NAME["daily_consumption"]
    answer = await gateway.get(endpoint.path, params={"usage_point_id": CONSUMPTION_AND_PRODUCTION})
    assert answer.status == 401
    assert "error" in await answer.json()


async def test_a_30_day_load_curve_costs_exactly_5_upstream_calls(
    gateway: Any, clean_services: Services
) -> None:
    account = await ready_account(gateway)
    endpoint = BY_NAME["consumption_load_curve"]
    start, end = recent_range(30)
    answer = await gateway.get(
        endpoint.path,
        params=query(CONSUMPTION_AND_PRODUCTION, endpoint, start, end),
        headers=account.bearer,
    )
    assert answer.status == 200, await answer.text()
    stats = clean_services.sandbox_stats()
    assert upstream_calls(stats, "consumption_load_curve") == 5
    body = (await answer.json())["meter_reading"]
    assert (body["start"], body["end"]) == (start.isoformat(), end.isoformat())
    expected: list[Any] = []
    cursor = start
    while cursor < end:
        stop = min(end, cursor + timedelta(days=7))
        _, part = await direct(
            clean_services.reference_url,
            endpoint,
            query(CONSUMPTION_AND_PRODUCTION, endpoint, cursor, stop),
        )
        expected.extend(part["meter_reading"]["interval_reading"])
        cursor = stop
    assert body["interval_reading"] == expected


async def test_a_daily_range_over_365_days_is_split(gateway: Any, clean_services: Services) -> None:
    account = await ready_account(gateway)
    endpoint = BY_NAME["daily_consumption"]
    start, end = recent_range(400)
    answer = await gateway.get(
        endpoint.path,
        params=query(CONSUMPTION_AND_PRODUCTION, endpoint, start, end),
        headers=account.bearer,
    )
    assert answer.status == 200, await answer.text()
    readings = (await answer.json())["meter_reading"]["interval_reading"]
    assert len(readings) == 400
    assert upstream_calls(clean_services.sandbox_stats(), "daily_consumption") == 2


async def test_100_identical_concurrent_requests_make_one_upstream_call(
    gateway: Any, clean_services: Services
) -> None:
    account = await ready_account(gateway)
    endpoint = BY_NAME["daily_consumption"]
    params = query(CONSUMPTION_AND_PRODUCTION, endpoint, *recent_range(30))
    clean_services.sandbox_call("POST", "/__sandbox/faults", {"latency_ms": 300})
    answers = await asyncio.gather(
        *(gateway.get(endpoint.path, params=params, headers=account.bearer) for _ in range(100))
    )
    # one call reserved once: the account's 50 upstream calls a day are not 100 reservations
    bad = [(a.status, await a.text()) for a in answers if a.status != 200]
    assert not bad, bad[:3]
    assert upstream_calls(clean_services.sandbox_stats(), "daily_consumption") == 1


async def _first_answer_under_limits(
    aiohttp_client: Any, clean_services: Services, **limits: str
) -> tuple[Any, Any, Any]:
    """A gateway with the daily allowances ``limits``, a consented account, and the answer
    to its first request (three recent days of daily consumption: one upstream call)."""
    from gateway.app import build_app
    from gateway.config import Settings

    client = await aiohttp_client(build_app(Settings.from_env(clean_services.env(**limits))))
    account = await ready_account(client)
    endpoint = BY_NAME["daily_consumption"]
    first = await client.get(
        endpoint.path,
        params=query(CONSUMPTION_AND_PRODUCTION, endpoint, *recent_range(3)),
        headers=account.bearer,
    )
    return client, account, first


async def test_identical_requests_over_the_quota_are_all_refused(
    aiohttp_client: Any, clean_services: Services
) -> None:
    """The request reserving a call several identical requests share is refused: the
    others, waiting to join it, are refused too (no call made past the allowance)."""
    client, account, first = await _first_answer_under_limits(
        aiohttp_client, clean_services, USER_DAILY_LIMIT_NO_CACHE="1"
    )
    endpoint = BY_NAME["daily_consumption"]
    assert first.status == 200  # the allowance's one call
    calls_before = data_calls(clean_services.sandbox_stats())
    params = query(CONSUMPTION_AND_PRODUCTION, endpoint, *recent_range(3, 9))
    answers = await asyncio.gather(
        *(client.get(endpoint.path, params=params, headers=account.bearer) for _ in range(20))
    )
    assert [answer.status for answer in answers] == [429] * 20
    assert {(await answer.json())["error"] for answer in answers} == {"GW-QUOTA-EXCEEDED"}
    assert data_calls(clean_services.sandbox_stats()) == calls_before


async def test_an_exhausted_quota_is_429_with_headers_and_no_upstream_call(
    aiohttp_client: Any, clean_services: Services
) -> None:
    client, account, first = await _first_answer_under_limits(
        aiohttp_client,
        clean_services,
        USER_DAILY_LIMIT_NO_CACHE="2",
        USER_DAILY_LIMIT_WITH_CACHE="1",
    )
    endpoint = BY_NAME["daily_consumption"]
    assert first.status == 200
    assert first.headers["X-RateLimit-Limit"] == "2"
    assert first.headers["X-RateLimit-Remaining"] == "1"
    assert first.headers["RateLimit-Policy"] == '"upstream";q=2;w=86400'
    assert first.headers["RateLimit"].startswith('"upstream";r=1;t=')
    # two more upstream calls are needed: refused up front
    long = await client.get(
        endpoint.path,
        params=query(CONSUMPTION_AND_PRODUCTION, endpoint, *recent_range(400, 10)),
        headers=account.bearer,
    )
    assert long.status == 429
    assert int(long.headers["Retry-After"]) > 0
    second = await client.get(
        endpoint.path,
        params=query(CONSUMPTION_AND_PRODUCTION, endpoint, *recent_range(3, 5)),
        headers=account.bearer,
    )
    assert second.status == 200
    calls_before = data_calls(clean_services.sandbox_stats())
    third = await client.get(
        endpoint.path,
        params=query(CONSUMPTION_AND_PRODUCTION, endpoint, *recent_range(3, 9)),
        headers=account.bearer,
    )
    assert third.status == 429
    body = await third.json()
    assert body["error"] == "GW-QUOTA-EXCEEDED"
    assert third.headers["X-RateLimit-Remaining"] == "0"
    assert "RateLimit" in third.headers and "Retry-After" in third.headers
    assert data_calls(clean_services.sandbox_stats()) == calls_before
    # cached answers have their own allowance: one, then 429
    hit = await client.get(
        endpoint.path,
        params=query(CONSUMPTION_AND_PRODUCTION, endpoint, *recent_range(3)),
        headers=account.bearer,
    )
    assert hit.status == 200 and hit.headers["X-Cache-Status"] == "HIT"
    refused = await client.get(
        endpoint.path,
        params=query(CONSUMPTION_AND_PRODUCTION, endpoint, *recent_range(3)),
        headers=account.bearer,
    )
    assert refused.status == 429


async def test_history_depth_enforced_but_long_ranges_allowed(gateway: Any) -> None:
    account = await ready_account(gateway)
    endpoint = BY_NAME["consumption_load_curve"]
    today = paris_today()
    too_old = query(
        CONSUMPTION_AND_PRODUCTION,
        endpoint,
        today - timedelta(days=800),
        today - timedelta(days=790),
    )
    answer = await gateway.get(endpoint.path, params=too_old, headers=account.bearer)
    assert answer.status == 400
    assert (await answer.json())["error"] == "ADAM-ERR0125"
