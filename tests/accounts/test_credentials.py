"""Showing the secret again, rotating it, and the failed-attempt throttle."""

from __future__ import annotations

from typing import Any

from gateway import state
from gateway.app import build_app
from gateway.config import Settings
from tests.accounts.conftest import add_probe_routes
from tests.accounts.flows import DEFAULT_POINTS, basic, consent, enedis_error, problem, signup
from tests.conftest import Services


async def test_show_credentials_again(gateway: Any) -> None:
    user = await signup(gateway, "show@example.org")
    answer = await gateway.post(
        "/accounts/credentials", json={"password": user.password}, headers=user.bearer
    )
    assert answer.status == 200
    assert answer.headers["Cache-Control"] == "no-store"
    assert await answer.json() == {"client_id": user.client_id, "client_secret": user.client_secret}
    # a lost secret: email + password, no Authorization
    answer = await gateway.post(
        "/accounts/credentials", json={"email": "SHOW@example.org", "password": user.password}
    )
    assert (await answer.json())["client_secret"] == user.client_secret


async def test_wrong_password_is_refused(gateway: Any) -> None:
    user = await signup(gateway, "wrong@example.org")
    answer = await gateway.post(
        "/accounts/credentials", json={"password": "not my password"}, headers=user.bearer
    )
    await problem(answer, 401, field="password", code="invalid_credentials")
    answer = await gateway.post(
        "/accounts/credentials", json={"email": user.email, "password": "not my password"}
    )
    await problem(answer, 401, code="invalid_credentials")
    answer = await gateway.post(
        "/accounts/credentials", json={"email": "nobody@example.org", "password": user.password}
    )
    await problem(answer, 401, code="invalid_credentials")
    answer = await gateway.post("/accounts/credentials", json={"password": user.password})
    await problem(answer, 401)
    await problem(
        await gateway.post("/accounts/credentials", json={}, headers=user.bearer),
        422,
        field="password",
    )
    answer = await gateway.post(
        "/accounts/secret/rotate", json={"password": "not my password"}, headers=user.bearer
    )
    await problem(answer, 401, field="password")
    answer = await gateway.request(
        "DELETE", "/accounts/me", json={"password": "nope"}, headers=user.bearer
    )
    await problem(answer, 401, field="password")
    assert (await gateway.get("/accounts/me", headers=user.bearer)).status == 200


async def test_rotation_revokes_the_old_secret_tokens_and_cache(
    gateway: Any, clean_services: Services
) -> None:
    user = await signup(gateway, "rotate@example.org")
    await consent(gateway, user)
    old_basic = user.basic
    # warm the in-process and Redis state with the old credentials
    assert (
        await gateway.get(f"/__probe__/v5/{DEFAULT_POINTS[0]}", headers=old_basic)
    ).status == 200
    client = clean_services.redis()
    entry = "{a:" + user.account_id + "}:c:rotate-entry"
    index = gateway.server.app[state.CACHE].point_index(user.account_id, DEFAULT_POINTS[0])
    try:
        client.set(entry, b"sealed")
        client.sadd(index, entry)
        client.sadd("{a:" + user.account_id + "}:cpoints", index)
        answer = await gateway.post(
            "/accounts/secret/rotate", json={"password": user.password}, headers=user.bearer
        )
        assert answer.status == 200
        rotated = await answer.json()
        assert rotated["client_id"] == user.client_id
        assert rotated["client_secret"] != user.client_secret
        assert client.exists(entry) == 0
    finally:
        client.close()
    await problem(await gateway.get("/accounts/me", headers=user.bearer), 401, code="invalid_token")
    await problem(await gateway.get("/accounts/me", headers=old_basic), 401)
    answer = await gateway.get(f"/__probe__/v5/{DEFAULT_POINTS[0]}", headers=old_basic)
    assert answer.status == 401
    answer = await gateway.post(
        "/oauth2/v3/token",
        data={
            "grant_type": "client_credentials",
            "client_id": user.client_id,
            "client_secret": user.client_secret,
        },
    )
    await enedis_error(answer, 401, "invalid_client")
    new_basic = {"Authorization": basic(user.client_id, rotated["client_secret"])}
    assert (
        await gateway.get(f"/__probe__/v5/{DEFAULT_POINTS[0]}", headers=new_basic)
    ).status == 200
    # the new secret is what the password now reveals
    answer = await gateway.post(
        "/accounts/credentials", json={"password": user.password}, headers=new_basic
    )
    assert (await answer.json())["client_secret"] == rotated["client_secret"]


async def test_rotation_is_effective_on_every_replica(
    aiohttp_client: Any, settings: Settings
) -> None:
    """Two replicas: a rotation on one is effective on the next request on the other."""
    one = build_app(settings)
    two = build_app(settings)
    add_probe_routes(one)
    add_probe_routes(two)
    first = await aiohttp_client(one)
    second = await aiohttp_client(two)
    user = await signup(first, "replicas@example.org")
    await consent(first, user)
    point = DEFAULT_POINTS[0]
    for replica in (first, second):
        for headers in (user.bearer, user.basic):
            assert (await replica.get(f"/__probe__/v5/{point}", headers=headers)).status == 200
    answer = await first.post(
        "/accounts/secret/rotate", json={"password": user.password}, headers=user.bearer
    )
    assert answer.status == 200
    for headers in (user.bearer, user.basic):
        assert (await second.get(f"/__probe__/v5/{point}", headers=headers)).status == 401


async def test_failed_attempts_are_throttled(
    aiohttp_client: Any, settings_env: dict[str, str]
) -> None:
    settings = Settings.from_env({**settings_env, "AUTH_MAX_FAILURES": "3"})
    gateway = await aiohttp_client(build_app(settings))
    user = await signup(gateway, "throttle@example.org")
    for _ in range(3):
        answer = await gateway.post(
            "/accounts/credentials", json={"password": "bad password"}, headers=user.bearer
        )
        assert answer.status == 401
    answer = await gateway.post(
        "/accounts/credentials", json={"password": user.password}, headers=user.bearer
    )
    await problem(answer, 429, code="too_many_attempts")
    assert int(answer.headers["Retry-After"]) >= 1
    # password failures are counted apart: the (right) secret keeps working
    answer = await gateway.get("/accounts/me", headers=user.basic)
    assert answer.status == 200
    answer = await gateway.post(
        "/oauth2/v3/token", data={"grant_type": "client_credentials"}, headers=user.basic
    )
    assert answer.status == 200
    # a wrong secret for the account is a secret failure, throttled on its own count
    guess = {"Authorization": basic(user.client_id, "guessed-secret")}
    statuses = [(await gateway.get("/accounts/me", headers=guess)).status for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    answer = await gateway.post(
        "/oauth2/v3/token", data={"grant_type": "client_credentials"}, headers=guess
    )
    await enedis_error(answer, 429, "too_many_attempts")


async def test_failed_secrets_are_throttled_per_address(
    aiohttp_client: Any, settings_env: dict[str, str]
) -> None:
    settings = Settings.from_env({**settings_env, "AUTH_MAX_FAILURES": "3"})
    gateway = await aiohttp_client(build_app(settings))
    user = await signup(gateway, "guess@example.org")
    statuses = []
    for attempt in range(5):
        answer = await gateway.get(
            "/accounts/me", headers={"Authorization": basic(f"gw_x{attempt}", "guess")}
        )
        statuses.append(answer.status)
    assert statuses == [401, 401, 401, 429, 429]
    assert "Retry-After" in answer.headers
    # only failing attempts are refused: the right secret and tokens keep working
    assert (await gateway.get("/accounts/me", headers=user.basic)).status == 200
    assert (await gateway.get("/accounts/me", headers=user.bearer)).status == 200
