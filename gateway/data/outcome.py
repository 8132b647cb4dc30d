"""What the forwarder stage fetched for a request, and how answers are built from days."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from aiohttp import web

from gateway.cache.store import ALL, Entry
from gateway.data.days import assemble, each_day, readings_by_day
from gateway.data.request import DataRequest
from gateway.enedis import upstream_errors
from gateway.errors import UpstreamFailure


@dataclass(slots=True)
class Fetched:
    """Entries made from upstream answers, per day (or ``ALL`` for customer data)."""

    entries: dict[date | str, Entry] = field(default_factory=dict)

    def add(
        self,
        request: DataRequest,
        start: date | None,
        end: date | None,
        body: dict[str, Any] | None,
    ) -> None:
        endpoint = request.endpoint
        if not endpoint.is_ranged or start is None or end is None:
            self.entries[ALL] = Entry(None, {}, 0.0, body=body)
            return
        if body is None:
            for day in each_day(start, end):
                self.entries[day] = Entry(None, {}, 0.0)
            return
        per_day, meta = readings_by_day(endpoint, body)
        for day in each_day(start, end):
            readings = per_day.get(day)
            self.entries[day] = Entry(readings or None, meta if readings else {}, 0.0)


def no_data() -> UpstreamFailure:
    error = upstream_errors.NO_DATA
    return UpstreamFailure(404, error.code, error.message, upstream_status=404)


def build_body(request: DataRequest, entries: dict[date | str, Entry]) -> dict[str, Any]:
    """The Enedis-shaped answer for the request from its entries (all days present)."""
    if not request.endpoint.is_ranged or request.start is None or request.end is None:
        entry = entries.get(ALL)
        if entry is None or entry.body is None:
            raise no_data()
        return entry.body
    meta: dict[str, Any] = {}
    days = []
    for day in each_day(request.start, request.end):
        entry = entries.get(day)
        if entry is not None and entry.readings:
            days.append(entry.readings)
            if not meta:
                meta = entry.meta
    if not days:
        raise no_data()
    return assemble(request.usage_point_id, request.start, request.end, meta, days)


def json_response(body: dict[str, Any], cache_status: str) -> web.Response:
    return web.Response(
        body=json.dumps(body, ensure_ascii=False).encode(),
        content_type="application/json",
        headers={"X-Cache-Status": cache_status},
    )
