"""Traces: a SERVER span per request (route template only), CLIENT spans per upstream call."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from gateway.enedis.catalogue import BY_NAME
from gateway.observability.request_id import request_id_middleware
from gateway.observability.tracing import server_tracing_middleware, set_span_attributes
from tests.support.journey import ready_account
from tests.support.sandbox import CONSUMPTION_AND_PRODUCTION, query, recent_range

PDL = "09100000000001"
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


def server_spans(spans: InMemorySpanExporter, route: str) -> list[ReadableSpan]:
    return [
        span
        for span in spans.get_finished_spans()
        if span.kind is SpanKind.SERVER and (span.attributes or {}).get("http.route") == route
    ]


def every_value(span: ReadableSpan) -> str:
    return " ".join([span.name, *(str(v) for v in (span.attributes or {}).values())])


async def test_a_server_span_per_request(gateway: Any, spans: InMemorySpanExporter) -> None:
    answer = await gateway.get(
        "/health/live", headers={"traceparent": TRACEPARENT, "X-Request-ID": "trace-me-1"}
    )
    assert answer.status == 200
    (span,) = server_spans(spans, "/health/live")
    assert span.name == "GET /health/live"
    attributes = dict(span.attributes or {})
    assert attributes["http.request.method"] == "GET"
    assert attributes["http.response.status_code"] == 200
    assert attributes["gateway.request_id"] == "trace-me-1"
    # continues the caller's trace (W3C traceparent)
    assert format(span.context.trace_id, "032x") == TRACE_ID
    assert span.parent is not None and span.parent.is_remote


async def test_server_spans_hold_templates_never_usage_point_ids(
    gateway: Any, spans: InMemorySpanExporter
) -> None:
    assert (await gateway.patch(f"/pdl/{PDL}", json={"name": "x"})).status == 401
    params = {"usage_point_id": PDL, "start": "2024-01-01", "end": "2024-01-02"}
    answer = await gateway.get("/metering_data_dc/v5/daily_consumption", params=params)
    assert answer.status == 401
    (patch,) = server_spans(spans, "/pdl/{usage_point_id}")
    assert patch.name == "PATCH /pdl/{usage_point_id}"
    (data,) = server_spans(spans, "/metering_data_dc/v5/daily_consumption")
    assert data.attributes is not None and data.attributes["http.response.status_code"] == 401
    for span in spans.get_finished_spans():
        assert PDL not in every_value(span)


async def test_set_span_attributes_reach_the_server_span(
    aiohttp_client: Any, spans: InMemorySpanExporter
) -> None:
    async def handler(request: web.Request) -> web.Response:
        set_span_attributes(cache_status="MISS", upstream_attempts=2, limiter_wait_ms=12.5)
        return web.json_response({})

    async def failing(request: web.Request) -> web.Response:
        raise web.HTTPServiceUnavailable()

    app = web.Application(middlewares=[server_tracing_middleware(), request_id_middleware])
    app.router.add_get("/things/{thing_id}", handler)
    app.router.add_get("/broken", failing)
    client = await aiohttp_client(app)
    assert (await client.get("/things/42")).status == 200
    assert (await client.get("/broken")).status == 503
    (span,) = server_spans(spans, "/things/{thing_id}")
    attributes = dict(span.attributes or {})
    assert attributes["gateway.cache_status"] == "MISS"
    assert attributes["gateway.upstream_attempts"] == 2
    assert attributes["gateway.limiter_wait_ms"] == 12.5
    (broken,) = server_spans(spans, "/broken")
    assert broken.status.status_code is StatusCode.ERROR
    set_span_attributes(outside="a request")  # no current span: nothing happens


async def test_cache_miss_trace(gateway: Any, spans: InMemorySpanExporter) -> None:
    account = await ready_account(gateway)
    endpoint = BY_NAME["daily_consumption"]
    start, end = recent_range(3)
    params = query(CONSUMPTION_AND_PRODUCTION, endpoint, start, end)
    spans.clear()
    answer = await gateway.get(endpoint.path, params=params, headers=account.bearer)
    assert answer.status == 200, await answer.text()
    assert answer.headers["X-Cache-Status"] == "MISS"
    (server,) = server_spans(spans, endpoint.path)
    assert server.attributes is not None
    assert server.attributes["gateway.cache_status"] == "MISS"
    assert server.attributes["gateway.account_id"]
    assert server.attributes["gateway.upstream_attempts"] == 1
    assert "gateway.limiter_wait_ms" in server.attributes
    trace_id = server.context.trace_id
    clients = [
        span
        for span in spans.get_finished_spans()
        if span.kind is SpanKind.CLIENT and span.context.trace_id == trace_id
    ]
    assert clients, "no upstream CLIENT span in the request's trace"
    for span in clients:
        assert span.parent is not None
        assert "?" not in every_value(span)  # the recorded upstream URL has no query string
    for span in spans.get_finished_spans():
        assert CONSUMPTION_AND_PRODUCTION not in every_value(span)
