"""Sessions of the web pages: ended everywhere at once, never an API credential; password
reset by e-mail; charts through the chain (charged, then from cache)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiohttp import web

from gateway import routing, state
from gateway.quota import CACHED, UPSTREAM
from gateway.routing import RouteSpec, Surface
from gateway.web import charts
from gateway.web.consent import wait_page
from gateway.web.mailcatcher import MailCatcher
from tests.accounts.flows import basic
from tests.support.journey import Account, consent
from tests.web.forms import PASSWORD, Browser


@pytest.fixture
async def browsers(gateway: Any) -> AsyncIterator[Callable[[], Browser]]:
    opened: list[Browser] = []

    def new() -> Browser:
        opened.append(Browser.of(gateway))
        return opened[-1]

    yield new
    for one in opened:
        await one.close()


async def test_sign_out_ends_every_session_of_the_account(
    gateway: Any, browsers: Callable[[], Browser]
) -> None:
    laptop, phone, stranger = browsers(), browsers(), browsers()
    await laptop.sign_up("two@example.org")
    await stranger.sign_up("three@example.org")
    status, _ = await phone.sign_in("two@example.org")
    assert status == 200 and await phone.signed_in()
    status, _ = await phone.post("/dashboard", "/signout")
    assert status == 200
    assert not await phone.signed_in() and not await laptop.signed_in()
    assert await stranger.signed_in()  # another account's sessions live on


async def test_a_new_secret_ends_the_other_sessions(
    gateway: Any, browsers: Callable[[], Browser]
) -> None:
    laptop, phone = browsers(), browsers()
    old_secret = await laptop.sign_up("rotate@example.org")
    await phone.sign_in("rotate@example.org")
    status, html = await laptop.post("/credentials", "/credentials/rotate", password=PASSWORD)
    assert status == 200, html
    new_secret = re.search(r'id="client-secret">([^<]+)<', html)
    assert new_secret is not None and new_secret.group(1) != old_secret
    assert await laptop.signed_in() and not await phone.signed_in()


async def test_the_session_cookie_is_no_api_credential(
    gateway: Any, browsers: Callable[[], Browser]
) -> None:
    person = browsers()
    await person.sign_up("cookie@example.org")
    async with person.session.get(person.base + "/pdl", headers={"Accept": "*/*"}) as answer:
        assert answer.status == 401


async def test_password_reset_by_mail_issues_a_new_secret(
    gateway: Any, browsers: Callable[[], Browser], catcher: MailCatcher
) -> None:
    person, elsewhere = browsers(), browsers()
    old_secret = await person.sign_up("forgot@example.org")
    await elsewhere.sign_in("forgot@example.org")
    stranger = browsers()
    status, html = await stranger.post(
        "/password/forgot", "/password/forgot", email="forgot@example.org"
    )
    assert status == 200 and "a link is on its way" in html
    status, html = await stranger.post(
        "/password/forgot", "/password/forgot", email="nobody@example.org"
    )
    assert "a link is on its way" in html  # the same answer for an unknown address
    mail = catcher.mails[-1]
    assert mail.to == "forgot@example.org" and "new client secret" in mail.body
    link = re.search(r"http://gateway\.test(/password/reset\?token=\S+)", mail.body)
    assert link is not None
    status, html = await stranger.get(link.group(1))
    assert status == 200 and "a new one will be issued" in html
    status, html = await stranger.post(link.group(1), link.group(1), password="short")
    assert status == 422 and "12 to 1024 characters" in html
    new_password = "a brand new long password"
    status, html = await stranger.post(link.group(1), link.group(1), password=new_password)
    assert status == 200, html
    assert "old one no longer works" in html
    # the link works once; the other sessions ended; the old secret and password are gone
    status, _ = await stranger.get(link.group(1))
    assert status == 400
    assert not await person.signed_in() and not await elsewhere.signed_in()
    token = await gateway.post(
        "/oauth2/v3/token",
        data={"grant_type": "client_credentials"},
        headers={
            "Authorization": basic(re.findall(r'id="client-id">([^<]+)<', html)[0], old_secret)
        },
    )
    assert token.status == 401
    status, _ = await person.sign_in("forgot@example.org")
    assert status == 401
    status, _ = await person.sign_in("forgot@example.org", new_password)
    assert status == 200 and await person.signed_in()


async def test_charts_go_through_the_chain(gateway: Any, browsers: Callable[[], Browser]) -> None:
    person = browsers()
    secret = await person.sign_up("charts@example.org")
    _, html = await person.get("/credentials")
    client_id = re.findall(r'id="client-id">([^<]+)<', html)[0]
    await consent(gateway, Account("charts@example.org", PASSWORD, client_id, secret))
    app = gateway.server.app
    accounts = app[state.ACCOUNTS]
    row = (await accounts.pool.fetchrow("SELECT id FROM accounts"))["id"]
    status, html = await person.get("/meters/09100000000001/charts")
    assert status == 200, html
    assert html.count("<svg") == 3 and "<script" not in html.split("<main", 1)[1]
    first = await app[state.QUOTAS].read(str(row))
    assert first[UPSTREAM].used >= 3  # consumption, production, load curve: fetched
    status, _ = await person.get("/meters/09100000000001/charts")
    second = await app[state.QUOTAS].read(str(row))
    assert second[UPSTREAM].used == first[UPSTREAM].used  # then answered from cache
    assert second[CACHED].used == first[CACHED].used + 3
    status, html = await person.get("/meters/09900000000001/charts")
    assert status == 404  # not this account's meter


def test_chart_svg_loads_nothing_from_elsewhere() -> None:
    svg = charts.render(charts.Series("t", ["01/11", "02/11"], [1.5, 2.0]), bars=True)
    assert "<script" not in svg and "<!--" not in svg
    assert set(re.findall(r"https?://[^\s\"'<>)]+", svg)) <= {"http://www.w3.org/2000/svg"}


async def test_the_wait_page_refreshes_itself(aiohttp_client: Any, settings: Any) -> None:
    from gateway.app import build_app

    async def waiting(request: web.Request) -> web.Response:
        return await wait_page(request, "/consent/status?id=abc", refresh_seconds=3)

    app = build_app(settings)
    routing.add(app, "GET", "/__wait__", waiting, RouteSpec(Surface.WEB, name="test.wait"))
    client = await aiohttp_client(app)
    answer = await client.get("/__wait__", headers={"Accept-Language": "en"})
    html = await answer.text()
    assert answer.status == 202
    assert '<meta http-equiv="refresh" content="3;url=/consent/status?id=abc">' in html
    assert "Almost there" in html
