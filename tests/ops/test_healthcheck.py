"""`gateway healthcheck` (the image's HEALTHCHECK): healthy only when the gateway answers
on the host's outside address, as a published container port needs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gateway.healthcheck import outside_address
from tests.conftest import Services
from tests.support.processes import gateway_process


def healthcheck(port: int) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GATEWAY_PORT": str(port)}
    return subprocess.run(
        [sys.executable, "-m", "gateway", "healthcheck"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@pytest.mark.parametrize(("host", "healthy"), [("0.0.0.0", True), ("127.0.0.1", False)])
def test_healthy_only_when_reachable_outside_loopback(
    services: Services, tmp_path: Path, host: str, healthy: bool
) -> None:
    if outside_address() is None:
        pytest.skip("this machine has no address outside loopback")
    gateway = gateway_process(tmp_path, services.env(GATEWAY_HOST=host))
    gateway.start("/health/live")  # it answers on 127.0.0.1 either way
    try:
        result = healthcheck(gateway.port)
    finally:
        assert gateway.stop() == 0
    assert (result.returncode == 0) is healthy, result.stderr
    if not healthy:
        assert "GATEWAY_HOST" in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1


def test_nothing_listening_is_unhealthy(tmp_path: Path) -> None:
    from gateway.embedded import free_port

    result = healthcheck(free_port())
    assert result.returncode == 1
    assert "healthcheck:" in result.stderr
