"""The web pages without a browser: languages, anti-forgery, forms, cookie flags."""

from __future__ import annotations

import re
from typing import Any

import pytest
from aiohttp import BasicAuth

from gateway.web.i18n import MESSAGES, choose_language
from gateway.web.mailcatcher import MailCatcher
from tests.web.forms import PASSWORD, csrf_of


def test_every_text_exists_in_both_languages() -> None:
    placeholders = re.compile(r"\{(\w+)\}")
    for key, (english, french) in MESSAGES.items():
        assert english.strip() and french.strip(), key
        assert english != french or key in {"chart.date"}, key
        assert set(placeholders.findall(english)) == set(placeholders.findall(french)), key


@pytest.mark.parametrize(
    ("cookie", "header", "expected"),
    [
        (None, "fr-FR,fr;q=0.9,en;q=0.8", "fr"),
        (None, "en-GB,en;q=0.9", "en"),
        (None, "de-DE, en;q=0.5, fr;q=0.7", "fr"),
        ("en", "fr", "en"),
        ("xx", None, "fr"),
        (None, "en;q=0", "fr"),
    ],
)
def test_language_choice(cookie: str | None, header: str | None, expected: str) -> None:
    assert choose_language(cookie, header) == expected


async def test_home_follows_accept_language_and_the_switch(gateway: Any) -> None:
    french = await gateway.get("/", headers={"Accept-Language": "fr"})
    assert french.status == 200 and french.content_type == "text/html"
    assert '<html lang="fr">' in await french.text()
    assert "Vos données Linky" in await french.text()
    english = await gateway.get("/", headers={"Accept-Language": "en"})
    assert '<html lang="en">' in await english.text()
    assert "Your Linky data" in await english.text()
    switched = await gateway.get("/lang/en?next=/signup", allow_redirects=False)
    assert switched.status == 303 and switched.headers["Location"] == "/signup"
    again = await gateway.get("/", headers={"Accept-Language": "fr"})
    assert '<html lang="en">' in await again.text()  # the cookie wins
    outside = await gateway.get("/lang/fr?next=//evil.example/", allow_redirects=False)
    assert outside.headers["Location"] == "/"


async def sign_up(gateway: Any, email: str) -> str:
    form = await gateway.get("/signup", headers={"Accept-Language": "en"})
    token = csrf_of(await form.text())
    answer = await gateway.post(
        "/signup",
        data={"csrf": token, "email": email, "password": PASSWORD},
        headers={"Origin": str(gateway.make_url("")).rstrip("/"), "Accept-Language": "en"},
    )
    text = await answer.text()
    assert answer.status == 201, text
    return text


async def test_forms_without_their_token_change_nothing(gateway: Any) -> None:
    origin = {"Origin": str(gateway.make_url("")).rstrip("/")}
    form = await gateway.get("/signup")
    token = csrf_of(await form.text())
    data = {"email": "nocsrf@example.org", "password": PASSWORD}
    for attempt in ({**data}, {**data, "csrf": "forged"}):
        answer = await gateway.post("/signup", data=attempt, headers=origin)
        assert answer.status == 403 and answer.content_type == "text/html"
    other_site = await gateway.post(
        "/signup", data={**data, "csrf": token}, headers={"Origin": "https://evil.example"}
    )
    assert other_site.status == 403
    no_origin = await gateway.post("/signup", data={**data, "csrf": token})
    assert no_origin.status == 403
    signin = await gateway.post(
        "/signin",
        data={"email": data["email"], "password": PASSWORD, "csrf": token},
        headers=origin,
    )
    assert signin.status == 401  # no account was created by the refused posts


async def test_sign_up_shows_the_secret_once_and_mails_a_check(
    gateway: Any, catcher: MailCatcher
) -> None:
    text = await sign_up(gateway, "page@example.org")
    secret = re.search(r'id="client-secret">([^<]+)<', text)
    assert secret is not None
    session_cookie = gateway.session.cookie_jar.filter_cookies(gateway.make_url("/"))
    assert "gw_session" in session_cookie
    dashboard = await gateway.get("/dashboard", headers={"Accept-Language": "en"})
    page = await dashboard.text()
    assert dashboard.status == 200 and "My meters" in page
    assert secret.group(1) not in page
    assert "not confirmed yet" in page
    mails = catcher.mails
    assert len(mails) == 1 and mails[0].to == "page@example.org"
    link = re.search(r"(http\S+/email/verify\?token=\S+)", mails[0].body)
    assert link is not None
    path = link.group(1).split("gateway.test", 1)[1]
    verified = await gateway.get(path, headers={"Accept-Language": "en"})
    assert verified.status == 200 and "is confirmed" in await verified.text()
    again = await gateway.get("/dashboard", headers={"Accept-Language": "en"})
    assert "not confirmed yet" not in await again.text()
    client_id = re.search(r'id="client-id">([^<]+)<', text)
    assert client_id is not None
    me = await gateway.get("/accounts/me", auth=BasicAuth(client_id.group(1), secret.group(1)))
    assert (await me.json())["email_verified_at"] is not None


async def test_the_session_cookie_is_secure_behind_https(
    aiohttp_client: Any, clean_services: Any
) -> None:
    from gateway.app import build_app
    from gateway.config import Settings

    settings = Settings.from_env(clean_services.env(PUBLIC_URL="https://gateway.example"))
    client = await aiohttp_client(build_app(settings))
    answer = await client.get("/signup")
    cookie = answer.headers["Set-Cookie"]
    assert cookie.startswith("gw_session=")
    flags = {part.strip().lower() for part in cookie.split(";")}
    assert {"httponly", "secure", "samesite=lax"} <= flags
    assert "max-age=604800" in flags


async def test_every_form_refuses_a_post_without_its_token(gateway: Any) -> None:
    """Every state-changing route of the pages: 403 without the token, signed in or not."""
    from gateway.routing import ROUTE_SPECS, Surface

    app = gateway.server.app
    specs = app[ROUTE_SPECS]
    posts = sorted(
        {
            route.resource.canonical.rstrip("/")
            for route in app.router.routes()
            if route.method == "POST"
            and route.resource is not None
            and specs[f"POST {route.resource.canonical}"].surface is Surface.WEB
        }
    )
    assert "/signout" in posts and "/account/delete" in posts and len(posts) >= 12
    origin = {"Origin": str(gateway.make_url("")).rstrip("/")}
    for signed_in in (False, True):
        if signed_in:
            await sign_up(gateway, "every@example.org")
        for path in posts:
            concrete = path.replace("{usage_point_id}", "09100000000001")
            answer = await gateway.post(
                concrete, data={"password": PASSWORD, "confirm": "yes"}, headers=origin
            )
            assert answer.status == 403, (signed_in, path, answer.status)
    dashboard = await gateway.get("/dashboard", allow_redirects=False)
    assert dashboard.status == 200  # still signed in: the forged sign-out did nothing


async def test_sign_up_rules_in_french_and_a_revoked_meter(
    gateway: Any, clean_services: Any
) -> None:
    import psycopg

    from tests.support.journey import Account, consent

    origin = {"Origin": str(gateway.make_url("")).rstrip("/"), "Accept-Language": "fr"}
    form = await gateway.get("/signup", headers=origin)
    token = csrf_of(await form.text())
    answer = await gateway.post(
        "/signup",
        data={"csrf": token, "email": "pas-une-adresse", "password": "court"},
        headers=origin,
    )
    text = await answer.text()
    assert answer.status == 422
    assert "Saisissez une adresse e-mail valide." in text
    assert "Le mot de passe doit comporter entre 12 et 1024 caractères." in text
    created = await sign_up(gateway, "revoked@example.org")
    secret = re.search(r'id="client-secret">([^<]+)<', created)
    client_id = re.search(r'id="client-id">([^<]+)<', created)
    assert secret is not None and client_id is not None
    account = Account("revoked@example.org", PASSWORD, client_id.group(1), secret.group(1))
    await consent(gateway, account, "consumption_only")
    with psycopg.connect(clean_services.postgres.url, autocommit=True) as conn:
        conn.execute("UPDATE usage_points SET consent_status = 'revoked'")
    page = await (await gateway.get("/dashboard", headers={"Accept-Language": "en"})).text()
    assert "revoked" in page and "Give consent again" in page and "See the charts" not in page


async def test_failed_sign_ins_are_throttled(gateway: Any) -> None:
    await sign_up(gateway, "throttle@example.org")
    gateway.session.cookie_jar.clear()
    origin = {"Origin": str(gateway.make_url("")).rstrip("/"), "Accept-Language": "en"}
    token = csrf_of(await (await gateway.get("/signin")).text())
    statuses = []
    for _ in range(12):
        answer = await gateway.post(
            "/signin",
            data={"csrf": token, "email": "throttle@example.org", "password": "wrong password!"},
            headers=origin,
        )
        statuses.append(answer.status)
    assert statuses[0] == 401 and statuses[-1] == 429
    assert "Too many failed attempts" in await answer.text()
