"""OAuth 2 endpoints: client-credentials token, revoke, and the consent page (authorize)."""

from __future__ import annotations

import base64
import logging
import re
import secrets
import time
from datetime import timedelta

from aiohttp import hdrs, web
from yarl import URL

from gateway.enedis import upstream_errors as errors
from gateway.enedis.catalogue import subtract_months
from gateway.enedis.rules import EnedisError, paris_today
from gateway.sandbox.customers import CUSTOMERS, DEFAULT_CUSTOMER
from gateway.sandbox.guard import error_response
from gateway.sandbox.state import STATE, SandboxState

__all__ = ["MAX_CONSENT_MONTHS", "authorize", "parse_duration", "revoke", "token"]

logger = logging.getLogger(__name__)

#: Longest consent Enedis grants (``P3Y``).
MAX_CONSENT_MONTHS = 36

_DURATION = re.compile(r"(-)?P(?:(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?|(\d+)W)", re.ASCII)


def parse_duration(value: str | None) -> tuple[int, int]:
    """Parse an ISO 8601 consent duration into (months, days).

    Accepts ``PnYnMnD`` (any non-empty subset, in that order) and ``PnW``; a leading ``-``
    gives negative values. ``EnedisError`` (invalid_duration_format) otherwise.
    """
    match = _DURATION.fullmatch(value or "")
    if match is None or not any(match.groups()[1:]):
        raise EnedisError.from_catalogue(errors.AUTHORIZE_INVALID_DURATION)
    sign, years, months, days, weeks = match.groups()
    total_months = int(years or 0) * 12 + int(months or 0)
    total_days = int(days or 0) + 7 * int(weeks or 0)
    if sign:
        return -total_months, -total_days
    return total_months, total_days


def _check_duration(value: str | None) -> None:
    months, days = parse_duration(value)
    if months < 0 or days < 0 or months + days == 0:
        raise EnedisError.from_catalogue(errors.AUTHORIZE_MAXIMUM_DURATION)
    today = paris_today()
    # Going back from "today + 3 years" keeps month-end clamping on the conservative side.
    latest = subtract_months(today, -MAX_CONSENT_MONTHS)
    if subtract_months(today, -months) + timedelta(days=days) > latest:
        raise EnedisError.from_catalogue(errors.AUTHORIZE_MAXIMUM_DURATION)


async def authorize(request: web.Request) -> web.StreamResponse:
    """``GET /dataconnect/v1/oauth2/authorize``: the customer consents (or refuses).

    Sandbox-only query parameters: ``sandbox_customer`` (a name of ``customers.CUSTOMERS``),
    ``sandbox_refuse=1`` (the customer refuses), ``redirect_uri`` (overrides the setting).
    """
    state = request.app[STATE]
    state.stats.other_call("authorize")
    query = request.query
    try:
        if query.get("client_id") != state.settings.client_id:
            raise EnedisError.from_catalogue(errors.AUTHORIZE_INVALID_CLIENT)
        response_type = query.get("response_type")
        if not response_type:
            raise EnedisError.from_catalogue(errors.AUTHORIZE_RESPONSE_TYPE_REQUIRED)
        if response_type != "code":
            raise EnedisError.from_catalogue(errors.AUTHORIZE_UNSUPPORTED_RESPONSE_TYPE)
        _check_duration(query.get("duration"))
        name = query.get("sandbox_customer") or DEFAULT_CUSTOMER
        customer = CUSTOMERS.get(name)
        if customer is None:
            known = ", ".join(CUSTOMERS)
            raise EnedisError(400, "invalid_request", f"unknown sandbox_customer {name!r}: {known}")
        try:
            redirect = URL(query.get("redirect_uri") or state.settings.redirect_uri)
        except ValueError:
            redirect = URL()
        if not redirect.absolute:
            raise EnedisError(400, "invalid_request", "redirect_uri must be an absolute URL")
    except EnedisError as e:
        return error_response(e)
    echo = {"state": query["state"]} if "state" in query else {}
    if query.get("sandbox_refuse") in ("1", "true"):
        params = {"error": "access_denied", "error_description": "access_denied"} | echo
    else:
        params = {"code": secrets.token_urlsafe(18)} | echo
        params["usage_point_id"] = ",".join(customer.usage_point_ids)
    raise web.HTTPFound(redirect.update_query(params))


def _client_credentials(
    request: web.Request, form: dict[str, str]
) -> tuple[str | None, str | None]:
    scheme, _, encoded = request.headers.get(hdrs.AUTHORIZATION, "").partition(" ")
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode()
        except (ValueError, UnicodeDecodeError):
            return None, None
        client_id, colon, secret = decoded.partition(":")
        return (client_id, secret) if colon else (None, None)
    return form.get("client_id"), form.get("client_secret")


async def _form(request: web.Request) -> dict[str, str]:
    data = await request.post()
    return {k: v for k, v in data.items() if isinstance(v, str)}


def _authenticated(state: SandboxState, client_id: str | None, secret: str | None) -> bool:
    return secrets.compare_digest(
        f"{client_id}:{secret}".encode(),
        f"{state.settings.client_id}:{state.settings.client_secret}".encode(),
    )


async def token(request: web.Request) -> web.StreamResponse:
    """``POST /oauth2/v3/token``: client-credentials grant (form fields or HTTP Basic)."""
    state = request.app[STATE]
    state.stats.other_call("token")
    if state.faults.outage:
        state.stats.errors_injected += 1
        return error_response(EnedisError.from_catalogue(errors.SERVICE_UNAVAILABLE))
    form = await _form(request)
    grant_type = form.get("grant_type")
    client_id, secret = _client_credentials(request, form)
    if not grant_type or client_id is None or secret is None:
        return error_response(EnedisError.from_catalogue(errors.TOKEN_MISSING_PARAMETER))
    if grant_type != "client_credentials":
        return error_response(EnedisError.from_catalogue(errors.TOKEN_UNSUPPORTED_GRANT_TYPE))
    if not _authenticated(state, client_id, secret):
        logger.info("token refused: bad client credentials")
        return error_response(EnedisError.from_catalogue(errors.TOKEN_UNAUTHORIZED))
    ttl = state.settings.token_ttl_seconds
    return web.json_response(
        {
            "access_token": state.tokens.issue(ttl),
            "token_type": "Bearer",
            "expires_in": ttl,
            "scope": "am_application_scope default",
            "issued_at": str(int(time.time() * 1000)),
        },
        headers={hdrs.CACHE_CONTROL: "no-store"},
    )


async def revoke(request: web.Request) -> web.StreamResponse:
    """``POST /oauth2/v3/revoke`` (form ``token``): 200 whether or not the token existed.

    Client credentials are optional here; when given (form or Basic) they must be right.
    """
    state = request.app[STATE]
    state.stats.other_call("revoke")
    if state.faults.outage:
        state.stats.errors_injected += 1
        return error_response(EnedisError.from_catalogue(errors.SERVICE_UNAVAILABLE))
    form = await _form(request)
    client_id, secret = _client_credentials(request, form)
    if (client_id is not None or secret is not None) and not _authenticated(
        state, client_id, secret
    ):
        return error_response(EnedisError.from_catalogue(errors.TOKEN_UNAUTHORIZED))
    value = form.get("token")
    if not value:
        return error_response(EnedisError.from_catalogue(errors.TOKEN_MISSING_PARAMETER))
    state.tokens.revoke(value)
    return web.Response(status=200)
