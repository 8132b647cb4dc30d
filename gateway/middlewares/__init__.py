"""The request chain, its order declared here and nowhere else.

    request -> error mapper -> auth -> (request validation) -> quota -> cache lookup
            -> forwarder (route handler)

Request validation checks bodies and parameters against the OpenAPI schemas of the
route (aiohttp-apigami), after auth (no credentials: 401 first) and before quota (an
invalid request costs no allowance).

Each stage is a module of this package; stages that do not concern a route (e.g. quota
on a management route) pass the request through.
"""

from __future__ import annotations

from gateway.middlewares.auth import auth
from gateway.middlewares.cache_lookup import cache_lookup
from gateway.middlewares.error_mapper import error_mapper
from gateway.middlewares.quota import quota
from gateway.openapi import request_validation

CHAIN = (error_mapper, auth, request_validation, quota, cache_lookup)

__all__ = ["CHAIN"]
