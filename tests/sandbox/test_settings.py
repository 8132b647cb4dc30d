from __future__ import annotations

import asyncio
import logging
import socket

import aiohttp
import pytest

from gateway.enedis.catalogue import Api, Generation
from gateway.sandbox.app import run
from gateway.sandbox.settings import FaultSettings, SandboxSettings


def test_defaults() -> None:
    s = SandboxSettings.from_env({})
    assert s == SandboxSettings()
    assert (s.host, s.port, s.rate_per_second, s.rate_per_hour) == ("127.0.0.1", 8081, 5, 10000)
    assert s.token_ttl_seconds == 12600
    assert s.faults == FaultSettings()


def test_from_env() -> None:
    s = SandboxSettings.from_env(
        {
            "SANDBOX_HOST": "0.0.0.0",
            "SANDBOX_PORT": "9000",
            "SANDBOX_CLIENT_ID": "id",
            "SANDBOX_CLIENT_SECRET": "secret",
            "SANDBOX_TOKEN_TTL_SECONDS": "60",
            "SANDBOX_REDIRECT_URI": "https://app.example/cb",
            "SANDBOX_RATE_PER_SECOND": "10",
            "SANDBOX_RATE_PER_HOUR": "500",
            "SANDBOX_LATENCY_MS": "20",
            "SANDBOX_LATENCY_JITTER_MS": "5",
            "SANDBOX_ERROR_RATE": "0.1",
            "SANDBOX_TIMEOUT_RATE": "0.05",
            "SANDBOX_TIMEOUT_SECONDS": "2.5",
            "SANDBOX_OUTAGE": "true",
            "UNRELATED": "x",
        }
    )
    assert (s.host, s.port, s.client_id, s.client_secret) == ("0.0.0.0", 9000, "id", "secret")
    assert (s.token_ttl_seconds, s.redirect_uri) == (60, "https://app.example/cb")
    assert (s.rate_per_second, s.rate_per_hour) == (10, 500)
    assert s.faults == FaultSettings(20, 5, 0.1, 0.05, 2.5, True)


def test_2026_settings() -> None:
    s = SandboxSettings.from_env({})
    assert s.apis == frozenset(Generation) and s.unsubscribed == frozenset()
    assert (s.rate_per_second_2026, s.rate_per_hour_2026) == (5, 1000)
    assert (s.subscription_delay_seconds, s.strict_shares) == (1.0, False)
    s = SandboxSettings.from_env(
        {
            "SANDBOX_APIS": "2026",
            "SANDBOX_UNSUBSCRIBED": "comptage_auto, v5",
            "SANDBOX_RATE_PER_SECOND_2026": "3",
            "SANDBOX_RATE_PER_HOUR_2026": "50",
            "SANDBOX_SUBSCRIPTION_DELAY_SECONDS": "0",
            "SANDBOX_STRICT_SHARES": "yes",
        }
    )
    assert s.apis == frozenset({Generation.V2026})
    assert s.unsubscribed == frozenset({Api.COMPTAGE, Api.V5})
    assert (s.rate_per_second_2026, s.rate_per_hour_2026) == (3, 50)
    assert (s.subscription_delay_seconds, s.strict_shares) == (0.0, True)
    assert not s.serves(Api.COMPTAGE) and s.serves(Api.MESURE)


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("SANDBOX_APIS", "v4", "SANDBOX_APIS: must be a comma list of v5, 2026"),
        ("SANDBOX_APIS", "", "SANDBOX_APIS: must be a comma list of v5, 2026"),
        ("SANDBOX_UNSUBSCRIBED", "nope", "SANDBOX_UNSUBSCRIBED: unknown API"),
        ("SANDBOX_PORT", "x", "SANDBOX_PORT: must be an integer between 1 and 65535"),
        ("SANDBOX_PORT", "70000", "SANDBOX_PORT: must be an integer between 1 and 65535"),
        ("SANDBOX_PORT", "0", "SANDBOX_PORT: must be an integer between 1 and 65535"),
        ("SANDBOX_RATE_PER_SECOND", "0", "SANDBOX_RATE_PER_SECOND: must be an integer >= 1"),
        ("SANDBOX_TOKEN_TTL_SECONDS", "-5", "SANDBOX_TOKEN_TTL_SECONDS: must be an integer >= 1"),
        ("SANDBOX_ERROR_RATE", "2", "SANDBOX_ERROR_RATE: must be a number between 0 and 1"),
        ("SANDBOX_TIMEOUT_RATE", "nan", "SANDBOX_TIMEOUT_RATE: must be a number between 0 and 1"),
        ("SANDBOX_TIMEOUT_SECONDS", "-1", "SANDBOX_TIMEOUT_SECONDS: must be a number >= 0"),
        ("SANDBOX_LATENCY_MS", "1.5", "SANDBOX_LATENCY_MS: must be an integer >= 0"),
        ("SANDBOX_OUTAGE", "maybe", "SANDBOX_OUTAGE: must be a boolean"),
        ("SANDBOX_CLIENT_ID", " ", "SANDBOX_CLIENT_ID: must not be empty"),
    ],
)
def test_bad_values_name_the_setting(name: str, value: str, message: str) -> None:
    with pytest.raises(ValueError, match="^" + message.replace("(", r"\(")):
        SandboxSettings.from_env({name: value})


def test_fault_updates() -> None:
    f = FaultSettings().updated({"error_rate": 1, "outage": True, "timeout_seconds": 0.5})
    assert (f.error_rate, f.outage, f.timeout_seconds) == (1.0, True, 0.5)
    with pytest.raises(ValueError, match="unknown fault setting"):
        FaultSettings().updated({"nope": 1})


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_run_serves_until_cancelled(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="gateway.sandbox.app")
    settings = SandboxSettings(port=_free_port())
    task = asyncio.create_task(run(settings))
    url = f"http://127.0.0.1:{settings.port}/__sandbox/stats"
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    async with aiohttp.ClientSession() as session:
        while True:
            try:
                async with session.get(url) as resp:
                    assert resp.status == 200
                    break
            except aiohttp.ClientConnectionError:
                assert loop.time() < deadline, "sandbox did not start"
                await asyncio.sleep(0.02)
    assert f"sandbox listening on http://127.0.0.1:{settings.port}" in caplog.text
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
