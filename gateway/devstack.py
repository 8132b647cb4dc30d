"""`gateway dev`: the whole stack on one laptop, on embedded defaults.

PostgreSQL and Valkey run from their wheels with their data in ``GATEWAY_DATA_DIR``
(default ``.gateway/``), the sandbox simulator and the gateway run in this process, and
an SMTP catcher keeps the e-mails the web pages send (listed at ``/dev/mails``) unless
``SMTP_URL`` is set.
``DATABASE_URL``, ``REDIS_URL`` or ``ENEDIS_BASE_URL`` in the environment replace the
matching embedded part. ``GATEWAY_DEV_REDIS_CLUSTER=3`` (or more) starts a Valkey Cluster
of that many primaries instead of one Valkey (``REDIS_CLUSTER=true`` is then set).
The settings of what was started go to ``dev.env`` so that
``gateway serve --env-file .gateway/dev.env --port 8090`` joins as a second replica.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

from gateway.config import ConfigError, Settings
from gateway.embedded import (
    EmbeddedPostgres,
    EmbeddedValkey,
    EmbeddedValkeyCluster,
    cluster_port,
    free_port,
    port_open,
)
from gateway.logs import configure_logging
from gateway.web.mailcatcher import CATCHER, MailCatcher

log = logging.getLogger(__name__)

AUTHORIZE_PATH = "/dataconnect/v1/oauth2/authorize"


def _port(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, str(default))
    try:
        port = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer between 1 and 65535 (got {raw!r})") from None
    if not 1 <= port <= 65535:
        raise ConfigError(f"{name} must be an integer between 1 and 65535 (got {raw!r})")
    return port


def _secret_key(data_dir: Path) -> str:
    """A server key kept in the data folder, so accounts and tokens survive restarts."""
    path = data_dir / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def _remembered_port(path: Path, pick: Callable[[], int] = free_port) -> int:
    """The port a server used last time in this data folder, when still free."""
    with contextlib.suppress(ValueError, OSError):
        port = int(path.read_text())
        if not port_open("127.0.0.1", port):
            return port
    port = pick()
    path.write_text(str(port))
    return port


def dev_cluster(env: Mapping[str, str], data_dir: Path) -> EmbeddedValkeyCluster | None:
    """The Valkey Cluster that ``GATEWAY_DEV_REDIS_CLUSTER`` asks for (empty/0: none)."""
    raw = env.get("GATEWAY_DEV_REDIS_CLUSTER", "").strip()
    if raw in {"", "0"}:
        return None
    if not raw.isdigit() or int(raw) < 3:
        raise ConfigError(
            f"GATEWAY_DEV_REDIS_CLUSTER must be a number of primaries, at least 3 (got {raw!r})"
        )
    primaries = int(raw)
    root = data_dir / f"valkey-cluster-{primaries}"
    root.mkdir(parents=True, exist_ok=True)
    ports = [_remembered_port(root / f"node-{n}.port", cluster_port) for n in range(primaries)]
    return EmbeddedValkeyCluster(root, primaries, ports=ports)


def banner(
    settings: Settings, sandbox_url: str | None, dev_env: Path, *, mails: bool = False
) -> str:
    base = settings.base_url
    lines = [
        "",
        "  Enedis gateway (dev) is up",
        f"    gateway    {base}        (docs {base}/docs)",
        f"    web pages  {base}/        (in a browser: sign up, add a meter)",
    ]
    if mails:
        lines.append(f"    e-mails    {base}/dev/mails   (what the gateway sent, caught here)")
    if sandbox_url:
        lines.append(f"    sandbox    {sandbox_url}   (Enedis simulator)")
    if settings.redis_cluster:
        lines.append(f"    redis      cluster, discovered from {settings.redis_url}")
    lines += [
        f"    settings   {dev_env}   (gateway serve --env-file {dev_env} --port 8090)",
        "",
        "  Quick start:",
        f"    curl -s -X POST {base}/accounts/signup -H 'Content-Type: application/json' \\",
        '         -d \'{"email": "me@example.com", "password": "a long password"}\'',
        f"    # then open {base}/oauth/authorize with your client_id/client_secret (Basic auth)",
        f"    curl -s -u CLIENT_ID:CLIENT_SECRET {base}/pdl",
        "",
        "  Ctrl-C stops everything.",
        "",
    ]
    return "\n".join(lines)


def run_dev(env: Mapping[str, str]) -> int:
    env = dict(env)
    configure_logging(env.get("LOG_LEVEL", "INFO"))
    data_dir = Path(env.get("GATEWAY_DATA_DIR", ".gateway")).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    gateway_port = _port(env, "GATEWAY_PORT", 8080)
    sandbox_port = _port(env, "SANDBOX_PORT", 8081)
    env.setdefault("GATEWAY_PORT", str(gateway_port))
    env.setdefault("PUBLIC_URL", f"http://localhost:{gateway_port}")
    env.setdefault("GATEWAY_SECRET_KEY", _secret_key(data_dir))

    servers: list[EmbeddedPostgres | EmbeddedValkey | EmbeddedValkeyCluster] = []
    catcher: MailCatcher | None = None
    try:
        if not env.get("SMTP_URL"):
            catcher = MailCatcher().start()
            env["SMTP_URL"] = catcher.url
        if not env.get("DATABASE_URL"):
            pg = EmbeddedPostgres(
                data_dir / "postgres", _remembered_port(data_dir / "postgres.port")
            )
            pg.start()
            servers.append(pg)
            env["DATABASE_URL"] = pg.url
        cluster = None if env.get("REDIS_URL") else dev_cluster(env, data_dir)
        if cluster is not None:
            cluster.start()
            servers.append(cluster)
            env["REDIS_URL"] = cluster.url
            env["REDIS_CLUSTER"] = "true"
        elif not env.get("REDIS_URL"):
            valkey = EmbeddedValkey(data_dir / "valkey", _remembered_port(data_dir / "valkey.port"))
            valkey.start()
            servers.append(valkey)
            env["REDIS_URL"] = valkey.url

        sandbox_app = None
        sandbox_url: str | None = None
        if not env.get("ENEDIS_BASE_URL"):
            from gateway.sandbox.app import create_app as create_sandbox
            from gateway.sandbox.settings import SandboxSettings

            sandbox_url = f"http://localhost:{sandbox_port}"
            env["ENEDIS_BASE_URL"] = sandbox_url
            env.setdefault("ENEDIS_AUTHORIZE_URL", sandbox_url + AUTHORIZE_PATH)
            sandbox_env = dict(env)
            sandbox_env["SANDBOX_PORT"] = str(sandbox_port)
            sandbox_env.setdefault("SANDBOX_REDIRECT_URI", env["PUBLIC_URL"] + "/oauth/callback")
            try:
                sandbox_settings = SandboxSettings.from_env(sandbox_env)
            except ValueError as exc:
                raise ConfigError(str(exc)) from None
            env.setdefault("ENEDIS_CLIENT_ID", sandbox_settings.client_id)
            env.setdefault("ENEDIS_CLIENT_SECRET", sandbox_settings.client_secret)
            sandbox_app = create_sandbox(sandbox_settings)

        settings = Settings.from_env(env)
        from gateway.db import apply_migrations

        apply_migrations(settings.database_url)
        dev_env = data_dir / "dev.env"
        _write_dev_env(dev_env, settings)

        from gateway.app import build_app
        from gateway.server import Site, run_until_signal

        sites: list[Site] = []
        if sandbox_app is not None:
            sites.append((sandbox_app, "127.0.0.1", sandbox_port))
        app = build_app(settings)
        if catcher is not None:
            app[CATCHER] = catcher
        sites.append((app, settings.host, settings.port))
        asyncio.run(
            run_until_signal(
                sites,
                settings.shutdown_grace,
                lambda: print(
                    banner(settings, sandbox_url, dev_env, mails=catcher is not None),
                    file=sys.stderr,
                    flush=True,
                ),
            )
        )
    finally:
        for server in reversed(servers):
            server.stop()
        if catcher is not None:
            catcher.stop()
    return 0


def _write_dev_env(path: Path, settings: Settings) -> None:
    from gateway.config import SETTINGS

    lines = ["# Written by `gateway dev`: the settings of the running dev stack."]
    for setting in SETTINGS:
        value = getattr(settings, setting.attr)
        if setting.env in {"GATEWAY_PORT", "PUBLIC_URL"}:
            continue  # a second replica chooses its own port
        if isinstance(value, tuple):
            value = ",".join(value)
        elif isinstance(value, bool):
            value = "true" if value else "false"
        lines.append(f"{setting.env}={'' if value is None else value}")
    path.write_text("\n".join(lines) + "\n")
    os.chmod(path, 0o600)
