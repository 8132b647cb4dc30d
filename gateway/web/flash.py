"""One-time messages shown on the next page (after a redirect), kept in the session."""

from __future__ import annotations

from aiohttp import web
from aiohttp_session import get_session

from gateway.web.i18n import translate

_FLASH = "f"


async def put(request: web.Request, key: str, **values: str) -> None:
    session = await get_session(request)
    session[_FLASH] = [key, values]


async def take(request: web.Request, lang: str) -> str | None:
    session = await get_session(request)
    stored = session.get(_FLASH)
    if stored is None:
        return None
    del session[_FLASH]
    try:
        key, values = stored
        return translate(lang, str(key), **dict(values))
    except (KeyError, TypeError, ValueError):
        return None
