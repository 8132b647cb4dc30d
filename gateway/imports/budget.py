"""The import's share of each API's hourly budget (``IMPORT_MAX_HOURLY_SHARE``).

Before its turn at the API's limiter (where it waits behind every interactive request),
an import call takes a slot of a second GCRA, the limiter's own reservation script on keys
of the same slot (``{limiter:<api>}:is``/``:ih``), whose hourly budget is the share: the
imports of every replica together never take more than that part of an hour's calls, and
the rest stays for interactive requests. Without Redis each replica keeps its share of it.
"""

from __future__ import annotations

import asyncio

from gateway import redis_keys
from gateway.enedis.catalogue import Api
from gateway.enedis.limiter import _RESERVE, LocalGcra
from gateway.shared_store import REDIS_ERRORS, SharedStore

#: The longest wait asked of the share's GCRA (an hour: the share is hourly).
MAX_WAIT_MS = 3_600_000


class ImportShare:
    def __init__(self, store: SharedStore, *, hourly: int, share: float, replicas: int) -> None:
        self.store = store
        self.allowed = max(1, int(hourly * share))
        self.hour_interval_ms = 3_600_000.0 / self.allowed
        self.hour_tolerance_ms = 3_600_000.0 - self.hour_interval_ms
        self._script = store.client.register_script(_RESERVE)
        spread = max(1, replicas)
        self._local = LocalGcra(
            1.0,
            self.hour_interval_ms * spread,
            max(0.0, 3_600_000.0 - self.hour_interval_ms * spread),
        )

    async def wait_ms(self, api: Api) -> float:
        """Reserve one call of ``api``'s import share; answers how long to wait for it."""
        tag = redis_keys.limiter_key(api.value)
        if self.store.available:
            try:
                _, wait = await self._script(
                    keys=[f"{tag}:is", f"{tag}:ih"],
                    args=[
                        1,  # a 1 ms window of 1 call: no per-second rule of its own
                        1,
                        int(self.hour_interval_ms),
                        int(self.hour_tolerance_ms),
                        MAX_WAIT_MS,
                    ],
                )
                return float(wait)
            except REDIS_ERRORS as exc:
                self.store.mark_down(exc)
        _, wait_local = self._local.reserve(MAX_WAIT_MS)
        return wait_local

    async def take(self, api: Api, stopping: asyncio.Event) -> bool:
        """Wait for a call of the share; False when ``stopping`` was set meanwhile."""
        wait = await self.wait_ms(api)
        if wait <= 0:
            return not stopping.is_set()
        try:
            await asyncio.wait_for(stopping.wait(), wait / 1000)
        except TimeoutError:
            return True
        return False
