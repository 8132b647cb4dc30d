"""The validation Enedis applies to a data request, in one place for sandbox and gateway.

Interval semantics are Enedis': ``[start, end[``, dates ``YYYY-MM-DD``, ``start < end``,
``end`` at most today in Europe/Paris (so the last day served is yesterday). Every failure
raises ``EnedisError`` carrying Enedis' status and body, and for the errors whose Enedis
text does not say how to fix them, the gateway's ``hint`` (never part of Enedis' body:
the sandbox answers exactly as Enedis does).
"""

from __future__ import annotations

import re
import zoneinfo
from datetime import UTC, date, datetime
from typing import Literal

from gateway.enedis import upstream_errors as errors
from gateway.enedis.catalogue import HISTORY_GRACE_DAYS, DataKind, Endpoint, history_deadline
from gateway.enedis.upstream_errors import UpstreamError

__all__ = [
    "PARIS",
    "EnedisError",
    "is_usage_point_id",
    "paris_today",
    "parse_date",
    "validate_range",
    "validate_usage_point_id",
]

PARIS = zoneinfo.ZoneInfo("Europe/Paris")

_USAGE_POINT_ID = re.compile(r"[0-9]{14}")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class EnedisError(Exception):
    """An Enedis error answer: HTTP status plus ``{"error", "error_description"}`` body."""

    def __init__(
        self, status: int, error: str, error_description: str, *, hint: str | None = None
    ) -> None:
        super().__init__(status, error, error_description)
        self.status = status
        self.error = error
        self.error_description = error_description
        self.hint = hint  # the gateway's advice, beside Enedis' body

    def __str__(self) -> str:
        return f"{self.status} {self.error}: {self.error_description}"

    def body(self) -> dict[str, str]:
        """The JSON body Enedis sends for this error."""
        return {"error": self.error, "error_description": self.error_description}

    @classmethod
    def from_catalogue(
        cls, e: UpstreamError, description: str | None = None, *, hint: str | None = None
    ) -> EnedisError:
        """Build the error of a catalogue entry, optionally with another description."""
        message = e.message if description is None else description
        return cls(e.status, e.code, message, hint=hint)


def paris_today(now: datetime | None = None) -> date:
    """Today's date in Europe/Paris (``now`` defaults to the current time; naive = UTC)."""
    if now is None:
        return datetime.now(PARIS).date()
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return now.astimezone(PARIS).date()


def is_usage_point_id(value: str) -> bool:
    """A PRM: exactly 14 ASCII digits."""
    return _USAGE_POINT_ID.fullmatch(value) is not None


#: Enedis spells the usage point errors' code ``Invalid_request``, every other one
#: ``invalid_request``: kept as Enedis sends it, and said.
USAGE_POINT_HINT = (
    "usage_point_id is the 14-digit PRM, leading zeros kept. Enedis writes this error code "
    "'Invalid_request' (capital I) and its other invalid requests 'invalid_request': compare "
    "codes without case."
)


def validate_usage_point_id(value: str | None) -> str:
    """Return ``value`` if it is exactly 14 ASCII digits, else raise Enedis' 400."""
    if not value:
        raise EnedisError.from_catalogue(errors.USAGE_POINT_REQUIRED, hint=USAGE_POINT_HINT)
    if _USAGE_POINT_ID.fullmatch(value) is None:
        raise EnedisError.from_catalogue(errors.USAGE_POINT_FORMAT, hint=USAGE_POINT_HINT)
    return value


def parse_date(value: str | None, field: Literal["start", "end"]) -> date:
    """Parse a strict ``YYYY-MM-DD`` real calendar date, else raise Enedis' 400."""
    if not value:
        raise EnedisError.from_catalogue(
            errors.START_REQUIRED if field == "start" else errors.END_REQUIRED
        )
    bad_format = errors.START_FORMAT if field == "start" else errors.END_FORMAT
    if _ISO_DATE.fullmatch(value) is None:
        raise EnedisError.from_catalogue(bad_format)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise EnedisError.from_catalogue(bad_format) from None


def validate_range(
    endpoint: Endpoint,
    start: str | None,
    end: str | None,
    *,
    today: date,
    max_days: int | None = None,
    enforce_max_days: bool = True,
) -> tuple[date, date]:
    """Validate the ``[start, end[`` of a ranged data call; return the parsed dates.

    Checks, in Enedis' order: start format, end format, ``start < end``, ``end <= today``,
    ``start >= history_deadline`` (400 ADAM-ERR0125), then the per-call maximum
    ``(end - start).days <= max_days``: 400 ADAM-DC-0015 for load curves, 400
    ``invalid_request`` for daily data.

    ``max_days`` overrides the endpoint's ``max_days_per_call``; ``enforce_max_days=False``
    skips that last check (the gateway splits long ranges into upstream-sized calls itself).
    ``today`` is the current date in Europe/Paris (see ``paris_today``).
    """
    if not endpoint.is_ranged:
        raise ValueError(f"{endpoint.name} takes no date range")
    start_day = parse_date(start, "start")
    end_day = parse_date(end, "end")
    if start_day >= end_day:
        raise EnedisError.from_catalogue(errors.START_AFTER_END)
    if end_day > today:
        raise EnedisError.from_catalogue(
            errors.END_IN_FUTURE,
            hint=f"The end date is excluded ([start, end[): it can be today ({today}) at the "
            "latest, and the last day served is then yesterday.",
        )
    deadline = history_deadline(endpoint, today)
    if start_day < deadline:
        raise EnedisError.from_catalogue(
            errors.HISTORY,
            hint=f"The earliest start date allowed today is {deadline} "
            f"({endpoint.history_months} months and {HISTORY_GRACE_DAYS} days back).",
        )
    limit = endpoint.max_days_per_call if max_days is None else max_days
    if enforce_max_days and limit is not None and (end_day - start_day).days > limit:
        if endpoint.kind is DataKind.LOAD_CURVE:
            raise EnedisError.from_catalogue(errors.LOAD_CURVE_RANGE)
        raise EnedisError.from_catalogue(
            errors.DAILY_RANGE,
            f"The requested period must not exceed {limit} days for an access to daily data.",
        )
    return start_day, end_day
