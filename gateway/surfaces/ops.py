"""Operations routes: liveness, readiness, Prometheus metrics, the OpenAPI document."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging

import asyncpg
from aiohttp import web
from aiohttp_apigami import docs, response_schema
from marshmallow import Schema, fields, validate

from gateway import db, routing, state
from gateway.accounts.repository import DB_ERRORS
from gateway.imports import progress
from gateway.observability import metrics
from gateway.openapi import PUBLIC, setup_openapi
from gateway.routing import RouteSpec, Surface
from gateway.shared_store import CLUSTER_SLOTS, UNREACHABLE, ClusterState

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
    redis = fields.String(
        required=True,
        metadata={
            "description": '"ok" or "unreachable"; a cluster that serves only part of its '
            'slots: "N/16384 slots covered".'
        },
    )


class RedisCluster(Schema):
    nodes = fields.Integer(required=True, metadata={"description": "Nodes the cluster knows."})
    reachable = fields.Integer(
        required=True, metadata={"description": "Nodes not flagged failing by the cluster."}
    )
    slots_covered = fields.Integer(
        required=True, metadata={"description": "Slots served by a live primary (of 16384)."}
    )
    state = fields.String(
        required=True,
        validate=validate.OneOf(("ok", "fail", "unreachable")),
        metadata={"description": "The cluster's own state (CLUSTER INFO), or unreachable."},
    )


class Upstream(Schema):
    breaker = fields.String(
        required=True,
        validate=validate.OneOf((*BREAKER_STATES, "unknown")),
        metadata={
            "description": "The circuit breaker of Enedis (informative: an open "
            "breaker does not make the replica unready, it serves from cache)."
        },
    )
    generation = fields.String(
        required=True,
        validate=validate.OneOf(("2026", "v5")),
        metadata={"description": "The generation of Enedis' APIs in use (`ENEDIS_API`)."},
    )
    consent = fields.String(
        required=True,
        validate=validate.OneOf(("v2", "v1")),
        metadata={"description": "The consent page in use (`ENEDIS_CONSENT`)."},
    )
    hourly_remaining = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        metadata={"description": "Upstream calls left this hour, per Enedis API."},
    )
    hourly_budget_low = fields.List(
        fields.String(),
        metadata={"description": "The APIs with less than a tenth of their hourly budget left."},
    )


class Ready(Schema):
    status = fields.String(required=True, validate=validate.OneOf(("ok", "unavailable")))
    checks = fields.Nested(ReadyChecks, required=True)
    upstream = fields.Nested(Upstream, required=True)
    redis_cluster = fields.Nested(
        RedisCluster, metadata={"description": "Only with REDIS_CLUSTER: the cluster's state."}
    )


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


async def cluster_state(app: web.Application) -> ClusterState | None:
    """The Redis Cluster's state (None: not a cluster), also recorded in the metrics."""
    store = app[state.STORE]
    if not store.cluster:
        return None
    try:
        found = await asyncio.wait_for(store.cluster_state(), CHECK_TIMEOUT)
    except Exception:  # noqa: BLE001 - any failure means "unreachable"
        found = UNREACHABLE
    metrics.record_redis_cluster(found.nodes, found.reachable, found.slots_covered)
    return found


def _cluster_check(found: ClusterState) -> str:
    if found.ok:
        return "ok"
    if found.state == "unreachable" or found.slots_covered == 0:
        return "unreachable"
    return f"{found.slots_covered}/{CLUSTER_SLOTS} slots covered"


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
    store = app[state.STORE]
    if store.cluster:
        postgres, cluster = await asyncio.gather(_postgres(app), cluster_state(app))
        assert cluster is not None
        redis = _cluster_check(cluster)
        if cluster.ok:
            store.mark_up()
    else:
        postgres, redis = await asyncio.gather(_postgres(app), _redis(app))
        cluster = None
    checks = {"postgres": postgres, "redis": redis}
    ok = all(value == "ok" for value in checks.values())
    body: dict[str, object] = {
        "status": "ok" if ok else "unavailable",
        "checks": checks,
        "upstream": {
            "generation": app[state.SETTINGS].enedis_api,
            "consent": app[state.SETTINGS].enedis_consent,
            "breaker": breaker_state(app),
            **await hourly_budget(app),
        },
    }
    if cluster is not None:
        body["redis_cluster"] = dataclasses.asdict(cluster)
    return web.json_response(body, status=200 if ok else 503)


#: Below this share of an API's hourly budget, readiness lists the API as running low.
LOW_BUDGET_SHARE = 0.1


async def hourly_budget(app: web.Application) -> dict[str, object]:
    """Calls left this hour per Enedis API, and which APIs run low (recorded as metrics)."""
    forwarder = app.get(state.FORWARDER)
    if forwarder is None:
        return {}
    apis = list(forwarder.limiters)
    left = await asyncio.gather(*(forwarder.limiters[api].hourly_remaining() for api in apis))
    limit = app[state.SETTINGS].hourly_limit
    remaining = {api.value: n for api, n in zip(apis, left, strict=True) if n is not None}
    for api, n in remaining.items():
        metrics.record_hourly_remaining(api, n)
    low = sorted(api for api, n in remaining.items() if n < limit * LOW_BUDGET_SHARE)
    return {"hourly_remaining": remaining, "hourly_budget_low": low}


async def import_queue(app: web.Application) -> None:
    """The history imports by status (from the database), recorded in the metrics."""
    with contextlib.suppress(*DB_ERRORS, asyncpg.PostgresError):
        async with app[state.DB].acquire() as conn:
            metrics.record_import_queue(await progress.counts(conn))


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
    await cluster_state(request.app)  # refreshed at each scrape
    await hourly_budget(request.app)
    await import_queue(request.app)
    body = await asyncio.get_running_loop().run_in_executor(None, metrics.exposition)
    return web.Response(body=body, headers={"Content-Type": metrics.CONTENT_TYPE_LATEST})


def register(app: web.Application) -> None:
    # no "path/" twins: a proxy rule for "/metrics" must cover every path that answers it
    routing.add(app, "GET", "/health/live", live, OPS, trailing_slash=False)
    routing.add(app, "GET", "/health/ready", ready, OPS, trailing_slash=False)
    routing.add(app, "GET", "/metrics", prometheus_metrics, OPS, trailing_slash=False)
    setup_openapi(app)
