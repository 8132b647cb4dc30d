"""The sandbox application: a stand-in for Enedis Data Connect v5 and 2026 (``customers``).

Routes, all from ``catalogue``: the token/revoke endpoints, the consent pages (v1 and v2,
GET plus the POST of their HTML form), the nine v5 data endpoints, the seven 2026
measurement operations, the five 2026 contract-data APIs (``{base}/{prm}``; ``{base}``
alone is the PRM-in-query mistake, 500), ``POST /subscribed_services/v1``, and the
``/__sandbox`` control routes (faults, stats, reset, customers, revoke).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from aiohttp import web

from gateway.enedis.catalogue import (
    CONSENT_V1_PATH,
    CONSENT_V2_PATH,
    CONTRACT_APIS,
    ENDPOINTS,
    MEASURE_OPERATIONS,
    SUBSCRIBED_SERVICES_PATH,
)
from gateway.sandbox import admin, oauth
from gateway.sandbox.contracts2026 import contract_handler, prm_in_query_handler
from gateway.sandbox.measurement import measure_handler
from gateway.sandbox.metering import data_handler
from gateway.sandbox.services import subscribed_services_handler
from gateway.sandbox.settings import SandboxSettings
from gateway.sandbox.state import STATE, SandboxState

__all__ = ["create_app", "run"]

logger = logging.getLogger(__name__)


def create_app(
    settings: SandboxSettings, *, clock: Callable[[], float] = time.monotonic
) -> web.Application:
    """Build the sandbox application. ``clock`` (monotonic seconds) drives tokens and quotas."""
    app = web.Application()
    app[STATE] = SandboxState(settings, clock)
    app.router.add_post("/oauth2/v3/token", oauth.token)
    app.router.add_post("/oauth2/v3/revoke", oauth.revoke)
    app.router.add_get(CONSENT_V1_PATH, oauth.authorize)
    app.router.add_post(CONSENT_V1_PATH, oauth.consent_form)
    app.router.add_get(CONSENT_V2_PATH, oauth.authorize_v2)
    app.router.add_post(CONSENT_V2_PATH, oauth.consent_form)
    for endpoint in ENDPOINTS:
        app.router.add_get(endpoint.path, data_handler(endpoint), name=endpoint.name)
    for op in MEASURE_OPERATIONS:
        app.router.add_get(op.path, measure_handler(op), name=op.name)
    for contract in CONTRACT_APIS:
        app.router.add_get(contract.path("{prm}"), contract_handler(contract), name=contract.name)
        for path in (contract.base, contract.base + "/"):
            app.router.add_get(path, prm_in_query_handler(contract))
    services = subscribed_services_handler()
    app.router.add_post(SUBSCRIBED_SERVICES_PATH, services, name="subscribed_services")
    app.router.add_post(SUBSCRIBED_SERVICES_PATH + "/", services)
    app.router.add_get("/__sandbox/faults", admin.get_faults)
    app.router.add_post("/__sandbox/faults", admin.post_faults)
    app.router.add_get("/__sandbox/stats", admin.get_stats)
    app.router.add_post("/__sandbox/reset", admin.post_reset)
    app.router.add_get("/__sandbox/customers", admin.get_customers)
    app.router.add_post("/__sandbox/revoke", admin.post_revoke)
    return app


async def run(settings: SandboxSettings) -> None:
    """Serve the sandbox on ``settings.host:port`` until cancelled."""
    # Short grace on shutdown: an injected timeout must not hold the process for a minute.
    runner = web.AppRunner(create_app(settings), access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    try:
        site = web.TCPSite(runner, settings.host, settings.port)
        await site.start()
        logger.info("sandbox listening on http://%s:%d", settings.host, settings.port)
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
