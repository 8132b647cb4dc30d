from __future__ import annotations

from datetime import date, timedelta

from gateway.enedis.catalogue import Direction
from gateway.sandbox.customers import CUSTOMERS, POINTS
from gateway.sandbox.data import day_curve, interval_ends

from .conftest import last_sunday


def test_points_have_unique_fourteen_digit_ids() -> None:
    ids = [p.usage_point_id for c in CUSTOMERS.values() for p in c.points]
    assert len(ids) == len(set(ids)) == len(POINTS)
    assert all(len(i) == 14 and i.isdigit() for i in ids)
    assert {"default", "consumption_only", "no_load_curve", "revoked", "gaps", "intervals"} <= set(
        CUSTOMERS
    )


def test_interval_counts_and_dst() -> None:
    spring, autumn = last_sunday(2025, 3), last_sunday(2025, 10)
    assert (spring, autumn) == (date(2025, 3, 30), date(2025, 10, 26))
    assert len(interval_ends(date(2025, 6, 1), 30)) == 48
    assert len(interval_ends(spring, 30)) == 46
    assert len(interval_ends(autumn, 30)) == 50
    assert len(interval_ends(autumn, 10)) == 150
    assert len(interval_ends(spring, 60)) == 23
    ends = interval_ends(date(2025, 6, 1), 15)
    assert ends[0].isoformat() == "2025-06-01T00:15:00+02:00"
    assert ends[-1].isoformat() == "2025-06-02T00:00:00+02:00"


def test_curve_is_deterministic_and_consistent() -> None:
    point = POINTS["09100000000001"][1]
    for day in (date(2025, 1, 15), last_sunday(2025, 3), last_sunday(2025, 10)):
        curve = day_curve(point, day, Direction.CONSUMPTION)
        day_curve.cache_clear()
        again = day_curve(point, day, Direction.CONSUMPTION)
        assert curve == again and curve is not None
        assert len(curve.values) == len(interval_ends(day, 30))
        assert curve.energy_wh == round(sum(curve.values) / 2)
        assert curve.peak_w == max(curve.values)
        assert curve.peak_at.startswith(day.isoformat())


def test_winter_heating_uses_more_than_summer() -> None:
    point = POINTS["09200000000001"][1]

    def month_energy(start: date) -> int:
        days = (start + timedelta(days=i) for i in range(28))
        return sum(c.energy_wh for d in days if (c := day_curve(point, d, Direction.CONSUMPTION)))

    assert month_energy(date(2025, 1, 1)) > 1.5 * month_energy(date(2025, 7, 1))


def test_production_is_zero_at_night_and_higher_in_summer() -> None:
    point = POINTS["09300000000001"][1]
    june = [day_curve(point, date(2025, 6, d), Direction.PRODUCTION) for d in range(1, 29)]
    december = [day_curve(point, date(2025, 12, d), Direction.PRODUCTION) for d in range(1, 29)]
    assert sum(c.energy_wh for c in june if c) > 2 * sum(c.energy_wh for c in december if c)
    for c in june:
        assert c is not None
        assert c.values[0] == c.values[1] == c.values[-1] == 0
