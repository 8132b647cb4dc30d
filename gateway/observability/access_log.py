"""One JSON log line per request (logger ``gateway.access``).

Fields: ``request_id``, ``method``, ``route`` (the route TEMPLATE, never the concrete path),
``status``, ``latency_ms``, ``bytes``, ``cache_status`` and ``account_id`` (when known).
Nothing else of the request is logged: no path, no query, no header, no body.

Under the production logging (``gateway.logs.configure_logging``) the line's fields go
straight to its handler, which writes them in batches (no ``LogRecord`` per request: the
record machinery was most of the access log's cost); with any other configuration (a test
capturing records, another handler) the line is logged as a record, the same fields.
"""

from __future__ import annotations

import logging
import time as clock
from typing import Any

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from gateway.logs import ACCESS_LOGGER, deferring_handler, redact_access_id, timestamp
from gateway.observability.request_id import REQUEST_ID
from gateway.observability.tracing import route_template
from gateway.request_keys import CACHE_STATUS, PRINCIPAL

LOGGER_NAME = ACCESS_LOGGER


class JsonAccessLogger(AbstractAccessLogger):
    """aiohttp access logger writing structured fields (formatted as JSON by ``logs``)."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        route = route_template(request)
        principal = request.get(PRINCIPAL)
        account_id = getattr(principal, "account_id", None)
        fields: dict[str, Any] = {
            "request_id": request.get(REQUEST_ID),
            "method": request.method,
            "route": route,
            "status": response.status,
            "latency_ms": round(time * 1000, 2),
            "bytes": response.body_length,
            "cache_status": request.get(CACHE_STATUS) or response.headers.get("X-Cache-Status"),
            "account_id": str(account_id) if account_id else None,
        }
        handler = deferring_handler(self.logger)
        if handler is None or not self.logger.isEnabledFor(logging.INFO):
            self.logger.info("%s %s %s", request.method, route, response.status, extra=fields)
            return
        fields["request_id"] = redact_access_id(fields["request_id"])
        handler.defer(
            {
                "ts": timestamp(clock.time()),
                "level": "info",
                "logger": self.logger.name,
                "message": f"{request.method} {route} {response.status}",
                **fields,
            }
        )

    @property
    def enabled(self) -> bool:
        return self.logger.isEnabledFor(logging.INFO)


def access_log_kwargs() -> dict[str, Any]:
    """Keyword arguments for ``web.AppRunner`` (or ``TestServer.start_server``)."""
    return {"access_log_class": JsonAccessLogger, "access_log": logging.getLogger(LOGGER_NAME)}
