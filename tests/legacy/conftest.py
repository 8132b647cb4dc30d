"""Helpers of the legacy-surface tests: credential variants, paths, schema validation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import jsonschema

from gateway.surfaces.legacy_schemas import schema
from tests.support.journey import Account


@dataclass(frozen=True)
class Variant:
    """How an existing client of the earlier gateway may call: credentials and path style."""

    raw_secret: bool  # ``Authorization: <client_secret>`` instead of ``Bearer <token>``
    trailing_slash: bool
    json_content_type: bool = False  # a GET with ``Content-Type: application/json``, no body

    @property
    def id(self) -> str:
        return "-".join(
            [
                "raw" if self.raw_secret else "bearer",
                "slash" if self.trailing_slash else "noslash",
                *(["ctjson"] if self.json_content_type else []),
            ]
        )

    def headers(self, account: Account) -> dict[str, str]:
        value = account.client_secret if self.raw_secret else f"Bearer {account.token}"
        headers = {"Authorization": value}
        if self.json_content_type:
            headers["Content-Type"] = "application/json"
        return headers

    def path(self, path: str) -> str:
        return path + "/" if self.trailing_slash else path


VARIANTS = (
    Variant(raw_secret=False, trailing_slash=False),
    Variant(raw_secret=True, trailing_slash=False),
    Variant(raw_secret=False, trailing_slash=True, json_content_type=True),
    Variant(raw_secret=True, trailing_slash=True, json_content_type=True),
)
PLAIN = VARIANTS[0]


def data_path(
    segment: str, usage_point_id: str, start: date | None = None, end: date | None = None
) -> str:
    path = f"/{segment}/{usage_point_id}"
    if start is not None and end is not None:
        path += f"/start/{start.isoformat()}/end/{end.isoformat()}"
    return path


def assert_valid(body: Any, name: str) -> None:
    """``body`` conforms to the legacy document's schema ``name`` (the project's copy)."""
    jsonschema.Draft202012Validator(schema(name)).validate(body)
