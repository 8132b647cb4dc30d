"""The pages in a real browser (headless Chromium driven by Playwright), against a gateway
served on a real port, the sandbox as Enedis and the embedded SMTP catcher.

A handful of flows, one browser each; each person is a browser context. Screenshots of
every page in both languages go to ``tests/web/screenshots/`` (not committed).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
import pytest

from gateway.config import Settings
from gateway.embedded import free_port
from gateway.web.mailcatcher import CATCHER, MailCatcher
from tests.conftest import Services
from tests.web.browser import SCREENSHOTS, launched
from tests.web.forms import PASSWORD


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    async for one in launched():
        yield one


@pytest.fixture
async def site(
    aiohttp_server: Any, clean_services: Services, catcher: MailCatcher
) -> AsyncIterator[str]:
    """The gateway on a real port, its public URL being that port."""
    from gateway.app import build_app

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = Settings.from_env(clean_services.env(PUBLIC_URL=base, SMTP_URL=catcher.url))
    app = build_app(settings)
    app[CATCHER] = catcher  # as `gateway dev` does: /dev/mails lists the caught e-mails
    await aiohttp_server(app, port=port)
    yield base


async def new_person(browser: Any, sandbox_url: str, base: str, customer: str | None) -> Any:
    """A browser context whose trips to the sandbox's consent page come back here."""
    context = await browser.new_context(locale="en-GB", viewport={"width": 1000, "height": 760})

    async def to_sandbox(route: Any) -> None:
        # The gateway's redirect to Enedis (the sandbox) gets the way back to this gateway;
        # the person then chooses on the sandbox's consent page (``customer`` None) or, for
        # a second person, a customer of their own is named.
        answer = await route.fetch(max_redirects=0)
        headers = dict(answer.headers)
        location = headers.get("location", "")
        if location.startswith(sandbox_url):
            headers["location"] = with_sandbox_choice(location, base, customer)
        await route.fulfill(response=answer, headers=headers)

    await context.route(f"{base}/meters/add", to_sandbox)
    return context


def with_sandbox_choice(url: str, base: str, customer: str | None) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    if customer is not None:
        query.setdefault("sandbox_customer", customer)
    query["redirect_uri"] = f"{base}/oauth/callback"
    return urlunsplit(parts._replace(query=urlencode(query)))


async def shoot(page: Any, name: str) -> None:
    """A screenshot of the page in its language, then in the other one (and back)."""
    SCREENSHOTS.mkdir(exist_ok=True)
    lang = await page.get_attribute("html", "lang")
    await page.screenshot(path=str(SCREENSHOTS / f"{name}-{lang}.png"), full_page=True)
    other = "fr" if lang == "en" else "en"
    await page.click(f"header .langs a[lang={other}]")
    assert await page.get_attribute("html", "lang") == other
    await page.screenshot(path=str(SCREENSHOTS / f"{name}-{other}.png"), full_page=True)
    await page.click(f"header .langs a[lang={lang}]")
    assert await page.get_attribute("html", "lang") == lang


async def readme_shot(page: Any, name: str) -> None:
    """The top of the page, small (the README's pictures are copied from these)."""
    await page.screenshot(
        path=str(SCREENSHOTS / f"{name}.png"), clip={"x": 0, "y": 0, "width": 1000, "height": 600}
    )


async def sign_up(page: Any, base: str, email: str) -> tuple[str, str]:
    await page.goto(f"{base}/signup")
    await page.fill("#email", email)
    await page.fill("#password", PASSWORD)
    await page.click("form[action='/signup'] button[type=submit]")
    client_id = (await page.text_content("#client-id")) or ""
    secret = (await page.text_content("#client-secret")) or ""
    assert client_id.startswith("gw_") and len(secret) > 20
    return client_id, secret


async def sign_in(page: Any, base: str, email: str) -> None:
    if not page.url.endswith("/signin"):
        await page.goto(f"{base}/signin")
    await page.fill("#email", email)
    await page.fill("#password", PASSWORD)
    await page.click("form[action='/signin'] button[type=submit]")


async def test_journey_of_a_person(
    browser: Any, site: str, clean_services: Services, catcher: MailCatcher
) -> None:
    context = await new_person(browser, clean_services.sandbox_url, site, None)
    page = await context.new_page()
    await page.goto(site + "/")
    assert await page.get_attribute("html", "lang") == "en"
    assert "Your Linky data" in (await page.text_content("h1") or "")
    await shoot(page, "01-home")

    # sign up: the credentials shown once, with the warning
    await page.goto(f"{site}/signup")
    await shoot(page, "02-signup")
    client_id, secret = await sign_up(page, site, "journey@example.org")
    assert "shows it once" in (await page.text_content(".warning") or "")
    await page.screenshot(path=str(SCREENSHOTS / "03-created-en.png"), full_page=True)

    # the cookie: HttpOnly, SameSite=Lax, not Secure on http
    cookie = next(c for c in await context.cookies() if c["name"] == "gw_session")
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Lax"
    assert cookie["secure"] is False

    # the address check from the caught e-mail
    await page.goto(f"{site}/dashboard")
    assert await page.is_visible(".banner")
    await page.goto(f"{site}/dev/mails")
    await shoot(page, "03-caught-mails")
    await page.click("a[href*='/email/verify?token=']")
    assert "confirmed" in (await page.text_content("main") or "")

    await page.goto(f"{site}/dashboard")
    assert not await page.is_visible(".banner")
    # add a meter: consent through the sandbox, back on the callback, signed in
    await page.click("form.add button[type=submit]")
    # Enedis' page (the sandbox's): the person accepts to share their first meter
    await page.click("button.accept[aria-label*='09100000000001']")
    await page.wait_for_url(re.compile(r"/consent/result$"))
    assert "09100000000001" in (await page.text_content("main") or "")
    await shoot(page, "04-consent-added")
    await page.click("text=Go to my meters")
    assert await page.is_visible("#meter-09100000000001")
    assert secret not in await page.content()
    await shoot(page, "05-dashboard")
    await readme_shot(page, "readme-dashboard")

    # its charts: SVG rendered here, nothing from elsewhere, the numbers as a table
    await page.click("#meter-09100000000001 a.button")
    await page.wait_for_selector("section.chart svg")
    html = await page.content()
    assert "<script>" not in html.split("<main", 1)[1]
    urls = set(re.findall(r"https?://[^\s\"'<>)]+", html.split("<main", 1)[1]))
    assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}, urls
    assert await page.locator("section.chart").count() == 3  # consumption, production, curve
    assert await page.locator("section.chart table tbody tr").count() > 30
    await shoot(page, "06-charts")
    await readme_shot(page, "readme-charts")

    # connect your software: this gateway's URL and the client_id, never the secret
    await page.click("text=Connect your software")
    snippets = await page.text_content("main") or ""
    assert f"{site}/oauth2/v3/token" in snippets and client_id in snippets
    assert secret not in snippets
    await shoot(page, "07-connect")

    # sign out, sign in again
    await page.click("header form[action='/signout'] button")
    assert "signed out" in (await page.text_content(".flash") or "")
    await page.goto(f"{site}/dashboard")
    assert page.url.endswith("/signin")
    await shoot(page, "08-signin")
    await sign_in(page, site, "journey@example.org")
    await page.wait_for_url(re.compile(r"/dashboard$"))

    # the credentials again, with the password
    await page.click("text=My credentials")
    await shoot(page, "09-credentials")
    await page.fill("#show-password", "not the password")
    await page.click("form[action='/credentials/show'] button")
    assert "not correct" in (await page.text_content(".errors") or "")
    await page.fill("#show-password", PASSWORD)
    await page.click("form[action='/credentials/show'] button")
    assert (await page.text_content("#client-secret")) == secret

    # rename, remove
    await page.goto(f"{site}/dashboard")
    await page.fill("#name-09100000000001", "Maison")
    await page.click("#meter-09100000000001 form.rename button")
    assert "Maison" in (await page.text_content("#meter-09100000000001 h2") or "")
    await page.click("#meter-09100000000001 button.danger")
    assert "09100000000001" in (await page.text_content(".flash") or "")
    assert not await page.is_visible("#meter-09100000000001")

    # delete the account: the confirmation box first
    await page.goto(f"{site}/credentials")
    await page.fill("#delete-password", PASSWORD)
    await page.click("form[action='/account/delete'] button")  # the box is required
    assert page.url.endswith("/credentials")
    await page.check("#delete-confirm")
    await page.click("form[action='/account/delete'] button")
    assert "deleted" in (await page.text_content(".flash") or "")
    with psycopg.connect(clean_services.postgres.url) as conn:
        assert conn.execute("SELECT count(*) FROM accounts").fetchone() == (0,)
    await context.close()


async def test_french_pages_and_refused_forgeries(
    browser: Any, site: str, clean_services: Services
) -> None:
    context = await browser.new_context(locale="fr-FR")
    page = await context.new_page()
    await page.goto(site + "/")
    assert await page.get_attribute("html", "lang") == "fr"
    assert "Vos données Linky" in (await page.text_content("h1") or "")
    await sign_up(page, site, "forge@example.org")
    await page.goto(f"{site}/dashboard")
    assert "Mes compteurs" in (await page.text_content("h1") or "")
    # a form whose token was tampered with: 403, and nothing changed (still signed in)
    await page.evaluate(
        "document.querySelector(\"header form[action='/signout'] input[name=csrf]\").value = 'x'"
    )
    await page.click("header form[action='/signout'] button")
    assert "Ce formulaire a expiré" in (await page.text_content("main") or "")
    await page.screenshot(path=str(SCREENSHOTS / "14-forgery-refused-fr.png"))
    await page.goto(f"{site}/dashboard")
    assert page.url.endswith("/dashboard")
    # a post from another site (no token, foreign Origin)
    answer = await context.request.post(
        f"{site}/account/delete",
        form={"password": PASSWORD, "confirm": "yes"},
        headers={"Origin": "https://evil.example"},
    )
    assert answer.status == 403
    with psycopg.connect(clean_services.postgres.url) as conn:
        assert conn.execute("SELECT count(*) FROM accounts").fetchone() == (1,)
    # the session cookie never authenticates an API call
    api = await context.request.get(f"{site}/pdl")
    assert api.status == 401
    # the pages of a forgotten password
    await page.click("header form[action='/signout'] button")
    await page.goto(f"{site}/signin")
    await page.click("text=Mot de passe oublié ?")
    await shoot(page, "11-forgot")
    await page.fill("#email", "forge@example.org")
    await page.click("form[action='/password/forgot'] button")
    assert "un lien est en route" in (await page.text_content(".flash") or "")
    await page.goto(f"{site}/dev/mails")
    await page.click("a[href*='/password/reset?token=']")
    await shoot(page, "12-reset")
    await page.goto(f"{site}/password/reset?token=forged")
    await shoot(page, "13-bad-link")
    await context.close()


async def test_a_consent_link_opened_elsewhere_attaches_nothing_until_its_owner_signs_in(
    browser: Any, site: str, clean_services: Services
) -> None:
    sandbox = clean_services.sandbox_url
    owner = await new_person(browser, sandbox, site, "consumption_only")
    owner_page = await owner.new_page()
    await sign_up(owner_page, site, "owner@example.org")
    await owner_page.goto(f"{site}/dashboard")
    # the owner starts a consent, but the link ends up in someone else's browser
    links: list[str] = []

    async def keep(route: Any) -> None:
        answer = await route.fetch(max_redirects=0)
        links.append(with_sandbox_choice(answer.headers["location"], site, "consumption_only"))
        await route.fulfill(status=204)

    await owner.unroute(f"{site}/meters/add")
    await owner.route(f"{site}/meters/add", keep)
    await owner_page.click("form.add button[type=submit]")
    assert links, "the consent did not go to Enedis"

    other = await new_person(browser, sandbox, site, "consumption_only")
    other_page = await other.new_page()
    await other_page.goto(links[0])
    await other_page.wait_for_url(re.compile(r"/oauth/callback"))
    assert await other_page.is_visible("text=Sign in to finish adding this meter")
    await other_page.screenshot(path=str(SCREENSHOTS / "10-sign-in-to-finish-en.png"))
    await owner_page.goto(f"{site}/dashboard")
    assert not await owner_page.is_visible("#meter-09200000000001")

    # someone else signed in there: still nothing for either account
    await sign_up(other_page, site, "other@example.org")
    await other_page.goto(f"{site}/consent/finish")
    await owner_page.reload()
    assert not await owner_page.is_visible("#meter-09200000000001")

    # the owner signs in in that browser: the meter is attached
    await other_page.click("header form[action='/signout'] button")
    await other_page.goto(links[0])
    await other_page.wait_for_url(re.compile(r"/oauth/callback"))
    await sign_in(other_page, site, "owner@example.org")
    await other_page.wait_for_url(re.compile(r"/consent/result$"))
    assert "09200000000001" in (await other_page.text_content("main") or "")
    await owner_page.reload()
    assert await owner_page.is_visible("#meter-09200000000001")
    await owner.close()
    await other.close()
