"""The standard ``OTEL_*`` environment variables the gateway honours, and its resource."""

from __future__ import annotations

import os
from collections.abc import Mapping

from opentelemetry.sdk.resources import Resource

DEFAULT_SERVICE_NAME = "enedis-gateway"


def sdk_disabled(env: Mapping[str, str] | None = None) -> bool:
    """``OTEL_SDK_DISABLED=true``: no spans, no OTLP export (``/metrics`` still works)."""
    env = os.environ if env is None else env
    return env.get("OTEL_SDK_DISABLED", "").strip().lower() == "true"


def exporters(signal: str, env: Mapping[str, str] | None = None) -> set[str]:
    """The exporters chosen for ``signal`` ("traces" or "metrics").

    ``OTEL_<SIGNAL>_EXPORTER`` (comma-separated, ``none`` for nothing) wins; otherwise OTLP
    when an OTLP endpoint is set, else nothing: by default the gateway exports nowhere."""
    env = os.environ if env is None else env
    if sdk_disabled(env):
        return set()
    chosen = env.get(f"OTEL_{signal.upper()}_EXPORTER", "").strip().lower()
    if chosen:
        names = {name.strip() for name in chosen.split(",") if name.strip()}
        return names - {"none"}
    endpoint = env.get(f"OTEL_EXPORTER_OTLP_{signal.upper()}_ENDPOINT") or env.get(
        "OTEL_EXPORTER_OTLP_ENDPOINT"
    )
    return {"otlp"} if endpoint and endpoint.strip() else set()


def resource() -> Resource:
    """The resource of this process: ``OTEL_SERVICE_NAME`` (default enedis-gateway) and
    ``OTEL_RESOURCE_ATTRIBUTES``."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        service_version = version("enedis-gateway")
    except PackageNotFoundError:  # pragma: no cover - running from a bare source tree
        service_version = "0"
    attributes = {"service.version": service_version}
    named = os.environ.get("OTEL_SERVICE_NAME", "").strip() or "service.name=" in os.environ.get(
        "OTEL_RESOURCE_ATTRIBUTES", ""
    )
    if not named:
        attributes["service.name"] = DEFAULT_SERVICE_NAME
    return Resource.create(attributes)
