from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from gateway.enedis import upstream_errors as errors
from gateway.enedis.catalogue import BY_NAME, Endpoint
from gateway.enedis.rules import (
    EnedisError,
    paris_today,
    parse_date,
    validate_range,
    validate_usage_point_id,
)

DAILY = BY_NAME["daily_consumption"]
CURVE = BY_NAME["consumption_load_curve"]
TODAY = date(2025, 6, 20)


def _err(exc: pytest.ExceptionInfo[EnedisError]) -> tuple[int, dict[str, str]]:
    return exc.value.status, exc.value.body()


def test_enedis_error() -> None:
    e = EnedisError(403, "ADAM-DC-0008", "No consent")
    assert (e.status, e.error, e.error_description) == (403, "ADAM-DC-0008", "No consent")
    assert e.body() == {"error": "ADAM-DC-0008", "error_description": "No consent"}
    assert "403" in str(e)


def test_paris_today() -> None:
    # 22:30 UTC on 20 June is 00:30 on 21 June in Paris (UTC+2); naive means UTC.
    assert paris_today(datetime(2025, 6, 20, 22, 30, tzinfo=UTC)) == date(2025, 6, 21)
    assert paris_today(datetime(2025, 6, 20, 22, 30)) == date(2025, 6, 21)
    assert paris_today(datetime(2025, 1, 20, 22, 30, tzinfo=UTC)) == date(2025, 1, 20)
    assert isinstance(paris_today(), date)


def test_usage_point_id() -> None:
    assert validate_usage_point_id("09100000000001") == "09100000000001"
    for missing in (None, ""):
        with pytest.raises(EnedisError) as exc:
            validate_usage_point_id(missing)
        assert _err(exc) == (
            400,
            {
                "error": "Invalid_request",
                "error_description": "usage_point_id parameter is required.",
            },
        )
    for bad in (
        "0910000000000",
        "091000000000011",
        "0910000000000a",
        "٠٩١٠٠٠٠٠٠٠٠٠٠١",
        " 9100000000001",
    ):
        with pytest.raises(EnedisError) as exc:
            validate_usage_point_id(bad)
        assert _err(exc) == (
            400,
            {
                "error": "Invalid_request",
                "error_description": "usage_point_id parameter must be 14 digits long.",
            },
        )


@pytest.mark.parametrize(
    ("value", "field", "message"),
    [
        (None, "start", "Start date parameter is required."),
        ("", "end", "End date parameter is required."),
        ("2025-02-30", "start", "start date parameter must be in the format yyyy-mm-dd."),
        ("2025-6-01", "start", "start date parameter must be in the format yyyy-mm-dd."),
        ("20250601", "end", "end date parameter must be in the format yyyy-mm-dd."),
        ("2025-06-01T00:00", "end", "end date parameter must be in the format yyyy-mm-dd."),
        (
            "\uff12\uff10\uff12\uff15-06-01",
            "end",
            "end date parameter must be in the format yyyy-mm-dd.",
        ),
    ],
)
def test_parse_date_errors(value: str | None, field: str, message: str) -> None:
    with pytest.raises(EnedisError) as exc:
        parse_date(value, field)  # type: ignore[arg-type]
    assert _err(exc) == (400, {"error": "invalid_request", "error_description": message})


def test_parse_date_ok() -> None:
    assert parse_date("2024-02-29", "start") == date(2024, 2, 29)


def test_range_ok() -> None:
    assert validate_range(DAILY, "2025-01-01", "2025-06-20", today=TODAY) == (
        date(2025, 1, 1),
        date(2025, 6, 20),
    )
    assert validate_range(CURVE, "2025-06-13", "2025-06-20", today=TODAY)[1] == TODAY


@pytest.mark.parametrize(
    ("endpoint", "start", "end", "expected"),
    [
        (DAILY, "x", "y", errors.START_FORMAT),
        (DAILY, "2025-01-01", "y", errors.END_FORMAT),
        (DAILY, "2025-01-02", "2025-01-02", errors.START_AFTER_END),
        (DAILY, "2025-01-03", "2025-01-02", errors.START_AFTER_END),
        (DAILY, "2025-06-19", "2025-06-21", errors.END_IN_FUTURE),
        (CURVE, "2023-06-04", "2023-06-06", errors.HISTORY),
        (DAILY, "2022-06-04", "2022-06-06", errors.HISTORY),
        (CURVE, "2025-06-12", "2025-06-20", errors.LOAD_CURVE_RANGE),
        (DAILY, "2024-06-19", "2025-06-20", errors.DAILY_RANGE),
    ],
)
def test_range_errors(
    endpoint: Endpoint, start: str, end: str, expected: errors.UpstreamError
) -> None:
    with pytest.raises(EnedisError) as exc:
        validate_range(endpoint, start, end, today=TODAY)
    assert _err(exc) == (expected.status, expected.body())


def test_range_check_order_start_format_first() -> None:
    # Both dates bad: the start is reported.
    with pytest.raises(EnedisError) as exc:
        validate_range(DAILY, None, "bad", today=TODAY)
    assert exc.value.error_description == "Start date parameter is required."
    # Too long AND too old: history is reported before the per-call maximum.
    with pytest.raises(EnedisError) as exc:
        validate_range(CURVE, "2020-01-01", "2025-01-01", today=TODAY)
    assert exc.value.error == "ADAM-ERR0125"


def test_history_deadline_boundary() -> None:
    assert validate_range(CURVE, "2023-06-05", "2023-06-06", today=TODAY)[0] == date(2023, 6, 5)
    assert validate_range(DAILY, "2022-06-05", "2022-06-06", today=TODAY)[0] == date(2022, 6, 5)


def test_max_days_override_and_skip() -> None:
    start = (TODAY - timedelta(days=30)).isoformat()
    assert validate_range(CURVE, start, TODAY.isoformat(), today=TODAY, enforce_max_days=False)
    with pytest.raises(EnedisError) as exc:
        validate_range(DAILY, "2025-06-01", "2025-06-20", today=TODAY, max_days=10)
    assert "10 days" in exc.value.error_description
    assert validate_range(DAILY, "2025-06-10", "2025-06-20", today=TODAY, max_days=10)
    two_years = "2023-06-20"
    assert validate_range(DAILY, two_years, "2025-06-20", today=TODAY, enforce_max_days=False)


def test_customer_endpoint_has_no_range() -> None:
    with pytest.raises(ValueError, match="no date range"):
        validate_range(BY_NAME["contracts"], "2025-01-01", "2025-01-02", today=TODAY)
