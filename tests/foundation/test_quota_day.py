"""The UTC day of the quota counters and the seconds to their reset, around midnight."""

from __future__ import annotations

from datetime import UTC, datetime

from gateway.quota import seconds_to_reset, utc_day

MIDNIGHT = datetime(2027, 1, 1, tzinfo=UTC).timestamp()


def test_the_day_changes_at_midnight_utc() -> None:
    assert utc_day(MIDNIGHT - 0.000001) == "20261231"
    assert utc_day(MIDNIGHT) == "20270101"
    assert utc_day(datetime(2028, 2, 29, 23, 59, 59, tzinfo=UTC)) == "20280229"
    assert utc_day(datetime(2028, 2, 29, 23, 59, 59)) == "20280229"  # naive: UTC


def test_seconds_to_reset_around_midnight() -> None:
    assert seconds_to_reset(MIDNIGHT) == 86400
    assert seconds_to_reset(MIDNIGHT + 0.5) == 86399
    assert seconds_to_reset(MIDNIGHT - 1) == 1
    assert seconds_to_reset(MIDNIGHT - 0.25) == 1  # never 0
    assert seconds_to_reset(datetime(2026, 12, 31, 12, 0, tzinfo=UTC)) == 43200


def test_the_current_time_by_default() -> None:
    now = datetime.now(UTC)
    assert utc_day() in {now.strftime("%Y%m%d"), utc_day(now.timestamp() + 1)}
    assert 1 <= seconds_to_reset() <= 86400
