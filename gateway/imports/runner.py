"""The import of one usage point's history: resumable, never done twice, stopped when the
point's consent ends.

- one runner per point at a time: a PostgreSQL advisory lock held on a connection for the
  run (a replica killed mid-import loses its connection, hence the lock, at once);
- resumable: each call of the plan first reads its days from the cache and fetches only
  the runs still missing, so a run taken over after a crash, or days a user's own request
  already fetched, cost nothing again;
- at the lowest priority: each call takes a slot of the import's hourly share
  (``ImportShare``), then waits at the API's limiter behind every interactive call; import
  calls are never charged to the user's allowances;
- Redis lost: no call is made while the cache cannot keep its answer; the job is tried
  again later and, the key gone with Redis, waits for the account's next request;
- stopped: before each call the point must still be held with a usable consent; a point
  removed or moved, or an account deleted, stops the import and purges what it wrote; a
  consent revoked (Enedis refuses, or ``consent_status``) ends it ``failed``.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections import Counter
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

import asyncpg

from gateway.cache.store import CacheStore, days_of
from gateway.config import Settings
from gateway.data.days import runs
from gateway.enedis.error_map import consent_gone
from gateway.enedis.forwarder import Forwarder
from gateway.enedis.rules import paris_today
from gateway.enedis.upstream_call import UpstreamCall
from gateway.errors import GatewayError, UpstreamFailure
from gateway.imports import progress
from gateway.imports.budget import ImportShare
from gateway.imports.keys import ImportKeys
from gateway.imports.plan import import_calls
from gateway.observability import metrics

if TYPE_CHECKING:
    from gateway.accounts.service import Accounts

log = logging.getLogger(__name__)

#: Pause before trying a call again when the upstream is busy or failing.
RETRY_PAUSE = 5.0


class Interrupted(Exception):
    """The replica is stopping: the job is put back in the queue, to resume elsewhere."""


class StoreLost(Exception):
    """Redis is unreachable: what the import fetched could not be kept. The job is tried
    again later (the cache, and the key with it, may have to be had again)."""


class _Stop(Exception):
    """The point's import must end now (gone, revoked)."""


def lock_id(account_id: str, usage_point_id: str) -> int:
    """The advisory lock of one point's import (a signed 64-bit number)."""
    digest = hashlib.sha256(f"history-import|{account_id}|{usage_point_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class Importer:
    def __init__(
        self,
        pool: asyncpg.Pool,
        cache: CacheStore,
        forwarder: Forwarder,
        accounts: Accounts,
        keys: ImportKeys,
        share: ImportShare,
        settings: Settings,
    ) -> None:
        self.pool = pool
        self.cache = cache
        self.forwarder = forwarder
        self.accounts = accounts
        self.keys = keys
        self.share = share
        self.settings = settings
        self.stopping = asyncio.Event()

    async def run(self, account_id: str, usage_point_id: str) -> None:
        """Import the point's history (or what is left of it)."""
        async with self.pool.acquire() as lock_conn:
            lock = lock_id(account_id, usage_point_id)
            if not await lock_conn.fetchval("SELECT pg_try_advisory_lock($1)", lock):
                log.info("history import already running elsewhere", extra={"account": account_id})
                return
            try:
                await self._run(account_id, usage_point_id)
            finally:
                await lock_conn.execute("SELECT pg_advisory_unlock($1)", lock)

    async def _run(self, account_id: str, usage_point_id: str) -> None:
        async with self.pool.acquire() as conn:
            state = await progress.point_state(conn, account_id, usage_point_id)
        if state is None:
            await self._gone(account_id, usage_point_id)
            return
        if state == "revoked":
            await self._end(account_id, usage_point_id, "failed", "consent_revoked")
            return
        key = await self.keys.get(account_id)
        if not self.cache.store.available:
            raise StoreLost  # no telling whether the key is there: later
        if key is None:
            async with self.pool.acquire() as conn:
                await progress.finish(conn, account_id, usage_point_id, "pending", "awaiting_key")
            await self.keys.want(account_id, self.settings.import_key_ttl)
            log.info("history import waits for the account's key", extra={"account": account_id})
            return
        today = paris_today()
        calls = import_calls(
            usage_point_id, today, self.forwarder.adapter, self.settings.import_history_days
        )
        async with self.pool.acquire() as conn:
            await progress.start(conn, account_id, usage_point_id, len(calls))
        try:
            days = await self._import(account_id, usage_point_id, key, calls, today)
        except _Stop as stop:
            reason = str(stop)
            if reason == "gone":
                await self._gone(account_id, usage_point_id)
            else:
                await self._end(account_id, usage_point_id, "failed", reason)
            return
        async with self.pool.acquire() as conn:
            state = await progress.point_state(conn, account_id, usage_point_id)
        if state is None:  # deleted while the last call was written
            await self._gone(account_id, usage_point_id)
            return
        seconds = await self._end(account_id, usage_point_id, "complete", None)
        if seconds is not None:
            metrics.record_import_complete(seconds)
        log.info(
            "history import complete",
            extra={"account": account_id, "calls": len(calls), "days": sum(days.values())},
        )

    async def _import(
        self,
        account_id: str,
        usage_point_id: str,
        key: bytes,
        calls: Sequence[UpstreamCall],
        today: date,
    ) -> Counter[str]:
        adapter = self.forwarder.adapter
        days: Counter[str] = Counter()
        absent: set[str] = set()  # datasets the point does not have (or no older data)
        first: set[str] = set()  # datasets whose first (most recent) call was made
        for done, call in enumerate(calls, start=1):
            endpoint = call.endpoint
            if endpoint.name not in absent:
                await self._check(account_id, usage_point_id)
                point = self.cache.view(account_id, key, usage_point_id, endpoint)
                lookup = await point.lookup(days_of(endpoint, call.start, call.end))
                with_data = sum(1 for entry in lookup.fresh.values() if entry.readings is not None)
                missing = [day for day in lookup.missing if isinstance(day, date)]
                for start, end in runs(missing, adapter.max_days(endpoint)):
                    sub = UpstreamCall(endpoint, usage_point_id, start, end)
                    body = await self._fetch(account_id, usage_point_id, sub)
                    if body is _NO_MORE:
                        absent.add(endpoint.name)
                        break
                    entries = adapter.to_entries(sub, body)
                    await point.write(entries, today)
                    if not self.cache.store.available:
                        raise StoreLost  # not written: never counted as imported
                    with_data += sum(1 for entry in entries.values() if entry.readings is not None)
                days[endpoint.name] += with_data
                if not with_data and endpoint.name not in first:
                    absent.add(endpoint.name)  # nothing in its most recent call: none at all
                first.add(endpoint.name)
            async with self.pool.acquire() as conn:
                await progress.advance(conn, account_id, usage_point_id, done, dict(days))
            await self.keys.keep(account_id, self.settings.import_key_ttl)
        return days

    async def _check(self, account_id: str, usage_point_id: str) -> None:
        if self.stopping.is_set():
            raise Interrupted
        if not self.cache.store.available:
            raise StoreLost
        async with self.pool.acquire() as conn:
            state = await progress.point_state(conn, account_id, usage_point_id)
        if state is None:
            raise _Stop("gone")
        if state == "revoked":
            raise _Stop("consent_revoked")

    async def _fetch(self, account_id: str, usage_point_id: str, call: UpstreamCall) -> Any:
        """The answer of one import call (None: no data), ``_NO_MORE`` when Enedis refuses
        it for good (before the meter's activation...); retried while busy or failing."""
        api = self.forwarder.adapter.request_of(call)[0]
        while True:
            if not await self.share.take(api, self.stopping):
                raise Interrupted
            await self._check(account_id, usage_point_id)
            try:
                result = await self.forwarder.fetch(call, account_id, background=True)
            except UpstreamFailure as failure:
                metrics.record_import_call("failed")
                if consent_gone(failure):
                    await self.accounts.mark_revoked(account_id, usage_point_id)
                    raise _Stop("consent_revoked") from None
                if not failure.retryable:
                    return _NO_MORE
            except GatewayError:  # no slot in time (the limiter is busy): later
                metrics.record_import_call("busy")
            else:
                metrics.record_import_call("made" if not result.shared else "shared")
                return result.body
            try:
                await asyncio.wait_for(self.stopping.wait(), RETRY_PAUSE)
            except TimeoutError:
                continue
            raise Interrupted

    async def _end(
        self, account_id: str, usage_point_id: str, status: str, detail: str | None
    ) -> float | None:
        async with self.pool.acquire() as conn:
            seconds = await progress.finish(conn, account_id, usage_point_id, status, detail)
            left = await progress.unfinished(conn, account_id)
        if not left:
            await self.keys.drop(account_id)
        return seconds

    async def _gone(self, account_id: str, usage_point_id: str) -> None:
        """The point (or the account) went during the import: what it wrote goes too."""
        async with self.pool.acquire() as conn:
            account_left = await conn.fetchval(
                "SELECT EXISTS (SELECT 1 FROM accounts WHERE id = $1)", account_id
            )
            left = await progress.unfinished(conn, account_id) if account_left else 0
        try:
            if account_left:
                await self.cache.purge_usage_point(account_id, usage_point_id)
            else:
                await self.cache.purge_account(account_id)
                await self.accounts.redis.delete_account_keys(account_id)
        except Exception:  # noqa: BLE001 - Redis lost: nothing left to read anyway
            log.warning("could not purge a stopped import's entries (redis unavailable)")
        if not left:
            await self.keys.drop(account_id)
        log.info("history import stopped: the point is gone", extra={"account": account_id})


#: ``_fetch``'s answer when Enedis will never answer this call (and no older one).
_NO_MORE: Any = object()
