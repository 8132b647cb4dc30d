"""A data request of a web page, through the very chain of an API call.

The page's request is cloned into ``GET <path>?<query>`` with the session's access token
as its only credential (``Authorization: Bearer``: no cookie), resolved by the
application's router and run through ``middlewares.CHAIN`` (error mapper, auth, request
validation, quota, cache lookup) to the route's handler: the consent is checked, the
allowance charged and the cache used exactly as for the same call made by the account's
software. The answer is the route's own (its status and JSON body, errors in its dialect).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from yarl import URL

from gateway.middlewares import CHAIN
from gateway.routing import Handler


@dataclass(frozen=True, slots=True)
class SubAnswer:
    status: int
    body: Any
    cache_status: str | None


async def through_chain(
    request: web.Request, path: str, query: dict[str, str], token: str
) -> SubAnswer:
    """``GET path?query`` as the account of ``token``, through the chain."""
    app = request.app
    sub = request.clone(
        method="GET",
        rel_url=URL.build(path=path, query=query),
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
    )
    for key in list(sub):  # a clone copies the page's request state: start afresh
        del sub[key]
    match_info = await app.router.resolve(sub)
    match_info.add_app(app)
    match_info.freeze()
    sub._match_info = match_info
    handler: Handler = match_info.handler
    for stage in reversed(CHAIN):
        handler = functools.partial(stage, handler=handler)
    response = await handler(sub)
    body: Any = None
    if isinstance(response, web.Response) and isinstance(response.body, bytes):
        try:
            body = json.loads(response.body)
        except ValueError:
            body = None
    return SubAnswer(response.status, body, response.headers.get("X-Cache-Status"))
