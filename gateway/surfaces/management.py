"""Management surface: accounts, tokens, consent, usage points and admin routes.

JSON in and out; errors as RFC 9457 problem details naming the faulty field, except the
token routes (``/oauth2/v3/token``, its alias ``/accounts/token``, ``/oauth2/v3/revoke``)
which answer in the Enedis token dialect.
"""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from gateway import routing, state
from gateway.accounts import schemas
from gateway.accounts.consent import check_usage_point_id
from gateway.accounts.http import asks_json, load_json, validate, wants_json
from gateway.accounts.repository import UsagePointRow
from gateway.accounts.service import ConsentRefused, invalid_client, parse_basic
from gateway.errors import GatewayError
from gateway.middlewares.auth import client_address, principal_of
from gateway.routing import Auth, RouteSpec, Surface

_SIGNUP = schemas.SignupRequest()
_PASSWORD = schemas.PasswordRequest()
_RENAME = schemas.RenameRequest()
_ADMIN_LIST = schemas.AdminListQuery()
_CREDENTIALS = schemas.CredentialsResponse()
_TOKEN = schemas.TokenResponse()
_ACCOUNT = schemas.AccountResponse()
_POINT = schemas.UsagePointResponse()
_POINTS = schemas.UsagePointListResponse()
_CONSENT = schemas.ConsentResultResponse()
_ADMIN_ACCOUNTS = schemas.AdminAccountListResponse()
_ADMIN_ACTION = schemas.AdminActionResponse()

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _json(schema: Any, data: Any, *, status: int = 200, secret: bool = False) -> web.Response:
    return web.json_response(schema.dump(data), status=status, headers=NO_STORE if secret else None)


# -- accounts -----------------------------------------------------------------------------------


async def signup(request: web.Request) -> web.Response:
    body = await load_json(request, _SIGNUP)
    _, credentials = await request.app[state.ACCOUNTS].signup(body["email"], body["password"])
    response = _json(_CREDENTIALS, credentials, status=201, secret=True)
    response.headers["Location"] = "/accounts/me"
    return response


async def _confirmed(request: web.Request) -> tuple[Any, str]:
    """The account of a password-confirmed action, and the password."""
    body = await load_json(request, _PASSWORD)
    accounts = request.app[state.ACCOUNTS]
    principal = None
    authorization = request.headers.get("Authorization")
    if authorization or body["email"] is None:
        principal = await accounts.authenticate(
            authorization, allow_raw_secret=False, client_address=client_address(request)
        )
    account = await accounts.confirm_password(
        principal=principal,
        email=None if principal else body["email"],
        password=body["password"],
        client_address=client_address(request),
    )
    if (
        principal is not None
        and body["email"] is not None
        and body["email"].lower() != account.email_key
    ):
        raise GatewayError(
            422, "email_mismatch", "This email is not the authenticated account's.", field="email"
        )
    return account, body["password"]


async def credentials(request: web.Request) -> web.Response:
    account, password = await _confirmed(request)
    shown = await request.app[state.ACCOUNTS].reveal_credentials(account, password)
    return _json(_CREDENTIALS, shown, secret=True)


async def rotate_secret(request: web.Request) -> web.Response:
    account, password = await _confirmed(request)
    rotated = await request.app[state.ACCOUNTS].rotate_secret(
        account, password, request.app[state.CACHE]
    )
    return _json(_CREDENTIALS, rotated, secret=True)


async def me(request: web.Request) -> web.Response:
    principal = principal_of(request)
    found = await request.app[state.ACCOUNTS].account(principal.account_id)
    if found is None:
        raise GatewayError(404, "account_not_found", "This account no longer exists.")
    row, count = found
    return _json(
        _ACCOUNT,
        {
            "account_id": row.id,
            "client_id": row.client_id,
            "email": row.email,
            "created_at": row.created_at,
            "usage_points": count,
            "is_admin": principal.is_admin,
        },
    )


async def delete_me(request: web.Request) -> web.Response:
    principal = principal_of(request)
    body = await load_json(request, _PASSWORD)
    accounts = request.app[state.ACCOUNTS]
    account = await accounts.confirm_password(
        principal=principal,
        email=None,
        password=body["password"],
        client_address=client_address(request),
    )
    await accounts.delete_account(account.id, request.app[state.CACHE])
    return web.Response(status=204)


# -- tokens (Enedis token dialect) ------------------------------------------------------------


async def _form(request: web.Request) -> dict[str, str]:
    content_type = request.content_type
    if content_type in {"application/x-www-form-urlencoded", "multipart/form-data"}:
        form = await request.post()
        return {key: value for key, value in form.items() if isinstance(value, str)}
    if content_type == "application/json":
        try:
            data = await request.json()
        except ValueError:
            raise GatewayError(400, "invalid_request", "The body is not valid JSON.") from None
        if not isinstance(data, dict):
            raise GatewayError(400, "invalid_request", "The body must be an object.")
        return {str(key): value for key, value in data.items() if isinstance(value, str)}
    if await request.read():
        raise GatewayError(
            415, "invalid_request", "Le Content-Type doit être application/x-www-form-urlencoded"
        )
    return {}


async def token(request: web.Request) -> web.Response:
    form = await _form(request)
    grant_type = form.get("grant_type")
    if not grant_type:
        raise GatewayError(
            400, "invalid_request", "The grant_type parameter is required.", field="grant_type"
        )
    if grant_type != "client_credentials":
        raise GatewayError(
            400,
            "unsupported_grant_type",
            "The authorization grant type is not supported by the authorization server.",
            field="grant_type",
        )
    authorization = request.headers.get("Authorization", "").strip()
    if authorization[:6].lower() == "basic ":
        client_id, client_secret = parse_basic(authorization[6:].strip())
        if ("client_id" in form and form["client_id"] != client_id) or (
            "client_secret" in form and form["client_secret"] != client_secret
        ):
            raise GatewayError(
                400, "invalid_request", "Use one mechanism to authenticate the client."
            )
    else:
        client_id = form.get("client_id", "")
        client_secret = form.get("client_secret", "")
        if not client_id or not client_secret:
            raise invalid_client(
                "Client authentication failed (no client authentication included)."
            )
    accounts = request.app[state.ACCOUNTS]
    principal = await accounts.authenticate_client(
        client_id, client_secret, client_address=client_address(request)
    )
    issued = accounts.issue_token(principal)
    return _json(
        _TOKEN,
        {
            "access_token": issued.access_token,
            "token_type": "Bearer",
            "expires_in": issued.expires_in,
            "scope": issued.scope,
        },
        secret=True,
    )


async def revoke(request: web.Request) -> web.Response:
    form = await _form(request)
    value = form.get("token", "").strip()
    if not value:
        raise GatewayError(
            400, "invalid_request", "The token parameter is required.", field="token"
        )
    await request.app[state.ACCOUNTS].revoke_token(value)
    return web.Response(status=200, headers=NO_STORE)


# -- consent ------------------------------------------------------------------------------------


async def authorize(request: web.Request) -> web.StreamResponse:
    url = await request.app[state.ACCOUNTS].authorize_url(principal_of(request))
    if asks_json(request):
        return web.json_response(
            schemas.AuthorizeUrlResponse().dump({"url": url}), headers=NO_STORE
        )
    raise web.HTTPFound(url, headers=NO_STORE)


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body><h1>{title}</h1><p>{message}</p></body></html>
"""


def _page(title: str, message: str, status: int) -> web.Response:
    text = _PAGE.format(title=html.escape(title), message=html.escape(message))
    return web.Response(text=text, status=status, content_type="text/html", headers=NO_STORE)


def _done_url(base: str, params: dict[str, str]) -> str:
    return f"{base}{'&' if '?' in base else '?'}{urlencode(params)}"


async def callback(request: web.Request) -> web.StreamResponse:
    settings = request.app[state.SETTINGS]
    params = {key: value for key, value in request.query.items()}
    try:
        result = await request.app[state.ACCOUNTS].consent_callback(params)
    except ConsentRefused as refused:
        if settings.consent_done_url:
            raise web.HTTPFound(
                _done_url(
                    settings.consent_done_url, {"consent": "refused", "error": refused.enedis_error}
                )
            ) from None
        if wants_json(request):
            raise
        return _page("Consent not given", refused.message, refused.status)
    except GatewayError as error:
        if wants_json(request) or error.status >= 500:
            raise
        return _page("Consent not recorded", error.message, error.status)
    if settings.consent_done_url:
        raise web.HTTPFound(
            _done_url(
                settings.consent_done_url,
                {
                    "consent": "granted",
                    "new": str(result.new),
                    "existing": str(result.existing),
                },
            )
        )
    if wants_json(request):
        return _json(
            _CONSENT,
            {
                "usage_points": list(result.usage_point_ids),
                "new": result.new,
                "existing": result.existing,
            },
        )
    count = len(result.usage_point_ids)
    return _page(
        "Consent recorded",
        f"{count} usage point{'s' if count != 1 else ''} can now be read through the"
        " gateway. You may close this page.",
        200,
    )


# -- usage points -------------------------------------------------------------------------------


def _point(row: UsagePointRow) -> dict[str, Any]:
    from datetime import UTC, datetime

    status = row.consent_status
    if status == "active" and row.consent_expires_at <= datetime.now(UTC):
        status = "expired"
    return {
        "usage_point_id": row.usage_point_id,
        "name": row.name,
        "consent_start": row.consent_start,
        "consent_expires_at": row.consent_expires_at,
        "status": status,
    }


def _point_not_found() -> GatewayError:
    return GatewayError(
        404,
        "usage_point_not_found",
        "This account has no such usage point.",
        field="usage_point_id",
    )


async def list_points(request: web.Request) -> web.Response:
    rows = await request.app[state.ACCOUNTS].list_points(principal_of(request))
    return _json(_POINTS, {"usage_points": [_point(row) for row in rows]})


async def rename_point(request: web.Request) -> web.Response:
    usage_point_id = check_usage_point_id(request.match_info["usage_point_id"])
    body = await load_json(request, _RENAME)
    name = body["name"].strip() if isinstance(body["name"], str) else None
    row = await request.app[state.ACCOUNTS].rename_point(
        principal_of(request), usage_point_id, name or None
    )
    if row is None:
        raise _point_not_found()
    return _json(_POINT, _point(row))


async def delete_point(request: web.Request) -> web.Response:
    usage_point_id = check_usage_point_id(request.match_info["usage_point_id"])
    deleted = await request.app[state.ACCOUNTS].delete_point(
        principal_of(request), usage_point_id, request.app[state.CACHE]
    )
    if not deleted:
        raise _point_not_found()
    return web.Response(status=204)


# -- admin ----------------------------------------------------------------------------------------


async def admin_accounts(request: web.Request) -> web.Response:
    query = validate(_ADMIN_LIST, dict(request.query), status=400)
    accounts, total = await request.app[state.ACCOUNTS].admin_accounts(
        query["limit"], query["offset"]
    )
    return _json(
        _ADMIN_ACCOUNTS,
        {"accounts": accounts, "total": total, "limit": query["limit"], "offset": query["offset"]},
    )


async def admin_reset_quota(request: web.Request) -> web.Response:
    account_id = request.match_info["account_id"]
    deleted = await request.app[state.ACCOUNTS].reset_quota(account_id)
    return _json(_ADMIN_ACTION, {"account_id": account_id, "deleted_keys": deleted})


async def admin_purge_cache(request: web.Request) -> web.Response:
    account_id = request.match_info["account_id"]
    deleted = await request.app[state.ACCOUNTS].purge_cache(account_id, request.app[state.CACHE])
    return _json(_ADMIN_ACTION, {"account_id": account_id, "deleted_keys": deleted})


def register(app: web.Application) -> None:
    def spec(name: str, auth: Auth = Auth.NONE, surface: Surface = Surface.MANAGEMENT) -> RouteSpec:
        return RouteSpec(surface=surface, auth=auth, name=name)

    add = routing.add
    add(app, "POST", "/accounts/signup", signup, spec("accounts.signup"))
    add(app, "POST", "/oauth2/v3/token", token, spec("oauth.token", surface=Surface.V5))
    add(app, "POST", "/accounts/token", token, spec("accounts.token", surface=Surface.V5))
    add(app, "POST", "/oauth2/v3/revoke", revoke, spec("oauth.revoke", surface=Surface.V5))
    add(app, "POST", "/accounts/credentials", credentials, spec("accounts.credentials"))
    add(app, "POST", "/accounts/secret/rotate", rotate_secret, spec("accounts.rotate_secret"))
    add(app, "GET", "/accounts/me", me, spec("accounts.me", Auth.ACCOUNT))
    add(app, "DELETE", "/accounts/me", delete_me, spec("accounts.delete", Auth.ACCOUNT))
    add(app, "GET", "/oauth/authorize", authorize, spec("consent.authorize", Auth.ACCOUNT))
    add(app, "GET", "/oauth/callback", callback, spec("consent.callback"))
    add(app, "GET", "/pdl", list_points, spec("pdl.list", Auth.ACCOUNT))
    add(app, "PATCH", "/pdl/{usage_point_id}", rename_point, spec("pdl.rename", Auth.ACCOUNT))
    add(app, "DELETE", "/pdl/{usage_point_id}", delete_point, spec("pdl.delete", Auth.ACCOUNT))
    add(app, "GET", "/admin/accounts", admin_accounts, spec("admin.accounts", Auth.ADMIN))
    add(
        app,
        "DELETE",
        "/admin/accounts/{account_id}/quota",
        admin_reset_quota,
        spec("admin.reset_quota", Auth.ADMIN),
    )
    add(
        app,
        "DELETE",
        "/admin/accounts/{account_id}/cache",
        admin_purge_cache,
        spec("admin.purge_cache", Auth.ADMIN),
    )
