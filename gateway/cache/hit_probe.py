"""A warm data request in one Redis round trip: auth's read, the memo, the charge.

A range asked before needs three things from Redis: the account's snapshot (auth), the
memo of the whole answer (cache) and one unit of the cached allowance (quota). All three
are in the account's slot (``{a:<id>}``), so one script (``HOT_HIT``) reads the snapshot,
its generation and the token's revocation mark, reads the memo and, only when the memo
exists, charges the cached allowance. The rare request refused after that charge (a
revoked token, no consent, a memo that does not open or is no longer fresh) gets the
charge refunded (``HitProbe.refund``). For a short range (at most ``DAYS_IN_PROBE``
days) without a memo, the same script also reads the days (what a miss reads next), so
that a cold request makes one round trip less before its upstream call; and when one of
those days is absent (an upstream call will be needed), the script also reserves one
upstream call of the account's allowance (``prepaid``, handed to the request's
``QuotaGuard``): a one-day miss then makes no round trip between the hot read and the
limiter's. A reservation not used is given back (``QuotaGuard.release_prepaid``).

The probe is made by the auth stage for Bearer requests on data routes that may use the
cache (``probe_for``), filled by ``AccountRedis.hot_read`` and read by the cache stage
(``HitProbe.memo_body``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from gateway.accounts.principal import Principal
from gateway.cache.crypto import EntryCipher
from gateway.cache.store import CacheStore, Lookup, days_of, fresh_body, opened
from gateway.data.request import CacheMode, DataRequest
from gateway.quota import (
    CACHED,
    CHARGE_FUNCTION,
    COUNTER_TTL,
    UPSTREAM,
    Quotas,
    Usage,
    counter_key,
)

#: The longest range whose days the hot read also reads when there is no memo (a day's
#: key costs one HMAC, paid on every request of the range, memo or not).
DAYS_IN_PROBE = 31

# KEYS: snapshot, generation, revocation mark, memo, cached counter, account index,
# upstream counter, then the days' entries (all in one slot); ARGV: check the revocation
# mark (1/0), cached limit, counter ttl, upstream limit. Returns {snapshot fields (flat),
# generation or nil, revoked (0/1), memo or nil, charged (1, 0 refused, -1 not tried),
# used, the days' values (no memo), prepaid upstream call (1, or 0), upstream used}.
HOT_HIT = (
    CHARGE_FUNCTION
    + """
local snapshot = redis.call('HGETALL', KEYS[1])
local generation = redis.call('GET', KEYS[2])
local revoked = 0
if ARGV[1] == '1' then revoked = redis.call('EXISTS', KEYS[3]) end
local memo = redis.call('GET', KEYS[4])
local charged, used = -1, 0
local days = {}
local prepaid, upstream_used = 0, 0
if memo then
  local result = charge(KEYS[5], KEYS[6], 1, tonumber(ARGV[2]), tonumber(ARGV[3]))
  charged, used = result[1], result[2]
elseif #KEYS > 7 then
  days = redis.call('MGET', unpack(KEYS, 8, #KEYS))
  for i = 1, #days do
    if not days[i] then
      local result = charge(KEYS[7], KEYS[6], 1, tonumber(ARGV[4]), tonumber(ARGV[3]))
      prepaid, upstream_used = result[1], result[2]
      break
    end
  end
end
return {snapshot, generation, revoked, memo, charged, used, days, prepaid, upstream_used}
"""
)


@dataclass(slots=True)
class HitProbe:
    """What the hot read brings back for one data request's memo (see the module)."""

    cache: CacheStore
    quotas: Quotas
    data: DataRequest
    account_id: str = ""
    memo_key: str = ""
    sealed: bytes | None = None
    charged: int = -1  # 1 charged, 0 refused (over the allowance), -1 not tried
    used: int = 0
    days: list[date | str] = field(default_factory=list)  # read too when there is no memo
    day_keys: list[str] = field(default_factory=list)
    day_values: list[Any] | None = None  # what the script read for them (no memo)
    prepaid: int = 0  # upstream calls reserved by the script (0 or 1) not yet handed over
    upstream_used: int = 0  # the upstream allowance used after that reservation
    read_at: float = 0.0  # monotonic time the script was sent
    done: bool = False  # the hot read ran (else the cache stage reads as usual)
    answered: bool = False  # the answer came from the memo: the charge stands
    _refunded: bool = field(default=False, repr=False)

    async def settle(self, account_id: str) -> None:
        """Wait for the account's background cache writes (read what this replica wrote)."""
        await self.cache.settled(account_id)

    def keys(self, account_id: str) -> list[str]:
        """The memo's key and the charge's keys for ``account_id``."""
        data = self.data
        assert data.start is not None and data.end is not None
        self.account_id = account_id
        self.read_at = time.monotonic()
        self.memo_key = self.cache.answer_key(
            account_id, data.usage_point_id, data.endpoint, data.start, data.end, data.dialect
        )
        if self.days:
            self.day_keys = self.cache.entry_keys(
                account_id, data.usage_point_id, data.endpoint, self.days
            )
        return [
            self.memo_key,
            *self.quotas.keys(account_id, CACHED),
            counter_key(account_id, UPSTREAM),
            *self.day_keys,
        ]

    def args(self) -> list[Any]:
        return [self.quotas.limits[CACHED], COUNTER_TTL, self.quotas.limits[UPSTREAM]]

    def fill(
        self, memo: Any, charged: Any, used: Any, days: Any, prepaid: Any, upstream_used: Any
    ) -> None:
        self.sealed = memo if isinstance(memo, bytes) else None
        self.charged = int(charged)
        self.used = int(used)
        self.prepaid = int(prepaid)
        self.upstream_used = int(upstream_used)
        if self.sealed is None and self.days and len(days) == len(self.days):
            self.day_values = list(days)
        self.done = True

    def lookup(self, principal: Principal, days: list[date | str]) -> Lookup | None:
        """The days read with the memo, opened (None: not read, or other days)."""
        if self.day_values is None or days != self.days:
            return None
        return opened(principal.cache_key, self.days, self.day_keys, self.day_values)

    def memo_body(self, principal: Principal) -> bytes | None:
        """The memo's answer when it opens with the account's key and is fresh."""
        if self.sealed is None:
            return None
        plain = EntryCipher.for_key(principal.cache_key).open_bytes(self.memo_key, self.sealed)
        return fresh_body(plain)

    def usage(self) -> Usage:
        """The cached allowance after the charge (raises 429 when it was refused)."""
        return self.quotas.usage_after_charge(CACHED, 1, self.charged == 1, self.used)

    def take_prepaid(self) -> tuple[int, int]:
        """The upstream calls the script reserved and the allowance used after them, handed
        over to the request's quota guard (which uses or gives them back)."""
        prepaid, self.prepaid = self.prepaid, 0
        return prepaid, self.upstream_used

    async def refund(self) -> None:
        """Give back the charge of a request that was not answered from the memo, and the
        upstream reservation no quota guard took over."""
        if self.charged == 1 and not self._refunded and not self.answered:
            self._refunded = True
            await self.quotas.refund(self.account_id, CACHED, 1)
        prepaid, _ = self.take_prepaid()
        if prepaid:
            await self.quotas.refund(self.account_id, UPSTREAM, prepaid)


def probe_for(cache: CacheStore, quotas: Quotas, data: DataRequest) -> HitProbe | None:
    """A probe for ``data`` when its answer may come from a memo (a request with a range
    that uses the cache: the cache stage's own condition for reading the memo)."""
    if data.cache is not CacheMode.USE or data.start is None or data.end is None:
        return None
    short = (data.end - data.start).days <= DAYS_IN_PROBE or not data.endpoint.is_ranged
    days = days_of(data.endpoint, data.start, data.end, data.sections) if short else []
    return HitProbe(cache, quotas, data, days=days)
