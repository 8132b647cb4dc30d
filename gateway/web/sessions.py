"""Browser sessions of the web pages: who is signed in, and ending every session at once.

The session lives in a cookie encrypted and authenticated with a key derived from the
server key (aiohttp-session's ``EncryptedCookieStorage``, Fernet): ``HttpOnly``,
``SameSite=Lax``, ``Secure`` when ``PUBLIC_URL`` is https, valid ``SESSION_TTL_SECONDS``
after the last visit (each page re-seals it: sliding).

What it holds once signed in: an access token of the account (``crypto.TokenCodec``, the
very format of Bearer tokens: the account's cache key inside, sealed by the server key),
made at sign-in from the password-unsealed client secret, and the account's session epoch.
So a page is authenticated by the same checks as a Bearer token (token version: a secret
rotation, a password reset or a deletion ends it), plus the epoch: ``{a:<id>}:web`` in
Redis holds a random value that sign-out replaces, which ends every session of the account
on every replica. The cookie is read by the web pages only: the API's auth stage reads the
``Authorization`` header and nothing else, so a session never authenticates an API call.
"""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import dataclass

from aiohttp import web
from aiohttp.typedefs import Middleware
from aiohttp_session import Session, get_session, new_session, session_middleware
from aiohttp_session.cookie_storage import EncryptedCookieStorage

from gateway import redis_keys, state
from gateway.accounts import crypto
from gateway.accounts.principal import Principal
from gateway.accounts.repository import AccountRow
from gateway.client_address import client_address
from gateway.config import Settings
from gateway.errors import GatewayError
from gateway.keyring import account_cache_key, hkdf
from gateway.shared_store import REDIS_ERRORS, SharedStore

SESSION_COOKIE = "gw_session"
_TOKEN = "t"
_EPOCH = "e"
_EMAIL = "m"
CSRF_FIELD = "csrf"
#: a consent whose callback arrived in this browser, waiting for its account to sign in
PENDING_CONSENT = "pc"
# re-seal the cookie (slide its lifetime) at most this often
_SLIDE_SECONDS = 60


def epoch_key(account_id: str) -> str:
    """The account's current session epoch (replaced at sign-out)."""
    return redis_keys.web_epoch_key(account_id)


def session_stage(settings: Settings) -> Middleware:
    """The aiohttp-session middleware with the gateway's cookie policy."""
    key = hkdf(
        settings.secret_key.encode(), salt=b"enedis-gateway", info=b"enedis-gateway/web-session/v1"
    )
    storage = EncryptedCookieStorage(
        key,  # 32 raw bytes (aiohttp-session encodes them for Fernet)
        cookie_name=SESSION_COOKIE,
        max_age=settings.session_ttl,
        httponly=True,
        samesite="Lax",
        secure=settings.base_url.startswith("https://"),
    )
    middleware: Middleware = session_middleware(storage)
    return middleware


@dataclass(frozen=True, slots=True)
class SignedIn:
    """The account of a signed-in browser."""

    principal: Principal
    email: str
    token: str  # an access token of the account (for sub-requests through the chain)


async def _epoch(store: SharedStore, account_id: str, *, create: bool) -> str | None:
    """The account's session epoch (created when ``create``); None when Redis is down."""
    try:
        if create:
            await store.client.set(epoch_key(account_id), secrets.token_urlsafe(12), nx=True)
        raw = await store.client.get(epoch_key(account_id))
    except REDIS_ERRORS as exc:
        store.mark_down(exc)
        return None
    if raw is None:
        return ""
    return raw.decode() if isinstance(raw, bytes) else str(raw)


def _token(request: web.Request, principal: Principal) -> str:
    settings = request.app[state.SETTINGS]
    claims = crypto.TokenClaims(
        principal.account_id,
        principal.client_id,
        principal.token_version,
        int(time.time()) + settings.session_ttl,
        principal.cache_key,
    )
    return request.app[state.ACCOUNTS].tokens.encode(claims)


async def sign_in(request: web.Request, account: AccountRow, client_secret: str) -> None:
    """A fresh session (new cookie: no fixation) for ``account``."""
    principal = Principal(
        account.id,
        account.client_id,
        account_cache_key(client_secret, account.id),
        account.token_version,
    )
    epoch = await _epoch(request.app[state.STORE], account.id, create=True)
    session = await new_session(request)
    session[_TOKEN] = _token(request, principal)
    session[_EPOCH] = epoch or ""
    session[_EMAIL] = account.email
    session[CSRF_FIELD] = secrets.token_urlsafe(24)
    session["s"] = int(time.time())


async def signed_in(request: web.Request) -> SignedIn | None:
    """The signed-in account of this browser, or None (no session, or it has ended)."""
    session = await get_session(request)
    token = session.get(_TOKEN)
    if not isinstance(token, str):
        return None
    accounts = request.app[state.ACCOUNTS]
    try:
        principal = await accounts.authenticate(
            f"Bearer {token}", allow_raw_secret=False, client_address=client_address(request)
        )
    except GatewayError as error:
        if error.status >= 500:
            raise
        _forget(session)
        return None
    epoch = await _epoch(request.app[state.STORE], principal.account_id, create=False)
    # Redis down (None): the token checks against PostgreSQL alone decide
    if epoch is not None and not hmac.compare_digest(epoch, str(session.get(_EPOCH, ""))):
        _forget(session)
        return None
    now = int(time.time())
    if now - int(session.get("s", 0)) >= _SLIDE_SECONDS:
        session[_TOKEN] = token = _token(request, principal)
        session["s"] = now
    return SignedIn(principal, str(session.get(_EMAIL, "")), token)


def _forget(session: Session) -> None:
    csrf = session.get(CSRF_FIELD)
    session.clear()
    if csrf:
        session[CSRF_FIELD] = csrf


async def end_all_sessions(request: web.Request, account_id: str) -> None:
    """Sign the account out of every browser (a new epoch), and this one."""
    store = request.app[state.STORE]
    try:
        await store.client.set(epoch_key(account_id), secrets.token_urlsafe(12))
    except REDIS_ERRORS as exc:
        store.mark_down(exc)
    session = await get_session(request)
    _forget(session)


async def csrf_token(request: web.Request) -> str:
    """The session's anti-forgery token (created with the session)."""
    session = await get_session(request)
    token = session.get(CSRF_FIELD)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(24)
        session[CSRF_FIELD] = token
    return token


__all__ = [
    "CSRF_FIELD",
    "PENDING_CONSENT",
    "SESSION_COOKIE",
    "SignedIn",
    "csrf_token",
    "end_all_sessions",
    "session_stage",
    "sign_in",
    "signed_in",
]
