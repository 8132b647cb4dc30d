"""CORS, closed unless ``CORS_ORIGINS`` lists origins (``*``: any origin).

When open: a preflight (``OPTIONS`` with ``Access-Control-Request-Method``) from a listed
origin is answered 204 here, before authentication; every answer to a listed origin
carries ``Access-Control-Allow-Origin`` with that origin (never another one) and exposes
the headers clients read (quota, cache status, request id, Retry-After). Requests from
other origins get no CORS header: browsers keep their answers from the page.
"""

from __future__ import annotations

from collections.abc import Sequence

from aiohttp import web
from aiohttp.typedefs import Middleware

from gateway.routing import Handler

ALLOW_METHODS = "GET, POST, PATCH, DELETE, OPTIONS"
ALLOW_HEADERS = "Authorization, Content-Type, Cache-Control, X-Request-ID"
EXPOSE_HEADERS = (
    "X-Request-ID, X-Cache-Status, Retry-After, RateLimit, RateLimit-Policy, "
    "X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, Location"
)
MAX_AGE = "600"


class Cors:
    def __init__(self, origins: Sequence[str]) -> None:
        self.any = "*" in origins
        self.origins = frozenset(origin.rstrip("/") for origin in origins if origin != "*")

    def allowed(self, origin: str | None) -> bool:
        return bool(origin) and (self.any or origin in self.origins)

    @web.middleware
    async def preflight(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        origin = request.headers.get("Origin")
        if (
            request.method == "OPTIONS"
            and "Access-Control-Request-Method" in request.headers
            and self.allowed(origin)
            and _route_exists(request)
        ):
            return web.Response(
                status=204,
                headers={
                    "Access-Control-Allow-Methods": ALLOW_METHODS,
                    "Access-Control-Allow-Headers": ALLOW_HEADERS,
                    "Access-Control-Max-Age": MAX_AGE,
                },
            )
        return await handler(request)

    async def on_response_prepare(self, request: web.Request, response: web.StreamResponse) -> None:
        response.headers.add("Vary", "Origin")
        origin = request.headers.get("Origin")
        if origin is not None and self.allowed(origin):
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Expose-Headers"] = EXPOSE_HEADERS


def _route_exists(request: web.Request) -> bool:
    error = getattr(request.match_info, "http_exception", None)
    return not (isinstance(error, web.HTTPException) and error.status == 404)


def setup_cors(app: web.Application, origins: Sequence[str]) -> list[Middleware]:
    """Install CORS for ``origins`` (nothing when empty); the middlewares to put in the
    chain, before authentication."""
    if not origins:
        return []
    cors = Cors(origins)
    app.on_response_prepare.append(cors.on_response_prepare)
    return [cors.preflight]
