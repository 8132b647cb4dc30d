"""Admin routes: ADMIN_API_KEY, or an ADMIN_EMAILS account an operator confirmed (`gateway
admin grant EMAIL`); never anyone's Enedis data."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from gateway.accounts.snapshot import quota_key
from gateway.app import build_app
from gateway.config import ConfigError, Settings
from tests.accounts.flows import DEFAULT_POINTS, consent, problem, signup
from tests.conftest import Services
from tests.foundation.test_cli import run_gateway

ADMIN_KEY = "admin-key-for-tests-0123456789-0123456789"


def admin_cli(services: Services, action: str, email: str) -> None:
    result = run_gateway("admin", action, email, env={"DATABASE_URL": services.postgres.url})
    assert result.returncode == 0, result.stderr


@pytest.fixture
async def admin_gateway(aiohttp_client: Any, settings_env: dict[str, str]) -> Any:
    settings = Settings.from_env(
        {**settings_env, "ADMIN_API_KEY": ADMIN_KEY, "ADMIN_EMAILS": "Boss@Example.org"}
    )
    return await aiohttp_client(build_app(settings))


async def test_admin_lists_accounts_with_usage(
    admin_gateway: Any, clean_services: Services
) -> None:
    gateway = admin_gateway
    user = await signup(gateway, "user@example.org")
    await consent(gateway, user)
    day = datetime.now(UTC).strftime("%Y%m%d")
    client = clean_services.redis()
    try:
        client.set(quota_key(user.account_id, day, "upstream"), 7)
        client.set(quota_key(user.account_id, day, "cached"), 11)
    finally:
        client.close()
    answer = await gateway.get("/admin/accounts", headers={"ADMIN_API_KEY": ADMIN_KEY})
    assert answer.status == 200
    body = await answer.json()
    assert body["total"] == 1
    (account,) = body["accounts"]
    assert account["account_id"] == user.account_id
    assert account["usage_points"] == 2
    assert account["usage_today"] == {"upstream": 7, "cached": 11}
    text = await answer.text()
    for point in DEFAULT_POINTS:
        assert point not in text
    assert user.client_secret not in text
    await problem(
        await gateway.get("/admin/accounts?limit=0", headers={"ADMIN_API_KEY": ADMIN_KEY}),
        400,
        field="limit",
    )


async def test_admin_access_rules(
    admin_gateway: Any, aiohttp_client: Any, settings_env: dict[str, str], clean_services: Services
) -> None:
    gateway = admin_gateway
    user = await signup(gateway, "plain@example.org")
    boss = await signup(gateway, "boss@example.org")
    await problem(await gateway.get("/admin/accounts"), 401)
    await problem(await gateway.get("/admin/accounts", headers={"ADMIN_API_KEY": "wrong"}), 401)
    await problem(
        await gateway.get("/admin/accounts", headers=user.bearer), 403, code="admin_required"
    )
    # signing up with a listed address grants nothing (emails are not verified) ...
    await problem(
        await gateway.get("/admin/accounts", headers=boss.bearer), 403, code="admin_required"
    )
    me = await (await gateway.get("/accounts/me", headers=boss.bearer)).json()
    assert me["is_admin"] is False
    # ... until an operator confirms the account
    admin_cli(clean_services, "grant", "BOSS@example.org")
    admin_cli(clean_services, "grant", "plain@example.org")  # confirmed, but not listed
    await problem(await gateway.get("/admin/accounts", headers=user.bearer), 403)
    assert (await gateway.get("/admin/accounts", headers=boss.bearer)).status == 200
    assert (await gateway.get("/admin/accounts", headers=boss.basic)).status == 200
    me = await (await gateway.get("/accounts/me", headers=boss.bearer)).json()
    assert me["is_admin"] is True
    # rights follow each replica's current settings: one without the address refuses it,
    # at once, whatever the first one cached
    unlisted = await aiohttp_client(build_app(Settings.from_env(settings_env)))
    await problem(await unlisted.get("/admin/accounts", headers=boss.bearer), 403)
    assert (await (await unlisted.get("/accounts/me", headers=boss.bearer)).json())[
        "is_admin"
    ] is False
    # and the operator can withdraw the confirmation: effective on the next request
    admin_cli(clean_services, "revoke", "boss@example.org")
    await problem(await gateway.get("/admin/accounts", headers=boss.bearer), 403)
    result = run_gateway(
        "admin", "grant", "nobody@example.org", env={"DATABASE_URL": clean_services.postgres.url}
    )
    assert result.returncode == 1 and "nobody@example.org" in result.stderr


def test_the_admin_key_needs_32_characters(settings_env: dict[str, str]) -> None:
    with pytest.raises(ConfigError, match="ADMIN_API_KEY must be at least 32 characters"):
        Settings.from_env({**settings_env, "ADMIN_API_KEY": "x" * 31})
    assert Settings.from_env({**settings_env, "ADMIN_API_KEY": "x" * 32}).admin_api_key


async def test_admin_resets_quota_and_purges_cache(
    admin_gateway: Any, clean_services: Services
) -> None:
    gateway = admin_gateway
    user = await signup(gateway, "quota@example.org")
    headers = {"ADMIN_API_KEY": ADMIN_KEY}
    day = datetime.now(UTC).strftime("%Y%m%d")
    client = clean_services.redis()
    try:
        client.set(quota_key(user.account_id, day, "upstream"), 50)
        client.set(quota_key(user.account_id, day, "cached"), 5)
        answer = await gateway.delete(f"/admin/accounts/{user.account_id}/quota", headers=headers)
        assert answer.status == 200
        assert (await answer.json())["deleted_keys"] == 2
        assert client.exists(quota_key(user.account_id, day, "upstream")) == 0

        points = "{a:" + user.account_id + "}:cpoints"
        index = "{a:" + user.account_id + "}:ci:x"
        entry = "{a:" + user.account_id + "}:c:x"
        client.set(entry, b"sealed")
        client.sadd(index, entry)
        client.sadd(points, index)
        answer = await gateway.delete(f"/admin/accounts/{user.account_id}/cache", headers=headers)
        assert answer.status == 200
        assert client.exists(entry) == 0
    finally:
        client.close()
    # the account itself still works
    assert (await gateway.get("/accounts/me", headers=user.bearer)).status == 200
    for bad in ("not-a-uuid", "00000000-0000-4000-8000-000000000000"):
        await problem(await gateway.delete(f"/admin/accounts/{bad}/quota", headers=headers), 404)


async def test_wrong_admin_keys_are_throttled(
    aiohttp_client: Any, settings_env: dict[str, str]
) -> None:
    settings = Settings.from_env(
        {**settings_env, "ADMIN_API_KEY": ADMIN_KEY, "AUTH_MAX_FAILURES": "2"}
    )
    gateway = await aiohttp_client(build_app(settings))
    statuses = []
    for _ in range(3):
        answer = await gateway.get("/admin/accounts", headers={"ADMIN_API_KEY": "guess"})
        statuses.append(answer.status)
    assert statuses == [401, 401, 429]
    assert "Retry-After" in answer.headers
    # the right key is never refused because of failure counters
    answer = await gateway.get("/admin/accounts", headers={"ADMIN_API_KEY": ADMIN_KEY})
    assert answer.status == 200, await answer.text()
