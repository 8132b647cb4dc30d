"""The test harness: real PostgreSQL and Valkey (embedded, once per session), the sandbox
simulator as a separate process on a free port, and each test isolated (clean tables,
flushed Redis, sandbox counters and faults reset). ``tests/cluster`` runs chosen tests again
against a Valkey Cluster: ``Services.cluster`` is then set, and tests reach Redis through
``Services.redis()``/``Services.aioredis()``, which speak to whichever is in use."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis
import redis.asyncio as aioredis

from gateway.config import Settings
from gateway.db import apply_migrations
from gateway.embedded import EmbeddedPostgres, EmbeddedValkey, EmbeddedValkeyCluster
from tests.support.processes import ChildProcess, sandbox_process
from tests.support.sandbox import sandbox_control
from tests.support.upstream import ENEDIS_API

SANDBOX_CLIENT_ID = "sandbox-client-id"
SANDBOX_CLIENT_SECRET = "sandbox-client-secret"
TEST_SECRET_KEY = "test-server-key-0123456789abcdefghijklmnopqrstuvwxyz"


@dataclass
class Services:
    postgres: EmbeddedPostgres
    valkey: EmbeddedValkey
    sandbox: ChildProcess
    log_dir: Path
    #: A second sandbox serving both generations, never called by the gateway: the v5
    #: answers a v5 Enedis gave, to compare the v5 and legacy surfaces with.
    reference: ChildProcess

    @property
    def reference_url(self) -> str:
        return self.reference.url

    cluster: EmbeddedValkeyCluster | None = None  # set: Redis is this cluster

    @property
    def sandbox_url(self) -> str:
        return self.sandbox.url

    @property
    def redis_url(self) -> str:
        return self.cluster.url if self.cluster is not None else self.valkey.url

    def redis(self) -> redis.Redis | redis.RedisCluster:
        """A (blocking) client of the Redis in use: SCAN, FLUSHALL... cover every node."""
        if self.cluster is not None:
            return redis.RedisCluster.from_url(self.cluster.url)
        return redis.Redis.from_url(self.valkey.url)

    def aioredis(self) -> aioredis.Redis | aioredis.RedisCluster:
        """An asyncio client of the Redis in use."""
        if self.cluster is not None:
            return aioredis.RedisCluster.from_url(self.cluster.url)
        return aioredis.Redis.from_url(self.valkey.url)

    def env(self, **overrides: str) -> dict[str, str]:
        """Settings for a gateway wired to these services (as environment variables)."""
        env = {
            "DATABASE_URL": self.postgres.url,
            "REDIS_URL": self.redis_url,
            "REDIS_CLUSTER": "true" if self.cluster is not None else "false",
            "ENEDIS_BASE_URL": self.sandbox_url,
            "ENEDIS_AUTHORIZE_URL": self.sandbox_url + "/dataconnect/v1/oauth2/authorize",
            "ENEDIS_CLIENT_ID": SANDBOX_CLIENT_ID,
            "ENEDIS_CLIENT_SECRET": SANDBOX_CLIENT_SECRET,
            "GATEWAY_SECRET_KEY": TEST_SECRET_KEY,
            "PUBLIC_URL": "http://gateway.test",
            "UPSTREAM_BACKOFF_SECONDS": "0.05",
            "UPSTREAM_MAX_WAIT_SECONDS": "20",
            "BREAKER_COOLDOWN_SECONDS": "1",
            "SHUTDOWN_GRACE_SECONDS": "5",
            "LOG_LEVEL": "INFO",
            # the upstream generation under test: TEST_ENEDIS_API=v5 runs the suite on v5
            "ENEDIS_API": ENEDIS_API,
            # tests sign up many accounts from one address (the throttle has its own test)
            "SIGNUP_ADDRESS_LIMIT": "100000",
            "SIGNUP_GLOBAL_LIMIT": "100000",
            # history imports on consent take upstream calls that other tests count: only
            # the tests of imports (tests/imports) turn them on
            "IMPORT_ENABLED": "false",
        }
        env.update(overrides)
        return env

    def sandbox_call(self, method: str, path: str, body: Any = None) -> Any:
        return sandbox_control(self.sandbox_url, method, path, body)

    def sandbox_stats(self) -> dict[str, Any]:
        stats: dict[str, Any] = self.sandbox_call("GET", "/__sandbox/stats")
        return stats

    def reset(self) -> None:
        with psycopg.connect(self.postgres.url, autocommit=True) as conn:
            tables = conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename NOT LIKE '\\_yoyo%' AND tablename <> 'yoyo_lock'"
            ).fetchall()
            if tables:
                names = ", ".join(f'"{name}"' for (name,) in tables)
                conn.execute(f"TRUNCATE {names} CASCADE")
        if self.cluster is not None:
            if not self.cluster.running:
                self.cluster.start()
        elif not self.valkey.running:
            self.valkey.start()
        client = self.redis()
        try:
            client.flushall()
        finally:
            client.close()
        self.sandbox_call("POST", "/__sandbox/reset", {"consents": True})


@pytest.fixture(scope="session")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    root = tmp_path_factory.mktemp("services")
    postgres = EmbeddedPostgres(root / "postgres", durable=False)
    valkey = EmbeddedValkey(root / "valkey", persist=False)
    sandbox = sandbox_process(root)
    reference = sandbox_process(root, {"SANDBOX_APIS": "2026,v5"})
    try:
        postgres.start()
        valkey.start()
        apply_migrations(postgres.url)
        sandbox.start()
        reference.start()
        yield Services(postgres, valkey, sandbox, root, reference)
    finally:
        reference.stop()
        sandbox.stop()
        valkey.stop()
        postgres.stop()


@pytest.fixture
def clean_services(services: Services) -> Services:
    """The services, emptied for this test."""
    if not services.postgres.running:
        services.postgres.start()
    services.reset()
    return services


@pytest.fixture
def settings_env(clean_services: Services) -> dict[str, str]:
    return clean_services.env()


@pytest.fixture
def settings(settings_env: dict[str, str]) -> Settings:
    return Settings.from_env(settings_env)


@pytest.fixture
async def gateway(aiohttp_client: Any, settings: Settings) -> AsyncIterator[Any]:
    """A test client of a gateway wired to the real services."""
    from gateway.app import build_app

    client = await aiohttp_client(build_app(settings))
    yield client
