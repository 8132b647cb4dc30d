"""Circuit breaker of the upstream: after N consecutive failures no call is made for a
cool-down, then a single probe decides whether to close again."""

from __future__ import annotations

import enum
import logging
import time

log = logging.getLogger(__name__)


class BreakerState(enum.Enum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    def __init__(self, threshold: int, cooldown: float) -> None:
        self.threshold = threshold
        self.cooldown = cooldown
        self.failures = 0
        self._opened_at = 0.0
        self._probing = False
        self._open = False

    @property
    def state(self) -> str:
        return self.current().value

    def current(self) -> BreakerState:
        if not self._open:
            return BreakerState.CLOSED
        if time.monotonic() - self._opened_at >= self.cooldown:
            return BreakerState.HALF_OPEN
        return BreakerState.OPEN

    def retry_after(self) -> float:
        return max(0.0, self.cooldown - (time.monotonic() - self._opened_at))

    def allow(self) -> bool:
        """May a call go upstream now? In half-open state, only one probe at a time."""
        state = self.current()
        if state is BreakerState.CLOSED:
            return True
        if state is BreakerState.HALF_OPEN and not self._probing:
            self._probing = True
            return True
        return False

    def success(self) -> None:
        if self._open:
            log.info("upstream recovered: circuit closed")
        self.failures = 0
        self._open = False
        self._probing = False

    def failure(self) -> None:
        self.failures += 1
        if self._probing or (not self._open and self.failures >= self.threshold):
            if not self._open or self._probing:
                log.warning("upstream failing: circuit open for %.1fs", self.cooldown)
            self._open = True
            self._opened_at = time.monotonic()
        self._probing = False

    def release_probe(self) -> None:
        """A probe ended without a verdict (e.g. cancelled): let another one try."""
        self._probing = False
