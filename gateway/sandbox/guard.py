"""What every data call goes through before its handler, like Enedis' API gateway.

Order: count as received (stats) -> outage (503) -> Bearer token (401) -> quotas Q3/Q4
(429, not counted) -> injected faults (latency, 504 after a hang, 500/503) -> handler.
Any ``EnedisError`` becomes Enedis' JSON error answer.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import hdrs, web

from gateway.enedis import upstream_errors as errors
from gateway.enedis.rules import EnedisError
from gateway.sandbox.faults import inject
from gateway.sandbox.state import STATE

__all__ = ["Handler", "bearer_token", "error_response", "guarded"]

logger = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def error_response(error: EnedisError, headers: dict[str, str] | None = None) -> web.Response:
    """Enedis' JSON error answer."""
    return web.json_response(error.body(), status=error.status, headers=headers)


def bearer_token(request: web.Request) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, if any."""
    scheme, _, token = request.headers.get(hdrs.AUTHORIZATION, "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def guarded(endpoint_name: str, handler: Handler) -> Handler:
    """Wrap a data handler in the outage, token, quota and fault checks."""

    async def guarded_handler(request: web.Request) -> web.StreamResponse:
        state = request.app[STATE]
        state.stats.data_call(endpoint_name, state.clock())
        if state.faults.outage:
            state.stats.errors_injected += 1
            return error_response(EnedisError.from_catalogue(errors.SERVICE_UNAVAILABLE))
        token = bearer_token(request)
        if token is None or not state.tokens.is_valid(token):
            return error_response(
                EnedisError.from_catalogue(errors.INVALID_TOKEN),
                {hdrs.WWW_AUTHENTICATE: 'Bearer error="invalid_token"'},
            )
        refused = state.quotas.acquire(state.clock())
        if refused is not None:
            state.stats.rate_limited += 1
            logger.info("%s: %s", endpoint_name, refused.error)
            return error_response(refused.error, {hdrs.RETRY_AFTER: str(refused.retry_after)})
        fault = await inject(state.faults, state.rng, state.stats)
        if fault is not None:
            return error_response(fault)
        try:
            return await handler(request)
        except EnedisError as e:
            return error_response(e)

    return guarded_handler
