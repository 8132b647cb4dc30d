"""Consent through the gateway: authorize, the sandbox's consent page, the callback."""

from __future__ import annotations

import re
import secrets
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import psycopg

from gateway.accounts.crypto import sign_state
from gateway.accounts.snapshot import state_key
from gateway.keyring import Keyring
from tests.accounts.flows import (
    DEFAULT_POINTS,
    authorize_location,
    consent,
    enedis_redirect,
    problem,
    signup,
)
from tests.conftest import SANDBOX_CLIENT_ID, TEST_SECRET_KEY, Services


async def test_signup_token_consent_pdl(gateway: Any) -> None:
    user = await signup(gateway, "flow@example.org")
    location = await authorize_location(gateway, user)
    parts = urlsplit(location)
    query = parse_qs(parts.query)
    assert parts.path == "/dataconnect/v2/oauth2/authorize"
    assert query["client_id"] == [SANDBOX_CLIENT_ID]
    assert query["response_type"] == ["code"]
    assert query["duration"] == ["P36M"]
    assert len(query["state"][0]) <= 100

    result = await consent(gateway, user)
    assert sorted(result["usage_points"]) == DEFAULT_POINTS
    assert (result["new"], result["existing"]) == (2, 0)

    answer = await gateway.get("/pdl", headers=user.bearer)
    assert answer.status == 200
    points = (await answer.json())["usage_points"]
    assert [p["usage_point_id"] for p in points] == DEFAULT_POINTS
    for point in points:
        assert point["status"] == "active"
        start = datetime.fromisoformat(point["consent_start"])
        expires = datetime.fromisoformat(point["consent_expires_at"])
        assert abs((datetime.now(UTC) - start).total_seconds()) < 300
        assert 1090 <= (expires - start).days <= 1097  # 36 months

    again = await consent(gateway, user)
    assert (again["new"], again["existing"]) == (0, 2)
    other = await consent(gateway, user, sandbox_customer="consumption_only")
    assert other == {"usage_points": ["09200000000001"], "new": 1, "existing": 0}
    assert len((await (await gateway.get("/pdl", headers=user.bearer)).json())["usage_points"]) == 3


async def test_authorize_as_json(gateway: Any) -> None:
    user = await signup(gateway, "json@example.org")
    answer = await gateway.get(
        "/oauth/authorize", headers={**user.bearer, "Accept": "application/json"}
    )
    assert answer.status == 200
    url = (await answer.json())["url"]
    assert "state=" in url and "response_type=code" in url


async def test_state_is_one_time(gateway: Any) -> None:
    user = await signup(gateway, "replay@example.org")
    query = await enedis_redirect(await authorize_location(gateway, user))
    first = await gateway.get("/oauth/callback", params=query)
    assert first.status == 200
    replay = await gateway.get("/oauth/callback", params=query)
    await problem(replay, 400, field="state", code="invalid_state")


async def test_forged_state_is_refused(gateway: Any) -> None:
    user = await signup(gateway, "forged@example.org")
    query = await enedis_redirect(await authorize_location(gateway, user))
    state_id, expires, mac = query["state"].split(".")
    # another expiry under the same id: the MAC no longer matches (and the state is burnt)
    forged = {**query, "state": f"{state_id}.{int(expires) + 3600}.{mac}"}
    await problem(await gateway.get("/oauth/callback", params=forged), 400, field="state")
    await problem(await gateway.get("/oauth/callback", params=query), 400, field="state")
    # made up entirely, or missing
    made_up = {**query, "state": f"{secrets.token_urlsafe(16)}.{int(time.time()) + 60}.AAAA"}
    await problem(await gateway.get("/oauth/callback", params=made_up), 400, field="state")
    missing = {k: v for k, v in query.items() if k != "state"}
    await problem(await gateway.get("/oauth/callback", params=missing), 400, field="state")
    # signed with another server key, for a state id the gateway did issue
    query = await enedis_redirect(await authorize_location(gateway, user))
    state_id, expires, _ = query["state"].split(".")
    other = sign_state(
        Keyring("another-server-key-0123456789abcdefghijkl"),
        state_id,
        user.account_id,
        int(expires),
    )
    await problem(
        await gateway.get("/oauth/callback", params={**query, "state": other}), 400, field="state"
    )
    assert (await (await gateway.get("/pdl", headers=user.bearer)).json())["usage_points"] == []


async def test_state_bound_to_another_account_is_refused(
    gateway: Any, clean_services: Services
) -> None:
    alice = await signup(gateway, "alice-state@example.org")
    mallory = await signup(gateway, "mallory-state@example.org")
    query = await enedis_redirect(await authorize_location(gateway, alice))
    state_id, expires, _ = query["state"].split(".")
    # a state signed for Mallory, presented under Alice's stored id
    swapped = sign_state(Keyring(TEST_SECRET_KEY), state_id, mallory.account_id, int(expires))
    await problem(
        await gateway.get("/oauth/callback", params={**query, "state": swapped}), 400, field="state"
    )


async def test_expired_state_is_refused(gateway: Any, clean_services: Services) -> None:
    user = await signup(gateway, "expired@example.org")
    state_id = secrets.token_urlsafe(16)
    past = int(time.time()) - 1
    client = clean_services.redis()
    try:
        client.set(state_key(state_id), user.account_id.encode(), ex=600)
    finally:
        client.close()
    state = sign_state(Keyring(TEST_SECRET_KEY), state_id, user.account_id, past)
    answer = await gateway.get(
        "/oauth/callback", params={"autorisation_id": "123456789", "state": state}
    )
    body = await problem(answer, 400, field="state", code="invalid_state")
    assert "expired" in body["detail"]
    assert (await (await gateway.get("/pdl", headers=user.bearer)).json())["usage_points"] == []


async def test_refused_consent_records_nothing(gateway: Any, clean_services: Services) -> None:
    user = await signup(gateway, "refuse@example.org")
    query = await enedis_redirect(await authorize_location(gateway, user, sandbox_refuse="1"))
    assert query["error"] == "access_denied"
    answer = await gateway.get("/oauth/callback", params=query)
    await problem(answer, 403, field="error", code="consent_refused")
    assert (await (await gateway.get("/pdl", headers=user.bearer)).json())["usage_points"] == []
    with psycopg.connect(clean_services.postgres.url) as conn:
        rows = conn.execute("SELECT outcome, usage_point_count FROM consent_audit").fetchall()
    assert rows == [("refused", 0)]
    # a browser gets a page
    query = await enedis_redirect(await authorize_location(gateway, user, sandbox_refuse="1"))
    page = await gateway.get(
        "/oauth/callback", params=query, headers={"Accept": "text/html", "Accept-Language": "en"}
    )
    assert page.status == 403
    assert page.content_type == "text/html"
    assert "You refused the consent" in await page.text()


async def test_browser_gets_a_page_and_audit_has_no_ids(
    gateway: Any, clean_services: Services
) -> None:
    user = await signup(gateway, "browser@example.org")
    query = await enedis_redirect(await authorize_location(gateway, user))
    browser = {"Accept": "text/html,application/xhtml+xml", "Accept-Language": "en"}
    # a browser not signed in to the account of the consent: nothing attached, sign in first
    page = await gateway.get("/oauth/callback", params=query, headers=browser)
    assert page.status == 200 and page.content_type == "text/html"
    assert "Sign in to finish adding this meter" in await page.text()
    assert (await (await gateway.get("/pdl", headers=user.bearer)).json())["usage_points"] == []
    # signed in there (the web form), the consent is finished: a page naming the points
    form = await gateway.get("/signin")
    token = re.search(r'name="csrf" value="([^"]+)"', await form.text())
    assert token is not None
    page = await gateway.post(
        "/signin",
        data={"csrf": token.group(1), "email": user.email, "password": user.password},
        headers={**browser, "Origin": str(gateway.make_url("")).rstrip("/")},
    )
    assert page.status == 200 and page.content_type == "text/html"
    text = await page.text()
    assert "09100000000001 can now be read" in text
    with psycopg.connect(clean_services.postgres.url) as conn:
        rows = conn.execute(
            "SELECT outcome, usage_point_count, coalesce(detail, '') FROM consent_audit"
        ).fetchall()
    assert rows == [("granted", 1, "")]


async def test_malformed_redirects(gateway: Any) -> None:
    user = await signup(gateway, "malformed@example.org")
    for value in ["abc", "", "12345678901234567890", "-1"]:
        query = await enedis_redirect(await authorize_location(gateway, user))
        query["autorisation_id"] = value
        answer = await gateway.get("/oauth/callback", params=query)
        await problem(answer, 400, field="autorisation_id")
    assert (await (await gateway.get("/pdl", headers=user.bearer)).json())["usage_points"] == []


async def test_a_forged_v1_callback_attaches_nothing(gateway: Any) -> None:
    """A state of one's own account with someone else's meter number, in the v1 form."""
    mallory = await signup(gateway, "mallory-v1@example.org")
    query = await enedis_redirect(await authorize_location(gateway, mallory))
    forged = {"state": query["state"], "code": "x", "usage_point_id": "09200000000001"}
    answer = await gateway.get("/oauth/callback", params=forged)
    await problem(answer, 400, field="usage_point_id", code="v1_consent_refused")
    assert (await (await gateway.get("/pdl", headers=mallory.bearer)).json())["usage_points"] == []


async def test_someone_elses_autorisation_id_attaches_nothing(gateway: Any) -> None:
    alice = await signup(gateway, "alice-v2@example.org")
    mallory = await signup(gateway, "mallory-v2@example.org")
    query = await enedis_redirect(
        await authorize_location(gateway, alice, sandbox_customer="consumption_only")
    )
    granted = await gateway.get("/oauth/callback", params=query)
    assert granted.status == 200, await granted.text()
    # Mallory's own state, Alice's autorisation_id (replayed the same day)
    own = await enedis_redirect(
        await authorize_location(gateway, mallory, sandbox_customer="mallory-home")
    )
    stolen = {"state": own["state"], "autorisation_id": query["autorisation_id"]}
    answer = await gateway.get("/oauth/callback", params=stolen)
    await problem(answer, 409, field="autorisation_id", code="consent_already_used")
    assert (await (await gateway.get("/pdl", headers=mallory.bearer)).json())["usage_points"] == []
    alice_points = (await (await gateway.get("/pdl", headers=alice.bearer)).json())["usage_points"]
    assert [p["usage_point_id"] for p in alice_points] == ["09200000000001"]


async def test_a_revoked_autorisation_attaches_nothing(
    gateway: Any, clean_services: Services
) -> None:
    user = await signup(gateway, "stale-v2@example.org")
    query = await enedis_redirect(
        await authorize_location(gateway, user, sandbox_customer="consumption_only")
    )
    clean_services.sandbox_call("POST", "/__sandbox/revoke", {"usage_point_id": "09200000000001"})
    answer = await gateway.get("/oauth/callback", params=query)
    await problem(answer, 403, field="autorisation_id", code="consent_not_verified")
    assert (await (await gateway.get("/pdl", headers=user.bearer)).json())["usage_points"] == []


async def test_a_fresh_consent_moves_the_meter(gateway: Any, clean_services: Services) -> None:
    first = await signup(gateway, "first-holder@example.org")
    second = await signup(gateway, "second-holder@example.org")
    await consent(gateway, first, sandbox_customer="consumption_only")
    with psycopg.connect(clean_services.postgres.url, autocommit=True) as conn:
        # the first share was given on an earlier day
        conn.execute("UPDATE usage_points SET service_start = service_start - 1")
    moved = await consent(gateway, second, sandbox_customer="consumption_only")
    assert moved["usage_points"] == ["09200000000001"]
    assert (await (await gateway.get("/pdl", headers=first.bearer)).json())["usage_points"] == []
    with psycopg.connect(clean_services.postgres.url) as conn:
        outcomes = [r[0] for r in conn.execute("SELECT outcome FROM consent_audit ORDER BY id")]
    assert "moved" in outcomes


async def test_consent_done_url(aiohttp_client: Any, settings_env: dict[str, str]) -> None:
    from gateway.app import build_app
    from gateway.config import Settings

    client = await aiohttp_client(
        build_app(
            Settings.from_env({**settings_env, "CONSENT_DONE_URL": "https://app.example.org/done"})
        )
    )
    user = await signup(client, "done@example.org")
    query = await enedis_redirect(await authorize_location(client, user))
    answer = await client.get("/oauth/callback", params=query, allow_redirects=False)
    assert answer.status == 302
    location = answer.headers["Location"]
    assert location.startswith("https://app.example.org/done?")
    assert "consent=granted" in location and "new=1" in location
    assert "0910000000000" not in location
    query = await enedis_redirect(await authorize_location(client, user, sandbox_refuse="1"))
    answer = await client.get("/oauth/callback", params=query, allow_redirects=False)
    assert answer.status == 302
    assert "consent=refused" in answer.headers["Location"]
