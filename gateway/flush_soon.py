"""Work kept for a batch and done soon: at most ``delay`` later on the running event loop,
at once where no loop runs (a script, a test without one). The access lines
(``gateway.logs``) and the request metrics (``gateway.observability.metrics``) use it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable


class FlushSoon:
    """Runs ``flush`` once per ``delay`` at most, when something asks for it."""

    def __init__(self, delay: float, flush: Callable[[], None]) -> None:
        self.delay = delay
        self._flush = flush
        self._loop: asyncio.AbstractEventLoop | None = None  # where a run is scheduled

    def request(self) -> None:
        """Have ``flush`` run soon (nothing more when a run is already scheduled)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._flush()
            return
        if self._loop is not loop:  # none scheduled, or on a loop that has ended
            self._loop = loop
            loop.call_later(self.delay, self._run)

    def _run(self) -> None:
        self._loop = None
        self._flush()
