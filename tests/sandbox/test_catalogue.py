from __future__ import annotations

from datetime import date

import pytest

from gateway.enedis.catalogue import (
    BY_NAME,
    BY_PATH,
    ENDPOINTS,
    DataKind,
    Direction,
    history_deadline,
    subtract_months,
)


def test_nine_endpoints_with_their_paths() -> None:
    assert {e.name: e.path for e in ENDPOINTS} == {
        "daily_consumption": "/metering_data_dc/v5/daily_consumption",
        "consumption_load_curve": "/metering_data_clc/v5/consumption_load_curve",
        "daily_consumption_max_power": "/metering_data_dcmp/v5/daily_consumption_max_power",
        "daily_production": "/metering_data_dp/v5/daily_production",
        "production_load_curve": "/metering_data_plc/v5/production_load_curve",
        "contracts": "/customers_upc/v5/usage_points/contracts",
        "addresses": "/customers_upa/v5/usage_points/addresses",
        "identity": "/customers_i/v5/identity",
        "contact_data": "/customers_cd/v5/contact_data",
    }
    assert set(BY_NAME) == {e.name for e in ENDPOINTS}
    assert all(BY_PATH[e.path] is e for e in ENDPOINTS)


def test_limits_per_kind() -> None:
    for e in ENDPOINTS:
        if e.kind is DataKind.DAILY:
            assert (e.max_days_per_call, e.history_months, e.is_ranged) == (365, 36, True)
        elif e.kind is DataKind.LOAD_CURVE:
            assert (e.max_days_per_call, e.history_months, e.is_ranged) == (7, 24, True)
        else:
            assert (e.max_days_per_call, e.history_months, e.direction) == (None, None, None)
            assert not e.is_ranged
    assert BY_NAME["daily_production"].direction is Direction.PRODUCTION
    assert BY_NAME["daily_consumption_max_power"].direction is Direction.CONSUMPTION


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2024, 5, 31), 3, date(2024, 2, 29)),
        (date(2023, 5, 31), 3, date(2023, 2, 28)),
        (date(2024, 3, 31), 1, date(2024, 2, 29)),
        (date(2024, 1, 15), 1, date(2023, 12, 15)),
        (date(2024, 1, 31), 24, date(2022, 1, 31)),
        (date(2024, 2, 29), 12, date(2023, 2, 28)),
        (date(2024, 1, 31), -1, date(2024, 2, 29)),
    ],
)
def test_subtract_months_clamps_day_of_month(day: date, months: int, expected: date) -> None:
    assert subtract_months(day, months) == expected


def test_history_deadline() -> None:
    curve = BY_NAME["consumption_load_curve"]
    daily = BY_NAME["daily_consumption"]
    assert history_deadline(curve, date(2025, 6, 20)) == date(2023, 6, 5)
    assert history_deadline(daily, date(2025, 6, 20)) == date(2022, 6, 5)
    # 24 months before 2026-02-28 is 2024-02-28; 36 months before 2027-02-28 is 2024-02-28.
    assert history_deadline(curve, date(2026, 2, 28)) == date(2024, 2, 13)
    # 2026-05-31 - 24 months = 2024-05-31; 2026-03-31 - 24 months -> 2024-03-31
    assert history_deadline(curve, date(2026, 3, 31)) == date(2024, 3, 16)
    # clamping: 2027-02-28 - 36 months = 2024-02-28; 2024-05-31 - 3 months handled above
    assert history_deadline(daily, date(2027, 2, 28)) == date(2024, 2, 13)
    # month-end clamp then 15 days: 2026-02-28 from 2028-02-29 (leap) minus 24 months
    assert history_deadline(curve, date(2028, 2, 29)) == date(2026, 2, 13)


def test_history_deadline_refuses_customer_endpoints() -> None:
    with pytest.raises(ValueError, match="no history"):
        history_deadline(BY_NAME["identity"], date(2025, 1, 1))
