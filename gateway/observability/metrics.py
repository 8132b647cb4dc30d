"""The gateway's metrics: one module-level API that every stage calls.

Built on OpenTelemetry metrics; a Prometheus reader serves them as text at ``GET /metrics``
(and an OTLP reader exports them too when ``OTEL_METRICS_EXPORTER``/an OTLP endpoint asks
for it). The two recordings of every request (``record_request``, ``record_cache``) are
kept in a list and given to the instruments in batches, at most ``FLUSH_SECONDS`` later
and before every exposition (``flush``): requests of the same labels become one counter
addition, and the instruments' work runs in one tight loop instead of once per request
(measured on a warm hit, issue 18). An OTLP export may therefore miss the last
``FLUSH_SECONDS``; ``/metrics`` never does.

Labels are bounded: the route is the TEMPLATE of the matched route (never the concrete
path, which can carry usage point ids), statuses are numbers or a few words, and unknown
values of the enumerated labels become ``other``.

Prometheus names (``/metrics``):

- ``gateway_http_requests_total{route,method,status}``
- ``gateway_http_request_duration_seconds{route,method,status}`` (histogram)
- ``gateway_cache_lookups_total{outcome}``: hit, miss, partial, stale, bypass
- ``gateway_upstream_calls_total{endpoint,status}``: every attempt made to Enedis
- ``gateway_upstream_throttled_total{endpoint}``: Enedis answered 429
- ``gateway_upstream_failures_total{endpoint,kind}``: 5xx, timeout, error
- ``gateway_limiter_wait_seconds`` (histogram): time spent waiting for an upstream slot
- ``gateway_quota_refusals_total{kind}``: upstream, cached
- ``gateway_redis_fallbacks_total{component}``: quota, limiter, cache, auth
- ``gateway_redis_cluster_nodes{state}``: known, reachable (with ``REDIS_CLUSTER`` only,
  refreshed at each scrape and readiness check)
- ``gateway_upstream_hourly_remaining{api}``: upstream calls left in the current hour, per
  Enedis API (as last seen by readiness or a scrape)
- ``gateway_redis_cluster_slots_covered``: slots served by a live primary (of 16384)
- ``gateway_import_calls_total{outcome}``: history import calls: made, shared (joined an
  identical call in flight), failed, busy (no limiter slot in time, tried again)
- ``gateway_import_queue{status}``: history imports pending, running, complete, failed (the
  queue's length is pending + running; refreshed at each scrape)
- ``gateway_import_duration_seconds`` (histogram): from a consent to its complete import
"""

from __future__ import annotations

import threading
from collections import Counter as Tally
from typing import Any

from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.metrics import Counter, Histogram, _Gauge
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricReader, PeriodicExportingMetricReader
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    generate_latest,
)

from gateway.flush_soon import FlushSoon
from gateway.observability import env

__all__ = [
    "CONTENT_TYPE_LATEST",
    "exposition",
    "flush",
    "meter_provider",
    "pending",
    "record_cache",
    "record_hourly_remaining",
    "record_import_call",
    "record_import_complete",
    "record_import_queue",
    "record_limiter_wait",
    "record_quota_refusal",
    "record_redis_cluster",
    "record_redis_fallback",
    "record_request",
    "record_upstream_call",
]

CACHE_OUTCOMES = frozenset({"hit", "miss", "partial", "stale", "bypass"})
QUOTA_KINDS = frozenset({"upstream", "cached"})
REDIS_COMPONENTS = frozenset({"quota", "limiter", "cache", "auth"})
UPSTREAM_WORDS = frozenset({"timeout", "error"})
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

FLUSH_SECONDS = 1.0
BATCH_LIMIT = 10_000  # requests kept at most before a flush
REQUEST_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
IMPORT_OUTCOMES = frozenset({"made", "shared", "failed", "busy"})
IMPORT_STATUSES = frozenset({"pending", "running", "complete", "failed"})
IMPORT_BUCKETS = (10.0, 30.0, 60.0, 300.0, 900.0, 1800.0, 3600.0, 7200.0, 21600.0, 86400.0)
WAIT_BUCKETS = (0.0, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 60.0)


class _Instruments:
    """The process' meter provider, Prometheus registry and instruments."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        for collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
            self.registry.register(collector)
        readers: list[MetricReader] = [
            PrometheusMetricReader(registry=self.registry, scope_info_enabled=False)
        ]
        if "otlp" in env.exporters("metrics"):
            from opentelemetry.exporter.otlp.proto.http.metric_exporter import (
                OTLPMetricExporter,
            )

            readers.append(PeriodicExportingMetricReader(OTLPMetricExporter()))
        self.provider = MeterProvider(metric_readers=readers, resource=env.resource())
        meter = self.provider.get_meter("gateway")
        self.requests: Counter = meter.create_counter(
            "gateway.http.requests", unit="{request}", description="HTTP requests answered."
        )
        self.request_duration: Histogram = meter.create_histogram(
            "gateway.http.request.duration",
            unit="s",
            description="Time to answer an HTTP request.",
            explicit_bucket_boundaries_advisory=REQUEST_BUCKETS,
        )
        self.cache: Counter = meter.create_counter(
            "gateway.cache.lookups", unit="{lookup}", description="Cache lookups by outcome."
        )
        self.upstream_calls: Counter = meter.create_counter(
            "gateway.upstream.calls", unit="{call}", description="Calls (attempts) to Enedis."
        )
        self.upstream_throttled: Counter = meter.create_counter(
            "gateway.upstream.throttled", unit="{call}", description="Enedis answered 429."
        )
        self.upstream_failures: Counter = meter.create_counter(
            "gateway.upstream.failures",
            unit="{call}",
            description="Enedis answered 5xx, timed out or could not be reached.",
        )
        self.limiter_wait: Histogram = meter.create_histogram(
            "gateway.limiter.wait",
            unit="s",
            description="Time spent waiting for an upstream slot.",
            explicit_bucket_boundaries_advisory=WAIT_BUCKETS,
        )
        self.quota_refusals: Counter = meter.create_counter(
            "gateway.quota.refusals", unit="{request}", description="Requests refused by quota."
        )
        self.redis_fallbacks: Counter = meter.create_counter(
            "gateway.redis.fallbacks",
            unit="{event}",
            description="Times a component ran without Redis.",
        )
        self.cluster_nodes: _Gauge = meter.create_gauge(
            "gateway.redis.cluster.nodes",
            unit="{node}",
            description="Redis Cluster nodes: known to the cluster, and reachable of those.",
        )
        self.hourly_remaining: _Gauge = meter.create_gauge(
            "gateway.upstream.hourly_remaining",
            unit="{call}",
            description="Upstream calls left in the current hour, per Enedis API.",
        )
        self.cluster_slots: _Gauge = meter.create_gauge(
            "gateway.redis.cluster.slots_covered",
            unit="{slot}",
            description="Redis Cluster slots served by a live primary (of 16384).",
        )
        self.import_calls: Counter = meter.create_counter(
            "gateway.import.calls", unit="{call}", description="History import calls."
        )
        self.import_queue: _Gauge = meter.create_gauge(
            "gateway.import.queue", unit="{import}", description="History imports by status."
        )
        self.import_duration: Histogram = meter.create_histogram(
            "gateway.import.duration",
            unit="s",
            description="Time from a consent to its complete history import.",
            explicit_bucket_boundaries_advisory=IMPORT_BUCKETS,
        )


_lock = threading.Lock()
_instruments: _Instruments | None = None


def _get() -> _Instruments:
    global _instruments  # noqa: PLW0603 - one set of instruments per process
    instruments = _instruments
    if instruments is None:
        with _lock:
            if _instruments is None:
                _instruments = _Instruments()
            instruments = _instruments
    return instruments


def meter_provider() -> MeterProvider:
    """The process' meter provider (created on first use)."""
    return _get().provider


def exposition() -> bytes:
    """The Prometheus text of every metric of this process."""
    flush()
    return bytes(generate_latest(_get().registry))


class _Batch:
    """The hot recordings not yet given to the instruments (see the module)."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, str, float]] = []
        self.cache: Tally[str] = Tally()

    def recorded(self) -> None:
        if len(self.requests) >= BATCH_LIMIT:
            flush()
        else:
            _soon.request()


_batch = _Batch()


def pending() -> int:
    """Recordings kept for the next flush."""
    return len(_batch.requests) + sum(_batch.cache.values())


def flush() -> None:
    """Give the recordings kept since the last flush to the instruments."""
    batch = _batch
    requests, batch.requests = batch.requests, []
    cache, batch.cache = batch.cache, Tally()
    if not requests and not cache:
        return
    instruments = _get()
    counts: Tally[tuple[str, str, str]] = Tally()
    by_labels: dict[tuple[str, str, str], dict[str, Any]] = {}
    record = instruments.request_duration.record
    for route, method, status, seconds in requests:
        labels = (route, method, status)
        attributes = by_labels.get(labels)
        if attributes is None:
            attributes = by_labels[labels] = {"route": route, "method": method, "status": status}
        counts[labels] += 1
        record(seconds, attributes)
    for labels, count in counts.items():
        instruments.requests.add(count, by_labels[labels])
    for outcome, count in cache.items():
        instruments.cache.add(count, {"outcome": outcome})


_soon = FlushSoon(FLUSH_SECONDS, flush)


def _one_of(value: str, allowed: frozenset[str]) -> str:
    return value if value in allowed else "other"


def _status(status: int | str) -> str:
    if isinstance(status, int):
        return str(status)
    return _one_of(status, UPSTREAM_WORDS)


def record_request(route: str, method: str, status: int, seconds: float) -> None:
    """One HTTP request answered: ``route`` is the route TEMPLATE (``unmatched`` when none)."""
    method = method if method in METHODS else _one_of(method.upper(), METHODS)
    _batch.requests.append((route, method, str(status), max(seconds, 0.0)))
    _batch.recorded()


def record_cache(outcome: str) -> None:
    """A cache lookup: ``hit``, ``miss``, ``partial``, ``stale`` or ``bypass``."""
    _batch.cache[_one_of(outcome, CACHE_OUTCOMES)] += 1
    _batch.recorded()


def record_upstream_call(endpoint: str, status: int | str) -> None:
    """One attempt to Enedis: its HTTP status, or ``"timeout"``/``"error"``."""
    instruments = _get()
    label = _status(status)
    instruments.upstream_calls.add(1, {"endpoint": endpoint, "status": label})
    if status == 429:
        instruments.upstream_throttled.add(1, {"endpoint": endpoint})
    elif isinstance(status, int):
        if status >= 500:
            instruments.upstream_failures.add(1, {"endpoint": endpoint, "kind": "5xx"})
    else:
        instruments.upstream_failures.add(1, {"endpoint": endpoint, "kind": label})


def record_limiter_wait(seconds: float) -> None:
    """Time a call waited for an upstream slot (record 0 when it did not wait)."""
    _get().limiter_wait.record(max(seconds, 0.0))


def record_quota_refusal(kind: str) -> None:
    """A request refused by an account's daily allowance: ``upstream`` or ``cached``."""
    _get().quota_refusals.add(1, {"kind": _one_of(kind, QUOTA_KINDS)})


def record_redis_fallback(component: str) -> None:
    """A component ran without Redis: ``quota``, ``limiter``, ``cache`` or ``auth``."""
    _get().redis_fallbacks.add(1, {"component": _one_of(component, REDIS_COMPONENTS)})


def record_hourly_remaining(api: str, remaining: int) -> None:
    """What is left of one Enedis API's hourly budget (shared by every replica)."""
    _get().hourly_remaining.set(remaining, {"api": api})


def record_redis_cluster(nodes: int, reachable: int, slots_covered: int) -> None:
    """The Redis Cluster's state as last seen: nodes known and reachable, slots covered."""
    instruments = _get()
    instruments.cluster_nodes.set(nodes, {"state": "known"})
    instruments.cluster_nodes.set(reachable, {"state": "reachable"})
    instruments.cluster_slots.set(slots_covered)


def record_import_call(outcome: str) -> None:
    """One call of a history import: ``made``, ``shared``, ``failed`` or ``busy``."""
    _get().import_calls.add(1, {"outcome": _one_of(outcome, IMPORT_OUTCOMES)})


def record_import_complete(seconds: float) -> None:
    """A history import completed, ``seconds`` after its consent."""
    _get().import_duration.record(max(seconds, 0.0))


def record_import_queue(counts: dict[str, int]) -> None:
    """How many history imports are in each status (all replicas: read from the database)."""
    gauge = _get().import_queue
    for status, count in counts.items():
        gauge.set(count, {"status": _one_of(status, IMPORT_STATUSES)})
