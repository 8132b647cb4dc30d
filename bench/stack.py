"""The embedded stack the benchmarks run against, every piece in a process of its own.

PostgreSQL and Valkey from the wheels (``gateway.embedded``), migrations applied, the
sandbox simulator(s) as ``python -m gateway sandbox``, gateway replicas as
``python -m gateway serve`` (optionally under pyinstrument), the bare baseline server and
the load generator as ``python -m bench.bare`` / ``python -m bench.load``, and B2's one-hop
baseline as ``python -m bench.bare_proxy``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from gateway.db import apply_migrations
from gateway.embedded import EmbeddedPostgres, EmbeddedValkey, free_port, port_open
from tests.support.sandbox import sandbox_control

CLIENT_ID = "sandbox-client-id"
CLIENT_SECRET = "sandbox-client-secret"
SECRET_KEY = "bench-server-key-0123456789abcdefghijklmnopqrstuvwxyz"
PUBLIC_URL = "http://gateway.bench"
REDIRECT_URI = PUBLIC_URL + "/oauth/callback"
RATE_LIMIT = 5  # ENEDIS_RATE_LIMIT of the benchmark (Enedis' real budget)
LIFTED_RATE = 100_000  # B2's own sandbox and gateway: the limiter never makes a call wait
#: Upstream calls per hour per API, at the sandbox and at the gateways: Data Connect 2026
#: allows 1000 per API, and a full run makes ~550 measurement calls (B3 300, B4 ~135, B5
#: 105, ...) on top of the journeys' calls; raised so that repeated or partial runs on one
#: stack never exhaust the hour and break a later scenario with refusals.
BENCH_HOURLY_LIMIT = 100_000


class Proc:
    """A child process serving HTTP on ``port``; its output goes to ``log``."""

    def __init__(
        self, name: str, argv: Sequence[str], env: Mapping[str, str], port: int, log: Path
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.env = dict(env)
        self.port = port
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def spawn(self) -> Proc:
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                self.argv,
                env={**os.environ, **self.env},
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        return self

    def wait_ready(self, path: str | None = None, timeout: float = 60.0) -> Proc:
        deadline = time.monotonic() + timeout
        while True:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited early:\n{self.tail()}")
            if port_open("127.0.0.1", self.port) and (path is None or self._answers(path)):
                return self
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.name} not ready within {timeout:.0f}s:\n{self.tail()}")
            time.sleep(0.05)

    def _answers(self, path: str) -> bool:
        try:
            with urllib.request.urlopen(self.url + path, timeout=2) as answer:
                return bool(answer.status == 200)
        except OSError:
            return False

    def tail(self, chars: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> int | None:
        process = self.process
        if process is None:
            return None
        if process.poll() is None:
            process.send_signal(sig)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        return process.returncode


def python_module(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]


class Stack:
    """PostgreSQL + Valkey + sandbox(es) + gateway replicas, torn down by ``close``."""

    def __init__(self, root: Path | None = None, keep: bool = False) -> None:
        self.owns_root = root is None
        self.root = Path(tempfile.mkdtemp(prefix="gateway-bench-")) if root is None else root
        self.root.mkdir(parents=True, exist_ok=True)
        self.keep = keep
        self.postgres = EmbeddedPostgres(self.root / "postgres")
        self.valkey = EmbeddedValkey(self.root / "valkey", persist=False)
        self.procs: list[Proc] = []

    # -- services -------------------------------------------------------------------------
    def start_services(self) -> None:
        self.postgres.start()
        self.valkey.start()
        apply_migrations(self.postgres.url)

    def sandbox(self, name: str = "sandbox", **env: str) -> Proc:
        port = free_port()
        values = {
            "SANDBOX_PORT": str(port),
            "SANDBOX_REDIRECT_URI": REDIRECT_URI,
            "SANDBOX_CLIENT_ID": CLIENT_ID,
            "SANDBOX_CLIENT_SECRET": CLIENT_SECRET,
            "LOG_LEVEL": "WARNING",
            # Data Connect 2026 (v5 retired), consents listed at once (as the tests do)
            "SANDBOX_APIS": "2026",
            "SANDBOX_SUBSCRIPTION_DELAY_SECONDS": "0",
            "SANDBOX_RATE_PER_HOUR_2026": str(BENCH_HOURLY_LIMIT),
            **env,
        }
        proc = Proc(
            name, python_module("gateway", "sandbox"), values, port, self.root / f"{name}.log"
        )
        self.procs.append(proc)
        return proc.spawn()

    def gateway_env(self, sandbox: Proc, redis_db: int = 0, **overrides: str) -> dict[str, str]:
        env = {
            "DATABASE_URL": self.postgres.url,
            "REDIS_URL": f"redis://{self.valkey.host}:{self.valkey.port}/{redis_db}",
            "ENEDIS_BASE_URL": sandbox.url,
            "ENEDIS_AUTHORIZE_URL": sandbox.url + "/dataconnect/v1/oauth2/authorize",
            "ENEDIS_CLIENT_ID": CLIENT_ID,
            "ENEDIS_CLIENT_SECRET": CLIENT_SECRET,
            "GATEWAY_SECRET_KEY": SECRET_KEY,
            "PUBLIC_URL": PUBLIC_URL,
            "ENEDIS_API": "2026",
            "ENEDIS_RATE_LIMIT": str(RATE_LIMIT),
            "ENEDIS_HOURLY_LIMIT": str(BENCH_HOURLY_LIMIT),
            # quotas must not interfere with the measures
            "USER_DAILY_LIMIT_NO_CACHE": "1000000",
            "USER_DAILY_LIMIT_WITH_CACHE": "100000000",
            "SIGNUP_ADDRESS_LIMIT": "1000000",
            "SIGNUP_GLOBAL_LIMIT": "1000000",
            # B3 queues 300 calls (~66 s at 4.5/s), B4/B5 105 calls (~23 s)
            "UPSTREAM_MAX_WAIT_SECONDS": "180",
            "UPSTREAM_DEADLINE_SECONDS": "180",
            "SHUTDOWN_GRACE_SECONDS": "5",
            "DB_POOL_MAX": "10",
            "LOG_LEVEL": "INFO",
            # every bench account would import its meter's history (~115 calls) behind the
            # measured calls of B3..B7: imports run only on B8's replica of its own
            "IMPORT_ENABLED": "false",
        }
        env.update(overrides)
        return env

    def gateway(self, name: str, env: Mapping[str, str], profile_to: Path | None = None) -> Proc:
        """A replica (``python -m gateway serve``); under pyinstrument when ``profile_to``."""
        port = free_port()
        serve = ["-m", "gateway", "serve", "--port", str(port)]
        if profile_to is None:
            argv = [sys.executable, *serve]
        else:
            argv = python_module("bench.profiled", str(profile_to), *serve[2:])
        proc = Proc(name, argv, env, port, self.root / f"{name}.log")
        self.procs.append(proc)
        return proc.spawn()

    def bare(self, body: Path, content_type: str) -> Proc:
        port = free_port()
        argv = python_module(
            "bench.bare", "--port", str(port), "--body", str(body), "--content-type", content_type
        )
        proc = Proc("bare", argv, {}, port, self.root / "bare.log")
        self.procs.append(proc)
        return proc.spawn()

    def bare_proxy(self, upstream: str) -> Proc:
        port = free_port()
        argv = python_module("bench.bare_proxy", "--port", str(port), "--upstream", upstream)
        proc = Proc("bare-proxy", argv, {}, port, self.root / "bare-proxy.log")
        self.procs.append(proc)
        return proc.spawn()

    # -- sandbox control --------------------------------------------------------------------
    @staticmethod
    def control(sandbox: Proc, method: str, path: str, body: Any = None) -> Any:
        return sandbox_control(sandbox.url, method, path, body)

    def close(self) -> None:
        for proc in reversed(self.procs):
            with contextlib.suppress(Exception):
                proc.stop(timeout=10)
        self.procs.clear()
        with contextlib.suppress(Exception):
            self.valkey.stop()
        with contextlib.suppress(Exception):
            self.postgres.stop()
        if self.owns_root and not self.keep:
            shutil.rmtree(self.root, ignore_errors=True)
