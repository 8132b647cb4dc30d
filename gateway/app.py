"""Builds the aiohttp application: the chain, the routes of every surface, resources."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web

from gateway import db, state
from gateway.config import Settings
from gateway.cors import setup_cors
from gateway.imports.jobs import imports_context
from gateway.keyring import Keyring
from gateway.middlewares import CHAIN
from gateway.observability.request_id import echo_request_id, request_id_middleware
from gateway.observability.tracing import (
    client_trace_configs,
    server_tracing_middleware,
    setup_telemetry,
)
from gateway.security_headers import security_headers
from gateway.shared_store import SharedStore
from gateway.web import routes as web_routes
from gateway.web.sessions import session_stage

log = logging.getLogger(__name__)


async def _database(app: web.Application) -> AsyncIterator[None]:
    settings = app[state.SETTINGS]
    pool = await db.create_pool(settings.database_url, settings.db_pool_max)
    app[state.DB] = pool
    yield
    await pool.close()


async def _shared_store(app: web.Application) -> AsyncIterator[None]:
    store = SharedStore.from_settings(app[state.SETTINGS])
    app[state.STORE] = store
    await store.ping()
    yield
    await store.close()


async def _http_client(app: web.Application) -> AsyncIterator[None]:
    session = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=100, enable_cleanup_closed=True),
        raise_for_status=False,
        trace_configs=client_trace_configs(),
    )
    app[state.HTTP] = session
    yield
    await session.close()


async def _services(app: web.Application) -> AsyncIterator[None]:
    """The services of the request path, built over the shared resources."""
    from gateway.cache.store import CacheStore
    from gateway.enedis.adapters import adapter_for
    from gateway.enedis.app_token import AppTokenProvider
    from gateway.enedis.breaker import CircuitBreaker
    from gateway.enedis.catalogue import Api, Generation
    from gateway.enedis.forwarder import Forwarder
    from gateway.enedis.limiter import Limiter
    from gateway.quota import Quotas

    settings = app[state.SETTINGS]
    store = app[state.STORE]
    keyring = app[state.KEYRING]
    app[state.CACHE] = CacheStore(store, keyring, settings)
    app[state.QUOTAS] = Quotas(
        store,
        upstream_limit=settings.daily_limit_upstream,
        cached_limit=settings.daily_limit_cached,
    )
    generation = Generation(settings.enedis_api)
    limiters = {
        api: Limiter(
            store,
            rate=settings.enedis_rate_limit,
            hourly=settings.hourly_limit,
            replicas=settings.replicas * settings.workers,  # every event loop takes a share
            max_wait=settings.upstream_max_wait,
            margin=settings.enedis_rate_margin,
            api=api.value,
        )
        for api in Api
        if api.generation is generation or api is Api.SUBSCRIBED_SERVICES  # consent v2
    }
    tokens = AppTokenProvider(
        http=app[state.HTTP],
        store=store,
        server_key=settings.secret_key,
        base_url=settings.enedis_base_url,
        client_id=settings.enedis_client_id,
        client_secret=settings.enedis_client_secret,
        timeout=settings.upstream_timeout,
    )
    breaker = CircuitBreaker(settings.breaker_threshold, settings.breaker_cooldown)
    forwarder = Forwarder(
        settings, app[state.HTTP], limiters, tokens, breaker, adapter_for(generation)
    )
    app[state.FORWARDER] = forwarder
    yield
    await forwarder.close()
    await app[state.CACHE].drain()  # the cache writes still running, before Redis closes


async def _accounts(app: web.Application) -> AsyncIterator[None]:
    from gateway.accounts.service import Accounts

    app[state.ACCOUNTS] = Accounts(
        app[state.DB], app[state.STORE], app[state.KEYRING], app[state.SETTINGS]
    )
    yield


def build_app(settings: Settings) -> web.Application:
    """The gateway application for ``settings`` (resources open on startup)."""
    from gateway.surfaces import register_all

    setup_telemetry(settings)
    # observability first (outside the error mapper: it sees every final status), then CHAIN
    app = web.Application(client_max_size=settings.max_body_bytes)
    # CORS preflights are answered before the chain (no credentials in a preflight)
    cors = setup_cors(app, settings.cors_origins)
    # the browser session (read by the web pages only) is kept outside the error mapper, so
    # that an error page still carries the session's cookie
    stages = [server_tracing_middleware(), request_id_middleware, *cors, session_stage(settings)]
    app.middlewares.extend([*stages, *CHAIN])
    app[state.SETTINGS] = settings
    app.on_response_prepare.append(echo_request_id)
    app.on_response_prepare.append(security_headers)
    app[state.KEYRING] = Keyring(settings.secret_key)
    app.cleanup_ctx.extend(
        [_database, _shared_store, _http_client, _services, _accounts, imports_context]
    )
    register_all(app)
    web_routes.register(app)
    return app
