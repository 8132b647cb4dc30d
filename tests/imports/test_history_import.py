"""History import on consent: the whole history fetched in the background, at the lowest
priority, resumable, stopped when the point or the account goes."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import Any

from gateway import state
from gateway.enedis.catalogue import BY_NAME
from gateway.enedis.rules import paris_today
from gateway.quota import UPSTREAM
from tests.conftest import Services
from tests.support.journey import Account, ready_account
from tests.support.sandbox import query

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
