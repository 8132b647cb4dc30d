"""Settings of the sandbox simulator, read once from the environment.

| variable | default | meaning |
|---|---|---|
| SANDBOX_HOST | 127.0.0.1 | listen address |
| SANDBOX_PORT | 8081 | listen port |
| SANDBOX_CLIENT_ID | sandbox-client-id | the one registered application |
| SANDBOX_CLIENT_SECRET | sandbox-client-secret | its secret |
| SANDBOX_TOKEN_TTL_SECONDS | 12600 | application token lifetime |
| SANDBOX_REDIRECT_URI | http://localhost:8080/oauth/callback | consent redirect target |
| SANDBOX_RATE_PER_SECOND | 5 | quota Q3 (data calls per sliding second) |
| SANDBOX_RATE_PER_HOUR | 10000 | quota Q4 (data calls per sliding hour) |
| SANDBOX_RATE_PER_SECOND_2026 | 5 | calls per sliding second, for EACH 2026 API |
| SANDBOX_RATE_PER_HOUR_2026 | 1000 | calls per sliding hour, for EACH 2026 API |
| SANDBOX_APIS | 2026,v5 | generations served (`2026`, `v5`); others answer 403 900908 |
| SANDBOX_UNSUBSCRIBED | (empty) | APIs not subscribed (`comptage_auto`, `v5`...): 403 900908 |
| SANDBOX_SUBSCRIPTION_DELAY_SECONDS | 1 | after a v2 consent, no service listed that long |
| SANDBOX_STRICT_SHARES | false | the consent page refuses to share a shared point again |
| SANDBOX_LATENCY_MS | 0 | added latency of data calls |
| SANDBOX_LATENCY_JITTER_MS | 0 | extra random latency, uniform in [0, jitter] |
| SANDBOX_ERROR_RATE | 0 | share (0..1) of data calls answered 500/503 |
| SANDBOX_TIMEOUT_RATE | 0 | share (0..1) of data calls that hang, then 504 |
| SANDBOX_TIMEOUT_SECONDS | 30 | how long such a call hangs |
| SANDBOX_OUTAGE | false | every data and token call answers 503 |
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from gateway.enedis.catalogue import Api, Generation

__all__ = ["FaultSettings", "SandboxSettings"]

_T = TypeVar("_T")

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})


def _env_int(name: str, raw: str, low: int, high: int | None = None) -> int:
    bound = f"between {low} and {high}" if high is not None else f">= {low}"
    try:
        value = int(raw.strip())
    except ValueError:
        raise ValueError(f"{name}: must be an integer {bound}") from None
    if value < low or (high is not None and value > high):
        raise ValueError(f"{name}: must be an integer {bound}")
    return value


def _env_float(name: str, raw: str, low: float, high: float | None = None) -> float:
    bound = f"between {low:g} and {high:g}" if high is not None else f">= {low:g}"
    try:
        value = float(raw.strip())
    except ValueError:
        raise ValueError(f"{name}: must be a number {bound}") from None
    if not math.isfinite(value) or value < low or (high is not None and value > high):
        raise ValueError(f"{name}: must be a number {bound}")
    return value


def _env_bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{name}: must be a boolean (true/false, 1/0, yes/no, on/off)")


def _env_generations(name: str, raw: str) -> frozenset[Generation]:
    known = {g.value: g for g in Generation}
    items = [item.strip() for item in raw.split(",") if item.strip()]
    if not items or any(item not in known for item in items):
        raise ValueError(f"{name}: must be a comma list of {', '.join(known)}")
    return frozenset(known[item] for item in items)


def _env_apis(name: str, raw: str) -> frozenset[Api]:
    known = {a.value: a for a in Api}
    items = [item.strip() for item in raw.split(",") if item.strip()]
    unknown = [item for item in items if item not in known]
    if unknown:
        raise ValueError(f"{name}: unknown API(s) {', '.join(unknown)}; known: {', '.join(known)}")
    return frozenset(known[item] for item in items)


def _env_str(name: str, raw: str) -> str:
    if not raw.strip():
        raise ValueError(f"{name}: must not be empty")
    return raw.strip()


@dataclass(frozen=True, slots=True)
class FaultSettings:
    """Faults injected into data calls (``outage`` also hits the token endpoint)."""

    latency_ms: int = 0
    latency_jitter_ms: int = 0
    error_rate: float = 0.0
    timeout_rate: float = 0.0
    timeout_seconds: float = 30.0
    outage: bool = False

    def as_dict(self) -> dict[str, Any]:
        """JSON form, as answered by ``/__sandbox/faults``."""
        return {
            "latency_ms": self.latency_ms,
            "latency_jitter_ms": self.latency_jitter_ms,
            "error_rate": self.error_rate,
            "timeout_rate": self.timeout_rate,
            "timeout_seconds": self.timeout_seconds,
            "outage": self.outage,
        }

    def updated(self, changes: Mapping[str, object]) -> FaultSettings:
        """Return a copy with the JSON ``changes`` applied; ``ValueError`` on bad input."""
        unknown = sorted(set(changes) - set(self.as_dict()))
        if unknown:
            raise ValueError(f"unknown fault setting(s): {', '.join(unknown)}")
        values: dict[str, Any] = {}
        for name, raw in changes.items():
            if name == "outage":
                if not isinstance(raw, bool):
                    raise ValueError("outage: must be a boolean")
                values[name] = raw
            elif name in ("latency_ms", "latency_jitter_ms"):
                if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
                    raise ValueError(f"{name}: must be an integer >= 0")
                values[name] = raw
            else:
                ok = isinstance(raw, int | float) and not isinstance(raw, bool)
                number = float(raw) if ok else math.nan  # type: ignore[arg-type]
                high = math.inf if name == "timeout_seconds" else 1.0
                if not (math.isfinite(number) and 0.0 <= number <= high):
                    bound = ">= 0" if name == "timeout_seconds" else "between 0 and 1"
                    raise ValueError(f"{name}: must be a number {bound}")
                values[name] = number
        return replace(self, **values)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> FaultSettings:
        """Read the ``SANDBOX_*`` fault variables; ``ValueError`` names a bad one."""
        d = cls()
        return cls(
            latency_ms=_read(env, "SANDBOX_LATENCY_MS", d.latency_ms, _env_int, 0),
            latency_jitter_ms=_read(
                env, "SANDBOX_LATENCY_JITTER_MS", d.latency_jitter_ms, _env_int, 0
            ),
            error_rate=_read(env, "SANDBOX_ERROR_RATE", d.error_rate, _env_float, 0.0, 1.0),
            timeout_rate=_read(env, "SANDBOX_TIMEOUT_RATE", d.timeout_rate, _env_float, 0.0, 1.0),
            timeout_seconds=_read(
                env, "SANDBOX_TIMEOUT_SECONDS", d.timeout_seconds, _env_float, 0.0
            ),
            outage=_read(env, "SANDBOX_OUTAGE", d.outage, _env_bool),
        )


def _read(
    env: Mapping[str, str], name: str, default: _T, parse: Callable[..., _T], *bounds: Any
) -> _T:
    raw = env.get(name)
    if raw is None:
        return default
    return parse(name, raw, *bounds)


@dataclass(frozen=True, slots=True)
class SandboxSettings:
    """Everything the sandbox simulator needs; ``from_env`` reads ``SANDBOX_*``."""

    host: str = "127.0.0.1"
    port: int = 8081
    client_id: str = "sandbox-client-id"
    client_secret: str = "sandbox-client-secret"
    token_ttl_seconds: int = 12600
    redirect_uri: str = "http://localhost:8080/oauth/callback"
    rate_per_second: int = 5
    rate_per_hour: int = 10000
    rate_per_second_2026: int = 5
    rate_per_hour_2026: int = 1000
    apis: frozenset[Generation] = frozenset(Generation)
    unsubscribed: frozenset[Api] = frozenset()
    subscription_delay_seconds: float = 1.0
    strict_shares: bool = False
    faults: FaultSettings = field(default_factory=FaultSettings)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SandboxSettings:
        """Read the ``SANDBOX_*`` variables; a bad value raises ``ValueError`` naming it."""
        d = cls()
        return cls(
            host=_read(env, "SANDBOX_HOST", d.host, _env_str),
            port=_read(env, "SANDBOX_PORT", d.port, _env_int, 1, 65535),
            client_id=_read(env, "SANDBOX_CLIENT_ID", d.client_id, _env_str),
            client_secret=_read(env, "SANDBOX_CLIENT_SECRET", d.client_secret, _env_str),
            token_ttl_seconds=_read(
                env, "SANDBOX_TOKEN_TTL_SECONDS", d.token_ttl_seconds, _env_int, 1
            ),
            redirect_uri=_read(env, "SANDBOX_REDIRECT_URI", d.redirect_uri, _env_str),
            rate_per_second=_read(env, "SANDBOX_RATE_PER_SECOND", d.rate_per_second, _env_int, 1),
            rate_per_hour=_read(env, "SANDBOX_RATE_PER_HOUR", d.rate_per_hour, _env_int, 1),
            rate_per_second_2026=_read(
                env, "SANDBOX_RATE_PER_SECOND_2026", d.rate_per_second_2026, _env_int, 1
            ),
            rate_per_hour_2026=_read(
                env, "SANDBOX_RATE_PER_HOUR_2026", d.rate_per_hour_2026, _env_int, 1
            ),
            apis=_read(env, "SANDBOX_APIS", d.apis, _env_generations),
            unsubscribed=_read(env, "SANDBOX_UNSUBSCRIBED", d.unsubscribed, _env_apis),
            subscription_delay_seconds=_read(
                env,
                "SANDBOX_SUBSCRIPTION_DELAY_SECONDS",
                d.subscription_delay_seconds,
                _env_float,
                0.0,
            ),
            strict_shares=_read(env, "SANDBOX_STRICT_SHARES", d.strict_shares, _env_bool),
            faults=FaultSettings.from_env(env),
        )

    def serves(self, api: Api) -> bool:
        """True when ``api``'s generation is served and the application subscribed to it."""
        return api.generation in self.apis and api not in self.unsubscribed
