"""The sandbox's mutable state, one object per application (``STATE`` app key)."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import web

from gateway.enedis.catalogue import Api
from gateway.sandbox.consents import ConsentBook
from gateway.sandbox.quotas import ApiQuotas
from gateway.sandbox.settings import FaultSettings, SandboxSettings
from gateway.sandbox.stats import Stats
from gateway.sandbox.tokens import TokenStore

__all__ = ["STATE", "SandboxState"]


@dataclass
class SandboxState:
    """Settings, current faults, tokens, consents, quota windows and stats of one sandbox.

    ``reset`` keeps tokens and consents (the state of the world), clears the counters.
    """

    settings: SandboxSettings
    clock: Callable[[], float]
    faults: FaultSettings = field(init=False)
    tokens: TokenStore = field(init=False)
    quotas: ApiQuotas = field(init=False)
    consents: ConsentBook = field(init=False)
    stats: Stats = field(init=False)
    rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self.tokens = TokenStore(self.clock)
        self.rng = random.Random()
        self.forget_consents()
        self.reset()

    def forget_consents(self) -> None:
        """Back to the table's consents: no share, no run-time revocation, no generated name."""
        settings = self.settings
        self.consents = ConsentBook(
            f"{settings.client_id}:{settings.client_secret}".encode(),
            self.clock,
            settings.subscription_delay_seconds,
        )

    def reset(self) -> None:
        """Zero stats and quota windows, restore the start faults (tokens are kept)."""
        self.faults = self.settings.faults
        s = self.settings
        v2026 = (s.rate_per_second_2026, s.rate_per_hour_2026)
        self.quotas = ApiQuotas(
            {api: (s.rate_per_second, s.rate_per_hour) if api is Api.V5 else v2026 for api in Api}
        )
        self.stats = Stats()


STATE: web.AppKey[SandboxState] = web.AppKey("sandbox_state", SandboxState)
