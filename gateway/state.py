"""Typed application state: one ``AppKey`` per shared resource or service."""

from __future__ import annotations

from typing import TYPE_CHECKING

import aiohttp
import asyncpg
from aiohttp import web

from gateway.config import Settings
from gateway.keyring import Keyring
from gateway.shared_store import SharedStore

if TYPE_CHECKING:
    from gateway.accounts.service import Accounts
    from gateway.cache.store import CacheStore
    from gateway.enedis.forwarder import Forwarder
    from gateway.imports.jobs import ImportJobs
    from gateway.quota import Quotas

SETTINGS = web.AppKey("settings", Settings)
DB = web.AppKey("db", asyncpg.Pool)
STORE = web.AppKey("store", SharedStore)
HTTP = web.AppKey("http", aiohttp.ClientSession)
KEYRING = web.AppKey("keyring", Keyring)
ACCOUNTS: web.AppKey[Accounts] = web.AppKey("accounts")
FORWARDER: web.AppKey[Forwarder] = web.AppKey("forwarder")
CACHE: web.AppKey[CacheStore] = web.AppKey("cache")
QUOTAS: web.AppKey[Quotas] = web.AppKey("quotas")
IMPORTS: web.AppKey[ImportJobs] = web.AppKey("imports")
