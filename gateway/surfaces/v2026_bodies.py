"""The 2026 dialect: Enedis Data Connect 2026 bodies rendered from the model.

Measurements: ``{idPrm, etapeMetier, periode {dateDebut, dateFin}, typeValeur, modeCalcul,
pas, grandeur [{grandeurMetier, grandeurPhysique, unite, points, calendrier}], contexte}``
with the fields the series has (a load curve has no ``pas`` nor ``typeValeur``); indexes
rebuild their skeleton with the values of the range. Contract data: the section as Enedis
gave it.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import date
from typing import Any

from gateway.cache.store import Entry
from gateway.data.model import Point, SeriesMeta
from gateway.data.outcome import sections_of, series_of
from gateway.data.request import DataRequest
from gateway.enedis.catalogue import DataKind

DIALECT = "2026"


def _period(request: DataRequest) -> dict[str, str]:
    assert request.start is not None and request.end is not None
    return {"dateDebut": request.start.isoformat(), "dateFin": request.end.isoformat()}


def _index(request: DataRequest, meta: SeriesMeta, points: list[Point]) -> dict[str, Any]:
    body: dict[str, Any] = copy.deepcopy(meta.skeleton or {})
    body["idPrm"] = request.usage_point_id
    body["periode"] = _period(request)
    lists: dict[str, list[Any]] = {}
    for ci, context in enumerate(body.get("contexte") or []):
        for gi, quantity in enumerate(context.get("grandeur") or []):
            for ki, calendar in enumerate(quantity.get("calendrier") or []):
                for li, time_class in enumerate(calendar.get("classeTemporelle") or []):
                    lists[f"{ci}/{gi}/c{ki}.{li}"] = time_class.setdefault("valeur", [])
            total = quantity.get("cadranTotalisateur")
            if isinstance(total, dict):
                lists[f"{ci}/{gi}/t"] = total.setdefault("valeur", [])
    for point in points:
        target = lists.get(str(point.get("k")))
        if target is not None:
            target.append({key: value for key, value in point.items() if key != "k"})
    return body


def render(request: DataRequest, entries: Mapping[date | str, Entry]) -> dict[str, Any]:
    if request.endpoint.kind is DataKind.CUSTOMER:
        section: dict[str, Any] = sections_of(request, entries)[request.sections[0]]
        return section
    raw, points = series_of(request, entries)
    meta = SeriesMeta.load(raw) or SeriesMeta()
    if meta.skeleton is not None:
        return _index(request, meta, points)
    body: dict[str, Any] = {
        "idPrm": request.usage_point_id,
        "etapeMetier": meta.stage,
        "periode": _period(request),
    }
    if meta.value_type is not None:
        body["typeValeur"] = meta.value_type
    if meta.calc_mode is not None:
        body["modeCalcul"] = meta.calc_mode
    if meta.step is not None:
        body["pas"] = meta.step
    body["grandeur"] = [
        {
            "grandeurMetier": meta.business,
            "grandeurPhysique": meta.quantity,
            "unite": meta.unit,
            "points": points,
            "calendrier": [],
        }
    ]
    body["contexte"] = []
    return body


def render_monthly(request: DataRequest, entries: Mapping[date | str, Entry]) -> dict[str, Any]:
    """Max power with ``mesuresPas=P1M``: one point per calendar month of the period, the
    month's highest daily maximum (the earliest on a tie) and its instant, from the cached
    daily maxima."""
    body = render(request, entries)
    months: dict[str, Point] = {}
    for point in body["grandeur"][0]["points"]:
        month = str(point.get("d", ""))[:7]
        best = months.get(month)
        if best is None or int(point.get("v", 0)) > int(best.get("v", 0)):
            months[month] = point
    body["grandeur"][0]["points"] = list(months.values())
    body["pas"] = "P1M"
    return body
