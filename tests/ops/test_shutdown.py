"""Graceful shutdown of a `gateway serve` process: on SIGTERM it stops accepting
connections, finishes the requests in flight, then exits 0."""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import subprocess

import aiohttp
import pytest

from gateway.embedded import port_open
from gateway.enedis.catalogue import BY_NAME
from tests.conftest import Services
from tests.support.journey import ready_account
from tests.support.polling import poll
from tests.support.processes import gateway_process
from tests.support.sandbox import CONSUMPTION_AND_PRODUCTION, query, recent_range
from tests.support.upstream import data_calls

pytestmark = pytest.mark.slow


async def test_sigterm_drains_in_flight_requests(clean_services: Services) -> None:
    process = gateway_process(
        clean_services.log_dir, clean_services.env(SHUTDOWN_GRACE_SECONDS="20")
    ).start(ready_path="/health/ready")
    try:
        async with aiohttp.ClientSession(base_url=process.url) as client:
            account = await ready_account(client)
            endpoint = BY_NAME["daily_consumption"]
            start, end = recent_range(3)
            params = query(CONSUMPTION_AND_PRODUCTION, endpoint, start, end)
            # every data call to the sandbox now takes 3 s: the request stays in flight
            clean_services.sandbox_call("POST", "/__sandbox/faults", {"latency_ms": 3000})
            calls_before = data_calls(clean_services.sandbox_stats())

            async def slow_request() -> tuple[int, str]:
                async with client.get(endpoint.path, params=params, headers=account.bearer) as r:
                    return r.status, r.headers.get("X-Cache-Status", "")

            in_flight = asyncio.create_task(slow_request())
            # the gateway has called the sandbox: the request is in flight
            await poll(lambda: data_calls(clean_services.sandbox_stats()) > calls_before)

            assert process.process is not None
            process.signal(signal.SIGTERM)
            # new connections are refused while the in-flight request is still running
            await poll(lambda: not port_open("127.0.0.1", process.port))
            assert not in_flight.done()

            status, cache_status = await in_flight
            assert status == 200
            assert cache_status == "MISS"
        assert await asyncio.to_thread(process.process.wait, 30) == 0
    finally:
        if process.process is not None and process.process.poll() is None:
            process.process.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.process.wait(10)
    log = process.log_path.read_text()
    assert "shutting down: draining in-flight requests" in log
    assert f"{endpoint.path} 200" in log  # its access line was written
    assert CONSUMPTION_AND_PRODUCTION not in log
    assert account.email not in log and account.client_secret not in log


async def test_workers_share_one_port_and_stop_together(clean_services: Services) -> None:
    """GATEWAY_WORKERS=2: two processes answer on one port; SIGTERM stops both, exit 0,
    and every request's access line is written (the batched lines of the worker too)."""
    process = gateway_process(
        clean_services.log_dir, clean_services.env(GATEWAY_WORKERS="2", LOG_LEVEL="INFO")
    )
    process.start(ready_path="/health/ready")
    assert process.process is not None
    parent = process.process.pid
    try:
        workers = _children(parent)
        assert len(workers) == 1  # worker 0 is the process itself
        async with aiohttp.ClientSession(base_url=process.url) as client:
            account = await ready_account(client)  # any worker can serve any step
            for _ in range(20):  # on new connections: both workers serve some
                async with client.get(
                    "/accounts/me", headers={**account.bearer, "Connection": "close"}
                ) as me:
                    assert me.status == 200
    finally:
        code = process.stop()
    assert code == 0
    assert not any(_alive(pid) for pid in workers)
    lines = [json.loads(line) for line in process.log_path.read_text().splitlines() if line]
    served = [line for line in lines if line.get("route") == "/accounts/me"]
    assert len(served) == 20


def _children(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as listing:
        return [int(child) for child in listing.read().split()]


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except FileNotFoundError:
        return False
