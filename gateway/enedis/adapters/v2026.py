"""The adapter of Enedis Data Connect 2026 (``ENEDIS_API=2026``, the default).

Measurements come from ``mesure_synchrone_auto/v2`` (``pointId``, ``dateDebut`` included,
``dateFin`` excluded; the daily max power as ``mesuresPas=P1D&grandeurPhysique=PMA``): the
envelope (``etapeMetier``, ``modeCalcul``, ``pas``, ``typeValeur``) and the first
``grandeur`` (``grandeurMetier``, ``grandeurPhysique``, ``unite``) become the series'
``SeriesMeta``, its ``points`` the day's points. Index answers keep their structure as a
skeleton; each value becomes a point with the path of its time class.

Contract data comes from the five contract-data APIs (PRM in the path), each answer one
section of the usage point's record; a v5 customer endpoint is rendered from the sections
of ``V5_CUSTOMER_SOURCES``.
"""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

from gateway.cache.store import Entry
from gateway.data.model import Point, SeriesMeta, default_meta
from gateway.enedis.adapters.entries import entries_of
from gateway.enedis.catalogue import (
    CONTRACT_API_BY_NAME,
    MAX_POWER_QUANTITY,
    MAX_POWER_STEP,
    V5_CUSTOMER_SOURCES,
    DataKind,
    Endpoint,
    Generation,
    Measure,
    measure_of,
)
from gateway.enedis.upstream_call import UpstreamCall, UpstreamRequest

#: The max-power variant that is the v5 daily max power (and the one the gateway caches).
DAILY_MAX_POWER = {MAX_POWER_STEP.name: "P1D", MAX_POWER_QUANTITY.name: "PMA"}


def index_points(body: dict[str, Any]) -> tuple[dict[str, Any], list[Point]]:
    """The skeleton of an index answer (every ``valeur`` list emptied) and its values as
    points, each with ``k``: the path of its list (``ctx/grandeur/c<cal>.<class>`` or
    ``ctx/grandeur/t`` for the totalising register)."""
    skeleton = copy.deepcopy(body)
    points: list[Point] = []
    for ci, context in enumerate(skeleton.get("contexte") or []):
        for gi, quantity in enumerate(context.get("grandeur") or []):
            for ki, calendar in enumerate(quantity.get("calendrier") or []):
                for li, time_class in enumerate(calendar.get("classeTemporelle") or []):
                    path = f"{ci}/{gi}/c{ki}.{li}"
                    points.extend({"k": path, **v} for v in time_class.get("valeur") or [])
                    time_class["valeur"] = []
            total = quantity.get("cadranTotalisateur")
            if isinstance(total, dict):
                points.extend({"k": f"{ci}/{gi}/t", **v} for v in total.get("valeur") or [])
                total["valeur"] = []
    return skeleton, points


def series_meta(body: dict[str, Any], endpoint: Endpoint) -> SeriesMeta:
    base = default_meta(endpoint)
    quantities = body.get("grandeur") or [{}]
    first = quantities[0] if isinstance(quantities[0], dict) else {}
    return SeriesMeta(
        stage=str(body.get("etapeMetier") or base.stage),
        calc_mode=body.get("modeCalcul"),
        step=body.get("pas"),
        value_type=body.get("typeValeur"),
        business=str(first.get("grandeurMetier") or base.business),
        quantity=str(first.get("grandeurPhysique") or base.quantity),
        unit=str(first.get("unite") or base.unit),
    )


class V2026Adapter:
    generation = Generation.V2026

    def request_of(self, call: UpstreamCall) -> UpstreamRequest:
        if call.section is not None:
            contract_api = CONTRACT_API_BY_NAME[call.section]
            return contract_api.api, contract_api.path(call.usage_point_id), {}
        operation = measure_of(call.endpoint)
        params = {"pointId": call.usage_point_id}
        if call.start is not None and call.end is not None:
            params["dateDebut"] = call.start.isoformat()
            params["dateFin"] = call.end.isoformat()
        if operation.measure is Measure.MAX_POWER:
            params.update(DAILY_MAX_POWER)
        return operation.api, operation.path, params

    def max_days(self, endpoint: Endpoint) -> int | None:
        if endpoint.kind is DataKind.CUSTOMER:
            return None
        return measure_of(endpoint).max_days_per_call

    def sections(self, endpoint: Endpoint) -> tuple[str, ...]:
        return V5_CUSTOMER_SOURCES.get(endpoint.name, ())

    def to_entries(self, call: UpstreamCall, body: Any) -> dict[date | str, Entry]:
        def parse(answer: dict[str, Any]) -> tuple[SeriesMeta, list[Point]]:
            if measure_of(call.endpoint).measure is Measure.INDEX:
                skeleton, points = index_points(answer)
                stage = str(answer.get("etapeMetier") or "BRUT")
                return SeriesMeta(stage=stage, skeleton=skeleton), points
            quantities = answer.get("grandeur") or [{}]
            first = quantities[0] if isinstance(quantities[0], dict) else {}
            points = [p for p in first.get("points") or [] if isinstance(p, dict)]
            return series_meta(answer, call.endpoint), points

        return entries_of(call, body, parse)
