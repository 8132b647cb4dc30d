"""Errors as exceptions with data; the error mapper renders them per surface.

Every failure the gateway answers is a ``GatewayError`` (or becomes one in the
error mapper). It carries what each dialect needs: the status, a stable code, a
human message in English, the faulty field when there is one, and headers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

QUOTA_EXCEEDED = "GW-QUOTA-EXCEEDED"
NO_CONSENT_MESSAGE = (
    "No consent recorded through this gateway for this usage point: give it through "
    "/oauth/authorize (authenticated as this account), then retry."
)


class GatewayError(Exception):
    """An answer other than success, rendered by the error mapper."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        field: str | None = None,
        headers: Mapping[str, str] | None = None,
        location: tuple[str, ...] | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.headers: dict[str, str] = dict(headers or {})
        self.location = location
        # how to fix it, when ``message`` is Enedis' own text (kept as Enedis words it)
        self.hint = hint

    def __repr__(self) -> str:
        return f"GatewayError({self.status}, {self.code!r}, {self.message!r})"


class UpstreamFailure(GatewayError):
    """Enedis answered an error (or could not be reached); keeps the upstream body."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        upstream_status: int | None = None,
        headers: Mapping[str, str] | None = None,
        retryable: bool = False,
        in_2026: tuple[str, str] | None = None,
    ) -> None:
        super().__init__(status, code, message, headers=headers)
        self.upstream_status = upstream_status
        self.retryable = retryable
        # the ``code`` and ``message`` Data Connect 2026 gives (or would give) this refusal:
        # what the 2026 surface answers, where ``code``/``message`` are in v5 words
        self.in_2026 = in_2026


def bad_request(
    message: str, *, field: str | None = None, code: str = "invalid_request"
) -> GatewayError:
    return GatewayError(400, code, message, field=field)


def unauthorized(message: str = "Valid credentials are required.") -> GatewayError:
    return GatewayError(
        401, "invalid_client", message, headers={"WWW-Authenticate": 'Bearer realm="gateway"'}
    )


def forbidden(message: str, *, code: str = "forbidden") -> GatewayError:
    return GatewayError(403, code, message)


def not_found(message: str = "Not found.", *, code: str = "not_found") -> GatewayError:
    return GatewayError(404, code, message)


def too_many(
    message: str,
    retry_after: int,
    *,
    code: str = "too_many_requests",
    headers: Mapping[str, str] | None = None,
) -> GatewayError:
    merged = {"Retry-After": str(max(1, int(retry_after)))}
    merged.update(headers or {})
    return GatewayError(429, code, message, headers=merged)


def unavailable(
    message: str, retry_after: int | None = None, *, code: str = "unavailable"
) -> GatewayError:
    headers = {"Retry-After": str(max(1, int(retry_after)))} if retry_after is not None else None
    return GatewayError(503, code, message, headers=headers)


def problem_body(error: GatewayError, instance: str | None = None) -> dict[str, Any]:
    """RFC 9457 problem details (management surface)."""
    body: dict[str, Any] = {
        "type": f"https://enedis-gateway.local/problems/{error.code}",
        "title": _TITLES.get(error.status, "Error"),
        "status": error.status,
        "detail": error.message,
        "code": error.code,
    }
    if error.field:
        body["field"] = error.field
    if instance:
        body["instance"] = instance
    return body


_TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Payload Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    429: "Too Many Requests",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
    501: "Not Implemented",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def status_title(status: int) -> str:
    return _TITLES.get(status, "Error")
