"""What every data call goes through before its handler, like Enedis' API gateway.

Order: count as received (stats) -> outage (503) -> Bearer token (401) -> subscription
(403 900908 when the API's generation is not served, ``SANDBOX_APIS``, or the application
has no subscription to it, ``SANDBOX_UNSUBSCRIBED``) -> the API's quotas (429, not
counted) -> injected faults (latency, 504 after a hang, 500/503) -> handler. Answers are in
the dialect of the API's generation: v5 ``{"error", "error_description"}``, 2026
``{"code", "message"}``. Any ``EnedisError`` or ``Error2026Answer`` raised by the handler
becomes its JSON error answer.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import hdrs, web

from gateway.enedis import upstream_errors as errors
from gateway.enedis import upstream_errors_2026 as errors_2026
from gateway.enedis.catalogue import Api
from gateway.enedis.rules import EnedisError
from gateway.enedis.upstream_errors_2026 import Error2026, Error2026Answer
from gateway.sandbox.faults import inject
from gateway.sandbox.state import STATE

__all__ = ["Answer", "Handler", "bearer_token", "error_response", "guarded", "not_subscribed"]

logger = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
#: An error answer of either generation.
Answer = EnedisError | Error2026Answer


def error_response(error: Answer, headers: dict[str, str] | None = None) -> web.Response:
    """Enedis' JSON error answer."""
    return web.json_response(error.body(), status=error.status, headers=headers)


def not_subscribed() -> web.Response:
    """The API gateway's 403 900908: no subscription to this API."""
    return error_response(Error2026Answer(errors_2026.SUBSCRIPTION_REQUIRED))


def bearer_token(request: web.Request) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, if any."""
    scheme, _, token = request.headers.get(hdrs.AUTHORIZATION, "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def _answer(api: Api, v5: errors.UpstreamError, v2026: Error2026) -> Answer:
    if api is Api.V5:
        return EnedisError.from_catalogue(v5)
    return Error2026Answer(v2026)


def guarded(endpoint_name: str, handler: Handler, api: Api = Api.V5) -> Handler:
    """Wrap a data handler of ``api`` in the outage, token, quota and fault checks."""

    async def guarded_handler(request: web.Request) -> web.StreamResponse:
        state = request.app[STATE]
        state.stats.data_call(endpoint_name, state.clock(), api)
        if state.faults.outage:
            state.stats.errors_injected += 1
            return error_response(
                _answer(api, errors.SERVICE_UNAVAILABLE, errors_2026.SERVICE_UNAVAILABLE)
            )
        token = bearer_token(request)
        if token is None or not state.tokens.is_valid(token):
            return error_response(
                _answer(api, errors.INVALID_TOKEN, errors_2026.INVALID_CREDENTIALS),
                {hdrs.WWW_AUTHENTICATE: 'Bearer error="invalid_token"'},
            )
        if not state.settings.serves(api):
            return not_subscribed()
        refused = state.quotas.acquire(api, state.clock())
        if refused is not None:
            state.stats.refused(api)
            logger.info("%s: %s", endpoint_name, refused.error)
            return error_response(refused.error, {hdrs.RETRY_AFTER: str(refused.retry_after)})
        fault = await inject(state.faults, state.rng, state.stats)
        if fault is not None:
            return error_response(fault if api is Api.V5 else _as_2026(fault))
        try:
            return await handler(request)
        except (EnedisError, Error2026Answer) as e:
            return error_response(e)

    return guarded_handler


def _as_2026(fault: EnedisError) -> Error2026Answer:
    """The 2026 answer of an injected fault (500, 503 or 504)."""
    by_status = {
        504: errors_2026.GATEWAY_TIMEOUT,
        503: errors_2026.SERVICE_UNAVAILABLE,
    }
    return Error2026Answer(by_status.get(fault.status, errors_2026.TECHNICAL))
