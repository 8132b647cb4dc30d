"""OAuth 2 endpoints: client-credentials token, revoke, and the consent pages (v1 and v2).

v1 (Data Connect v5) sends the browser back with ``code`` and ``usage_point_id`` (every point
of the customer); v2 (Data Connect 2026) with ``autorisation_id`` and ``state``, one point
per consent, the points then listed by ``POST /subscribed_services/v1``. Both record the
consent in the ``ConsentBook`` (dates, lifting a run-time revocation). With
``SANDBOX_STRICT_SHARES`` a point already shared is refused on the page, which shows
Enedis' error and never comes back to the application.
"""

from __future__ import annotations

import base64
import logging
import re
import secrets
import time
from collections.abc import Mapping
from datetime import timedelta

from aiohttp import hdrs, web
from yarl import URL

from gateway.enedis import upstream_errors as errors
from gateway.enedis.catalogue import CONSENT_V2_PATH, Generation, subtract_months
from gateway.enedis.rules import EnedisError, paris_today
from gateway.sandbox.consent_page import consent_page, share_error_page
from gateway.sandbox.consents import MAX_GENERATED_CUSTOMERS
from gateway.sandbox.customers import DEFAULT_CUSTOMER, Customer, UsagePoint
from gateway.sandbox.guard import error_response, not_subscribed
from gateway.sandbox.state import STATE, SandboxState

__all__ = [
    "MAX_CONSENT_MONTHS",
    "authorize",
    "authorize_v2",
    "consent_form",
    "parse_duration",
    "revoke",
    "token",
]

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


def _check_duration(value: str | None) -> tuple[int, int]:
    """The consent's (months, days), else Enedis' authorize errors."""
    months, days = parse_duration(value)
    if months < 0 or days < 0 or months + days == 0:
        raise EnedisError.from_catalogue(errors.AUTHORIZE_MAXIMUM_DURATION)
    today = paris_today()
    # Going back from "today + 3 years" keeps month-end clamping on the conservative side.
    latest = subtract_months(today, -MAX_CONSENT_MONTHS)
    if subtract_months(today, -months) + timedelta(days=days) > latest:
        raise EnedisError.from_catalogue(errors.AUTHORIZE_MAXIMUM_DURATION)
    return months, days


def _wants_page(request: web.Request, params: Mapping[str, str]) -> bool:
    """A person in a browser without ``sandbox_customer``: show the consent page."""
    accept = request.headers.get(hdrs.ACCEPT, "")
    return not params.get("sandbox_customer") and "text/html" in accept


def _redirect_target(state: SandboxState, params: Mapping[str, str]) -> URL:
    try:
        redirect = URL(params.get("redirect_uri") or state.settings.redirect_uri)
    except ValueError:
        redirect = URL()
    if not redirect.absolute:
        raise EnedisError(400, "invalid_request", "redirect_uri must be an absolute URL")
    return redirect


def _customer(state: SandboxState, params: Mapping[str, str]) -> Customer:
    name = params.get("sandbox_customer") or DEFAULT_CUSTOMER
    customer = state.consents.customer(name)
    if customer is None:
        raise EnedisError(
            400,
            "invalid_request",
            "sandbox_customer must be a name of the customers table or 1-64 characters "
            "among A-Z a-z 0-9 _ . @ + - (a generated customer; at most "
            f"{MAX_GENERATED_CUSTOMERS} of them per sandbox)",
        )
    return customer


def _points(customer: Customer, params: Mapping[str, str], v2: bool) -> tuple[UsagePoint, ...]:
    """v1: every point of the customer; v2: one (``sandbox_usage_point``, else the first)."""
    if not v2:
        return customer.points
    wanted = params.get("sandbox_usage_point")
    if not wanted:
        return customer.points[:1]
    for point in customer.points:
        if point.usage_point_id == wanted:
            return (point,)
    message = f"sandbox_usage_point is not a point of {customer.name}"
    raise EnedisError(400, "invalid_request", message)


async def _consent(request: web.Request, params: Mapping[str, str], v2: bool) -> web.StreamResponse:
    """Both consent pages (v1 and v2), for GET (query) and for the page's POST (form)."""
    state = request.app[STATE]
    state.stats.other_call("authorize_v2" if v2 else "authorize")
    if (Generation.V2026 if v2 else Generation.V5) not in state.settings.apis:
        return not_subscribed()
    try:
        if params.get("client_id") != state.settings.client_id:
            raise EnedisError.from_catalogue(errors.AUTHORIZE_INVALID_CLIENT)
        response_type = params.get("response_type")
        if not response_type:
            raise EnedisError.from_catalogue(errors.AUTHORIZE_RESPONSE_TYPE_REQUIRED)
        if response_type != "code":
            raise EnedisError.from_catalogue(errors.AUTHORIZE_UNSUPPORTED_RESPONSE_TYPE)
        months, days = _check_duration(params.get("duration"))
        redirect = _redirect_target(state, params)
        if _wants_page(request, params):
            return consent_page(request.path, params, v2)
        customer = _customer(state, params)
        points = _points(customer, params, v2)
    except EnedisError as e:
        return error_response(e)
    echo = {"state": params["state"]} if "state" in params else {}
    if params.get("sandbox_refuse") in ("1", "true"):
        refusal = {"error": "access_denied", "error_description": "access_denied"} | echo
        raise web.HTTPFound(redirect.update_query(refusal))
    if state.settings.strict_shares and any(state.consents.is_shared(customer, p) for p in points):
        return share_error_page()
    autorisation_id = state.consents.give(customer, points, months, days, paris_today())
    if v2:
        answer = {"autorisation_id": str(autorisation_id)} | echo
    else:
        answer = {"code": secrets.token_urlsafe(18)} | echo
        answer["usage_point_id"] = ",".join(p.usage_point_id for p in points)
    raise web.HTTPFound(redirect.update_query(answer))


async def authorize(request: web.Request) -> web.StreamResponse:
    """``GET /dataconnect/v1/oauth2/authorize``: the customer consents (or refuses).

    Back to the redirect URI with ``code``, ``state`` and ``usage_point_id`` (every point of
    the customer). Sandbox-only query parameters: ``sandbox_customer`` (a name of the
    customers table, or any other name for a generated customer; default ``default``),
    ``sandbox_refuse=1`` (the customer refuses), ``redirect_uri`` (overrides the setting).
    A browser (``Accept: text/html``) without ``sandbox_customer`` gets the consent page.
    """
    return await _consent(request, request.query, v2=False)


async def authorize_v2(request: web.Request) -> web.StreamResponse:
    """``GET /dataconnect/v2/oauth2/authorize``: consent to ONE point, Data Connect 2026.

    Back to the redirect URI with ``autorisation_id`` and ``state`` (no ``code``). Same
    sandbox parameters as v1, plus ``sandbox_usage_point`` (which of the customer's points;
    default the first).
    """
    return await _consent(request, request.query, v2=True)


async def consent_form(request: web.Request) -> web.StreamResponse:
    """``POST`` of the consent page's form (either version): accept or refuse."""
    form = await _form(request)
    if form.pop("decision", "") == "refuse":
        form["sandbox_refuse"] = "1"
    return await _consent(request, form, v2=request.path == CONSENT_V2_PATH)


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
