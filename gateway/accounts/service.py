"""The accounts service: sign-up, credentials, access tokens, consent, usage points, admin.

Hot path (every data request): ``authenticate`` then ``grant_for``. A Bearer token is
decrypted locally; one Redis round trip brings the account's snapshot (token version,
granted points) and whether that token was revoked; PostgreSQL is read only to rebuild a
missing snapshot, or instead of Redis when Redis is down. HTTP Basic and raw secrets are
looked up by their keyed digest (indexed), with a few seconds of in-process cache, always
checked against the snapshot's version so that a rotation or a deletion is effective on
the next request, on every replica.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import logging
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NoReturn
from urllib.parse import urlencode

import asyncpg

from gateway import redis_keys
from gateway.accounts import crypto, repository
from gateway.accounts.consent import STATE_TTL_SECONDS, add_duration, parse_usage_point_ids
from gateway.accounts.consent_v2 import (
    ConsentedPoint,
    PendingConsent,
    consented_points,
    is_autorisation_id,
)
from gateway.accounts.principal import Principal, UsagePointGrant
from gateway.accounts.repository import DB_ERRORS, AccountRow, UsagePointRow
from gateway.accounts.snapshot import (
    SIGNUP_ADDRESS_WINDOW_SECONDS,
    SIGNUP_GLOBAL_WINDOW_SECONDS,
    AccountRedis,
    Failure,
    PointGrant,
    RedisUnavailable,
    Snapshot,
    signup_address_key,
)
from gateway.cache.hit_probe import HitProbe
from gateway.cache.store import CacheStore
from gateway.config import Settings
from gateway.enedis.rules import paris_today
from gateway.errors import GatewayError, too_many, unavailable
from gateway.keyring import Keyring, account_cache_key
from gateway.shared_store import REDIS_ERRORS, SharedStore

log = logging.getLogger(__name__)

SECRET_CACHE_SECONDS = 5.0
SECRET_CACHE_MAX = 10_000
TOKEN_SCOPE = "am_application_scope default"
MAX_SECRET_LENGTH = 512

_STORE_ERRORS: tuple[type[BaseException], ...] = (RedisUnavailable, *REDIS_ERRORS)

# The snapshot read while authenticating this request (per task: one request), for grant_for.
_CURRENT: ContextVar[tuple[Principal, Snapshot] | None] = ContextVar(
    "gateway_accounts_snapshot", default=None
)


@dataclass(frozen=True, slots=True)
class Credentials:
    client_id: str
    client_secret: str = ""

    def __repr__(self) -> str:
        return f"Credentials(client_id={self.client_id!r}, client_secret=<hidden>)"


@dataclass(frozen=True, slots=True)
class IssuedToken:
    access_token: str
    expires_in: int
    scope: str = TOKEN_SCOPE

    def __repr__(self) -> str:
        return f"IssuedToken(expires_in={self.expires_in})"


@dataclass(frozen=True, slots=True)
class ConsentResult:
    account_id: str
    usage_point_ids: tuple[str, ...]
    new: int
    existing: int


class ConsentRefused(GatewayError):
    """Enedis sent the customer back with an error (``error=access_denied``, ...)."""

    def __init__(self, enedis_error: str) -> None:
        denied = enedis_error == "access_denied"
        message = (
            "The consent was refused on the Enedis page: no usage point was recorded."
            if denied
            else f"Enedis answered the consent with the error {enedis_error!r}:"
            " no usage point was recorded."
        )
        super().__init__(
            403 if denied else 400,
            "consent_refused" if denied else "consent_error",
            message,
            field="error",
        )
        self.enedis_error = enedis_error


@dataclass(frozen=True, slots=True)
class _SecretHit:
    account_id: str
    client_id: str
    version: int
    digest: bytes
    until: float


def invalid_client(message: str = "Client authentication failed.") -> GatewayError:
    return GatewayError(
        401, "invalid_client", message, headers={"WWW-Authenticate": 'Basic realm="gateway"'}
    )


def invalid_token(message: str = "The access token is invalid.") -> GatewayError:
    return GatewayError(
        401,
        "invalid_token",
        message,
        headers={"WWW-Authenticate": 'Bearer realm="gateway", error="invalid_token"'},
    )


def database_unavailable() -> GatewayError:
    return unavailable(
        "The account database is unavailable; please retry shortly.", 5, code="database_unavailable"
    )


def store_unavailable() -> GatewayError:
    return unavailable(
        "The shared store is unavailable; please retry shortly.", 5, code="store_unavailable"
    )


def _sanitize_code(value: str) -> str:
    kept = "".join(ch for ch in value.lower() if ch.isalnum() or ch == "_")
    return kept[:50] or "unknown"


def is_uuid(value: str) -> bool:
    try:
        return str(uuid.UUID(value)) == value.lower()
    except ValueError:
        return False


class Accounts:
    """Every operation on accounts; one instance per replica (``app[state.ACCOUNTS]``)."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        store: SharedStore,
        keyring: Keyring,
        settings: Settings,
        *,
        password_cost: crypto.PasswordCost | None = None,
    ) -> None:
        self.pool = pool
        self.store = store
        self.keyring = keyring
        self.settings = settings
        self.redis = AccountRedis(store)
        self.tokens = crypto.TokenCodec(keyring)
        self.addresses = crypto.AddressHasher(settings.secret_key)
        self.password_cost = password_cost or crypto.DEFAULT_COST
        self._secrets: dict[bytes, _SecretHit] = {}
        self._rebuilds: dict[tuple[str, str], asyncio.Future[Snapshot | None]] = {}

    # -- database access -------------------------------------------------------------------

    @asynccontextmanager
    async def connection(self, *, transaction: bool = False) -> AsyncIterator[Any]:
        """A pooled PostgreSQL connection (in a transaction when asked); a database that
        cannot be reached is a 503 (``database_unavailable``)."""
        try:
            async with self.pool.acquire() as conn:
                if transaction:
                    async with conn.transaction():
                        yield conn
                else:
                    yield conn
        except DB_ERRORS as exc:
            log.warning("postgresql unavailable: %s", type(exc).__name__)
            raise database_unavailable() from None

    # -- authentication --------------------------------------------------------------------

    async def authenticate(
        self,
        authorization_header: str | None,
        *,
        allow_raw_secret: bool,
        client_address: str,
        probe: HitProbe | None = None,
    ) -> Principal:
        """Who is calling: Bearer token, HTTP Basic, or (legacy) the raw secret. A Bearer
        token's read also fills ``probe`` (the memo of a data request, in one round trip)."""
        header = (authorization_header or "").strip()
        if not header:
            raise invalid_client(
                "Authentication is required: a Bearer access token or HTTP Basic"
                " client_id:client_secret."
            )
        scheme, _, value = header.partition(" ")
        value = value.strip()
        lowered = scheme.lower()
        if lowered == "bearer" and value:
            claims = self.tokens.decode(value)
            if claims is None:
                if allow_raw_secret:
                    return await self._by_secret(value, None, client_address)
                raise invalid_token()
            return await self._by_token(claims, probe)
        if lowered == "basic" and value:
            client_id, secret = parse_basic(value)
            return await self._by_secret(secret, client_id, client_address)
        if allow_raw_secret and not value:
            return await self._by_secret(scheme, None, client_address)
        raise invalid_client("Unsupported Authorization scheme: use Bearer or Basic.")

    async def authenticate_client(
        self, client_id: str, client_secret: str, *, client_address: str
    ) -> Principal:
        """The client-credentials grant: both halves must match."""
        return await self._by_secret(client_secret, client_id, client_address)

    async def _by_token(
        self, claims: crypto.TokenClaims, probe: HitProbe | None = None
    ) -> Principal:
        if claims.expired:
            raise invalid_token("The access token has expired.")
        digest = crypto.token_digest(claims)
        try:
            read = await self.redis.hot_read(claims.account_id, revoked_digest=digest, probe=probe)
            if read.revoked:
                raise invalid_token("The access token has been revoked.")
            snapshot = read.snapshot or await self._rebuild(claims.account_id, read.generation)
        except RedisUnavailable:
            snapshot = await self._snapshot_from_db(claims.account_id)
        if snapshot is None or snapshot.version != claims.token_version:
            raise invalid_token("The access token has been revoked.")
        principal = Principal(
            claims.account_id,
            claims.client_id,
            claims.cache_key,
            claims.token_version,
        )
        _CURRENT.set((principal, snapshot))
        return principal

    async def _by_secret(
        self, secret: str, client_id: str | None, client_address: str, *, fresh: bool = False
    ) -> Principal:
        address = self.addresses.digest(client_address)
        if client_id is not None and not _printable_ascii(client_id):
            client_id = ""  # no account has it (nor could it be looked up): a failed attempt
        if not secret or len(secret) > MAX_SECRET_LENGTH or not _printable_ascii(secret):
            await self._secret_failed(address, client_id)
        digest = self.keyring.secret_digest(secret)
        hit = None if fresh else self._cached_secret(digest)
        cached = hit is not None
        if hit is None:
            async with self.connection() as conn:
                row = await repository.account_by_digest(conn, digest)
            if row is not None:
                hit = _SecretHit(
                    row.id,
                    row.client_id,
                    row.token_version,
                    row.secret_digest,
                    time.monotonic() + SECRET_CACHE_SECONDS,
                )
                self._remember_secret(hit)
        if (
            hit is None
            or not hmac.compare_digest(hit.digest, digest)
            or (
                client_id is not None
                and not hmac.compare_digest(hit.client_id.encode(), client_id.encode())
            )
        ):
            await self._secret_failed(address, client_id)
        # the right secret: never refused because of failure counters (only failing
        # attempts are throttled; a secret of 256 random bits cannot be guessed)
        try:
            read = await self.redis.hot_read(hit.account_id)
            snapshot = read.snapshot or await self._rebuild(hit.account_id, read.generation)
        except RedisUnavailable:
            snapshot = await self._snapshot_from_db(hit.account_id)
        if snapshot is None or snapshot.version != hit.version:
            self._secrets.pop(digest, None)
            if cached:
                return await self._by_secret(secret, client_id, client_address, fresh=True)
            if snapshot is None:
                raise invalid_client()
            # the database is the truth (the snapshot may predate a missed invalidation)
            snapshot = await self._refresh_snapshot(hit.account_id)
            if snapshot is None or snapshot.version != hit.version:
                raise invalid_client()
        principal = Principal(
            hit.account_id,
            hit.client_id,
            account_cache_key(secret, hit.account_id),
            snapshot.version,
        )
        _CURRENT.set((principal, snapshot))
        return principal

    def _cached_secret(self, digest: bytes) -> _SecretHit | None:
        hit = self._secrets.get(digest)
        if hit is None:
            return None
        if hit.until <= time.monotonic():
            self._secrets.pop(digest, None)
            return None
        return hit

    def _remember_secret(self, hit: _SecretHit) -> None:
        if len(self._secrets) >= SECRET_CACHE_MAX:
            now = time.monotonic()
            for key in [k for k, v in self._secrets.items() if v.until <= now]:
                del self._secrets[key]
            if len(self._secrets) >= SECRET_CACHE_MAX:
                self._secrets.clear()
        self._secrets[hit.digest] = hit

    def _forget_account(self, account_id: str) -> None:
        for key in [k for k, v in self._secrets.items() if v.account_id == account_id]:
            del self._secrets[key]

    async def _secret_failed(self, address: str, client_id: str | None) -> NoReturn:
        """Count a failed secret (per address, and per account when the client_id is known);
        raises 401, or 429 once the allowance is spent."""
        account_id: str | None = None
        if client_id:
            try:
                async with self.connection() as conn:
                    account_id = await repository.account_id_by_client_id(conn, client_id[:200])
            except GatewayError:
                account_id = None
        await self._count_failure(Failure.SECRET, address, account_id)
        raise invalid_client()

    async def _count_failure(self, kind: Failure, address: str, account_id: str | None) -> None:
        """Count a failed attempt of ``kind``; 429 once the allowance is spent."""
        try:
            by_address, by_account = await self.redis.record_failure(
                kind, address, account_id, self.settings.auth_failure_window
            )
        except RedisUnavailable:
            return
        limit = self.settings.auth_max_failures
        if by_address > limit or by_account > limit:
            raise await self._throttled(kind, address, account_id)

    async def _check_throttle(self, kind: Failure, address: str, account_id: str | None) -> None:
        try:
            by_address, by_account = await self.redis.failures(kind, address, account_id)
        except RedisUnavailable:
            return
        limit = self.settings.auth_max_failures
        if by_address >= limit or by_account >= limit:
            raise await self._throttled(kind, address, account_id)

    async def _throttled(self, kind: Failure, address: str, account_id: str | None) -> GatewayError:
        try:
            retry_after = await self.redis.retry_after(kind, address, account_id)
        except RedisUnavailable:
            retry_after = self.settings.auth_failure_window
        return too_many(
            "Too many failed attempts; retry later.", retry_after, code="too_many_attempts"
        )

    # -- snapshots ---------------------------------------------------------------------------

    async def _snapshot_from_db(self, account_id: str) -> Snapshot | None:
        async with self.connection() as conn:
            rows = await repository.snapshot_rows(conn, account_id)
        if not rows:
            return None
        points: dict[str, PointGrant] = {}
        for row in rows:
            if row["usage_point_id"] is None:
                continue
            digest = self.keyring.point_digest(account_id, row["usage_point_id"])
            points[digest] = PointGrant(
                int(row["consent_start"].timestamp()),
                int(row["consent_expires_at"].timestamp()),
                row["consent_status"],
            )
        return Snapshot(account_id, int(rows[0]["token_version"]), points)

    async def _rebuild(self, account_id: str, generation: str) -> Snapshot | None:
        """Rebuild a missing snapshot from PostgreSQL; concurrent rebuilds of the same
        account and generation on this replica share one query."""
        key = (account_id, generation)
        pending = self._rebuilds.get(key)
        if pending is None:
            pending = asyncio.ensure_future(self._rebuild_once(account_id, generation))
            self._rebuilds[key] = pending
            pending.add_done_callback(lambda _: self._rebuilds.pop(key, None))
        return await asyncio.shield(pending)

    async def _rebuild_once(self, account_id: str, generation: str) -> Snapshot | None:
        snapshot = await self._snapshot_from_db(account_id)
        if snapshot is not None:
            with suppress(RedisUnavailable):
                await self.redis.write_snapshot(snapshot, generation)
        return snapshot

    async def _refresh_snapshot(self, account_id: str) -> Snapshot | None:
        try:
            await self.redis.invalidate(account_id)
            generation = await self.redis.generation(account_id)
        except RedisUnavailable:
            return await self._snapshot_from_db(account_id)
        return await self._rebuild(account_id, generation)

    async def _snapshot(self, account_id: str) -> Snapshot | None:
        try:
            read = await self.redis.hot_read(account_id)
            return read.snapshot or await self._rebuild(account_id, read.generation)
        except RedisUnavailable:
            return await self._snapshot_from_db(account_id)

    async def _invalidate_best_effort(self, account_id: str) -> None:
        try:
            await self.redis.invalidate(account_id)
        except RedisUnavailable:
            log.warning("could not invalidate an account snapshot (redis unavailable)")

    # -- grants --------------------------------------------------------------------------------

    async def grant_for(self, principal: Principal, usage_point_id: str) -> UsagePointGrant | None:
        """The consent of ``principal``'s account for ``usage_point_id`` (None: none)."""
        current = _CURRENT.get()
        if current is not None and current[0] is principal:
            snapshot: Snapshot | None = current[1]
        else:
            snapshot = await self._snapshot(principal.account_id)
            if snapshot is None or snapshot.version != principal.token_version:
                return None
        assert snapshot is not None
        grant = snapshot.points.get(self.keyring.point_digest(principal.account_id, usage_point_id))
        if grant is None:
            return None
        return UsagePointGrant(
            usage_point_id, grant.start_at(), grant.expires_at(), grant.effective_status()
        )

    # -- access tokens ---------------------------------------------------------------------------

    def issue_token(self, principal: Principal) -> IssuedToken:
        ttl = self.settings.access_token_ttl
        claims = crypto.TokenClaims(
            principal.account_id,
            principal.client_id,
            principal.token_version,
            int(time.time()) + ttl,
            principal.cache_key,
        )
        return IssuedToken(self.tokens.encode(claims), ttl)

    async def revoke_token(self, token: str) -> bool:
        """Revoke one access token until its expiry; False if it was not a live token."""
        claims = self.tokens.decode(token.strip())
        if claims is None or claims.expired:
            return False
        try:
            await self.redis.revoke_token(
                claims.account_id,
                crypto.token_digest(claims),
                claims.expires_at - int(time.time()) + 1,
            )
        except RedisUnavailable:
            raise store_unavailable() from None
        return True

    # -- sign-up and password-confirmed actions ---------------------------------------------

    async def _signup_allowed(self, client_address: str) -> None:
        """Each sign-up costs two argon2id hashes: at most ``SIGNUP_ADDRESS_LIMIT`` an hour
        per client address, and ``SIGNUP_GLOBAL_LIMIT`` a minute for everyone (429 with
        Retry-After). An address over its limit does not spend the global allowance. With
        Redis down, sign-ups are not throttled (logged)."""
        address = signup_address_key(self.addresses.digest(client_address))
        try:
            count, left = await self.redis.count_in_window(address, SIGNUP_ADDRESS_WINDOW_SECONDS)
            if count > self.settings.signup_address_limit:
                raise too_many(
                    "Too many sign-ups from this address; retry later.",
                    left,
                    code="too_many_signups",
                )
            count, left = await self.redis.count_in_window(
                redis_keys.SIGNUP_ALL, SIGNUP_GLOBAL_WINDOW_SECONDS
            )
        except RedisUnavailable:
            log.warning("sign-ups are not throttled (redis unavailable)")
            return
        if count > self.settings.signup_global_limit:
            raise too_many(
                "Too many sign-ups at the moment; retry shortly.", left, code="too_many_signups"
            )

    async def signup(
        self, email: str, password: str, *, client_address: str
    ) -> tuple[str, Credentials]:
        await self._signup_allowed(client_address)
        account_id = str(uuid.uuid4())
        client_id = crypto.new_client_id()
        client_secret = crypto.new_client_secret()
        cost = self.password_cost
        password_hash = await asyncio.to_thread(crypto.hash_password, password, cost)
        sealed = await asyncio.to_thread(
            crypto.seal_secret, client_secret, password, account_id, cost
        )
        try:
            async with self.connection() as conn:
                await repository.insert_account(
                    conn,
                    account_id=account_id,
                    client_id=client_id,
                    email=email,
                    email_key=email.lower(),
                    password_hash=password_hash,
                    secret_digest=self.keyring.secret_digest(client_secret),
                    secret_sealed=sealed,
                )
        except asyncpg.UniqueViolationError as exc:
            if "email" in (exc.constraint_name or ""):
                raise GatewayError(
                    409, "email_taken", "An account already uses this email.", field="email"
                ) from None
            raise
        log.info("account created", extra={"account": account_id})
        return account_id, Credentials(client_id, client_secret)

    async def confirm_password(
        self, *, principal: Principal | None, email: str | None, password: str, client_address: str
    ) -> AccountRow:
        """The account, once ``password`` is confirmed (throttled per account and address)."""
        address = self.addresses.digest(client_address)
        async with self.connection() as conn:
            if principal is not None:
                row = await repository.account_by_id(conn, principal.account_id)
            elif email is not None:
                row = await repository.account_by_email(conn, email.lower())
            else:
                raise GatewayError(
                    401,
                    "invalid_credentials",
                    "Authenticate, or give the account's email with the password.",
                    field="email",
                )
        account_id = row.id if row is not None else None
        # a password can be guessed: once its allowance is spent, it is not even checked
        # (counted apart from secrets: the account's client_secret keeps working)
        await self._check_throttle(Failure.PASSWORD, address, account_id)
        if row is None:
            await asyncio.to_thread(crypto.burn_password_check, password, self.password_cost)
            ok = False
        else:
            ok = await asyncio.to_thread(crypto.verify_password, row.password_hash, password)
        if not ok or row is None:
            await self._count_failure(Failure.PASSWORD, address, account_id)
            field = "password" if principal is not None else "email"
            raise GatewayError(
                401,
                "invalid_credentials",
                "The email or password is not correct."
                if principal is None
                else "The password is not correct.",
                field=field,
            )
        return row

    async def reveal_credentials(self, account: AccountRow, password: str) -> Credentials:
        secret = await asyncio.to_thread(
            crypto.unseal_secret, account.secret_sealed, password, account.id
        )
        return Credentials(account.client_id, secret)

    async def rotate_secret(
        self, account: AccountRow, password: str, cache: CacheStore
    ) -> Credentials:
        """A new client_secret: the old one and every token stop working, the cache goes."""
        secret = crypto.new_client_secret()
        sealed = await asyncio.to_thread(
            crypto.seal_secret, secret, password, account.id, self.password_cost
        )
        async with self.connection(transaction=True) as conn:
            version = await repository.rotate_secret(
                conn, account.id, self.keyring.secret_digest(secret), sealed
            )
            if version is None:
                raise GatewayError(404, "account_not_found", "This account no longer exists.")
            try:
                await self.redis.invalidate(account.id)
                await cache.purge_account(account.id)
            except _STORE_ERRORS:
                raise store_unavailable() from None
        await self._invalidate_best_effort(account.id)
        self._forget_account(account.id)
        log.info("client secret rotated", extra={"account": account.id})
        return Credentials(account.client_id, secret)

    async def delete_account(self, account_id: str, cache: CacheStore) -> None:
        """The account, its usage points, consents, tokens, counters and cache: all gone."""
        async with self.connection(transaction=True) as conn:
            if not await repository.delete_account(conn, account_id):
                raise GatewayError(404, "account_not_found", "This account no longer exists.")
            try:
                await cache.purge_account(account_id)
                await self.redis.drop_states(account_id)
                await self.redis.delete_account_keys(account_id)
            except _STORE_ERRORS:
                raise store_unavailable() from None
        try:  # what a request in flight wrote meanwhile
            await cache.purge_account(account_id)
            await self.redis.delete_account_keys(account_id)
        except _STORE_ERRORS:
            log.warning("could not re-check the keys of a deleted account (redis unavailable)")
        self._forget_account(account_id)
        log.info("account deleted", extra={"account": account_id})

    async def account(self, account_id: str) -> tuple[AccountRow, int] | None:
        async with self.connection() as conn:
            row = await repository.account_by_id(conn, account_id)
            if row is None:
                return None
            return row, await repository.count_points(conn, account_id)

    def admin_rights(self, account: AccountRow) -> bool:
        """An admin: the account's email is listed in ``ADMIN_EMAILS`` (the current
        settings of this replica) and an operator confirmed it (``gateway admin grant``),
        as emails are not verified."""
        return account.admin_confirmed and account.email_key in self.settings.admin_emails

    async def is_admin(self, principal: Principal) -> bool:
        """``admin_rights`` of the account, read now (admin routes only: one DB read)."""
        async with self.connection() as conn:
            row = await repository.account_by_id(conn, principal.account_id)
        return row is not None and self.admin_rights(row)

    # -- consent -------------------------------------------------------------------------------

    async def authorize_url(self, principal: Principal) -> str:
        """The Enedis consent page, with a one-time ``state`` bound to the account."""
        state_id = secrets.token_urlsafe(16)
        expires_at = int(time.time()) + STATE_TTL_SECONDS
        try:
            stored = await self.redis.put_state(state_id, principal.account_id, STATE_TTL_SECONDS)
        except RedisUnavailable:
            raise store_unavailable() from None
        if not stored:
            raise GatewayError(500, "state_collision", "Could not start the consent; retry.")
        state = crypto.sign_state(self.keyring, state_id, principal.account_id, expires_at)
        query = urlencode(
            {
                "client_id": self.settings.enedis_client_id,
                "response_type": "code",
                "duration": self.settings.consent_duration,
                "state": state,
            }
        )
        base = self.settings.consent_page_url
        return f"{base}{'&' if '?' in base else '?'}{query}"

    async def _take_state(self, state: str | None) -> str:
        """The account a ``state`` was issued to; consumed. 400 when forged, used or expired."""
        account_id, _ = await self._take_state_issued(state)
        return account_id

    async def _take_state_issued(self, state: str | None) -> tuple[str, float]:
        """The account a ``state`` was issued to and when it was issued; consumed."""
        parts = crypto.split_state(state or "")
        if parts is None:
            raise GatewayError(
                400, "invalid_state", "The consent state is missing or malformed.", field="state"
            )
        state_id, expires_at, mac = parts
        try:
            account_id = await self.redis.take_state(state_id)
        except RedisUnavailable:
            raise store_unavailable() from None
        if account_id is None or not crypto.state_mac_ok(
            self.keyring, state_id, account_id, expires_at, mac
        ):
            raise GatewayError(
                400,
                "invalid_state",
                "This consent state is unknown, already used or expired; start the consent again.",
                field="state",
            )
        if expires_at <= time.time():
            raise GatewayError(
                400,
                "invalid_state",
                "This consent state has expired; start the consent again.",
                field="state",
            )
        return account_id, float(expires_at - STATE_TTL_SECONDS)

    async def consent_callback(self, params: Mapping[str, str]) -> ConsentResult | PendingConsent:
        """Record the usage points Enedis names for the account the ``state`` belongs to.

        A v2 redirect (``autorisation_id``) names no point: it answers the
        ``PendingConsent`` to exchange through ``subscribed_services`` (``complete_v2``). A
        v1 redirect (``code`` + ``usage_point_id``) is taken only under ``ENEDIS_CONSENT=v1``,
        and never moves a meter another account holds (it cannot be verified)."""
        error = params.get("error")
        if error:
            code = _sanitize_code(error)
            try:
                account_id = await self._take_state(params.get("state"))
            except GatewayError:
                raise ConsentRefused(code) from None
            async with self.connection() as conn:
                await repository.audit(
                    conn, account_id, "refused" if code == "access_denied" else "error", 0, code
                )
            raise ConsentRefused(code)
        autorisation_id = params.get("autorisation_id")
        if autorisation_id is not None:
            account_id, issued_at = await self._take_state_issued(params.get("state"))
            if not is_autorisation_id(autorisation_id.strip()):
                async with self.connection() as conn:
                    await repository.audit(conn, account_id, "error", 0, "invalid_autorisation_id")
                raise GatewayError(
                    400,
                    "invalid_autorisation_id",
                    "The consent redirect's autorisation_id is not an Enedis authorisation id.",
                    field="autorisation_id",
                )
            return PendingConsent(
                account_id,
                autorisation_id.strip(),
                paris_today(datetime.fromtimestamp(issued_at, UTC)),
                time.time() + self.settings.consent_exchange_max,
            )
        if self.settings.enedis_consent != "v1":
            raise GatewayError(
                400,
                "v1_consent_refused",
                "This gateway takes Enedis' v2 consent (autorisation_id): a redirect naming its "
                "usage points cannot be verified and is refused. Start the consent again through "
                "/oauth/authorize.",
                field="usage_point_id",
            )
        account_id = await self._take_state(params.get("state"))
        try:
            if not (params.get("code") or "").strip():
                raise GatewayError(
                    400, "missing_code", "The consent redirect has no code.", field="code"
                )
            ids = parse_usage_point_ids(params.get("usage_point_id"))
        except GatewayError as exc:
            async with self.connection() as conn:
                await repository.audit(conn, account_id, "error", 0, exc.code)
            raise
        start = datetime.now(UTC).replace(microsecond=0)
        expires = add_duration(start, self.settings.consent_duration)
        async with self.connection(transaction=True) as conn:
            if not await repository.account_exists(conn, account_id):
                raise GatewayError(
                    400, "invalid_state", "The account of this consent is gone.", field="state"
                )
            for usage_point_id in ids:
                others = [
                    row
                    for row in await repository.holders(conn, usage_point_id)
                    if row["account_id"] != account_id
                ]
                if others:
                    await repository.audit(conn, account_id, "error", 0, "held_elsewhere")
                    raise GatewayError(
                        409,
                        "usage_point_held",
                        "A usage point of this consent is attached to another account; a v1 "
                        "consent cannot prove who holds it.",
                        field="usage_point_id",
                    )
            new, existing = await repository.upsert_points(conn, account_id, ids, start, expires)
            await repository.audit(conn, account_id, "granted", len(ids))
            await self._invalidate_best_effort(account_id)
        await self._invalidate_best_effort(account_id)
        log.info("consent recorded", extra={"account": account_id, "points": len(ids)})
        return ConsentResult(account_id, tuple(ids), new, existing)

    async def complete_v2(
        self, pending: PendingConsent, answer: Any, cache: CacheStore
    ) -> ConsentResult | None:
        """Attach the points ``answer`` (Enedis' ``subscribed_services``) shares through the
        pending authorisation; ``None`` while Enedis lists nothing yet. A point another
        account holds moves here (its grant there ends, audited, its cache purged), unless
        it came with this very activation (a replayed ``autorisation_id``)."""
        points = consented_points(answer, pending.autorisation_id, pending.issued_on)
        if points is None:
            return None
        account_id = pending.account_id
        if not points:
            async with self.connection() as conn:
                await repository.audit(conn, account_id, "error", 0, "not_verified")
            raise GatewayError(
                403,
                "consent_not_verified",
                "Enedis lists no meter shared through this consent since it was started: "
                "nothing was attached. Start the consent again through /oauth/authorize.",
                field="autorisation_id",
            )
        start = datetime.now(UTC).replace(microsecond=0)
        fallback = add_duration(start, self.settings.consent_duration)
        new = existing = 0
        moved: list[tuple[str, str]] = []
        async with self.connection(transaction=True) as conn:
            if not await repository.account_exists(conn, account_id):
                raise GatewayError(
                    400, "invalid_state", "The account of this consent is gone.", field="state"
                )
            taken: list[ConsentedPoint] = []
            for point in points:
                holders = [
                    row
                    for row in await repository.holders(conn, point.usage_point_id)
                    if row["account_id"] != account_id
                ]
                if any(
                    row["autorisation_id"] == point.autorisation_id
                    and row["service_start"] is not None
                    and row["service_start"] >= point.start
                    for row in holders
                ):
                    continue  # this very activation attached it elsewhere: not this consent's
                for row in holders:
                    await repository.release_point(conn, row["account_id"], point.usage_point_id)
                    await repository.audit(conn, row["account_id"], "moved", 1, "consent_elsewhere")
                    moved.append((row["account_id"], point.usage_point_id))
                taken.append(point)
            if not taken:
                await repository.audit(conn, account_id, "error", 0, "replayed")
                raise GatewayError(
                    409,
                    "consent_already_used",
                    "This Enedis consent already attached its meter to another account: "
                    "nothing was attached.",
                    field="autorisation_id",
                )
            for point in taken:
                expires = (
                    datetime.combine(point.end, datetime.min.time(), UTC)
                    if point.end is not None
                    else fallback
                )
                if await repository.record_v2_point(
                    conn,
                    account_id,
                    point.usage_point_id,
                    start,
                    expires,
                    point.autorisation_id,
                    point.start,
                ):
                    new += 1
                else:
                    existing += 1
            await repository.audit(conn, account_id, "granted", len(taken))
        for other, usage_point_id in moved:
            await self._invalidate_best_effort(other)
            with suppress(*_STORE_ERRORS):
                await cache.purge_usage_point(other, usage_point_id)
        await self._invalidate_best_effort(account_id)
        log.info("consent v2 recorded", extra={"account": account_id, "points": len(taken)})
        return ConsentResult(account_id, tuple(p.usage_point_id for p in taken), new, existing)

    async def mark_revoked(self, account_id: str, usage_point_id: str) -> None:
        """Enedis refused a call for this point (not the holder): its consent is revoked."""
        async with self.connection() as conn:
            changed = await repository.mark_revoked(conn, account_id, usage_point_id)
            if changed:
                await repository.audit(conn, account_id, "revoked", 1, "enedis_refused")
        if changed:
            await self._invalidate_best_effort(account_id)
            log.info("consent revoked by Enedis", extra={"account": account_id})

    # -- usage points ---------------------------------------------------------------------------

    async def list_points(self, principal: Principal) -> list[UsagePointRow]:
        async with self.connection() as conn:
            return await repository.list_points(conn, principal.account_id)

    async def rename_point(
        self, principal: Principal, usage_point_id: str, name: str | None
    ) -> UsagePointRow | None:
        async with self.connection() as conn:
            return await repository.rename_point(conn, principal.account_id, usage_point_id, name)

    async def delete_point(
        self, principal: Principal, usage_point_id: str, cache: CacheStore
    ) -> bool:
        """Forget a usage point of the account and purge its cache."""
        account_id = principal.account_id
        async with self.connection(transaction=True) as conn:
            if not await repository.delete_point(conn, account_id, usage_point_id):
                return False
            try:
                await self.redis.invalidate(account_id)
                await cache.purge_usage_point(account_id, usage_point_id)
            except _STORE_ERRORS:
                raise store_unavailable() from None
        await self._invalidate_best_effort(account_id)
        return True

    # -- admin ---------------------------------------------------------------------------------

    def admin_key_ok(self, presented: str | None) -> bool:
        expected = self.settings.admin_api_key
        if not expected or not presented:
            return False
        return hmac.compare_digest(expected.encode(), presented.encode())

    async def check_admin_key(self, presented: str | None, *, client_address: str) -> bool:
        """True for the right ``ADMIN_API_KEY`` (never throttled); False when none is
        presented; a wrong key counts as a failed attempt of the client address (401, then
        429)."""
        if not presented:
            return False
        if self.admin_key_ok(presented):
            return True
        await self._count_failure(Failure.SECRET, self.addresses.digest(client_address), None)
        raise GatewayError(401, "admin_required", "The ADMIN_API_KEY is not valid.")

    async def admin_accounts(self, limit: int, offset: int) -> tuple[list[dict[str, Any]], int]:
        async with self.connection() as conn:
            records, total = await repository.admin_list(conn, limit, offset)
        ids = [str(record["id"]) for record in records]
        try:
            usage = await self.redis.usage_today(ids)
        except RedisUnavailable:
            usage = {}
        accounts = [
            {
                "account_id": str(record["id"]),
                "client_id": record["client_id"],
                "email": record["email"],
                "created_at": record["created_at"],
                "usage_points": int(record["usage_points"]),
                "usage_today": dict(
                    zip(("upstream", "cached"), usage.get(str(record["id"]), (0, 0)), strict=True)
                ),
            }
            for record in records
        ]
        return accounts, total

    async def _require_account(self, account_id: str) -> None:
        if not is_uuid(account_id):
            raise GatewayError(404, "account_not_found", "No such account.", field="account_id")
        async with self.connection() as conn:
            if not await repository.account_exists(conn, account_id):
                raise GatewayError(404, "account_not_found", "No such account.", field="account_id")

    async def reset_quota(self, account_id: str) -> int:
        await self._require_account(account_id)
        try:
            return await self.redis.delete_quotas(account_id)
        except RedisUnavailable:
            raise store_unavailable() from None

    async def purge_cache(self, account_id: str, cache: CacheStore) -> int:
        await self._require_account(account_id)
        try:
            return await cache.purge_account(account_id)
        except REDIS_ERRORS:
            raise store_unavailable() from None


def _printable_ascii(value: str) -> bool:
    """Client ids and secrets are printable ASCII: anything else (a NUL, a lone surrogate)
    cannot be one, and must not reach a digest or a query."""
    return value.isascii() and value.isprintable()


def parse_basic(value: str) -> tuple[str, str]:
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        raise invalid_client("Malformed HTTP Basic credentials.") from None
    client_id, sep, secret = decoded.partition(":")
    if not sep or not client_id or not secret:
        raise invalid_client("Malformed HTTP Basic credentials.")
    return client_id, secret
