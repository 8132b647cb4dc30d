"""A primary of the cluster stops under load: the gateway answers as when Redis is lost
(tests/reliability/test_faults.py), its replica takes over, and the gateway recovers."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from gateway import redis_keys
from gateway.embedded import EmbeddedValkey, EmbeddedValkeyCluster
from tests.conftest import Services
from tests.reliability.test_faults import (
    account_id,
    assert_within_upstream_budget,
    caches_again,
    gateway_with,
    warm,
)
from tests.reliability.workload import Load, consent_start, mixed_with
from tests.support.journey import ready_account
from tests.support.polling import poll

pytestmark = pytest.mark.slow


async def primary_of(
    services: Services, key: str, cluster: EmbeddedValkeyCluster
) -> EmbeddedValkey:
    """The node that serves ``key``'s slot now."""
    client = services.aioredis()
    try:
        await client.initialize()  # type: ignore[union-attr]
        node = client.get_node_from_key(key)  # type: ignore[union-attr]
    finally:
        await client.aclose()
    (found,) = [n for n in cluster.nodes if n.port == node.port]
    return found


async def readiness(client: Any) -> tuple[int, dict[str, Any]]:
    answer = await client.get("/health/ready")
    return answer.status, await answer.json()


async def test_a_primary_stopped_under_load_fails_over_and_recovers(
    aiohttp_client: Any, clean_services: Services, valkey_cluster: EmbeddedValkeyCluster
) -> None:
    client = await gateway_with(aiohttp_client, clean_services, USER_DAILY_LIMIT_NO_CACHE="100000")
    accounts = [await ready_account(client, customer=f"load-{n}") for n in range(2)]
    for account in accounts:
        await warm(client, account)
    owner = await account_id(client, accounts[0])
    victim = await primary_of(clean_services, redis_keys.account_tag(owner), valkey_cluster)
    status, body = await readiness(client)
    assert status == 200 and body["redis_cluster"]["slots_covered"] == 16384, body
    nodes = body["redis_cluster"]["nodes"]

    authorize = consent_start(accounts[0])

    async def failed_over() -> bool:
        """Every slot served again (a replica promoted), the stopped node seen failing."""
        status, body = await readiness(client)
        cluster = body.get("redis_cluster", {})
        return status == 200 and cluster["reachable"] == nodes - 1 and cluster["nodes"] == nodes

    load = Load(client, accounts, workers=4, calls=mixed_with(authorize))
    load.start()
    try:
        await load.run_phase("before", 30)
        await load.switch("failover")  # from the stop until a replica serves the slots
        await asyncio.to_thread(victim.stop)
        await load.run_phase("failover", 10)
        await poll(failed_over, timeout=30, interval=0.2)
        await load.switch("after")
        await load.run_phase("after", 60)
    finally:
        await load.stop()

    # as without Redis: every data answer 200; consent needs its one-time state in Redis,
    # so 503 is the designed answer while the account's slot has no primary
    consent_503 = frozenset({200, 503})
    allowed = {
        ("failover", "management.authorize"): consent_503,
        ("after", "management.authorize"): consent_503,
    }
    table = load.table()
    assert not load.unexpected(allowed), (load.unexpected(allowed)[:10], table)
    assert table["failover"], table

    # the promoted replica serves the account: cached again, consent works again
    await poll(lambda: caches_again(client, accounts[0]), interval=0.2)
    answer = await client.get("/oauth/authorize", headers=authorize.kwargs["headers"])
    assert answer.status == 200, await answer.text()

    # /metrics: every slot covered, the stopped node seen failing
    exposition = (await (await client.get("/metrics")).text()).splitlines()
    assert "gateway_redis_cluster_slots_covered 16384.0" in exposition
    assert f'gateway_redis_cluster_nodes{{state="reachable"}} {nodes - 1}.0' in exposition

    # the stopped node comes back (as a replica of the one promoted): all reachable again
    victim.start()  # from this thread: the server dies with the thread that forks it

    async def all_reachable() -> bool:
        status, body = await readiness(client)
        return status == 200 and body["redis_cluster"]["reachable"] == nodes

    await poll(all_reachable, interval=0.2)
    assert await asyncio.to_thread(valkey_cluster.wait_ok, 30.0)
    stats = assert_within_upstream_budget(clean_services)
    print(f"cluster failover: {dict(table)}; sandbox {stats['total_calls']} calls")
