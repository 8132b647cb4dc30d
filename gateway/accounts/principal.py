"""Who is calling, and what the account may read: the values the chain passes around."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated account (from a Bearer token, HTTP Basic or a raw secret)."""

    account_id: str  # uuid text
    client_id: str
    cache_key: bytes = field(repr=False)  # keyring.account_cache_key(client_secret, account_id)
    token_version: int


@dataclass(frozen=True, slots=True)
class UsagePointGrant:
    """The consent recorded for one usage point of an account."""

    usage_point_id: str
    consent_start: datetime
    consent_expires_at: datetime
    status: str  # active, expired (past its expiry) or revoked

    @property
    def usable(self) -> bool:
        return self.status == "active"
