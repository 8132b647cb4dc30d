"""E-mail address checks and password resets: the signed links and what they change.

A link carries ``<account id>.<expiry>.<mac>``: HMAC (``keyring.mail_key``) over its
purpose, the account, the expiry and what it must still match, so nothing is stored:
- address check: bound to the account's lower-cased address (a changed address voids it);
- password reset: bound to the current password hash, so it works once (the reset
  changes the hash) and any password change voids it.

A reset ends the sealed copy of the client secret (only the forgotten password opened
it): a new secret is issued (``Accounts.rotate_secret``: the old secret and every token
stop working, the cache is purged), sealed under the new password.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from datetime import datetime

from gateway.accounts import crypto, repository
from gateway.accounts.repository import AccountRow
from gateway.accounts.service import Accounts, Credentials, is_uuid
from gateway.cache.store import CacheStore
from gateway.errors import GatewayError
from gateway.keyring import Keyring

VERIFY = "verify"
RESET = "reset"
VERIFY_TTL_SECONDS = 7 * 86400
RESET_TTL_SECONDS = 3600


def _mac(keyring: Keyring, purpose: str, account_id: str, expires_at: int, binding: str) -> str:
    message = f"{purpose}|{account_id}|{expires_at}|{binding}".encode()
    return crypto.b64e(hmac.new(keyring.mail_key, message, hashlib.sha256).digest()[:24])


def make_link_token(keyring: Keyring, purpose: str, account_id: str, binding: str, ttl: int) -> str:
    expires_at = int(time.time()) + ttl
    return f"{account_id}.{expires_at}.{_mac(keyring, purpose, account_id, expires_at, binding)}"


def link_account(token: str) -> tuple[str, int, str] | None:
    """(account id, expiry, mac) of a well-formed, unexpired link token."""
    parts = token.strip().split(".")
    if len(parts) != 3 or len(token) > 200 or not is_uuid(parts[0]) or not parts[1].isdigit():
        return None
    expires_at = int(parts[1])
    if expires_at <= time.time():
        return None
    return parts[0], expires_at, parts[2]


def link_ok(keyring: Keyring, purpose: str, token: str, binding: str) -> bool:
    parsed = link_account(token)
    if parsed is None:
        return False
    account_id, expires_at, mac = parsed
    expected = _mac(keyring, purpose, account_id, expires_at, binding)
    return hmac.compare_digest(expected.encode(), mac.encode())


def _invalid_link() -> GatewayError:
    return GatewayError(400, "invalid_link", "This link is not valid or has expired.")


def verify_token(accounts: Accounts, account: AccountRow) -> str:
    return make_link_token(
        accounts.keyring, VERIFY, account.id, account.email_key, VERIFY_TTL_SECONDS
    )


def reset_token(accounts: Accounts, account: AccountRow) -> str:
    return make_link_token(
        accounts.keyring, RESET, account.id, account.password_hash, RESET_TTL_SECONDS
    )


async def _account_of_link(accounts: Accounts, token: str) -> AccountRow:
    parsed = link_account(token)
    if parsed is None:
        raise _invalid_link()
    async with accounts.connection() as conn:
        row = await repository.account_by_id(conn, parsed[0])
    if row is None:
        raise _invalid_link()
    return row


async def account_by_email(accounts: Accounts, email: str) -> AccountRow | None:
    """The account of an address (case-insensitive), for a reset link."""
    async with accounts.connection() as conn:
        return await repository.account_by_email(conn, email.lower())


async def verified_at(accounts: Accounts, account_id: str) -> datetime | None:
    """When the account's address was checked (None: not yet)."""
    async with accounts.connection() as conn:
        return await repository.email_verified_at(conn, account_id)


async def is_verified(accounts: Accounts, account_id: str) -> bool:
    return await verified_at(accounts, account_id) is not None


async def confirm_address(accounts: Accounts, token: str) -> AccountRow:
    """Record the address check of a verification link (400 when it is not valid)."""
    row = await _account_of_link(accounts, token)
    if not link_ok(accounts.keyring, VERIFY, token, row.email_key):
        raise _invalid_link()
    async with accounts.connection() as conn:
        if not await repository.mark_email_verified(conn, row.id, row.email_key):
            raise _invalid_link()
    return row


async def reset_account(accounts: Accounts, token: str) -> AccountRow:
    """The account of a valid reset link (400 otherwise)."""
    row = await _account_of_link(accounts, token)
    if not link_ok(accounts.keyring, RESET, token, row.password_hash):
        raise _invalid_link()
    return row


async def reset_password(
    accounts: Accounts, token: str, new_password: str, cache: CacheStore
) -> Credentials:
    """A new password and a new client secret (sealed under it); the cache is purged."""
    row = await reset_account(accounts, token)
    credentials = await accounts.rotate_secret(row, new_password, cache)
    password_hash = await asyncio.to_thread(
        crypto.hash_password, new_password, accounts.password_cost
    )
    async with accounts.connection() as conn:
        await repository.set_password_hash(conn, row.id, password_hash)
    return credentials
