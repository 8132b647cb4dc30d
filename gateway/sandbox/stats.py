"""Counters of what the sandbox received, served at ``GET /__sandbox/stats``."""

from __future__ import annotations

from collections import Counter, deque
from typing import Any

from gateway.enedis.catalogue import ENDPOINTS

__all__ = ["Stats"]

_OTHER_CALLS = ("token", "revoke", "authorize")


class Stats:
    """Calls per endpoint, and the busiest sliding second of data calls RECEIVED.

    Only the last second of timestamps is kept (plus the running maximum).
    """

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Zero everything."""
        self.calls: Counter[str] = Counter()
        self.total_calls = 0
        self.max_calls_per_second = 0
        self.rate_limited = 0
        self.errors_injected = 0
        self.timeouts_injected = 0
        self._last_second: deque[float] = deque()

    def data_call(self, endpoint: str, now: float) -> None:
        """Count a data call received at ``now`` (monotonic seconds), whatever its answer."""
        self.calls[endpoint] += 1
        self.total_calls += 1
        recent = self._last_second
        recent.append(now)
        while recent[0] <= now - 1.0:
            recent.popleft()
        self.max_calls_per_second = max(self.max_calls_per_second, len(recent))

    def other_call(self, name: str) -> None:
        """Count a token, revoke or authorize call."""
        self.calls[name] += 1

    def as_dict(self) -> dict[str, Any]:
        """The JSON document of ``/__sandbox/stats``."""
        names = [e.name for e in ENDPOINTS] + list(_OTHER_CALLS)
        return {
            "calls": {name: self.calls[name] for name in names},
            "total_calls": self.total_calls,
            "max_calls_per_second": self.max_calls_per_second,
            "rate_limited": self.rate_limited,
            "errors_injected": self.errors_injected,
            "timeouts_injected": self.timeouts_injected,
        }
