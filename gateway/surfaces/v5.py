"""The v5 surface: Enedis' nine data endpoints at Enedis' paths, parameters, bodies and
errors. Bad requests are refused with the error Enedis itself would give, before any
upstream call. Beyond Enedis, long ranges are accepted up to the history depth and split
into upstream-sized calls transparently."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web

from gateway import routing
from gateway.data.request import DataRequest, cache_mode_from_headers
from gateway.enedis import rules
from gateway.enedis.catalogue import ENDPOINTS, Endpoint
from gateway.errors import GatewayError
from gateway.routing import Auth, RouteSpec, Surface
from gateway.surfaces.forward import forward


def enedis_error(error: rules.EnedisError, field: str | None = None) -> GatewayError:
    return GatewayError(error.status, error.error, error.error_description, field=field)


def parse_for(endpoint: Endpoint) -> Callable[[web.Request], DataRequest]:
    def parse(request: web.Request) -> DataRequest:
        query = request.query
        try:
            usage_point_id = rules.validate_usage_point_id(query.get("usage_point_id"))
            start = end = None
            if endpoint.is_ranged:
                start, end = rules.validate_range(
                    endpoint,
                    query.get("start"),
                    query.get("end"),
                    today=rules.paris_today(),
                    enforce_max_days=False,
                )
        except rules.EnedisError as error:
            raise enedis_error(error) from None
        return DataRequest(endpoint, usage_point_id, start, end, cache_mode_from_headers(request))

    return parse


def register(app: web.Application) -> None:
    for endpoint in ENDPOINTS:
        spec = RouteSpec(Surface.V5, Auth.ACCOUNT, parse=parse_for(endpoint), name=endpoint.name)
        routing.add(app, "GET", endpoint.path, forward, spec)
