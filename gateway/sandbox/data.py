"""Deterministic meter data: one load curve per (usage point, day, direction).

Everything derives from the day's load curve, so endpoints agree with one another:

- the curve holds one average power (integer W) per interval of the meter's length, at
  interval ENDS in local Europe/Paris time (23 or 25 hours on DST days);
- daily energy (Wh) is ``round(sum(P * interval_hours))``;
- daily max power (VA) is the curve's peak, dated at the START of the peak interval
  (so it always falls on its own day).

Meter indexes (Data Connect 2026 ``index_*``) derive from the same days: the index of a
tariff class dated day D is the reading at D 00:00 (local), a per-point offset plus the
class's energy of every day from ``INDEX_ORIGIN`` to D-1, so ``index(D+1) - index(D)`` is
day D's energy. A day's energy splits into HC/HP by the off-peak hours of the contract
(interval middles inside ``offpeak_hours`` are HC, rounded, HP gets the rest so that the
classes add up to the daily energy); base contracts and production have one class BASE.
Gap days add nothing (the meter recorded nothing).

The random draws of a day are seeded from a hash of (usage point, day, direction) on a
private ``random.Random``: no global random state, same answer on every call and run.
Days are cached in an LRU, and a day costs a few microseconds to build.
"""

from __future__ import annotations

import functools
import hashlib
import math
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from gateway.enedis.catalogue import Direction
from gateway.enedis.rules import PARIS
from gateway.sandbox.customers import UsagePoint

__all__ = [
    "DEFAULT_INTERVAL_MINUTES",
    "INDEX_ORIGIN",
    "DayCurve",
    "day_curve",
    "day_indexes",
    "format_timestamp",
    "index_classes",
    "interval_ends",
]

#: Interval used internally for meters without load-curve recording.
DEFAULT_INTERVAL_MINUTES = 30

_TWO_PI = 2 * math.pi
_YEAR_DAYS = 365.25


@dataclass(frozen=True, slots=True)
class DayCurve:
    """One day of a meter: average power per interval and what derives from it."""

    day: date
    interval_minutes: int
    values: tuple[int, ...]
    energy_wh: int
    peak_w: int
    peak_index: int

    @property
    def peak_at(self) -> str:
        """Local timestamp (``YYYY-MM-DD HH:MM:SS``) of the START of the peak interval.

        The start, not the end used by load-curve points, so that the maximum of day D is
        always dated on day D (the last interval of a day ends at D+1 00:00:00).
        """
        end = interval_ends(self.day, self.interval_minutes)[self.peak_index]
        return format_timestamp(end.astimezone(UTC) - timedelta(minutes=self.interval_minutes))


def format_timestamp(moment: datetime) -> str:
    """Enedis' load-curve timestamp: local wall time ``YYYY-MM-DD HH:MM:SS``."""
    return moment.astimezone(PARIS).strftime("%Y-%m-%d %H:%M:%S")


def _midnight_utc(day: date) -> datetime:
    return datetime.combine(day, time(), PARIS).astimezone(UTC)


@functools.lru_cache(maxsize=4096)
def interval_ends(day: date, interval_minutes: int) -> tuple[datetime, ...]:
    """Aware local ends of the day's intervals, walked in UTC so DST days have 23/25 h.

    For PT30M, day D runs from ``D 00:30:00`` to ``D+1 00:00:00``.
    """
    start = _midnight_utc(day)
    stop = _midnight_utc(day + timedelta(days=1))
    step = timedelta(minutes=interval_minutes)
    count = (stop - start) // step
    return tuple((start + step * (i + 1)).astimezone(PARIS) for i in range(count))


@functools.lru_cache(maxsize=64)
def _dst_days(year: int) -> frozenset[date]:
    """The days of ``year`` that do not last 24 hours in Europe/Paris."""
    days = set()
    for month in range(1, 13):
        first = date(year, month, 1)
        following = date(year + month // 12, month % 12 + 1, 1)
        if _midnight_utc(following) - _midnight_utc(first) != following - first:
            day = first
            while day < following:
                nxt = day + timedelta(days=1)
                if _midnight_utc(nxt) - _midnight_utc(day) != timedelta(days=1):
                    days.add(day)
                day = nxt
    return frozenset(days)


def _is_regular_day(day: date) -> bool:
    return day not in _dst_days(day.year)


@functools.lru_cache(maxsize=16)
def _regular_mid_hours(interval_minutes: int) -> tuple[float, ...]:
    count = 1440 // interval_minutes
    return tuple((i + 0.5) * interval_minutes / 60 for i in range(count))


def _mid_hours(day: date, interval_minutes: int) -> tuple[float, ...]:
    """Local hour of day (float) at the middle of each interval."""
    if _is_regular_day(day):
        return _regular_mid_hours(interval_minutes)
    half = timedelta(minutes=interval_minutes / 2)
    hours = []
    for end in interval_ends(day, interval_minutes):
        mid = (end.astimezone(UTC) - half).astimezone(PARIS)
        hours.append(mid.hour + mid.minute / 60 + mid.second / 3600)
    return tuple(hours)


def _seed(usage_point_id: str, day: date, direction: Direction) -> int:
    key = f"{usage_point_id}|{day.isoformat()}|{direction.value}".encode()
    return int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big")


def _bump(hour: float, centre: float, width: float) -> float:
    return math.exp(-(((hour - centre) / width) ** 2))


@functools.lru_cache(maxsize=256)
def _consumption_shape(
    base_w: int, offpeak: bool, heating: bool, hours: tuple[float, ...]
) -> tuple[float, ...]:
    """Typical household power (W) at each hour: base, morning/noon/evening peaks."""
    shape = []
    for h in hours:
        value = base_w + 900 * _bump(h, 7.5, 1.0) + 500 * _bump(h, 12.5, 1.2)
        value += 1400 * _bump(h, 19.5, 1.8)
        if offpeak and (h >= 23.25 or h < 1.5):
            value += 1800  # water heater on off-peak hours
        if heating and (h < 6.5 or h >= 22.5):
            value += 600  # storage heating at night
        shape.append(value)
    return tuple(shape)


def _consumption(
    point: UsagePoint, day: date, hours: tuple[float, ...], rng: random.Random
) -> list[int]:
    winter = math.cos(_TWO_PI * (day.timetuple().tm_yday - 15) / _YEAR_DAYS)  # 1 mid-January
    season = 1 + (1.1 if point.heating else 0.25) * winter
    season = max(season, 0.55)
    weekend = 1.12 if day.weekday() >= 5 else 1.0
    factor = season * weekend * (0.85 + 0.3 * rng.random())
    shape = _consumption_shape(
        point.base_w, point.contract.offpeak_hours is not None, point.heating, hours
    )
    draw = rng.random
    return [int(s * factor * (0.8 + 0.4 * draw()) + 0.5) for s in shape]


def _production(
    point: UsagePoint, day: date, hours: tuple[float, ...], rng: random.Random
) -> list[int]:
    summer = math.cos(_TWO_PI * (day.timetuple().tm_yday - 172) / _YEAR_DAYS)  # 1 on June 21
    day_length = 12.2 + 3.8 * summer
    offset = _midnight_utc(day).astimezone(PARIS).utcoffset() or timedelta()
    solar_noon = 11.85 + offset.total_seconds() / 3600
    sunrise = solar_noon - day_length / 2
    peak = point.solar_kwc * 1000 * (0.6 + 0.25 * summer) * (0.25 + 0.75 * rng.random())
    values = []
    for h in hours:
        x = (h - sunrise) / day_length
        if 0.0 < x < 1.0:
            values.append(round(peak * math.sin(math.pi * x) ** 1.5 * (0.85 + 0.3 * rng.random())))
        else:
            values.append(0)
    return values


@functools.lru_cache(maxsize=16384)
def day_curve(point: UsagePoint, day: date, direction: Direction) -> DayCurve | None:
    """The meter's day, or None when the meter recorded nothing that day (a gap).

    Meters without load-curve recording still get a curve (at 30 minutes) so that their
    daily values exist; the metering API just never serves that curve.
    """
    if not point.has_data(day):
        return None
    minutes = point.interval_minutes or DEFAULT_INTERVAL_MINUTES
    hours = _mid_hours(day, minutes)
    rng = random.Random(_seed(point.usage_point_id, day, direction))
    if direction is Direction.CONSUMPTION:
        values = _consumption(point, day, hours, rng)
    else:
        values = _production(point, day, hours, rng)
    peak_w = max(values)
    peak_index = values.index(peak_w)
    energy = round(sum(values) * minutes / 60)
    return DayCurve(day, minutes, tuple(values), energy, peak_w, peak_index)


#: Day from which indexes count energy (older days are beyond every history depth).
INDEX_ORIGIN = date(2023, 1, 1)

_OFFPEAK_RANGE = re.compile(r"(\d{1,2})[hH](\d{2})\s*-\s*(\d{1,2})[hH](\d{2})", re.ASCII)


@functools.lru_cache(maxsize=64)
def _offpeak_ranges(offpeak_hours: str) -> tuple[tuple[float, float], ...]:
    """``HC (23h00-7h00)`` -> ((23.0, 7.0),): local hours of each off-peak range."""
    return tuple(
        (int(h1) + int(m1) / 60, int(h2) + int(m2) / 60)
        for h1, m1, h2, m2 in _OFFPEAK_RANGE.findall(offpeak_hours)
    )


def _offpeak(hour: float, ranges: tuple[tuple[float, float], ...]) -> bool:
    return any(a <= hour < b if a < b else hour >= a or hour < b for a, b in ranges)


def index_classes(point: UsagePoint, direction: Direction) -> tuple[str, ...]:
    """The tariff classes of the point's index in ``direction``: (HC, HP) or (BASE,)."""
    if direction is Direction.CONSUMPTION and point.contract.offpeak_hours is not None:
        return ("HC", "HP")
    return ("BASE",)


def _day_split(point: UsagePoint, day: date, direction: Direction) -> tuple[int, ...]:
    """The day's energy (Wh) per class of ``index_classes`` (zeros on a gap day)."""
    classes = index_classes(point, direction)
    curve = day_curve(point, day, direction)
    if curve is None:
        return (0,) * len(classes)
    if len(classes) == 1:
        return (curve.energy_wh,)
    ranges = _offpeak_ranges(point.contract.offpeak_hours or "")
    hours = _mid_hours(day, curve.interval_minutes)
    offpeak_sum = sum(v for v, h in zip(curve.values, hours, strict=True) if _offpeak(h, ranges))
    offpeak_wh = round(offpeak_sum * curve.interval_minutes / 60)
    return (offpeak_wh, curve.energy_wh - offpeak_wh)


def _index_offset(point: UsagePoint, direction: Direction) -> int:
    key = f"{point.usage_point_id}|index|{direction.value}".encode()
    digest = hashlib.blake2b(key, digest_size=4).digest()
    return 1_000_000 + int.from_bytes(digest, "big") % 9_000_000


def _add(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(x + y for x, y in zip(a, b, strict=True))


@functools.lru_cache(maxsize=4096)
def _index_at_month(point: UsagePoint, direction: Direction, first: date) -> tuple[int, ...]:
    """The indexes at 00:00 of ``first`` (the first day of a month)."""
    if first <= INDEX_ORIGIN:
        return (_index_offset(point, direction),) * len(index_classes(point, direction))
    previous = date(first.year - (first.month == 1), (first.month - 2) % 12 + 1, 1)
    total = _index_at_month(point, direction, previous)
    day = max(previous, INDEX_ORIGIN)
    while day < first:
        total = _add(total, _day_split(point, day, direction))
        day += timedelta(days=1)
    return total


def day_indexes(
    point: UsagePoint, direction: Direction, start: date, end: date
) -> Iterator[tuple[date, tuple[int, ...]]]:
    """(day, indexes at its 00:00 per class) for the days of ``[start, end[`` with data."""
    first = date(start.year, start.month, 1)
    total = _index_at_month(point, direction, first)
    day = max(first, INDEX_ORIGIN)
    while day < start:
        total = _add(total, _day_split(point, day, direction))
        day += timedelta(days=1)
    while day < end:
        if point.has_data(day):
            yield day, total
        total = _add(total, _day_split(point, day, direction))
        day += timedelta(days=1)
