"""Anti-forgery checks of the web forms.

Every state-changing form posts the session's token (``csrf`` field, see
``sessions.csrf_token``), compared in constant time; and the browser must say the form came
from this site: ``Origin`` (or, without it, ``Referer``) is the gateway's public origin or
the origin the request was addressed to. Anything else is 403 before any change.
"""

from __future__ import annotations

import hmac

from aiohttp import web
from multidict import MultiDict, MultiDictProxy

from gateway import state
from gateway.errors import GatewayError
from gateway.web.csrf_origin import origin_of
from gateway.web.sessions import CSRF_FIELD, csrf_token

CSRF_FAILED = "csrf_failed"


def same_site(request: web.Request) -> bool:
    """The browser says the request comes from a page of this gateway."""
    allowed = {
        origin_of(request.app[state.SETTINGS].base_url),
        f"{request.scheme}://{request.host}".lower(),
    }
    origin = request.headers.get("Origin")
    if origin is not None and origin != "null":
        return origin_of(origin) in allowed
    referer = request.headers.get("Referer")
    return referer is not None and origin_of(referer) in allowed


def refused() -> GatewayError:
    return GatewayError(403, CSRF_FAILED, "The form's anti-forgery check failed.")


async def checked_form(request: web.Request) -> MultiDictProxy[str]:
    """The posted form, once its token and origin are checked (403 otherwise)."""
    if not same_site(request):
        raise refused()
    form = await request.post()
    expected = await csrf_token(request)
    given = form.get(CSRF_FIELD)
    if not isinstance(given, str) or not hmac.compare_digest(given.encode(), expected.encode()):
        raise refused()
    return MultiDictProxy(MultiDict((k, v) for k, v in form.items() if isinstance(v, str)))
