"""Enedis' application quotas: calls per sliding second and per sliding hour, per API.

v5 has one budget for all its APIs (Q3: 5 per second, Q4: 10 000 per hour, 429 bodies in
the v5 form); Data Connect 2026 gives each API its own budget (5 per second, 1000 per
hour, 429 ``{"code": "429", "message": "SLA dépassé"}``). Sliding windows over ACCEPTED
calls of all clients; a call answered 429 is not counted. Each window keeps at most
``limit`` timestamps, so memory stays bounded.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass

from gateway.enedis import upstream_errors as errors
from gateway.enedis import upstream_errors_2026 as errors_2026
from gateway.enedis.catalogue import Api
from gateway.enedis.rules import EnedisError
from gateway.enedis.upstream_errors_2026 import Error2026Answer

__all__ = ["ApiQuotas", "QuotaExceeded", "Quotas", "SlidingWindow", "format_period"]


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

    error: EnedisError | Error2026Answer
    retry_after: int


class Quotas:
    """Calls per second and per hour of one budget (v5 answers by default, or 2026's)."""

    def __init__(self, per_second: int, per_hour: int, *, v2026: bool = False) -> None:
        self._v2026 = v2026
        self._windows = (
            (SlidingWindow(per_second, 1.0), errors.QUOTA_Q3, 1),
            (SlidingWindow(per_hour, 3600.0), errors.QUOTA_Q4, 3600),
        )

    def acquire(self, now: float) -> QuotaExceeded | None:
        """Count one call at ``now``, or say which quota refuses it (then nothing is counted)."""
        for window, entry, period in self._windows:
            wait = window.wait_time(now)
            if wait > 0:
                if self._v2026:
                    answer = Error2026Answer(errors_2026.QUOTA)
                    return QuotaExceeded(answer, max(1, math.ceil(wait)))
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


class ApiQuotas:
    """One ``Quotas`` per ``Api``: v5 as a whole, and each 2026 API on its own."""

    def __init__(self, budgets: Mapping[Api, tuple[int, int]]) -> None:
        self._quotas = {
            api: Quotas(per_second, per_hour, v2026=api is not Api.V5)
            for api, (per_second, per_hour) in budgets.items()
        }

    def acquire(self, api: Api, now: float) -> QuotaExceeded | None:
        """Count one call to ``api`` at ``now``, or say which of its quotas refuses it."""
        return self._quotas[api].acquire(now)
