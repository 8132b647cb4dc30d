"""Sealing cache entries: AES-GCM under the account's key, bound to the entry's Redis key."""

from __future__ import annotations

import functools
import json
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE = 12

#: How many accounts' ciphers ``EntryCipher.for_key`` keeps (the accounts being served).
CIPHER_MEMO_SIZE = 1024


class EntryCipher:
    """Seals and opens the entries of one account (its key comes from its client_secret)."""

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    @staticmethod
    def for_key(key: bytes) -> EntryCipher:
        """The cipher of ``key``, made once per key (bounded LRU): an ``AESGCM`` object
        holds no state between calls, so one serves every request of the account. The key
        stays in process memory, where each request brings it anyway (the token carries
        it)."""
        return _cipher_for(key)

    def seal(self, redis_key: str, value: Any) -> bytes:
        nonce = os.urandom(NONCE)
        plain = json.dumps(value, separators=(",", ":")).encode()
        return nonce + self._aead.encrypt(nonce, plain, redis_key.encode())

    def seal_bytes(self, redis_key: str, plain: bytes) -> bytes:
        nonce = os.urandom(NONCE)
        return nonce + self._aead.encrypt(nonce, plain, redis_key.encode())

    def open_bytes(self, redis_key: str, sealed: bytes | None) -> bytes | None:
        if not sealed or len(sealed) <= NONCE:
            return None
        try:
            return self._aead.decrypt(sealed[:NONCE], sealed[NONCE:], redis_key.encode())
        except InvalidTag:
            return None

    def open(self, redis_key: str, sealed: bytes | None) -> Any | None:
        """The entry, or None when absent, corrupt or sealed with another key."""
        if not sealed or len(sealed) <= NONCE:
            return None
        try:
            plain = self._aead.decrypt(sealed[:NONCE], sealed[NONCE:], redis_key.encode())
            return json.loads(plain)
        except (InvalidTag, ValueError):
            return None


@functools.lru_cache(maxsize=CIPHER_MEMO_SIZE)
def _cipher_for(key: bytes) -> EntryCipher:
    return EntryCipher(key)
