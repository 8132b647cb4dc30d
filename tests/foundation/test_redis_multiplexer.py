"""The pipelined Redis connection of the request path, against the embedded Valkey."""

from __future__ import annotations

import asyncio
import secrets

import pytest
import redis.asyncio as aioredis
from redis.exceptions import AuthenticationError, ConnectionError, ResponseError, TimeoutError

from gateway.redis_multiplexer import RedisMultiplexer
from gateway.shared_store import SharedStore
from tests.conftest import Services

ECHO_KEYS = "return {KEYS[1], ARGV[1], tonumber(ARGV[2]) + 1}"


@pytest.fixture
async def multiplexer(clean_services: Services) -> RedisMultiplexer:
    found = RedisMultiplexer.for_url(clean_services.redis_url, timeout=1.0)
    assert found is not None
    yield found
    await found.close()


async def test_concurrent_commands_get_their_own_replies(multiplexer: RedisMultiplexer) -> None:
    async def one(n: int) -> tuple[int, object]:
        await multiplexer.execute("SET", f"mux:{n}", f"value-{n}")
        return n, await multiplexer.execute("GET", f"mux:{n}")

    replies = await asyncio.gather(*(one(n) for n in range(300)))
    assert all(reply == f"value-{n}".encode() for n, reply in replies)
    assert await multiplexer.execute("MGET", "mux:1", "mux:nothing") == [b"value-1", None]
    assert await multiplexer.execute("INCRBY", "mux:count", 5) == 5


async def test_a_script_unknown_to_the_server_is_sent_whole(
    multiplexer: RedisMultiplexer, clean_services: Services
) -> None:
    store = SharedStore(clean_services.redis_url)
    try:
        script = store.script(ECHO_KEYS)
        await store.client.script_flush()
        assert not (await store.client.script_exists(script.sha))[0]
        assert await store.run_script(script, ["k"], ["v", 41]) == [b"k", b"v", 42]
        assert (await store.client.script_exists(script.sha))[0]  # EVAL cached it
        assert await store.run_script(script, ["k"], ["w", 1]) == [b"k", b"w", 2]
    finally:
        await store.close()


async def test_an_error_reply_is_raised_and_the_connection_goes_on(
    multiplexer: RedisMultiplexer,
) -> None:
    await multiplexer.execute("SET", "mux:text", "not a number")
    with pytest.raises(ResponseError):
        await multiplexer.execute("INCR", "mux:text")
    assert await multiplexer.execute("GET", "mux:text") == b"not a number"


async def test_a_lost_connection_fails_its_commands_and_the_next_one_reconnects(
    multiplexer: RedisMultiplexer, clean_services: Services
) -> None:
    assert await multiplexer.execute("CLIENT", "SETNAME", "mux-test") == b"OK"
    admin = clean_services.aioredis()
    try:
        # a command that blocks, then the server drops the connection under it
        blocked = asyncio.ensure_future(multiplexer.execute("BLPOP", "mux:never", 0))
        killed = 0
        for _ in range(200):
            clients = await admin.client_list()
            names = [client for client in clients if client.get("name") == "mux-test"]
            if names:
                killed = await admin.client_kill_filter(_id=names[0]["id"])
                break
            await asyncio.sleep(0.01)
        assert killed == 1
        with pytest.raises(ConnectionError):
            await asyncio.wait_for(blocked, 5)
        assert await multiplexer.execute("PING") == b"PONG"  # a new connection
    finally:
        await admin.aclose()


async def test_a_late_reply_is_a_timeout_and_drops_the_connection(
    clean_services: Services,
) -> None:
    fast = RedisMultiplexer.for_url(clean_services.redis_url, timeout=0.2)
    assert fast is not None
    try:
        with pytest.raises(TimeoutError):
            await fast.execute("BLPOP", "mux:never", 0)  # no reply within 0.2 s
        assert await fast.execute("PING") == b"PONG"  # the next command reconnects
    finally:
        await fast.close()


async def test_user_password_and_database_of_the_url(clean_services: Services) -> None:
    user, password = "mux-user", secrets.token_urlsafe(16)
    admin = clean_services.aioredis()
    host_port = clean_services.redis_url.split("//", 1)[1].split("/", 1)[0]
    try:
        await admin.acl_setuser(
            user, enabled=True, passwords=[f"+{password}"], keys=["*"], commands=["+@all"]
        )
        good = RedisMultiplexer.for_url(f"redis://{user}:{password}@{host_port}/3")
        bad = RedisMultiplexer.for_url(f"redis://{user}:wrong@{host_port}/3")
        assert good is not None and bad is not None
        try:
            await good.execute("SET", "mux:db3", "here")
            other_db = aioredis.Redis.from_url(f"redis://{host_port}/3")
            try:
                assert await other_db.get("mux:db3") == b"here"
                await other_db.delete("mux:db3")
            finally:
                await other_db.aclose()
            with pytest.raises(AuthenticationError):
                await bad.execute("PING")
        finally:
            await good.close()
            await bad.close()
    finally:
        await admin.acl_deluser(user)
        await admin.aclose()


async def test_no_multiplexer_for_tls_or_unix_sockets() -> None:
    assert RedisMultiplexer.for_url("rediss://localhost:6380/0") is None
    assert RedisMultiplexer.for_url("unix:///tmp/redis.sock") is None
    assert RedisMultiplexer.for_url("redis://localhost:6379/0") is not None


async def test_connection_refused_is_a_connection_error() -> None:
    from gateway.embedded import free_port

    nowhere = RedisMultiplexer(host="127.0.0.1", port=free_port())
    with pytest.raises(ConnectionError):
        await nowhere.execute("PING")
    await nowhere.close()


@pytest.mark.parametrize("multiplexed", [True, False])
async def test_many_commands_in_one_round_trip(clean_services: Services, multiplexed: bool) -> None:
    """The store's batch: replies in order, through the multiplexer or a redis-py pipeline;
    an error is raised once every command ran (the others are applied)."""
    store = SharedStore(clean_services.redis_url)
    if not multiplexed:
        store.multiplexer = None  # what a cluster or a TLS URL gets
    try:
        replies = await store.execute_many(
            [("SET", "batch:a", "1", "EX", 60), ("INCRBY", "batch:a", 2), ("GET", "batch:a")]
        )
        assert replies == [True if not multiplexed else b"OK", 3, b"3"]
        with pytest.raises(ResponseError):
            await store.execute_many(
                [("SET", "batch:b", "text"), ("INCR", "batch:b"), ("SET", "batch:c", "after")]
            )
        assert await store.client.get("batch:c") == b"after"
    finally:
        await store.close()
