"""What an account may do, as the hot path reads it: one Redis hash per account.

``{a:<id>}:snap`` holds the current token version (``v``) and, for each granted usage
point, ``p:<point digest>`` = ``start:expiry:status`` (epoch seconds; usage point ids never
appear in clear); admin rights are not cached (they follow the current settings). It is
derived from PostgreSQL and rebuilt from it when missing. ``{a:<id>}:gen`` is bumped after
every change committed to PostgreSQL: a rebuild that read the database before the change
does not write its stale copy (compare-and-write in one script).

Other keys of an account here: ``{a:<id>}:rt:<digest>`` (a revoked access token, until its
expiry; the digest is of the token's nonce), ``{a:<id>}:authfail`` and ``{a:<id>}:pwfail``
(failed secret and failed password attempts, counted apart), ``{a:<id>}:states`` (its
outstanding OAuth states). Application-wide: ``oauth:state:<id>``, ``authfail:addr:<digest>``
and ``pwfail:addr:<digest>``, ``signup:addr:<digest>`` and ``signup:all``. Keys whose names
vary (revoked tokens, quota counters) are listed in the account index
(``redis_keys.account_index``), so that deleting them needs no SCAN. Pipelines are not
transactions (see ``shared_store``): what must be atomic is a script; a pipeline that mixes
an account's keys with application-wide ones is sent, on a cluster, to each key's node.
"""

from __future__ import annotations

import contextlib
import enum
import time
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from gateway import redis_keys
from gateway.cache.hit_probe import HOT_HIT, HitProbe
from gateway.shared_store import REDIS_ERRORS, SharedStore, delete_indexed, index_account_key

SNAPSHOT_TTL_SECONDS = 3 * 86400
GEN_TTL_SECONDS = 86400

T = TypeVar("T")


class RedisUnavailable(Exception):
    """Redis is down (or was a moment ago): the caller falls back or answers 503."""


@dataclass(frozen=True, slots=True)
class PointGrant:
    start: int
    expires: int
    status: str

    def encode(self) -> str:
        return f"{self.start}:{self.expires}:{self.status}"

    @classmethod
    def decode(cls, raw: str) -> PointGrant | None:
        parts = raw.split(":")
        if len(parts) != 3:
            return None
        try:
            return cls(int(parts[0]), int(parts[1]), parts[2])
        except ValueError:
            return None

    def effective_status(self, now: float | None = None) -> str:
        if self.status == "active" and (now or time.time()) >= self.expires:
            return "expired"
        return self.status

    def start_at(self) -> datetime:
        return datetime.fromtimestamp(self.start, UTC)

    def expires_at(self) -> datetime:
        return datetime.fromtimestamp(self.expires, UTC)


@dataclass(frozen=True, slots=True)
class Snapshot:
    account_id: str
    version: int
    points: Mapping[str, PointGrant] = field(default_factory=dict)  # by point digest
    # admin rights are not here: they follow the current settings (``Accounts.is_admin``)

    def to_fields(self) -> dict[str, str]:
        fields = {"v": str(self.version)}
        for digest, grant in self.points.items():
            fields["p:" + digest] = grant.encode()
        return fields

    @classmethod
    def from_fields(cls, account_id: str, raw: Mapping[bytes, bytes]) -> Snapshot | None:
        fields = {key.decode(): value.decode() for key, value in raw.items()}
        version = fields.get("v")
        if version is None or not version.isdigit():
            return None
        points: dict[str, PointGrant] = {}
        for key, value in fields.items():
            if key.startswith("p:"):
                grant = PointGrant.decode(value)
                if grant is not None:
                    points[key[2:]] = grant
        return cls(account_id, int(version), points)


def snap_key(account_id: str) -> str:
    return f"{redis_keys.account_tag(account_id)}:snap"


def gen_key(account_id: str) -> str:
    return f"{redis_keys.account_tag(account_id)}:gen"


def revoked_key(account_id: str, digest: str) -> str:
    return f"{redis_keys.account_tag(account_id)}:rt:{digest}"


class Failure(enum.Enum):
    """What a failed attempt was: a client secret (or admin key), or a password. Each is
    counted apart: guessed passwords never throttle the (high-entropy) secret, nor the
    other way round."""

    SECRET = "authfail"
    PASSWORD = "pwfail"


_ADDRESS_PREFIXES = {
    Failure.SECRET: redis_keys.AUTH_FAIL_ADDRESS_PREFIX,
    Failure.PASSWORD: redis_keys.PASSWORD_FAIL_ADDRESS_PREFIX,
}


def account_failures_key(account_id: str, kind: Failure = Failure.SECRET) -> str:
    return f"{redis_keys.account_tag(account_id)}:{kind.value}"


def states_key(account_id: str) -> str:
    return f"{redis_keys.account_tag(account_id)}:states"


def address_failures_key(address_digest: str, kind: Failure = Failure.SECRET) -> str:
    return _ADDRESS_PREFIXES[kind] + address_digest


def state_key(state_id: str) -> str:
    return redis_keys.OAUTH_STATE_PREFIX + state_id


SIGNUP_ADDRESS_WINDOW_SECONDS = 3600  # SIGNUP_ADDRESS_LIMIT is per hour
SIGNUP_GLOBAL_WINDOW_SECONDS = 60  # SIGNUP_GLOBAL_LIMIT is per minute


def signup_address_key(address_digest: str) -> str:
    return redis_keys.SIGNUP_ADDRESS_PREFIX + address_digest


def quota_prefix(account_id: str) -> str:
    return f"{redis_keys.account_tag(account_id)}:q:"


def quota_key(account_id: str, day: str, kind: str) -> str:
    return f"{quota_prefix(account_id)}{day}:{kind}"


_WRITE_IF_GEN = """
local current = redis.call('GET', KEYS[1]) or ''
if current ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[2], unpack(ARGV, 3))
redis.call('EXPIRE', KEYS[2], ARGV[2])
return 1
"""


_INVALIDATE = """
redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[2])
return 1
"""


@dataclass(frozen=True, slots=True)
class HotRead:
    """What one round trip brings back for an authentication."""

    snapshot: Snapshot | None
    generation: str
    revoked: bool = False


class AccountRedis:
    """The account-related Redis operations; every failure becomes ``RedisUnavailable``."""

    def __init__(self, store: SharedStore) -> None:
        self.store = store
        self._write_if_gen = store.client.register_script(_WRITE_IF_GEN)
        self._invalidate = store.client.register_script(_INVALIDATE)
        self._hot_hit = store.client.register_script(HOT_HIT)

    async def _guard(self, operation: Awaitable[T]) -> T:
        if not self.store.available:
            close = getattr(operation, "close", None)
            if callable(close):
                close()
            raise RedisUnavailable
        try:
            result = await operation
        except REDIS_ERRORS as exc:
            self.store.mark_down(exc)
            raise RedisUnavailable from None
        return result

    # -- the hot path -------------------------------------------------------------------------

    async def hot_read(
        self,
        account_id: str,
        *,
        revoked_digest: str | None = None,
        probe: HitProbe | None = None,
    ) -> HotRead:
        """Snapshot + generation (+ revocation): one round trip. Failure counters are not
        read here: a right secret or a valid token is never refused because of them.
        With a ``probe``, the same round trip reads the data request's memo and charges
        it (one script, ``HOT_HIT``); the probe is filled."""
        if probe is not None:
            await probe.settle(account_id)
            check = "1" if revoked_digest is not None else "0"
            keys = [
                snap_key(account_id),
                gen_key(account_id),
                revoked_key(account_id, revoked_digest or "-"),
                *probe.keys(account_id),
            ]
            reply = await self._guard(
                self.store.run_script(self._hot_hit, keys, [check, *probe.args()])
            )
            fields, raw_gen, revoked_flag, memo, charged, used, days, prepaid, upstream = reply
            probe.fill(memo, charged, used, days, prepaid, upstream)
            pairs = dict(zip(fields[::2], fields[1::2], strict=True))
            return HotRead(
                Snapshot.from_fields(account_id, pairs) if pairs else None,
                raw_gen.decode() if isinstance(raw_gen, bytes) else "",
                bool(revoked_flag),
            )
        pipe = self.store.client.pipeline(transaction=False)
        pipe.hgetall(snap_key(account_id))
        pipe.get(gen_key(account_id))
        if revoked_digest is not None:
            pipe.exists(revoked_key(account_id, revoked_digest))
        results: list[Any] = await self._guard(pipe.execute())
        snapshot = Snapshot.from_fields(account_id, results[0]) if results[0] else None
        generation = results[1].decode() if results[1] is not None else ""
        revoked = bool(results[2]) if revoked_digest is not None else False
        return HotRead(snapshot, generation, revoked)

    async def generation(self, account_id: str) -> str:
        raw = await self._guard(self.store.client.get(gen_key(account_id)))
        if raw is None:
            return ""
        return raw.decode() if isinstance(raw, bytes) else str(raw)

    async def write_snapshot(self, snapshot: Snapshot, generation: str) -> bool:
        """Write ``snapshot`` unless the account changed since ``generation`` was read."""
        args: list[str | int] = [generation, SNAPSHOT_TTL_SECONDS]
        for key, value in snapshot.to_fields().items():
            args.extend((key, value))
        keys = [gen_key(snapshot.account_id), snap_key(snapshot.account_id)]
        written = await self._guard(self._write_if_gen(keys=keys, args=args))
        return bool(written)

    async def invalidate(self, account_id: str) -> None:
        """The account changed in PostgreSQL: drop its snapshot, fence in-flight rebuilds
        (one script: atomic, and one slot on a cluster)."""
        keys = [gen_key(account_id), snap_key(account_id)]
        await self._guard(self._invalidate(keys=keys, args=[GEN_TTL_SECONDS]))

    async def revoke_token(self, account_id: str, digest: str, ttl: int) -> None:
        key, ttl = revoked_key(account_id, digest), max(1, ttl)
        pipe = self.store.client.pipeline(transaction=False)
        pipe.set(key, b"1", ex=ttl)
        index_account_key(pipe, account_id, key, ttl)
        await self._guard(pipe.execute())

    # -- throttling -----------------------------------------------------------------------------

    async def failures(
        self, kind: Failure, address_digest: str, account_id: str | None
    ) -> tuple[int, int]:
        pipe = self.store.client.pipeline(transaction=False)
        pipe.get(address_failures_key(address_digest, kind))
        if account_id is not None:
            pipe.get(account_failures_key(account_id, kind))
        results: list[Any] = await self._guard(pipe.execute())
        account = int(results[1] or 0) if account_id is not None else 0
        return int(results[0] or 0), account

    async def record_failure(
        self, kind: Failure, address_digest: str, account_id: str | None, window: int
    ) -> tuple[int, int]:
        pipe = self.store.client.pipeline(transaction=False)
        by_address = address_failures_key(address_digest, kind)
        pipe.incr(by_address)
        pipe.expire(by_address, window, nx=True)
        if account_id is not None:
            by_account = account_failures_key(account_id, kind)
            pipe.incr(by_account)
            pipe.expire(by_account, window, nx=True)
        results: list[Any] = await self._guard(pipe.execute())
        account = int(results[2]) if account_id is not None else 0
        return int(results[0]), account

    async def retry_after(self, kind: Failure, address_digest: str, account_id: str | None) -> int:
        pipe = self.store.client.pipeline(transaction=False)
        pipe.ttl(address_failures_key(address_digest, kind))
        if account_id is not None:
            pipe.ttl(account_failures_key(account_id, kind))
        results: list[Any] = await self._guard(pipe.execute())
        return max([1, *(int(value) for value in results)])

    async def count_in_window(self, key: str, window: int) -> tuple[int, int]:
        """Count one event under ``key`` in a fixed window of ``window`` seconds: the count
        so far, and the seconds left of the window."""
        pipe = self.store.client.pipeline(transaction=False)
        pipe.incr(key)
        pipe.expire(key, window, nx=True)
        pipe.ttl(key)
        results: list[Any] = await self._guard(pipe.execute())
        return int(results[0]), max(1, int(results[2]))

    # -- OAuth states ---------------------------------------------------------------------------

    async def put_state(self, state_id: str, account_id: str, ttl: int) -> bool:
        pipe = self.store.client.pipeline(transaction=False)
        pipe.set(state_key(state_id), account_id.encode(), ex=ttl, nx=True)
        pipe.sadd(states_key(account_id), state_id)
        pipe.expire(states_key(account_id), ttl)
        results: list[Any] = await self._guard(pipe.execute())
        return bool(results[0])

    async def take_state(self, state_id: str) -> str | None:
        """The account of a state, which is consumed (one use)."""
        raw = await self._guard(
            cast("Awaitable[bytes | None]", self.store.client.getdel(state_key(state_id)))
        )
        if raw is None:
            return None
        account_id = raw.decode() if isinstance(raw, bytes) else str(raw)
        with contextlib.suppress(RedisUnavailable):
            await self._guard(self.store.client.srem(states_key(account_id), state_id))
        return account_id

    async def drop_states(self, account_id: str) -> None:
        client = self.store.client
        members = await self._guard(
            cast("Awaitable[set[bytes]]", client.smembers(states_key(account_id)))
        )
        if members:  # application-wide keys, each in its own slot: one UNLINK each
            pipe = client.pipeline(transaction=False)
            for member in members:
                # not pipe.unlink: on a cluster pipeline that is a coroutine, never queued
                pipe.execute_command("UNLINK", state_key(member.decode()))
            await self._guard(pipe.execute())

    # -- quotas (counters written by the quota stage) ------------------------------------------

    async def usage_today(self, account_ids: list[str]) -> dict[str, tuple[int, int]]:
        if not account_ids:
            return {}
        day = datetime.now(UTC).strftime("%Y%m%d")
        pipe = self.store.client.pipeline(transaction=False)
        for account_id in account_ids:
            pipe.get(quota_key(account_id, day, "upstream"))
            pipe.get(quota_key(account_id, day, "cached"))
        results: list[Any] = await self._guard(pipe.execute(raise_on_error=False))
        usage: dict[str, tuple[int, int]] = {}
        for index, account_id in enumerate(account_ids):
            usage[account_id] = (_int(results[2 * index]), _int(results[2 * index + 1]))
        return usage

    async def delete_account_keys(self, account_id: str) -> int:
        """Every key of the account outside the cache: the fixed names and the indexed."""
        return await self._guard(
            delete_indexed(
                self.store,
                redis_keys.account_index(account_id),
                snap_key(account_id),
                gen_key(account_id),
                account_failures_key(account_id),
                account_failures_key(account_id, Failure.PASSWORD),
                redis_keys.web_epoch_key(account_id),
                states_key(account_id),
            )
        )

    async def delete_quotas(self, account_id: str) -> int:
        """Every quota counter of the account: today's, and those of other days that the
        account index lists."""
        client = self.store.client
        index = redis_keys.account_index(account_id)
        day = datetime.now(UTC).strftime("%Y%m%d")
        today = {quota_key(account_id, day, kind).encode() for kind in ("upstream", "cached")}

        async def run() -> int:
            members = cast("set[bytes]", await client.smembers(index))
            prefix = quota_prefix(account_id).encode()
            counters = sorted(today | {member for member in members if member.startswith(prefix)})
            pipe = client.pipeline(transaction=False)
            pipe.execute_command("UNLINK", *counters)  # see drop_states
            pipe.srem(index, *counters)
            results: list[Any] = await pipe.execute()
            return int(results[0])

        return await self._guard(run())


def _int(raw: Any) -> int:
    try:
        return int(raw or 0)
    except (TypeError, ValueError):
        return 0
