"""Fixtures of the observability tests: a gateway served with the JSON access logger, the
captured log lines, and the in-memory span exporter."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from gateway.config import Settings
from gateway.logs import JsonFormatter, RedactingFilter
from gateway.observability.access_log import access_log_kwargs
from gateway.observability.tracing import install_memory_exporter


class LogLines:
    """Every record logged during a test, formatted exactly as in production."""

    def __init__(self) -> None:
        self.stream = io.StringIO()

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.stream.getvalue().splitlines() if line]

    def text(self) -> str:
        return self.stream.getvalue()

    async def wait_for(
        self, predicate: Callable[[dict[str, Any]], bool], timeout: float = 10.0
    ) -> dict[str, Any]:
        """The first line matching ``predicate`` (access lines are written just after the
        response is sent: poll for them)."""
        deadline = time.monotonic() + timeout
        while True:
            for line in self.lines():
                if predicate(line):
                    return line
            if time.monotonic() > deadline:
                raise AssertionError(f"no matching log line in:\n{self.text()}")
            await asyncio.sleep(0.01)


@pytest.fixture
def log_lines() -> Iterator[LogLines]:
    captured = LogLines()
    handler = logging.StreamHandler(captured.stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield captured
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)


@pytest.fixture
def spans() -> InMemorySpanExporter:
    return install_memory_exporter()


@pytest.fixture
async def served_gateway(aiohttp_client: Any, settings: Settings) -> AsyncIterator[Any]:
    """A test client of the gateway served like ``gateway serve`` (JSON access log)."""
    from gateway.app import build_app

    server = TestServer(build_app(settings))
    await server.start_server(**access_log_kwargs())
    client = await aiohttp_client(server)
    yield client


def access_line(method: str, route: str) -> Callable[[dict[str, Any]], bool]:
    def matches(line: dict[str, Any]) -> bool:
        return bool(
            line.get("logger") == "gateway.access"
            and line.get("method") == method
            and line.get("route") == route
        )

    return matches
