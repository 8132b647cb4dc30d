"""The gateway's own Enedis application token (client credentials grant).

Kept in Redis (sealed with a key derived from the server key) so every replica shares
one token; renewed a minute before it expires by one replica at a time (a Redis lock;
the others wait for the new value); renewed once when Enedis answers 401. A copy is
kept in process so that the hot path reads Redis only when the token changes. When
Redis is down, each replica fetches and keeps its own.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
import time
from dataclasses import dataclass

import aiohttp
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from gateway import redis_keys
from gateway.errors import UpstreamFailure
from gateway.keyring import hkdf
from gateway.shared_store import REDIS_ERRORS, SharedStore

log = logging.getLogger(__name__)

RENEW_MARGIN = 60.0  # seconds before expiry when the token is renewed
LOCK_SECONDS = 10


@dataclass(frozen=True, slots=True)
class AppToken:
    value: str
    expires_at: float  # epoch seconds

    def fresh(self, now: float | None = None) -> bool:
        return (now or time.time()) < self.expires_at - RENEW_MARGIN


class AppTokenProvider:
    def __init__(
        self,
        *,
        http: aiohttp.ClientSession,
        store: SharedStore,
        server_key: str,
        base_url: str,
        client_id: str,
        client_secret: str,
        timeout: float,
    ) -> None:
        self.http = http
        self.store = store
        self.url = base_url + "/oauth2/v3/token"
        self.client_id = client_id
        self.client_secret = client_secret
        self.timeout = timeout
        self._aead = AESGCM(hkdf(server_key.encode(), salt=b"enedis-gateway", info=b"app-token/v1"))
        self._token: AppToken | None = None
        self._lock = asyncio.Lock()
        self.fetches = 0

    async def get(self) -> str:
        token = self._token
        if token is not None and token.fresh():
            return token.value
        async with self._lock:
            token = self._token
            if token is not None and token.fresh():
                return token.value
            self._token = await self._shared_or_new()
            return self._token.value

    async def invalidate(self, value: str) -> None:
        """Enedis refused ``value`` (401): forget it here and in Redis (if still the same)."""
        if self._token is not None and self._token.value == value:
            self._token = None
        if self.store.available:
            try:
                shared = await self._read_shared()
                if shared is not None and shared.value == value:
                    await self.store.client.delete(redis_keys.APP_TOKEN)
            except REDIS_ERRORS as exc:
                self.store.mark_down(exc)

    async def _shared_or_new(self) -> AppToken:
        if not self.store.available:
            return await self._fetch()
        try:
            shared = await self._read_shared()
            if shared is not None and shared.fresh():
                return shared
            owner = secrets.token_hex(8)
            if await self.store.client.set(
                redis_keys.APP_TOKEN_LOCK, owner, nx=True, ex=LOCK_SECONDS
            ):
                try:
                    # another replica may have renewed between our read and our lock
                    shared = await self._read_shared()
                    if shared is not None and shared.fresh():
                        return shared
                    token = await self._fetch()
                    await self._write_shared(token)
                    return token
                finally:
                    await self.store.client.eval(
                        "if redis.call('GET', KEYS[1]) == ARGV[1] then "
                        "return redis.call('DEL', KEYS[1]) end return 0",
                        1,
                        redis_keys.APP_TOKEN_LOCK,
                        owner,
                    )
            # another replica is renewing: wait for its token (bounded), else fetch our own
            deadline = time.monotonic() + LOCK_SECONDS
            while time.monotonic() < deadline:
                await asyncio.sleep(0.05)
                shared = await self._read_shared()
                if shared is not None and shared.fresh():
                    return shared
        except REDIS_ERRORS as exc:
            self.store.mark_down(exc)
        return await self._fetch()

    async def _read_shared(self) -> AppToken | None:
        raw = await self.store.client.get(redis_keys.APP_TOKEN)
        if not isinstance(raw, bytes):
            return None
        try:
            data = json.loads(self._aead.decrypt(raw[:12], raw[12:], b"app-token"))
            return AppToken(str(data["t"]), float(data["e"]))
        except Exception:  # noqa: BLE001 - a corrupt or foreign entry is just absent
            return None

    async def _write_shared(self, token: AppToken) -> None:
        nonce = os.urandom(12)
        sealed = nonce + self._aead.encrypt(
            nonce, json.dumps({"t": token.value, "e": token.expires_at}).encode(), b"app-token"
        )
        ttl = max(1, int(token.expires_at - time.time()))
        await self.store.client.set(redis_keys.APP_TOKEN, sealed, ex=ttl)

    async def _fetch(self) -> AppToken:
        self.fetches += 1
        form = {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self.client_secret,
        }
        try:
            async with self.http.post(
                self.url,
                data=form,
                headers={"Accept": "application/json"},
                timeout=aiohttp.ClientTimeout(total=self.timeout),
            ) as answer:
                body = await answer.read()
                status = answer.status
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise UpstreamFailure(
                503 if not isinstance(exc, TimeoutError) else 504,
                "GW-UPSTREAM-UNREACHABLE"
                if not isinstance(exc, TimeoutError)
                else "GW-UPSTREAM-TIMEOUT",
                "Enedis could not be reached to obtain the application token.",
                retryable=True,
            ) from None
        if status != 200:
            log.error("Enedis refused the application credentials (status %d)", status)
            raise UpstreamFailure(
                502 if status < 500 else 503,
                "GW-UPSTREAM-AUTH",
                "The gateway could not authenticate with Enedis.",
                upstream_status=status,
                retryable=status >= 500,
            )
        data = json.loads(body)
        expires_in = float(data.get("expires_in", 3600))
        return AppToken(str(data["access_token"]), time.time() + expires_in)
