"""``GET /metrics``: Prometheus text of the gateway's metrics, labelled by route TEMPLATE."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from gateway.observability import metrics

PDL = "09100000000001"


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    found: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(text: str, name: str, **labels: str) -> float:
    return samples(text).get((name, frozenset(labels.items())), 0.0)


async def scrape(gateway: Any) -> str:
    answer = await gateway.get("/metrics")
    assert answer.status == 200
    assert answer.headers["Content-Type"].startswith("text/plain")
    return str(await answer.text())


async def test_metrics_count_requests_by_route_and_status(gateway: Any) -> None:
    labels = {"route": "/health/live", "method": "GET", "status": "200"}
    before = await scrape(gateway)
    assert (await gateway.get("/health/live")).status == 200
    after = await scrape(gateway)
    assert value(after, "gateway_http_requests_total", **labels) == (
        value(before, "gateway_http_requests_total", **labels) + 1
    )
    count = value(after, "gateway_http_request_duration_seconds_count", **labels)
    assert count == value(before, "gateway_http_request_duration_seconds_count", **labels) + 1
    assert "process_cpu_seconds_total" in after  # the process collector is there too


async def test_metrics_label_the_template_never_the_concrete_path(gateway: Any) -> None:
    answer = await gateway.patch(f"/pdl/{PDL}", json={"name": "x"})
    assert answer.status == 401
    answer = await gateway.get(
        "/metering_data_dc/v5/daily_consumption",
        params={"usage_point_id": PDL, "start": "2024-01-01", "end": "2024-01-02"},
    )
    assert answer.status == 401
    assert (await gateway.get(f"/nowhere/{PDL}")).status == 404
    text = await scrape(gateway)
    assert PDL not in text
    assert value(
        text, "gateway_http_requests_total",
        route="/pdl/{usage_point_id}", method="PATCH", status="401",
    ) >= 1  # fmt: skip
    assert value(
        text, "gateway_http_requests_total",
        route="/metering_data_dc/v5/daily_consumption", method="GET", status="401",
    ) >= 1  # fmt: skip
    assert (
        value(text, "gateway_http_requests_total", route="unmatched", method="GET", status="404")
        >= 1
    )


def test_every_recording_function_shows_in_the_exposition() -> None:
    before = metrics.exposition().decode()
    metrics.record_cache("hit")
    metrics.record_cache("no-such-outcome")
    metrics.record_upstream_call("daily_consumption", 200)
    metrics.record_upstream_call("daily_consumption", 429)
    metrics.record_upstream_call("daily_consumption", 503)
    metrics.record_upstream_call("daily_consumption", "timeout")
    metrics.record_limiter_wait(0.2)
    metrics.record_quota_refusal("upstream")
    metrics.record_redis_fallback("cache")
    after = metrics.exposition().decode()

    def grew(name: str, by: float = 1, **labels: str) -> bool:
        return value(after, name, **labels) == value(before, name, **labels) + by

    assert grew("gateway_cache_lookups_total", outcome="hit")
    assert grew("gateway_cache_lookups_total", outcome="other")
    assert grew("gateway_upstream_calls_total", endpoint="daily_consumption", status="200")
    assert grew("gateway_upstream_calls_total", endpoint="daily_consumption", status="429")
    assert grew("gateway_upstream_calls_total", endpoint="daily_consumption", status="timeout")
    assert grew("gateway_upstream_throttled_total", endpoint="daily_consumption")
    assert grew("gateway_upstream_failures_total", endpoint="daily_consumption", kind="5xx")
    assert grew("gateway_upstream_failures_total", endpoint="daily_consumption", kind="timeout")
    assert grew("gateway_limiter_wait_seconds_count")
    assert grew("gateway_limiter_wait_seconds_sum", by=0.2)
    assert grew("gateway_quota_refusals_total", kind="upstream")
    assert grew("gateway_redis_fallbacks_total", component="cache")


async def test_request_recordings_reach_the_instruments_without_a_scrape() -> None:
    """The per-request recordings are batched: given to the instruments within
    FLUSH_SECONDS (what an OTLP export reads), and at once by an exposition."""
    labels = {"route": "/batched", "method": "GET", "status": "200"}
    metrics.flush()
    before = metrics.exposition().decode()
    metrics.record_request("/batched", "GET", 200, 0.003)
    metrics.record_request("/batched", "get", 200, 0.004)
    metrics.record_cache("hit")
    assert metrics.pending() == 3
    deadline = time.monotonic() + metrics.FLUSH_SECONDS + 5
    while metrics.pending():
        assert time.monotonic() < deadline
        await asyncio.sleep(0.01)
    after = metrics.exposition().decode()
    assert value(after, "gateway_http_requests_total", **labels) == 2
    assert value(after, "gateway_http_request_duration_seconds_count", **labels) == 2
    assert value(after, "gateway_http_request_duration_seconds_sum", **labels) == pytest.approx(
        0.007
    )
    assert value(after, "gateway_cache_lookups_total", outcome="hit") == (
        value(before, "gateway_cache_lookups_total", outcome="hit") + 1
    )
