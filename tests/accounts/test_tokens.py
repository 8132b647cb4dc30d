"""The client-credentials grant, Bearer / Basic / raw-secret authentication, revocation."""

from __future__ import annotations

import time
from typing import Any

from gateway.accounts.crypto import TokenClaims, TokenCodec
from gateway.keyring import Keyring, account_cache_key
from tests.accounts.flows import basic, enedis_error, problem, signup
from tests.conftest import TEST_SECRET_KEY


async def test_token_by_form_and_by_basic(gateway: Any) -> None:
    user = await signup(gateway, "t1@example.org")
    form = await gateway.post(
        "/oauth2/v3/token",
        params={"redirect_uri": "https://example.org/ignored"},
        data={
            "grant_type": "client_credentials",
            "client_id": user.client_id,
            "client_secret": user.client_secret,
        },
    )
    assert form.status == 200
    body = await form.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["scope"]
    assert form.headers["Cache-Control"] == "no-store"
    by_basic = await gateway.post(
        "/accounts/token", data={"grant_type": "client_credentials"}, headers=user.basic
    )
    assert by_basic.status == 200
    other = (await by_basic.json())["access_token"]
    assert other != body["access_token"]
    for value in (body["access_token"], other):
        me = await gateway.get("/accounts/me", headers={"Authorization": f"Bearer {value}"})
        assert me.status == 200


async def test_token_errors_speak_the_enedis_dialect(gateway: Any) -> None:
    user = await signup(gateway, "t2@example.org")
    answer = await gateway.post("/oauth2/v3/token", data={"client_id": user.client_id})
    await enedis_error(answer, 400, "invalid_request")
    answer = await gateway.post(
        "/oauth2/v3/token", data={"grant_type": "password", "client_id": user.client_id}
    )
    await enedis_error(answer, 400, "unsupported_grant_type")
    answer = await gateway.post(
        "/oauth2/v3/token",
        data={
            "grant_type": "client_credentials",
            "client_id": user.client_id,
            "client_secret": user.client_secret + "x",
        },
    )
    await enedis_error(answer, 401, "invalid_client")
    answer = await gateway.post("/oauth2/v3/token", data={"grant_type": "client_credentials"})
    await enedis_error(answer, 401, "invalid_client")
    # a valid secret with another account's client_id is refused
    other = await signup(gateway, "t3@example.org")
    answer = await gateway.post(
        "/oauth2/v3/token",
        data={
            "grant_type": "client_credentials",
            "client_id": other.client_id,
            "client_secret": user.client_secret,
        },
    )
    await enedis_error(answer, 401, "invalid_client")
    answer = await gateway.post(
        "/oauth2/v3/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": "Basic !!!"},
    )
    await enedis_error(answer, 401, "invalid_client")


async def test_basic_authentication(gateway: Any) -> None:
    user = await signup(gateway, "t4@example.org")
    assert (await gateway.get("/accounts/me", headers=user.basic)).status == 200
    wrong = {"Authorization": basic(user.client_id, "nope")}
    await problem(await gateway.get("/accounts/me", headers=wrong), 401, code="invalid_client")


async def test_raw_secret_only_on_the_legacy_surface(gateway: Any) -> None:
    user = await signup(gateway, "t5@example.org")
    raw = {"Authorization": user.client_secret}
    legacy = await gateway.get("/__probe__/whoami", headers=raw)
    assert legacy.status == 200
    assert (await legacy.json())["account_id"] == user.account_id
    bearer_raw = {"Authorization": f"Bearer {user.client_secret}"}
    assert (await gateway.get("/__probe__/whoami", headers=bearer_raw)).status == 200
    await problem(await gateway.get("/accounts/me", headers=raw), 401)
    await problem(await gateway.get("/accounts/me", headers=bearer_raw), 401, code="invalid_token")
    wrong = await gateway.get("/__probe__/whoami", headers={"Authorization": "not-a-secret"})
    assert wrong.status == 401


async def test_revoked_token_is_refused(gateway: Any) -> None:
    user = await signup(gateway, "t6@example.org")
    kept = user.token
    revoked = await gateway.post(
        "/oauth2/v3/token", data={"grant_type": "client_credentials"}, headers=user.basic
    )
    value = (await revoked.json())["access_token"]
    # accepted first (its claims are now memoized), refused once revoked
    me = await gateway.get("/accounts/me", headers={"Authorization": f"Bearer {value}"})
    assert me.status == 200
    answer = await gateway.post("/oauth2/v3/revoke", data={"token": value})
    assert answer.status == 200
    me = await gateway.get("/accounts/me", headers={"Authorization": f"Bearer {value}"})
    await problem(me, 401, code="invalid_token")
    assert (
        await gateway.get("/accounts/me", headers={"Authorization": f"Bearer {kept}"})
    ).status == 200
    # revoking garbage is not an error (RFC 7009); no token at all is
    assert (await gateway.post("/oauth2/v3/revoke", data={"token": "garbage"})).status == 200
    await enedis_error(await gateway.post("/oauth2/v3/revoke", data={}), 400, "invalid_request")


async def test_expired_and_forged_tokens_are_refused(gateway: Any) -> None:
    user = await signup(gateway, "t7@example.org")
    codec = TokenCodec(Keyring(TEST_SECRET_KEY))
    cache_key = account_cache_key(user.client_secret, user.account_id)
    expired = codec.encode(
        TokenClaims(user.account_id, user.client_id, 1, int(time.time()) - 1, cache_key)
    )
    answer = await gateway.get("/accounts/me", headers={"Authorization": f"Bearer {expired}"})
    body = await problem(answer, 401, code="invalid_token")
    assert "expired" in body["detail"]
    # made with another server key
    forged = TokenCodec(Keyring("another-server-key-0123456789abcdefghijkl")).encode(
        TokenClaims(user.account_id, user.client_id, 1, int(time.time()) + 60, cache_key)
    )
    answer = await gateway.get("/accounts/me", headers={"Authorization": f"Bearer {forged}"})
    await problem(answer, 401, code="invalid_token")
    # tampered
    tampered = user.token[:-4] + ("AAAA" if not user.token.endswith("AAAA") else "BBBB")
    answer = await gateway.get("/accounts/me", headers={"Authorization": f"Bearer {tampered}"})
    await problem(answer, 401, code="invalid_token")
    # a live token with a stale version (as after a rotation)
    stale = codec.encode(
        TokenClaims(user.account_id, user.client_id, 0, int(time.time()) + 60, cache_key)
    )
    answer = await gateway.get("/accounts/me", headers={"Authorization": f"Bearer {stale}"})
    await problem(answer, 401, code="invalid_token")


async def test_token_lifetime_follows_the_setting(
    aiohttp_client: Any, settings_env: dict[str, str]
) -> None:
    from gateway.app import build_app
    from gateway.config import Settings

    client = await aiohttp_client(
        build_app(Settings.from_env({**settings_env, "ACCESS_TOKEN_TTL_SECONDS": "120"}))
    )
    user = await signup(client, "t8@example.org")
    answer = await client.post(
        "/oauth2/v3/token", data={"grant_type": "client_credentials"}, headers=user.basic
    )
    assert (await answer.json())["expires_in"] == 120
