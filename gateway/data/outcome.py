"""What the forwarder stage fetched for a request, and how answers are built from days."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from aiohttp import web

from gateway.cache.store import Entry
from gateway.data.days import each_day
from gateway.data.model import Point
from gateway.data.request import DataRequest
from gateway.enedis import upstream_errors
from gateway.errors import UpstreamFailure


@dataclass(slots=True)
class Fetched:
    """Model entries made from upstream answers, per day (or per contract-data section)."""

    entries: dict[date | str, Entry] = field(default_factory=dict)


def no_data() -> UpstreamFailure:
    error = upstream_errors.NO_DATA
    return UpstreamFailure(404, error.code, error.message, upstream_status=404)


def series_of(
    request: DataRequest, entries: Mapping[date | str, Entry]
) -> tuple[dict[str, Any], list[Point]]:
    """The series of a ranged request: the meta of its first day with data and the points
    of every day in order. No day with data: Enedis' 404 "no data"."""
    assert request.start is not None and request.end is not None
    meta: dict[str, Any] = {}
    points: list[Point] = []
    for day in each_day(request.start, request.end):
        entry = entries.get(day)
        if entry is not None and entry.readings:
            points.extend(entry.readings)
            meta = meta or entry.meta
    if not points:
        raise no_data()
    return meta, points


def sections_of(request: DataRequest, entries: Mapping[date | str, Entry]) -> dict[str, Any]:
    """The contract-data sections of a request, each present (else 404 "no data")."""
    found: dict[str, Any] = {}
    for name in request.sections:
        entry = entries.get(name)
        if entry is None or entry.body is None:
            raise no_data()
        found[name] = entry.body
    return found


def build_body(request: DataRequest, entries: dict[date | str, Entry]) -> dict[str, Any]:
    """The answer for the request from its entries (all present), in its dialect."""
    return request.render(request, entries)


def json_response(body: dict[str, Any], cache_status: str) -> web.Response:
    return web.Response(
        body=json.dumps(body, ensure_ascii=False).encode(),
        content_type="application/json",
        headers={"X-Cache-Status": cache_status},
    )
