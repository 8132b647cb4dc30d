"""The chosen suites again, against a real Valkey Cluster: 3 primaries with one replica each,
started once per session from the embedded wheel (``valkey-cli --cluster create``).

Tests collected here get ``clean_services`` with ``cluster`` set: the gateway runs with
``REDIS_CLUSTER=true`` and the tests' own Redis clients are cluster clients.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from redis.asyncio.cluster import ClusterPipeline, RedisCluster

from gateway.embedded import EmbeddedValkeyCluster
from tests.accounts.conftest import fast_passwords, gateway
from tests.conftest import Services

__all__ = ["fast_passwords", "gateway"]  # the accounts suite's fixtures, for its tests here

NODE_TIMEOUT_MS = 1000  # a stopped primary is replaced by its replica within ~2 s


@pytest.fixture(scope="session")
def valkey_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedValkeyCluster]:
    cluster = EmbeddedValkeyCluster(
        tmp_path_factory.mktemp("valkey-cluster"),
        primaries=3,
        replicas=1,
        node_timeout_ms=NODE_TIMEOUT_MS,
    )
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


SLOT_ERRORS = ("CROSSSLOT", "CrossSlot", "MOVED", "MovedError", "AskError")


@pytest.fixture(autouse=True)
def no_slot_errors(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """No command of the gateway went to the wrong node or spanned slots."""
    yield
    for record in caplog.records:
        text = record.getMessage() + (record.exc_text or "")
        assert not any(word in text for word in SLOT_ERRORS), text


@pytest.fixture(autouse=True)
def no_cluster_transactions(monkeypatch: pytest.MonkeyPatch) -> None:
    """The gateway never opens a MULTI on the cluster client (see gateway/shared_store.py)."""
    original = RedisCluster.pipeline

    def pipeline(
        self: RedisCluster, transaction: object = None, shard_hint: object = None
    ) -> ClusterPipeline:
        assert not transaction, "a transaction on the cluster client: use a script"
        return original(self, transaction, shard_hint)

    monkeypatch.setattr(RedisCluster, "pipeline", pipeline)


@pytest.fixture
def clean_services(services: Services, valkey_cluster: EmbeddedValkeyCluster) -> Services:
    """The services with Redis being the cluster, emptied for this test."""
    if not services.postgres.running:
        services.postgres.start()
    on_cluster = dataclasses.replace(services, cluster=valkey_cluster)
    on_cluster.reset()
    return on_cluster
