"""``/health/live`` and ``/health/ready``."""

from __future__ import annotations

from typing import Any

from tests.conftest import Services


async def test_live(gateway: Any) -> None:
    answer = await gateway.get("/health/live")
    assert answer.status == 200
    assert await answer.json() == {"status": "ok"}


async def test_ready_reports_checks_and_the_breaker(gateway: Any) -> None:
    answer = await gateway.get("/health/ready")
    assert answer.status == 200, await answer.text()
    body = await answer.json()
    assert body["status"] == "ok"
    assert body["checks"] == {"postgres": "ok", "redis": "ok"}
    assert body["upstream"]["breaker"] in {"closed", "open", "half_open", "unknown"}


async def test_ready_is_503_without_redis(gateway: Any, clean_services: Services) -> None:
    assert (await gateway.get("/health/ready")).status == 200
    clean_services.valkey.stop()
    try:
        answer = await gateway.get("/health/ready")
        assert answer.status == 503
        body = await answer.json()
        assert body["status"] == "unavailable"
        assert body["checks"]["redis"] == "unreachable"
        assert body["checks"]["postgres"] == "ok"
        # liveness does not depend on Redis
        assert (await gateway.get("/health/live")).status == 200
    finally:
        clean_services.valkey.start()
