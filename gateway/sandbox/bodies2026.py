"""JSON bodies of the 2026 measurement API (``mesure_synchrone_auto/v2``), field for field.

Built from the same ``data.DayCurve`` days as the v5 bodies (``bodies``), so that for any
(point, day) both generations carry the same values and timestamps. Keys follow the order
of Enedis' definitions. Field choices (Enedis documents the fields, not always the values):

- ``etapeMetier`` ``BRUT`` everywhere (the v5 ``quality`` of the same data is ``BRUT``);
- daily energy: ``modeCalcul`` ``DIFF.INDEX`` (energies are index differences, as the
  index operations show), ``pas`` ``P1D``, ``typeValeur`` ``ENERGIE``, ``grandeurPhysique``
  ``EA``, ``unite`` ``Wh``, points ``{"v", "d": "YYYY-MM-DD"}``;
- load curve: ``modeCalcul`` ``MESURE`` (no ``pas`` at the top, the definition has none),
  ``grandeurPhysique`` ``PA``, ``unite`` ``W``, points ``{"v", "d", "p", "n": "B", "iv": "0",
  "ec": "0"}`` with ``d`` the END of the interval in Paris time (v5's ``date``);
- max power: ``modeCalcul`` ``MESURE``, ``pas`` = ``mesuresPas``, ``grandeurPhysique``
  ``PMA``, ``unite`` ``VA``, ``d`` the instant of the maximum (v5's ``date``); ``P1M`` gives
  one point per calendar month of the period, the month's highest daily maximum and its
  instant; ``TOUT`` answers the same as ``PMA`` (every sandbox meter is single-phase, so
  there are no per-phase values);
- indexes: ``grandeur`` empty, one ``contexte`` (``etapeMetier`` ``BRUT``,
  ``contexteReleve`` ``COL``, ``typeReleve`` ``AQ``) with one ``grandeur`` (``EA``, ``Wh``,
  ``points`` empty), one distributor ``calendrier`` (``DI000001`` Base, or ``DI000002``
  HP/HC with classes ``HC`` then ``HP``), one ``valeur`` per day with data: ``d`` the day's
  00:00 local with offset, ``v`` the cumulative Wh (integer), ``iv`` 0, and
  ``cadranTotalisateur`` (``TOTAL``) holding the sum of the classes;
- ``calendrier`` and ``contexte`` are empty lists elsewhere, as the definitions say.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time
from typing import Any

from gateway.enedis.catalogue import Direction, Measure, MeasureOperation
from gateway.enedis.rules import PARIS
from gateway.sandbox.customers import UsagePoint
from gateway.sandbox.data import (
    DayCurve,
    day_indexes,
    format_timestamp,
    index_classes,
    interval_ends,
)

__all__ = ["measure_body"]

_CALENDARS = {
    ("BASE",): ("DI000001", "Base"),
    ("HC", "HP"): ("DI000002", "Heures pleines / Heures creuses"),
}
_CLASS_LABELS = {"BASE": "Base", "HC": "Heures Creuses", "HP": "Heures Pleines"}


def _grandeur_metier(direction: Direction) -> str:
    return "CONS" if direction is Direction.CONSUMPTION else "PROD"


def _periode(start: date, end: date) -> dict[str, str]:
    return {"dateDebut": start.isoformat(), "dateFin": end.isoformat()}


def _grandeur(
    direction: Direction, physique: str, unite: str, points: list[dict[str, str]]
) -> dict[str, Any]:
    return {
        "grandeurMetier": _grandeur_metier(direction),
        "grandeurPhysique": physique,
        "unite": unite,
        "points": points,
        "calendrier": [],
    }


def _curve_points(days: Iterable[DayCurve]) -> list[dict[str, str]]:
    points: list[dict[str, str]] = []
    for curve in days:
        step = f"PT{curve.interval_minutes}M"
        ends = interval_ends(curve.day, curve.interval_minutes)
        points.extend(
            {"v": str(v), "d": format_timestamp(end), "p": step, "n": "B", "iv": "0", "ec": "0"}
            for v, end in zip(curve.values, ends, strict=True)
        )
    return points


def _max_points(days: list[DayCurve], step: str) -> list[dict[str, str]]:
    if step == "P1D":
        return [{"v": str(c.peak_w), "d": c.peak_at} for c in days]
    months: dict[tuple[int, int], DayCurve] = {}
    for c in days:
        key = (c.day.year, c.day.month)
        if key not in months or c.peak_w > months[key].peak_w:
            months[key] = c
    return [{"v": str(c.peak_w), "d": c.peak_at} for c in months.values()]


def _index_body(op: MeasureOperation, point: UsagePoint, start: date, end: date) -> dict[str, Any]:
    classes = index_classes(point, op.direction)
    readings = list(day_indexes(point, op.direction, start, end))

    def valeurs(pick: int | None) -> list[dict[str, Any]]:
        return [
            {
                "d": datetime.combine(day, time(), PARIS).isoformat(),
                "v": sum(values) if pick is None else values[pick],
                "iv": 0,
            }
            for day, values in readings
        ]

    calendar_id, calendar_label = _CALENDARS[classes]
    grandeur = {
        "grandeurMetier": _grandeur_metier(op.direction),
        "grandeurPhysique": "EA",
        "unite": "Wh",
        "points": [],
        "calendrier": [
            {
                "idCalendrier": calendar_id,
                "libelleCalendrier": calendar_label,
                "classeTemporelle": [
                    {
                        "idClasseTemporelle": name,
                        "libelleClasseTemporelle": _CLASS_LABELS[name],
                        "codeCadran": name,
                        "valeur": valeurs(i),
                    }
                    for i, name in enumerate(classes)
                ],
            }
        ],
        "cadranTotalisateur": {"codeCadran": "TOTAL", "valeur": valeurs(None)},
    }
    contexte = {
        "etapeMetier": "BRUT",
        "contexteReleve": "COL",
        "typeReleve": "AQ",
        "grandeur": [grandeur],
    }
    return {
        "idPrm": point.usage_point_id,
        "periode": _periode(start, end),
        "grandeur": [],
        "contexte": [contexte],
    }


def measure_body(
    op: MeasureOperation,
    point: UsagePoint,
    start: date,
    end: date,
    days: list[DayCurve],
    step: str = "P1D",
) -> dict[str, Any]:
    """The 200 body of ``op`` over ``[start, end[`` (``days``: the days with data).

    ``step`` is the ``mesuresPas`` of max power (``P1D`` or ``P1M``).
    """
    head: dict[str, Any] = {
        "idPrm": point.usage_point_id,
        "etapeMetier": "BRUT",
        "periode": _periode(start, end),
    }
    if op.measure is Measure.INDEX:
        return _index_body(op, point, start, end)
    if op.measure is Measure.LOAD_CURVE:
        grandeur = _grandeur(op.direction, "PA", "W", _curve_points(days))
        return head | {"modeCalcul": "MESURE", "grandeur": [grandeur], "contexte": []}
    if op.measure is Measure.MAX_POWER:
        grandeur = _grandeur(op.direction, "PMA", "VA", _max_points(days, step))
        return head | {"modeCalcul": "MESURE", "pas": step, "grandeur": [grandeur], "contexte": []}
    points = [{"v": str(c.energy_wh), "d": c.day.isoformat()} for c in days]
    grandeur = _grandeur(op.direction, "EA", "Wh", points)
    return head | {
        "typeValeur": "ENERGIE",
        "modeCalcul": "DIFF.INDEX",
        "pas": "P1D",
        "grandeur": [grandeur],
        "contexte": [],
    }
