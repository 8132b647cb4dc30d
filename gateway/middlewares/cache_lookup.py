"""Stage of the chain: cache_lookup (placeholder until implemented)."""

from __future__ import annotations

from aiohttp import web

from gateway.routing import Handler


@web.middleware
async def cache_lookup(request: web.Request, handler: Handler) -> web.StreamResponse:
    return await handler(request)
