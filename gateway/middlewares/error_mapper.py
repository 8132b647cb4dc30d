"""The outermost stage: every failure becomes an answer in the dialect of its surface.

v5: ``{"error", "error_description"}`` with Enedis' status codes, and the gateway's ``hint``
beside them when Enedis' text does not say how to fix the request (a key Enedis' clients
ignore); 2026: ``{"code", "message"}``; legacy: ``{"detail": ...}`` (the hint appended; 422
validation errors in the ``HTTPValidationError`` shape); management and ops: RFC 9457
``application/problem+json``; web pages: an HTML page in the browser's language. Nothing
unhandled reaches a client as a stack trace.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from aiohttp import web

from gateway import state
from gateway.errors import (
    QUOTA_EXCEEDED,
    GatewayError,
    UpstreamFailure,
    problem_body,
    status_title,
)
from gateway.routing import Handler, Surface, spec_of
from gateway.web.errors import error_page

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


def render(request: web.Request, error: GatewayError) -> web.Response:
    """The answer for ``error`` on the surface of ``request``."""
    surface = spec_of(request).surface
    if surface is Surface.WEB:
        return error_page(request, error)
    body: Any
    content_type = "application/json"
    if surface is Surface.V5:
        body = {"error": error.code, "error_description": error.message}
        if error.hint:
            body["hint"] = error.hint
    elif surface is Surface.V2026:
        code, message = error.code, error.message
        if isinstance(error, UpstreamFailure) and error.in_2026 is not None:
            code, message = error.in_2026  # Enedis' refusal in its 2026 words
        body = {"code": code, "message": message}
    elif surface is Surface.LEGACY:
        if error.code == QUOTA_EXCEEDED:
            # the earlier gateway's convention, which its clients read as "limit reached"
            error = GatewayError(409, error.code, error.message, headers=error.headers)
        if error.status == 422:
            loc = list(error.location or ("path", error.field or "request"))
            body = {"detail": [{"loc": loc, "msg": error.message, "type": error.code}]}
        else:
            body = {"detail": f"{error.message} {error.hint}" if error.hint else error.message}
    else:
        body = problem_body(error, instance=request.path)
        content_type = PROBLEM_JSON
    response = web.Response(
        status=error.status,
        body=json.dumps(body).encode(),
        content_type=content_type,
        headers=error.headers,
    )
    response["error_code"] = error.code
    return response


def _from_http_exception(exc: web.HTTPException) -> GatewayError:
    status = exc.status
    code = {
        404: "not_found",
        405: "method_not_allowed",
        413: "payload_too_large",
        415: "unsupported_media_type",
    }.get(status, "http_error")
    message = {
        404: "No route matches this path.",
        405: "This method is not allowed on this path.",
        413: "The request body is too large.",
    }.get(
        status,
        exc.text if exc.text and not exc.text.startswith(str(status)) else status_title(status),
    )
    headers = {k: v for k, v in exc.headers.items() if k.lower() in {"allow", "retry-after"}}
    return GatewayError(status, code, message, headers=headers)


def _announced_too_large(request: web.Request) -> bool:
    """The body announced (Content-Length) is over the limit: refuse it without waiting
    for it (a client may announce 100 MB and send one byte)."""
    settings = request.app.get(state.SETTINGS)
    declared = request.content_length
    return settings is not None and declared is not None and declared > settings.max_body_bytes


@web.middleware
async def error_mapper(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        if _announced_too_large(request):
            raise web.HTTPRequestEntityTooLarge(
                max_size=request.app[state.SETTINGS].max_body_bytes,
                actual_size=request.content_length or 0,
            )
        return await handler(request)
    except GatewayError as caught:
        return render(request, caught)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return render(request, _from_http_exception(exc))
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("unhandled error on %s %s", request.method, spec_of(request).name or "route")
        failure = GatewayError(500, "internal_error", "The gateway failed to handle this request.")
        return render(request, failure)
