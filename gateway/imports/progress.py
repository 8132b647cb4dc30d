"""The SQL of history imports' progress (table ``history_imports``, migration 0003)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

STATUSES = ("pending", "running", "complete", "failed")


@dataclass(frozen=True, slots=True)
class History:
    """What ``/pdl`` shows of a point's import."""

    status: str
    calls_total: int
    calls_done: int
    days_cached: dict[str, int]
    updated_at: datetime

    @property
    def progress(self) -> float:
        if self.status == "complete":
            return 1.0
        if self.calls_total <= 0:
            return 0.0
        return round(min(1.0, self.calls_done / self.calls_total), 4)

    def render(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "progress": self.progress,
            "days_cached": dict(self.days_cached),
            "updated_at": self.updated_at,
        }

    @classmethod
    def of(cls, record: Any) -> History:
        days = record["days_cached"]
        if isinstance(days, str):
            days = json.loads(days)
        return cls(
            status=record["status"],
            calls_total=record["calls_total"],
            calls_done=record["calls_done"],
            days_cached={str(k): int(v) for k, v in (days or {}).items()},
            updated_at=record["updated_at"],
        )


async def schedule(conn: Any, account_id: str, usage_point_id: str) -> None:
    """A new import of the point (a consent, new or renewed): pending, from zero."""
    await conn.execute(
        "INSERT INTO history_imports (account_id, usage_point_id) VALUES ($1, $2)"
        " ON CONFLICT (account_id, usage_point_id) DO UPDATE SET status = 'pending',"
        " calls_total = 0, calls_done = 0, detail = NULL, created_at = now(),"
        " started_at = NULL, completed_at = NULL, updated_at = now()",
        account_id,
        usage_point_id,
    )


async def point_state(conn: Any, account_id: str, usage_point_id: str) -> str | None:
    """``usable`` (an active, unexpired consent and an import row), ``revoked`` (the point
    is there, its consent is not usable), or None (the point or the account is gone)."""
    record = await conn.fetchrow(
        "SELECT p.consent_status = 'active' AND p.consent_expires_at > now() AS usable"
        " FROM usage_points p JOIN history_imports h USING (account_id, usage_point_id)"
        " WHERE p.account_id = $1 AND p.usage_point_id = $2",
        account_id,
        usage_point_id,
    )
    if record is None:
        return None
    return "usable" if record["usable"] else "revoked"


async def start(conn: Any, account_id: str, usage_point_id: str, calls_total: int) -> None:
    await conn.execute(
        "UPDATE history_imports SET status = 'running', calls_total = $3, detail = NULL,"
        " started_at = coalesce(started_at, now()), updated_at = now()"
        " WHERE account_id = $1 AND usage_point_id = $2",
        account_id,
        usage_point_id,
        calls_total,
    )


async def advance(
    conn: Any, account_id: str, usage_point_id: str, calls_done: int, days: dict[str, int]
) -> None:
    await conn.execute(
        "UPDATE history_imports SET calls_done = $3, days_cached = $4::jsonb, updated_at = now()"
        " WHERE account_id = $1 AND usage_point_id = $2",
        account_id,
        usage_point_id,
        calls_done,
        json.dumps(days),
    )


async def finish(
    conn: Any, account_id: str, usage_point_id: str, status: str, detail: str | None = None
) -> float | None:
    """Set the final (or waiting) status; answers the seconds from scheduling to completion
    when the import is complete."""
    seconds: float | None = await conn.fetchval(
        "UPDATE history_imports SET status = $3, detail = $4, updated_at = now(),"
        " completed_at = CASE WHEN $3 = 'complete' THEN now() ELSE NULL END"
        " WHERE account_id = $1 AND usage_point_id = $2"
        " RETURNING extract(epoch FROM now() - created_at)::float8",
        account_id,
        usage_point_id,
        status,
        detail,
    )
    return seconds if status == "complete" else None


async def of_account(conn: Any, account_id: str) -> dict[str, History]:
    records = await conn.fetch(
        "SELECT usage_point_id, status, calls_total, calls_done, days_cached, updated_at"
        " FROM history_imports WHERE account_id = $1",
        account_id,
    )
    return {record["usage_point_id"]: History.of(record) for record in records}


async def points_of(conn: Any, account_id: str) -> list[str]:
    """The account's points that have an import (any status)."""
    records = await conn.fetch(
        "SELECT usage_point_id FROM history_imports WHERE account_id = $1", account_id
    )
    return [record["usage_point_id"] for record in records]


async def waiting_for_key(conn: Any, account_id: str) -> list[str]:
    """The account's points whose import waits for the account's key."""
    records = await conn.fetch(
        "SELECT usage_point_id FROM history_imports"
        " WHERE account_id = $1 AND status = 'pending' AND detail = 'awaiting_key'",
        account_id,
    )
    return [record["usage_point_id"] for record in records]


async def unfinished(conn: Any, account_id: str) -> int:
    """The account's imports not yet ended (pending or running)."""
    value: int = await conn.fetchval(
        "SELECT count(*) FROM history_imports"
        " WHERE account_id = $1 AND status IN ('pending', 'running')",
        account_id,
    )
    return value


async def counts(conn: Any) -> dict[str, int]:
    """How many imports are in each status (the queue's length: pending + running)."""
    records = await conn.fetch("SELECT status, count(*) AS n FROM history_imports GROUP BY status")
    found = {record["status"]: int(record["n"]) for record in records}
    return {status: found.get(status, 0) for status in STATUSES}
