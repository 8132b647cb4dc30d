"""PostgreSQL: the asyncpg pool of a replica and the yoyo migrations."""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg

from gateway.config import ConfigError

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def _yoyo_url(database_url: str) -> str:
    scheme, _, rest = database_url.partition("://")
    return f"postgresql+psycopg://{rest}" if scheme in {"postgresql", "postgres"} else database_url


def unreachable(database_url: str, exc: BaseException) -> ConfigError:
    """The one-line error for a database that cannot be reached at start: it names the
    setting, the host and the reason, never the URL's password."""
    parts = urlsplit(database_url)
    where = f"{parts.hostname or 'localhost'}:{parts.port or 5432}"
    reason = " ".join(str(exc).split()) or type(exc).__name__
    return ConfigError(f"DATABASE_URL: cannot connect to PostgreSQL at {where} ({reason})")


def apply_migrations(database_url: str, directory: Path = MIGRATIONS_DIR) -> int:
    """Apply every pending migration; safe to run again. Returns how many were applied."""
    import psycopg
    from yoyo import get_backend, read_migrations

    try:
        backend = get_backend(_yoyo_url(database_url))
    except psycopg.OperationalError as exc:
        raise unreachable(database_url, exc) from None
    migrations = read_migrations(str(directory))
    with backend.lock():
        pending = backend.to_apply(migrations)
        backend.apply_migrations(pending)
        apply_job_schema(database_url)
    log.info("migrations applied: %d pending, %d total", len(pending), len(migrations))
    return len(pending)


def apply_job_schema(database_url: str) -> int:
    """The job engine's tables (procrastinate's own schema, as the installed version ships
    it), created once when absent: 1 if it was applied now, 0 if it was there.

    Upgrading procrastinate across a version that changes its schema needs its own
    migrations (``procrastinate schema --migrate``), as its release notes say."""
    import psycopg
    from procrastinate.schema import SchemaManager

    with psycopg.connect(database_url, autocommit=True) as conn:
        row = conn.execute("SELECT to_regclass('procrastinate_jobs')").fetchone()
        if row is not None and row[0] is not None:
            return 0
        conn.execute(SchemaManager.get_schema())
    log.info("job engine schema applied")
    return 1


def migration_ids(directory: Path = MIGRATIONS_DIR) -> set[str]:
    return {path.stem for path in directory.glob("*.sql") if not path.stem.endswith(".rollback")}


async def pending_migrations(pool: asyncpg.Pool, directory: Path = MIGRATIONS_DIR) -> set[str]:
    """Migrations of ``directory`` not yet applied to the database (readiness check)."""
    try:
        rows = await pool.fetch("SELECT migration_id FROM _yoyo_migration")
    except asyncpg.UndefinedTableError:
        return migration_ids(directory)
    return migration_ids(directory) - {row["migration_id"] for row in rows}


async def create_pool(database_url: str, max_size: int) -> asyncpg.Pool:
    """The replica's pool; a database that cannot be reached (refused, unknown host, wrong
    credentials or database, timeout) is a ``ConfigError`` naming ``DATABASE_URL``."""
    try:
        pool = await asyncpg.create_pool(
            database_url,
            min_size=1,
            max_size=max_size,
            command_timeout=10,
            timeout=5,
        )
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        raise unreachable(database_url, exc) from None
    assert pool is not None
    return pool
