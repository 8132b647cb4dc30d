"""The error page of the web surface: the error's meaning in the browser's language."""

from __future__ import annotations

from aiohttp import web

from gateway.errors import GatewayError
from gateway.web.render import render

# error codes with words of their own (others: by status)
_BY_CODE = {
    "csrf_failed": "error.csrf",
    "usage_point_not_found": "error.no_point",
    "invalid_usage_point_id": "error.no_point",
}
_BY_STATUS = {401: "error.signin", 404: "error.not_found", 405: "error.not_found"}


def error_message_key(error: GatewayError) -> str:
    if error.code in _BY_CODE:
        return _BY_CODE[error.code]
    if error.status in _BY_STATUS:
        return _BY_STATUS[error.status]
    if error.status in {502, 503, 504}:
        return "error.unavailable"
    return "error.generic"


def error_page(request: web.Request, error: GatewayError) -> web.Response:
    """An HTML page for ``error`` (its status and headers kept)."""
    response = render(
        request, "error.html", {"message_key": error_message_key(error)}, status=error.status
    )
    for name, value in error.headers.items():
        if name.lower() == "retry-after":
            response.headers[name] = value
    response["error_code"] = error.code
    return response
