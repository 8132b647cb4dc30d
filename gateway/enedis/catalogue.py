"""Declarative catalogue of the nine Enedis Data Connect v5 data endpoints.

Each endpoint is one row: its name, upstream path, the kind of data it serves, its
direction (consumption or production), the upstream's per-call maximum and history depth.
Both the sandbox simulator and the gateway read their routing and limits from here.
"""

from __future__ import annotations

import calendar
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from types import MappingProxyType

__all__ = [
    "BY_NAME",
    "BY_PATH",
    "ENDPOINTS",
    "HISTORY_GRACE_DAYS",
    "DataKind",
    "Direction",
    "Endpoint",
    "history_deadline",
    "subtract_months",
]

#: Days Enedis adds to the history depth of every ranged endpoint ("24 months + 15 days").
HISTORY_GRACE_DAYS = 15


class DataKind(enum.Enum):
    """What an endpoint serves: one value per day, a load curve, or customer data."""

    DAILY = "daily"
    LOAD_CURVE = "load_curve"
    CUSTOMER = "customer"


class Direction(enum.Enum):
    """Energy direction of a metering endpoint."""

    CONSUMPTION = "consumption"
    PRODUCTION = "production"


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One Enedis data endpoint (one row of the catalogue)."""

    name: str
    path: str
    kind: DataKind
    direction: Direction | None
    max_days_per_call: int | None
    history_months: int | None

    @property
    def is_ranged(self) -> bool:
        """True when the endpoint takes ``start`` and ``end`` query parameters."""
        return self.kind is not DataKind.CUSTOMER


def _daily(name: str, path: str, direction: Direction) -> Endpoint:
    return Endpoint(name, path, DataKind.DAILY, direction, 365, 36)


def _curve(name: str, path: str, direction: Direction) -> Endpoint:
    return Endpoint(name, path, DataKind.LOAD_CURVE, direction, 7, 24)


def _customer(name: str, path: str) -> Endpoint:
    return Endpoint(name, path, DataKind.CUSTOMER, None, None, None)


ENDPOINTS: tuple[Endpoint, ...] = (
    _daily(
        "daily_consumption",
        "/metering_data_dc/v5/daily_consumption",
        Direction.CONSUMPTION,
    ),
    _curve(
        "consumption_load_curve",
        "/metering_data_clc/v5/consumption_load_curve",
        Direction.CONSUMPTION,
    ),
    _daily(
        "daily_consumption_max_power",
        "/metering_data_dcmp/v5/daily_consumption_max_power",
        Direction.CONSUMPTION,
    ),
    _daily(
        "daily_production",
        "/metering_data_dp/v5/daily_production",
        Direction.PRODUCTION,
    ),
    _curve(
        "production_load_curve",
        "/metering_data_plc/v5/production_load_curve",
        Direction.PRODUCTION,
    ),
    _customer("contracts", "/customers_upc/v5/usage_points/contracts"),
    _customer("addresses", "/customers_upa/v5/usage_points/addresses"),
    _customer("identity", "/customers_i/v5/identity"),
    _customer("contact_data", "/customers_cd/v5/contact_data"),
)

BY_NAME: Mapping[str, Endpoint] = MappingProxyType({e.name: e for e in ENDPOINTS})
BY_PATH: Mapping[str, Endpoint] = MappingProxyType({e.path: e for e in ENDPOINTS})


def subtract_months(day: date, months: int) -> date:
    """Return ``day`` moved ``months`` calendar months back, clamping the day of month.

    >>> subtract_months(date(2024, 5, 31), 3)
    datetime.date(2024, 2, 29)
    """
    index = day.year * 12 + (day.month - 1) - months
    year, month0 = divmod(index, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(day.day, last))


def history_deadline(endpoint: Endpoint, today: date) -> date:
    """Oldest ``start`` Enedis accepts for ``endpoint``: today - history months - 15 days.

    Raises ``ValueError`` for customer endpoints, which have no history depth.
    """
    if endpoint.history_months is None:
        raise ValueError(f"{endpoint.name} has no history depth")
    return subtract_months(today, endpoint.history_months) - timedelta(days=HISTORY_GRACE_DAYS)
