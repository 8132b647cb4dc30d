"""The account's pages: credentials (shown with the password), rotation, deletion, the
"connect your software" snippets, the address check and the password reset."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web
from aiohttp_session import get_session

from gateway import state
from gateway.accounts import email_checks, schemas
from gateway.accounts.repository import AccountRow
from gateway.client_address import client_address
from gateway.errors import GatewayError
from gateway.web import flash, mail
from gateway.web.csrf import checked_form
from gateway.web.i18n import translate
from gateway.web.mailcatcher import CATCHER
from gateway.web.pages import (
    auth_error_message,
    page,
    redirect,
    require_user,
    signup_errors,
)
from gateway.web.render import language
from gateway.web.sessions import SignedIn, end_all_sessions, sign_in


async def credentials_page(request: web.Request) -> web.Response:
    user = await require_user(request)
    return await page(
        request,
        "credentials.html",
        {"client_id": user.principal.client_id, "errors": {}},
        user=user,
    )


async def _confirmed(
    request: web.Request, user: SignedIn, password: str
) -> AccountRow | web.Response:
    """The account once ``password`` is confirmed, or the page again with the error."""
    accounts = request.app[state.ACCOUNTS]
    try:
        if not password:
            raise GatewayError(401, "invalid_credentials", "missing", field="password")
        return await accounts.confirm_password(
            principal=user.principal,
            email=None,
            password=password,
            client_address=client_address(request),
        )
    except GatewayError as error:
        message = auth_error_message(language(request), error)
        return await page(
            request,
            "credentials.html",
            {"client_id": user.principal.client_id, "errors": {"show-password": message}},
            status=429 if error.code == "too_many_attempts" else 401,
            user=user,
        )


def _secret_page_values(
    request: web.Request, title: str, warning: str, client_id: str, secret: str
) -> dict[str, object]:
    """The page of a secret shown once, with the snippets filled with it."""
    lang = language(request)
    base_url = request.app[state.SETTINGS].base_url
    return {
        "snippets": snippets(base_url, client_id, secret),
        "title": translate(lang, title),
        "warning": translate(lang, warning),
        "client_id": client_id,
        "client_secret": secret,
        "verify_email": "",
        "next_url": "/connect",
        "next_label": translate(lang, "nav.connect"),
    }


async def show_credentials(request: web.Request) -> web.Response:
    form = await checked_form(request)  # first: a forged post changes nothing
    user = await require_user(request)
    confirmed = await _confirmed(request, user, form.get("password", ""))
    if isinstance(confirmed, web.Response):
        return confirmed
    shown = await request.app[state.ACCOUNTS].reveal_credentials(confirmed, form["password"])
    return await page(
        request,
        "created.html",
        _secret_page_values(
            request, "creds.title", "created.warning", shown.client_id, shown.client_secret
        ),
        user=user,
    )


async def rotate_secret(request: web.Request) -> web.Response:
    form = await checked_form(request)  # first: a forged post changes nothing
    user = await require_user(request)
    confirmed = await _confirmed(request, user, form.get("password", ""))
    if isinstance(confirmed, web.Response):
        return confirmed
    accounts = request.app[state.ACCOUNTS]
    rotated = await accounts.rotate_secret(confirmed, form["password"], request.app[state.CACHE])
    await end_all_sessions(request, confirmed.id)
    found = await accounts.account(confirmed.id)
    if found is None:
        raise redirect("/")
    await sign_in(request, found[0], rotated.client_secret)  # this browser stays signed in
    return await page(
        request,
        "created.html",
        _secret_page_values(
            request, "creds.rotate", "creds.rotated", rotated.client_id, rotated.client_secret
        ),
    )


async def delete_account(request: web.Request) -> web.Response:
    form = await checked_form(request)  # first: a forged post changes nothing
    user = await require_user(request)
    if form.get("confirm") != "yes":
        return await page(
            request,
            "credentials.html",
            {
                "client_id": user.principal.client_id,
                "errors": {"delete-confirm": translate(language(request), "err.confirm_delete")},
            },
            status=422,
            user=user,
        )
    confirmed = await _confirmed(request, user, form.get("password", ""))
    if isinstance(confirmed, web.Response):
        return confirmed
    await request.app[state.ACCOUNTS].delete_account(confirmed.id, request.app[state.CACHE])
    session = await get_session(request)
    session.clear()
    await flash.put(request, "creds.deleted")
    raise redirect("/")


# -- connect your software -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Snippet:
    title: str
    hint: str
    text: str


def snippets(base_url: str, client_id: str, secret: str) -> list[Snippet]:
    """What each kind of software needs, filled with this gateway's URL and the account."""
    token_url = f"{base_url}/oauth2/v3/token"
    account = f"client_id: {client_id}\nclient_secret: {secret}"
    return [
        Snippet(
            "connect.v5",
            "connect.v5_hint",
            f"base_url: {base_url}\ntoken_url: {token_url}\n{account}\n"
            f"# {base_url}/metering_data_dc/v5/daily_consumption?usage_point_id=...",
        ),
        Snippet(
            "connect.v2026",
            "connect.v5_hint",
            f"base_url: {base_url}\ntoken_url: {token_url}\n{account}\n"
            f"# {base_url}/mesure_synchrone_auto/v2/consommation_quotidienne?...",
        ),
        Snippet("connect.legacy", "connect.legacy_hint", f"url: {base_url}\ntoken: {secret}"),
        Snippet(
            "connect.curl",
            "",
            f"curl -s -X POST {token_url} \\\n"
            f"  -d grant_type=client_credentials -d client_id={client_id} \\\n"
            f"  -d client_secret={secret}\n\n"
            f"curl -s -u {client_id}:{secret} {base_url}/pdl",
        ),
    ]


async def connect_page(request: web.Request) -> web.Response:
    user = await require_user(request)
    settings = request.app[state.SETTINGS]
    placeholder = translate(language(request), "connect.secret_placeholder")
    return await page(
        request,
        "connect.html",
        {"snippets": snippets(settings.base_url, user.principal.client_id, placeholder)},
        user=user,
    )


# -- e-mail: address check, password reset -------------------------------------------------


async def verify_email(request: web.Request) -> web.Response:
    lang = language(request)
    try:
        await email_checks.confirm_address(
            request.app[state.ACCOUNTS], request.query.get("token", "")
        )
    except GatewayError as error:
        if error.status >= 500:
            raise
        return await page(
            request,
            "message.html",
            {"title": "error.title", "message": translate(lang, "verify.bad")},
            status=400,
        )
    return await page(
        request,
        "message.html",
        {
            "title": "verify.done",
            "message": translate(lang, "verify.done"),
            "next_url": "/dashboard",
            "next_label": "nav.dashboard",
        },
    )


async def resend_verification(request: web.Request) -> web.Response:
    await checked_form(request)  # first: a forged post changes nothing
    user = await require_user(request)
    found = await request.app[state.ACCOUNTS].account(user.principal.account_id)
    if found is not None and await mail.send_verification(request, found[0]):
        await flash.put(request, "banner.sent")
    raise redirect("/dashboard")


def _forgot_values(email: str = "") -> dict[str, object]:
    return {
        "title": "forgot.title",
        "hint": "forgot.hint",
        "action": "/password/forgot",
        "submit": "forgot.submit",
        "fields": [
            {
                "name": "email",
                "label": "form.email",
                "type": "email",
                "autocomplete": "email",
                "value": email,
            }
        ],
        "errors": {},
    }


async def forgot_form(request: web.Request) -> web.Response:
    return await page(request, "form.html", _forgot_values())


async def forgot(request: web.Request) -> web.Response:
    form = await checked_form(request)
    email = form.get("email", "").strip()
    accounts = request.app[state.ACCOUNTS]
    if email and len(email) <= schemas.EMAIL_MAX:
        row = await email_checks.account_by_email(accounts, email)
        if row is not None:
            await mail.send_reset(request, row)
    # the same answer whether or not an account uses the address
    await flash.put(request, "forgot.sent")
    raise redirect("/signin")


def _reset_values(token: str, errors: dict[str, str]) -> dict[str, object]:
    return {
        "title": "reset.title",
        "hint": "reset.hint",
        "action": f"/password/reset?token={token}",
        "submit": "reset.submit",
        "fields": [
            {
                "name": "password",
                "label": "form.new_password",
                "type": "password",
                "autocomplete": "new-password",
            }
        ],
        "errors": errors,
    }


async def _reset_link_page(request: web.Request) -> web.Response:
    return await page(
        request,
        "message.html",
        {"title": "error.title", "message": translate(language(request), "verify.bad")},
        status=400,
    )


async def reset_form(request: web.Request) -> web.Response:
    token = request.query.get("token", "")
    try:
        await email_checks.reset_account(request.app[state.ACCOUNTS], token)
    except GatewayError as error:
        if error.status >= 500:
            raise
        return await _reset_link_page(request)
    return await page(request, "form.html", _reset_values(token, {}))


async def reset(request: web.Request) -> web.Response:
    form = await checked_form(request)
    token = request.query.get("token", "")
    lang = language(request)
    accounts = request.app[state.ACCOUNTS]
    try:
        row = await email_checks.reset_account(accounts, token)
    except GatewayError as error:
        if error.status >= 500:
            raise
        return await _reset_link_page(request)
    errors, loaded = signup_errors(lang, {"email": row.email, "password": form.get("password", "")})
    if errors:
        return await page(request, "form.html", _reset_values(token, errors), status=422)
    credentials = await email_checks.reset_password(
        accounts, token, loaded["password"], request.app[state.CACHE]
    )
    await end_all_sessions(request, row.id)
    found = await accounts.account(row.id)
    if found is not None:
        await sign_in(request, found[0], credentials.client_secret)
    return await page(
        request,
        "created.html",
        _secret_page_values(
            request, "reset.title", "reset.done", credentials.client_id, credentials.client_secret
        ),
    )


async def dev_mails(request: web.Request) -> web.Response:
    catcher = request.app.get(CATCHER)
    if catcher is None:
        raise GatewayError(404, "not_found", "No route matches this path.")
    return await page(request, "mails.html", {"mails": list(reversed(catcher.mails))})
