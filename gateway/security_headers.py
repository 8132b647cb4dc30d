"""Security headers: ``nosniff`` and no referrer on every answer; on HTML pages (the
consent pages, Swagger UI at ``/docs``) a Content-Security-Policy that allows only this
origin's scripts and styles (and the page's own inline scripts, by hash) and no framing.

Also: ``Cache-Control: no-store`` on every answer of an authenticated route (they carry
personal data: identity, contact, address, contracts, measurements, usage points; the
credential routes set it themselves); ``Strict-Transport-Security`` when ``PUBLIC_URL`` is
https; and a ``Server`` header that names no software version, on every answer (the ones
aiohttp makes before any route, for a request it cannot parse, included)."""

from __future__ import annotations

import base64
import hashlib
import re

from aiohttp import web, web_response

from gateway import state
from gateway.routing import Auth, spec_of

SERVER = "enedis-gateway"
HSTS = "max-age=31536000"

# aiohttp answers unparsable requests (bad request line, oversized headers) before any
# application hook runs, with ``Server: SERVER_SOFTWARE`` ("Python/3.x aiohttp/3.y"): the
# one place to change that default is the module that writes it.
web_response.SERVER_SOFTWARE = SERVER  # type: ignore[attr-defined]

_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL | re.IGNORECASE)


def content_security_policy(html: bytes, *, form_targets: str = "") -> str:
    """The policy of an HTML page; ``form_targets``: origins its forms may lead to besides
    this one (a form whose answer redirects there, as the consent page of Enedis)."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(script).digest()).decode() + "'"
        for script in _INLINE_SCRIPT.findall(html)
    )
    return "; ".join(
        (
            "default-src 'none'",
            f"script-src 'self' {hashes}".rstrip(),
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "base-uri 'none'",
            f"form-action 'self' {form_targets}".rstrip(),
            "frame-ancestors 'none'",
        )
    )


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """``on_response_prepare``: the headers above on every response."""
    headers = response.headers
    headers["Server"] = SERVER
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    if spec_of(request).auth is not Auth.NONE:
        headers.setdefault("Cache-Control", "no-store")
    settings = request.app.get(state.SETTINGS)
    if settings is not None and settings.base_url.startswith("https://"):
        headers.setdefault("Strict-Transport-Security", HSTS)
    if response.content_type == "text/html":
        body = response.body if isinstance(response, web.Response) else None
        html = body if isinstance(body, bytes) else b""
        headers.setdefault("Content-Security-Policy", content_security_policy(html))
        headers.setdefault("X-Frame-Options", "DENY")
