"""A replica stops in bounded time when PostgreSQL's container is gone (within its stop grace)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import pytest

from gateway.app import build_app
from gateway.config import Settings
from gateway.imports import jobs
from tests.conftest import Services
from tests.imports.conftest import import_env


class SilentRelay:
    """A TCP relay to PostgreSQL that can go as a stopped container does: its connections
    closed (the server's shutdown), then new ones never answered (its address is gone: a
    local server that stopped would refuse them at once)."""

    def __init__(self, port: int) -> None:
        self.target = port
        self.silent = False
        self.pipes: set[asyncio.Task[None]] = set()
        self.writers: list[asyncio.StreamWriter] = []

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._link, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def _link(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.append(writer)
        if self.silent:
            return
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target)
        self.writers.append(up_writer)
        for source, sink in ((reader, up_writer), (up_reader, writer)):
            pipe = asyncio.create_task(self._pipe(source, sink))
            self.pipes.add(pipe)
            pipe.add_done_callback(self.pipes.discard)

    @staticmethod
    async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError):
            while data := await source.read(65536):
                sink.write(data)
                await sink.drain()

    def fall_silent(self) -> None:
        self.silent = True
        for pipe in list(self.pipes):
            pipe.cancel()
        for writer in self.writers:
            writer.close()

    def close(self) -> None:
        self.server.close()
        for writer in self.writers:
            writer.close()


async def test_the_job_engine_is_stopped_short_when_the_database_host_is_gone(
    aiohttp_client: Any,
    clean_services: Services,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Unregistering the worker waits 30 s for a connection (psycopg_pool's timeout) to a
    database whose host is gone: past ``STOP_SECONDS`` the replica stops it short."""
    monkeypatch.setattr(jobs, "STOP_SECONDS", 1.0)
    relay = SilentRelay(clean_services.postgres.port)
    port = await relay.start()
    url = clean_services.postgres.url.replace(f":{clean_services.postgres.port}/", f":{port}/")
    settings = Settings.from_env(import_env(clean_services, DATABASE_URL=url))
    client = await aiohttp_client(build_app(settings))
    try:
        assert (await client.get("/health/ready")).status == 200
        relay.fall_silent()
        with caplog.at_level(logging.WARNING, logger=jobs.__name__):
            # 30 s (the pool's wait) and more without the cut; about 1 s with it
            await asyncio.wait_for(client.close(), timeout=20)
    finally:
        relay.close()
    assert "did not stop within" in caplog.text
