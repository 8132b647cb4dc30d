"""The last stage: the route handler of every data route, which calls the forwarder.

It fetches the runs the cache stage left to fetch (all of the range when the cache is
not used), concurrently, after reserving them against the account's quota, and answers
the Enedis-shaped body of what it fetched.
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from gateway import state
from gateway.cache.store import days_of
from gateway.data.outcome import Fetched, build_body, json_response
from gateway.data.plan import full_plan
from gateway.enedis.error_map import consent_gone
from gateway.enedis.forwarder import UpstreamResult
from gateway.errors import GatewayError
from gateway.observability.tracing import set_span_attributes
from gateway.request_keys import CACHE_READ_AT, DATA_REQUEST, FETCHED, PLAN, PRINCIPAL, QUOTA


async def forward(request: web.Request) -> web.Response:
    data = request[DATA_REQUEST]
    account = request[PRINCIPAL].account_id
    forwarder = request.app[state.FORWARDER]
    calls = request.get(PLAN)
    if calls is None:
        calls = full_plan(data, forwarder.adapter)
    guard = request[QUOTA]
    # calls already in flight will be joined, not made: only the others are reserved
    # (and answers that came after this request read the cache: it could not see them)
    # (claimed before the reservation's round trip: identical requests arriving together
    # must not all reserve the one call they share)
    since: float | None = request.get(CACHE_READ_AT)
    claim = forwarder.claim(calls, since=since)
    planned = claim.calls
    try:
        try:
            await guard.reserve_upstream(len(planned))
        except GatewayError as refused:  # who waits to join these calls is refused too
            forwarder.release(claim, failure=refused)
            raise
        outcomes = await asyncio.gather(
            *(
                forwarder.fetch(
                    call, account, since=since, claim=claim if call in planned else None
                )
                for call in calls
            ),
            return_exceptions=True,
        )
    finally:
        forwarder.release(claim)  # what no fetch took over (a refusal, a cancellation)
    fetched = Fetched()
    request[FETCHED] = fetched
    failure: BaseException | None = None
    joined = made = attempts = 0
    waited = 0.0
    for call, outcome in zip(calls, outcomes, strict=True):
        if isinstance(outcome, BaseException):
            failure = failure or outcome
            continue
        assert isinstance(outcome, UpstreamResult)
        if outcome.shared and call in planned:
            joined += 1  # reserved, but another request made the call
        elif not outcome.shared and call not in planned:
            made += 1  # its leader finished meanwhile: this request made it after all
        attempts += outcome.attempts
        waited = max(waited, outcome.limiter_wait)
        fetched.entries.update(forwarder.adapter.to_entries(call, outcome.body))
    set_span_attributes(
        upstream_calls=len(calls), upstream_attempts=attempts, limiter_wait_ms=waited * 1000
    )
    await guard.refund_upstream(joined)
    await guard.charge_upstream_made(made)
    if failure is not None:
        if consent_gone(failure):  # no further call for this point until a new consent
            await request.app[state.ACCOUNTS].mark_revoked(account, data.usage_point_id)
        raise failure
    if any(
        key not in fetched.entries
        for key in days_of(data.endpoint, data.start, data.end, data.sections)
    ):
        # the cache stage asked only for the days it lacks: it holds the others and builds
        # the answer from both (PARTIAL); this empty answer is never sent
        return web.Response(status=204)
    return json_response(build_body(data, fetched.entries), "MISS")
