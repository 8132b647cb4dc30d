"""Splitting Enedis answers into days and putting days back together.

A day ``D`` of a load curve holds the points stamped after ``D 00:00:00`` up to and
including ``D+1 00:00:00`` (timestamps mark the end of each interval). Daily values are
dated ``D``; a day's max power is dated ``D HH:MM:SS``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from typing import Any

from gateway.enedis.catalogue import DataKind, Endpoint

Reading = dict[str, Any]


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


def split_range(start: date, end: date, max_days: int | None) -> list[tuple[date, date]]:
    """[start, end[ cut into upstream-sized calls."""
    if max_days is None:
        return [(start, end)]
    cuts = []
    cursor = start
    while cursor < end:
        stop = min(end, cursor + timedelta(days=max_days))
        cuts.append((cursor, stop))
        cursor = stop
    return cuts


def day_of(endpoint: Endpoint, stamp: str) -> date:
    """The day a reading belongs to."""
    day = date.fromisoformat(stamp[:10])
    if endpoint.kind is DataKind.LOAD_CURVE and stamp[11:19] == "00:00:00":
        return day - timedelta(days=1)
    return day


def readings_by_day(
    endpoint: Endpoint, body: dict[str, Any]
) -> tuple[dict[date, list[Reading]], dict[str, Any]]:
    """The readings of an upstream answer per day, and the rest of ``meter_reading``."""
    meter_reading = dict(body.get("meter_reading") or {})
    readings = meter_reading.pop("interval_reading", None) or []
    per_day: dict[date, list[Reading]] = {}
    for reading in readings:
        stamp = reading.get("date")
        if not isinstance(stamp, str) or len(stamp) < 10:
            continue
        per_day.setdefault(day_of(endpoint, stamp), []).append(reading)
    return per_day, meter_reading


def assemble(
    usage_point_id: str,
    start: date,
    end: date,
    meta: dict[str, Any],
    days: Iterable[list[Reading]],
) -> dict[str, Any]:
    """An Enedis-shaped answer for [start, end[ from per-day readings in day order."""
    meter_reading: dict[str, Any] = dict(meta)  # Enedis' own order of the fields
    meter_reading["usage_point_id"] = usage_point_id
    meter_reading["start"] = start.isoformat()
    meter_reading["end"] = end.isoformat()
    readings: list[Reading] = []
    for day in days:
        readings.extend(day)
    meter_reading["interval_reading"] = readings
    return {"meter_reading": meter_reading}


def expected_points(readings: list[Reading]) -> int | None:
    """How many points a complete load-curve day has, from its interval length."""
    for reading in readings:
        length = str(reading.get("p", ""))
        if length.startswith("PT") and length.endswith("M") and length[2:-1].isdigit():
            minutes = int(length[2:-1])
            return (24 * 60) // minutes if minutes else None
    return None
