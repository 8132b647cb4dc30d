"""Days: which day a point belongs to, runs of days, complete load-curve days.

A day ``D`` of a load curve holds the points stamped after ``D 00:00:00`` up to and
including ``D+1 00:00:00`` (timestamps mark the end of each interval). Daily values are
dated ``D``; a day's max power is dated ``D HH:MM:SS``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, timedelta

from gateway.data.model import Point
from gateway.enedis.catalogue import DataKind, Endpoint


def each_day(start: date, end: date) -> Iterator[date]:
    day = start
    while day < end:
        yield day
        day += timedelta(days=1)


def runs(days: Iterable[date], max_days: int | None) -> list[tuple[date, date]]:
    """Consecutive days grouped into [start, end[ runs of at most ``max_days`` days."""
    result: list[tuple[date, date]] = []
    run_start: date | None = None
    previous: date | None = None
    for day in sorted(days):
        if (
            run_start is None
            or previous is None
            or day != previous + timedelta(days=1)
            or (max_days is not None and (day - run_start).days >= max_days)
        ):
            if run_start is not None and previous is not None:
                result.append((run_start, previous + timedelta(days=1)))
            run_start = day
        previous = day
    if run_start is not None and previous is not None:
        result.append((run_start, previous + timedelta(days=1)))
    return result


def day_of(endpoint: Endpoint, stamp: str) -> date:
    """The day a reading belongs to."""
    day = date.fromisoformat(stamp[:10])
    if endpoint.kind is DataKind.LOAD_CURVE and stamp[11:19] == "00:00:00":
        return day - timedelta(days=1)
    return day


def expected_points(readings: list[Point]) -> int | None:
    """How many points a complete load-curve day has, from its interval length."""
    for reading in readings:
        length = str(reading.get("p", ""))
        if length.startswith("PT") and length.endswith("M") and length[2:-1].isdigit():
            minutes = int(length[2:-1])
            return (24 * 60) // minutes if minutes else None
    return None
