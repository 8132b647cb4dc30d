"""History import on consent: the whole history fetched in the background, at the lowest
priority, resumable, stopped when the point or the account goes."""

from __future__ import annotations

import asyncio
import re
import time
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import aiohttp
import psycopg

from gateway import state
from gateway.app import build_app
from gateway.config import Settings
from gateway.enedis.catalogue import BY_NAME
from gateway.enedis.rules import paris_today
from gateway.quota import UPSTREAM
from tests.conftest import Services
from tests.imports.conftest import import_env
from tests.support.journey import Account, consent, get_token, ready_account, signup
from tests.support.sandbox import query
from tests.web.test_pages import sign_up

CURVE = BY_NAME["consumption_load_curve"]
DAILY = BY_NAME["daily_consumption"]


async def history_of(client: Any, account: Account) -> dict[str, Any]:
    answer = await client.get("/pdl", headers=account.bearer)
    assert answer.status == 200, await answer.text()
    (point,) = (await answer.json())["usage_points"]
    history: dict[str, Any] = point["history"]
    return history


async def wait_history(
    client: Any, account: Account, done: Any, timeout: float = 180.0
) -> dict[str, Any]:
    """Poll ``/pdl`` until ``done(history)``; the last history seen."""
    deadline = time.monotonic() + timeout
    while True:
        history = await history_of(client, account)
        if done(history):
            return history
        assert time.monotonic() < deadline, f"history import stuck at {history}"
        await asyncio.sleep(0.5)


async def account_id_of(client: Any, account: Account) -> str:
    answer = await client.get("/accounts/me", headers=account.bearer)
    body: dict[str, Any] = await answer.json()
    return str(body["account_id"])


async def test_consent_imports_the_whole_history_then_requests_are_hits(
    gateway: Any, clean_services: Services
) -> None:
    account = await ready_account(gateway, customer="import-whole-history")
    (point,) = account.usage_points
    first = await history_of(gateway, account)
    assert first["status"] in {"pending", "running", "complete"}
    history = await wait_history(gateway, account, lambda h: h["status"] == "complete")
    assert history["progress"] == 1.0
    assert history["days_cached"]["consumption_load_curve"] >= 730
    assert history["days_cached"]["daily_consumption"] >= 1095
    calls_after_import = clean_services.sandbox_stats()["calls"]
    today = paris_today()
    for endpoint, days in ((CURVE, 730), (DAILY, 3 * 365)):
        params = query(point, endpoint, today - timedelta(days=days), today)
        answer = await gateway.get(endpoint.path, params=params, headers=account.bearer)
        assert answer.status == 200, await answer.text()
        assert answer.headers["X-Cache-Status"] == "HIT"
    assert clean_services.sandbox_stats()["calls"] == calls_after_import
    usages = await gateway.app[state.QUOTAS].read(await account_id_of(gateway, account))
    assert usages[UPSTREAM].used == 0
    exposition = await (await gateway.get("/metrics")).text()
    assert 'gateway_import_queue{status="complete"} 1' in exposition
    assert re.search(r'gateway_import_calls_total\{outcome="made"\} \d+', exposition)
    assert "gateway_import_duration_seconds_count" in exposition


def _keys_of(services: Services, account_id: str, kind: str = "") -> list[bytes]:
    client = services.redis()
    try:
        return list(client.scan_iter(match="{a:" + account_id + "}:" + kind + "*", count=1000))
    finally:
        client.close()


def _import_jobs_left(services: Services) -> int:
    with psycopg.connect(services.postgres.url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing')"
        ).fetchone()
    assert row is not None
    return int(row[0])


async def _until(predicate: Any, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.2)


async def test_deleting_the_account_during_its_import_stops_it_and_leaves_no_key(
    gateway: Any, clean_services: Services
) -> None:
    account = await ready_account(gateway, customer="import-deleted-account")
    account_id = await account_id_of(gateway, account)
    await wait_history(gateway, account, lambda h: h["status"] == "running" and h["progress"] > 0)
    assert _keys_of(clean_services, account_id, "ik")  # the key, sealed, for the import
    answer = await gateway.request(
        "DELETE", "/accounts/me", json={"password": account.password}, headers=account.bearer
    )
    assert answer.status == 204
    await _until(lambda: _import_jobs_left(clean_services) == 0)
    assert _keys_of(clean_services, account_id) == []
    calls = clean_services.sandbox_stats()["calls"]
    assert sum(calls.values()) < 100  # stopped well before the 117 calls of the import


async def test_removing_the_point_during_its_import_stops_it(
    gateway: Any, clean_services: Services
) -> None:
    account = await ready_account(gateway, customer="import-removed-point")
    (point,) = account.usage_points
    account_id = await account_id_of(gateway, account)
    await wait_history(gateway, account, lambda h: h["status"] == "running" and h["progress"] > 0)
    answer = await gateway.request("DELETE", f"/pdl/{point}", headers=account.bearer)
    assert answer.status == 204
    await _until(lambda: _import_jobs_left(clean_services) == 0)
    assert _keys_of(clean_services, account_id, "c") == []  # no cache entry, no index
    assert _keys_of(clean_services, account_id, "ik") == []  # no key
    assert sum(clean_services.sandbox_stats()["calls"].values()) < 100


async def test_interactive_requests_go_first_during_an_import(
    gateway: Any, clean_services: Services
) -> None:
    importing = await ready_account(gateway, customer="import-busy-importer")
    other = await ready_account(gateway, customer="import-busy-reader")
    (point,) = other.usage_points
    await wait_history(gateway, importing, lambda h: h["status"] == "running" and h["progress"] > 0)
    today = paris_today()
    durations: list[float] = []
    # one new day per second, old ones: the reader's own import fetches the recent first
    for back in range(700, 712):
        day = today - timedelta(days=back)
        started = time.monotonic()
        answer = await gateway.get(
            CURVE.path,
            params=query(point, CURVE, day, day + timedelta(days=1)),
            headers=other.bearer,
        )
        elapsed = time.monotonic() - started
        assert answer.status == 200, await answer.text()
        assert answer.headers["X-Cache-Status"] == "MISS"
        durations.append(elapsed)
        await asyncio.sleep(max(0.0, 1.0 - elapsed))
    assert (await history_of(gateway, importing))["status"] == "running"  # still importing
    durations.sort()
    assert durations[int(len(durations) * 0.95) - 1] <= 1.5, durations
    stats = clean_services.sandbox_stats()
    assert max(stats["max_calls_per_second_by_api"].values()) <= 5
    assert not any(stats["rate_limited_by_api"].values())


async def test_the_dashboard_shows_the_import(gateway: Any) -> None:
    created = await sign_up(gateway, "dashboard-import@example.org")
    secret = re.search(r'id="client-secret">([^<]+)<', created)
    client_id = re.search(r'id="client-id">([^<]+)<', created)
    assert secret is not None and client_id is not None
    account = Account("dashboard-import@example.org", "", client_id.group(1), secret.group(1))
    await consent(gateway, account, "import-dashboard")
    page = await (await gateway.get("/dashboard", headers={"Accept-Language": "en"})).text()
    assert "History" in page and "<progress" in page
    assert re.search(r"import waiting to start|importing: \d+ %|imported: \d+ days", page), page
    page = await (await gateway.get("/dashboard", headers={"Accept-Language": "fr"})).text()
    assert "Historique" in page


async def test_an_import_without_the_key_waits_for_the_account_s_next_request(
    gateway: Any, clean_services: Services
) -> None:
    account = await signup(gateway)
    answer = await gateway.get(
        "/oauth/authorize", auth=account.basic, headers={"Accept": "application/json"}
    )
    url = (await answer.json())["url"] + "&sandbox_customer=import-key-lost"
    account_id = await account_id_of_basic(gateway, account)
    client = clean_services.redis()
    try:  # the key is lost before the consent completes (Redis lost, a consent too slow)
        assert client.delete("{a:" + account_id + "}:ik") == 1
    finally:
        client.close()
    async with (
        aiohttp.ClientSession() as session,
        session.get(url, allow_redirects=False) as redirect,
    ):
        location = redirect.headers["Location"]
    callback = await gateway.get(
        "/oauth/callback",
        params=dict(parse_qsl(urlsplit(location).query)),
        headers={"Accept": "application/json"},
    )
    assert callback.status == 200, await callback.text()
    await get_token(gateway, account)
    # pending until an authenticated request of the account brings the key back
    await wait_history(gateway, account, lambda h: h["status"] == "running", timeout=60)
    assert _keys_of(clean_services, account_id, "ik")


async def account_id_of_basic(client: Any, account: Account) -> str:
    answer = await client.get("/accounts/me", auth=account.basic)
    body: dict[str, Any] = await answer.json()
    return str(body["account_id"])


async def test_a_revoked_consent_ends_the_import(gateway: Any, clean_services: Services) -> None:
    account = await ready_account(gateway, customer="import-revoked")
    await wait_history(gateway, account, lambda h: h["status"] == "running" and h["progress"] > 0)
    with psycopg.connect(clean_services.postgres.url, autocommit=True) as conn:
        conn.execute("UPDATE usage_points SET consent_status = 'revoked'")
    history = await wait_history(gateway, account, lambda h: h["status"] == "failed", timeout=30)
    assert history["progress"] < 1.0
    await _until(lambda: _import_jobs_left(clean_services) == 0)
    account_id = await account_id_of(gateway, account)
    assert _keys_of(clean_services, account_id, "ik") == []  # its last import ended


async def test_an_import_survives_a_loss_of_redis(
    aiohttp_client: Any, clean_services: Services
) -> None:
    settings = Settings.from_env(import_env(clean_services, IMPORT_HISTORY_DAYS="120"))
    gateway = await aiohttp_client(build_app(settings))
    account = await ready_account(gateway, customer="import-redis-lost")
    await wait_history(gateway, account, lambda h: h["progress"] > 0.1)
    clean_services.valkey.stop()  # the cache, the key and the limiter's state: all gone
    try:
        stalled = await history_of(gateway, account)  # /pdl is served from PostgreSQL
        assert stalled["status"] in {"running", "pending"}
    finally:
        clean_services.valkey.start()
    # the job is tried again; the key lost with Redis comes back with the account's requests
    history = await wait_history(gateway, account, lambda h: h["status"] == "complete")
    assert history["days_cached"]["consumption_load_curve"] >= 119
    (point,) = account.usage_points
    today = paris_today()
    params = query(point, CURVE, today - timedelta(days=119), today)
    answer = await gateway.get(CURVE.path, params=params, headers=account.bearer)
    assert answer.headers["X-Cache-Status"] == "HIT"
    assert await _import_jobs_done(clean_services)


async def _import_jobs_done(services: Services) -> bool:
    await _until(lambda: _import_jobs_left(services) == 0)
    return True
