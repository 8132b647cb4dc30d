"""Helpers of the reliability tests: gateway replicas as real processes, polling with a
deadline, cheap password hashing in-process, and dialect assertions."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import pytest

from gateway.accounts import crypto
from tests.accounts.conftest import FAST_COST
from tests.conftest import Services
from tests.support.processes import ChildProcess, gateway_process


@pytest.fixture(autouse=True)
def fast_passwords(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """argon2id with tiny parameters in-process (replicas run as processes keep the real cost)."""
    monkeypatch.setattr(crypto, "DEFAULT_COST", FAST_COST)
    yield


@contextlib.asynccontextmanager
async def replicas(
    services: Services, count: int = 1, **env: str
) -> AsyncIterator[list[ChildProcess]]:
    """``count`` ``gateway serve`` processes wired to ``services`` (stopped on exit)."""
    started: list[ChildProcess] = []
    try:
        for _ in range(count):
            process = gateway_process(services.log_dir, services.env(**env))
            await asyncio.to_thread(process.start, "/health/ready")
            started.append(process)
        yield started
    finally:
        for process in started:
            await asyncio.to_thread(process.stop)


@contextlib.asynccontextmanager
async def session_of(process: ChildProcess, **kwargs: Any) -> AsyncIterator[aiohttp.ClientSession]:
    """A client of ``process`` that takes relative paths (as the journey helpers do)."""
    async with aiohttp.ClientSession(base_url=process.url, **kwargs) as session:
        yield session


def log_text(process: ChildProcess) -> str:
    return process.log_path.read_text(errors="replace")


async def assert_dialect(answer: Any, surface: str) -> dict[str, Any]:
    """The answer is a 4xx in ``surface``'s error dialect, without a stack trace."""
    text = await answer.text()
    assert 400 <= answer.status < 500, (answer.status, text)
    assert "Traceback" not in text and 'File "' not in text, text
    body: dict[str, Any] = await answer.json(content_type=None)
    if surface == "v5":
        assert set(body) - {"hint"} == {"error", "error_description"}, body
        assert answer.content_type == "application/json"
    elif surface == "2026":
        assert set(body) == {"code", "message"}, body
        assert answer.content_type == "application/json"
    elif surface == "legacy":
        assert set(body) == {"detail"}, body
        assert answer.content_type == "application/json"
    else:
        assert answer.content_type == "application/problem+json", text
        assert body["status"] == answer.status and body["detail"] and body["code"], body
    return body
