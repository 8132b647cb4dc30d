"""Model entries from one upstream answer, whichever generation gave it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from gateway.cache.store import Entry
from gateway.data.days import day_of, each_day
from gateway.data.model import Point, SeriesMeta
from gateway.enedis.upstream_call import UpstreamCall

#: An adapter's reading of a measurement answer: its series' description and its points.
SeriesParser = Callable[[dict[str, Any]], tuple[SeriesMeta, list[Point]]]


def entries_of(call: UpstreamCall, body: Any, parse: SeriesParser) -> dict[date | str, Entry]:
    """The entries a call's answer makes: its contract-data section, or each day of its
    range with that day's points (no point, or no answer at all: a day without data)."""
    if call.section is not None:
        return {call.section: Entry(None, {}, 0.0, body=body)}
    assert call.start is not None and call.end is not None
    if not isinstance(body, dict):
        return {day: Entry(None, {}, 0.0) for day in each_day(call.start, call.end)}
    meta, points = parse(body)
    per_day: dict[date, list[Point]] = {}
    for point in points:
        stamp = point.get("d")
        if isinstance(stamp, str) and len(stamp) >= 10:
            per_day.setdefault(day_of(call.endpoint, stamp), []).append(point)
    dumped = meta.dump()
    entries: dict[date | str, Entry] = {}
    for day in each_day(call.start, call.end):
        day_points = per_day.get(day)
        entries[day] = Entry(day_points or None, dumped if day_points else {}, 0.0)
    return entries
