"""Bearer requests survive a PostgreSQL outage; everything falls back to it when Redis is down."""

from __future__ import annotations

from typing import Any

from tests.accounts.flows import DEFAULT_POINTS, PASSWORD, consent, problem, signup
from tests.conftest import Services

OTHER_POINT = "09200000000001"


async def test_postgres_down_bearer_still_works(gateway: Any, clean_services: Services) -> None:
    user = await signup(gateway, "pgdown@example.org")
    await consent(gateway, user)
    # the first data request builds the account's snapshot in Redis
    assert (
        await gateway.get(f"/__probe__/v5/{DEFAULT_POINTS[0]}", headers=user.bearer)
    ).status == 200
    clean_services.postgres.stop()
    try:
        for point in DEFAULT_POINTS:
            answer = await gateway.get(f"/__probe__/v5/{point}", headers=user.bearer)
            assert answer.status == 200, await answer.text()
        answer = await gateway.get(f"/__probe__/v5/{OTHER_POINT}", headers=user.bearer)
        assert answer.status == 403
        answer = await gateway.post(
            "/accounts/signup", json={"email": "new@example.org", "password": PASSWORD}
        )
        await problem(answer, 503, code="database_unavailable")
        assert "Retry-After" in answer.headers
        answer = await gateway.post(
            "/accounts/credentials", json={"password": PASSWORD}, headers=user.bearer
        )
        await problem(answer, 503, code="database_unavailable")
        answer = await gateway.post(
            "/oauth2/v3/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "gw_unknown",
                "client_secret": "not-cached-anywhere",
            },
        )
        assert answer.status == 503
        assert (await answer.json())["error"] == "database_unavailable"
    finally:
        clean_services.postgres.start()


async def test_redis_down_falls_back_to_postgres(gateway: Any, clean_services: Services) -> None:
    user = await signup(gateway, "redisdown@example.org")
    await consent(gateway, user)
    clean_services.valkey.stop()
    try:
        for headers in (user.bearer, user.basic):
            answer = await gateway.get(f"/__probe__/v5/{DEFAULT_POINTS[0]}", headers=headers)
            assert answer.status == 200, await answer.text()
            answer = await gateway.get(f"/__probe__/v5/{OTHER_POINT}", headers=headers)
            assert answer.status == 403
        answer = await gateway.get("/pdl", headers=user.bearer)
        assert answer.status == 200
        assert len((await answer.json())["usage_points"]) == 2
        answer = await gateway.post(
            "/oauth2/v3/token", data={"grant_type": "client_credentials"}, headers=user.basic
        )
        assert answer.status == 200
        answer = await gateway.get("/oauth/authorize", headers=user.bearer, allow_redirects=False)
        await problem(answer, 503, code="store_unavailable")
        answer = await gateway.post(
            "/accounts/signup", json={"email": "during@example.org", "password": PASSWORD}
        )
        assert answer.status == 201
    finally:
        clean_services.valkey.start()
