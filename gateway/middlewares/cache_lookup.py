"""Stage of the chain: answer from the encrypted per-user cache, fetch only what is missing.

A range asked before is answered from the memo of that whole answer (one small read).
Otherwise the days of the request are read in one round trip; the missing runs of days
(split at the upstream's per-call maximum) go to the forwarder stage; what it fetched is
merged with the cached days and written back in one round trip, in the background (the
answer does not wait for the write; ``CacheStore.write_later``). ``X-Cache-Status`` says
what happened: HIT, MISS, PARTIAL, STALE (expired entries served while Enedis fails) or
BYPASS (``Cache-Control: no-store``, or a legacy path that must not use the cache).
"""

from __future__ import annotations

import time
from datetime import date

from aiohttp import web

from gateway import state
from gateway.cache.hit_probe import HitProbe
from gateway.cache.store import Answer, Entry, days_of
from gateway.data.outcome import build_body, json_response
from gateway.data.plan import plan_calls
from gateway.data.request import CacheMode, DataRequest
from gateway.enedis.rules import paris_today
from gateway.errors import UpstreamFailure
from gateway.observability import metrics
from gateway.request_keys import (
    CACHE_READ_AT,
    CACHE_STATUS,
    DATA_REQUEST,
    FETCHED,
    HIT_PROBE,
    PLAN,
    PRINCIPAL,
    QUOTA,
)
from gateway.routing import Handler, spec_of


def _mark(request: web.Request, response: web.StreamResponse, status: str) -> web.StreamResponse:
    request[CACHE_STATUS] = status
    response.headers["X-Cache-Status"] = status
    metrics.record_cache(status.lower())
    return response


def _answer(
    data: DataRequest, response: web.Response, fresh: dict[date | str, Entry]
) -> Answer | None:
    """The memo to keep of a ranged answer (fresh as long as its least fresh cached day)."""
    if data.start is None or data.end is None or not isinstance(response.body, bytes):
        return None
    fresh_until = min((entry.fresh_until for entry in fresh.values()), default=float("inf"))
    return Answer(data.start, data.end, response.body, data.dialect, fresh_until)


@web.middleware
async def cache_lookup(request: web.Request, handler: Handler) -> web.StreamResponse:
    if spec_of(request).parse is None or DATA_REQUEST not in request:
        return await handler(request)
    data: DataRequest = request[DATA_REQUEST]
    principal = request[PRINCIPAL]
    endpoint = data.endpoint
    adapter = request.app[state.FORWARDER].adapter
    cache = request.app[state.CACHE].view(
        principal.account_id, principal.cache_key, data.usage_point_id, endpoint
    )
    probe: HitProbe | None = request.get(HIT_PROBE)
    if probe is not None:  # the memo was read (and charged) with auth's round trip
        memo = probe.memo_body(principal)
        if memo is not None:
            request[QUOTA].usage = probe.usage()  # 429 when the charge was refused
            probe.answered = True
            return _mark(request, web.Response(body=memo, content_type="application/json"), "HIT")
        await probe.refund()  # a memo that does not open or is no longer fresh
    elif data.cache is CacheMode.USE and data.start is not None and data.end is not None:
        memo = await cache.lookup_answer(data.start, data.end, data.dialect)
        if memo is not None:
            await request[QUOTA].charge_cached()
            return _mark(request, web.Response(body=memo, content_type="application/json"), "HIT")

    days = days_of(endpoint, data.start, data.end, data.sections)
    if data.cache is CacheMode.NO_STORE:
        request[PLAN] = plan_calls(data, days, adapter)
        return _mark(request, await handler(request), "BYPASS")

    lookup_fresh: dict[date | str, Entry] = {}
    lookup_stale: dict[date | str, Entry] = {}
    missing = days
    if data.cache is CacheMode.USE:
        lookup = probe.lookup(principal, days) if probe is not None else None
        if lookup is not None:
            assert probe is not None
            request[CACHE_READ_AT] = probe.read_at  # the days were read with the memo
        else:
            request[CACHE_READ_AT] = time.monotonic()
            lookup = await cache.lookup(days)
        lookup_fresh, lookup_stale, missing = lookup.fresh, lookup.stale, lookup.missing

    today = paris_today()
    if not missing:
        await request[QUOTA].charge_cached()
        hit = json_response(build_body(data, lookup_fresh), "HIT")
        answer = _answer(data, hit, lookup_fresh)
        if answer is not None:
            cache.write_later({}, today, answer=answer)
        return _mark(request, hit, "HIT")

    request[PLAN] = plan_calls(data, missing, adapter)
    response: web.StreamResponse
    try:
        response = await handler(request)
    except UpstreamFailure as failure:
        fetched = request.get(FETCHED)
        if fetched is not None and fetched.entries:
            cache.write_later(fetched.entries, today)
        if not failure.retryable or not all(day in lookup_stale for day in missing):
            raise
        await request[QUOTA].charge_cached()
        entries = {**lookup_stale, **lookup_fresh}
        return _mark(request, json_response(build_body(data, entries), "STALE"), "STALE")

    fetched = request[FETCHED]
    status = "MISS"
    if lookup_fresh:
        status = "PARTIAL"
        response = json_response(build_body(data, {**lookup_fresh, **fetched.entries}), status)
    assert isinstance(response, web.Response)
    cache.write_later(fetched.entries, today, answer=_answer(data, response, lookup_fresh))
    return _mark(request, response, status)
