"""The OpenAPI 3 document of the gateway, generated from the route handlers (aiohttp-apigami).

Route modules describe their handlers with apigami's decorators (``docs``,
``querystring_schema``, ``json_schema``, ``match_info_schema``, ``headers_schema``,
``response_schema``) and reuse the helpers below for security and error bodies:

    from aiohttp_apigami import docs, json_schema, response_schema
    from gateway.openapi import ACCOUNT, error_responses

    @docs(tags=["management"], summary="Rename the account", security=ACCOUNT,
          responses=error_responses(Surface.MANAGEMENT, 401, 422))
    @json_schema(RenameRequest)
    @response_schema(AccountSchema, 200, description="The account.")
    async def rename(request: web.Request) -> web.Response:
        body = request["json"]
        ...

- ``GET /openapi.json``: the document (built once, on first request, from every route);
- ``GET /docs``: Swagger UI (apigami ships the assets: served from ``/docs/static``, no CDN);
- ``write_document(path)``: writes ``openapi/gateway.json`` without connecting anywhere
  (``gateway openapi`` / ``make openapi``); a test keeps the committed file up to date.

Request validation: ``request_validation`` (apigami's ``validation_middleware``) parses and
validates what the schemas declare; its errors become ``GatewayError`` (via
``GatewayParser``) so the error mapper renders them in the surface's dialect. It belongs in
the chain after the error mapper (see ``gateway/middlewares/__init__.py``).
"""

from __future__ import annotations

import copy
import json
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp_apigami import docs, validation_middleware
from aiohttp_apigami.constants import API_SPEC_ATTR, APISPEC_PARSER, APISPEC_VALIDATED_DATA_NAME
from aiohttp_apigami.core import resolver
from aiohttp_apigami.plugin import ApigamiPlugin
from aiohttp_apigami.swagger_ui import NAME_SWAGGER_SPEC, SwaggerUIManager
from aiohttp_apigami.utils import get_path, make_json_serializable
from apispec import APISpec
from marshmallow import Schema, ValidationError, fields
from webargs.aiohttpparser import AIOHTTPParser

from gateway.errors import GatewayError
from gateway.routing import Surface, spec_of

DOCUMENT_PATH = Path(__file__).resolve().parent.parent / "openapi" / "gateway.json"
OPENAPI_URL = "/openapi.json"
DOCS_URL = "/docs"
DOCS_STATIC = "/docs/static"
OPENAPI_VERSION = "3.0.3"

# apigami's validation middleware, to be placed in the chain after the error mapper.
request_validation = validation_middleware

# -- security requirements for @docs(security=...) -----------------------------------------

PUBLIC: list[dict[str, list[str]]] = []
ACCOUNT: list[dict[str, list[str]]] = [{"bearerAuth": []}, {"basicAuth": []}]
LEGACY: list[dict[str, list[str]]] = [{"bearerAuth": []}, {"basicAuth": []}, {"legacyApiKey": []}]
ADMIN: list[dict[str, list[str]]] = [{"adminApiKey": []}, {"bearerAuth": []}, {"basicAuth": []}]

SECURITY_SCHEMES: dict[str, dict[str, Any]] = {
    "bearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "description": "An access token of the gateway (POST /oauth2/v3/token, "
        "client_credentials grant with the account's client_id and client_secret).",
    },
    "basicAuth": {
        "type": "http",
        "scheme": "basic",
        "description": "The account's client_id and client_secret as HTTP Basic credentials.",
    },
    "legacyApiKey": {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "Legacy surface only: the raw client_secret in the Authorization header.",
    },
    "adminApiKey": {
        "type": "apiKey",
        "in": "header",
        "name": "ADMIN_API_KEY",
        "description": "The operator's key (setting ADMIN_API_KEY) for the admin routes.",
    },
}

# -- error bodies -------------------------------------------------------------------------


class V2026Error(Schema):
    """The Enedis Data Connect 2026 error body, as the 2026 surface answers it."""

    code = fields.String(required=True, metadata={"example": "400"})
    message = fields.String(
        required=True,
        metadata={"example": "dateFin: must be after dateDebut (dateFin is excluded)."},
    )


class V5Error(Schema):
    """The Enedis error body, as the v5 surface answers it."""

    error = fields.String(required=True, metadata={"example": "invalid_request"})
    error_description = fields.String(
        required=True, metadata={"example": "Start date should be before end date."}
    )
    hint = fields.String(
        required=False,
        metadata={
            "description": "The gateway's advice, when Enedis' own text (kept as Enedis "
            "words it) does not say how to fix the request; Enedis' clients ignore it."
        },
    )


class LegacyError(Schema):
    """The legacy surface's error body: a message, or (422) a list of field errors."""

    detail = fields.Raw(
        required=True,
        metadata={"description": 'A message, or for 422 a list of {"loc", "msg", "type"} objects.'},
    )


class Problem(Schema):
    """RFC 9457 problem details (management and operations surfaces)."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    code = fields.String(required=True, metadata={"description": "A stable error code."})
    field = fields.String(metadata={"description": "The faulty field, when there is one."})
    instance = fields.String()


_ERROR_BODIES: dict[Surface, tuple[str, type[Schema]]] = {
    Surface.V5: ("application/json", V5Error),
    Surface.V2026: ("application/json", V2026Error),
    Surface.LEGACY: ("application/json", LegacyError),
    Surface.MANAGEMENT: ("application/problem+json", Problem),
    Surface.OPS: ("application/problem+json", Problem),
}

_DESCRIPTIONS = {
    400: "The request is malformed.",
    401: "Credentials are missing or invalid.",
    403: "The account may not do this (e.g. no consent for this usage point).",
    404: "Not found.",
    409: "Conflict with the current state.",
    413: "The request body is too large.",
    415: "The body must be JSON.",
    422: "A field is invalid.",
    429: "Too many requests (daily quota or upstream limit); see Retry-After.",
    500: "The gateway failed.",
    502: "Enedis answered an error.",
    503: "Unavailable (Enedis down, limiter wait exceeded, or not ready); see Retry-After.",
    504: "Enedis did not answer in time.",
}


def error_responses(surface: Surface, *statuses: int) -> dict[int, dict[str, Any]]:
    """``responses`` for ``@docs``: the error body of ``surface`` for each status.

    Combines with ``@response_schema`` (whose codes are strings): ``build_document``
    normalises every response code to a string."""
    content_type, schema = _ERROR_BODIES[surface]
    return {
        status: {
            "description": _DESCRIPTIONS.get(status, "Error."),
            "content": {content_type: {"schema": schema}},
        }
        for status in statuses
    }


# -- request validation -------------------------------------------------------------------


def _first_error(messages: Any, path: tuple[str, ...] = ()) -> tuple[tuple[str, ...], str]:
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            return _first_error(value, (*path, str(key)))
    if isinstance(messages, list | tuple) and messages:
        first = messages[0]
        if isinstance(first, str):
            return path, first
        return _first_error(first, path)
    return path, str(messages) if messages else "Invalid value."


_LOCATIONS = {"querystring": "query", "match_info": "path", "json": "body", "headers": "header"}


def validation_error(surface: Surface, messages: Any) -> GatewayError:
    """The ``GatewayError`` for webargs' ``messages`` (``{location: {field: [msg]}}``)."""
    path, message = _first_error(messages)
    location = _LOCATIONS.get(path[0], path[0]) if path else "body"
    field = ".".join(path[1:]) or None
    if message == "Unknown field.":
        message = f"Unknown field {field!r}."
    elif message == "Missing data for required field.":
        message = f"{field} is required." if field else message
    if surface is Surface.V5:
        return GatewayError(400, "invalid_request", message, field=field)
    return GatewayError(422, "invalid_field", message, field=field, location=(location, *path[1:]))


class GatewayParser(AIOHTTPParser):
    """webargs' aiohttp parser raising ``GatewayError`` (rendered by the error mapper)."""

    def handle_error(
        self,
        error: ValidationError,
        req: web.Request,
        schema: Schema,
        *,
        error_status_code: int | None,
        error_headers: Mapping[str, str] | None,
    ) -> typing.NoReturn:
        raise validation_error(spec_of(req).surface, error.messages)

    def _handle_invalid_json_error(
        self, error: Exception, req: web.Request, *args: Any, **kwargs: Any
    ) -> typing.NoReturn:
        raise GatewayError(400, "malformed_json", "The body is not valid JSON.", field="body")


# -- the document -------------------------------------------------------------------------


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("enedis-gateway")
    except PackageNotFoundError:  # pragma: no cover
        return "0"


_INFO_DESCRIPTION = """\
A gateway to the Enedis Data Connect v5 API. Three surfaces share one request path:
the Enedis v5 paths, token endpoint and error bodies (`{"error", "error_description"}`);
the legacy v1 surface of the earlier public gateway (`{"detail": ...}`); and the
management surface (accounts, consent, usage points; RFC 9457 problem details).

Every response carries `X-Request-ID` (the caller's, when it is 1 to 128 characters of
`[A-Za-z0-9._-]`, else a generated one). Data routes announce the account's daily
allowances in headers and the cache outcome in `X-Cache-Status`.
"""

_OAS3_OPERATION_FIELDS = frozenset(
    {
        "tags", "summary", "description", "externalDocs", "operationId", "parameters",
        "requestBody", "responses", "callbacks", "deprecated", "security", "servers",
    }
)  # fmt: skip


class _SpecCopy:
    """What apispec reads of a handler, deep-copied: building a document rewrites the
    schemas it finds into ``$ref``s in place, which must not touch the handlers of the
    application (another document built in the same process would lose components)."""

    def __init__(self, handler: Any) -> None:
        setattr(self, API_SPEC_ATTR, copy.deepcopy(getattr(handler, API_SPEC_ATTR)))
        self.__name__ = getattr(handler, "__name__", "handler")
        self.__doc__ = getattr(handler, "__doc__", None)


def _spec_copy(handler: Any) -> Any:
    return _SpecCopy(handler)


def build_document(app: web.Application) -> dict[str, Any]:
    """The OpenAPI 3 document of every documented route of ``app`` (deterministic)."""
    spec = APISpec(
        title="Enedis Data Connect gateway",
        version=_version(),
        openapi_version=OPENAPI_VERSION,
        plugins=(ApigamiPlugin(schema_name_resolver=resolver),),
        info={"description": _INFO_DESCRIPTION},
    )
    for name, scheme in SECURITY_SCHEMES.items():
        spec.components.security_scheme(name, scheme)
    seen: set[tuple[str, str]] = set()
    routes = [(route, get_path(route)) for route in app.router.routes()]
    registered = {(route.method, path) for route, path in routes if path}
    for route, path in routes:
        if path is None or route.method == "*" or (route.method, path) in seen:
            continue
        if not getattr(route.handler, API_SPEC_ATTR, None):
            continue  # not documented (static files, routes without @docs)
        # routing.add also registers "path/": document the path once
        if path.endswith("/") and path != "/" and (route.method, path[:-1]) in registered:
            continue
        seen.add((route.method, path))
        spec.path(path=path, method=route.method.lower(), handler=_spec_copy(route.handler))
    document: dict[str, Any] = make_json_serializable(spec.to_dict())
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            for key in [k for k in operation if k not in _OAS3_OPERATION_FIELDS]:
                if not key.startswith("x-"):
                    del operation[key]  # "produces"/"consumes" are OpenAPI 2 leftovers
            if not operation.get("parameters"):
                operation.pop("parameters", None)
            responses = operation.get("responses") or {"default": {"description": "Answer."}}
            operation["responses"] = {str(code): body for code, body in responses.items()}
    return document


def render_document(document: Mapping[str, Any]) -> str:
    """The stable text of ``document``: sorted keys, two-space indent, final newline."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


_DOCUMENT = web.AppKey("openapi_document", dict)


@docs(
    tags=["ops"],
    summary="The OpenAPI document",
    description="This document (OpenAPI 3), generated from the routes.",
    security=PUBLIC,
    responses={200: {"description": "The OpenAPI 3 document."}},
)
async def openapi_document(request: web.Request) -> web.Response:
    cache: dict[str, Any] = request.app[_DOCUMENT]
    if "document" not in cache:
        cache["document"] = build_document(request.app)
    return web.json_response(cache["document"])


def setup_openapi(app: web.Application) -> None:
    """Serve the document at ``/openapi.json`` and Swagger UI at ``/docs``; install the
    parser that ``request_validation`` uses (errors as ``GatewayError``)."""
    app[_DOCUMENT] = {}
    app[APISPEC_PARSER] = GatewayParser()
    app[APISPEC_VALIDATED_DATA_NAME] = "data"
    app.router.add_get(OPENAPI_URL, openapi_document, name=NAME_SWAGGER_SPEC, allow_head=False)
    SwaggerUIManager(url=OPENAPI_URL, static_path=DOCS_STATIC).setup(app, DOCS_URL)


def _offline_settings() -> Any:
    """Settings for building the app without connecting anywhere (nothing is started)."""
    from gateway.config import Settings

    placeholder = "http://enedis.invalid"
    return Settings.from_env(
        {
            "DATABASE_URL": "postgresql://offline@localhost/offline",
            "REDIS_URL": "redis://localhost:6379/0",
            "ENEDIS_BASE_URL": placeholder,
            "ENEDIS_AUTHORIZE_URL": placeholder + "/dataconnect/v1/oauth2/authorize",
            "ENEDIS_CLIENT_ID": "offline",
            "ENEDIS_CLIENT_SECRET": "offline",
            "GATEWAY_SECRET_KEY": "offline-document-generation-key-0123456789",
            "ADMIN_API_KEY": "offline-document-generation-admin-key",
        }
    )


def generate_document() -> dict[str, Any]:
    """The document of the full gateway, built offline (no database, no Redis)."""
    from gateway.app import build_app

    return build_document(build_app(_offline_settings()))


def write_document(path: Path | None = None) -> Path:
    """Write the document to ``path`` (default ``openapi/gateway.json``); returns the path."""
    target = path or DOCUMENT_PATH
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render_document(generate_document()), encoding="utf-8")
    print(f"openapi: wrote {target}")
    return target
