"""Child processes of the test suite (sandbox, gateway replicas), started and awaited."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path

from gateway.embedded import free_port, port_open
from tests.support.upstream import ENEDIS_API


def wait_until(predicate: object, timeout: float = 30.0, interval: float = 0.05) -> None:
    """Poll ``predicate()`` until it is true, or fail after ``timeout`` seconds."""
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition not met within {timeout}s")
        time.sleep(interval)


class ChildProcess:
    """`python -m gateway <args>` with ``env``, serving HTTP on ``port``."""

    def __init__(self, args: list[str], env: Mapping[str, str], port: int, log: Path) -> None:
        self.args = args
        self.env = dict(env)
        self.port = port
        self.log_path = log
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, ready_path: str | None = None, timeout: float = 60.0) -> ChildProcess:
        env = {**os.environ, **self.env}
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gateway", *self.args],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )

        def ready() -> bool:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"process {self.args} exited: {self.log_path.read_text()[-3000:]}"
                )
            if not port_open("127.0.0.1", self.port):
                return False
            if ready_path is None:
                return True
            try:
                with urllib.request.urlopen(self.url + ready_path, timeout=2) as answer:
                    return bool(answer.status == 200)
            except OSError:
                return False

        wait_until(ready, timeout)
        return self

    def signal(self, sig: int) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)

    def stop(self, timeout: float = 20.0) -> int | None:
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def sandbox_process(log_dir: Path, env: Mapping[str, str] | None = None) -> ChildProcess:
    port = free_port()
    base = {
        "SANDBOX_PORT": str(port),
        "SANDBOX_REDIRECT_URI": "http://gateway.test/oauth/callback",
        "LOG_LEVEL": "WARNING",
        # Enedis today (v5 retired) unless the suite runs on v5; consents listed at once
        "SANDBOX_APIS": "2026" if ENEDIS_API == "2026" else "2026,v5",
        "SANDBOX_SUBSCRIPTION_DELAY_SECONDS": "0",
    }
    base.update(env or {})
    return ChildProcess(["sandbox"], base, port, log_dir / f"sandbox-{port}.log")


@contextlib.contextmanager
def running_sandbox(log_dir: Path, env: Mapping[str, str]) -> Iterator[ChildProcess]:
    """A sandbox of its own (other settings than the suite's), stopped afterwards."""
    sandbox = sandbox_process(log_dir, env)
    sandbox.start()
    try:
        yield sandbox
    finally:
        sandbox.stop()


def upstream_at(sandbox: ChildProcess) -> dict[str, str]:
    """Gateway settings pointing at ``sandbox`` as its Enedis (data and consent page)."""
    return {
        "ENEDIS_BASE_URL": sandbox.url,
        "ENEDIS_AUTHORIZE_URL": sandbox.url + "/dataconnect/v2/oauth2/authorize",
    }


def gateway_process(log_dir: Path, env: Mapping[str, str]) -> ChildProcess:
    port = free_port()
    return ChildProcess(["serve", "--port", str(port)], env, port, log_dir / f"gateway-{port}.log")
