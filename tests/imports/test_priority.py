"""The import's place in the upstream budget: behind every interactive call of the replica,
and within its share of the hourly budget (the real Valkey)."""

from __future__ import annotations

import asyncio

from gateway.config import Settings
from gateway.enedis.catalogue import Api
from gateway.enedis.limiter import Limiter
from gateway.imports.budget import ImportShare
from gateway.shared_store import SharedStore


async def test_background_waiters_are_served_after_every_interactive_one(
    settings: Settings,
) -> None:
    store = SharedStore.from_settings(settings)
    limiter = Limiter(store, rate=20, hourly=1_000_000, max_wait=10, api="priority-test")
    order: list[str] = []

    async def take(name: str, background: bool) -> None:
        await limiter.acquire(name, background=background)
        order.append(name)

    try:
        # the background callers queue first; interactive ones of two accounts come after
        tasks = [asyncio.create_task(take(f"import-{i}", True)) for i in range(3)]
        await asyncio.sleep(0)
        tasks += [asyncio.create_task(take(f"user-{i}", False)) for i in range(4)]
        await asyncio.gather(*tasks)
    finally:
        await limiter.close()
        await store.close()
    # the dispatcher may have started the first background caller before any other came
    interactive_done = max(order.index(f"user-{i}") for i in range(4))
    later = [name for name in order[interactive_done:] if name.startswith("import-")]
    assert len(later) >= 2, order


async def test_the_import_share_caps_the_hourly_calls(settings: Settings) -> None:
    store = SharedStore.from_settings(settings)
    share = ImportShare(store, hourly=10, share=0.3, replicas=1)  # 3 calls an hour
    try:
        waits = [await share.wait_ms(Api.MESURE) for _ in range(4)]
    finally:
        await store.close()
    assert all(wait < 1000 for wait in waits[:3]), waits
    assert waits[3] > 60_000  # the fourth waits for the hour to free a call
