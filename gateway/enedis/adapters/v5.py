"""The adapter of Enedis Data Connect v5 (``ENEDIS_API=v5``: an Enedis that still runs it).

v5 answers ``{"meter_reading": {..., "reading_type": {...}, "interval_reading": [...]}}``;
each reading becomes a model point (``value`` → ``v``, ``date`` → ``d``, ``interval_length``
→ ``p``, ``measure_type`` → ``n``) filed under its day. Customer endpoints are contract-data
sections of their own (one per v5 endpoint), kept as v5 gave them.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from gateway.cache.store import Entry
from gateway.data.model import Point, SeriesMeta, default_meta
from gateway.enedis.adapters.entries import entries_of
from gateway.enedis.catalogue import Api, DataKind, Endpoint, Generation
from gateway.enedis.upstream_call import UpstreamCall, UpstreamRequest

_POINT_KEYS = (("value", "v"), ("date", "d"), ("interval_length", "p"), ("measure_type", "n"))


def point_of(reading: dict[str, Any]) -> Point:
    return {short: reading[long] for long, short in _POINT_KEYS if long in reading}


class V5Adapter:
    generation = Generation.V5

    def request_of(self, call: UpstreamCall) -> UpstreamRequest:
        params = {"usage_point_id": call.usage_point_id}
        if call.start is not None and call.end is not None:
            params["start"] = call.start.isoformat()
            params["end"] = call.end.isoformat()
        return Api.V5, call.endpoint.path, params

    def max_days(self, endpoint: Endpoint) -> int | None:
        return endpoint.max_days_per_call

    def sections(self, endpoint: Endpoint) -> tuple[str, ...]:
        return (endpoint.name,) if endpoint.kind is DataKind.CUSTOMER else ()

    def to_entries(self, call: UpstreamCall, body: Any) -> dict[date | str, Entry]:
        def parse(answer: dict[str, Any]) -> tuple[SeriesMeta, list[Point]]:
            meter_reading = answer.get("meter_reading") or {}
            reading_type = meter_reading.get("reading_type") or {}
            base = default_meta(call.endpoint)
            meta = SeriesMeta(
                stage=str(meter_reading.get("quality") or base.stage),
                calc_mode=base.calc_mode,
                step=base.step,
                business=base.business,
                quantity=base.quantity,
                unit=str(reading_type.get("unit") or base.unit),
            )
            readings = meter_reading.get("interval_reading") or []
            return meta, [point_of(r) for r in readings if isinstance(r, dict)]

        return entries_of(call, body, parse)
