"""Typed per-request state shared by the stages of the chain."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from gateway.data.request import DataRequest

if TYPE_CHECKING:
    from gateway.accounts.principal import Principal

PRINCIPAL: web.RequestKey["Principal"] = web.RequestKey("principal")
DATA_REQUEST = web.RequestKey("data_request", DataRequest)
CACHE_STATUS = web.RequestKey("cache_status", str)
