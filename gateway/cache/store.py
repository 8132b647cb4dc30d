"""The encrypted per-user cache store (purges only until the full store lands)."""

from __future__ import annotations

from gateway import redis_keys
from gateway.keyring import Keyring
from gateway.shared_store import REDIS_ERRORS, SharedStore


class CacheStore:
    def __init__(self, store: SharedStore, keyring: Keyring) -> None:
        self.store = store
        self.keyring = keyring

    def point_index(self, account_id: str, usage_point_id: str) -> str:
        tag = redis_keys.account_tag(account_id)
        return f"{tag}:ci:{self.keyring.point_digest(account_id, usage_point_id)}"

    async def purge_usage_point(self, account_id: str, usage_point_id: str) -> int:
        """Delete every cache entry of one usage point of the account; returns how many."""
        index = self.point_index(account_id, usage_point_id)
        client = self.store.client
        try:
            keys = await client.smembers(index)
            if keys:
                await client.unlink(*keys)
            await client.unlink(index)
            await client.srem(redis_keys.account_tag(account_id) + ":cpoints", index)
        except REDIS_ERRORS as exc:
            self.store.mark_down(exc)
            raise
        return len(keys)

    async def purge_account(self, account_id: str) -> int:
        """Delete every cache entry of the account."""
        client = self.store.client
        points_key = redis_keys.account_tag(account_id) + ":cpoints"
        try:
            indexes = await client.smembers(points_key)
            count = 0
            for index in indexes:
                keys = await client.smembers(index)
                if keys:
                    await client.unlink(*keys)
                count += len(keys)
            await client.unlink(points_key, *indexes) if indexes else await client.unlink(points_key)
        except REDIS_ERRORS as exc:
            self.store.mark_down(exc)
            raise
        return count
