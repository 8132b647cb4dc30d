"""The bounded memos of the warm hit: decoded tokens, keyed digests, entry ciphers."""

from __future__ import annotations

import hashlib
import hmac
import os
import time

import pytest

from gateway.accounts import crypto
from gateway.accounts.crypto import TokenClaims, TokenCodec
from gateway.cache.crypto import CIPHER_MEMO_SIZE, EntryCipher, _cipher_for
from gateway.keyring import DIGEST_MEMO_SIZE, Keyring, keyed_digest

ACCOUNT = "6f1c2d3e-aaaa-4bbb-8ccc-123456789012"


def claims(expires_at: int) -> TokenClaims:
    return TokenClaims(ACCOUNT, "gw_client", 1, expires_at, os.urandom(32))


def test_token_memo_returns_the_claims_and_refuses_tampered_tokens() -> None:
    codec = TokenCodec(Keyring("memo-test-server-key-0123456789abcdefgh"))
    made = claims(int(time.time()) + 60)
    token = codec.encode(made)
    first = codec.decode(token)
    assert first is not None and first.account_id == ACCOUNT
    assert first.cache_key == made.cache_key
    assert codec.decode(token) is first  # memoized
    # one character changed, at the end or in the middle: never the memoized claims
    for index in (len(token) - 2, len(token) // 2):
        swapped = "A" if token[index] != "A" else "B"
        assert codec.decode(token[:index] + swapped + token[index + 1 :]) is None
    assert codec.decode(token + "A") is None
    # another server key does not open it, memo or not
    assert TokenCodec(Keyring("another-server-key-0123456789abcdefghij")).decode(token) is None


def test_undecodable_tokens_are_not_memoized() -> None:
    codec = TokenCodec(Keyring("memo-test-server-key-0123456789abcdefgh"))
    assert codec.decode("garbage") is None
    assert codec.decode("garbage") is None
    assert codec._opened.cache_info().currsize == 0


def test_a_memoized_token_still_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    codec = TokenCodec(Keyring("memo-test-server-key-0123456789abcdefgh"))
    now = time.time()
    token = codec.encode(claims(int(now) + 60))
    decoded = codec.decode(token)
    assert decoded is not None and not decoded.expired
    monkeypatch.setattr(crypto.time, "time", lambda: now + 61)
    again = codec.decode(token)
    assert again is not None and again.expired


def test_token_memo_stays_bounded() -> None:
    codec = TokenCodec(Keyring("memo-test-server-key-0123456789abcdefgh"))
    size = crypto.TOKEN_MEMO_SIZE
    expiry = int(time.time()) + 60
    for _ in range(size + 10):
        assert codec.decode(codec.encode(claims(expiry))) is not None
    assert codec._opened.cache_info().currsize == size


def test_keyed_digest_is_the_hmac_and_bounded() -> None:
    key = os.urandom(32)
    assert keyed_digest(key, "a:b") == hmac.new(key, b"a:b", hashlib.sha256).hexdigest()
    assert keyed_digest(os.urandom(32), "a:b") != keyed_digest(key, "a:b")
    keyring = Keyring("memo-test-server-key-0123456789abcdefgh")
    assert (
        keyring.point_digest(ACCOUNT, "12345678901234")
        == keyed_digest(keyring.point_key, f"{ACCOUNT}:12345678901234")[:32]
    )
    for n in range(DIGEST_MEMO_SIZE + 10):
        keyed_digest(key, str(n))
    assert keyed_digest.cache_info().currsize == DIGEST_MEMO_SIZE


def test_entry_cipher_is_shared_per_key_and_opens_only_its_own() -> None:
    key, other = os.urandom(32), os.urandom(32)
    assert EntryCipher.for_key(key) is EntryCipher.for_key(key)
    sealed = EntryCipher.for_key(key).seal_bytes("k", b"body")
    assert EntryCipher.for_key(key).open_bytes("k", sealed) == b"body"
    assert EntryCipher.for_key(other).open_bytes("k", sealed) is None
    assert EntryCipher.for_key(key).open_bytes("other key", sealed) is None
    for _ in range(CIPHER_MEMO_SIZE + 5):
        EntryCipher.for_key(os.urandom(32))
    assert _cipher_for.cache_info().currsize == CIPHER_MEMO_SIZE
