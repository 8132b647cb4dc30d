"""The upstream budget: one limiter for the whole application, fair between accounts.

Slots come from one atomic script in Redis (Redis' own clock) that every replica asks.
The per-second rule has Enedis' own shape: at most ``rate`` calls in any sliding window
of ``window`` ms, where ``window`` is one second plus a guard time (``ENEDIS_RATE_MARGIN``
x 1000 ms): the script keeps the start of the last ``rate`` slots and grants the next
one when the oldest of them is a window old. A call may reach Enedis up to the guard
time later than the 5th call before it and still never make ``rate + 1`` in a second;
bursts of ``rate`` calls are allowed, so a sustained queue runs at ``rate / window``
(4.55 calls/s for 5 with 1.1) and a short one at once. The hourly budget is a GCRA
(``hourly`` calls per hour, the whole hour's burst allowed). The script *reserves* the
next free slot and answers how long to wait for it, unless that is longer than the
caller can wait.

Inside a replica, waiting calls queue per account and one dispatcher serves the accounts
round-robin, holding at most one reservation at a time: a two-year backfill by one
account cannot push another account's one-day request to the back of a long line. The
dispatcher also keeps the same window over this replica's own slots (after a Redis loss
the shared window starts empty).

Background work (history imports) waits in a queue of its own, served only when no
interactive waiter is queued in this replica: any request of any account goes first.

When Redis is unreachable, an even spacing runs in process with this replica's share of
the budget (``rate / replicas`` per window), and Redis is tried again by itself.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import time
from dataclasses import dataclass, field

from gateway import redis_keys
from gateway.errors import GatewayError, unavailable
from gateway.observability import metrics
from gateway.shared_store import REDIS_ERRORS, SharedStore

log = logging.getLogger(__name__)

#: The per-second window over one second: at most ``rate`` calls in any 1.1 s, i.e. a
#: call may reach Enedis up to 100 ms later than the ``rate``-th call before it (measured
#: arrival jitter under the benchmark's load: about ±10 ms) without ``rate + 1`` in a second.
SPACING_MARGIN = 1.1

# KEYS[1] the last `rate` slot starts (a list, oldest first), KEYS[2] hourly TAT (both in
# the limiter's hash tag: one slot); ARGV: window_ms, rate, hour_interval_ms,
# hour_tolerance_ms, max_wait_ms. Returns {granted (1/0), wait_ms}.
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local hour_interval = tonumber(ARGV[3])
local hour_tolerance = tonumber(ARGV[4])
local max_wait = tonumber(ARGV[5])
if redis.call('TYPE', KEYS[1]).ok ~= 'list' then redis.call('DEL', KEYS[1]) end
local starts = redis.call('LRANGE', KEYS[1], -rate, -1)
local start = now
if #starts >= rate then
  local oldest = tonumber(starts[#starts - rate + 1]) + window
  if oldest > start then start = oldest end
end
if #starts > 0 and tonumber(starts[#starts]) > start then start = tonumber(starts[#starts]) end
local htat = tonumber(redis.call('GET', KEYS[2]) or '0')
if htat < now then htat = now end
local hour_start = htat - hour_tolerance
if hour_start > start then start = hour_start end
local wait = start - now
if wait > max_wait then
  return {0, wait}
end
redis.call('RPUSH', KEYS[1], start)
redis.call('LTRIM', KEYS[1], -rate, -1)
redis.call('PEXPIRE', KEYS[1], wait + window + 1000)
redis.call('SET', KEYS[2], math.max(htat, start) + hour_interval, 'PX', 3600000 + hour_interval)
return {1, wait}
"""


class LocalGcra:
    """The same reservation, in process (Redis down): this replica's share of the budget."""

    def __init__(self, interval_ms: float, hour_interval_ms: float, hour_tolerance_ms: float):
        self.interval = interval_ms
        self.hour_interval = hour_interval_ms
        self.hour_tolerance = hour_tolerance_ms
        self.tat = 0.0
        self.htat = 0.0

    def reserve(self, max_wait_ms: float) -> tuple[bool, float]:
        now = time.monotonic() * 1000
        tat = max(self.tat, now)
        htat = max(self.htat, now)
        start = max(tat, htat - self.hour_tolerance)
        wait = start - now
        if wait > max_wait_ms:
            return False, wait
        self.tat = start + self.interval
        self.htat = max(htat, start) + self.hour_interval
        return True, wait


@dataclass(eq=False)
class _Waiter:
    account: str
    deadline: float
    future: asyncio.Future[float] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class Limiter:
    """Hands out upstream slots: ``async with``-free, just ``await limiter.acquire(account)``."""

    def __init__(
        self,
        store: SharedStore,
        *,
        rate: int,
        hourly: int,
        replicas: int = 1,
        max_wait: float = 20.0,
        margin: float = SPACING_MARGIN,
        api: str = "v5",
    ) -> None:
        self.store = store
        self.key = redis_keys.limiter_key(api)
        self.max_wait = max_wait
        self.rate = rate
        self.window_ms = 1000.0 * margin
        self.interval_ms = self.window_ms / rate  # the even spacing of the fallback
        self.hour_interval_ms = 3_600_000.0 / hourly
        self.hour_tolerance_ms = 3_600_000.0 - self.hour_interval_ms
        share = max(1, replicas)
        self.local = LocalGcra(
            self.interval_ms * share,
            self.hour_interval_ms * share,
            max(0.0, 3_600_000.0 - self.hour_interval_ms * share),
        )
        self._script = store.script(_RESERVE)
        self._queues: dict[str, collections.deque[_Waiter]] = {}
        self._order: collections.deque[str] = collections.deque()
        self._background: collections.deque[_Waiter] = collections.deque()
        self._wakeup = asyncio.Event()
        self._dispatcher: asyncio.Task[None] | None = None
        # when this replica's last `rate` slots began (monotonic ms), whoever granted them
        self._slots_ms: collections.deque[float] = collections.deque(maxlen=rate)

    async def acquire(
        self, account: str, max_wait: float | None = None, *, background: bool = False
    ) -> float:
        """Wait for an upstream slot; returns the seconds waited. Raises 503 when the
        slot is further away than ``max_wait`` (default ``UPSTREAM_MAX_WAIT_SECONDS``).
        A ``background`` caller is served only when no interactive one waits."""
        budget = self.max_wait if max_wait is None else max_wait
        waiter = _Waiter(account, time.monotonic() + budget)
        if background:
            self._background.append(waiter)
        else:
            queue = self._queues.get(account)
            if queue is None:
                queue = self._queues[account] = collections.deque()
                self._order.append(account)
            queue.append(waiter)
        self._ensure_dispatcher()
        self._wakeup.set()
        started = time.monotonic()
        try:
            await waiter.future
        finally:
            if not waiter.future.done():
                waiter.future.cancel()
        waited = time.monotonic() - started
        metrics.record_limiter_wait(waited)
        return waited

    def _ensure_dispatcher(self) -> None:
        if self._dispatcher is None or self._dispatcher.done():
            self._dispatcher = asyncio.get_running_loop().create_task(self._dispatch())

    def _next_waiter(self) -> _Waiter | None:
        """The first live waiter of the next account in round-robin order."""
        while self._order:
            account = self._order.popleft()
            queue = self._queues[account]
            while queue and queue[0].future.done():  # cancelled callers
                queue.popleft()
            if not queue:
                del self._queues[account]
                continue
            waiter = queue.popleft()
            if queue:
                self._order.append(account)
            else:
                del self._queues[account]
            return waiter
        while self._background:  # background work: only when no interactive waiter is left
            waiter = self._background.popleft()
            if not waiter.future.done():
                return waiter
        return None

    async def _dispatch(self) -> None:
        while True:
            waiter = self._next_waiter()
            if waiter is None:
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            remaining_ms = max(0.0, (waiter.deadline - time.monotonic()) * 1000)
            granted, wait_ms = await self._reserve(remaining_ms)
            if not granted:
                if not waiter.future.done():
                    waiter.future.set_exception(self._refusal(wait_ms))
                continue
            # Redis back after a loss has an empty window: its first slots may come right
            # after the ones this replica took in process. Keep the window over its own.
            wait_ms = max(wait_ms, self._own_window_wait_ms())
            if wait_ms > 0:
                await asyncio.sleep(wait_ms / 1000)
            self._slots_ms.append(time.monotonic() * 1000)
            if not waiter.future.done():
                waiter.future.set_result(wait_ms / 1000)

    def _own_window_wait_ms(self) -> float:
        """How long before this replica's own last ``rate`` slots leave room for one more."""
        if len(self._slots_ms) < self.rate:
            return 0.0
        return self._slots_ms[0] + self.window_ms - time.monotonic() * 1000

    @property
    def _last_slot_ms(self) -> float:
        return self._slots_ms[-1] if self._slots_ms else float("-inf")

    async def _reserve(self, max_wait_ms: float) -> tuple[bool, float]:
        if self.store.available:
            try:
                granted, wait = await self.store.run_script(
                    self._script,
                    [f"{self.key}:s", f"{self.key}:h"],
                    [
                        int(self.window_ms),
                        self.rate,
                        int(self.hour_interval_ms),
                        int(self.hour_tolerance_ms),
                        int(max_wait_ms),
                    ],
                )
                return bool(granted), float(wait)
            except REDIS_ERRORS as exc:
                self.store.mark_down(exc)
                metrics.record_redis_fallback("limiter")
        # in process (Redis lost): not before this replica's last slot plus its share's
        # interval, or the first local slot would follow the last shared one at once
        self.local.tat = max(self.local.tat, self._last_slot_ms + self.local.interval)
        return self.local.reserve(max_wait_ms)

    async def hourly_remaining(self) -> int | None:
        """Calls left in the sliding hour of this API's budget (None: Redis unreachable).

        The hourly GCRA's theoretical arrival time is ``hour_interval`` ahead per call taken:
        what separates it from an hour ahead of now is what is left."""
        try:
            raw, (seconds, micros) = await asyncio.gather(
                self.store.client.get(f"{self.key}:h"), self.store.client.time()
            )
        except REDIS_ERRORS:
            return None
        now_ms = int(seconds) * 1000 + int(micros) // 1000
        ahead = max(0.0, float(raw or 0) - now_ms)
        return max(0, int((3_600_000 - ahead) // self.hour_interval_ms))

    @staticmethod
    def _refusal(wait_ms: float) -> GatewayError:
        retry_after = max(1, int(wait_ms / 1000) + 1)
        return unavailable(
            "The upstream call budget is exhausted for now; retry later.",
            retry_after,
            code="GW-UPSTREAM-BUSY",
        )

    async def close(self) -> None:
        if self._dispatcher is not None:
            self._dispatcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._dispatcher
        for queue in [*self._queues.values(), self._background]:
            for waiter in queue:
                if not waiter.future.done():
                    waiter.future.cancel()
