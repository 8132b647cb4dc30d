"""Traces: one SERVER span per request, one CLIENT span per upstream attempt.

``setup_telemetry`` installs the process' ``TracerProvider`` once, with the exporters the
standard variables choose: OTLP/HTTP when ``OTEL_EXPORTER_OTLP_ENDPOINT`` (or
``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``) is set or ``OTEL_TRACES_EXPORTER`` says so,
``console`` on request, nothing by default (no provider at all: spans are no-ops).
``OTEL_SDK_DISABLED=true`` turns tracing off. ``OTEL_SERVICE_NAME`` defaults to
``enedis-gateway``; sampling follows ``OTEL_TRACES_SAMPLER`` as usual.

The server span is made by our own middleware rather than by
``opentelemetry-instrumentation-aiohttp-server``: that package records the concrete path and
query (``url.path``, ``http.target``, ``http.url``), which carry usage point ids. Ours records
the route template only (``http.route``, and the span name ``GET /template``). The upstream
client spans come from ``opentelemetry-instrumentation-aiohttp-client`` with the query string
stripped from the recorded URL for the same reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import threading
import time
from typing import TYPE_CHECKING, Any

import aiohttp
import yarl
from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from opentelemetry import propagate, trace
from opentelemetry.trace import (
    INVALID_SPAN,
    NoOpTracerProvider,
    ProxyTracerProvider,
    Span,
    SpanKind,
    Status,
    StatusCode,
)

from gateway.observability import env, metrics
from gateway.request_keys import CACHE_STATUS, PRINCIPAL

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from gateway.config import Settings

log = logging.getLogger(__name__)


UNMATCHED = "unmatched"
_TRACER_NAME = "gateway"

_lock = threading.Lock()
_configured = False
_provider: TracerProvider | None = None
_memory: InMemorySpanExporter | None = None

# The SERVER span of the request being handled (set_span_attributes writes there).
_SERVER_SPAN: contextvars.ContextVar[Span | None] = contextvars.ContextVar(
    "gateway_server_span", default=None
)


def setup_telemetry(settings: Settings | None = None) -> None:
    """Install the tracer provider and exporters chosen by ``OTEL_*`` (once per process).

    Also creates the meter provider behind ``/metrics``. ``settings`` is accepted for
    symmetry with the other setup functions; everything here comes from ``OTEL_*``."""
    global _configured  # noqa: PLW0603 - once per process
    with _lock:
        if _configured:
            return
        _configured = True
        metrics.meter_provider()
        chosen = env.exporters("traces")
        if not chosen:
            return
        provider = _ensure_provider()
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

        for name in sorted(chosen):
            if name == "otlp":
                from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
                    OTLPSpanExporter,
                )

                provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
            elif name == "console":
                from opentelemetry.sdk.trace.export import ConsoleSpanExporter

                provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter()))
            else:
                log.warning("OTEL_TRACES_EXPORTER: unsupported exporter %r ignored", name)


def _ensure_provider() -> TracerProvider:
    """The process' SDK tracer provider, created and made global on first call."""
    global _provider  # noqa: PLW0603 - one provider per process
    if _provider is None:
        from opentelemetry.sdk.trace import TracerProvider

        _provider = TracerProvider(resource=env.resource())
        trace.set_tracer_provider(_provider)
    return _provider


def install_memory_exporter() -> InMemorySpanExporter:
    """TEST HOOK: record every finished span in memory (even without ``OTEL_*`` settings).

    Returns the process' in-memory exporter, emptied; call ``get_finished_spans()`` on it."""
    global _memory  # noqa: PLW0603 - one per process
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    with _lock:
        if _memory is None:
            _memory = InMemorySpanExporter()
            _ensure_provider().add_span_processor(SimpleSpanProcessor(_memory))
        _memory.clear()
        return _memory


def shutdown_telemetry() -> None:
    """Flush and stop the exporters (on process exit)."""
    if _provider is not None:
        _provider.shutdown()


# -- the server span -----------------------------------------------------------------------


def route_template(request: web.BaseRequest) -> str:
    """The template of the matched route (``/x/{id}``), never the concrete path."""
    match_info = getattr(request, "match_info", None)
    route = getattr(match_info, "route", None)
    resource = getattr(route, "resource", None)
    if resource is None:
        return UNMATCHED
    canonical = resource.canonical
    return str(canonical) if canonical else UNMATCHED


def set_span_attributes(**attributes: Any) -> None:
    """Add attributes to the SERVER span of the current request (no-op outside one).

    Names without a dot get the ``gateway.`` prefix: ``set_span_attributes(cache_status="hit",
    upstream_attempts=2, limiter_wait_ms=12.5)`` sets ``gateway.cache_status``,
    ``gateway.upstream_attempts`` and ``gateway.limiter_wait_ms``. Values must be str, bool,
    int, float (or sequences of them); ``None`` values are skipped. Never pass a secret,
    an email or a usage point id."""
    span = _SERVER_SPAN.get() or trace.get_current_span()
    if not span.is_recording():
        return
    for name, value in attributes.items():
        if value is None:
            continue
        span.set_attribute(name if "." in name else f"gateway.{name}", value)


#: What a request runs in when no tracer provider is installed (no exporter chosen): the
#: API's own non-recording span, without the cost of making one and extracting the caller's
#: context for nothing (measured: a tenth of a warm hit's time, issue 18).
_NO_SPAN = contextlib.nullcontext(INVALID_SPAN)


def tracing_installed() -> bool:
    """A tracer provider that records spans is installed (ours, or the application's)."""
    return not isinstance(trace.get_tracer_provider(), ProxyTracerProvider | NoOpTracerProvider)


def server_tracing_middleware() -> Middleware:
    """The first middleware of the app: the SERVER span and the request metrics.

    Outside the error mapper, so it sees the final status of every answer."""
    tracer = trace.get_tracer(_TRACER_NAME)

    @web.middleware
    async def server_tracing(request: web.Request, handler: Handler) -> web.StreamResponse:
        route = route_template(request)
        method = request.method
        start = time.perf_counter()
        status = 500
        server_span = (
            tracer.start_as_current_span(
                f"{method} {route}" if route != UNMATCHED else method,
                context=propagate.extract(request.headers),
                kind=SpanKind.SERVER,
                attributes={
                    "http.request.method": method,
                    "http.route": route,
                    "url.scheme": request.scheme,
                    "network.protocol.version": f"{request.version.major}.{request.version.minor}",
                },
                record_exception=False,
                set_status_on_exception=False,
            )
            if tracing_installed()
            else _NO_SPAN
        )
        with server_span as span:
            token = _SERVER_SPAN.set(span)
            try:
                response = await handler(request)
                status = response.status
                return response
            except web.HTTPException as exc:
                status = exc.status
                raise
            except asyncio.CancelledError:
                status = 499  # the client went away
                span.set_attribute("error.type", "cancelled")
                raise
            except Exception as exc:
                # the error mapper answers every failure; reaching here is a bug: keep the
                # type, not the message (it could quote request data)
                span.set_attribute("error.type", type(exc).__qualname__)
                raise
            finally:
                _SERVER_SPAN.reset(token)
                if span.is_recording():
                    _finish_span(span, request, status)
                metrics.record_request(route, method, status, time.perf_counter() - start)

    return server_tracing


def _finish_span(span: Span, request: web.Request, status: int) -> None:
    span.set_attribute("http.response.status_code", status)
    if status >= 500:
        span.set_status(Status(StatusCode.ERROR))
        span.set_attribute("error.type", str(status))
    from gateway.observability.request_id import REQUEST_ID

    request_id = request.get(REQUEST_ID)
    if request_id:
        span.set_attribute("gateway.request_id", request_id)
    cache_status = request.get(CACHE_STATUS)
    if cache_status:
        span.set_attribute("gateway.cache_status", cache_status)
    principal = request.get(PRINCIPAL)
    account_id = getattr(principal, "account_id", None)
    if account_id:
        span.set_attribute("gateway.account_id", str(account_id))


# -- the upstream client spans ---------------------------------------------------------------


def _without_query(url: yarl.URL) -> str:
    """The upstream URL recorded in client spans: no query string (it holds usage point ids)."""
    return str(url.with_query(None).with_fragment(None))


def client_trace_configs() -> list[aiohttp.TraceConfig]:
    """Trace configs for the upstream ``ClientSession``: one CLIENT span per attempt."""
    from opentelemetry.instrumentation.aiohttp_client import create_trace_config

    config: aiohttp.TraceConfig = create_trace_config(
        url_filter=_without_query,
        meter_provider=metrics.meter_provider(),
        sensitive_headers=["authorization", "cookie", "set-cookie"],
    )
    # a call made while no tracer provider is installed is not instrumented (its span would
    # be dropped; the gateway counts upstream calls itself: gateway_upstream_calls_total)
    for signal in (config.on_request_start, config.on_request_end, config.on_request_exception):
        signal[:] = [
            _when_traced(callback, first=signal is config.on_request_start) for callback in signal
        ]
    return [config]


def _when_traced(callback: Any, *, first: bool) -> Any:
    """``callback`` of the client instrumentation, run only for a call it started on."""

    async def guarded(session: Any, context: Any, params: Any) -> None:
        if first:
            context.gateway_traced = tracing_installed()
        if getattr(context, "gateway_traced", False):
            await callback(session, context, params)

    return guarded
