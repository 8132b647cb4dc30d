"""The bare baseline of B1: an aiohttp app answering every GET with the same bytes.

``python -m bench.bare --port P --body FILE --content-type TYPE``; run in a process of its
own, like the gateway, and loaded by the same load generator.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from aiohttp import web


def build(body: bytes, content_type: str) -> web.Application:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(body=body, content_type=content_type)

    app = web.Application()
    app.router.add_get("/{tail:.*}", handler)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bare")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--body", required=True, help="file whose bytes every answer carries")
    parser.add_argument("--content-type", default="application/json")
    args = parser.parse_args()
    app = build(Path(args.body).read_bytes(), args.content_type)
    web.run_app(app, host=args.host, port=args.port, access_log=None, print=None)


if __name__ == "__main__":
    main()
