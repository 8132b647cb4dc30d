"""After a full workload, neither PostgreSQL nor Redis holds a secret, password or token."""

from __future__ import annotations

import base64
from datetime import date, timedelta
from typing import Any

import psycopg

from tests.accounts.flows import DEFAULT_POINTS, basic, consent, signup
from tests.conftest import Services


def _postgres_dump(services: Services) -> bytes:
    chunks: list[bytes] = []
    with psycopg.connect(services.postgres.url) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            ).fetchall()
        ]
        for table in tables:
            for (text,) in conn.execute(f'SELECT t::text FROM "{table}" t').fetchall():
                chunks.append(text.encode())
    return b"\n".join(chunks)


def _redis_dump(services: Services) -> bytes:
    client = services.redis()
    chunks: list[bytes] = []
    try:
        for key in client.scan_iter(count=1000):
            chunks.append(key)
            kind = client.type(key)
            if kind == b"string":
                chunks.append(client.get(key) or b"")
            elif kind == b"hash":
                for field, value in client.hgetall(key).items():
                    chunks.extend((field, value))
            elif kind == b"set":
                chunks.extend(client.smembers(key))
            elif kind == b"list":
                chunks.extend(client.lrange(key, 0, -1))
            elif kind == b"zset":
                chunks.extend(member for member, _ in client.zrange(key, 0, -1, withscores=True))
            else:
                chunks.append(client.dump(key) or b"")
    finally:
        client.close()
    return b"\n".join(chunks)


def _forms(secret: str) -> list[bytes]:
    raw = secret.encode()
    return [raw, raw.hex().encode(), base64.b64encode(raw), base64.urlsafe_b64encode(raw)]


async def test_nothing_secret_at_rest(gateway: Any, clean_services: Services) -> None:
    alice = await signup(gateway, "alice-rest@example.org", "alice's long password 1")
    bob = await signup(gateway, "bob-rest@example.org", "bob's long password 22")
    await consent(gateway, alice)
    await consent(gateway, bob, sandbox_customer="consumption_only")
    secrets = [alice.client_secret, bob.client_secret]
    tokens = [alice.token, bob.token]

    # data requests: probe routes, and a real v5 call through the cache
    start = (date.today() - timedelta(days=12)).isoformat()
    end = (date.today() - timedelta(days=5)).isoformat()
    cache_statuses = []
    for headers in (alice.bearer, alice.basic):
        await gateway.get(f"/__probe__/v5/{DEFAULT_POINTS[0]}", headers=headers)
        data = await gateway.get(
            "/metering_data_dc/v5/daily_consumption",
            params={"usage_point_id": DEFAULT_POINTS[0], "start": start, "end": end},
            headers=headers,
        )
        assert data.status == 200, await data.text()
        cache_statuses.append(data.headers.get("X-Cache-Status"))
    # the token carries the same cache key as the one derived from the secret
    assert cache_statuses == ["MISS", "HIT"]
    # credentials shown, rotated, a token revoked, failures counted
    await gateway.post(
        "/accounts/credentials", json={"password": alice.password}, headers=alice.bearer
    )
    rotated = await (
        await gateway.post(
            "/accounts/secret/rotate", json={"password": bob.password}, headers=bob.bearer
        )
    ).json()
    secrets.append(rotated["client_secret"])
    new_token = await (
        await gateway.post(
            "/oauth2/v3/token",
            data={"grant_type": "client_credentials"},
            headers={"Authorization": basic(bob.client_id, rotated["client_secret"])},
        )
    ).json()
    tokens.append(new_token["access_token"])
    await gateway.post("/oauth2/v3/revoke", data={"token": new_token["access_token"]})
    await gateway.post(
        "/accounts/credentials", json={"password": "a wrong password"}, headers=alice.bearer
    )
    await gateway.get("/accounts/me", headers={"Authorization": basic(alice.client_id, "x")})

    postgres = _postgres_dump(clean_services)
    store = _redis_dump(clean_services)
    assert b"alice-rest@example.org" in postgres  # the dump does see the data
    assert store, "the workload left keys in Redis"
    for secret in secrets:
        for form in _forms(secret):
            assert form not in postgres
            assert form not in store
    for password in (alice.password, bob.password, "a wrong password"):
        assert password.encode() not in postgres
        assert password.encode() not in store
    for token in tokens:
        assert token.encode() not in postgres
        assert token.encode() not in store
    for point in DEFAULT_POINTS:
        assert point.encode() not in store
    assert b"alice-rest@example.org" not in store
    assert b"$argon2id$" in postgres
