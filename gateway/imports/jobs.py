"""The job engine of history imports: procrastinate, in the gateway's own PostgreSQL.

Each replica runs a procrastinate worker (``IMPORT_WORKERS`` imports at once) on the
``history`` queue; jobs are taken with ``SELECT ... FOR UPDATE SKIP LOCKED``, so an import
runs on whichever replica is free. One job per point: ``queueing_lock`` keeps one waiting
job per point and ``lock`` runs them one after the other. A replica that stops puts its
running imports back in the queue (``Interrupted`` is retried); one that dies (SIGKILL) stops
sending its heartbeat, and another replica's watcher puts its jobs back after
``IMPORT_STALLED_SECONDS``. The schema is applied by ``gateway migrate``
(``gateway.db.apply_job_schema``).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import time
from collections.abc import AsyncIterator, Iterable

import asyncpg
import procrastinate
import psycopg
from aiohttp import web
from procrastinate.exceptions import AlreadyEnqueued

from gateway import state
from gateway.accounts.principal import Principal
from gateway.accounts.repository import DB_ERRORS
from gateway.accounts.service import database_unavailable
from gateway.imports import progress
from gateway.imports.budget import ImportShare
from gateway.imports.keys import ImportKeys
from gateway.imports.progress import History
from gateway.imports.runner import Importer

log = logging.getLogger(__name__)

QUEUE = "history"
TASK = "history_import"
#: How often an account's requests may look for an import waiting for its key (per replica).
ARM_EVERY_SECONDS = 5.0
#: How long the worker may take to hand its imports back (``shutdown_graceful_timeout``)
HAND_BACK_SECONDS = 5.0
#: ... and to stop in all: past it the worker is cut short (its imports' heartbeats go
#: stale and another replica takes them over). Unregistering from the database normally
#: takes milliseconds; with the database gone it waits for a connection (psycopg_pool: 30 s),
#: which would outlast the container's stop grace and end in a SIGKILL.
STOP_SECONDS = HAND_BACK_SECONDS + 2.0


class ImportJobs:
    """Schedules imports and runs this replica's worker."""

    def __init__(self, app: web.Application) -> None:
        settings = app[state.SETTINGS]
        self.settings = settings
        self.pool = app[state.DB]
        self.keyring = app[state.KEYRING]
        self.keys = ImportKeys(app[state.STORE], app[state.KEYRING])
        share = ImportShare(
            app[state.STORE],
            hourly=settings.hourly_limit,
            share=settings.import_max_hourly_share,
            replicas=settings.replicas,
        )
        self.importer = Importer(
            self.pool,
            app[state.CACHE],
            app[state.FORWARDER],
            app[state.ACCOUNTS],
            self.keys,
            share,
            settings,
        )
        self.engine = procrastinate.App(
            connector=procrastinate.PsycopgConnector(
                conninfo=settings.database_url, min_size=1, max_size=max(2, settings.import_workers)
            )
        )
        self.task = self.engine.task(
            name=TASK,
            queue=QUEUE,
            # a stopping replica's imports come back at once; a failing one every few minutes
            retry=procrastinate.RetryStrategy(max_attempts=100, wait=1, linear_wait=5),
        )(self._job)
        self._armed: dict[str, float] = {}

    async def _job(self, account_id: str, point: str) -> None:
        """The job of one point; ``point`` is its keyed digest, so that no usage point id
        is written in the job's arguments, which the job engine logs."""
        async with self.pool.acquire() as conn:
            points = await progress.points_of(conn, account_id)
        for usage_point_id in points:
            if hmac.compare_digest(self.keyring.point_digest(account_id, usage_point_id), point):
                await self.importer.run(account_id, usage_point_id)
                return
        async with self.pool.acquire() as conn:
            left = await progress.unfinished(conn, account_id)
        if not left:
            await self.keys.drop(account_id)
        log.info("history import of a point no longer held", extra={"account": account_id})

    @property
    def enabled(self) -> bool:
        return self.settings.import_enabled and self.settings.import_max_hourly_share > 0

    async def hold_key(self, principal: Principal, ttl: int) -> None:
        """The account starts a consent: keep its key for the consent's callback."""
        if self.enabled:
            await self.keys.hold(principal.account_id, principal.cache_key, ttl)

    async def schedule(self, account_id: str, usage_point_ids: Iterable[str]) -> None:
        """A consent (new or renewed) recorded these points: import their history. A
        failure here is logged, never the consent's: the points are recorded already."""
        if not self.enabled:
            return
        points = list(usage_point_ids)
        try:
            async with self.pool.acquire() as conn:
                for usage_point_id in points:
                    await progress.schedule(conn, account_id, usage_point_id)
            if not await self.keys.keep(account_id, self.settings.import_key_ttl):
                await self.keys.want(account_id, self.settings.import_key_ttl)
            for usage_point_id in points:
                await self._defer(account_id, usage_point_id)
        except (*DB_ERRORS, asyncpg.PostgresError, psycopg.Error):
            log.warning("could not schedule a history import", extra={"account": account_id})

    async def history(self, account_id: str) -> dict[str, History]:
        """The imports of the account's points (by usage point id); 503 when the database
        cannot be reached."""
        try:
            async with self.pool.acquire() as conn:
                return await progress.of_account(conn, account_id)
        except DB_ERRORS:
            raise database_unavailable() from None

    async def _defer(self, account_id: str, usage_point_id: str) -> None:
        point = self.keyring.point_digest(account_id, usage_point_id)
        name = f"{account_id}:{point}"
        with contextlib.suppress(AlreadyEnqueued):
            await self.task.configure(lock=name, queueing_lock=name).defer_async(
                account_id=account_id, point=point
            )

    async def arm(self, principal: Principal) -> None:
        """An authenticated request: if an import of the account waits for its key, give it
        the key and resume it (looked at most every ``ARM_EVERY_SECONDS`` per replica)."""
        if not self.enabled:
            return
        now = time.monotonic()
        account_id = principal.account_id
        if now - self._armed.get(account_id, float("-inf")) < ARM_EVERY_SECONDS:
            return
        if len(self._armed) > 10_000:
            self._armed.clear()
        self._armed[account_id] = now
        if not await self.keys.arm(account_id, principal.cache_key, self.settings.import_key_ttl):
            return
        async with self.pool.acquire() as conn:
            points = await progress.waiting_for_key(conn, account_id)
        for usage_point_id in points:
            await self._defer(account_id, usage_point_id)

    async def _watch_stalled(self) -> None:
        """Put back in the queue the imports of replicas that stopped sending heartbeats."""
        stalled = self.settings.import_stalled
        while True:
            await asyncio.sleep(stalled / 2)
            try:
                manager = self.engine.job_manager
                for job in await manager.get_stalled_jobs(
                    queue=QUEUE, seconds_since_heartbeat=stalled
                ):
                    log.info("history import taken over from a silent replica")
                    await manager.retry_job(job)
            except Exception:  # the database is away for a moment: next time
                log.warning("could not look for stalled history imports", exc_info=True)

    async def run_worker(self) -> None:
        stalled = self.settings.import_stalled
        await self.engine.run_worker_async(
            queues=[QUEUE],
            concurrency=self.settings.import_workers,
            install_signal_handlers=False,
            wait=True,
            delete_jobs="successful",
            update_heartbeat_interval=max(0.5, stalled / 3),
            stalled_worker_timeout=stalled,
            shutdown_graceful_timeout=HAND_BACK_SECONDS,
        )


async def imports_context(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: the job engine and this replica's worker, started and stopped with it."""
    jobs = ImportJobs(app)
    app[state.IMPORTS] = jobs
    if not jobs.enabled:
        yield
        return
    await jobs.engine.open_async()
    loop = asyncio.get_running_loop()
    tasks = [loop.create_task(jobs.run_worker()), loop.create_task(jobs._watch_stalled())]
    yield
    jobs.importer.stopping.set()  # running imports end their step and go back to the queue
    for task in tasks:
        task.cancel()
    _, late = await asyncio.wait(tasks, timeout=STOP_SECONDS)
    if late:
        log.warning("the job engine did not stop within %.0f s: stopping it short", STOP_SECONDS)
        for task in late:
            task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
    await jobs.engine.close_async()
