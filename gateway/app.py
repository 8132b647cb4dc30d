"""Builds the aiohttp application: the chain, the routes of every surface, resources."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web

from gateway import db, state
from gateway.config import Settings
from gateway.middlewares import CHAIN
from gateway.shared_store import SharedStore

log = logging.getLogger(__name__)


async def _database(app: web.Application) -> AsyncIterator[None]:
    settings = app[state.SETTINGS]
    pool = await db.create_pool(settings.database_url, settings.db_pool_max)
    app[state.DB] = pool
    yield
    await pool.close()


async def _shared_store(app: web.Application) -> AsyncIterator[None]:
    store = SharedStore(app[state.SETTINGS].redis_url)
    app[state.STORE] = store
    await store.ping()
    yield
    await store.close()


async def _http_client(app: web.Application) -> AsyncIterator[None]:
    session = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=100, enable_cleanup_closed=True),
        raise_for_status=False,
    )
    app[state.HTTP] = session
    yield
    await session.close()


def build_app(settings: Settings) -> web.Application:
    """The gateway application for ``settings`` (resources open on startup)."""
    from gateway.surfaces import register_all

    app = web.Application(middlewares=list(CHAIN), client_max_size=settings.max_body_bytes)
    app[state.SETTINGS] = settings
    app.cleanup_ctx.extend([_database, _shared_store, _http_client])
    register_all(app)
    return app
