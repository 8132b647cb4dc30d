"""The legacy surface: the earlier public gateway's API (v1), at the root of the server.

Software written for that gateway works here by changing only its base URL and token.
A thin adapter over the same chain as the v5 surface:

- data paths (``/contracts/{id}``, ``/daily_consumption/{id}/start/{start}/end/{end}``...)
  parse into a ``DataRequest`` and end in the shared ``forward`` handler. A path without
  ``/cache`` answers from Enedis and neither reads nor writes the cache (it counts against
  the upstream quota); its ``/cache`` twin reads and writes the encrypted cache.
- ``DELETE .../cache`` purges that endpoint's entries (for the range, or for the point);
  ``DELETE /cache/{id}`` every entry of the point.
- ``/valid_access/{id}`` answers from the account's consent and quota, without Enedis.
- ``/ping`` needs no credentials; the Tempo, EcoWatt and admin routes of that gateway are
  not features of this one: 501.

Credentials: ``Authorization: <client_secret>`` (the raw value, as that gateway's clients
send it), Bearer tokens or HTTP Basic. Errors are ``{"detail": ...}`` (422:
``HTTPValidationError``), rendered by the error mapper; an exhausted quota is 409.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from aiohttp import web
from aiohttp_apigami import docs

from gateway import redis_keys, routing, state
from gateway.accounts.principal import Principal, UsagePointGrant
from gateway.data.request import CacheMode, DataRequest
from gateway.enedis import rules
from gateway.enedis import upstream_errors as enedis_errors
from gateway.enedis.catalogue import BY_NAME, Endpoint, history_deadline
from gateway.errors import NO_CONSENT_MESSAGE, GatewayError, forbidden, unavailable
from gateway.openapi import LEGACY, PUBLIC, error_responses
from gateway.quota import UPSTREAM
from gateway.request_keys import DATA_REQUEST, FETCHED, PRINCIPAL
from gateway.routing import Auth, Handler, RouteSpec, Surface
from gateway.shared_store import REDIS_ERRORS, index_account_key
from gateway.surfaces.forward import forward
from gateway.surfaces.legacy_schemas import DATA_SCHEMAS, inline
from gateway.surfaces.v5 import v5_request

__all__ = ["CUSTOMER_PATHS", "RANGED_PATHS", "register"]

# legacy path segment -> catalogue endpoint
CUSTOMER_PATHS: dict[str, str] = {
    "contracts": "contracts",
    "addresses": "addresses",
    "identity": "identity",
    "contact": "contact_data",
}
RANGED_PATHS: dict[str, str] = {
    "daily_consumption": "daily_consumption",
    "consumption_load_curve": "consumption_load_curve",
    "daily_consumption_max_power": "daily_consumption_max_power",
    "daily_production": "daily_production",
    "production_load_curve": "production_load_curve",
}

RANGE_SUFFIX = "/start/{start}/end/{end}"
LEGACY_DATETIME = "%Y-%m-%dT%H:%M:%S"
LAST_CALL_TTL = 400 * 86400

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TAG = "legacy (v1)"


# -- the OpenAPI description -----------------------------------------------------------------

_PATH_PARAMETERS = {
    "usage_point_id": "The usage point (PDL): exactly **14** digits, leading zeros kept.",
    "start": "First day of the period, `YYYY-MM-DD`.",
    "end": "Day after the last day of the period (excluded), `YYYY-MM-DD`.",
}


def _parameters(*names: str) -> list[dict[str, Any]]:
    return [
        {
            "in": "path",
            "name": name,
            "required": True,
            "description": _PATH_PARAMETERS[name],
            "schema": {"type": "string"},
        }
        for name in names
    ]


def _ok(schema_name: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": inline(schema_name)}},
    }


_POINT = ("usage_point_id",)
_RANGE = ("usage_point_id", "start", "end")


# -- parameters ------------------------------------------------------------------------------


def _invalid(field: str, message: str, kind: str) -> GatewayError:
    return GatewayError(422, kind, message, field=field, location=("path", field))


def usage_point_of(request: web.Request) -> str:
    value = request.match_info.get("usage_point_id", "")
    if not rules.is_usage_point_id(value):
        raise _invalid(
            "usage_point_id",
            "The usage point id must be exactly 14 digits (keep the leading zeros).",
            "string_pattern_mismatch",
        )
    return value


def day_of(request: web.Request, field: Literal["start", "end"]) -> date:
    value = request.match_info.get(field, "")
    message = f"{field} must be a date in the YYYY-MM-DD format."
    if _ISO_DATE.fullmatch(value) is None:
        raise _invalid(field, message, "date_from_datetime_parsing")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _invalid(field, message, "date_from_datetime_parsing") from None


def _enedis_refusal(error: rules.EnedisError) -> GatewayError:
    return GatewayError(error.status, error.error, error.error_description, hint=error.hint)


def parse_for(endpoint: Endpoint, *, cached: bool) -> Callable[[web.Request], DataRequest]:
    """The ``parse`` of a data path: a plain path never touches the cache."""

    def parse(request: web.Request) -> DataRequest:
        usage_point_id = usage_point_of(request)
        start = end = None
        if endpoint.is_ranged:
            start, end = day_of(request, "start"), day_of(request, "end")
            try:
                rules.validate_range(
                    endpoint,
                    start.isoformat(),
                    end.isoformat(),
                    today=rules.paris_today(),
                    enforce_max_days=False,
                )
            except rules.EnedisError as error:
                raise _enedis_refusal(error) from None
        if not cached:
            return replace(
                v5_request(request, endpoint, usage_point_id, start, end),
                cache=CacheMode.NO_STORE,
            )
        return v5_request(request, endpoint, usage_point_id, start, end)

    return parse


# -- shared helpers --------------------------------------------------------------------------


async def owned_grant(request: web.Request, usage_point_id: str) -> UsagePointGrant:
    """The account's consent for the point (any status), or 403 when it has none."""
    principal: Principal = request[PRINCIPAL]
    grant = await request.app[state.ACCOUNTS].grant_for(principal, usage_point_id)
    if grant is None:
        raise forbidden(NO_CONSENT_MESSAGE, code="GW-NO-CONSENT")
    return grant


def legacy_datetime(moment: datetime, *, fraction: bool = False) -> str:
    """``YYYY-MM-DDTHH:MM:SS`` in UTC (``.ffffff`` appended with ``fraction``)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    text = moment.strftime(LEGACY_DATETIME)
    return f"{text}.{moment.microsecond:06d}" if fraction else text


def _last_call_key(request: web.Request, account_id: str, usage_point_id: str) -> str:
    digest = request.app[state.KEYRING].point_digest(account_id, usage_point_id)
    return f"{redis_keys.account_tag(account_id)}:lg:last:{digest}"


async def _record_last_call(request: web.Request, account_id: str, usage_point_id: str) -> None:
    store = request.app[state.STORE]
    if not store.available:
        return
    key = _last_call_key(request, account_id, usage_point_id)
    pipe = store.client.pipeline(transaction=False)
    pipe.set(key, legacy_datetime(datetime.now(UTC)), ex=LAST_CALL_TTL)
    index_account_key(pipe, account_id, key, LAST_CALL_TTL)
    try:
        await pipe.execute()
    except REDIS_ERRORS as exc:
        store.mark_down(exc)


async def _last_call(request: web.Request, account_id: str, usage_point_id: str) -> str | None:
    store = request.app[state.STORE]
    if not store.available:
        return None
    try:
        value = await store.client.get(_last_call_key(request, account_id, usage_point_id))
    except REDIS_ERRORS as exc:
        store.mark_down(exc)
        return None
    if isinstance(value, bytes):
        value = value.decode()
    return value if isinstance(value, str) else None


def _json(body: dict[str, Any]) -> web.Response:
    return web.json_response(body)


def _cache_unavailable() -> GatewayError:
    return unavailable("The cache is unavailable; try again later.", 5, code="cache_unavailable")


# -- data paths ------------------------------------------------------------------------------


async def fetch_data(request: web.Request) -> web.StreamResponse:
    """The shared forwarder; remembers when the point was last fetched from Enedis."""
    try:
        return await forward(request)
    finally:
        if FETCHED in request:
            data: DataRequest = request[DATA_REQUEST]
            await _record_last_call(request, request[PRINCIPAL].account_id, data.usage_point_id)


def _data_handler(segment: str, *, cached: bool) -> Handler:
    endpoint = BY_NAME[(CUSTOMER_PATHS | RANGED_PATHS)[segment]]
    what = (
        "Answered from the encrypted cache where it holds the data; what is missing is fetched "
        "from Enedis and stored (encrypted)."
        if cached
        else "Answered from Enedis; nothing is read from or written to the cache."
    )
    ranged = " Long ranges are split into calls Enedis accepts." if endpoint.is_ranged else ""

    @docs(
        tags=[_TAG],
        summary=f"{endpoint.name.replace('_', ' ').capitalize()}{' (cache)' if cached else ''}",
        description=f"Enedis' `{endpoint.path}` answer for the usage point. {what}{ranged}",
        security=LEGACY,
        parameters=_parameters(*(_RANGE if endpoint.is_ranged else _POINT)),
        responses={
            200: _ok(DATA_SCHEMAS[segment], "Enedis' answer."),
            **error_responses(Surface.LEGACY, 400, 401, 403, 404, 409, 422, 502, 503),
        },
    )
    async def handler(request: web.Request) -> web.StreamResponse:
        return await fetch_data(request)

    return handler


# -- cache purges ----------------------------------------------------------------------------


def _purge_customer(segment: str) -> Handler:
    endpoint = BY_NAME[CUSTOMER_PATHS[segment]]

    @docs(
        tags=[_TAG],
        summary=f"Purge the cached {segment} of a usage point",
        description="Deletes this endpoint's cache entry for the usage point.",
        security=LEGACY,
        parameters=_parameters(*_POINT),
        responses={
            200: _ok("ResponseDeleteCustomer", "Purged."),
            **error_responses(Surface.LEGACY, 401, 403, 422, 503),
        },
    )
    async def handler(request: web.Request) -> web.Response:
        usage_point_id = usage_point_of(request)
        await owned_grant(request, usage_point_id)
        principal: Principal = request[PRINCIPAL]
        try:
            await request.app[state.CACHE].purge_days(
                principal.account_id,
                usage_point_id,
                endpoint,
                None,
                None,
                request.app[state.FORWARDER].adapter.sections(endpoint),
            )
        except REDIS_ERRORS:
            raise _cache_unavailable() from None
        return _json(
            {
                "usage_point_id": usage_point_id,
                "path": f"/{segment}/{usage_point_id}/cache",
                "delete": True,
            }
        )

    return handler


def _purge_window(
    request: web.Request, endpoint: Endpoint, start: date, end: date
) -> tuple[date, date]:
    """``[start, end[`` cut to the days the cache can hold (entries outlive the history
    depth by at most their lifetime), so a purge never lists thousands of keys."""
    settings = request.app[state.SETTINGS]
    today = rules.paris_today()
    lifetime = timedelta(seconds=settings.cache_ttl + settings.cache_stale) + timedelta(days=2)
    oldest = history_deadline(endpoint, today) - lifetime
    return max(start, oldest), min(end, today + timedelta(days=1))


def _purge_range(segment: str) -> Handler:
    endpoint = BY_NAME[RANGED_PATHS[segment]]

    @docs(
        tags=[_TAG],
        summary=f"Purge the cached {segment.replace('_', ' ')} of a range",
        description="Deletes this endpoint's cache entries for the days of `[start, end[`.",
        security=LEGACY,
        parameters=_parameters(*_RANGE),
        responses={
            200: _ok("ResponseDeleteCache", "Purged."),
            **error_responses(Surface.LEGACY, 400, 401, 403, 422, 503),
        },
    )
    async def handler(request: web.Request) -> web.Response:
        usage_point_id = usage_point_of(request)
        start, end = day_of(request, "start"), day_of(request, "end")
        if start >= end:
            raise _enedis_refusal(rules.EnedisError.from_catalogue(enedis_errors.START_AFTER_END))
        await owned_grant(request, usage_point_id)
        principal: Principal = request[PRINCIPAL]
        first, stop = _purge_window(request, endpoint, start, end)
        if first < stop:
            try:
                await request.app[state.CACHE].purge_days(
                    principal.account_id, usage_point_id, endpoint, first, stop
                )
            except REDIS_ERRORS:
                raise _cache_unavailable() from None
        path = f"/{segment}/{usage_point_id}/start/{start}/end/{end}/cache"
        return _json({"usage_point_id": usage_point_id, "path": [path], "purge": True})

    return handler


@docs(
    tags=[_TAG],
    summary="Purge every cached answer of a usage point",
    description="Deletes every cache entry of the usage point (all endpoints, all days), "
    "whichever surface stored it.",
    security=LEGACY,
    parameters=_parameters(*_POINT),
    responses={
        200: _ok("ResponseDeleteCache", "Purged."),
        **error_responses(Surface.LEGACY, 401, 403, 422, 503),
    },
)
async def purge_point(request: web.Request) -> web.Response:
    usage_point_id = usage_point_of(request)
    await owned_grant(request, usage_point_id)
    principal: Principal = request[PRINCIPAL]
    try:
        await request.app[state.CACHE].purge_usage_point(principal.account_id, usage_point_id)
    except REDIS_ERRORS:
        raise _cache_unavailable() from None
    paths = [f"/{segment}/{usage_point_id}/cache" for segment in CUSTOMER_PATHS]
    paths += [f"/{segment}/{usage_point_id}{RANGE_SUFFIX}/cache" for segment in RANGED_PATHS]
    return _json({"usage_point_id": usage_point_id, "path": paths, "purge": True})


# -- valid_access and ping -------------------------------------------------------------------


def next_utc_midnight(now: datetime) -> datetime:
    return (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)


def _consent_information(grant: UsagePointGrant) -> str:
    expires = legacy_datetime(grant.consent_expires_at)
    if grant.usable:
        return f"The consent for this usage point is active until {expires} UTC."
    if grant.status == "expired":
        return (
            f"The consent for this usage point expired at {expires} UTC; give it again "
            "through /oauth/authorize."
        )
    return (
        f"The consent for this usage point is {grant.status}; give it again through "
        "/oauth/authorize."
    )


@docs(
    tags=[_TAG],
    summary="State of the access to a usage point",
    description="Whether the account holds a live consent for the usage point, and the "
    "account's daily upstream allowance (`call_number` upstream calls used today out of "
    "`quota_limit`, reset at 00:00 UTC). Dates are UTC. `last_call` is the last time the "
    "legacy surface fetched this point from Enedis (before any, the consent's start). "
    "Enedis is not called.",
    security=LEGACY,
    parameters=_parameters(*_POINT),
    responses={
        200: _ok("ResponseValidAccess", "The state of the access."),
        **error_responses(Surface.LEGACY, 401, 403, 422),
    },
)
async def valid_access(request: web.Request) -> web.Response:
    usage_point_id = usage_point_of(request)
    grant = await owned_grant(request, usage_point_id)
    principal: Principal = request[PRINCIPAL]
    usage = (await request.app[state.QUOTAS].read(principal.account_id))[UPSTREAM]
    now = datetime.now(UTC)
    information = _consent_information(grant)
    reached = usage.used >= usage.limit
    if reached:
        information += " Today's quota of upstream calls is reached; it resets at 00:00 UTC."
    last_call = await _last_call(request, principal.account_id, usage_point_id)
    body = {
        "valid": grant.usable,
        "information": information,
        "consent_expiration_date": legacy_datetime(grant.consent_expires_at),
        "call_number": usage.used,
        "quota_reached": reached,
        "quota_limit": usage.limit,
        "quota_reset_at": legacy_datetime(next_utc_midnight(now), fraction=True),
        "last_call": last_call or legacy_datetime(grant.consent_start),
        "ban": False,
    }
    return _json(body)


def _breaker_open(app: web.Application) -> bool:
    forwarder = app.get(state.FORWARDER)
    breaker = getattr(forwarder, "breaker", None)
    return getattr(breaker, "state", "closed") == "open"


@docs(
    tags=[_TAG],
    summary="Health of the gateway",
    description="`status` is false while Enedis is considered down (circuit breaker open: "
    "cached data is still served). No credentials needed.",
    security=PUBLIC,
    responses={200: _ok("ResponseHealthCheck", "The gateway answers.")},
)
async def ping(request: web.Request) -> web.Response:
    if _breaker_open(request.app):
        body: dict[str, Any] = {
            "status": False,
            "information": "The gateway is up but Enedis is unavailable; cached data is served.",
        }
    else:
        body = {"status": True, "information": "The gateway is up."}
    return _json(body)


# -- what the earlier gateway did and this one does not --------------------------------------

_NOT_HERE = (
    " The earlier public gateway offered it; this gateway only serves Enedis Data Connect data."
)


def _not_implemented(what: str) -> Handler:
    message = f"{what} is not a feature of this gateway.{_NOT_HERE}"

    @docs(
        tags=[_TAG],
        summary=f"Not implemented: {what}",
        description=message,
        security=PUBLIC,
        responses=error_responses(Surface.LEGACY, 501),
    )
    async def handler(request: web.Request) -> web.Response:
        # the catch-alls of a family are registered for any method ("*"): only GET is a
        # route of the earlier gateway (the other routes are registered for their method)
        if request.match_info.route.method == "*" and request.method != "GET":
            raise web.HTTPMethodNotAllowed(request.method, ["GET"])
        raise GatewayError(501, "not_implemented", message)

    return handler


_NOT_IMPLEMENTED: tuple[tuple[str, str, str], ...] = (
    ("GET", "/reset/{usage_point_id}", "Generating a new token through /reset"),
    ("DELETE", "/admin/reset/{usage_point_id}", "The admin routes of the earlier gateway"),
    ("GET", "/admin/rte/tempo/start/{start}/end/{end}", "Tempo"),
    ("GET", "/admin/rte/ecowatt", "EcoWatt"),
    ("POST", "/admin/edf/tempo/price", "Tempo"),
    ("GET", "/edf/tempo/days", "Tempo (EDF)"),
    ("GET", "/edf/tempo/price", "Tempo (EDF)"),
)
# whole families of paths, without trailing-slash twins: 501 to GET (the method of every
# such route of the earlier gateway), 405 with ``Allow`` to the others, as on every route
_NOT_IMPLEMENTED_PREFIXES: tuple[tuple[str, str], ...] = (
    ("/edf", "Tempo (EDF)"),
    ("/rte", "Tempo and EcoWatt (RTE)"),
    ("/tempo", "Tempo"),
    ("/ecowatt", "EcoWatt"),
)


# -- registration ----------------------------------------------------------------------------


def _spec(name: str, auth: Auth = Auth.ACCOUNT, parse: Any = None) -> RouteSpec:
    return RouteSpec(Surface.LEGACY, auth, parse=parse, name=f"legacy.{name}")


def register(app: web.Application) -> None:
    add = routing.add
    add(app, "GET", "/ping", ping, _spec("ping", Auth.NONE))
    for suffix in ("", "/cache"):
        add(app, "GET", f"/valid_access/{{usage_point_id}}{suffix}", valid_access,
            _spec("valid_access"))  # fmt: skip
    for segment, name in (CUSTOMER_PATHS | RANGED_PATHS).items():
        endpoint = BY_NAME[name]
        base = f"/{segment}/{{usage_point_id}}" + (RANGE_SUFFIX if endpoint.is_ranged else "")
        plain = _spec(segment, parse=parse_for(endpoint, cached=False))
        cached = _spec(f"{segment}.cache", parse=parse_for(endpoint, cached=True))
        add(app, "GET", base, _data_handler(segment, cached=False), plain)
        add(app, "GET", base + "/cache", _data_handler(segment, cached=True), cached)
        purge = _purge_range(segment) if endpoint.is_ranged else _purge_customer(segment)
        add(app, "DELETE", base + "/cache", purge, _spec(f"{segment}.purge"))
    add(app, "DELETE", "/cache/{usage_point_id}", purge_point, _spec("cache.purge"))
    for method, path, what in _NOT_IMPLEMENTED:
        add(app, method, path, _not_implemented(what), _spec("not_implemented", Auth.NONE))
    for prefix, what in _NOT_IMPLEMENTED_PREFIXES:
        handler = _not_implemented(what)
        spec = _spec("not_implemented", Auth.NONE)
        add(app, "*", prefix, handler, spec, trailing_slash=False)
        add(app, "*", prefix + "/{tail:.*}", handler, spec, trailing_slash=False)
