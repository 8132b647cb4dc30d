"""The encrypted per-user cache: one entry per day of ranged data, one per usage point
for customer data.

Keys are ``{a:<account>}:c:<digest>`` where the digest is keyed by the server key and
covers the usage point, endpoint and day: neither ids nor dates appear in clear. Values
are sealed with the account's key (AES-GCM, the Redis key as associated data). Each
entry knows until when it is fresh; Redis keeps it ``CACHE_STALE_SECONDS`` longer so it
can be served, marked stale, while Enedis fails. A per-point index set lets purges find
the keys without scanning.

Writes after an answer go in the background (``write_later``: the answer is not held
back by them): each is a task of the store, awaited by ``drain`` on shutdown, and every
read or purge of the account first waits for that account's pending writes (``settled``),
so that a replica always reads what it wrote.
"""

from __future__ import annotations

import asyncio
import logging
import struct
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from gateway import redis_keys
from gateway.cache.crypto import EntryCipher
from gateway.config import Settings
from gateway.data.days import each_day, expected_points
from gateway.data.model import Point
from gateway.enedis.catalogue import CONTRACT_RECORD, DataKind, Endpoint
from gateway.keyring import Keyring, keyed_digest
from gateway.observability import metrics
from gateway.redis_multiplexer import Arg
from gateway.shared_store import REDIS_ERRORS, SharedStore

log = logging.getLogger(__name__)

ALL = "all"  # the "day" of a customer-data entry
FRESH_PREFIX = struct.Struct(">d")  # an answer memo starts with its fresh-until time

# Delete the answer memos of one (point, endpoint): KEYS[1] is their index set.
_DROP_ANSWERS = """
local keys = redis.call('SMEMBERS', KEYS[1])
for i = 1, #keys, 500 do
  redis.call('UNLINK', unpack(keys, i, math.min(i + 499, #keys)))
end
redis.call('DEL', KEYS[1])
return #keys
"""


#: Version of the entry format: entries of another version (the v5 readings kept before the
#: model) read as missing and are fetched again.
ENTRY_VERSION = 2


@dataclass(slots=True)
class Entry:
    """One cached day of a series (model points) or one contract-data section."""

    readings: list[Point] | None  # None: Enedis had no data that day
    meta: dict[str, Any]  # SeriesMeta.dump() of the day's series
    fresh_until: float
    body: Any = None  # a contract-data section: the whole answer (an object or a list)

    @property
    def fresh(self) -> bool:
        return time.time() < self.fresh_until

    def dump(self) -> dict[str, Any]:
        return {
            "V": ENTRY_VERSION,
            "r": self.readings,
            "m": self.meta,
            "f": self.fresh_until,
            "b": self.body,
        }

    @classmethod
    def load(cls, raw: Any) -> Entry | None:
        if not isinstance(raw, dict) or raw.get("V") != ENTRY_VERSION:
            return None
        try:
            readings, meta, body = raw.get("r"), raw.get("m") or {}, raw.get("b")
            if not (readings is None or isinstance(readings, list)) or not isinstance(meta, dict):
                return None
            return cls(readings, meta, float(raw["f"]), body)
        except (KeyError, TypeError, ValueError):
            return None


@dataclass(frozen=True, slots=True)
class Answer:
    """A whole answer to memoize: its range, its bytes, and until when its days are fresh."""

    start: date
    end: date
    body: bytes
    dialect: str
    fresh_until: float = float("inf")


@dataclass(slots=True)
class Lookup:
    """What the cache holds for a request: fresh entries, stale ones, what is missing."""

    fresh: dict[date | str, Entry] = field(default_factory=dict)
    stale: dict[date | str, Entry] = field(default_factory=dict)
    missing: list[date | str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class PointCache:
    """One account's view of one usage point's cache for one endpoint: what every cache
    operation of a request shares (the account, its key, the point, the endpoint), bound
    once (``CacheStore.view``)."""

    cache: CacheStore
    account_id: str
    key: bytes
    usage_point_id: str
    endpoint: Endpoint

    async def lookup(self, days: list[date | str]) -> Lookup:
        return await self.cache.lookup(
            self.account_id, self.key, self.usage_point_id, self.endpoint, days
        )

    async def lookup_answer(self, start: date, end: date, dialect: str) -> bytes | None:
        return await self.cache.lookup_answer(
            self.account_id, self.key, self.usage_point_id, self.endpoint, start, end, dialect
        )

    async def write(
        self, entries: dict[date | str, Entry], today: date, answer: Answer | None = None
    ) -> None:
        await self.cache.write(
            self.account_id, self.key, self.usage_point_id, self.endpoint, entries, today, answer
        )

    def write_later(
        self, entries: dict[date | str, Entry], today: date, answer: Answer | None = None
    ) -> None:
        self.cache.write_later(
            self.account_id, self.key, self.usage_point_id, self.endpoint, entries, today, answer
        )


class CacheStore:
    def __init__(self, store: SharedStore, keyring: Keyring, settings: Settings) -> None:
        self.store = store
        self.keyring = keyring
        self.settings = settings
        self._pending: dict[str, set[asyncio.Task[None]]] = {}  # background writes by account

    def view(
        self, account_id: str, key: bytes, usage_point_id: str, endpoint: Endpoint
    ) -> PointCache:
        """The account's view of one point's cache for ``endpoint``."""
        return PointCache(self, account_id, key, usage_point_id, endpoint)

    # -- background writes --------------------------------------------------------------

    def write_later(
        self,
        account_id: str,
        key: bytes,
        usage_point_id: str,
        endpoint: Endpoint,
        entries: dict[date | str, Entry],
        today: date,
        answer: Answer | None = None,
    ) -> None:
        """``write`` in a task of its own: the caller answers without waiting for it."""
        if not (entries or answer):
            return
        task = asyncio.get_running_loop().create_task(
            self.write(account_id, key, usage_point_id, endpoint, entries, today, answer)
        )
        pending = self._pending.setdefault(account_id, set())
        pending.add(task)

        def done(finished: asyncio.Task[None]) -> None:
            pending.discard(finished)
            if not pending and self._pending.get(account_id) is pending:
                del self._pending[account_id]
            if not finished.cancelled() and finished.exception() is not None:
                log.error("cache write failed", exc_info=finished.exception())

        task.add_done_callback(done)

    async def settled(self, account_id: str) -> None:
        """Wait for the account's background writes (nothing to wait for: no await)."""
        pending = self._pending.get(account_id)
        if pending:
            await asyncio.wait(set(pending))

    async def drain(self) -> None:
        """Wait for every background write (on shutdown, before the store closes)."""
        while self._pending:
            tasks = set().union(*self._pending.values())
            await asyncio.wait(tasks)

    # -- naming ---------------------------------------------------------------------------

    def entry_key(
        self, account_id: str, usage_point_id: str, endpoint: Endpoint, day: date | str
    ) -> str:
        label = day.isoformat() if isinstance(day, date) else day
        mac = keyed_digest(
            self.keyring.point_key, f"{account_id}|{usage_point_id}|{dataset(endpoint)}|{label}"
        )[:40]
        return f"{redis_keys.account_tag(account_id)}:c:{mac}"

    def point_index(self, account_id: str, usage_point_id: str) -> str:
        tag = redis_keys.account_tag(account_id)
        return f"{tag}:ci:{self.keyring.point_digest(account_id, usage_point_id)}"

    def points_index(self, account_id: str) -> str:
        return f"{redis_keys.account_tag(account_id)}:cpoints"

    def answer_key(
        self,
        account_id: str,
        usage_point_id: str,
        endpoint: Endpoint,
        start: date,
        end: date,
        dialect: str,
    ) -> str:
        """The memo of a whole answer for [start, end[ in one dialect (a warm range in one
        small read)."""
        return self.entry_key(account_id, usage_point_id, endpoint, f"{dialect}:{start}/{end}")

    def answers_index(self, account_id: str, usage_point_id: str, endpoint: Endpoint) -> str:
        point = self.keyring.point_digest(account_id, f"{usage_point_id}|{endpoint.name}")
        return f"{redis_keys.account_tag(account_id)}:ca:{point}"

    async def lookup_answer(
        self,
        account_id: str,
        key: bytes,
        usage_point_id: str,
        endpoint: Endpoint,
        start: date,
        end: date,
        dialect: str,
    ) -> bytes | None:
        """The memo of this exact range, when it is still fresh (one GET)."""
        await self.settled(account_id)
        if not self.store.available:
            return None
        redis_key = self.answer_key(account_id, usage_point_id, endpoint, start, end, dialect)
        try:
            sealed = await self.store.client.get(redis_key)
        except REDIS_ERRORS as exc:
            self.store.mark_down(exc)
            metrics.record_redis_fallback("cache")
            return None
        if not isinstance(sealed, bytes):
            return None
        return fresh_body(EntryCipher.for_key(key).open_bytes(redis_key, sealed))

    # -- reading --------------------------------------------------------------------------

    async def lookup(
        self,
        account_id: str,
        key: bytes,
        usage_point_id: str,
        endpoint: Endpoint,
        days: list[date | str],
    ) -> Lookup:
        """Every entry of ``days`` in one round trip (MGET)."""
        await self.settled(account_id)
        if not days or not self.store.available:
            return Lookup(missing=list(days))
        keys = self.entry_keys(account_id, usage_point_id, endpoint, days)
        try:
            values = await self.store.client.mget(keys)
        except REDIS_ERRORS as exc:
            self.store.mark_down(exc)
            metrics.record_redis_fallback("cache")
            return Lookup(missing=list(days))
        return opened(key, days, keys, values)

    def entry_keys(
        self, account_id: str, usage_point_id: str, endpoint: Endpoint, days: list[date | str]
    ) -> list[str]:
        return [self.entry_key(account_id, usage_point_id, endpoint, day) for day in days]

    # -- writing --------------------------------------------------------------------------

    def ttl_for(self, endpoint: Endpoint, day: date | str, entry: Entry, today: date) -> int:
        settings = self.settings
        if entry.readings is None and entry.body is None:
            return settings.cache_ttl_no_data
        if isinstance(day, date):
            if day >= today - timedelta(days=2):
                return settings.cache_ttl_recent
            if endpoint.kind is DataKind.LOAD_CURVE and entry.readings is not None:
                expected = expected_points(entry.readings)
                if expected is not None and len(entry.readings) < expected - 2:
                    return settings.cache_ttl_recent  # published incomplete
        return settings.cache_ttl

    async def write(
        self,
        account_id: str,
        key: bytes,
        usage_point_id: str,
        endpoint: Endpoint,
        entries: dict[date | str, Entry],
        today: date,
        answer: Answer | None = None,
    ) -> None:
        """Write ``entries`` back in one round trip (a pipeline), with their index, and
        the memo of the whole ``answer`` (fresh as long as its least fresh day)."""
        if not (entries or answer) or not self.store.available:
            return
        cipher = EntryCipher.for_key(key)
        index = self.point_index(account_id, usage_point_id)
        now = time.time()
        stale = self.settings.cache_stale
        commands: list[tuple[Arg, ...]] = []
        written = []
        fresh_until = answer.fresh_until if answer is not None else float("inf")
        for day, entry in entries.items():
            ttl = self.ttl_for(endpoint, day, entry, today)
            entry.fresh_until = now + ttl
            fresh_until = min(fresh_until, entry.fresh_until)
            redis_key = self.entry_key(account_id, usage_point_id, endpoint, day)
            sealed = cipher.seal(redis_key, entry.dump())
            commands.append(("SET", redis_key, sealed, "EX", ttl + stale))
            written.append(redis_key)
        if endpoint.is_ranged:
            answers = self.answers_index(account_id, usage_point_id, endpoint)
            if entries:  # memos of other ranges may hold the days just rewritten
                commands.append(("EVAL", _DROP_ANSWERS, 1, answers))
            if answer is not None and fresh_until - now >= 1:
                memo = self.answer_key(
                    account_id, usage_point_id, endpoint, answer.start, answer.end, answer.dialect
                )
                plain = FRESH_PREFIX.pack(fresh_until) + answer.body
                sealed = cipher.seal_bytes(memo, plain)
                commands.append(("SET", memo, sealed, "EX", int(fresh_until - now)))
                commands.append(("SADD", answers, memo))
                commands.append(("EXPIRE", answers, self.settings.cache_ttl + 86400))
                written.append(memo)
                written.append(answers)
        commands.append(("SADD", index, *written))
        commands.append(("EXPIRE", index, self.settings.cache_ttl + stale + 86400))
        commands.append(("SADD", self.points_index(account_id), index))
        try:
            await self.store.execute_many(commands)
        except REDIS_ERRORS as exc:
            self.store.mark_down(exc)
            metrics.record_redis_fallback("cache")

    # -- purging --------------------------------------------------------------------------

    async def purge_days(
        self,
        account_id: str,
        usage_point_id: str,
        endpoint: Endpoint,
        start: date | None,
        end: date | None,
        sections: tuple[str, ...] = (),
    ) -> int:
        """Delete one endpoint's entries of a point (for [start, end[, or the contract-data
        sections it is rendered from)."""
        await self.settled(account_id)
        days = days_of(endpoint, start, end, sections)
        keys = [self.entry_key(account_id, usage_point_id, endpoint, day) for day in days]
        try:
            await self.store.client.eval(
                _DROP_ANSWERS, 1, self.answers_index(account_id, usage_point_id, endpoint)
            )
            deleted = int(await self.store.client.unlink(*keys))
            await self.store.client.srem(self.point_index(account_id, usage_point_id), *keys)
        except REDIS_ERRORS as exc:
            self.store.mark_down(exc)
            raise
        return deleted

    async def purge_usage_point(self, account_id: str, usage_point_id: str) -> int:
        """Delete every cache entry of one usage point of the account; returns how many."""
        await self.settled(account_id)
        index = self.point_index(account_id, usage_point_id)
        client = self.store.client
        try:
            keys = await client.smembers(index)
            deleted = int(await client.unlink(*keys)) if keys else 0
            await client.unlink(index)
            await client.srem(self.points_index(account_id), index)
        except REDIS_ERRORS as exc:
            self.store.mark_down(exc)
            raise
        return deleted

    async def purge_account(self, account_id: str) -> int:
        """Delete every cache entry of the account."""
        await self.settled(account_id)
        client = self.store.client
        points_key = self.points_index(account_id)
        deleted = 0
        try:
            indexes = await client.smembers(points_key)
            for index in indexes:
                keys = await client.smembers(index)
                if keys:
                    deleted += int(await client.unlink(*keys))
            await client.unlink(points_key, *indexes)
        except REDIS_ERRORS as exc:
            self.store.mark_down(exc)
            raise
        return deleted


def opened(key: bytes, days: list[date | str], keys: list[str], values: list[Any]) -> Lookup:
    """The entries read for ``days`` (under ``keys``), opened with the account's key and
    sorted into fresh, stale and missing."""
    result = Lookup()
    cipher = EntryCipher.for_key(key)
    now = time.time()
    for day, redis_key, sealed in zip(days, keys, values, strict=True):
        entry = Entry.load(cipher.open(redis_key, sealed)) if isinstance(sealed, bytes) else None
        if entry is None:
            result.missing.append(day)
        elif now < entry.fresh_until:
            result.fresh[day] = entry
        else:
            result.stale[day] = entry
            result.missing.append(day)
    return result


def fresh_body(plain: bytes | None) -> bytes | None:
    """The answer of an opened memo (its fresh-until time, then its bytes), when fresh."""
    if plain is None or len(plain) <= FRESH_PREFIX.size:
        return None
    (fresh_until,) = FRESH_PREFIX.unpack_from(plain)
    return plain[FRESH_PREFIX.size :] if time.time() < fresh_until else None


def dataset(endpoint: Endpoint) -> str:
    """The name a dataset is cached under: contract data of every surface share one record."""
    return CONTRACT_RECORD if endpoint.kind is DataKind.CUSTOMER else endpoint.name


def days_of(
    endpoint: Endpoint, start: date | None, end: date | None, sections: tuple[str, ...] = ()
) -> list[date | str]:
    """The entries a request needs: its days, or the contract-data sections it renders."""
    if endpoint.is_ranged and start is not None and end is not None:
        return list(each_day(start, end))
    return list(sections) or [ALL]
