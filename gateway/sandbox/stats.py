"""Counters of what the sandbox received, served at ``GET /__sandbox/stats``.

Fields: ``calls`` (per endpoint or operation name, both generations), ``total_calls`` and
``max_calls_per_second`` (all data calls), ``rate_limited``, ``errors_injected``,
``timeouts_injected``, and per upstream API (``catalogue.Api``, key = its value, ``v5`` for
the whole of v5): ``calls_by_api``, ``max_calls_per_second_by_api``,
``rate_limited_by_api``; ``calls_by_generation`` (``{"v5": n, "2026": n}``).
"""

from __future__ import annotations

from collections import Counter, deque
from typing import Any

from gateway.enedis.catalogue import (
    CONTRACT_APIS,
    ENDPOINTS,
    MEASURE_OPERATIONS,
    Api,
    Generation,
)

__all__ = ["SUBSCRIBED_SERVICES", "Stats"]

#: The stats name of ``POST /subscribed_services/v1``.
SUBSCRIBED_SERVICES = "subscribed_services"

_DATA_CALLS = (
    [e.name for e in ENDPOINTS]
    + [op.name for op in MEASURE_OPERATIONS]
    + [c.name for c in CONTRACT_APIS]
    + [SUBSCRIBED_SERVICES]
)
_OTHER_CALLS = ("token", "revoke", "authorize", "authorize_v2")


class _BusiestSecond:
    """The largest number of events seen within one sliding second."""

    def __init__(self) -> None:
        self.maximum = 0
        self._recent: deque[float] = deque()

    def add(self, now: float) -> None:
        recent = self._recent
        recent.append(now)
        while recent[0] <= now - 1.0:
            recent.popleft()
        self.maximum = max(self.maximum, len(recent))


class Stats:
    """Calls per endpoint and per API, and the busiest sliding second of data calls RECEIVED.

    Only the last second of timestamps is kept per API (plus the running maxima).
    """

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Zero everything."""
        self.calls: Counter[str] = Counter()
        self.total_calls = 0
        self.rate_limited = 0
        self.errors_injected = 0
        self.timeouts_injected = 0
        self.calls_by_api: Counter[Api] = Counter()
        self.rate_limited_by_api: Counter[Api] = Counter()
        self._busiest = _BusiestSecond()
        self._busiest_by_api = {api: _BusiestSecond() for api in Api}

    @property
    def max_calls_per_second(self) -> int:
        """The busiest sliding second of all data calls."""
        return self._busiest.maximum

    def data_call(self, endpoint: str, now: float, api: Api = Api.V5) -> None:
        """Count a data call to ``api`` received at ``now`` (monotonic), whatever its answer."""
        self.calls[endpoint] += 1
        self.total_calls += 1
        self.calls_by_api[api] += 1
        self._busiest.add(now)
        self._busiest_by_api[api].add(now)

    def refused(self, api: Api) -> None:
        """Count a call to ``api`` answered 429."""
        self.rate_limited += 1
        self.rate_limited_by_api[api] += 1

    def other_call(self, name: str) -> None:
        """Count a token, revoke or authorize call."""
        self.calls[name] += 1

    def as_dict(self) -> dict[str, Any]:
        """The JSON document of ``/__sandbox/stats``."""
        by_generation = Counter[str]()
        for api, n in self.calls_by_api.items():
            by_generation[api.generation.value] += n
        return {
            "calls": {name: self.calls[name] for name in [*_DATA_CALLS, *_OTHER_CALLS]},
            "total_calls": self.total_calls,
            "max_calls_per_second": self.max_calls_per_second,
            "rate_limited": self.rate_limited,
            "errors_injected": self.errors_injected,
            "timeouts_injected": self.timeouts_injected,
            "calls_by_generation": {g.value: by_generation[g.value] for g in Generation},
            "calls_by_api": {api.value: self.calls_by_api[api] for api in Api},
            "max_calls_per_second_by_api": {
                api.value: self._busiest_by_api[api].maximum for api in Api
            },
            "rate_limited_by_api": {api.value: self.rate_limited_by_api[api] for api in Api},
        }
