"""Security headers: ``nosniff`` and no referrer on every answer; on HTML pages (the
consent pages, Swagger UI at ``/docs``) a Content-Security-Policy that allows only this
origin's scripts and styles (and the page's own inline scripts, by hash) and no framing."""

from __future__ import annotations

import base64
import hashlib
import re

from aiohttp import web

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
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    if response.content_type == "text/html":
        body = response.body if isinstance(response, web.Response) else None
        html = body if isinstance(body, bytes) else b""
        headers.setdefault("Content-Security-Policy", content_security_policy(html))
        headers.setdefault("X-Frame-Options", "DENY")
