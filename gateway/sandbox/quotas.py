"""Enedis' application quotas: Q3 (calls per second) and Q4 (calls per hour).

Sliding windows over ACCEPTED data calls of all clients; a call answered 429 is not
counted. Each window keeps at most ``limit`` timestamps, so memory stays bounded.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

from gateway.enedis import upstream_errors as errors
from gateway.enedis.rules import EnedisError

__all__ = ["QuotaExceeded", "Quotas", "SlidingWindow", "format_period"]


def format_period(seconds: int) -> str:
    """``H:MM:SS`` as in Enedis' "Call threshold allowed on 0:00:01"."""
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


class SlidingWindow:
    """At most ``limit`` events in any sliding window of ``period`` seconds."""

    def __init__(self, limit: int, period: float) -> None:
        self.limit = limit
        self.period = period
        self._events: deque[float] = deque(maxlen=limit)

    def wait_time(self, now: float) -> float:
        """Seconds before one more event fits (0 when it fits now)."""
        while self._events and self._events[0] <= now - self.period:
            self._events.popleft()
        if len(self._events) < self.limit:
            return 0.0
        return self._events[0] + self.period - now

    def add(self, now: float) -> None:
        """Record an event (call ``wait_time`` first)."""
        self._events.append(now)

    def clear(self) -> None:
        """Forget every event."""
        self._events.clear()


@dataclass(frozen=True, slots=True)
class QuotaExceeded:
    """A 429 answer: the Enedis error and the ``Retry-After`` seconds."""

    error: EnedisError
    retry_after: int


class Quotas:
    """Q3 and Q4 of the one sandbox application."""

    def __init__(self, per_second: int, per_hour: int) -> None:
        self._windows = (
            (SlidingWindow(per_second, 1.0), errors.QUOTA_Q3, 1),
            (SlidingWindow(per_hour, 3600.0), errors.QUOTA_Q4, 3600),
        )

    def acquire(self, now: float) -> QuotaExceeded | None:
        """Count one call at ``now``, or say which quota refuses it (then nothing is counted)."""
        for window, entry, period in self._windows:
            wait = window.wait_time(now)
            if wait > 0:
                description = f"Call threshold allowed on {format_period(period)}"
                error = EnedisError.from_catalogue(entry, description)
                return QuotaExceeded(error, max(1, math.ceil(wait)))
        for window, _, _ in self._windows:
            window.add(now)
        return None

    def reset(self) -> None:
        """Empty both windows."""
        for window, _, _ in self._windows:
            window.clear()
