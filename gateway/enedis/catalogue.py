"""Declarative catalogue of Enedis' data APIs: the nine v5 endpoints and Data Connect 2026.

Each v5 endpoint is one row: its name, upstream path, the kind of data it serves, its
direction (consumption or production), the upstream's per-call maximum and history depth.
Each 2026 measurement operation is one row likewise (``MEASURE_OPERATIONS``), naming the v5
endpoint that served the same data; the 2026 contract-data APIs take the PRM in the path
(``CONTRACT_APIS``). ``Api`` is the unit of Enedis' quotas. Both the sandbox simulator and
the gateway read their routing and limits from here.
"""

from __future__ import annotations

import calendar
import enum
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from types import MappingProxyType

__all__ = [
    "BY_NAME",
    "BY_PATH",
    "CONTRACT_APIS",
    "CONTRACT_API_BY_NAME",
    "ENDPOINTS",
    "HISTORY_GRACE_DAYS",
    "MEASURE_BY_NAME",
    "MEASURE_BY_V5",
    "MEASURE_OPERATIONS",
    "Api",
    "Choice",
    "ContractApi",
    "DataKind",
    "Direction",
    "Endpoint",
    "Generation",
    "Measure",
    "MeasureOperation",
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


@functools.lru_cache(maxsize=128)
def history_deadline(endpoint: Endpoint | MeasureOperation, today: date) -> date:
    """Oldest ``start`` Enedis accepts for ``endpoint``: today - history months - 15 days.

    Raises ``ValueError`` for customer endpoints, which have no history depth. Memoized
    (a pure function of its arguments, asked on every data request).
    """
    if endpoint.history_months is None:
        raise ValueError(f"{endpoint.name} has no history depth")
    return subtract_months(today, endpoint.history_months) - timedelta(days=HISTORY_GRACE_DAYS)


# --- Data Connect 2026 -------------------------------------------------------------------


class Generation(enum.Enum):
    """A generation of Enedis' data APIs."""

    V5 = "v5"
    V2026 = "2026"


class Api(enum.Enum):
    """An upstream API with a budget of its own.

    Data Connect 2026 gives every API its own quota (5 calls per second, 1000 per hour);
    v5 had one quota for all its APIs together (5 per second, 10 000 per hour), so the
    whole of v5 is one ``Api`` here. The value is the API's first path segment.
    """

    V5 = "v5"
    MESURE = "mesure_synchrone_auto"
    SITUATION_CONTRAT = "situation_contrat_auto"
    SYNTH_CONTRAT = "synth_contrat_auto"
    COMPTAGE = "comptage_auto"
    DONNEES_GENERALES = "donnees_generales_auto"
    ALIMENTATION = "alimentation_auto"
    SUBSCRIBED_SERVICES = "subscribed_services"

    @property
    def generation(self) -> Generation:
        return Generation.V5 if self is Api.V5 else Generation.V2026


class Measure(enum.Enum):
    """What a 2026 measurement operation serves (the ``kind`` of its series)."""

    DAILY_ENERGY = "daily_energy"
    LOAD_CURVE = "load_curve"
    MAX_POWER = "max_power"
    INDEX = "index"


@dataclass(frozen=True, slots=True)
class Choice:
    """A required query parameter of a 2026 operation that takes one of a few values."""

    name: str
    values: tuple[str, ...]


MEASUREMENT_BASE = "/mesure_synchrone_auto/v2"


@dataclass(frozen=True, slots=True)
class MeasureOperation:
    """One operation of the 2026 measurement API (``mesure_synchrone_auto/v2``).

    ``v5`` names the v5 endpoint that served the same data (``None`` for indexes, new in
    2026). Every operation takes ``pointId``, ``dateDebut`` (included) and ``dateFin``
    (excluded); ``choices`` are the further required parameters.
    """

    name: str
    measure: Measure
    direction: Direction
    max_days_per_call: int
    history_months: int
    v5: str | None
    choices: tuple[Choice, ...] = ()
    api: Api = Api.MESURE

    @property
    def path(self) -> str:
        return f"{MEASUREMENT_BASE}/{self.name}"

    @property
    def kind(self) -> DataKind:
        """The cache granularity: load curves as load curves, the rest one value a day."""
        return DataKind.LOAD_CURVE if self.measure is Measure.LOAD_CURVE else DataKind.DAILY


MAX_POWER_STEP = Choice("mesuresPas", ("P1D", "P1M"))
MAX_POWER_QUANTITY = Choice("grandeurPhysique", ("PMA", "TOUT"))

# Index history and per-call limit are not stated by Enedis; we take the daily data's
# (36 months + 15 days, 365 days per call), the most likely rule for daily readings.
MEASURE_OPERATIONS: tuple[MeasureOperation, ...] = (
    MeasureOperation(
        "consommation_quotidienne",
        Measure.DAILY_ENERGY,
        Direction.CONSUMPTION,
        365,
        36,
        "daily_consumption",
    ),
    MeasureOperation(
        "production_quotidienne",
        Measure.DAILY_ENERGY,
        Direction.PRODUCTION,
        365,
        36,
        "daily_production",
    ),
    MeasureOperation(
        "courbe_de_charge_consommation",
        Measure.LOAD_CURVE,
        Direction.CONSUMPTION,
        7,
        24,
        "consumption_load_curve",
    ),
    MeasureOperation(
        "courbe_de_charge_production",
        Measure.LOAD_CURVE,
        Direction.PRODUCTION,
        7,
        24,
        "production_load_curve",
    ),
    MeasureOperation(
        "puissance_conso_max_quotidienne",
        Measure.MAX_POWER,
        Direction.CONSUMPTION,
        365,
        36,
        "daily_consumption_max_power",
        (MAX_POWER_STEP, MAX_POWER_QUANTITY),
    ),
    MeasureOperation("index_consommation", Measure.INDEX, Direction.CONSUMPTION, 365, 36, None),
    MeasureOperation("index_production", Measure.INDEX, Direction.PRODUCTION, 365, 36, None),
)

MEASURE_BY_NAME: Mapping[str, MeasureOperation] = MappingProxyType(
    {op.name: op for op in MEASURE_OPERATIONS}
)
#: The 2026 operation serving the same data as a v5 endpoint (by the v5 name).
MEASURE_BY_V5: Mapping[str, MeasureOperation] = MappingProxyType(
    {op.v5: op for op in MEASURE_OPERATIONS if op.v5 is not None}
)


@dataclass(frozen=True, slots=True)
class ContractApi:
    """One 2026 contract-data API ("ITC"): ``GET {base}/{prm}``, English snake_case bodies."""

    name: str
    api: Api
    version: str = "v1"

    @property
    def base(self) -> str:
        return f"/{self.api.value}/{self.version}"

    def path(self, usage_point_id: str) -> str:
        return f"{self.base}/{usage_point_id}"


CONTRACT_APIS: tuple[ContractApi, ...] = (
    ContractApi("situation_contrat", Api.SITUATION_CONTRAT),
    ContractApi("synth_contrat", Api.SYNTH_CONTRAT),
    ContractApi("comptage", Api.COMPTAGE),
    ContractApi("donnees_generales", Api.DONNEES_GENERALES),
    ContractApi("alimentation", Api.ALIMENTATION),
)
CONTRACT_API_BY_NAME: Mapping[str, ContractApi] = MappingProxyType(
    {c.name: c for c in CONTRACT_APIS}
)

#: Which 2026 contract APIs hold what a v5 customer endpoint served.
V5_CUSTOMER_SOURCES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "contracts": ("situation_contrat", "synth_contrat", "comptage"),
        "addresses": ("donnees_generales",),
        "identity": ("situation_contrat",),
        "contact_data": ("situation_contrat",),
    }
)

SUBSCRIBED_SERVICES_PATH = "/subscribed_services/v1"
CONSENT_V1_PATH = "/dataconnect/v1/oauth2/authorize"
CONSENT_V2_PATH = "/dataconnect/v2/oauth2/authorize"


# --- Datasets: what the gateway caches, whichever generation served it ------------------

#: The name under which every contract-data section of a usage point is cached: one
#: canonical record per PRM, one entry per section (a 2026 contract API, or a v5 endpoint).
CONTRACT_RECORD = "contract_record"

#: 2026-only data, cached per day like the v5 daily data (indexes have no v5 endpoint).
INDEX_DATASETS: tuple[Endpoint, ...] = tuple(
    Endpoint(
        op.name, op.path, DataKind.DAILY, op.direction, op.max_days_per_call, op.history_months
    )
    for op in MEASURE_OPERATIONS
    if op.measure is Measure.INDEX
)

#: Every dataset by name: the nine v5 endpoints and the 2026 indexes.
DATASET_BY_NAME: Mapping[str, Endpoint] = MappingProxyType(
    {e.name: e for e in (*ENDPOINTS, *INDEX_DATASETS)}
)


def measure_of(endpoint: Endpoint) -> MeasureOperation:
    """The 2026 operation that serves ``endpoint``'s data (raises ``KeyError`` for
    customer endpoints)."""
    return MEASURE_BY_V5.get(endpoint.name) or MEASURE_BY_NAME[endpoint.name]
