"""The v5 surface: Enedis' nine data endpoints at Enedis' paths, parameters, bodies and
errors. Bad requests are refused with the error Enedis itself would give, before any
upstream call. Beyond Enedis, long ranges are accepted up to the history depth and split
into upstream-sized calls transparently."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from aiohttp import web
from aiohttp_apigami import docs

from gateway import routing, state
from gateway.data.request import CacheMode, DataRequest, cache_mode_from_headers
from gateway.enedis import rules
from gateway.enedis.catalogue import ENDPOINTS, DataKind, Endpoint
from gateway.errors import GatewayError
from gateway.openapi import ACCOUNT, error_responses
from gateway.routing import Auth, Handler, RouteSpec, Surface
from gateway.surfaces import v5_bodies
from gateway.surfaces.enedis_schemas import ANSWERS
from gateway.surfaces.forward import forward


def enedis_error(error: rules.EnedisError, field: str | None = None) -> GatewayError:
    return GatewayError(
        error.status, error.error, error.error_description, field=field, hint=error.hint
    )


def v5_request(
    request: web.Request,
    endpoint: Endpoint,
    usage_point_id: str,
    start: date | None,
    end: date | None,
    default_cache: CacheMode = CacheMode.USE,
) -> DataRequest:
    """A data request answered in the v5 dialect (the v5 and legacy surfaces)."""
    adapter = request.app[state.FORWARDER].adapter
    return DataRequest(
        endpoint,
        usage_point_id,
        v5_bodies.render,
        v5_bodies.DIALECT,
        start,
        end,
        cache_mode_from_headers(request, default_cache),
        adapter.sections(endpoint),
    )


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
        return v5_request(request, endpoint, usage_point_id, start, end)

    return parse


# -- the OpenAPI description -----------------------------------------------------------------
#
# The query is documented with ``@docs(parameters=...)`` only: no schema is registered for
# the validation middleware, so ``parse_for`` (Enedis' rules) stays the one to refuse a bad
# request, with Enedis' error codes and messages in Enedis' order.

_TAG = "v5 (Enedis Data Connect)"

_QUERY: dict[str, dict[str, Any]] = {
    "usage_point_id": {
        "description": "The usage point (PRM): exactly **14** digits, leading zeros kept.",
        "schema": {"type": "string", "pattern": "^[0-9]{14}$", "example": "09100000000001"},
    },
    "start": {
        "description": "First day of the period, `YYYY-MM-DD` (history depth: {depth}).",
        "schema": {"type": "string", "format": "date", "example": "2024-01-01"},
    },
    "end": {
        "description": "Day after the last day of the period (excluded), `YYYY-MM-DD`; at "
        "most today (Europe/Paris).",
        "schema": {"type": "string", "format": "date", "example": "2024-01-08"},
    },
}

_CACHE_CONTROL = {
    "in": "header",
    "name": "Cache-Control",
    "required": False,
    "description": "`no-store`: answer from Enedis, neither reading nor writing the cache; "
    "`no-cache`: fetch from Enedis again and refresh the cache.",
    "schema": {"type": "string", "example": "no-cache"},
}

_HEADERS = {
    "X-Cache-Status": {
        "description": "What the cache did: `HIT`, `MISS`, `PARTIAL`, `STALE` (expired days "
        "served while Enedis fails) or `BYPASS` (`Cache-Control: no-store`).",
        "schema": {"type": "string"},
    },
    "RateLimit-Policy": {
        "description": "The account's daily allowance (IETF RateLimit fields).",
        "schema": {"type": "string"},
    },
    "RateLimit": {
        "description": "What remains of the daily allowance, and seconds until it resets.",
        "schema": {"type": "string"},
    },
    "X-RateLimit-Limit": {"schema": {"type": "string"}},
    "X-RateLimit-Remaining": {"schema": {"type": "string"}},
    "X-RateLimit-Reset": {"schema": {"type": "string"}},
}


def _parameters(endpoint: Endpoint) -> list[dict[str, Any]]:
    names = ("usage_point_id", "start", "end") if endpoint.is_ranged else ("usage_point_id",)
    depth = f"{endpoint.history_months} months and 15 days back" if endpoint.is_ranged else "none"
    parameters = [
        {
            "in": "query",
            "name": name,
            "required": True,
            "description": _QUERY[name]["description"].format(depth=depth),
            "schema": dict(_QUERY[name]["schema"]),
        }
        for name in names
    ]
    return [*parameters, dict(_CACHE_CONTROL)]


def _description(endpoint: Endpoint) -> str:
    text = f"Enedis' `GET {endpoint.path}`: same parameters, same body, same errors."
    if endpoint.kind is DataKind.CUSTOMER:
        return text + " Answered from the encrypted cache when it holds the data."
    return (
        text + f" Enedis serves at most {endpoint.max_days_per_call} days per call; longer periods "
        "(up to the history depth) are split into several calls and answered as one body. "
        "Days held in the encrypted cache are not fetched again."
    )


def documented(endpoint: Endpoint) -> Handler:
    """The route handler of ``endpoint``: the shared ``forward``, documented for it."""

    @docs(
        tags=[_TAG],
        summary=endpoint.name.replace("_", " ").capitalize(),
        description=_description(endpoint),
        operation_id=f"v5_{endpoint.name}",
        security=ACCOUNT,
        parameters=_parameters(endpoint),
        responses={
            200: {
                "description": "Enedis' answer.",
                "headers": _HEADERS,
                "content": {"application/json": {"schema": ANSWERS[endpoint.name]}},
            },
            **error_responses(Surface.V5, 400, 401, 403, 404, 429, 502, 503, 504),
        },
    )
    async def handler(request: web.Request) -> web.StreamResponse:
        return await forward(request)

    handler.__name__ = handler.__qualname__ = f"v5_{endpoint.name}"
    return handler


def register(app: web.Application) -> None:
    for endpoint in ENDPOINTS:
        spec = RouteSpec(Surface.V5, Auth.ACCOUNT, parse=parse_for(endpoint), name=endpoint.name)
        routing.add(app, "GET", endpoint.path, documented(endpoint), spec)
