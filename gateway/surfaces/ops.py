"""Operations routes: liveness and readiness."""

from __future__ import annotations

from aiohttp import web

from gateway import db, routing, state
from gateway.routing import RouteSpec, Surface

OPS = RouteSpec(surface=Surface.OPS)


async def live(request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def ready(request: web.Request) -> web.Response:
    app = request.app
    checks: dict[str, str] = {}
    try:
        pending = await db.pending_migrations(app[state.DB])
        checks["postgres"] = "ok" if not pending else f"{len(pending)} migrations pending"
    except Exception:  # noqa: BLE001 - any failure means "not ready"
        checks["postgres"] = "unreachable"
    checks["redis"] = "ok" if await app[state.STORE].ping() else "unreachable"
    ok = all(value == "ok" for value in checks.values())
    return web.json_response({"status": "ok" if ok else "unavailable", "checks": checks},
                             status=200 if ok else 503)


def register(app: web.Application) -> None:
    routing.add(app, "GET", "/health/live", live, OPS)
    routing.add(app, "GET", "/health/ready", ready, OPS)
