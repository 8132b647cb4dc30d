"""Stage of the chain: quota (placeholder until implemented)."""

from __future__ import annotations

from aiohttp import web

from gateway.routing import Handler


@web.middleware
async def quota(request: web.Request, handler: Handler) -> web.StreamResponse:
    return await handler(request)
