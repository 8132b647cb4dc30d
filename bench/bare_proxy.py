"""B2's baseline of one more HTTP hop: an aiohttp app forwarding every GET to an upstream.

``python -m bench.bare_proxy --port P --upstream URL``: the request's path, query and
``Authorization`` go to ``URL`` through one keep-alive ``ClientSession`` and the upstream's
status and body come back, nothing else (no auth, cache, quota or limiter). B2 sends the
same direct calls through it, beside the gateway: what it adds is the cost of a hop
itself on this machine (two HTTP exchanges, two more processes woken), the part of the
gateway's added latency that no gateway could avoid.
"""

from __future__ import annotations

import argparse
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web

SESSION = web.AppKey("session", aiohttp.ClientSession)


def build(upstream: str) -> web.Application:
    async def forward(request: web.Request) -> web.Response:
        headers = {"Accept": "application/json"}
        if "Authorization" in request.headers:
            headers["Authorization"] = request.headers["Authorization"]
        async with request.app[SESSION].get(
            upstream + request.path, params=request.query, headers=headers
        ) as answer:
            body = await answer.read()
            return web.Response(status=answer.status, body=body, content_type="application/json")

    async def session(app: web.Application) -> AsyncIterator[None]:
        app[SESSION] = aiohttp.ClientSession()
        yield
        await app[SESSION].close()

    app = web.Application()
    app.cleanup_ctx.append(session)
    app.router.add_get("/{tail:.*}", forward)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bare_proxy")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--upstream", required=True, help="base URL requests are sent to")
    args = parser.parse_args()
    web.run_app(build(args.upstream), host=args.host, port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
