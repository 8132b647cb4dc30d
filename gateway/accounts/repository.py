"""The SQL of accounts, usage points and consents (asyncpg; one function per statement)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import asyncpg

DB_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.OperatorInterventionError,  # the server is shutting down or crashing
    # a connection broken mid-operation (e.g. the server stopping under load) leaves the
    # client protocol in an impossible state: the database is unavailable, not a bug
    asyncpg.exceptions.InternalClientError,
)


@dataclass(frozen=True, slots=True)
class AccountRow:
    id: str
    client_id: str
    email: str
    email_key: str
    password_hash: str
    secret_digest: bytes
    secret_sealed: bytes
    token_version: int
    created_at: datetime
    admin_confirmed: bool = False  # by an operator (`gateway admin grant EMAIL`)

    @classmethod
    def of(cls, record: Any) -> AccountRow:
        return cls(
            id=str(record["id"]),
            client_id=record["client_id"],
            email=record["email"],
            email_key=record["email_key"],
            password_hash=record["password_hash"],
            secret_digest=bytes(record["secret_digest"]),
            secret_sealed=bytes(record["secret_sealed"]),
            token_version=int(record["token_version"]),
            created_at=record["created_at"],
            admin_confirmed=bool(record["admin_confirmed"]),
        )


@dataclass(frozen=True, slots=True)
class UsagePointRow:
    usage_point_id: str
    name: str | None
    consent_start: datetime
    consent_expires_at: datetime
    consent_status: str

    @classmethod
    def of(cls, record: Any) -> UsagePointRow:
        return cls(
            usage_point_id=record["usage_point_id"],
            name=record["name"],
            consent_start=record["consent_start"],
            consent_expires_at=record["consent_expires_at"],
            consent_status=record["consent_status"],
        )


# Column lists are constants of this module (no input ever reaches the SQL text).
_ACCOUNT_COLUMNS = (
    "id, client_id, email, email_key, password_hash, secret_digest, secret_sealed, "
    "token_version, created_at, (admin_confirmed_at IS NOT NULL) AS admin_confirmed"
)
_POINT_COLUMNS = "usage_point_id, name, consent_start, consent_expires_at, consent_status"


async def insert_account(
    conn: Any,
    *,
    account_id: str,
    client_id: str,
    email: str,
    email_key: str,
    password_hash: str,
    secret_digest: bytes,
    secret_sealed: bytes,
) -> None:
    await conn.execute(
        "INSERT INTO accounts (id, client_id, email, email_key, password_hash, secret_digest,"
        " secret_sealed) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        account_id,
        client_id,
        email,
        email_key,
        password_hash,
        secret_digest,
        secret_sealed,
    )


async def account_by_id(conn: Any, account_id: str) -> AccountRow | None:
    record = await conn.fetchrow(
        f"SELECT {_ACCOUNT_COLUMNS} FROM accounts WHERE id = $1",  # noqa: S608
        account_id,
    )
    return AccountRow.of(record) if record else None


async def account_by_email(conn: Any, email_key: str) -> AccountRow | None:
    record = await conn.fetchrow(
        f"SELECT {_ACCOUNT_COLUMNS} FROM accounts WHERE email_key = $1",  # noqa: S608
        email_key,
    )
    return AccountRow.of(record) if record else None


async def account_by_digest(conn: Any, digest: bytes) -> AccountRow | None:
    record = await conn.fetchrow(
        f"SELECT {_ACCOUNT_COLUMNS} FROM accounts WHERE secret_digest = $1",  # noqa: S608
        digest,
    )
    return AccountRow.of(record) if record else None


async def account_id_by_client_id(conn: Any, client_id: str) -> str | None:
    value = await conn.fetchval("SELECT id FROM accounts WHERE client_id = $1", client_id)
    return str(value) if value is not None else None


async def snapshot_rows(conn: Any, account_id: str) -> list[Any]:
    """The account's version, with one row per usage point (LEFT JOIN)."""
    rows: list[Any] = await conn.fetch(
        "SELECT a.token_version, u.usage_point_id, u.consent_start,"
        " u.consent_expires_at, u.consent_status"
        " FROM accounts a LEFT JOIN usage_points u ON u.account_id = a.id WHERE a.id = $1",
        account_id,
    )
    return rows


async def rotate_secret(conn: Any, account_id: str, digest: bytes, sealed: bytes) -> int | None:
    value = await conn.fetchval(
        "UPDATE accounts SET secret_digest = $2, secret_sealed = $3,"
        " token_version = token_version + 1, updated_at = now() WHERE id = $1"
        " RETURNING token_version",
        account_id,
        digest,
        sealed,
    )
    return int(value) if value is not None else None


async def delete_account(conn: Any, account_id: str) -> bool:
    value = await conn.fetchval("DELETE FROM accounts WHERE id = $1 RETURNING id", account_id)
    return value is not None


async def upsert_points(
    conn: Any, account_id: str, usage_point_ids: Sequence[str], start: datetime, expires: datetime
) -> tuple[int, int]:
    """Record the consent of each point; returns (new, existing)."""
    new = existing = 0
    for usage_point_id in usage_point_ids:
        inserted = await conn.fetchval(
            "INSERT INTO usage_points (account_id, usage_point_id, consent_start,"
            " consent_expires_at, consent_status) VALUES ($1, $2, $3, $4, 'active')"
            " ON CONFLICT (account_id, usage_point_id) DO UPDATE SET"
            " consent_start = EXCLUDED.consent_start,"
            " consent_expires_at = EXCLUDED.consent_expires_at,"
            " consent_status = 'active', updated_at = now()"
            " RETURNING (xmax = 0)",
            account_id,
            usage_point_id,
            start,
            expires,
        )
        if inserted:
            new += 1
        else:
            existing += 1
    return new, existing


async def audit(
    conn: Any, account_id: str, outcome: str, count: int, detail: str | None = None
) -> None:
    await conn.execute(
        "INSERT INTO consent_audit (account_id, outcome, usage_point_count, detail)"
        " VALUES ($1, $2, $3, $4)",
        account_id,
        outcome,
        count,
        detail,
    )


async def list_points(conn: Any, account_id: str) -> list[UsagePointRow]:
    records = await conn.fetch(
        f"SELECT {_POINT_COLUMNS} FROM usage_points WHERE account_id = $1"  # noqa: S608
        " ORDER BY usage_point_id",
        account_id,
    )
    return [UsagePointRow.of(record) for record in records]


async def count_points(conn: Any, account_id: str) -> int:
    value = await conn.fetchval(
        "SELECT count(*) FROM usage_points WHERE account_id = $1", account_id
    )
    return int(value or 0)


async def rename_point(
    conn: Any, account_id: str, usage_point_id: str, name: str | None
) -> UsagePointRow | None:
    record = await conn.fetchrow(
        "UPDATE usage_points SET name = $3, updated_at = now()"
        " WHERE account_id = $1 AND usage_point_id = $2 RETURNING usage_point_id, name,"
        " consent_start, consent_expires_at, consent_status",
        account_id,
        usage_point_id,
        name,
    )
    return UsagePointRow.of(record) if record else None


async def delete_point(conn: Any, account_id: str, usage_point_id: str) -> bool:
    value = await conn.fetchval(
        "DELETE FROM usage_points WHERE account_id = $1 AND usage_point_id = $2"
        " RETURNING usage_point_id",
        account_id,
        usage_point_id,
    )
    return value is not None


async def admin_list(conn: Any, limit: int, offset: int) -> tuple[list[Any], int]:
    records: list[Any] = await conn.fetch(
        "SELECT a.id, a.client_id, a.email, a.created_at,"
        " (SELECT count(*) FROM usage_points u WHERE u.account_id = a.id) AS usage_points"
        " FROM accounts a ORDER BY a.created_at, a.id LIMIT $1 OFFSET $2",
        limit,
        offset,
    )
    total = await conn.fetchval("SELECT count(*) FROM accounts")
    return records, int(total or 0)


async def confirm_admin(conn: Any, email_key: str, confirmed: bool) -> bool:
    """Record (or withdraw) an operator's admin confirmation; False: no such account."""
    value = await conn.fetchval(
        "UPDATE accounts SET admin_confirmed_at = CASE WHEN $2 THEN"
        " coalesce(admin_confirmed_at, now()) END, updated_at = now()"
        " WHERE email_key = $1 RETURNING id",
        email_key,
        confirmed,
    )
    return value is not None


async def account_exists(conn: Any, account_id: str) -> bool:
    return bool(
        await conn.fetchval("SELECT EXISTS (SELECT 1 FROM accounts WHERE id = $1)", account_id)
    )


async def holders(conn: Any, usage_point_id: str) -> list[Any]:
    """Who holds a usage point now, with the authorisation and service day it came with."""
    rows: list[Any] = await conn.fetch(
        "SELECT account_id::text AS account_id, autorisation_id, service_start"
        " FROM usage_points WHERE usage_point_id = $1",
        usage_point_id,
    )
    return rows


async def release_point(conn: Any, account_id: str, usage_point_id: str) -> bool:
    """End an account's hold of a usage point (it moved to another account)."""
    result = await conn.execute(
        "DELETE FROM usage_points WHERE account_id = $1 AND usage_point_id = $2",
        account_id,
        usage_point_id,
    )
    return bool(result.endswith(" 1"))


async def record_v2_point(
    conn: Any,
    account_id: str,
    usage_point_id: str,
    start: datetime,
    expires: datetime,
    autorisation_id: str,
    service_start: date,
) -> bool:
    """Record a consent v2 for one point (active again if it was revoked); True when new."""
    inserted = await conn.fetchval(
        "INSERT INTO usage_points (account_id, usage_point_id, consent_start,"
        " consent_expires_at, consent_status, autorisation_id, service_start)"
        " VALUES ($1, $2, $3, $4, 'active', $5, $6)"
        " ON CONFLICT (account_id, usage_point_id) DO UPDATE SET"
        " consent_start = EXCLUDED.consent_start,"
        " consent_expires_at = EXCLUDED.consent_expires_at, consent_status = 'active',"
        " autorisation_id = EXCLUDED.autorisation_id,"
        " service_start = EXCLUDED.service_start, updated_at = now()"
        " RETURNING (xmax = 0)",
        account_id,
        usage_point_id,
        start,
        expires,
        autorisation_id,
        service_start,
    )
    return bool(inserted)


async def mark_revoked(conn: Any, account_id: str, usage_point_id: str) -> bool:
    """Enedis says the consent is gone: the point's consent is ``revoked``."""
    result = await conn.execute(
        "UPDATE usage_points SET consent_status = 'revoked', updated_at = now()"
        " WHERE account_id = $1 AND usage_point_id = $2 AND consent_status <> 'revoked'",
        account_id,
        usage_point_id,
    )
    return bool(result.endswith(" 1"))


# -- e-mail address checks and password resets (migration 0002) ---------------------------------


async def email_verified_at(conn: Any, account_id: str) -> datetime | None:
    value: datetime | None = await conn.fetchval(
        "SELECT email_verified_at FROM accounts WHERE id = $1", account_id
    )
    return value


async def mark_email_verified(conn: Any, account_id: str, email_key: str) -> bool:
    """Record the check of the address ``email_key`` (still the account's); idempotent."""
    value = await conn.fetchval(
        "UPDATE accounts SET email_verified_at = coalesce(email_verified_at, now()),"
        " updated_at = now() WHERE id = $1 AND email_key = $2 RETURNING id",
        account_id,
        email_key,
    )
    return value is not None


async def set_password_hash(conn: Any, account_id: str, password_hash: str) -> bool:
    value = await conn.fetchval(
        "UPDATE accounts SET password_hash = $2, updated_at = now() WHERE id = $1 RETURNING id",
        account_id,
        password_hash,
    )
    return value is not None
