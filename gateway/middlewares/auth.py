"""Stage of the chain: auth. Who is calling, and may that account read this usage point.

- ``Auth.ACCOUNT`` routes: a Bearer access token, HTTP Basic ``client_id:client_secret``,
  or on the legacy surface the raw secret in ``Authorization``; the principal is stored in
  ``request[PRINCIPAL]``.
- ``Auth.ADMIN`` routes: the ``ADMIN_API_KEY`` header, or an account listed in
  ``ADMIN_EMAILS`` that an operator confirmed (``gateway admin grant EMAIL``), read from
  the database and the current settings on each request.
- data routes (``spec.parse``): the request is parsed into a ``DataRequest`` (stored in
  ``request[DATA_REQUEST]``) and the account must hold a live consent for its usage point.
  With a Bearer token the request is parsed before the token is checked (a parse error is
  raised after it: 401 still comes first), so that the token's Redis read also brings the
  answer memo and its charge (``cache.hit_probe``, in ``request[HIT_PROBE]``); a request
  refused after that charge gets it back.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from aiohttp import web

from gateway import state
from gateway.accounts.principal import Principal
from gateway.cache.hit_probe import probe_for
from gateway.client_address import client_address
from gateway.data.request import DataRequest
from gateway.errors import NO_CONSENT_MESSAGE, GatewayError
from gateway.request_keys import DATA_REQUEST, HIT_PROBE, PRINCIPAL
from gateway.routing import Auth, Handler, Surface, spec_of

ADMIN_HEADER = "ADMIN_API_KEY"


def principal_of(request: web.Request) -> Principal:
    """The authenticated account of ``request`` (routes with ``Auth.ACCOUNT``)."""
    try:
        principal: Principal = request[PRINCIPAL]
    except KeyError:
        raise GatewayError(401, "invalid_client", "Authentication is required.") from None
    return principal


@web.middleware
async def auth(request: web.Request, handler: Handler) -> web.StreamResponse:
    spec = spec_of(request)
    if spec.auth is Auth.NONE:
        return await handler(request)
    accounts = request.app[state.ACCOUNTS]
    authorization = request.headers.get("Authorization")
    if spec.auth is Auth.ADMIN:
        if await accounts.check_admin_key(
            request.headers.get(ADMIN_HEADER), client_address=client_address(request)
        ):
            return await handler(request)
        if not authorization:
            raise GatewayError(
                401,
                "admin_required",
                f"Admin routes need the {ADMIN_HEADER} header or an admin account.",
            )
    early: DataRequest | BaseException | None = None
    probe = None
    if spec.parse is not None and _is_bearer(authorization):
        try:
            early = await _parse(spec.parse, request)
        except (GatewayError, web.HTTPException) as error:  # raised once the token is checked
            early = error
        else:
            probe = probe_for(request.app[state.CACHE], request.app[state.QUOTAS], early)
    try:
        principal = await accounts.authenticate(
            authorization,
            allow_raw_secret=spec.surface is Surface.LEGACY,
            client_address=client_address(request),
            probe=probe,
        )
        request[PRINCIPAL] = principal
        await request.app[state.IMPORTS].arm(principal)  # an import waiting for this key
        if spec.auth is Auth.ADMIN and not await accounts.is_admin(principal):
            raise GatewayError(403, "admin_required", "This account is not an administrator.")
        if spec.parse is not None:
            await _check_grant(request, spec.parse, early)
        if probe is not None and probe.done:
            request[HIT_PROBE] = probe
        return await handler(request)
    except BaseException:
        if probe is not None:
            await probe.refund()  # unless the answer came from the memo
        raise


def _is_bearer(authorization: str | None) -> bool:
    return authorization is not None and authorization.lstrip()[:7].lower() == "bearer "


async def _parse(parse: Callable[[web.Request], Any], request: web.Request) -> DataRequest:
    data_request = parse(request)
    if inspect.isawaitable(data_request):
        data_request = await data_request
    assert isinstance(data_request, DataRequest)
    return data_request


async def _check_grant(
    request: web.Request,
    parse: Callable[[web.Request], Any],
    early: DataRequest | BaseException | None,
) -> None:
    """Parse the data request (or raise the early parse's error) and check its consent."""
    if isinstance(early, BaseException):
        raise early
    data_request = early if early is not None else await _parse(parse, request)
    request[DATA_REQUEST] = data_request
    grant = await request.app[state.ACCOUNTS].grant_for(
        request[PRINCIPAL], data_request.usage_point_id
    )
    if grant is None:
        raise GatewayError(403, "GW-NO-CONSENT", NO_CONSENT_MESSAGE)
    if not grant.usable:
        raise GatewayError(
            403,
            "GW-CONSENT-EXPIRED",
            f"The consent for this usage point is {grant.status}; give it again through"
            " /oauth/authorize.",
        )
