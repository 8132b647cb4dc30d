"""Every setting of the gateway, read once from the environment.

Each setting is declared once in ``SETTINGS`` (name, default, parser, help); the
``Settings`` dataclass, ``.env.example`` and the README table are derived from it.
A missing or malformed setting raises ``ConfigError`` with one line naming it.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names it."""


def _int(low: int, high: int | None = None) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        try:
            value = int(raw.strip())
        except ValueError:
            raise ValueError("must be an integer") from None
        if value < low or (high is not None and value > high):
            bound = f"between {low} and {high}" if high is not None else f"at least {low}"
            raise ValueError(f"must be an integer {bound}")
        return value

    return parse


def _float(low: float, high: float | None = None) -> Callable[[str], float]:
    def parse(raw: str) -> float:
        try:
            value = float(raw.strip())
        except ValueError:
            raise ValueError("must be a number") from None
        if math.isnan(value) or value < low or (high is not None and value > high):
            bound = f"between {low} and {high}" if high is not None else f"at least {low}"
            raise ValueError(f"must be a number {bound}")
        return value

    return parse


def _bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError("must be true or false")


def _url(*schemes: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        value = raw.strip()
        parsed = urlparse(value)
        if parsed.scheme not in schemes or not (parsed.netloc or parsed.query):
            raise ValueError(f"must be a URL with scheme {' or '.join(schemes)}")
        return value.rstrip("/") if parsed.scheme.startswith("http") else value

    return parse


def _str(min_length: int = 1) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        value = raw.strip()
        if len(value) < min_length:
            raise ValueError(
                "must not be empty"
                if min_length == 1
                else f"must be at least {min_length} characters"
            )
        return value

    return parse


def _optional_url(raw: str) -> str | None:
    return _url("http", "https")(raw) if raw.strip() else None


def _optional_smtp_url(raw: str) -> str | None:
    return _url("smtp", "smtps")(raw) if raw.strip() else None


def _csv(raw: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in raw.split(",") if item.strip())


IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def _networks(raw: str) -> tuple[IPNetwork, ...]:
    try:
        return tuple(ipaddress.ip_network(item, strict=False) for item in _csv(raw))
    except ValueError:
        raise ValueError("must be comma-separated addresses or CIDRs (10.0.0.0/8)") from None


def _host_ports(raw: str) -> tuple[str, ...]:
    """``host:port`` items, comma-separated (IPv6 hosts in brackets: ``[::1]:6379``)."""
    items = _csv(raw)
    for item in items:
        host, sep, port = item.rpartition(":")
        if not sep or not host or not port.isdigit() or not 1 <= int(port) <= 65535:
            raise ValueError(f"must be host:port items separated by commas ({item!r} is not)")
    return items


def _emails(raw: str) -> tuple[str, ...]:
    return tuple(item.lower() for item in _csv(raw))


def _choice(*values: str) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        value = raw.strip()
        if value not in values:
            raise ValueError(f"must be one of {', '.join(values)}")
        return value

    return parse


def _optional_int(low: int) -> Callable[[str], int | None]:
    def parse(raw: str) -> int | None:
        return _int(low)(raw) if raw.strip() else None

    return parse


def _optional_str(min_length: int) -> Callable[[str], str | None]:
    def parse(raw: str) -> str | None:
        return _str(min_length)(raw) if raw.strip() else None

    return parse


_DURATION = re.compile(r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?$")


def _duration(raw: str) -> str:
    value = raw.strip()
    if not _DURATION.match(value):
        raise ValueError("must be an ISO 8601 duration such as P36M")
    return value


def _log_level(raw: str) -> str:
    value = raw.strip().upper()
    if value not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR")
    return value


@dataclass(frozen=True, slots=True)
class Setting:
    """One environment variable: its attribute name, default and parser."""

    env: str
    attr: str
    parse: Callable[[str], Any]
    default: str | None
    help: str
    secret: bool = False

    @property
    def required(self) -> bool:
        return self.default is None


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "DATABASE_URL",
        "database_url",
        _url("postgresql", "postgres"),
        None,
        "PostgreSQL URL (accounts, usage points, consents).",
    ),
    Setting(
        "REDIS_URL",
        "redis_url",
        _url("redis", "rediss", "unix"),
        None,
        "Redis/Valkey URL (cache, quotas, limiter, application token); with REDIS_CLUSTER, "
        "any one node of the cluster.",
    ),
    Setting(
        "REDIS_CLUSTER",
        "redis_cluster",
        _bool,
        "false",
        "Use a Redis/Valkey Cluster (redis-py's cluster client) instead of a single node.",
    ),
    Setting(
        "REDIS_CLUSTER_NODES",
        "redis_cluster_nodes",
        _host_ports,
        "",
        "Comma-separated host:port of cluster nodes to discover it from (default: REDIS_URL's).",
    ),
    Setting(
        "ENEDIS_BASE_URL",
        "enedis_base_url",
        _url("http", "https"),
        None,
        "Enedis API host (token + data), e.g. https://gw.ext.prod.api.enedis.fr.",
    ),
    Setting(
        "ENEDIS_AUTHORIZE_URL",
        "enedis_authorize_url",
        _url("http", "https"),
        None,
        "Enedis consent page, e.g. https://mon-compte-particulier.enedis.fr/dataconnect/v2/"
        "oauth2/authorize (a v1 or v2 page path is switched to the one ENEDIS_CONSENT names).",
    ),
    Setting(
        "ENEDIS_API",
        "enedis_api",
        _choice("2026", "v5"),
        "2026",
        "Generation of Enedis' data APIs the gateway calls: 2026 (Data Connect 2026, Enedis "
        "today) or v5 (an Enedis environment that still runs v5).",
    ),
    Setting(
        "ENEDIS_CONSENT",
        "enedis_consent",
        _choice("v2", "v1"),
        "v2",
        "Enedis consent page: v2 (back with autorisation_id, verified through "
        "subscribed_services) or v1 (back with code and usage_point_id, not verifiable).",
    ),
    Setting(
        "CONSENT_EXCHANGE_MAX_SECONDS",
        "consent_exchange_max",
        _float(0.0, 300.0),
        "20",
        "How long a v2 consent callback asks subscribed_services for the consented meter.",
    ),
    Setting(
        "ENEDIS_CLIENT_ID",
        "enedis_client_id",
        _str(),
        None,
        "The gateway's Enedis application client_id.",
    ),
    Setting(
        "ENEDIS_CLIENT_SECRET",
        "enedis_client_secret",
        _str(),
        None,
        "The gateway's Enedis application client_secret.",
        secret=True,
    ),
    Setting(
        "GATEWAY_SECRET_KEY",
        "secret_key",
        _str(32),
        None,
        "Server key (at least 32 characters): signs tokens and states, keys digests.",
        secret=True,
    ),
    Setting(
        "GATEWAY_HOST",
        "host",
        _str(),
        "127.0.0.1",
        "Address the gateway listens on (the container image sets 0.0.0.0).",
    ),
    Setting("GATEWAY_PORT", "port", _int(1, 65535), "8080", "Port the gateway listens on."),
    Setting(
        "PUBLIC_URL",
        "public_url",
        _optional_url,
        "",
        "Public base URL of the gateway (default http://localhost:GATEWAY_PORT).",
    ),
    Setting(
        "ACCESS_TOKEN_TTL_SECONDS",
        "access_token_ttl",
        _int(60),
        "3600",
        "Lifetime of the gateway's access tokens.",
    ),
    Setting(
        "CONSENT_DURATION",
        "consent_duration",
        _duration,
        "P36M",
        "Consent duration asked from Enedis (at most P3Y).",
    ),
    Setting(
        "CONSENT_DONE_URL",
        "consent_done_url",
        _optional_url,
        "",
        "Where to send the browser after a consent (default: a small page).",
    ),
    Setting(
        "ADMIN_API_KEY",
        "admin_api_key",
        _optional_str(32),
        "",
        "Key for the admin routes (header ADMIN_API_KEY), at least 32 characters; empty "
        "disables it.",
        secret=True,
    ),
    Setting(
        "ADMIN_EMAILS",
        "admin_emails",
        _emails,
        "",
        "Comma-separated account emails allowed on the admin routes, once an operator "
        "confirmed each account (gateway admin grant EMAIL).",
    ),
    Setting(
        "ENEDIS_RATE_LIMIT",
        "enedis_rate_limit",
        _int(1),
        "5",
        "Upstream calls per second, per Enedis API (v5: for all its APIs together).",
    ),
    Setting(
        "ENEDIS_HOURLY_LIMIT",
        "enedis_hourly_limit",
        _optional_int(1),
        "",
        "Upstream calls per hour, per Enedis API (empty: 1000 under ENEDIS_API=2026, "
        "10000 for the whole of v5).",
    ),
    Setting(
        "ENEDIS_RATE_MARGIN",
        "enedis_rate_margin",
        _float(1.0, 2.0),
        "1.1",
        "Sliding window of the per-second rule, in seconds: at most ENEDIS_RATE_LIMIT calls "
        "in any ENEDIS_RATE_MARGIN seconds; the excess over 1 s absorbs network jitter so "
        "that Enedis never sees one call too many in a second (1.1: 4.55 calls/s for 5).",
    ),
    Setting(
        "GATEWAY_REPLICAS",
        "replicas",
        _int(1),
        "1",
        "Number of replicas; each limits itself to its share of the rate when Redis is down.",
    ),
    Setting(
        "GATEWAY_WORKERS",
        "workers",
        _int(1),
        "1",
        "Processes (one event loop each) serving the port together (SO_REUSEPORT); they "
        "share everything through Redis, as replicas do.",
    ),
    Setting(
        "UPSTREAM_MAX_WAIT_SECONDS",
        "upstream_max_wait",
        _float(0.0),
        "20",
        "Longest wait for a limiter slot before answering 503.",
    ),
    Setting(
        "UPSTREAM_TIMEOUT_SECONDS",
        "upstream_timeout",
        _float(0.1),
        "10",
        "Timeout of one upstream attempt.",
    ),
    Setting(
        "UPSTREAM_MAX_ATTEMPTS",
        "upstream_max_attempts",
        _int(1, 20),
        "4",
        "Attempts per upstream call (retries on 429, 5xx and timeouts).",
    ),
    Setting(
        "UPSTREAM_DEADLINE_SECONDS",
        "upstream_deadline",
        _float(0.5),
        "30",
        "Overall deadline of an upstream call, retries included.",
    ),
    Setting(
        "UPSTREAM_BACKOFF_SECONDS",
        "upstream_backoff",
        _float(0.0),
        "0.2",
        "Base of the exponential backoff (full jitter).",
    ),
    Setting(
        "BREAKER_FAILURE_THRESHOLD",
        "breaker_threshold",
        _int(1),
        "5",
        "Consecutive upstream failures that open the circuit breaker.",
    ),
    Setting(
        "BREAKER_COOLDOWN_SECONDS",
        "breaker_cooldown",
        _float(0.1),
        "30",
        "How long the breaker stays open before one probe.",
    ),
    Setting(
        "IMPORT_ENABLED",
        "import_enabled",
        _bool,
        "true",
        "Import every newly consented meter's whole history in the background.",
    ),
    Setting(
        "IMPORT_MAX_HOURLY_SHARE",
        "import_max_hourly_share",
        _float(0.0, 1.0),
        "0.5",
        "Largest share of each Enedis API's hourly budget that history imports may use.",
    ),
    Setting(
        "IMPORT_HISTORY_DAYS",
        "import_history_days",
        _int(0),
        "0",
        "Days back a history import goes at most (0: all that Enedis keeps).",
    ),
    Setting(
        "IMPORT_WORKERS",
        "import_workers",
        _int(1, 64),
        "2",
        "History imports run at once by each replica.",
    ),
    Setting(
        "IMPORT_KEY_TTL_SECONDS",
        "import_key_ttl",
        _int(60),
        "604800",
        "Longest time an account's cache key is kept sealed in Redis for its imports.",
    ),
    Setting(
        "IMPORT_STALLED_SECONDS",
        "import_stalled",
        _float(1.0),
        "30",
        "Silence after which a replica's imports are taken over by another replica.",
    ),
    Setting(
        "USER_DAILY_LIMIT_NO_CACHE",
        "daily_limit_upstream",
        _int(0),
        "50",
        "Upstream calls an account may cause per UTC day.",
    ),
    Setting(
        "USER_DAILY_LIMIT_WITH_CACHE",
        "daily_limit_cached",
        _int(0),
        "1000",
        "Requests answered from cache per account per UTC day.",
    ),
    Setting("CACHE_TTL_SECONDS", "cache_ttl", _int(1), "86400", "Freshness of settled data."),
    Setting(
        "CACHE_TTL_RECENT_SECONDS",
        "cache_ttl_recent",
        _int(1),
        "3600",
        "Freshness of days that may still change (the last two days).",
    ),
    Setting(
        "CACHE_TTL_NO_DATA_SECONDS",
        "cache_ttl_no_data",
        _int(1),
        "900",
        "Freshness of 'no data' answers.",
    ),
    Setting(
        "CACHE_STALE_SECONDS",
        "cache_stale",
        _int(0),
        "604800",
        "How long expired entries are kept to be served (stale) while Enedis fails.",
    ),
    Setting(
        "AUTH_MAX_FAILURES",
        "auth_max_failures",
        _int(1),
        "10",
        "Failed attempts allowed per window, per account and per client address (passwords "
        "and secrets counted apart; a right secret is never refused).",
    ),
    Setting(
        "AUTH_FAILURE_WINDOW_SECONDS",
        "auth_failure_window",
        _int(1),
        "900",
        "Window of the failed-attempt throttle.",
    ),
    Setting(
        "SIGNUP_ADDRESS_LIMIT",
        "signup_address_limit",
        _int(1),
        "10",
        "Sign-ups allowed per client address per hour (each costs two argon2id hashes).",
    ),
    Setting(
        "SIGNUP_GLOBAL_LIMIT",
        "signup_global_limit",
        _int(1),
        "30",
        "Sign-ups allowed per minute for everyone together, on every replica.",
    ),
    Setting(
        "TRUSTED_PROXIES",
        "trusted_proxies",
        _networks,
        "",
        "Comma-separated CIDRs of the reverse proxies in front of the gateway: the client "
        "address is then the right-most X-Forwarded-For hop not in them (empty: the peer "
        "address, X-Forwarded-For ignored).",
    ),
    Setting(
        "SHUTDOWN_GRACE_SECONDS",
        "shutdown_grace",
        _float(0.0),
        "15",
        "Time given to in-flight requests on SIGTERM.",
    ),
    Setting(
        "CORS_ORIGINS",
        "cors_origins",
        _csv,
        "",
        "Comma-separated origins allowed by CORS; empty keeps CORS closed.",
    ),
    Setting(
        "SESSION_TTL_SECONDS",
        "session_ttl",
        _int(300),
        "604800",
        "Web pages: a browser session ends after this long without a visit (sliding).",
    ),
    Setting(
        "SMTP_URL",
        "smtp_url",
        _optional_smtp_url,
        "",
        "Mail server for address checks and password resets"
        " (smtp:// or smtps://user:pass@host:port); empty: no e-mail is sent.",
        secret=True,
    ),
    Setting(
        "MAIL_FROM",
        "mail_from",
        _str(),
        "Enedis gateway <no-reply@localhost>",
        "Sender of the gateway's e-mails.",
    ),
    Setting("MAX_BODY_BYTES", "max_body_bytes", _int(1024), "65536", "Largest request body."),
    Setting("DB_POOL_MAX", "db_pool_max", _int(1), "10", "PostgreSQL connections per replica."),
    Setting("LOG_LEVEL", "log_level", _log_level, "INFO", "DEBUG, INFO, WARNING or ERROR."),
)


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str
    redis_url: str
    redis_cluster: bool
    redis_cluster_nodes: tuple[str, ...]
    enedis_base_url: str
    enedis_authorize_url: str
    enedis_client_id: str
    enedis_client_secret: str
    secret_key: str
    host: str
    port: int
    public_url: str | None
    access_token_ttl: int
    consent_duration: str
    consent_done_url: str | None
    admin_api_key: str | None
    admin_emails: tuple[str, ...]
    enedis_api: str
    enedis_consent: str
    consent_exchange_max: float
    enedis_rate_limit: int
    enedis_hourly_limit: int | None
    enedis_rate_margin: float
    replicas: int
    workers: int
    upstream_max_wait: float
    upstream_timeout: float
    upstream_max_attempts: int
    upstream_deadline: float
    upstream_backoff: float
    breaker_threshold: int
    breaker_cooldown: float
    import_enabled: bool
    import_max_hourly_share: float
    import_history_days: int
    import_workers: int
    import_key_ttl: int
    import_stalled: float
    daily_limit_upstream: int
    daily_limit_cached: int
    cache_ttl: int
    cache_ttl_recent: int
    cache_ttl_no_data: int
    cache_stale: int
    auth_max_failures: int
    auth_failure_window: int
    signup_address_limit: int
    signup_global_limit: int
    trusted_proxies: tuple[IPNetwork, ...]
    shutdown_grace: float
    cors_origins: tuple[str, ...]
    session_ttl: int
    smtp_url: str | None
    mail_from: str
    max_body_bytes: int
    db_pool_max: int
    log_level: str

    @property
    def base_url(self) -> str:
        """The public URL of the gateway, used for redirect URIs and banners."""
        return self.public_url or f"http://localhost:{self.port}"

    @property
    def hourly_limit(self) -> int:
        """Upstream calls per hour per API (``ENEDIS_HOURLY_LIMIT`` or the generation's)."""
        if self.enedis_hourly_limit is not None:
            return self.enedis_hourly_limit
        return 1000 if self.enedis_api == "2026" else 10000

    @property
    def consent_page_url(self) -> str:
        """``ENEDIS_AUTHORIZE_URL`` with the path of the page ``ENEDIS_CONSENT`` names."""
        url = self.enedis_authorize_url
        v1, v2 = "/dataconnect/v1/oauth2/authorize", "/dataconnect/v2/oauth2/authorize"
        wanted, other = (v2, v1) if self.enedis_consent == "v2" else (v1, v2)
        return url[: -len(other)] + wanted if url.endswith(other) else url

    @property
    def redirect_uri(self) -> str:
        return f"{self.base_url}/oauth/callback"

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """Read every setting from ``env``; the first bad one raises ``ConfigError``."""
        values: dict[str, Any] = {}
        for setting in SETTINGS:
            raw = env.get(setting.env)
            if raw is None or (setting.required and not raw.strip()):
                if setting.required:
                    raise ConfigError(f"{setting.env} is required: {setting.help}")
                raw = setting.default or ""
            try:
                values[setting.attr] = setting.parse(raw)
            except ValueError as exc:
                shown = "(hidden)" if setting.secret else repr(raw)
                raise ConfigError(f"{setting.env} {exc} (got {shown})") from None
        if values["redis_cluster"]:
            _check_cluster_url(values["redis_url"])
        return cls(**values)


def _check_cluster_url(url: str) -> None:
    """A cluster is reached over TCP and has only database 0."""
    parsed = urlparse(url)
    if parsed.scheme not in {"redis", "rediss"} or parsed.path.strip("/") not in {"", "0"}:
        raise ConfigError(
            "REDIS_URL must be redis:// or rediss:// with database 0 (or none) when "
            "REDIS_CLUSTER is true"
        )


def read_env_file(path: Path) -> dict[str, str]:
    """Parse a dotenv file: KEY=VALUE lines, comments, optional quotes."""
    if not path.is_file():
        raise ConfigError(f"--env-file {path}: no such file")
    values: dict[str, str] = {}
    for number, raw_line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw_line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line.removeprefix("export ")
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key):
            raise ConfigError(f"--env-file {path}:{number}: expected KEY=VALUE")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key] = value
    return values


def env_example() -> str:
    """The text of ``.env.example``: every setting with its default and help.

    Only the required settings are active lines; the others are commented out with their
    default, so that a copied ``.env`` pins nothing it does not need to (the image's own
    ``GATEWAY_HOST=0.0.0.0`` stays in force under ``docker run --env-file .env``).
    """
    lines = [
        "# Enedis gateway settings (gateway serve). Generated from gateway/config.py.",
        "# Fill in the required ones; uncomment the others to change their default.",
    ]
    for setting in SETTINGS:
        lines.append(f"# {setting.help}{' (required)' if setting.required else ''}")
        prefix = "" if setting.required else "#"
        lines.append(f"{prefix}{setting.env}={setting.default or ''}")
    return "\n".join(lines) + "\n"
