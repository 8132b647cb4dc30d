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
    raw = await request.read()
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise GatewayError(
            400, "malformed_json", "The body is not valid JSON.", field="body"
        ) from None
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
