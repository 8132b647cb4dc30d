"""Handlers of the 2026 measurement API: one per row of ``catalogue.MEASURE_OPERATIONS``.

Checks, in order:

1. the request is inside the definition, else 500 (as Enedis answers): only ``pointId``,
   ``dateDebut``, ``dateFin`` and the operation's ``choices`` (each once), all present,
   ``pointId`` 14 digits, dates real ``YYYY-MM-DD``, choices among their values;
2. the period: ``dateDebut < dateFin`` (``dateFin`` excluded), ``dateFin`` at most today
   (Paris), ``dateDebut`` within the history depth (24 or 36 months + 15 days), at most
   ``max_days_per_call`` days (7 for load curves): 400 ``{"code", "message"}``;
3. consent: 403 "Le client n'est pas titulaire du point demandé" for a point not shared;
4. direction, load-curve recording: 404 "Pas de mesure trouvée pour ce point" (Enedis
   has no "wrong direction" answer in 2026: there is simply no measure);
5. a period starting before the meter's activation: 400 ``ADAM-ERR0123`` (v5 form);
6. data: gap days are omitted, a period without any data is 404.
"""

from __future__ import annotations

import re
from datetime import date

from aiohttp import web

from gateway.enedis import upstream_errors_2026 as errors
from gateway.enedis.catalogue import Direction, Measure, MeasureOperation, history_deadline
from gateway.enedis.rules import is_usage_point_id, paris_today
from gateway.enedis.upstream_errors_2026 import Error2026Answer
from gateway.sandbox.bodies import days_between
from gateway.sandbox.bodies2026 import measure_body
from gateway.sandbox.data import day_curve
from gateway.sandbox.guard import Handler, guarded
from gateway.sandbox.state import STATE

__all__ = ["measure_handler"]

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_COMMON = ("pointId", "dateDebut", "dateFin")


def _outside_definition() -> Error2026Answer:
    return Error2026Answer(errors.TECHNICAL)


def _date(value: str) -> date:
    if _ISO_DATE.fullmatch(value) is None:
        raise _outside_definition()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _outside_definition() from None


def _parameters(op: MeasureOperation, request: web.Request) -> dict[str, str]:
    """The query parameters, each once, exactly those of the definition (else 500)."""
    query = request.query
    expected = set(_COMMON) | {c.name for c in op.choices}
    if set(query) != expected or len(query) != len(expected):
        raise _outside_definition()
    for choice in op.choices:
        if query[choice.name] not in choice.values:
            raise _outside_definition()
    if not is_usage_point_id(query["pointId"]):
        raise _outside_definition()
    return dict(query)


def _period(op: MeasureOperation, start: date, end: date, today: date) -> None:
    if start >= end:
        raise Error2026Answer(errors.BAD_PERIOD)
    if end > today:
        raise Error2026Answer(errors.END_IN_FUTURE)
    if start < history_deadline(op, today):
        raise Error2026Answer(errors.HISTORY)
    if (end - start).days > op.max_days_per_call:
        raise Error2026Answer(errors.RANGE_TOO_LONG)


def _measure(op: MeasureOperation, request: web.Request) -> web.Response:
    params = _parameters(op, request)
    start, end = _date(params["dateDebut"]), _date(params["dateFin"])
    _period(op, start, end, paris_today())
    found = request.app[STATE].consents.readable(params["pointId"])
    if found is None:
        raise Error2026Answer(errors.NOT_HOLDER)
    _, point = found
    serves = point.consumption if op.direction is Direction.CONSUMPTION else point.production
    if not serves or (op.measure is Measure.LOAD_CURVE and not point.has_load_curve):
        raise Error2026Answer(errors.NO_MEASURE)
    if start < point.installed_on:
        raise Error2026Answer(errors.BEFORE_ACTIVATION)
    days = [c for d in days_between(start, end) if (c := day_curve(point, d, op.direction))]
    if not days:
        raise Error2026Answer(errors.NO_MEASURE)
    step = params.get("mesuresPas", "P1D")
    return web.json_response(measure_body(op, point, start, end, days, step))


def measure_handler(op: MeasureOperation) -> Handler:
    """The guarded aiohttp handler of one 2026 measurement operation."""

    async def handle(request: web.Request) -> web.StreamResponse:
        return _measure(op, request)

    return guarded(op.name, handle, op.api)
