"""Route specifications: which surface a route belongs to and what the chain must do.

Routes stay thin: each is registered with a ``RouteSpec`` that the middlewares read
(the surface picks the error dialect; ``auth`` says who may call; ``data`` marks the
routes that go through quota, cache and forwarder).
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web


class Surface(enum.Enum):
    V5 = "v5"  # Enedis' own paths and error dialect
    V2026 = "2026"  # Enedis Data Connect 2026's paths and error dialect
    LEGACY = "legacy"  # the earlier public gateway's API
    MANAGEMENT = "management"  # accounts, consent, usage points, admin (RFC 9457 errors)
    OPS = "ops"  # health, metrics, OpenAPI
    WEB = "web"  # pages for people (HTML; errors as an HTML page)


class Auth(enum.Enum):
    NONE = "none"
    ACCOUNT = "account"  # Bearer or Basic (and raw secret on the legacy surface)
    ADMIN = "admin"


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class RouteSpec:
    surface: Surface
    auth: Auth = Auth.NONE
    # a data route: parses its request into a DataRequest (None for other routes)
    parse: Callable[[web.Request], Any] | None = None
    name: str | None = None


ROUTE_SPECS = web.AppKey("route_specs", dict[str, RouteSpec])
_SPEC_KEY = "gateway.route_spec"


def add(
    app: web.Application,
    method: str,
    path: str,
    handler: Handler,
    spec: RouteSpec,
    *,
    trailing_slash: bool = True,
) -> None:
    """Register ``handler`` at ``path`` (and ``path/`` when ``trailing_slash``)."""
    paths = [path]
    if trailing_slash and path != "/" and not path.endswith("/"):
        paths.append(path + "/")
    for one in paths:
        route = app.router.add_route(method, one, handler, name=None)
        specs = app.setdefault(ROUTE_SPECS, {})
        specs[_route_id(route)] = spec


def _route_id(route: web.AbstractRoute) -> str:
    resource = route.resource
    canonical = resource.canonical if resource is not None else ""
    return f"{route.method} {canonical}"


_V5_PREFIXES = ("/metering_data_", "/customers_", "/oauth2/")
_LEGACY_PREFIXES = (
    "/ping",
    "/valid_access",
    "/contracts",
    "/addresses",
    "/identity",
    "/contact",
    "/daily_",
    "/consumption_",
    "/production_",
    "/cache",
    "/rte",
    "/tempo",
    "/ecowatt",
    "/edf",
    "/reset",
    "/admin/reset",
    "/admin/rte",
    "/admin/edf",
)


def spec_of(request: web.Request) -> RouteSpec:
    """The spec of the matched route; for unmatched paths, a guess from the path."""
    cached = request.get(_SPEC_KEY)
    if isinstance(cached, RouteSpec):
        return cached
    spec: RouteSpec | None = None
    route = request.match_info.route
    specs = request.app.get(ROUTE_SPECS)
    if specs and route.resource is not None:
        spec = specs.get(_route_id(route))
        if spec is None and route.method != request.method:
            spec = None
    if spec is None:
        spec = RouteSpec(surface=surface_of_path(request.path))
    request[_SPEC_KEY] = spec
    return spec


def surface_of_path(path: str) -> Surface:
    if path.startswith(_V5_PREFIXES):
        return Surface.V5
    if path.startswith(_LEGACY_PREFIXES):
        return Surface.LEGACY
    if path.startswith(("/health", "/metrics", "/openapi", "/docs")):
        return Surface.OPS
    return Surface.MANAGEMENT
