"""The surfaces: thin adapters over the same chain, each registering its routes."""

from __future__ import annotations

from aiohttp import web


def register_all(app: web.Application) -> None:
    from gateway.surfaces import legacy, management, ops, v5, v2026

    ops.register(app)
    v5.register(app)
    v2026.register(app)
    management.register(app)
    legacy.register(app)
