"""Waiting for a condition in tests: poll with a deadline, never a bare sleep."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable


async def poll(
    predicate: Callable[[], bool | Awaitable[bool]], timeout: float = 20.0, interval: float = 0.02
) -> None:
    """Call ``predicate()`` (sync or async) until it is true; fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        outcome = predicate()
        if inspect.isawaitable(outcome):
            outcome = await outcome
        if outcome:
            return
        assert time.monotonic() < deadline, f"condition not met within {timeout}s"
        await asyncio.sleep(interval)
