"""The pages of a visitor: home, sign up, sign in, sign out, the language switch."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp_session import get_session
from marshmallow import ValidationError

from gateway import state
from gateway.accounts import email_checks, schemas
from gateway.accounts.repository import AccountRow
from gateway.client_address import client_address
from gateway.errors import GatewayError
from gateway.web import flash, mail
from gateway.web.csrf import checked_form
from gateway.web.i18n import LANG_COOKIE, LANGUAGES, translate
from gateway.web.render import language, render
from gateway.web.sessions import (
    PENDING_CONSENT,
    SignedIn,
    csrf_token,
    end_all_sessions,
    sign_in,
    signed_in,
)

_SIGNUP = schemas.SignupRequest()
LANG_COOKIE_SECONDS = 365 * 86400


async def page(
    request: web.Request,
    template: str,
    values: dict[str, Any] | None = None,
    *,
    status: int = 200,
    user: SignedIn | None = None,
) -> web.Response:
    """``template`` with the session's context (user, anti-forgery token, flash message)."""
    if user is None:
        user = await signed_in(request)
    unverified = False
    if user is not None:
        unverified = not await email_checks.is_verified(
            request.app[state.ACCOUNTS], user.principal.account_id
        )
    return render(
        request,
        template,
        {
            "user": user,
            "csrf": await csrf_token(request),
            "flash": await flash.take(request, language(request)),
            "unverified": unverified,
            **(values or {}),
        },
        status=status,
    )


def redirect(location: str) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(location, headers={"Cache-Control": "no-store"})


def local_path(target: str | None, default: str = "/") -> str:
    """``target`` when it is a path of this site (no scheme, no host), else ``default``."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or "\\" in target:
        return default
    return target


async def require_user(request: web.Request) -> SignedIn:
    """The signed-in account, or a redirect to the sign-in page."""
    user = await signed_in(request)
    if user is None:
        raise redirect("/signin")
    return user


def auth_error_message(lang: str, error: GatewayError) -> str:
    """The words for a failed password check (the API's codes)."""
    if error.code == "too_many_attempts":
        return translate(lang, "err.throttled", seconds=error.headers.get("Retry-After", "60"))
    if error.code == "invalid_credentials" and error.field == "password":
        return translate(lang, "err.password")
    if error.code == "invalid_credentials":
        return translate(lang, "err.credentials")
    raise error


async def home(request: web.Request) -> web.Response:
    return await page(request, "home.html")


async def language_switch(request: web.Request) -> web.Response:
    code = request.match_info["code"]
    if code not in LANGUAGES:
        raise GatewayError(404, "not_found", "No such language.")
    response = redirect(local_path(request.query.get("next")))
    response.set_cookie(
        LANG_COOKIE, code, max_age=LANG_COOKIE_SECONDS, samesite="Lax", httponly=True, path="/"
    )
    raise response


# -- sign up ----------------------------------------------------------------------------------


def signup_errors(lang: str, form: dict[str, str]) -> tuple[dict[str, str], dict[str, Any]]:
    """The API's sign-up rules (its schema), with the messages in ``lang``."""
    try:
        loaded = _SIGNUP.load(
            {"email": form.get("email", ""), "password": form.get("password", "")}
        )
    except ValidationError as exc:
        errors: dict[str, str] = {}
        if "email" in exc.messages:
            errors["email"] = translate(lang, "err.email")
        if "password" in exc.messages:
            errors["password"] = translate(
                lang, "err.password_length", min=schemas.PASSWORD_MIN, max=schemas.PASSWORD_MAX
            )
        return errors, {}
    assert isinstance(loaded, dict)
    return {}, loaded


async def signup_form(request: web.Request) -> web.Response:
    return await page(request, "signup.html", {"email": "", "errors": {}})


async def signup(request: web.Request) -> web.Response:
    form = await checked_form(request)
    lang = language(request)
    values = {"email": form.get("email", ""), "password": form.get("password", "")}
    errors, loaded = signup_errors(lang, values)
    accounts = request.app[state.ACCOUNTS]
    if not errors:
        try:
            account_id, credentials = await accounts.signup(
                loaded["email"], loaded["password"], client_address=client_address(request)
            )
        except GatewayError as error:
            if error.code != "email_taken":
                raise
            errors["email"] = translate(lang, "err.email_taken")
    if errors:
        return await page(
            request, "signup.html", {"email": values["email"], "errors": errors}, status=422
        )
    found = await accounts.account(account_id)
    assert found is not None
    row: AccountRow = found[0]
    await sign_in(request, row, credentials.client_secret)
    sent = await mail.send_verification(request, row)
    return await page(
        request,
        "created.html",
        {
            "title": translate(lang, "created.title"),
            "warning": translate(lang, "created.warning"),
            "client_id": credentials.client_id,
            "client_secret": credentials.client_secret,
            "verify_email": row.email if sent else "",
            "next_url": "/dashboard#add",
            "add_meter": True,
            "next_label": translate(lang, "created.next"),
        },
        status=201,
    )


# -- sign in / out --------------------------------------------------------------------------


async def signin_form(request: web.Request) -> web.Response:
    session = await get_session(request)
    pending = bool(session.get(PENDING_CONSENT))
    return await page(request, "signin.html", {"email": "", "errors": {}, "pending": pending})


async def signin(request: web.Request) -> web.Response:
    form = await checked_form(request)
    lang = language(request)
    email = form.get("email", "").strip()
    password = form.get("password", "")
    accounts = request.app[state.ACCOUNTS]
    try:
        if not email or not password:
            raise GatewayError(401, "invalid_credentials", "missing", field="email")
        row = await accounts.confirm_password(
            principal=None, email=email, password=password, client_address=client_address(request)
        )
        credentials = await accounts.reveal_credentials(row, password)
    except GatewayError as error:
        message = auth_error_message(lang, error)
        status = 429 if error.code == "too_many_attempts" else 401
        session = await get_session(request)
        return await page(
            request,
            "signin.html",
            {
                "email": email,
                "errors": {"email": message},
                "pending": bool(session.get(PENDING_CONSENT)),
            },
            status=status,
        )
    session = await get_session(request)
    pending = session.get(PENDING_CONSENT)
    await sign_in(request, row, credentials.client_secret)
    if pending:
        (await get_session(request))[PENDING_CONSENT] = pending
        raise redirect("/consent/finish")
    raise redirect("/dashboard")


async def signout(request: web.Request) -> web.Response:
    await checked_form(request)
    user = await signed_in(request)
    if user is not None:
        await end_all_sessions(request, user.principal.account_id)
    await flash.put(request, "signout.done")
    raise redirect("/")
