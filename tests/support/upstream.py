"""Which upstream generation the suite runs against (``TEST_ENEDIS_API``, default 2026)."""

from __future__ import annotations

import os
from typing import Any

from gateway import redis_keys
from gateway.enedis.catalogue import MEASURE_BY_V5, V5_CUSTOMER_SOURCES, Api

ENEDIS_API = os.environ.get("TEST_ENEDIS_API", "2026")


def measurement_limiter_key() -> str:
    """The Redis tag of the limiter that measurement calls go through."""
    api = Api.V5 if ENEDIS_API == "v5" else Api.MESURE
    return redis_keys.limiter_key(api.value)


def upstream_names(v5_name: str) -> tuple[str, ...]:
    """The sandbox's stats names of the calls that fetch what the v5 endpoint ``v5_name``
    served, under the generation under test."""
    if ENEDIS_API == "v5":
        return (v5_name,)
    if v5_name in MEASURE_BY_V5:
        return (MEASURE_BY_V5[v5_name].name,)
    return V5_CUSTOMER_SOURCES[v5_name]


def upstream_calls(stats: dict[str, Any], v5_name: str) -> int:
    """How many upstream calls the sandbox received for the data of ``v5_name``."""
    calls = stats["calls"]
    return sum(int(calls.get(name, 0)) for name in upstream_names(v5_name))


#: Fields of the v5 customer bodies that Data Connect 2026 does not give (left out by the
#: gateway's v5 rendering, see ``gateway.surfaces.v5_bodies``), and ``contract_type``,
#: whose 2026 vocabulary (``Contrat GRD-F``) differs from v5's.
NOT_FROM_2026 = frozenset(
    {
        "customer_id",
        "usage_point_status",
        "meter_type",
        "contract_status",
        "last_distribution_tariff_change_date",
        "geo_points",
        "country",
        "contract_type",
    }
)


def _without(value: Any, drop: frozenset[str]) -> Any:
    if isinstance(value, dict):
        return {k: _without(v, drop) for k, v in value.items() if k not in drop}
    if isinstance(value, list):
        return [_without(v, drop) for v in value]
    return value


def comparable_v5(body: Any, customer: bool) -> Any:
    """A v5 body as the gateway can rebuild it from the generation under test: under 2026,
    customer bodies lose the fields 2026 does not give. Measurements are compared whole."""
    if ENEDIS_API == "v5" or not customer:
        return body
    return _without(body, NOT_FROM_2026)


def data_calls(stats: dict[str, Any]) -> int:
    """Data calls the sandbox received (its ``total_calls`` without the consent exchanges)."""
    return int(stats["total_calls"]) - int(stats["calls"].get("subscribed_services", 0))


def busiest_second(stats: dict[str, Any]) -> int:
    """The most calls one Enedis API received in one second (its quota: 5)."""
    return max((int(n) for n in stats["max_calls_per_second_by_api"].values()), default=0)
