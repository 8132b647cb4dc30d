"""Edge validation of the management surface: JSON bodies, query strings, content types."""

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
