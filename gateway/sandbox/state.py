"""The sandbox's mutable state, one object per application (``STATE`` app key)."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import web

from gateway.sandbox.quotas import Quotas
from gateway.sandbox.settings import FaultSettings, SandboxSettings
from gateway.sandbox.stats import Stats
from gateway.sandbox.tokens import TokenStore

__all__ = ["STATE", "SandboxState"]


@dataclass
class SandboxState:
    """Settings, current faults, tokens, quota windows and stats of one sandbox."""

    settings: SandboxSettings
    clock: Callable[[], float]
    faults: FaultSettings = field(init=False)
    tokens: TokenStore = field(init=False)
    quotas: Quotas = field(init=False)
    stats: Stats = field(init=False)
    rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self.tokens = TokenStore(self.clock)
        self.rng = random.Random()
        self.reset()

    def reset(self) -> None:
        """Zero stats and quota windows, restore the start faults (tokens are kept)."""
        self.faults = self.settings.faults
        self.quotas = Quotas(self.settings.rate_per_second, self.settings.rate_per_hour)
        self.stats = Stats()


STATE: web.AppKey[SandboxState] = web.AppKey("sandbox_state", SandboxState)
