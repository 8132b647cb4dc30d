"""Opaque application tokens of the client-credentials grant, in memory with expiry."""

from __future__ import annotations

import secrets
from collections.abc import Callable

__all__ = ["TokenStore"]


class TokenStore:
    """Issues, checks and revokes random Bearer tokens; ``clock`` is monotonic seconds."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._expiry: dict[str, float] = {}

    def issue(self, ttl_seconds: float) -> str:
        """A new token valid for ``ttl_seconds`` (expired tokens are dropped meanwhile)."""
        now = self._clock()
        self._expiry = {t: exp for t, exp in self._expiry.items() if exp > now}
        token = secrets.token_urlsafe(32)
        self._expiry[token] = now + ttl_seconds
        return token

    def is_valid(self, token: str) -> bool:
        """True for a token issued here, not revoked and not expired."""
        expiry = self._expiry.get(token)
        return expiry is not None and expiry > self._clock()

    def revoke(self, token: str) -> None:
        """Forget ``token`` (unknown tokens are ignored, as Enedis does)."""
        self._expiry.pop(token, None)
