"""Keys derived from the server key (``GATEWAY_SECRET_KEY``) and from client secrets.

One HKDF expansion per purpose, so that no key is used for two things:
- ``secret_digest``: HMAC of a client_secret, the indexed lookup column (no scan);
- ``token_key``: AES-GCM key of the opaque access tokens;
- ``state_key``: HMAC key of the one-time OAuth ``state``;
- ``point_digest``: the name of a usage point in Redis keys (never in clear);
- ``mail_key``: HMAC key of the links sent by e-mail (address check, password reset);
- ``import_key``: AES-GCM key sealing an account's cache key in Redis while its history
  imports need it (see ``gateway.imports.keys``).

The per-account cache key is derived from the client_secret itself (HKDF salted with
the account id): the server key alone cannot read a cache entry.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from functools import cached_property

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def hkdf(material: bytes, *, salt: bytes, info: bytes, length: int = 32) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(material)


#: How many keyed digests ``keyed_digest`` keeps (a few hundred bytes each): the usage
#: points and cache keys of the accounts being served.
DIGEST_MEMO_SIZE = 4096


@functools.lru_cache(maxsize=DIGEST_MEMO_SIZE)
def keyed_digest(key: bytes, message: str) -> str:
    """HMAC-SHA256 of ``message`` under ``key``, in hex: a pure function of its inputs,
    memoized (bounded LRU) because the hot path names the same usage points and cache
    entries on every request. Only names derived from our own keys are kept, in process
    memory, where the keys themselves already are."""
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def account_cache_key(client_secret: str, account_id: str) -> bytes:
    """The key that encrypts an account's cache entries (32 bytes, for AES-GCM)."""
    return hkdf(client_secret.encode(), salt=account_id.encode(), info=b"enedis-gateway/cache/v1")


class Keyring:
    """Purpose-bound keys derived from the server key."""

    def __init__(self, server_key: str) -> None:
        self._root = server_key.encode()

    def _derive(self, purpose: str) -> bytes:
        return hkdf(self._root, salt=b"enedis-gateway", info=f"enedis-gateway/{purpose}".encode())

    @cached_property
    def digest_key(self) -> bytes:
        return self._derive("secret-digest/v1")

    @cached_property
    def token_key(self) -> bytes:
        return self._derive("access-token/v1")

    @cached_property
    def state_key(self) -> bytes:
        return self._derive("oauth-state/v1")

    @cached_property
    def pending_consent_key(self) -> bytes:
        return self._derive("pending-consent/v1")

    @cached_property
    def point_key(self) -> bytes:
        return self._derive("point-digest/v1")

    @cached_property
    def mail_key(self) -> bytes:
        return self._derive("mail-link/v1")

    @cached_property
    def import_key(self) -> bytes:
        return self._derive("import-key/v1")

    def secret_digest(self, client_secret: str) -> bytes:
        return hmac.new(self.digest_key, client_secret.encode(), hashlib.sha256).digest()

    def point_digest(self, account_id: str, usage_point_id: str) -> str:
        """A usage point's name in Redis keys: keyed, per account, not reversible."""
        return keyed_digest(self.point_key, f"{account_id}:{usage_point_id}")[:32]
