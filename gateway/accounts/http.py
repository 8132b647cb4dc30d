"""Edge validation of request bodies and queries: JSON bodies, forms, content types.

Every body the gateway reads goes through ``load_json`` or ``read_fields``: a body that
cannot be parsed (malformed JSON, a multipart type without boundary, an unknown charset,
bytes that are not UTF-8) is a 400 with the route's code, never a 5xx."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aiohttp import web
from marshmallow import Schema, ValidationError

from gateway.errors import GatewayError


def _first_error(messages: Any, prefix: str = "") -> tuple[str, str]:
    """The first (field, message) of a marshmallow error tree."""
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if name == "_schema":
                name = "body"
            return _first_error(value, name)
    if isinstance(messages, list) and messages:
        first = messages[0]
        if isinstance(first, str):
            return prefix or "body", first
        return _first_error(first, prefix)
    return prefix or "body", str(messages)


def validate(schema: Schema, data: Mapping[str, Any], *, status: int = 422) -> dict[str, Any]:
    try:
        loaded = schema.load(data)
    except ValidationError as exc:
        field, message = _first_error(exc.messages)
        if message == "Unknown field.":
            message = f"Unknown field {field!r}."
        raise GatewayError(status, "invalid_field", message, field=field) from None
    assert isinstance(loaded, dict)
    return loaded


def _is_text(value: Any) -> bool:
    """No string of ``value`` holds a NUL or an unpaired surrogate ("\\ud800"): valid JSON,
    but not text that can be hashed or stored (PostgreSQL refuses NUL in text)."""
    if isinstance(value, str):
        return "\x00" not in value and _encodable(value)
    if isinstance(value, dict):
        return all(_is_text(key) and _is_text(item) for key, item in value.items())
    if isinstance(value, list):
        return all(_is_text(item) for item in value)
    return True


def _encodable(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def decode_json(raw: bytes) -> Any | None:
    """The JSON value of ``raw``, or None when it is not JSON text the gateway accepts
    (malformed, too deeply nested, or with lone surrogates or NUL characters)."""
    try:
        data = json.loads(raw)
        return data if _is_text(data) else None
    except (ValueError, RecursionError):
        return None


FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})

# what aiohttp raises on a form it cannot parse: no multipart boundary or a broken one
# (ValueError), bytes that are not in the charset (UnicodeDecodeError, a ValueError), an
# unknown charset (LookupError)
_UNPARSABLE: tuple[type[Exception], ...] = (ValueError, LookupError)


async def read_fields(request: web.Request, *, code: str) -> dict[str, str]:
    """The text fields of a form (urlencoded or multipart) or JSON object body; {} for an
    empty body of another type. 400 ``code`` when the body cannot be parsed, 415 for a
    non-empty body of another type. File parts and non-text JSON values are left out."""
    content_type = request.content_type
    if content_type in FORM_TYPES:
        try:
            form = await request.post()
        except _UNPARSABLE:
            raise GatewayError(
                400, code, f"The body is not a valid {content_type} form.", field="body"
            ) from None
        return {key: value for key, value in form.items() if isinstance(value, str)}
    if content_type == "application/json":
        data = decode_json(await request.read())
        if data is None:
            raise GatewayError(400, code, "The body is not valid JSON.", field="body")
        if not isinstance(data, dict):
            raise GatewayError(400, code, "The body must be an object.", field="body")
        return {str(key): value for key, value in data.items() if isinstance(value, str)}
    if await request.read():
        raise GatewayError(
            415, code, "Le Content-Type doit être application/x-www-form-urlencoded", field="body"
        )
    return {}


async def load_json(request: web.Request, schema: Schema) -> dict[str, Any]:
    """The request body, a JSON object valid for ``schema``; 415, 400 or 422 otherwise."""
    content_type = request.content_type
    if content_type != "application/json" and not content_type.endswith("+json"):
        raise GatewayError(
            415,
            "unsupported_media_type",
            "The body must be JSON (Content-Type: application/json).",
            field="body",
        )
    data = decode_json(await request.read())
    if data is None:
        raise GatewayError(400, "malformed_json", "The body is not valid JSON.", field="body")
    if not isinstance(data, dict):
        raise GatewayError(400, "malformed_json", "The body must be a JSON object.", field="body")
    return validate(schema, data)


def wants_json(request: web.Request) -> bool:
    """JSON unless the client prefers HTML (a browser)."""
    accept = request.headers.get("Accept", "")
    return "application/json" in accept or "text/html" not in accept


def asks_json(request: web.Request) -> bool:
    """The client asked for JSON explicitly."""
    return "application/json" in request.headers.get("Accept", "")
