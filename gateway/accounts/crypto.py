"""The secrets of an account and how they are kept.

- password: argon2id (``hash_password`` / ``verify_password``);
- client_secret: high-entropy, stored as ``keyring.secret_digest`` (lookup) and sealed with
  AES-GCM under a key derived from the password (argon2id raw hash, per-account salt), so
  only its owner can show it again;
- access tokens: opaque, AES-GCM under ``keyring.token_key`` (random nonce), carrying what
  the chain needs (account, client_id, token version, expiry, cache key);
- OAuth ``state``: random id + expiry + HMAC(``keyring.state_key``) bound to the account.

Nothing here logs or returns a secret in an error message.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import json
import os
import re
import secrets
import struct
import time
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from gateway.keyring import Keyring, hkdf


@dataclass(frozen=True, slots=True)
class PasswordCost:
    """argon2id parameters (RFC 9106 second recommended option by default)."""

    time_cost: int = 3
    memory_cost: int = 65536  # KiB
    parallelism: int = 4


#: Cost used for new hashes and sealing keys; tests lower it with a fixture.
DEFAULT_COST = PasswordCost()


def b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64d(text: str) -> bytes:
    """Decode canonical unpadded base64url (as ``b64e`` writes it); raises ``ValueError``
    on anything else. Canonical: the unused low bits of the last character are zero, so
    that one byte string has one text (``...Q`` and ``...R`` may decode alike)."""
    if _B64_TEXT.fullmatch(text) is None:
        raise ValueError("not base64url")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise ValueError("not base64url") from None
    if b64e(data) != text:
        raise ValueError("not canonical base64url")
    return data


_B64_TEXT = re.compile(r"[A-Za-z0-9_-]+")  # the base64url alphabet, at least one character


def new_client_id() -> str:
    return "gw_" + secrets.token_urlsafe(18)


def new_client_secret() -> str:
    return secrets.token_urlsafe(32)


# -- passwords -------------------------------------------------------------------------------


def hash_password(password: str, cost: PasswordCost) -> str:
    hasher = PasswordHasher(
        time_cost=cost.time_cost, memory_cost=cost.memory_cost, parallelism=cost.parallelism
    )
    return hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return PasswordHasher().verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


_DUMMY_HASHES: dict[PasswordCost, str] = {}


def burn_password_check(password: str, cost: PasswordCost) -> None:
    """Spend the time of a password check (unknown account: no timing oracle)."""
    dummy = _DUMMY_HASHES.get(cost)
    if dummy is None:
        dummy = _DUMMY_HASHES.setdefault(cost, hash_password(secrets.token_urlsafe(16), cost))
    verify_password(dummy, password)


# -- the sealed client_secret ----------------------------------------------------------------

_SEAL_VERSION = 1
_SEAL_HEADER = struct.Struct(">BBIB")  # version, time_cost, memory_cost, parallelism
_SALT = 16
_NONCE = 12


def _seal_key(password: str, salt: bytes, cost: PasswordCost) -> bytes:
    return hash_secret_raw(
        password.encode(),
        salt,
        time_cost=cost.time_cost,
        memory_cost=cost.memory_cost,
        parallelism=cost.parallelism,
        hash_len=32,
        type=Type.ID,
    )


def seal_secret(client_secret: str, password: str, account_id: str, cost: PasswordCost) -> bytes:
    """``client_secret`` encrypted under a key only the password yields."""
    salt = os.urandom(_SALT)
    nonce = os.urandom(_NONCE)
    header = _SEAL_HEADER.pack(_SEAL_VERSION, cost.time_cost, cost.memory_cost, cost.parallelism)
    key = _seal_key(password, salt, cost)
    sealed = AESGCM(key).encrypt(nonce, client_secret.encode(), header + account_id.encode())
    return header + salt + nonce + sealed


def unseal_secret(blob: bytes, password: str, account_id: str) -> str:
    """The sealed client_secret; ``ValueError`` when the password or the blob is wrong."""
    size = _SEAL_HEADER.size
    if len(blob) < size + _SALT + _NONCE + 16:
        raise ValueError("sealed secret too short")
    version, time_cost, memory_cost, parallelism = _SEAL_HEADER.unpack(blob[:size])
    if version != _SEAL_VERSION:
        raise ValueError("unknown seal version")
    salt = blob[size : size + _SALT]
    nonce = blob[size + _SALT : size + _SALT + _NONCE]
    key = _seal_key(password, salt, PasswordCost(time_cost, memory_cost, parallelism))
    try:
        plain = AESGCM(key).decrypt(
            nonce, blob[size + _SALT + _NONCE :], blob[:size] + account_id.encode()
        )
    except InvalidTag:
        raise ValueError("wrong password") from None
    return plain.decode()


# -- access tokens -----------------------------------------------------------------------------

_TOKEN_VERSION = b"\x01"
_TOKEN_AAD = b"enedis-gateway/access-token/v1"


@dataclass(frozen=True, slots=True)
class TokenClaims:
    account_id: str
    client_id: str
    token_version: int
    expires_at: int  # epoch seconds
    cache_key: bytes
    nonce: bytes = b""  # of the token's encryption (set by ``decode``): names the token

    @property
    def expired(self) -> bool:
        return time.time() >= self.expires_at


#: How many decoded tokens ``TokenCodec`` keeps (a few hundred bytes each).
TOKEN_MEMO_SIZE = 4096


class _Undecodable(Exception):
    """Not a token made here (never memoized: ``lru_cache`` keeps no exception)."""


class TokenCodec:
    """Opaque access tokens: AES-GCM (server key), base64url text.

    ``decode`` memoizes the claims of the tokens it opened (bounded LRU, by the exact
    token text), so that a client sending its token again costs no decryption. Only
    tokens that opened are kept: a text that does not decode is decrypted (and refused)
    every time, and cannot push the live tokens out. A hit is a dictionary lookup on the
    whole text, not a comparison of secrets: the memo only holds values this server
    issued, in its own memory. Expiry and revocation are not part of the memo: the
    caller checks ``claims.expired`` and the revocation mark on every request."""

    def __init__(self, keyring: Keyring) -> None:
        self._aead = AESGCM(keyring.token_key)
        self._opened = functools.lru_cache(maxsize=TOKEN_MEMO_SIZE)(self._open)

    def encode(self, claims: TokenClaims) -> str:
        payload = json.dumps(
            {
                "a": claims.account_id,
                "c": claims.client_id,
                "v": claims.token_version,
                "e": claims.expires_at,
                "k": b64e(claims.cache_key),
            },
            separators=(",", ":"),
        ).encode()
        nonce = os.urandom(_NONCE)
        return b64e(_TOKEN_VERSION + nonce + self._aead.encrypt(nonce, payload, _TOKEN_AAD))

    def decode(self, token: str) -> TokenClaims | None:
        """The claims of a token made here, or None (expiry is not checked here)."""
        if len(token) > 2048:
            return None
        try:
            return self._opened(token)
        except _Undecodable:
            return None

    def _open(self, token: str) -> TokenClaims:
        """The claims of ``token``; raises ``_Undecodable`` when it was not made here."""
        try:
            raw = b64d(token)
        except ValueError:
            raise _Undecodable from None
        if len(raw) < 1 + _NONCE + 16 or raw[:1] != _TOKEN_VERSION:
            raise _Undecodable
        try:
            payload = self._aead.decrypt(raw[1 : 1 + _NONCE], raw[1 + _NONCE :], _TOKEN_AAD)
            data = json.loads(payload)
            return TokenClaims(
                account_id=str(data["a"]),
                client_id=str(data["c"]),
                token_version=int(data["v"]),
                expires_at=int(data["e"]),
                cache_key=b64d(str(data["k"])),
                nonce=raw[1 : 1 + _NONCE],
            )
        except (InvalidTag, ValueError, KeyError, TypeError):
            raise _Undecodable from None


def token_digest(claims: TokenClaims) -> str:
    """The name of a revoked token in Redis (never the token itself): a digest of its
    decoded nonce, not of its text, so no other spelling of the token escapes it."""
    return hashlib.sha256(b"enedis-gateway/revoked-token/v1" + claims.nonce).hexdigest()[:40]


# -- OAuth state ------------------------------------------------------------------------------


def sign_state(keyring: Keyring, state_id: str, account_id: str, expires_at: int) -> str:
    """``<id>.<expiry>.<mac>``: at most 100 characters, as Enedis asks."""
    return f"{state_id}.{expires_at}.{_state_mac(keyring, state_id, account_id, expires_at)}"


def split_state(state: str) -> tuple[str, int, str] | None:
    parts = state.split(".")
    if len(parts) != 3 or not parts[0] or not parts[2] or len(state) > 100:
        return None
    if not parts[1].isdigit() or len(parts[1]) > 12:
        return None
    return parts[0], int(parts[1]), parts[2]


def state_mac_ok(
    keyring: Keyring, state_id: str, account_id: str, expires_at: int, mac: str
) -> bool:
    expected = _state_mac(keyring, state_id, account_id, expires_at)
    return hmac.compare_digest(expected.encode(), mac.encode())


def _state_mac(keyring: Keyring, state_id: str, account_id: str, expires_at: int) -> str:
    message = f"{state_id}|{account_id}|{expires_at}".encode()
    return b64e(hmac.new(keyring.state_key, message, hashlib.sha256).digest()[:18])


# -- client addresses (throttle keys) -----------------------------------------------------------


class AddressHasher:
    """Client addresses are counted under a keyed digest, not in clear."""

    def __init__(self, server_key: str) -> None:
        self._key = hkdf(
            server_key.encode(), salt=b"enedis-gateway", info=b"enedis-gateway/client-address/v1"
        )

    def digest(self, address: str) -> str:
        return hmac.new(self._key, address.encode(), hashlib.sha256).hexdigest()[:32]
