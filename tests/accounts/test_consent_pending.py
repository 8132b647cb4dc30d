"""Consent v2 while Enedis still records it: subscribed_services lists nothing for a
while. A JSON caller waits (CONSENT_EXCHANGE_MAX_SECONDS) then gets the answer or a 503
with Retry-After; a browser gets the "almost there" page, which completes by itself."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gateway.app import build_app
from gateway.config import Settings
from tests.accounts.flows import authorize_location, enedis_redirect, signup
from tests.conftest import Services
from tests.support.polling import poll
from tests.support.processes import ChildProcess, running_sandbox, upstream_at
from tests.web.forms import Browser


@pytest.fixture
def slow_sandbox(tmp_path: Path) -> Iterator[ChildProcess]:
    """A sandbox that lists a consent's services 2 s after it was given."""
    with running_sandbox(tmp_path, {"SANDBOX_SUBSCRIPTION_DELAY_SECONDS": "2"}) as sandbox:
        yield sandbox


async def _gateway(
    aiohttp_client: Any, services: Services, sandbox: ChildProcess, **env: str
) -> Any:
    settings = services.env(**upstream_at(sandbox), **env)
    return await aiohttp_client(build_app(Settings.from_env(settings)))


async def test_a_json_caller_waits_for_enedis(
    aiohttp_client: Any, clean_services: Services, slow_sandbox: ChildProcess
) -> None:
    gateway = await _gateway(aiohttp_client, clean_services, slow_sandbox)
    user = await signup(gateway, "patient@example.org")
    query = await enedis_redirect(await authorize_location(gateway, user))
    answer = await gateway.get(
        "/oauth/callback", params=query, headers={"Accept": "application/json"}
    )
    assert answer.status == 200, await answer.text()
    assert (await answer.json())["usage_points"] == ["09100000000001"]


async def test_a_json_caller_out_of_time_gets_503_then_completes(
    aiohttp_client: Any, clean_services: Services, slow_sandbox: ChildProcess
) -> None:
    gateway = await _gateway(
        aiohttp_client, clean_services, slow_sandbox, CONSENT_EXCHANGE_MAX_SECONDS="0.5"
    )
    user = await signup(gateway, "hurried@example.org")
    query = await enedis_redirect(await authorize_location(gateway, user))
    answer = await gateway.get(
        "/oauth/callback", params=query, headers={"Accept": "application/json"}
    )
    assert answer.status == 503, await answer.text()
    assert "Retry-After" in answer.headers
    assert (await answer.json())["code"] == "consent_pending"
    assert (await (await gateway.get("/pdl", headers=user.bearer)).json())["usage_points"] == []


async def test_a_browser_meets_the_almost_there_page(
    aiohttp_client: Any, clean_services: Services, slow_sandbox: ChildProcess
) -> None:
    gateway = await _gateway(aiohttp_client, clean_services, slow_sandbox)
    user = await signup(gateway, "browser-wait@example.org")
    browser = Browser.of(gateway)
    try:
        status, _ = await browser.sign_in(user.email)
        assert status == 200
        query = await enedis_redirect(await authorize_location(gateway, user))
        async with browser.session.get(
            browser.base + "/oauth/callback", params=query, allow_redirects=False
        ) as page:
            text = await page.text()
            assert page.status == 202, text
        refresh = re.search(r'url=([^"]+)"', text)
        assert refresh is not None, text
        target = html.unescape(refresh.group(1))
        assert target.startswith("/oauth/callback?pending=")

        async def completed() -> bool:
            async with browser.session.get(browser.base + target) as again:
                return again.status == 200 and "09100000000001" in await again.text()

        await poll(completed, timeout=15, interval=0.5)
    finally:
        await browser.close()
    points = (await (await gateway.get("/pdl", headers=user.bearer)).json())["usage_points"]
    assert [p["usage_point_id"] for p in points] == ["09100000000001"]
