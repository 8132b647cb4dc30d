"""``X-Request-ID``: accepted from the caller when well-formed, generated otherwise, and
returned on every response (errors, 404s and redirects included)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable

from aiohttp import web

from gateway.logs import REQUEST_ID as REQUEST_ID_VAR

HEADER = "X-Request-ID"
REQUEST_ID = "gateway.request_id"  # request[REQUEST_ID]: str

_VALID = re.compile(r"[A-Za-z0-9._-]{1,128}")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def accept_or_generate(value: str | None) -> str:
    """``value`` when it is 1 to 128 characters of ``[A-Za-z0-9._-]``, else a new UUID."""
    if value is not None and _VALID.fullmatch(value):
        return value
    return str(uuid.uuid4())


def request_id_of(request: web.BaseRequest) -> str:
    """The id of ``request``, decided on first call."""
    existing = request.get(REQUEST_ID)
    if not isinstance(existing, str):
        existing = accept_or_generate(request.headers.get(HEADER))
        request[REQUEST_ID] = existing
    return existing


@web.middleware
async def request_id_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Decide the request id before anything else runs; every log line of the request
    carries it (``request_id``)."""
    token = REQUEST_ID_VAR.set(request_id_of(request))
    try:
        return await handler(request)
    finally:
        REQUEST_ID_VAR.reset(token)


async def echo_request_id(request: web.Request, response: web.StreamResponse) -> None:
    """``on_response_prepare``: put ``X-Request-ID`` on every response."""
    response.headers[HEADER] = request_id_of(request)
