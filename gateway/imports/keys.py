"""The account's cache key while its history imports need it, sealed in Redis.

An import writes into the account's encrypted cache, so it needs the account's cache key,
which the gateway only holds while the account authenticates (it is derived from the
client_secret). The key is kept in Redis sealed under a key derived from the server key
(``Keyring.import_key``, AES-GCM bound to the Redis key name), only for as long as an import
of the account needs it:

- ``hold``: an authenticated ``/oauth/authorize`` puts it for the consent's lifetime (the
  consent's callback is public: it cannot bring the key);
- ``keep``: the import's scheduling and each step extend it (``IMPORT_KEY_TTL_SECONDS``);
- ``want`` / ``arm``: an import that finds no key (Redis lost, the consent finished after
  the key expired) leaves a marker; the account's next authenticated request puts the key
  back and the import resumes;
- ``drop``: gone when the account's last import ends, or the account or point is deleted.

Both names are listed in the account's index, so deleting the account deletes them too.
"""

from __future__ import annotations

import logging

from gateway import redis_keys
from gateway.cache.crypto import EntryCipher
from gateway.keyring import Keyring
from gateway.shared_store import REDIS_ERRORS, SharedStore

log = logging.getLogger(__name__)

# KEYS[1] want marker, KEYS[2] sealed key; ARGV: sealed value, ttl. Puts the key only when
# an import is waiting for it.
_ARM = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('SET', KEYS[2], ARGV[1], 'EX', tonumber(ARGV[2]))
redis.call('DEL', KEYS[1])
return 1
"""


def key_name(account_id: str) -> str:
    return f"{redis_keys.account_tag(account_id)}:ik"


def want_name(account_id: str) -> str:
    return f"{redis_keys.account_tag(account_id)}:iw"


class ImportKeys:
    def __init__(self, store: SharedStore, keyring: Keyring) -> None:
        self.store = store
        self._cipher = EntryCipher(keyring.import_key)
        self._arm = store.client.register_script(_ARM)

    def _seal(self, account_id: str, cache_key: bytes) -> bytes:
        return self._cipher.seal_bytes(key_name(account_id), cache_key)

    async def hold(self, account_id: str, cache_key: bytes, ttl: int) -> None:
        """Keep the key ``ttl`` seconds (or longer, if it is kept longer already)."""
        name = key_name(account_id)
        try:
            remaining = await self.store.client.ttl(name)
            pipe = self.store.client.pipeline(transaction=False)
            pipe.set(name, self._seal(account_id, cache_key), ex=max(ttl, int(remaining)))
            pipe.sadd(redis_keys.account_index(account_id), name, want_name(account_id))
            await pipe.execute()
        except REDIS_ERRORS as exc:
            self.store.mark_down(exc)

    async def get(self, account_id: str) -> bytes | None:
        name = key_name(account_id)
        try:
            sealed = await self.store.client.get(name)
        except REDIS_ERRORS as exc:
            self.store.mark_down(exc)
            return None
        return self._cipher.open_bytes(name, sealed) if isinstance(sealed, bytes) else None

    async def keep(self, account_id: str, ttl: int) -> bool:
        """Extend the key's life; False when there is none."""
        try:
            return bool(await self.store.client.expire(key_name(account_id), ttl))
        except REDIS_ERRORS as exc:
            self.store.mark_down(exc)
            return False

    async def want(self, account_id: str, ttl: int) -> None:
        """Mark that an import of the account waits for its key."""
        try:
            pipe = self.store.client.pipeline(transaction=False)
            pipe.set(want_name(account_id), b"1", ex=ttl)
            pipe.sadd(
                redis_keys.account_index(account_id), key_name(account_id), want_name(account_id)
            )
            await pipe.execute()
        except REDIS_ERRORS as exc:
            self.store.mark_down(exc)

    async def arm(self, account_id: str, cache_key: bytes, ttl: int) -> bool:
        """Put the key back if an import waits for it; True when it did."""
        try:
            armed = await self._arm(
                keys=[want_name(account_id), key_name(account_id)],
                args=[self._seal(account_id, cache_key), ttl],
            )
        except REDIS_ERRORS as exc:
            self.store.mark_down(exc)
            return False
        return bool(armed)

    async def drop(self, account_id: str) -> None:
        try:
            await self.store.client.unlink(key_name(account_id), want_name(account_id))
        except REDIS_ERRORS as exc:
            self.store.mark_down(exc)
