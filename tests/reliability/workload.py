"""A concurrent workload over every surface, with each answer recorded by phase.

``Load`` runs ``workers`` tasks that send the requests of ``Load.next_request`` until
stopped; the test moves ``phase`` along ("before", "outage", "after"...) while it breaks
and repairs services, and reads the answers afterwards.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from gateway.enedis.catalogue import BY_NAME
from gateway.enedis.rules import paris_today
from tests.support.journey import Account

DAILY = BY_NAME["daily_consumption"]
CURVE = BY_NAME["consumption_load_curve"]
CONTRACTS = BY_NAME["contracts"]


@dataclass(frozen=True)
class Call:
    """One request of the workload and the statuses it may get."""

    kind: str
    method: str
    path: str
    allowed: frozenset[int]
    kwargs: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)


@dataclass
class Answer:
    call: Call
    phase: str
    status: int  # 0: no answer (connection error or client timeout)
    seconds: float
    cache: str | None = None
    error: str = ""


def day_range(offset: int, days: int = 1) -> tuple[str, str]:
    """``days`` days ending ``offset`` days before today (Paris)."""
    end = paris_today() - timedelta(days=offset)
    return (end - timedelta(days=days)).isoformat(), end.isoformat()


def consent_start(account: Account) -> Call:
    """``GET /oauth/authorize`` (as JSON): it needs Redis, for the one-time OAuth state."""
    return Call(
        "management.authorize",
        "GET",
        "/oauth/authorize",
        frozenset({200}),
        {"headers": {**account.bearer, "Accept": "application/json"}},
    )


def mixed_with(call: Call, every: int = 8) -> Callable[[Load], Call]:
    """``Load.mixed``, with ``call`` as every ``every``-th request."""
    turn = itertools.count()

    def calls(load: Load) -> Call:
        return call if next(turn) % every == every - 1 else load.mixed()

    return calls


class Load:
    def __init__(
        self,
        client: Any,
        accounts: list[Account],
        *,
        workers: int = 4,
        request_timeout: float = 60.0,
        calls: Callable[[Load], Call] | None = None,
    ) -> None:
        self.client = client
        self.accounts = accounts
        self.workers = workers
        self.request_timeout = request_timeout
        self.phase = "before"
        self.answers: list[Answer] = []
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._sequence = itertools.count()
        self._fresh_days = itertools.count(3)
        self._calls = calls or Load.mixed
        self.in_flight: Counter[str] = Counter()

    # -- the requests ------------------------------------------------------------------------

    def mixed(self) -> Call:
        """Every surface: cached and uncached data (v5 and legacy), token, management."""
        number = next(self._sequence)
        account = self.accounts[number % len(self.accounts)]
        point = account.usage_points[0]
        bearer = account.bearer
        cached_start, cached_end = day_range(400, 30)
        kinds: list[Call] = [
            Call(
                "v5.cached",
                "GET",
                DAILY.path,
                frozenset({200}),
                {
                    "params": {"usage_point_id": point, "start": cached_start, "end": cached_end},
                    "headers": bearer,
                },
            ),
            Call(
                "v5.uncached",
                "GET",
                DAILY.path,
                frozenset({200}),
                {
                    "params": dict(
                        zip(
                            ("start", "end"),
                            day_range(next(self._fresh_days)),
                            strict=True,
                        ),
                        usage_point_id=point,
                    ),
                    "headers": bearer,
                },
            ),
            Call(
                "legacy.cached",
                "GET",
                f"/contracts/{point}/cache",
                frozenset({200}),
                {"headers": {"Authorization": account.client_secret}},
            ),
            Call(
                "legacy.valid_access",
                "GET",
                f"/valid_access/{point}",
                frozenset({200}),
                {"headers": bearer},
            ),
            Call("management.me", "GET", "/accounts/me", frozenset({200}), {"headers": bearer}),
            Call("management.pdl", "GET", "/pdl", frozenset({200}), {"auth": account.basic}),
            Call(
                "v5.token",
                "POST",
                "/oauth2/v3/token",
                frozenset({200}),
                {
                    "data": {
                        "grant_type": "client_credentials",
                        "client_id": account.client_id,
                        "client_secret": account.client_secret,
                    }
                },
            ),
        ]
        return kinds[number % len(kinds)]

    # -- running -----------------------------------------------------------------------------

    async def _send(self, call: Call) -> Answer:
        phase = self.phase
        self.in_flight[phase] += 1
        try:
            return await self._timed(call, phase)
        finally:
            self.in_flight[phase] -= 1

    async def _timed(self, call: Call, phase: str) -> Answer:
        started = time.monotonic()
        try:
            async with asyncio.timeout(self.request_timeout):
                answer = await self.client.request(call.method, call.path, **call.kwargs)
                await answer.read()
        except Exception as error:
            return Answer(call, phase, 0, time.monotonic() - started, error=repr(error))
        return Answer(
            call,
            phase,
            answer.status,
            time.monotonic() - started,
            answer.headers.get("X-Cache-Status"),
            "" if answer.status < 500 else await answer.text(),
        )

    async def _worker(self) -> None:
        while not self._stop.is_set():
            self.answers.append(await self._send(self._calls(self)))

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._worker()) for _ in range(self.workers)]

    async def stop(self) -> None:
        self._stop.set()
        await asyncio.gather(*self._tasks)

    async def run_phase(self, phase: str, answers: int, timeout: float = 30.0) -> None:
        """Switch to ``phase`` and wait until it has collected ``answers`` answers."""
        self.phase = phase
        deadline = time.monotonic() + timeout
        while self.count(phase) < answers:
            assert time.monotonic() < deadline, f"phase {phase}: {self.count(phase)} answers"
            await asyncio.sleep(0.02)

    async def switch(self, phase: str, timeout: float = 30.0) -> None:
        """Send the next requests as ``phase`` once every request of the current phase
        has its answer (so that a fault injected next cannot hit them)."""
        previous, self.phase = self.phase, phase
        deadline = time.monotonic() + timeout
        while self.in_flight[previous] > 0:
            assert time.monotonic() < deadline, f"requests of {previous} still in flight"
            await asyncio.sleep(0.01)

    # -- reading the answers -----------------------------------------------------------------

    def count(self, phase: str) -> int:
        return sum(1 for answer in self.answers if answer.phase == phase)

    def unexpected(self, allowed: dict[tuple[str, str], frozenset[int]] | None = None) -> list[str]:
        """Answers whose status is not allowed (by call, or by ``allowed[(phase, kind)]``)."""
        allowed = allowed or {}
        return [
            f"{a.phase} {a.call.kind} {a.call.method} {a.call.path}: {a.status} {a.error[:300]}"
            for a in self.answers
            if a.status not in allowed.get((a.phase, a.call.kind), a.call.allowed)
        ]

    def table(self) -> dict[str, Counter[str]]:
        """``phase -> Counter("kind status")``, for failure messages and the report."""
        table: dict[str, Counter[str]] = {}
        for answer in self.answers:
            table.setdefault(answer.phase, Counter())[f"{answer.call.kind} {answer.status}"] += 1
        return table
