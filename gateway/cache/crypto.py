"""Sealing cache entries: AES-GCM under the account's key, bound to the entry's Redis key."""

from __future__ import annotations

import json
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE = 12


class EntryCipher:
    """Seals and opens the entries of one account (its key comes from its client_secret)."""

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

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
