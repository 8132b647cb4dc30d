"""Consent helpers: the ISO 8601 duration asked from Enedis and the ids it sends back."""

from __future__ import annotations

import calendar
import re
from datetime import datetime, timedelta

from gateway.enedis.rules import is_usage_point_id
from gateway.errors import GatewayError

_DURATION = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$")
MAX_POINTS_PER_CONSENT = 100
STATE_TTL_SECONDS = 600


def add_duration(start: datetime, duration: str) -> datetime:
    """``start`` plus an ISO 8601 duration of years, months, weeks and days (``P36M``)."""
    match = _DURATION.match(duration)
    if match is None or duration == "P":
        raise ValueError(f"unsupported duration {duration!r}")
    years, months, weeks, days = (int(group or 0) for group in match.groups())
    total_months = start.month - 1 + months + 12 * years
    year = start.year + total_months // 12
    month = total_months % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return start.replace(year=year, month=month, day=day) + timedelta(weeks=weeks, days=days)


def parse_usage_point_ids(raw: str | None) -> list[str]:
    """The ids of a consent redirect: 14 digits each, separated by ``,`` or ``;``."""
    if raw is None or not raw.strip():
        raise GatewayError(
            400,
            "invalid_usage_point_id",
            "The consent redirect names no usage point.",
            field="usage_point_id",
        )
    ids: list[str] = []
    for part in re.split(r"[,;]", raw):
        value = part.strip()
        if not value:
            continue
        if not is_usage_point_id(value):
            raise GatewayError(
                400,
                "invalid_usage_point_id",
                "Each usage point id must be exactly 14 digits.",
                field="usage_point_id",
            )
        if value not in ids:
            ids.append(value)
    if not ids:
        raise GatewayError(
            400,
            "invalid_usage_point_id",
            "The consent redirect names no usage point.",
            field="usage_point_id",
        )
    if len(ids) > MAX_POINTS_PER_CONSENT:
        raise GatewayError(
            400,
            "invalid_usage_point_id",
            f"At most {MAX_POINTS_PER_CONSENT} usage points per consent.",
            field="usage_point_id",
        )
    return ids


def check_usage_point_id(value: str, *, field: str = "usage_point_id") -> str:
    if not is_usage_point_id(value):
        raise GatewayError(
            400, "invalid_usage_point_id", "A usage point id is exactly 14 digits.", field=field
        )
    return value
