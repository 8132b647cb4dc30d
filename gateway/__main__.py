"""The `gateway` command: serve, migrate, admin, sandbox, dev, healthcheck, openapi, env-example."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from gateway.config import ConfigError, Settings, env_example, read_env_file


def _environment(env_file: str | None) -> dict[str, str]:
    """The process environment, over the values of ``--env-file`` (the environment wins)."""
    values: dict[str, str] = {}
    if env_file:
        values.update(read_env_file(Path(env_file)))
    values.update(os.environ)
    return values


def _settings(env: Mapping[str, str], args: argparse.Namespace) -> Settings:
    merged = dict(env)
    if getattr(args, "port", None) is not None:
        merged["GATEWAY_PORT"] = str(args.port)
    if getattr(args, "host", None):
        merged["GATEWAY_HOST"] = args.host
    return Settings.from_env(merged)


def cmd_serve(args: argparse.Namespace) -> int:
    from gateway.server import serve

    settings = _settings(_environment(args.env_file), args)
    serve(settings)
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    from gateway.db import apply_migrations
    from gateway.logs import configure_logging

    env = _environment(args.env_file)
    url = env.get("DATABASE_URL", "").strip()
    if not url:
        raise ConfigError("DATABASE_URL is required: PostgreSQL URL to migrate")
    configure_logging(env.get("LOG_LEVEL", "INFO"))
    applied = apply_migrations(url)
    print(f"migrations: {applied} applied, database up to date")
    return 0


def cmd_admin(args: argparse.Namespace) -> int:
    """``gateway admin grant|revoke EMAIL``: confirm (or withdraw) an account's admin
    rights, which also need its email in ``ADMIN_EMAILS``; effective on the next request."""
    import asyncio

    import asyncpg

    from gateway.accounts import repository
    from gateway.config import SETTINGS

    env = _environment(args.env_file)
    url = env.get("DATABASE_URL", "").strip()
    if not url:
        raise ConfigError("DATABASE_URL is required: PostgreSQL URL of the accounts")
    email_key = args.email.strip().lower()
    granted = args.action == "grant"

    async def run() -> bool:
        conn = await asyncpg.connect(url, timeout=10)
        try:
            return await repository.confirm_admin(conn, email_key, granted)
        finally:
            await conn.close()

    try:
        found = asyncio.run(run())
    except (OSError, asyncpg.PostgresError) as exc:
        raise ConfigError(f"DATABASE_URL: cannot update the accounts ({exc})") from None
    if not found:
        print(f"gateway: no account has the email {args.email!r}", file=sys.stderr)
        return 1
    if not granted:
        print(f"admin rights withdrawn from {email_key}")
        return 0
    setting = next(s for s in SETTINGS if s.env == "ADMIN_EMAILS")
    listed = setting.parse(env.get("ADMIN_EMAILS", ""))
    print(f"admin rights confirmed for {email_key}")
    if email_key not in listed:
        print(
            f"note: {email_key} is not in ADMIN_EMAILS here: it is an admin only on replicas "
            "whose ADMIN_EMAILS lists it",
            file=sys.stderr,
        )
    return 0


def cmd_sandbox(args: argparse.Namespace) -> int:
    import asyncio

    from gateway.logs import configure_logging
    from gateway.sandbox.app import run
    from gateway.sandbox.settings import SandboxSettings

    env = _environment(args.env_file)
    if args.port is not None:
        env["SANDBOX_PORT"] = str(args.port)
    try:
        sandbox_settings = SandboxSettings.from_env(env)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    configure_logging(env.get("LOG_LEVEL", "INFO"))
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run(sandbox_settings))
    return 0


def cmd_dev(args: argparse.Namespace) -> int:
    from gateway.devstack import run_dev

    return run_dev(_environment(args.env_file))


def cmd_healthcheck(args: argparse.Namespace) -> int:
    from gateway.healthcheck import check

    return check(_environment(args.env_file))


def cmd_openapi(args: argparse.Namespace) -> int:
    from gateway.openapi import write_document

    write_document(Path(args.output) if args.output else None)
    return 0


def cmd_env_example(args: argparse.Namespace) -> int:
    sys.stdout.write(env_example())
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="gateway", description="Enedis Data Connect gateway")
    sub = root.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the gateway (settings from the environment)")
    serve.add_argument("--env-file", help="read settings from this dotenv file")
    serve.add_argument("--port", type=int, help="override GATEWAY_PORT")
    serve.add_argument("--host", help="override GATEWAY_HOST")
    serve.set_defaults(func=cmd_serve)

    migrate = sub.add_parser("migrate", help="apply the database migrations (idempotent)")
    migrate.add_argument("--env-file")
    migrate.set_defaults(func=cmd_migrate)

    admin = sub.add_parser(
        "admin", help="confirm or withdraw an account's admin rights (ADMIN_EMAILS)"
    )
    admin.add_argument("action", choices=("grant", "revoke"))
    admin.add_argument("email", help="the account's email (any case)")
    admin.add_argument("--env-file")
    admin.set_defaults(func=cmd_admin)

    sandbox = sub.add_parser("sandbox", help="run the Enedis sandbox simulator alone")
    sandbox.add_argument("--env-file")
    sandbox.add_argument("--port", type=int, help="override SANDBOX_PORT")
    sandbox.set_defaults(func=cmd_sandbox)

    dev = sub.add_parser(
        "dev", help="everything on embedded defaults (PostgreSQL, Valkey, sandbox)"
    )
    dev.add_argument("--env-file")
    dev.set_defaults(func=cmd_dev)

    health = sub.add_parser(
        "healthcheck", help="exit 0 when /health/live answers on this host's outside address"
    )
    health.add_argument("--env-file")
    health.set_defaults(func=cmd_healthcheck)

    openapi = sub.add_parser("openapi", help="write the OpenAPI document")
    openapi.add_argument("--output", help="file to write (default openapi/gateway.json)")
    openapi.set_defaults(func=cmd_openapi)

    example = sub.add_parser("env-example", help="print every setting with its default")
    example.set_defaults(func=cmd_env_example)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.func(args))
    except ConfigError as exc:
        print(f"gateway: configuration error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
