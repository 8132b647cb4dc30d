"""Handlers of the nine Enedis data endpoints (metering and customers APIs).

One generic handler per catalogue row. Checks, in order: usage_point_id format, date range
(``rules.validate_range``), consent (403 ADAM-DC-0008 for unknown or revoked points, see
``consents.ConsentBook``), direction (400 ADAM-ERR0069), load-curve activation (404
STM-ERR-0000014), then data: gap days are omitted, a range without any data is 404 no_data_found.
"""

from __future__ import annotations

from aiohttp import web

from gateway.enedis import upstream_errors as errors
from gateway.enedis.catalogue import DataKind, Direction, Endpoint
from gateway.enedis.rules import (
    EnedisError,
    paris_today,
    validate_range,
    validate_usage_point_id,
)
from gateway.sandbox.bodies import customer_body, days_between, meter_reading_body
from gateway.sandbox.customers import Customer, UsagePoint
from gateway.sandbox.data import day_curve
from gateway.sandbox.guard import Handler, guarded
from gateway.sandbox.state import STATE

__all__ = ["data_handler"]


def _consented_point(request: web.Request, usage_point_id: str) -> tuple[Customer, UsagePoint]:
    found = request.app[STATE].consents.readable(usage_point_id)
    if found is None:
        raise EnedisError.from_catalogue(errors.NO_CONSENT)
    return found


def _metering(endpoint: Endpoint, request: web.Request) -> web.Response:
    query = request.query
    usage_point_id = validate_usage_point_id(query.get("usage_point_id"))
    start, end = validate_range(endpoint, query.get("start"), query.get("end"), today=paris_today())
    _, point = _consented_point(request, usage_point_id)
    direction = endpoint.direction
    if direction is None:
        raise ValueError(f"{endpoint.name} has no direction")
    serves = point.consumption if direction is Direction.CONSUMPTION else point.production
    if not serves:
        raise EnedisError.from_catalogue(errors.WRONG_DIRECTION)
    if endpoint.kind is DataKind.LOAD_CURVE and not point.has_load_curve:
        raise EnedisError.from_catalogue(errors.NO_DATA_STM)
    curves = [day_curve(point, day, direction) for day in days_between(start, end)]
    days = [c for c in curves if c is not None]
    if not days:
        raise EnedisError.from_catalogue(errors.NO_DATA)
    return web.json_response(meter_reading_body(endpoint, usage_point_id, start, end, days))


def _customers(endpoint: Endpoint, request: web.Request) -> web.Response:
    usage_point_id = validate_usage_point_id(request.query.get("usage_point_id"))
    customer, point = _consented_point(request, usage_point_id)
    return web.json_response(customer_body(endpoint, customer, point))


def data_handler(endpoint: Endpoint) -> Handler:
    """The guarded aiohttp handler of one catalogue endpoint."""

    async def handle(request: web.Request) -> web.StreamResponse:
        if endpoint.is_ranged:
            return _metering(endpoint, request)
        return _customers(endpoint, request)

    return guarded(endpoint.name, handle)
