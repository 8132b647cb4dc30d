"""Per-account daily allowances, counted atomically in Redis, per UTC day.

- ``upstream``: upstream calls the account caused (``USER_DAILY_LIMIT_NO_CACHE``);
- ``cached``: requests answered from cache (``USER_DAILY_LIMIT_WITH_CACHE``).

Upstream calls are reserved before they are made (a request that needs more calls than
remain is refused up front, and then nothing goes upstream) and refunded when they were
not made after all (e.g. answered by an identical call already in flight). When Redis is
down, quotas fail open: the request is served, a warning is logged and a metric counted.
"""

from __future__ import annotations

import functools
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from gateway import redis_keys
from gateway.errors import QUOTA_EXCEEDED, GatewayError, too_many
from gateway.observability import metrics
from gateway.shared_store import REDIS_ERRORS, SharedStore

log = logging.getLogger(__name__)

COUNTER_TTL = 2 * 86400
UPSTREAM = "upstream"
CACHED = "cached"

#: The charge as a Lua function (one place: the quota script below and the hot read of a
#: warm data request, ``gateway.cache.hit_probe``, both call it). counter and index are in
#: one slot (the account's hash tag). Returns {charged (1/0), value after}.
CHARGE_FUNCTION = """
local function charge(counter, index, amount, limit, ttl)
  local used = tonumber(redis.call('GET', counter) or '0')
  if amount > 0 and used + amount > limit then
    return {0, used}
  end
  used = redis.call('INCRBY', counter, amount)
  if used < 0 then redis.call('SET', counter, 0, 'KEEPTTL') used = 0 end
  redis.call('EXPIRE', counter, ttl)
  redis.call('SADD', index, counter)
  redis.call('EXPIRE', index, ttl, 'NX')
  redis.call('EXPIRE', index, ttl, 'GT')
  return {1, used}
end
"""

# KEYS[1] counter, KEYS[2] the account index; ARGV: amount, limit, ttl.
_CHARGE = (
    CHARGE_FUNCTION
    + "return charge(KEYS[1], KEYS[2], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]))"
)


#: A UTC day is 86 400 s of epoch time (POSIX time has no leap seconds).
DAY_SECONDS = 86400


def utc_day(now: datetime | float | None = None) -> str:
    """The UTC day of ``now`` (see ``_epoch``) as ``YYYYMMDD``, the name of that day's
    counters."""
    return _day_name(int(_epoch(now) // DAY_SECONDS))


@functools.lru_cache(maxsize=4)
def _day_name(day_number: int) -> str:
    """``YYYYMMDD`` of the ``day_number``-th day since 1970-01-01 (UTC), made once a day."""
    return time.strftime("%Y%m%d", time.gmtime(day_number * DAY_SECONDS))


def seconds_to_reset(now: datetime | float | None = None) -> int:
    """Whole seconds from ``now`` (see ``_epoch``) to the next 00:00 UTC, when the
    counters reset: at least 1, and 86 400 at midnight exactly."""
    return max(1, int(DAY_SECONDS - _epoch(now) % DAY_SECONDS))


def _epoch(now: datetime | float | None) -> float:
    """``now`` in epoch seconds: the current time by default (plain arithmetic on
    ``time.time()``, no datetime on the hot path); a naive datetime is taken as UTC."""
    if now is None:
        return time.time()
    if isinstance(now, datetime):
        return (now if now.tzinfo is not None else now.replace(tzinfo=UTC)).timestamp()
    return float(now)


def counter_key(account_id: str, kind: str, day: str | None = None) -> str:
    return f"{redis_keys.account_tag(account_id)}:q:{day or utc_day()}:{kind}"


@dataclass(slots=True)
class Usage:
    """The state of one allowance after the last operation (for the headers)."""

    kind: str
    limit: int
    used: int
    known: bool = True  # False when Redis was unreachable (fail open)

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)


class Quotas:
    def __init__(self, store: SharedStore, *, upstream_limit: int, cached_limit: int) -> None:
        self.store = store
        self.limits = {UPSTREAM: upstream_limit, CACHED: cached_limit}
        self._charge = store.script(_CHARGE)

    async def read(self, account_id: str) -> dict[str, Usage]:
        usages = {kind: Usage(kind, limit, 0, known=False) for kind, limit in self.limits.items()}
        if not self.store.available:
            return usages
        try:
            values = await self.store.client.mget(
                [counter_key(account_id, UPSTREAM), counter_key(account_id, CACHED)]
            )
        except REDIS_ERRORS as exc:
            self._fail_open(exc)
            return usages
        for kind, raw in zip((UPSTREAM, CACHED), values, strict=True):
            usages[kind] = Usage(kind, self.limits[kind], int(raw or 0))
        return usages

    async def charge(
        self, account_id: str, kind: str, amount: int = 1, *, enforce: bool = True
    ) -> Usage:
        """Count ``amount`` against the allowance, or raise 429 if it does not fit
        (``enforce=False`` counts what already happened, whatever the limit)."""
        limit = self.limits[kind] if enforce else 2**62
        if not self.store.available:
            metrics.record_redis_fallback("quota")
            return Usage(kind, limit, 0, known=False)
        try:
            charged, used = await self.store.run_script(
                self._charge, self.keys(account_id, kind), [amount, limit, COUNTER_TTL]
            )
        except REDIS_ERRORS as exc:
            self._fail_open(exc)
            return Usage(kind, limit, 0, known=False)
        return self.usage_after_charge(kind, amount, bool(charged), int(used))

    async def refund(self, account_id: str, kind: str, amount: int) -> None:
        if amount <= 0 or not self.store.available:
            return
        try:
            await self.store.run_script(
                self._charge, self.keys(account_id, kind), [-amount, self.limits[kind], COUNTER_TTL]
            )
        except REDIS_ERRORS as exc:
            self._fail_open(exc)

    def usage_after_charge(self, kind: str, amount: int, charged: bool, used: int) -> Usage:
        """The usage after a charge made elsewhere (the hot read); raises its refusal."""
        usage = Usage(kind, self.limits[kind], used)
        if not charged:
            metrics.record_quota_refusal(kind)
            raise self.refusal(usage, amount)
        return usage

    @staticmethod
    def keys(account_id: str, kind: str) -> list[str]:
        """The keys of the charge script: the counter, the account's index."""
        return [counter_key(account_id, kind), redis_keys.account_index(account_id)]

    def refusal(self, usage: Usage, amount: int) -> GatewayError:
        what = "upstream calls" if usage.kind == UPSTREAM else "cached answers"
        if amount > 1 and usage.remaining > 0:
            message = (
                f"This request needs {amount} upstream calls but only {usage.remaining} remain "
                f"in today's quota of {usage.limit} {what}."
            )
        else:
            message = f"Daily quota of {usage.limit} {what} reached; it resets at 00:00 UTC."
        return too_many(
            message,
            seconds_to_reset(),
            code=QUOTA_EXCEEDED,
            headers=rate_limit_headers(usage),
        )

    def _fail_open(self, exc: BaseException) -> None:
        self.store.mark_down(exc)
        metrics.record_redis_fallback("quota")
        log.warning("quota counters unavailable: serving without quota (fail open)")

    async def reset(self, account_id: str) -> None:
        await self.store.client.delete(
            counter_key(account_id, UPSTREAM), counter_key(account_id, CACHED)
        )


def rate_limit_headers(usage: Usage) -> dict[str, str]:
    """IETF RateLimit / RateLimit-Policy fields, plus the common X-RateLimit-* ones."""
    reset = seconds_to_reset()
    return {
        "RateLimit-Policy": f'"{usage.kind}";q={usage.limit};w=86400',
        "RateLimit": f'"{usage.kind}";r={usage.remaining};t={reset}',
        "X-RateLimit-Limit": str(usage.limit),
        "X-RateLimit-Remaining": str(usage.remaining),
        "X-RateLimit-Reset": str(reset),
    }
