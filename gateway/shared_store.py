"""The Redis/Valkey connection shared by every replica, and whether it is reachable.

Redis only holds what can be lost (cache, counters, limiter state, the Enedis token):
when it fails, callers skip it for a short while instead of waiting on every request,
and it is tried again by itself.
"""

from __future__ import annotations

import logging
import time

import redis.asyncio as aioredis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

REDIS_ERRORS: tuple[type[BaseException], ...] = (RedisError, OSError, TimeoutError)


class SharedStore:
    """A Redis client plus a small breaker: after a failure, skip Redis for ``backoff`` s."""

    def __init__(self, url: str, *, backoff: float = 1.0, timeout: float = 1.0) -> None:
        self.client: aioredis.Redis = aioredis.Redis.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=min(timeout, 0.5),
            retry_on_timeout=False,
            health_check_interval=0,
            max_connections=256,
        )
        self.backoff = backoff
        self._down_until = 0.0
        self.failures = 0

    @property
    def available(self) -> bool:
        return time.monotonic() >= self._down_until

    def mark_down(self, exc: BaseException) -> None:
        if self.available:
            log.warning(
                "redis unreachable, running without it for %.1fs: %s",
                self.backoff,
                type(exc).__name__,
            )
        self.failures += 1
        self._down_until = time.monotonic() + self.backoff

    def mark_up(self) -> None:
        self._down_until = 0.0

    async def ping(self) -> bool:
        try:
            await self.client.ping()
        except REDIS_ERRORS as exc:
            self.mark_down(exc)
            return False
        self.mark_up()
        return True

    async def close(self) -> None:
        await self.client.aclose()


async def delete_account_keys(store: SharedStore, account_id: str) -> int:
    """Delete every Redis key of an account (cache, counters, snapshots)."""
    from gateway import redis_keys

    deleted = 0
    batch: list[bytes] = []
    async for key in store.client.scan_iter(
        match=redis_keys.account_pattern(account_id), count=1000
    ):
        batch.append(key)
        if len(batch) >= 500:
            deleted += await store.client.unlink(*batch)
            batch.clear()
    if batch:
        deleted += await store.client.unlink(*batch)
    return deleted
