"""The forwarder: the only code that calls Enedis' data endpoints.

Each call takes a limiter slot, carries the shared application token, is retried on
429 (after the wait Enedis asks for), 5xx and timeouts (exponential backoff with full
jitter, within an overall deadline), and feeds the circuit breaker. Identical calls in
flight in this replica are made once and their answer shared; a data call's answer
stays joinable ``ANSWER_LINGER_SECONDS`` after it came by a request whose cache lookup
ran before it came (that lookup could not see it), instead of calling again.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import aiohttp

from gateway.config import Settings
from gateway.enedis.adapters import ProviderAdapter
from gateway.enedis.app_token import AppTokenProvider
from gateway.enedis.breaker import CircuitBreaker
from gateway.enedis.catalogue import Api
from gateway.enedis.error_map import (
    NO_DATA_CODES,
    RETRYABLE_STATUSES,
    breaker_open_failure,
    parse_error,
    timeout_failure,
    unreachable_failure,
    upstream_failure,
)
from gateway.enedis.limiter import Limiter
from gateway.enedis.upstream_call import UpstreamCall
from gateway.errors import GatewayError, UpstreamFailure
from gateway.observability import metrics

log = logging.getLogger(__name__)

#: How long a data call's successful answer stays joinable after it came, by requests
#: whose cache lookup ran before it came: longer than any request's way from its lookup
#: to the forwarder, short enough that a joiner never gets stale data.
ANSWER_LINGER_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class Exchange:
    """A ``POST`` of a JSON body to an API (the consent exchange of Data Connect 2026)."""

    api: Api
    path: str
    body: str  # the JSON text (hashable: identical exchanges in flight are made once)


@dataclass(frozen=True, slots=True)
class UpstreamResult:
    call: UpstreamCall | Exchange
    body: Any  # the JSON answer; None: Enedis has no data for this call
    attempts: int = 1
    shared: bool = False  # answered by an identical call already in flight
    limiter_wait: float = 0.0

    @property
    def no_data(self) -> bool:
        return self.body is None


@dataclass(slots=True)
class Claim:
    """Calls a request will make once its quota reservation is done (``Forwarder.claim``)."""

    futures: dict[UpstreamCall | Exchange, asyncio.Future[None]]

    @property
    def calls(self) -> set[UpstreamCall | Exchange]:
        return set(self.futures)


class Forwarder:
    def __init__(
        self,
        settings: Settings,
        http: aiohttp.ClientSession,
        limiters: Mapping[Api, Limiter],
        tokens: AppTokenProvider,
        breaker: CircuitBreaker,
        adapter: ProviderAdapter,
    ) -> None:
        self.settings = settings
        self.http = http
        self.limiters = limiters
        self.adapter = adapter
        self.tokens = tokens
        self.breaker = breaker
        self._inflight: dict[UpstreamCall | Exchange, asyncio.Future[UpstreamResult]] = {}
        # answers just come to cache-using requests: (the call's task, when it came)
        self._recent: dict[UpstreamCall, tuple[asyncio.Future[UpstreamResult], float]] = {}
        # calls a request will make once its quota reservation is done (see ``claim``)
        self._claims: dict[UpstreamCall | Exchange, asyncio.Future[None]] = {}
        self.calls_made = 0

    def in_flight(self, call: UpstreamCall | Exchange, *, since: float | None = None) -> bool:
        """Whether ``fetch(call, since=since)`` would join an answer instead of calling."""
        return (
            call in self._inflight
            or call in self._claims
            or self._joinable(call, since) is not None
        )

    def claim(self, calls: list[UpstreamCall], *, since: float | None = None) -> Claim:
        """The calls of ``calls`` no other request makes or will make, claimed for the
        caller, who reserves them (an await) and then fetches them with its ``claim``.
        Until then, a request fetching one of them waits for the claim and joins the call
        (or, when the claim is released unused, makes it itself): identical requests
        arriving together reserve their one call once. ``release`` the claim at the end."""
        loop = asyncio.get_running_loop()
        claim = Claim(
            {call: loop.create_future() for call in calls if not self.in_flight(call, since=since)}
        )
        self._claims.update(claim.futures)
        return claim

    def release(
        self,
        claim: Claim,
        call: UpstreamCall | Exchange | None = None,
        *,
        failure: BaseException | None = None,
    ) -> None:
        """End ``claim`` on ``call`` (on all its calls by default): whoever waits goes on,
        or fails with ``failure`` (the claimant's reservation was refused: the requests
        of one call are of the point's one holder, whose allowance it is). A refused claim
        stays ``ANSWER_LINGER_SECONDS`` for the requests that saw it but have not come to
        wait for it yet (as an answer stays for those that could not see it)."""
        for each in claim.futures if call is None else (call,):
            held = claim.futures.get(each)
            if held is None or held.done():
                continue
            if failure is None:
                if self._claims.get(each) is held:
                    del self._claims[each]
                held.set_result(None)
                continue
            held.set_exception(failure)
            held.exception()  # nobody may be waiting: not an unretrieved error
            if self._claims.get(each) is held:
                asyncio.get_running_loop().call_later(
                    ANSWER_LINGER_SECONDS, self._drop_claim, each, held
                )

    def _drop_claim(self, call: UpstreamCall | Exchange, held: asyncio.Future[None]) -> None:
        if self._claims.get(call) is held:
            del self._claims[call]

    def _joinable(
        self, call: UpstreamCall | Exchange, since: float | None
    ) -> asyncio.Future[UpstreamResult] | None:
        if since is None or not isinstance(call, UpstreamCall):
            return None
        recent = self._recent.get(call)
        return recent[0] if recent is not None and recent[1] >= since else None

    async def fetch(
        self,
        call: UpstreamCall | Exchange,
        account: str,
        *,
        since: float | None = None,
        background: bool = False,
        claim: Claim | None = None,
    ) -> UpstreamResult:
        """The answer of ``call``, made for ``account`` (whose turn it takes at the limiter;
        ``background``: behind every interactive call).
        An identical call already in flight is joined instead (``shared`` in the result),
        and so is, for a request that read the cache at ``since`` (monotonic), one that
        came after that moment, less than ``ANSWER_LINGER_SECONDS`` ago (that read could
        not see it). Requests bypassing the cache pass no ``since`` and their answer is
        not kept. ``claim``: the caller's (``claim``), when it holds the call's."""
        held = self._claims.get(call)
        if held is not None and (claim is None or claim.futures.get(call) is not held):
            await asyncio.shield(held)  # its claimant is reserving it: then join its call
        inflight = self._inflight.get(call) or self._joinable(call, since)
        if inflight is not None:
            result = await asyncio.shield(inflight)
            return replace(result, shared=True)
        loop = asyncio.get_running_loop()
        task = loop.create_task(self._call(call, account, background))
        self._inflight[call] = task
        if claim is not None:
            self.release(claim, call)  # in flight now: who waited for the claim joins it

        def done(finished: asyncio.Future[UpstreamResult]) -> None:
            if self._inflight.get(call) is finished:
                del self._inflight[call]
            if (
                since is not None
                and isinstance(call, UpstreamCall)
                and not finished.cancelled()
                and finished.exception() is None
            ):
                self._recent[call] = (finished, time.monotonic())
                loop.call_later(ANSWER_LINGER_SECONDS, self._forget, call, finished)

        task.add_done_callback(done)
        return await asyncio.shield(task)

    def _forget(self, call: UpstreamCall, task: asyncio.Future[UpstreamResult]) -> None:
        recent = self._recent.get(call)
        if recent is not None and recent[0] is task:
            del self._recent[call]

    async def _call(
        self, call: UpstreamCall | Exchange, account: str, background: bool = False
    ) -> UpstreamResult:
        settings = self.settings
        params: dict[str, str] = {}
        if isinstance(call, Exchange):
            api, path, payload, label = call.api, call.path, call.body, call.api.value
        else:
            api, path, params = self.adapter.request_of(call)
            payload, label = None, call.endpoint.name
        limiter = self.limiters[api]
        deadline = time.monotonic() + settings.upstream_deadline
        attempts = 0
        renewed = False
        waited = 0.0
        last: UpstreamFailure = timeout_failure()
        while True:
            attempts += 1
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise last
            if not self.breaker.allow():
                raise breaker_open_failure(self.breaker.retry_after())
            try:
                waited += await limiter.acquire(
                    account,
                    max_wait=min(settings.upstream_max_wait, remaining),
                    background=background,
                )
            except GatewayError:
                self.breaker.release_probe()
                if attempts > 1:  # no slot for a retry before the deadline: answer why the
                    raise last from None  # earlier attempts failed, not "budget exhausted"
                raise
            except BaseException:
                self.breaker.release_probe()
                raise
            probe_done = False
            try:
                token = await self.tokens.get()
                remaining = deadline - time.monotonic()
                status, body, retry_after = await self._send(
                    path, params, payload, token, max(0.1, remaining)
                )
            except UpstreamFailure as failure:  # the application token could not be had
                if not failure.retryable:
                    raise
                self.breaker.failure()
                probe_done = True
                last, wait = failure, None
            except TimeoutError:
                self.breaker.failure()
                probe_done = True
                metrics.record_upstream_call(label, "timeout")
                last, wait = timeout_failure(), None
            except aiohttp.ClientError:
                self.breaker.failure()
                probe_done = True
                metrics.record_upstream_call(label, "error")
                last, wait = unreachable_failure(), None
            else:
                probe_done = True
                metrics.record_upstream_call(label, status)
                if status == 200:
                    self.breaker.success()
                    return UpstreamResult(call, json.loads(body), attempts, limiter_wait=waited)
                code, message = parse_error(body)
                if status == 404 and (code in NO_DATA_CODES or api is not Api.V5):
                    self.breaker.success()
                    return UpstreamResult(call, None, attempts, limiter_wait=waited)
                if status == 401 and not renewed:
                    self.breaker.success()
                    renewed = True
                    await self.tokens.invalidate(token)
                    attempts -= 1
                    continue
                if status not in RETRYABLE_STATUSES:
                    self.breaker.success()
                    raise upstream_failure(status, code, message)
                if status == 429:
                    self.breaker.success()
                else:
                    self.breaker.failure()
                last = upstream_failure(status, code, message, retry_after)
                wait = retry_after if status == 429 else None
            finally:
                if not probe_done:
                    self.breaker.release_probe()
            if attempts >= settings.upstream_max_attempts:
                raise last
            if wait is None:
                cap = min(5.0, settings.upstream_backoff * (2 ** (attempts - 1)))
                wait = random.uniform(0, cap)
            if time.monotonic() + wait >= deadline:
                raise last
            await asyncio.sleep(wait)

    async def _send(
        self, path: str, params: dict[str, str], payload: str | None, token: str, timeout: float
    ) -> tuple[int, bytes, float | None]:
        self.calls_made += 1
        url = self.settings.enedis_base_url + path
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        if payload is not None:
            headers["Content-Type"] = "application/json"
        async with self.http.request(
            "GET" if payload is None else "POST",
            url,
            params=params,
            data=payload,
            headers=headers,
            timeout=aiohttp.ClientTimeout(total=min(self.settings.upstream_timeout, timeout)),
        ) as answer:
            body = await answer.read()
            return answer.status, body, _retry_after(answer.headers.get("Retry-After"))

    async def close(self) -> None:
        for limiter in self.limiters.values():
            await limiter.close()


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, min(60.0, float(value)))
    except ValueError:
        return None
