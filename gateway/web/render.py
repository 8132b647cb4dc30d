"""Rendering of the web pages: the Jinja environment, the language, the common context."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web

from gateway import state
from gateway.security_headers import content_security_policy
from gateway.web.csrf_origin import origin_of
from gateway.web.i18n import LANG_COOKIE, LANGUAGES, choose_language, translate

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"

#: Web pages hold anti-forgery tokens and sometimes secrets: never cached. The referrer
#: policy lets the browser send this site's ``Origin`` with a form (``no-referrer`` would
#: make it ``null``), and nothing to other sites.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "Referrer-Policy": "same-origin",
}


def setup_templates(app: web.Application) -> None:
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=jinja2.select_autoescape(default=True),
    )


def language(request: web.Request) -> str:
    return choose_language(request.cookies.get(LANG_COOKIE), request.headers.get("Accept-Language"))


def context(request: web.Request, **values: Any) -> dict[str, Any]:
    """What every template gets: the language, ``t`` (translate), the path, switch links."""
    lang = language(request)

    def t(key: str, **params: object) -> str:
        return translate(lang, key, **params)

    return {
        "lang": lang,
        "languages": LANGUAGES,
        "t": t,
        "path": request.path_qs,
        # a page answering a form (a secret shown once) cannot be asked again in the other
        # language: no switch there
        "switchable": request.method == "GET",
        "user": None,
        "csrf": "",
        "flash": None,
        "unverified": False,
        **values,
    }


def render(
    request: web.Request, template: str, values: dict[str, Any], *, status: int = 200
) -> web.Response:
    response = aiohttp_jinja2.render_template(
        template, request, context(request, **values), status=status
    )
    response.headers.update(PAGE_HEADERS)
    # "add a meter" is a form whose answer redirects to Enedis' consent page
    enedis = origin_of(request.app[state.SETTINGS].enedis_authorize_url)
    body = response.body if isinstance(response.body, bytes) else b""
    response.headers["Content-Security-Policy"] = content_security_policy(body, form_targets=enedis)
    return response
