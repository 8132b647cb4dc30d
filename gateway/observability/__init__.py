"""Observability: Prometheus metrics, OpenTelemetry traces, request ids and access logs.

- ``metrics``: the counters and histograms every stage records (``record_*``), served as
  Prometheus text at ``GET /metrics``;
- ``tracing``: ``setup_telemetry``, the server span middleware, the upstream client trace
  config and ``set_span_attributes``;
- ``request_id``: ``X-Request-ID`` accepted or generated, and returned on every response;
- ``access_log``: one JSON line per request.
"""
