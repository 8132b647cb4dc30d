"""The consent seen from a browser: bound to the browser that holds the account, its result
pages, and the "almost there" wait page of a consent still being finished.

Binding (a security rule): a consent callback that arrives in a browser attaches meters
only when that browser is signed in to the account the ``state`` was issued to. Otherwise
nothing is attached and nothing is consumed: the callback's parameters are kept in this
browser's session and the sign-in page says "sign in to finish adding this meter"; once
the account that started the consent signs in here, ``/consent/finish`` completes it. So
a consent link of account A opened by someone else never attaches their meter to A. API
clients that ask for JSON (``Accept: application/json``, never a browser's navigation)
keep the callback as it was.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from urllib.parse import urlencode

from aiohttp import web
from aiohttp_session import get_session

from gateway import state
from gateway.accounts import crypto
from gateway.accounts.service import ConsentRefused, ConsentResult
from gateway.accounts.snapshot import state_key
from gateway.errors import GatewayError
from gateway.shared_store import REDIS_ERRORS
from gateway.web.i18n import translate
from gateway.web.pages import page, redirect
from gateway.web.render import language
from gateway.web.sessions import PENDING_CONSENT, signed_in

_KEPT = ("state", "code", "usage_point_id", "autorisation_id")


async def state_account(request: web.Request, state_value: str | None) -> str | None:
    """The account a live ``state`` was issued to (not consumed); None when unknown."""
    parts = crypto.split_state(state_value or "")
    if parts is None:
        return None
    state_id, expires_at, mac = parts
    store = request.app[state.STORE]
    try:
        raw = await store.client.get(state_key(state_id))
    except REDIS_ERRORS:
        return None
    if raw is None:
        return None
    account_id = raw.decode() if isinstance(raw, bytes) else str(raw)
    keyring = request.app[state.KEYRING]
    if not crypto.state_mac_ok(keyring, state_id, account_id, expires_at, mac):
        return None
    return account_id


async def unbound_callback(request: web.Request, params: Mapping[str, str]) -> web.Response | None:
    """For a browser's callback: None when this browser is signed in to the consent's
    account (go on), else the "sign in to finish" page (nothing attached, state kept)."""
    if params.get("error"):
        return None  # a refusal attaches nothing: let the callback record it
    owner = await state_account(request, params.get("state"))
    if owner is None:
        return None  # unknown state: the callback refuses it as usual
    user = await signed_in(request)
    if user is not None and hmac.compare_digest(user.principal.account_id, owner):
        return None
    session = await get_session(request)
    session[PENDING_CONSENT] = {key: params[key] for key in _KEPT if key in params}
    return await page(request, "signin.html", {"email": "", "errors": {}, "pending": True})


async def finish(request: web.Request) -> web.Response:
    """After sign-in: complete the consent kept in this browser, if it is this account's."""
    user = await signed_in(request)
    session = await get_session(request)
    pending = session.pop(PENDING_CONSENT, None)
    if user is None:
        raise redirect("/signin")
    if not isinstance(pending, dict):
        raise redirect("/dashboard")
    params = {str(key): str(value) for key, value in pending.items()}
    owner = await state_account(request, params.get("state"))
    if owner is None or not hmac.compare_digest(owner, user.principal.account_id):
        return await failed_page(
            request, GatewayError(400, "invalid_state", "Not this account's consent.")
        )
    # signed in as the consent's account now: the callback itself completes it (v1 or v2)
    raise redirect("/oauth/callback?" + urlencode(params))


# The outcome of the last consent of this browser, shown by ``/consent/result`` (so that
# the one-time callback is not what the browser reloads or asks in the other language).
_OUTCOME = "co"


async def _show(request: web.Request, outcome: dict[str, object]) -> web.Response:
    session = await get_session(request)
    session[_OUTCOME] = outcome
    raise redirect("/consent/result")


async def result_page(request: web.Request, result: ConsentResult) -> web.Response:
    return await _show(request, {"kind": "added", "prms": list(result.usage_point_ids)})


async def refused_page(request: web.Request, refused: ConsentRefused) -> web.Response:
    return await _show(
        request, {"kind": "refused", "code": refused.enedis_error, "status": refused.status}
    )


async def failed_page(request: web.Request, error: GatewayError) -> web.Response:
    return await _show(request, {"kind": "failed", "code": error.code, "status": error.status})


def outcome_values(lang: str, outcome: dict[str, object]) -> tuple[dict[str, object], int]:
    """The consent page's title, message and status for a stored outcome."""
    kind = outcome.get("kind")
    code = str(outcome.get("code", ""))
    status = outcome.get("status", 200)
    if kind == "added":
        raw = outcome.get("prms")
        prms = [str(prm) for prm in raw] if isinstance(raw, list) else []
        key = "consent.added" if len(prms) == 1 else "consent.added_many"
        message = translate(lang, key, prm=", ".join(prms))
        return {"title": "consent.added_title", "message": message, "show_trap": False}, 200
    if kind == "refused":
        message = (
            translate(lang, "consent.refused")
            if code == "access_denied"
            else translate(lang, "consent.error", code=code)
        )
        title = "consent.refused_title"
    else:
        key = "consent.invalid_state" if code == "invalid_state" else "error.generic"
        message = translate(lang, key)
        title = "consent.failed_title"
    values: dict[str, object] = {"title": title, "message": message, "show_trap": True}
    return values, status if isinstance(status, int) and 400 <= status < 500 else 400


async def result(request: web.Request) -> web.Response:
    """``/consent/result``: the outcome of this browser's last consent."""
    session = await get_session(request)
    outcome = session.get(_OUTCOME)
    if not isinstance(outcome, dict):
        raise redirect("/dashboard")
    values, status = outcome_values(language(request), outcome)
    return await page(request, "consent.html", values, status=status)


async def wait_page(
    request: web.Request, status_url: str, *, refresh_seconds: int = 2
) -> web.Response:
    """The "almost there" page: refreshes itself to ``status_url`` (no JavaScript) until
    the handler behind it answers a result page instead (the v2 exchange's hook)."""
    return await page(
        request,
        "wait.html",
        {"status_url": status_url, "refresh_seconds": refresh_seconds},
        status=202,
    )
