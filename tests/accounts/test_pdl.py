"""Usage points: list, rename, delete; the grant check of data routes; isolation."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import psycopg

from gateway import state
from gateway.accounts.snapshot import snap_key
from gateway.keyring import Keyring
from tests.accounts.flows import DEFAULT_POINTS, consent, problem, signup
from tests.conftest import TEST_SECRET_KEY, Services

A_POINT = DEFAULT_POINTS[0]


async def test_rename_and_delete(gateway: Any, clean_services: Services) -> None:
    user = await signup(gateway, "pdl@example.org")
    await consent(gateway, user)
    answer = await gateway.patch(
        f"/pdl/{A_POINT}", json={"name": "  Maison  "}, headers=user.bearer
    )
    assert answer.status == 200
    assert (await answer.json())["name"] == "Maison"
    answer = await gateway.patch(f"/pdl/{A_POINT}", json={"name": None}, headers=user.bearer)
    assert (await answer.json())["name"] is None
    await problem(
        await gateway.patch(f"/pdl/{A_POINT}", json={"name": "x" * 101}, headers=user.bearer),
        422,
        field="name",
    )
    await problem(
        await gateway.patch(f"/pdl/{A_POINT}", json={}, headers=user.bearer), 422, field="name"
    )
    await problem(
        await gateway.patch("/pdl/123", json={"name": "a"}, headers=user.bearer),
        400,
        field="usage_point_id",
    )
    await problem(
        await gateway.patch("/pdl/09999999999999", json={"name": "a"}, headers=user.bearer),
        404,
        field="usage_point_id",
    )

    # a cache entry of the point, indexed the way the cache store indexes it
    index = gateway.server.app[state.CACHE].point_index(user.account_id, A_POINT)
    client = clean_services.redis()
    try:
        entry = "{a:" + user.account_id + "}:c:test-entry"
        client.set(entry, b"sealed")
        client.sadd(index, entry)
        assert (await gateway.delete(f"/pdl/{A_POINT}", headers=user.bearer)).status == 204
        assert client.exists(entry) == 0
        assert client.exists(index) == 0
    finally:
        client.close()
    await problem(await gateway.delete(f"/pdl/{A_POINT}", headers=user.bearer), 404)
    points = (await (await gateway.get("/pdl", headers=user.bearer)).json())["usage_points"]
    assert [p["usage_point_id"] for p in points] == DEFAULT_POINTS[1:]
    # the deleted point no longer passes the grant check
    answer = await gateway.get(f"/__probe__/v5/{A_POINT}", headers=user.bearer)
    await _no_consent(answer)


async def _no_consent(answer: Any, code: str = "GW-NO-CONSENT") -> None:
    text = await answer.text()
    assert answer.status == 403, text
    body = await answer.json(content_type=None)
    assert body["error"] == code, body


async def test_grant_check_on_data_routes(gateway: Any, clean_services: Services) -> None:
    user = await signup(gateway, "grant@example.org")
    answer = await gateway.get(f"/__probe__/v5/{A_POINT}", headers=user.bearer)
    await _no_consent(answer)
    await consent(gateway, user)
    for headers in (user.bearer, user.basic):
        answer = await gateway.get(f"/__probe__/v5/{A_POINT}", headers=headers)
        assert answer.status == 200, await answer.text()
    answer = await gateway.get(
        f"/__probe__/legacy/{A_POINT}", headers={"Authorization": user.client_secret}
    )
    assert answer.status == 200
    # parse errors surface before the grant check
    answer = await gateway.get("/__probe__/v5/123", headers=user.bearer)
    assert answer.status == 400

    # an expired consent
    with psycopg.connect(clean_services.postgres.url, autocommit=True) as conn:
        conn.execute(
            "UPDATE usage_points SET consent_expires_at = now() - interval '1 day'"
            " WHERE usage_point_id = %s",
            (A_POINT,),
        )
        conn.execute(
            "UPDATE usage_points SET consent_status = 'revoked' WHERE usage_point_id = %s",
            (DEFAULT_POINTS[1],),
        )
    client = clean_services.redis()
    try:
        client.delete(snap_key(user.account_id))  # the snapshot is rebuilt from PostgreSQL
    finally:
        client.close()
    for point in DEFAULT_POINTS:
        answer = await gateway.get(f"/__probe__/v5/{point}", headers=user.bearer)
        await _no_consent(answer, "GW-CONSENT-EXPIRED")
    statuses = [
        p["status"]
        for p in (await (await gateway.get("/pdl", headers=user.bearer)).json())["usage_points"]
    ]
    assert statuses == ["expired", "revoked"]


async def test_isolation_matrix(gateway: Any, clean_services: Services) -> None:
    alice = await signup(gateway, "alice@example.org")
    bob = await signup(gateway, "bob@example.org")
    await consent(gateway, alice)
    await consent(gateway, bob, sandbox_customer="consumption_only")
    today = date.today()
    start, end = (today - timedelta(days=10)).isoformat(), (today - timedelta(days=3)).isoformat()
    routes = [
        ("GET", f"/__probe__/v5/{A_POINT}", None),
        ("GET", f"/__probe__/legacy/{A_POINT}", None),
        (
            "GET",
            f"/metering_data_dc/v5/daily_consumption?usage_point_id={A_POINT}"
            f"&start={start}&end={end}",
            None,
        ),
        ("GET", f"/customers_upc/v5/usage_points/contracts?usage_point_id={A_POINT}", None),
        ("PATCH", f"/pdl/{A_POINT}", {"name": "mine now"}),
        ("DELETE", f"/pdl/{A_POINT}", None),
    ]
    before = clean_services.sandbox_stats()
    for credentials in (bob.bearer, bob.basic):
        for method, path, body in routes:
            answer = await gateway.request(method, path, json=body, headers=credentials)
            assert answer.status in (403, 404), (method, path, answer.status, await answer.text())
    assert clean_services.sandbox_stats() == before, "no upstream call was made for Bob"
    points = (await (await gateway.get("/pdl", headers=alice.bearer)).json())["usage_points"]
    assert [(p["usage_point_id"], p["name"]) for p in points] == [
        (A_POINT, None),
        (DEFAULT_POINTS[1], None),
    ]
    bob_points = (await (await gateway.get("/pdl", headers=bob.bearer)).json())["usage_points"]
    assert [p["usage_point_id"] for p in bob_points] == ["09200000000001"]
    # Alice still reads her point
    assert (await gateway.get(f"/__probe__/v5/{A_POINT}", headers=alice.bearer)).status == 200


async def test_no_way_to_attach_an_arbitrary_point(gateway: Any) -> None:
    user = await signup(gateway, "attach@example.org")
    for method, path in [("POST", "/pdl"), ("PUT", f"/pdl/{A_POINT}"), ("POST", f"/pdl/{A_POINT}")]:
        answer = await gateway.request(
            method, path, json={"usage_point_id": A_POINT}, headers=user.bearer
        )
        assert answer.status in (404, 405)
    answer = await gateway.patch(f"/pdl/{A_POINT}", json={"name": "x"}, headers=user.bearer)
    assert answer.status == 404
    assert (await (await gateway.get("/pdl", headers=user.bearer)).json())["usage_points"] == []


def test_point_digest_hides_the_id() -> None:
    digest = Keyring(TEST_SECRET_KEY).point_digest("acc", A_POINT)
    assert A_POINT not in digest
