"""Sandbox control routes under ``/__sandbox``: faults, stats, reset, customers, revoke.

``POST /__sandbox/revoke`` with ``{"usage_point_id": "<14 digits>"}`` revokes the point's
consent at run time, as its holder would in their Enedis account: both generations then
answer "no consent" for it and ``subscribed_services`` lists its services ``TERMINE``,
until a new consent (either page) shares it again.
"""

from __future__ import annotations

import json
import logging

from aiohttp import web

from gateway.enedis.rules import paris_today
from gateway.sandbox.customers import CUSTOMERS
from gateway.sandbox.state import STATE

__all__ = [
    "get_customers",
    "get_faults",
    "get_stats",
    "post_faults",
    "post_reset",
    "post_revoke",
]

logger = logging.getLogger(__name__)


def _bad_request(message: str) -> web.Response:
    return web.json_response({"error": "invalid_request", "error_description": message}, status=400)


async def get_faults(request: web.Request) -> web.Response:
    """``GET /__sandbox/faults``: the faults in force."""
    return web.json_response(request.app[STATE].faults.as_dict())


async def post_faults(request: web.Request) -> web.Response:
    """``POST /__sandbox/faults``: change any of the faults (JSON object); answer them all."""
    state = request.app[STATE]
    try:
        changes = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return _bad_request("body must be a JSON object")
    if not isinstance(changes, dict):
        return _bad_request("body must be a JSON object")
    try:
        state.faults = state.faults.updated(changes)
    except ValueError as e:
        return _bad_request(str(e))
    logger.info("sandbox faults now %s", state.faults.as_dict())
    return web.json_response(state.faults.as_dict())


async def get_stats(request: web.Request) -> web.Response:
    """``GET /__sandbox/stats``: calls received since the last reset."""
    return web.json_response(request.app[STATE].stats.as_dict())


async def post_reset(request: web.Request) -> web.Response:
    """``POST /__sandbox/reset``: zero stats and quota windows, restore the start faults.

    Consents are kept, unless the body is ``{"consents": true}``: then every share,
    run-time revocation and generated customer is forgotten too.
    """
    state = request.app[STATE]
    body = None
    if request.can_read_body:
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return _bad_request("body must be a JSON object")
    if body is not None and (
        not isinstance(body, dict)
        or set(body) - {"consents"}
        or not isinstance(body.get("consents", False), bool)
    ):
        return _bad_request('body must be {"consents": true|false}')
    if body and body.get("consents"):
        state.forget_consents()
    state.reset()
    return web.json_response(
        {"reset": True, "faults": state.faults.as_dict(), "stats": state.stats.as_dict()}
    )


async def get_customers(request: web.Request) -> web.Response:
    """``GET /__sandbox/customers``: the sandbox customers and their usage points."""
    body = {
        name: {
            "customer_id": c.customer_id,
            "usage_points": [
                {
                    "usage_point_id": p.usage_point_id,
                    "consumption": p.consumption,
                    "production": p.production,
                    "interval_length": f"PT{p.interval_minutes}M" if p.interval_minutes else None,
                    "consent": p.consent,
                    "gap_days_of_month": sorted(p.gap_days_of_month),
                }
                for p in c.points
            ],
        }
        for name, c in CUSTOMERS.items()
    }
    return web.json_response(body)


async def post_revoke(request: web.Request) -> web.Response:
    """``POST /__sandbox/revoke`` ``{"usage_point_id"}``: the holder revokes the consent."""
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return _bad_request("body must be a JSON object")
    usage_point_id = body.get("usage_point_id") if isinstance(body, dict) else None
    if not isinstance(usage_point_id, str):
        return _bad_request("usage_point_id: required, a string of 14 digits")
    if not request.app[STATE].consents.revoke(usage_point_id, paris_today()):
        return web.json_response(
            {"error": "not_found", "error_description": "unknown usage_point_id"}, status=404
        )
    logger.info("sandbox consent revoked for a usage point")
    return web.json_response({"usage_point_id": usage_point_id, "revoked": True})
