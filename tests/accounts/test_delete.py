"""Deleting an account leaves no row and no Redis key of it; its credentials stop working."""

from __future__ import annotations

from typing import Any

import psycopg

from gateway.enedis.catalogue import BY_NAME
from tests.accounts.flows import DEFAULT_POINTS, authorize_location, consent, problem, signup
from tests.conftest import Services
from tests.support.sandbox import query, recent_range


def _rows_of(services: Services, account_id: str) -> dict[str, int]:
    with psycopg.connect(services.postgres.url) as conn:
        return {
            table: conn.execute(
                f"SELECT count(*) FROM {table} WHERE {column} = %s", (account_id,)
            ).fetchone()[0]  # type: ignore[index]
            for table, column in [
                ("accounts", "id"),
                ("usage_points", "account_id"),
                ("consent_audit", "account_id"),
            ]
        }


def _redis_mentions(services: Services, needle: str) -> list[bytes]:
    client = services.redis()
    try:
        found = []
        for key in client.scan_iter(count=1000):
            kind = client.type(key)
            values: list[bytes] = []
            if kind == b"string":
                values = [client.get(key) or b""]
            elif kind == b"set":
                values = list(client.smembers(key))
            elif kind == b"hash":
                values = [b"%s=%s" % pair for pair in client.hgetall(key).items()]
            if needle.encode() in key or any(needle.encode() in value for value in values):
                found.append(key)
        return found
    finally:
        client.close()


async def test_delete_account_removes_everything(gateway: Any, clean_services: Services) -> None:
    user = await signup(gateway, "leaving@example.org")
    keeper = await signup(gateway, "staying@example.org")
    await consent(gateway, user)
    await consent(gateway, keeper, sandbox_customer="holder-2")
    # state of every kind: a pending OAuth state, a revoked token, failures, quota, cache
    await authorize_location(gateway, user)
    extra = await gateway.post(
        "/oauth2/v3/token", data={"grant_type": "client_credentials"}, headers=user.basic
    )
    await gateway.post("/oauth2/v3/revoke", data={"token": (await extra.json())["access_token"]})
    await gateway.post(
        "/accounts/credentials", json={"password": "wrong password"}, headers=user.bearer
    )
    assert (
        await gateway.get(f"/__probe__/v5/{DEFAULT_POINTS[0]}", headers=user.basic)
    ).status == 200
    # cache entries, their indexes, quota counters (v5), the last call of a point (legacy)
    start, end = recent_range(3)
    daily = BY_NAME["daily_consumption"]
    params = query(DEFAULT_POINTS[0], daily, start, end)
    assert (await gateway.get(daily.path, params=params, headers=user.bearer)).status == 200
    legacy = f"/daily_consumption/{DEFAULT_POINTS[1]}/start/{start}/end/{end}"
    assert (await gateway.get(legacy, headers=user.bearer)).status == 200
    tag = b"{a:" + user.account_id.encode() + b"}:"
    mentions = _redis_mentions(clean_services, user.account_id)
    kinds = {key.removeprefix(tag).split(b":")[0] for key in mentions if key.startswith(tag)}
    assert {b"snap", b"index", b"c", b"ci", b"cpoints", b"q", b"lg", b"rt", b"pwfail"} <= kinds
    assert _rows_of(clean_services, user.account_id)["usage_points"] == 2

    await problem(await gateway.request("DELETE", "/accounts/me", headers=user.bearer), 415)
    answer = await gateway.request(
        "DELETE", "/accounts/me", json={"password": user.password}, headers=user.bearer
    )
    assert answer.status == 204

    assert _rows_of(clean_services, user.account_id) == {
        "accounts": 0,
        "usage_points": 0,
        "consent_audit": 0,
    }
    assert _redis_mentions(clean_services, user.account_id) == []
    for headers in (user.bearer, user.basic, {"Authorization": user.client_secret}):
        assert (await gateway.get("/accounts/me", headers=headers)).status == 401
        assert (
            await gateway.get(f"/__probe__/v5/{DEFAULT_POINTS[0]}", headers=headers)
        ).status == 401
    answer = await gateway.post(
        "/oauth2/v3/token",
        data={
            "grant_type": "client_credentials",
            "client_id": user.client_id,
            "client_secret": user.client_secret,
        },
    )
    assert answer.status == 401
    # the other account is untouched, and the email can sign up again
    assert _rows_of(clean_services, keeper.account_id)["usage_points"] == 1  # its own meter
    keepers = (await (await gateway.get("/pdl", headers=keeper.bearer)).json())["usage_points"]
    kept_point = keepers[0]["usage_point_id"]
    assert (await gateway.get(f"/__probe__/v5/{kept_point}", headers=keeper.bearer)).status == 200
    await signup(gateway, "leaving@example.org")
