"""Operations routes: liveness, readiness, Prometheus metrics, the OpenAPI document."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web
from aiohttp_apigami import docs, response_schema
from marshmallow import Schema, fields, validate

from gateway import db, routing, state
from gateway.observability import metrics
from gateway.openapi import PUBLIC, setup_openapi
from gateway.routing import RouteSpec, Surface

log = logging.getLogger(__name__)

OPS = RouteSpec(surface=Surface.OPS)
CHECK_TIMEOUT = 3.0

BREAKER_STATES = ("closed", "open", "half_open")


class Live(Schema):
    status = fields.String(required=True, metadata={"example": "ok"})


class ReadyChecks(Schema):
    postgres = fields.String(
        required=True,
        metadata={"description": '"ok", "unreachable" or "N migrations pending".'},
    )
    redis = fields.String(required=True, metadata={"description": '"ok" or "unreachable".'})


class Upstream(Schema):
    breaker = fields.String(
        required=True,
        validate=validate.OneOf((*BREAKER_STATES, "unknown")),
        metadata={
            "description": "The circuit breaker of Enedis (informative: an open "
            "breaker does not make the replica unready, it serves from cache)."
        },
    )


class Ready(Schema):
    status = fields.String(required=True, validate=validate.OneOf(("ok", "unavailable")))
    checks = fields.Nested(ReadyChecks, required=True)
    upstream = fields.Nested(Upstream, required=True)


@docs(
    tags=["ops"],
    summary="Liveness",
    description="The process answers. Does not look at PostgreSQL, Redis or Enedis.",
    security=PUBLIC,
)
@response_schema(Live, 200, description="Alive.")
async def live(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def _postgres(app: web.Application) -> str:
    try:
        pending = await asyncio.wait_for(db.pending_migrations(app[state.DB]), CHECK_TIMEOUT)
    except Exception:  # noqa: BLE001 - any failure means "not ready"
        return "unreachable"
    return "ok" if not pending else f"{len(pending)} migrations pending"


async def _redis(app: web.Application) -> str:
    try:
        reachable = await asyncio.wait_for(app[state.STORE].ping(), CHECK_TIMEOUT)
    except Exception:  # noqa: BLE001 - any failure means "not ready"
        return "unreachable"
    return "ok" if reachable else "unreachable"


def breaker_state(app: web.Application) -> str:
    """The upstream circuit breaker's state, or "unknown" before the forwarder exists."""
    forwarder = app.get(state.FORWARDER)
    breaker = getattr(forwarder, "breaker", None)
    value = getattr(breaker, "state", None)
    value = getattr(value, "value", value)
    return value if isinstance(value, str) and value in BREAKER_STATES else "unknown"


@docs(
    tags=["ops"],
    summary="Readiness",
    description="PostgreSQL reachable with every migration applied, and Redis reachable. "
    "The upstream breaker state is reported but never fails readiness.",
    security=PUBLIC,
)
@response_schema(Ready, 200, description="Ready to serve.")
@response_schema(Ready, 503, description="Not ready: see `checks`.")
async def ready(request: web.Request) -> web.Response:
    app = request.app
    postgres, redis = await asyncio.gather(_postgres(app), _redis(app))
    checks = {"postgres": postgres, "redis": redis}
    ok = all(value == "ok" for value in checks.values())
    body = {
        "status": "ok" if ok else "unavailable",
        "checks": checks,
        "upstream": {"breaker": breaker_state(app)},
    }
    return web.json_response(body, status=200 if ok else 503)


@docs(
    tags=["ops"],
    summary="Prometheus metrics",
    description="Requests (by route template and status), cache outcomes, upstream calls, "
    "429s and failures, limiter waits, quota refusals and Redis fallbacks, in the Prometheus "
    "text format. Expose it to your monitoring network only.",
    security=PUBLIC,
    responses={
        200: {
            "description": "Prometheus text exposition format.",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        }
    },
)
async def prometheus_metrics(request: web.Request) -> web.Response:
    body = await asyncio.get_running_loop().run_in_executor(None, metrics.exposition)
    return web.Response(body=body, headers={"Content-Type": metrics.CONTENT_TYPE_LATEST})


def register(app: web.Application) -> None:
    # no "path/" twins: a proxy rule for "/metrics" must cover every path that answers it
    routing.add(app, "GET", "/health/live", live, OPS, trailing_slash=False)
    routing.add(app, "GET", "/health/ready", ready, OPS, trailing_slash=False)
    routing.add(app, "GET", "/metrics", prometheus_metrics, OPS, trailing_slash=False)
    setup_openapi(app)
