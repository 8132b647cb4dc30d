"""The sandbox application: a stand-in for Enedis Data Connect v5 (see ``customers``).

Routes: the token/revoke endpoints, the consent page, the nine data endpoints at their
Enedis paths, and the ``/__sandbox`` control routes (faults, stats, reset, customers).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from aiohttp import web

from gateway.enedis.catalogue import ENDPOINTS
from gateway.sandbox import admin, oauth
from gateway.sandbox.metering import data_handler
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
    app.router.add_get("/dataconnect/v1/oauth2/authorize", oauth.authorize)
    for endpoint in ENDPOINTS:
        app.router.add_get(endpoint.path, data_handler(endpoint), name=endpoint.name)
    app.router.add_get("/__sandbox/faults", admin.get_faults)
    app.router.add_post("/__sandbox/faults", admin.post_faults)
    app.router.add_get("/__sandbox/stats", admin.get_stats)
    app.router.add_post("/__sandbox/reset", admin.post_reset)
    app.router.add_get("/__sandbox/customers", admin.get_customers)
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
