"""Management surface: accounts, tokens, consent, usage points and admin routes.

JSON in and out; errors as RFC 9457 problem details naming the faulty field, except the
token routes (``/oauth2/v3/token``, its alias ``/accounts/token``, ``/oauth2/v3/revoke``)
which answer in the Enedis token dialect.

The OpenAPI description of a body or a query names the very schema instance the handler
validates with (``load_json`` / ``validate``); it is not registered for the validation
middleware, so the handler's checks stay the ones that answer (415 before 422, 400 for a
body that is not a JSON object, the admin query's 400).
"""

from __future__ import annotations

import time
from typing import Any, TypeVar
from urllib.parse import urlencode

from aiohttp import web
from aiohttp_apigami import docs
from marshmallow import Schema

from gateway import routing, state
from gateway.accounts import email_checks, schemas
from gateway.accounts.consent import STATE_TTL_SECONDS, check_usage_point_id
from gateway.accounts.consent_v2 import PendingConsent
from gateway.accounts.http import asks_json, load_json, read_fields, validate, wants_json
from gateway.accounts.repository import UsagePointRow
from gateway.accounts.service import ConsentRefused, ConsentResult, invalid_client, parse_basic
from gateway.client_address import client_address
from gateway.errors import GatewayError, unavailable
from gateway.imports.progress import History
from gateway.middlewares.auth import ADMIN_HEADER, principal_of
from gateway.openapi import ACCOUNT, ADMIN, PUBLIC, error_responses
from gateway.routing import Auth, Handler, RouteSpec, Surface
from gateway.surfaces.consent_exchange import exchange
from gateway.web import consent as web_consent

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

H = TypeVar("H", bound=Handler)

# -- the OpenAPI description ------------------------------------------------------------------

_ACCOUNTS_TAG = "management: accounts"
_TOKENS_TAG = "management: tokens (Enedis dialect)"
_CONSENT_TAG = "management: consent"
_POINTS_TAG = "management: usage points"
_ADMIN_TAG = "management: admin"

# credentials are optional: without them, the body's email names the account
_OPTIONAL_ACCOUNT: list[dict[str, list[str]]] = [*ACCOUNT, {}]
_CLIENT: list[dict[str, list[str]]] = [{"basicAuth": []}, {}]


def _schema_class(schema: Schema | type[Schema]) -> type[Schema]:
    """The class of the schema instance the handler validates or dumps with."""
    return schema if isinstance(schema, type) else type(schema)


def _problems(*statuses: int) -> dict[int, dict[str, Any]]:
    return error_responses(Surface.MANAGEMENT, *statuses)


def _json_body(schema: Schema | type[Schema], description: str) -> dict[str, Any]:
    return {
        "required": True,
        "description": description,
        "content": {"application/json": {"schema": _schema_class(schema)}},
    }


def _ok(schema: Schema | type[Schema], description: str, **extra: Any) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": _schema_class(schema)}},
        **extra,
    }


_NO_STORE_HEADERS = {
    "Cache-Control": {"schema": {"type": "string", "example": "no-store"}},
    "Pragma": {"schema": {"type": "string", "example": "no-cache"}},
}
_REDIRECT = {
    "Location": {"description": "Where to go.", "schema": {"type": "string", "format": "uri"}},
}
_POINT_PARAMETER = {
    "in": "path",
    "name": "usage_point_id",
    "required": True,
    "description": "The usage point (PDL): exactly **14** digits, leading zeros kept.",
    "schema": {"type": "string", "pattern": "^[0-9]{14}$"},
}
_ACCOUNT_PARAMETER = {
    "in": "path",
    "name": "account_id",
    "required": True,
    "description": "The account's id (`account_id` of `GET /admin/accounts`).",
    "schema": {"type": "string"},
}


def _json(schema: Any, data: Any, *, status: int = 200, secret: bool = False) -> web.Response:
    return web.json_response(schema.dump(data), status=status, headers=NO_STORE if secret else None)


# -- accounts -----------------------------------------------------------------------------------


@docs(
    tags=[_ACCOUNTS_TAG],
    summary="Create an account",
    description="Creates an account for the email and returns its `client_id` and "
    "`client_secret`. The secret is shown here and by `POST /accounts/credentials` (with the "
    "password) only: keep it. Sign-ups are limited per client address and for everyone "
    "(429 with `Retry-After`).",
    security=PUBLIC,
    requestBody=_json_body(_SIGNUP, "The account's email and password (12 characters or more)."),
    responses={
        201: _ok(
            _CREDENTIALS,
            "Created.",
            headers={
                **_NO_STORE_HEADERS,
                "Location": {"schema": {"type": "string", "example": "/accounts/me"}},
            },
        ),
        **_problems(400, 409, 413, 415, 422, 429, 503),
    },
)
async def signup(request: web.Request) -> web.Response:
    body = await load_json(request, _SIGNUP)
    _, credentials = await request.app[state.ACCOUNTS].signup(
        body["email"], body["password"], client_address=client_address(request)
    )
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


_PASSWORD_BODY = _json_body(
    _PASSWORD,
    "The account's password; without credentials (Authorization), also the account's email.",
)


@docs(
    tags=[_ACCOUNTS_TAG],
    summary="Show the credentials again",
    description="The account's `client_id` and `client_secret`, once the password is "
    "confirmed. Authenticate (Bearer or Basic), or give the account's `email` with the "
    "password (a lost secret). Failed attempts are limited per client address (429).",
    security=_OPTIONAL_ACCOUNT,
    requestBody=_PASSWORD_BODY,
    responses={
        200: _ok(_CREDENTIALS, "The credentials.", headers=_NO_STORE_HEADERS),
        **_problems(400, 401, 413, 415, 422, 429, 503),
    },
)
async def credentials(request: web.Request) -> web.Response:
    account, password = await _confirmed(request)
    shown = await request.app[state.ACCOUNTS].reveal_credentials(account, password)
    return _json(_CREDENTIALS, shown, secret=True)


@docs(
    tags=[_ACCOUNTS_TAG],
    summary="Rotate the client secret",
    description="Issues a new `client_secret` once the password is confirmed; the old one "
    "stops working and the account's tokens are revoked. Authenticate, or give the "
    "account's `email` with the password.",
    security=_OPTIONAL_ACCOUNT,
    requestBody=_PASSWORD_BODY,
    responses={
        200: _ok(_CREDENTIALS, "The new credentials.", headers=_NO_STORE_HEADERS),
        **_problems(400, 401, 413, 415, 422, 429, 503),
    },
)
async def rotate_secret(request: web.Request) -> web.Response:
    account, password = await _confirmed(request)
    rotated = await request.app[state.ACCOUNTS].rotate_secret(
        account, password, request.app[state.CACHE]
    )
    return _json(_CREDENTIALS, rotated, secret=True)


@docs(
    tags=[_ACCOUNTS_TAG],
    summary="The account",
    description="The authenticated account (never its secret).",
    security=ACCOUNT,
    responses={200: _ok(_ACCOUNT, "The account."), **_problems(401, 404, 429, 503)},
)
async def me(request: web.Request) -> web.Response:
    principal = principal_of(request)
    accounts = request.app[state.ACCOUNTS]
    found = await accounts.account(principal.account_id)
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
            "is_admin": accounts.admin_rights(row),
            "email_verified_at": await email_checks.verified_at(
                request.app[state.ACCOUNTS], row.id
            ),
        },
    )


@docs(
    tags=[_ACCOUNTS_TAG],
    summary="Delete the account",
    description="Deletes the account, its usage points, consent records, tokens, counters "
    "and cached data, once the password is confirmed.",
    security=ACCOUNT,
    requestBody=_json_body(_PASSWORD, "The account's password."),
    responses={
        204: {"description": "Deleted."},
        **_problems(400, 401, 413, 415, 422, 429, 503),
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
    return await read_fields(request, code="invalid_request")


_FORM_CONTENT = ("application/x-www-form-urlencoded", "application/json")


def _form_body(schema: type[Schema], description: str) -> dict[str, Any]:
    return {
        "required": True,
        "description": description,
        "content": {content_type: {"schema": schema} for content_type in _FORM_CONTENT},
    }


@docs(
    tags=[_TOKENS_TAG],
    summary="Get an access token",
    description="The OAuth 2 `client_credentials` grant, as Enedis' `POST /oauth2/v3/token`: "
    "the account's `client_id` and `client_secret` as form fields or HTTP Basic. The token "
    "authenticates the data routes (Bearer). Errors are in the Enedis dialect. "
    "`/accounts/token` is an alias.",
    security=_CLIENT,
    requestBody=_form_body(schemas.TokenRequest, "The grant (form fields, or a JSON object)."),
    responses={
        200: _ok(_TOKEN, "The access token.", headers=_NO_STORE_HEADERS),
        **error_responses(Surface.V5, 400, 401, 413, 415, 429, 503),
    },
)
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


@docs(
    tags=[_TOKENS_TAG],
    summary="Revoke an access token",
    description="Revokes the token (RFC 7009): answers 200 whether or not it was valid.",
    security=PUBLIC,
    requestBody=_form_body(schemas.RevokeRequest, "The token (form fields, or a JSON object)."),
    responses={
        200: {"description": "Revoked (or not a valid token).", "headers": _NO_STORE_HEADERS},
        **error_responses(Surface.V5, 400, 413, 415, 503),
    },
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


@docs(
    tags=[_CONSENT_TAG],
    summary="Start the consent at Enedis",
    description="Redirects to Enedis' consent page (302); with `Accept: application/json`, "
    "answers the URL instead. Enedis sends the customer back to `/oauth/callback`, which "
    "records the usage points the customer consented to for this account.",
    security=ACCOUNT,
    responses={
        200: _ok(schemas.AuthorizeUrlResponse, "The consent URL (`Accept: application/json`)."),
        302: {"description": "To Enedis' consent page.", "headers": _REDIRECT},
        **_problems(401, 429, 503),
    },
)
async def authorize(request: web.Request) -> web.StreamResponse:
    principal = principal_of(request)
    url = await request.app[state.ACCOUNTS].authorize_url(principal)
    await request.app[state.IMPORTS].hold_key(principal, STATE_TTL_SECONDS)
    if asks_json(request):
        return web.json_response(
            schemas.AuthorizeUrlResponse().dump({"url": url}), headers=NO_STORE
        )
    raise web.HTTPFound(url, headers=NO_STORE)


def _done_url(base: str, params: dict[str, str]) -> str:
    return f"{base}{'&' if '?' in base else '?'}{urlencode(params)}"


def _or_page(responses: dict[int, dict[str, Any]]) -> dict[int, dict[str, Any]]:
    """Error responses that are an HTML page for a browser."""
    page = {"text/html": {"schema": {"type": "string"}}}
    return {
        status: {**response, "content": {**response["content"], **page}}
        for status, response in responses.items()
    }


@docs(
    tags=[_CONSENT_TAG],
    summary="Back from Enedis' consent page",
    description="Where Enedis sends the customer back: `autorisation_id` and `state` (consent "
    "v2: the meter is then asked from Enedis' `subscribed_services`, never taken from the "
    "browser), `code`, `state` and `usage_point_id` (consent v1, only under "
    "`ENEDIS_CONSENT=v1`), or `error`. Records the usage points for the account that started "
    'the consent. While Enedis is still recording a v2 consent, a browser gets an "almost '
    'there" page (202) that completes by itself (`pending`), a JSON caller the final answer or '
    "503 with `Retry-After`. Answers an HTML page to a browser and JSON otherwise; redirects "
    "(302) to `CONSENT_DONE_URL` when it is set.",
    security=PUBLIC,
    parameters=[
        {
            "in": "query",
            "name": "state",
            "required": False,
            "description": "The state of `/oauth/authorize`.",
            "schema": {"type": "string"},
        },
        {
            "in": "query",
            "name": "autorisation_id",
            "required": False,
            "description": "Enedis' authorisation (consent v2).",
            "schema": {"type": "string"},
        },
        {
            "in": "query",
            "name": "pending",
            "required": False,
            "description": "A v2 consent still being recorded by Enedis (from the 202 page).",
            "schema": {"type": "string"},
        },
        {
            "in": "query",
            "name": "code",
            "required": False,
            "description": "Enedis' authorization code (consent v1).",
            "schema": {"type": "string"},
        },
        {
            "in": "query",
            "name": "usage_point_id",
            "required": False,
            "description": "The usage points consented to (consent v1; 14 digits each, `,` or "
            "`;` between).",
            "schema": {"type": "string"},
        },
        {
            "in": "query",
            "name": "error",
            "required": False,
            "description": "Enedis' error (e.g. `access_denied`) when there is no consent.",
            "schema": {"type": "string"},
        },
    ],
    responses={
        200: {
            "description": "The consent is recorded.",
            "content": {
                "application/json": {"schema": schemas.ConsentResultResponse},
                "text/html": {"schema": {"type": "string"}},
            },
        },
        302: {"description": "To `CONSENT_DONE_URL`.", "headers": _REDIRECT},
        **_or_page(_problems(400, 403)),
        **_problems(503),
    },
)
async def callback(request: web.Request) -> web.StreamResponse:
    settings = request.app[state.SETTINGS]
    params = {key: value for key, value in request.query.items()}
    json_caller = wants_json(request)
    if not json_caller:
        # bound to the browser: attach only for the signed-in account of the consent
        held = await web_consent.unbound_callback(request, params)
        if held is not None:
            return held
    try:
        outcome = await _consent_outcome(request, params)
        if isinstance(outcome, PendingConsent):
            wait = settings.consent_exchange_max if json_caller else BROWSER_WAIT_SECONDS
            result = await exchange(request.app, outcome, time.time() + wait)
            if result is None:
                return await _still_pending(request, outcome, json_caller)
        else:
            result = outcome
    except ConsentRefused as refused:
        if settings.consent_done_url:
            raise web.HTTPFound(
                _done_url(
                    settings.consent_done_url, {"consent": "refused", "error": refused.enedis_error}
                )
            ) from None
        if json_caller:
            raise
        return await web_consent.refused_page(request, refused)
    except GatewayError as error:
        if json_caller or error.status >= 500:
            raise
        return await web_consent.failed_page(request, error)
    await request.app[state.IMPORTS].schedule(result.account_id, result.usage_point_ids)
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
            secret=True,  # the customer's usage points
        )
    return await web_consent.result_page(request, result)


#: How long a browser waits on the callback before the "almost there" page.
BROWSER_WAIT_SECONDS = 3.0


async def _consent_outcome(
    request: web.Request, params: dict[str, str]
) -> ConsentResult | PendingConsent:
    """What the redirect (or a pending exchange's link) brings."""
    pending_text = params.get("pending")
    if pending_text is None:
        return await request.app[state.ACCOUNTS].consent_callback(params)
    pending = PendingConsent.open(request.app[state.KEYRING], pending_text)
    if pending is None:
        raise GatewayError(
            400,
            "invalid_pending",
            "This consent link is not valid; start the consent again through /oauth/authorize.",
            field="pending",
        )
    return pending


async def _still_pending(
    request: web.Request, pending: PendingConsent, json_caller: bool
) -> web.StreamResponse:
    """Enedis lists nothing yet: a browser is asked to wait, a JSON caller told to retry."""
    if pending.expired:
        raise unavailable(
            "Enedis has not confirmed the consent in time: nothing was attached. If you gave "
            "it, try again in a few minutes through /oauth/authorize.",
            30,
            code="consent_pending",
        )
    url = "/oauth/callback?" + urlencode({"pending": pending.seal(request.app[state.KEYRING])})
    if json_caller:
        raise unavailable(
            f"Enedis is still recording the consent; ask {url} again.",
            2,
            code="consent_pending",
        )
    return await web_consent.wait_page(request, url)


# -- usage points -------------------------------------------------------------------------------


def point_view(row: UsagePointRow, history: History | None = None) -> dict[str, Any]:
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
        "history": history.render() if history is not None else None,
    }


def _point_not_found() -> GatewayError:
    return GatewayError(
        404,
        "usage_point_not_found",
        "This account has no such usage point.",
        field="usage_point_id",
    )


@docs(
    tags=[_POINTS_TAG],
    summary="The account's usage points",
    description="Every usage point consented to through this gateway, with its consent.",
    security=ACCOUNT,
    responses={200: _ok(_POINTS, "The usage points."), **_problems(401, 429, 503)},
)
async def list_points(request: web.Request) -> web.Response:
    principal = principal_of(request)
    rows = await request.app[state.ACCOUNTS].list_points(principal)
    history = await request.app[state.IMPORTS].history(principal.account_id)
    return _json(
        _POINTS,
        {"usage_points": [point_view(row, history.get(row.usage_point_id)) for row in rows]},
    )


@docs(
    tags=[_POINTS_TAG],
    summary="Name a usage point",
    description="Sets the usage point's name (`null` or blank: no name).",
    security=ACCOUNT,
    parameters=[_POINT_PARAMETER],
    requestBody=_json_body(_RENAME, "The new name."),
    responses={
        200: _ok(_POINT, "The usage point."),
        **_problems(400, 401, 404, 413, 415, 422, 429, 503),
    },
)
async def rename_point(request: web.Request) -> web.Response:
    usage_point_id = check_usage_point_id(request.match_info["usage_point_id"])
    body = await load_json(request, _RENAME)
    name = body["name"].strip() if isinstance(body["name"], str) else None
    row = await request.app[state.ACCOUNTS].rename_point(
        principal_of(request), usage_point_id, name or None
    )
    if row is None:
        raise _point_not_found()
    return _json(_POINT, point_view(row))


@docs(
    tags=[_POINTS_TAG],
    summary="Forget a usage point",
    description="Removes the usage point from the account, with its cached data.",
    security=ACCOUNT,
    parameters=[_POINT_PARAMETER],
    responses={204: {"description": "Removed."}, **_problems(400, 401, 404, 429, 503)},
)
async def delete_point(request: web.Request) -> web.Response:
    usage_point_id = check_usage_point_id(request.match_info["usage_point_id"])
    deleted = await request.app[state.ACCOUNTS].delete_point(
        principal_of(request), usage_point_id, request.app[state.CACHE]
    )
    if not deleted:
        raise _point_not_found()
    return web.Response(status=204)


# -- admin ----------------------------------------------------------------------------------------


_ADMIN_DESCRIPTION = (
    f"The `{ADMIN_HEADER}` header, or an account listed in `ADMIN_EMAILS` that an operator "
    "confirmed (`gateway admin grant EMAIL`)."
)


@docs(
    tags=[_ADMIN_TAG],
    summary="List the accounts",
    description=f"The accounts, oldest first, with today's usage. {_ADMIN_DESCRIPTION}",
    security=ADMIN,
    parameters=[{"in": "query", "schema": schemas.AdminListQuery}],
    responses={
        200: _ok(_ADMIN_ACCOUNTS, "A page of accounts."),
        **_problems(400, 401, 403, 429, 503),
    },
)
async def admin_accounts(request: web.Request) -> web.Response:
    query = validate(_ADMIN_LIST, dict(request.query), status=400)
    accounts, total = await request.app[state.ACCOUNTS].admin_accounts(
        query["limit"], query["offset"]
    )
    return _json(
        _ADMIN_ACCOUNTS,
        {"accounts": accounts, "total": total, "limit": query["limit"], "offset": query["offset"]},
    )


@docs(
    tags=[_ADMIN_TAG],
    summary="Reset an account's daily quota",
    description=f"Deletes today's counters of the account. {_ADMIN_DESCRIPTION}",
    security=ADMIN,
    parameters=[_ACCOUNT_PARAMETER],
    responses={
        200: _ok(_ADMIN_ACTION, "Reset."),
        **_problems(401, 403, 404, 429, 503),
    },
)
async def admin_reset_quota(request: web.Request) -> web.Response:
    account_id = request.match_info["account_id"]
    deleted = await request.app[state.ACCOUNTS].reset_quota(account_id)
    return _json(_ADMIN_ACTION, {"account_id": account_id, "deleted_keys": deleted})


@docs(
    tags=[_ADMIN_TAG],
    summary="Purge an account's cache",
    description=f"Deletes every cached answer of the account. {_ADMIN_DESCRIPTION}",
    security=ADMIN,
    parameters=[_ACCOUNT_PARAMETER],
    responses={
        200: _ok(_ADMIN_ACTION, "Purged."),
        **_problems(401, 403, 404, 429, 503),
    },
)
async def admin_purge_cache(request: web.Request) -> web.Response:
    account_id = request.match_info["account_id"]
    deleted = await request.app[state.ACCOUNTS].purge_cache(account_id, request.app[state.CACHE])
    return _json(_ADMIN_ACTION, {"account_id": account_id, "deleted_keys": deleted})


def register(app: web.Application) -> None:
    def spec(name: str, auth: Auth = Auth.NONE, surface: Surface = Surface.MANAGEMENT) -> RouteSpec:
        return RouteSpec(surface=surface, auth=auth, name=name)

    def add(method: str, path: str, handler: Handler, route_spec: RouteSpec) -> None:
        routing.add(app, method, path, handler, route_spec)

    add("POST", "/accounts/signup", signup, spec("accounts.signup"))
    add("POST", "/oauth2/v3/token", token, spec("oauth.token", surface=Surface.V5))
    add("POST", "/accounts/token", token, spec("accounts.token", surface=Surface.V5))
    add("POST", "/oauth2/v3/revoke", revoke, spec("oauth.revoke", surface=Surface.V5))
    add("POST", "/accounts/credentials", credentials, spec("accounts.credentials"))
    add("POST", "/accounts/secret/rotate", rotate_secret, spec("accounts.rotate_secret"))
    add("GET", "/accounts/me", me, spec("accounts.me", Auth.ACCOUNT))
    add("DELETE", "/accounts/me", delete_me, spec("accounts.delete", Auth.ACCOUNT))
    add("GET", "/oauth/authorize", authorize, spec("consent.authorize", Auth.ACCOUNT))
    add("GET", "/oauth/callback", callback, spec("consent.callback"))
    add("GET", "/pdl", list_points, spec("pdl.list", Auth.ACCOUNT))
    add("PATCH", "/pdl/{usage_point_id}", rename_point, spec("pdl.rename", Auth.ACCOUNT))
    add("DELETE", "/pdl/{usage_point_id}", delete_point, spec("pdl.delete", Auth.ACCOUNT))
    add("GET", "/admin/accounts", admin_accounts, spec("admin.accounts", Auth.ADMIN))
    admin = "/admin/accounts/{account_id}"
    add("DELETE", f"{admin}/quota", admin_reset_quota, spec("admin.reset_quota", Auth.ADMIN))
    add("DELETE", f"{admin}/cache", admin_purge_cache, spec("admin.purge_cache", Auth.ADMIN))
