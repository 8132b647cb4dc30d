"""The Redis/Valkey connection shared by every replica, and whether it is reachable.

Redis only holds what can be lost (cache, counters, limiter state, the Enedis token):
when it fails, callers skip it for a short while instead of waiting on every request,
and it is tried again by itself.

With ``REDIS_CLUSTER`` the client is redis-py's cluster client, discovered from
``REDIS_URL`` (or the ``REDIS_CLUSTER_NODES`` list). Callers use the same commands either
way; what keeps them valid on a cluster is the slot discipline of ``redis_keys``: every
multi-key command and script names keys of one hash tag. Pipelines are never transactions
(``pipeline(transaction=False)``): redis-py's asyncio cluster client runs each command
queued in a MULTI in a thread with an event loop of its own (slow, and broken when the
topology is refreshed meanwhile); what must be atomic is a script. On a failover (a
replica promoted) the cluster client re-reads the topology and retries a few times; past
that the call fails like a lost single node and the caller falls back.

On a single node reached over plain TCP the store also has a ``RedisMultiplexer``: the
scripts of the request path (``run_script``) and the cache writes (``execute_many``) go
through its one pipelined connection, which costs a fraction of redis-py's per-command
work; everything else uses redis-py.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

import redis.asyncio as aioredis
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff
from redis.commands.core import AsyncScript
from redis.exceptions import RedisClusterException, RedisError

from gateway import redis_keys
from gateway.config import Settings
from gateway.redis_multiplexer import Arg, RedisMultiplexer

log = logging.getLogger(__name__)

REDIS_ERRORS: tuple[type[BaseException], ...] = (
    RedisError,
    RedisClusterException,  # no node reachable, slot not covered (not a RedisError)
    OSError,
    TimeoutError,
)

RedisClient = aioredis.Redis | RedisCluster

CLUSTER_SLOTS = 16384
_CLUSTER_RETRIES = 3  # a failover: topology re-read, then the call tried again


def cluster_nodes(nodes: Iterable[str]) -> list[ClusterNode]:
    """Startup nodes from ``host:port`` items (``[::1]:6379`` for IPv6); the URL's node is
    added to them by the client, with the URL's credentials and TLS for every node."""
    found = []
    for item in nodes:
        host, _, port = item.rpartition(":")
        found.append(ClusterNode(host.strip("[]"), int(port)))
    return found


def redis_client(
    url: str, *, cluster: bool = False, nodes: Iterable[str] = (), timeout: float = 1.0
) -> RedisClient:
    """The client for ``url``: one node, or (``cluster``) the cluster it belongs to."""
    options: dict[str, Any] = {
        "socket_timeout": timeout,
        "socket_connect_timeout": min(timeout, 0.5),
        "health_check_interval": 0,
    }
    if not cluster:
        return aioredis.Redis.from_url(url, retry_on_timeout=False, max_connections=256, **options)
    startup = cluster_nodes(nodes)
    if startup:
        options["startup_nodes"] = startup
    return RedisCluster.from_url(
        url,
        # keep serving the slots still covered while a primary is down
        require_full_coverage=False,
        retry=Retry(ExponentialWithJitterBackoff(base=0.05, cap=0.5), _CLUSTER_RETRIES),
        max_connections=256,
        **options,
    )


@dataclass(frozen=True, slots=True)
class ClusterState:
    """What readiness and ``/metrics`` say about a cluster, as the cluster itself sees it."""

    nodes: int  # nodes the cluster knows of (primaries and replicas)
    reachable: int  # of which none is flagged failing (``fail`` or ``fail?``)
    slots_covered: int  # slots served by a live primary (``cluster_slots_ok``)
    state: str  # ``ok`` or ``fail`` (CLUSTER INFO), or ``unreachable``

    @property
    def ok(self) -> bool:
        return self.state == "ok" and self.slots_covered == CLUSTER_SLOTS


UNREACHABLE = ClusterState(0, 0, 0, "unreachable")


class SharedStore:
    """A Redis client plus a small breaker: after a failure, skip Redis for ``backoff`` s."""

    def __init__(
        self,
        url: str,
        *,
        backoff: float = 1.0,
        timeout: float = 1.0,
        cluster: bool = False,
        nodes: Iterable[str] = (),
    ) -> None:
        self.client: RedisClient = redis_client(url, cluster=cluster, nodes=nodes, timeout=timeout)
        self.multiplexer = None if cluster else RedisMultiplexer.for_url(url, timeout=timeout)
        self.cluster = cluster
        self.backoff = backoff
        self._down_until = 0.0
        self.failures = 0

    @classmethod
    def from_settings(cls, settings: Settings) -> SharedStore:
        """The store ``REDIS_URL``, ``REDIS_CLUSTER`` and ``REDIS_CLUSTER_NODES`` name."""
        return cls(
            settings.redis_url, cluster=settings.redis_cluster, nodes=settings.redis_cluster_nodes
        )

    @property
    def available(self) -> bool:
        return time.monotonic() >= self._down_until

    def mark_down(self, exc: BaseException) -> None:
        if self.available:
            log.warning(
                "redis unreachable, running without it for %.1fs: %s",
                self.backoff,
                type(exc).__name__,
            )
        self.failures += 1
        self._down_until = time.monotonic() + self.backoff

    def mark_up(self) -> None:
        self._down_until = 0.0

    async def ping(self) -> bool:
        """Reachable (a cluster: every slot served by a primary that answers)."""
        if isinstance(self.client, RedisCluster):
            state = await self.cluster_state()
            if state.ok:
                self.mark_up()
            return state.ok
        try:
            await self.client.ping()
        except REDIS_ERRORS as exc:
            self.mark_down(exc)
            return False
        self.mark_up()
        return True

    async def cluster_state(self) -> ClusterState:
        """Nodes reachable and slots covered, from the first node that answers."""
        client = self.client
        if not isinstance(client, RedisCluster):
            raise TypeError("not a cluster client")
        try:
            await client.initialize()  # a no-op unless a failure asked for a refresh
            known = client.get_nodes()
        except REDIS_ERRORS as exc:
            self.mark_down(exc)
            return UNREACHABLE
        for node in known:
            try:
                info = await client.execute_command("CLUSTER INFO", target_nodes=node)
                nodes = await client.execute_command("CLUSTER NODES", target_nodes=node)
            except REDIS_ERRORS:
                continue
            failing = sum(1 for line in nodes.values() if "fail" in line["flags"])
            return ClusterState(
                len(nodes),
                len(nodes) - failing,
                int(info.get("cluster_slots_ok", 0)),
                str(info.get("cluster_state", "fail")),
            )
        return UNREACHABLE

    def script(self, text: str) -> AsyncScript:
        """A script of the request path (run it with ``run_script``)."""
        return self.client.register_script(text)

    async def run_script(self, script: AsyncScript, keys: list[str], args: list[Arg]) -> Any:
        """``script``'s reply: through the multiplexer when there is one."""
        if self.multiplexer is not None:
            text = script.script
            assert isinstance(text, str | bytes)
            return await self.multiplexer.run_script(script.sha, text, keys, args)
        return await script(keys=keys, args=args)

    async def execute_many(self, commands: list[tuple[Arg, ...]]) -> list[Any]:
        """``commands`` in one round trip (never a transaction): through the multiplexer
        when there is one, else a redis-py pipeline; the first error is raised. The replies
        are for callers that ignore them or read plain values (redis-py turns some, like
        SET's ``OK``, into Python values; the multiplexer does not)."""
        if self.multiplexer is not None:
            return await self.multiplexer.execute_many(commands)
        pipe = self.client.pipeline(transaction=False)
        for command in commands:
            pipe.execute_command(*command)
        return list(await pipe.execute())

    async def close(self) -> None:
        if self.multiplexer is not None:
            await self.multiplexer.close()
        await self.client.aclose()


async def delete_indexed(store: SharedStore, index: str, *names: str) -> int:
    """Delete the keys listed in the set ``index``, the set itself and ``names``.

    Every key of an account is either at a fixed name or listed in one of its index sets:
    deletions never SCAN (a cluster would need one SCAN per node). All of them share the
    account's hash tag, so each UNLINK touches one slot.
    """
    members = cast("set[bytes]", await store.client.smembers(index))
    keys = [*(m.decode() for m in members), index, *names]
    deleted = 0
    for start in range(0, len(keys), 500):
        deleted += int(await store.client.unlink(*keys[start : start + 500]))
    return deleted


def index_account_key(pipe: Any, account_id: str, key: str, ttl: int) -> None:
    """Queue on ``pipe`` the listing of ``key`` (living ``ttl`` s) in the account index.

    The index outlives its longest-lived member: its expiry is set when it has none and
    pushed later when a member lives longer.
    """
    index = redis_keys.account_index(account_id)
    pipe.sadd(index, key)
    pipe.expire(index, ttl, nx=True)
    pipe.expire(index, ttl, gt=True)
