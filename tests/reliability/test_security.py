"""Security across the three surfaces: isolation of accounts on every route that takes a
usage point, throttled guessing of secrets and passwords, refused tokens, nothing personal
in logs nor in clear in Redis after a workload, CORS closed unless configured, security
headers on HTML pages."""

from __future__ import annotations

import base64
import io
import ipaddress
import json
import logging
import re
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from gateway.accounts.crypto import TokenClaims, TokenCodec
from gateway.app import build_app
from gateway.client_address import resolve
from gateway.config import ConfigError, Settings
from gateway.enedis.catalogue import ENDPOINTS
from gateway.keyring import Keyring, account_cache_key
from gateway.logs import JsonFormatter, RedactingFilter
from gateway.observability.access_log import access_log_kwargs
from gateway.routing import ROUTE_SPECS, Auth, Surface
from tests.accounts.flows import basic, enedis_redirect
from tests.accounts.test_at_rest import _forms, _redis_dump
from tests.conftest import TEST_SECRET_KEY, Services
from tests.reliability.conftest import assert_dialect
from tests.reliability.workload import DAILY, day_range
from tests.support.journey import consent, get_token, ready_account, signup
from tests.support.polling import poll
from tests.support.upstream import data_calls

ADMIN_KEY = "reliability-admin-key-0123456789"


async def gateway_with(aiohttp_client: Any, services: Services, **env: str) -> Any:
    return await aiohttp_client(build_app(Settings.from_env(services.env(**env))))


# -- isolation ---------------------------------------------------------------------------------


def routes_taking_a_usage_point(app: web.Application) -> list[tuple[str, str, Surface]]:
    """(method, path template, surface) of every authenticated route about a usage point:
    read from the router, so that a new route is in the matrix without editing it."""
    specs = app[ROUTE_SPECS]
    found = []
    for route in app.router.routes():
        resource = route.resource
        if resource is None or route.method in ("*", "HEAD"):
            continue
        spec = specs.get(f"{route.method} {resource.canonical}")
        if spec is None or spec.auth is not Auth.ACCOUNT:
            continue
        if (
            "{usage_point_id}" in resource.canonical
            or "{prm}" in resource.canonical
            or spec.parse is not None
        ):
            found.append((route.method, resource.canonical, spec.surface))
    return found


def concrete(template: str, point: str) -> tuple[str, dict[str, str]]:
    start, end = day_range(10, 5)
    if "{usage_point_id}" in template:
        return template.format(usage_point_id=point, start=start, end=end), {}
    if "{prm}" in template:  # 2026 contract data: the PRM in the path
        return template.format(prm=point), {}
    if template.startswith("/mesure_synchrone_auto/"):  # 2026 measurements
        params = {"pointId": point, "dateDebut": start, "dateFin": end}
        if template.rstrip("/").endswith("puissance_conso_max_quotidienne"):
            params |= {"mesuresPas": "P1D", "grandeurPhysique": "PMA"}
        return template, params
    return template, {"usage_point_id": point, "start": start, "end": end}  # v5: a query


async def test_isolation_matrix_on_every_surface(gateway: Any, clean_services: Services) -> None:
    alice = await ready_account(gateway)  # default customer: two usage points
    bob = await ready_account(gateway, "consumption_only")
    point = alice.usage_points[0]
    # Alice's data is cached (a purge by Bob must not touch it)
    start, end = day_range(10, 5)
    mine = {"usage_point_id": point, "start": start, "end": end}
    assert (await gateway.get(DAILY.path, params=mine, headers=alice.bearer)).status == 200
    routes = routes_taking_a_usage_point(gateway.server.app)
    surfaces = Counter(surface for _, _, surface in routes)
    assert surfaces[Surface.V5] >= len(ENDPOINTS), surfaces
    assert surfaces[Surface.LEGACY] >= 20 and surfaces[Surface.MANAGEMENT] >= 2, surfaces
    dialects = {
        Surface.V5: "v5",
        Surface.V2026: "2026",
        Surface.LEGACY: "legacy",
        Surface.MANAGEMENT: "management",
    }
    credentials = {
        "bearer": bob.bearer,
        "basic": {"Authorization": basic(bob.client_id, bob.client_secret)},
        "raw": {"Authorization": bob.client_secret},
    }
    before = data_calls(clean_services.sandbox_stats())
    tried = 0
    for method, template, surface in routes:
        path, params = concrete(template, point)
        for name, headers in credentials.items():
            if name == "raw" and surface is not Surface.LEGACY:
                continue
            body = {"name": "mine now"} if method == "PATCH" else None
            answer = await gateway.request(method, path, params=params, json=body, headers=headers)
            text = await answer.text()
            assert answer.status in (403, 404), (method, path, name, answer.status, text)
            body = await assert_dialect(answer, dialects[surface])
            body.pop("instance", None)  # problem+json echoes the path Bob asked for
            assert point not in json.dumps(body) and "reading" not in text, text
            tried += 1
    assert data_calls(clean_services.sandbox_stats()) == before, "Bob caused upstream calls"
    # Alice's point, name and cache are untouched
    answer = await gateway.get(DAILY.path, params=mine, headers=alice.bearer)
    assert answer.status == 200 and answer.headers["X-Cache-Status"] == "HIT"
    points = (await (await gateway.get("/pdl", headers=alice.bearer)).json())["usage_points"]
    assert [(p["usage_point_id"], p["name"]) for p in points] == [
        (alice.usage_points[0], None),
        (alice.usage_points[1], None),
    ]
    print(f"isolation: {tried} requests over {len(routes)} routes {dict(surfaces)}")


# -- guessing ----------------------------------------------------------------------------------


async def _statuses(
    gateway: Any, attempts: int, method: str, path: str, **kwargs: Any
) -> list[int]:
    statuses = []
    for _ in range(attempts):
        answer = await gateway.request(method, path, **kwargs)
        statuses.append(answer.status)
    return statuses


async def _throttled(answer: Any, dialect: str) -> None:
    assert answer.status == 429, await answer.text()
    assert int(answer.headers["Retry-After"]) >= 1
    await assert_dialect(answer, dialect)


async def test_guessed_secrets_and_passwords_are_throttled_on_every_surface(
    aiohttp_client: Any, clean_services: Services
) -> None:
    first = await gateway_with(aiohttp_client, clean_services, AUTH_MAX_FAILURES="3")
    second = await gateway_with(aiohttp_client, clean_services, AUTH_MAX_FAILURES="3")
    alice = await ready_account(first)
    point = alice.usage_points[0]
    # a v5 data route, Alice's client_id with guessed secrets: 401, 401, 401, then 429
    guess = basic(alice.client_id, "guessed-secret")
    v5 = (DAILY.path,)
    params = {"usage_point_id": point, "start": day_range(5)[0], "end": day_range(5)[1]}
    statuses = await _statuses(
        first, 3, "GET", *v5, params=params, headers={"Authorization": guess}
    )
    assert statuses == [401, 401, 401]
    await _throttled(await first.get(*v5, params=params, headers={"Authorization": guess}), "v5")
    # guesses are throttled on the other replica too (counters in Redis), on every surface
    for replica in (first, second):
        answer = await replica.get(*v5, params=params, headers={"Authorization": guess})
        await _throttled(answer, "v5")
        answer = await replica.get(
            f"/contracts/{point}", headers={"Authorization": "another-guessed-secret"}
        )
        await _throttled(answer, "legacy")
        await _throttled(
            await replica.get("/accounts/me", headers={"Authorization": guess}), "management"
        )
    # only failing attempts are refused: the right secret and tokens keep working
    right = basic(alice.client_id, alice.client_secret)
    for replica in (first, second):
        answer = await replica.get(*v5, params=params, headers={"Authorization": right})
        assert answer.status == 200, await answer.text()
        answer = await replica.get(
            f"/contracts/{point}/cache", headers={"Authorization": alice.client_secret}
        )
        assert answer.status == 200, await answer.text()
        assert (await replica.get("/accounts/me", headers={"Authorization": right})).status == 200
    assert (await second.get(f"/contracts/{point}/cache", headers=alice.bearer)).status == 200


async def test_guessed_raw_secrets_on_the_legacy_surface_are_throttled(
    aiohttp_client: Any, clean_services: Services
) -> None:
    gateway = await gateway_with(aiohttp_client, clean_services, AUTH_MAX_FAILURES="3")
    alice = await ready_account(gateway)
    path = f"/valid_access/{alice.usage_points[0]}"
    statuses = await _statuses(
        gateway, 3, "GET", path, headers={"Authorization": "a-guessed-legacy-secret"}
    )
    assert statuses == [401, 401, 401]
    await _throttled(await gateway.get(path, headers={"Authorization": "another-guess"}), "legacy")
    # the address is throttled for guesses only: the right secret from it still works
    answer = await gateway.get(path, headers={"Authorization": alice.client_secret})
    assert answer.status == 200, await answer.text()


async def test_guessed_passwords_are_throttled(
    aiohttp_client: Any, clean_services: Services
) -> None:
    gateway = await gateway_with(aiohttp_client, clean_services, AUTH_MAX_FAILURES="3")
    alice = await signup(gateway)
    wrong = {"email": alice.email, "password": "not the password"}
    statuses = await _statuses(gateway, 3, "POST", "/accounts/credentials", json=wrong)
    assert statuses == [401, 401, 401]
    # a password can be guessed: once throttled, even the right one waits (unchecked)
    right = {"email": alice.email, "password": alice.password}
    await _throttled(await gateway.post("/accounts/credentials", json=right), "management")


async def test_guessed_passwords_never_lock_the_client_secret_out(
    aiohttp_client: Any, clean_services: Services
) -> None:
    """Security review: ten wrong passwords for an email made the account's right
    client_secret answer 429 on every surface (password and secret failures shared one
    counter, and a right secret was refused once it was spent)."""
    gateway = await gateway_with(aiohttp_client, clean_services, AUTH_MAX_FAILURES="3")
    alice = await ready_account(gateway)
    point = alice.usage_points[0]
    wrong = {"email": alice.email, "password": "not the password"}
    statuses = await _statuses(gateway, 5, "POST", "/accounts/credentials", json=wrong)
    assert statuses == [401, 401, 401, 429, 429]
    right = basic(alice.client_id, alice.client_secret)
    form = {
        "grant_type": "client_credentials",
        "client_id": alice.client_id,
        "client_secret": alice.client_secret,
    }
    answer = await gateway.post("/oauth2/v3/token", data=form)
    assert answer.status == 200, await answer.text()
    params = {"usage_point_id": point, "start": day_range(5)[0], "end": day_range(5)[1]}
    answer = await gateway.get(DAILY.path, params=params, headers={"Authorization": right})
    assert answer.status == 200, await answer.text()
    answer = await gateway.get(
        f"/contracts/{point}", headers={"Authorization": alice.client_secret}
    )
    assert answer.status == 200, await answer.text()
    assert (await gateway.get("/accounts/me", headers={"Authorization": right})).status == 200


# -- behind a reverse proxy, and sign-ups ---------------------------------------------------


def test_the_client_address_behind_trusted_proxies(services: Services) -> None:
    proxies = (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("::1"))
    assert resolve("203.0.113.9", ["198.51.100.1"], proxies) == "203.0.113.9"  # not a proxy
    assert resolve("10.0.0.2", ["198.51.100.1"], proxies) == "198.51.100.1"
    assert resolve("::ffff:10.0.0.2", ["198.51.100.1"], proxies) == "198.51.100.1"
    # the client wrote the left hops: the right-most hop not a proxy is the client
    assert resolve("10.0.0.2", ["1.2.3.4, 198.51.100.1, 10.0.0.7"], proxies) == "198.51.100.1"
    assert resolve("::1", ["1.2.3.4", "198.51.100.1"], proxies) == "198.51.100.1"
    assert resolve("10.0.0.2", ["not-an-address"], proxies) == "not-an-address"
    assert resolve("10.0.0.2", ["10.0.0.3"], proxies) == "10.0.0.3"
    assert resolve("10.0.0.2", [], proxies) == "10.0.0.2"
    assert resolve("10.0.0.2", ["198.51.100.1"], ()) == "10.0.0.2"  # none trusted: ignored
    with pytest.raises(ConfigError, match="TRUSTED_PROXIES"):
        Settings.from_env(services.env(TRUSTED_PROXIES="10.0.0.0/8,nginx"))


def _from(address: str) -> dict[str, str]:
    return {"X-Forwarded-For": f"198.51.100.77, {address}"}  # the left hop is forged


async def test_guesses_behind_a_proxy_throttle_their_client_not_everyone(
    aiohttp_client: Any, clean_services: Services
) -> None:
    """Security review: behind the compose file's nginx, ten bad requests from anyone
    blocked everyone's authentication (every request came from nginx's address)."""
    gateway = await gateway_with(
        aiohttp_client, clean_services, AUTH_MAX_FAILURES="3", TRUSTED_PROXIES="127.0.0.0/8"
    )
    guess = {"Authorization": basic("gw_unknown", "guessed-secret")}
    mallory = _from("203.0.113.1")
    statuses = await _statuses(gateway, 4, "GET", "/accounts/me", headers={**guess, **mallory})
    assert statuses == [401, 401, 401, 429]
    # another client behind the same proxy is not throttled by Mallory's guesses
    answer = await gateway.get("/accounts/me", headers={**guess, **_from("203.0.113.2")})
    assert answer.status == 401, await answer.text()
    # Mallory cannot escape with a forged hop: the right-most one is the proxy's record
    forged = {"X-Forwarded-For": "203.0.113.50, 203.0.113.1"}
    assert (await gateway.get("/accounts/me", headers={**guess, **forged})).status == 429


async def test_signups_are_throttled_per_address_and_globally(
    aiohttp_client: Any, clean_services: Services
) -> None:
    """Security review: each sign-up costs two argon2id hashes and was not throttled."""
    gateway = await gateway_with(
        aiohttp_client,
        clean_services,
        SIGNUP_ADDRESS_LIMIT="2",
        SIGNUP_GLOBAL_LIMIT="3",
        TRUSTED_PROXIES="127.0.0.1",
    )

    async def signup_from(address: str, number: int) -> Any:
        body = {"email": f"user{number}@example.org", "password": "a long enough password"}
        return await gateway.post("/accounts/signup", json=body, headers=_from(address))

    assert (await signup_from("203.0.113.1", 1)).status == 201
    assert (await signup_from("203.0.113.1", 2)).status == 201
    refused = await signup_from("203.0.113.1", 3)
    await _throttled(refused, "management")
    assert (await refused.json())["code"] == "too_many_signups"
    assert int(refused.headers["Retry-After"]) > 60  # the address's window: an hour
    # an address over its limit did not spend the global allowance: one more for another
    assert (await signup_from("203.0.113.2", 4)).status == 201
    await _throttled(await signup_from("203.0.113.3", 5), "management")


# -- tokens ------------------------------------------------------------------------------------


async def test_forged_tampered_and_expired_tokens_are_refused_on_every_surface(
    gateway: Any,
) -> None:
    alice = await ready_account(gateway)
    point = alice.usage_points[0]
    me = await gateway.get("/accounts/me", headers=alice.bearer)
    account_id = (await me.json())["account_id"]
    cache_key = account_cache_key(alice.client_secret, account_id)
    later = int(time.time()) + 600
    codec = TokenCodec(Keyring(TEST_SECRET_KEY))
    other = TokenCodec(Keyring("another-server-key-0123456789abcdefghijklmnop"))
    tokens = {
        "expired": codec.encode(
            TokenClaims(account_id, alice.client_id, 1, int(time.time()) - 1, cache_key)
        ),
        "other key": other.encode(TokenClaims(account_id, alice.client_id, 1, later, cache_key)),
        "tampered": alice.token[:-6]
        + ("AAAAAA" if not alice.token.endswith("AAAAAA") else "BBBBBB"),
        "flipped": alice.token[:20] + ("x" if alice.token[20] != "x" else "y") + alice.token[21:],
        "truncated": alice.token[: len(alice.token) // 2],
        "extended": alice.token + "AAAA",
        "garbage": "not-a-token",
        "empty": "",
        "jwt none": "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",
    }
    start, end = day_range(5)
    targets = [
        ("v5", DAILY.path, {"usage_point_id": point, "start": start, "end": end}),
        ("legacy", f"/contracts/{point}/cache", {}),
        ("management", "/pdl", {}),
    ]
    for name, value in tokens.items():
        for dialect, path, params in targets:
            answer = await gateway.get(
                path, params=params, headers={"Authorization": f"Bearer {value}"}
            )
            assert answer.status == 401, (name, path, answer.status)
            await assert_dialect(answer, dialect)
    # the genuine token still works everywhere
    for _, path, params in targets:
        assert (await gateway.get(path, params=params, headers=alice.bearer)).status == 200


_B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def other_spellings(token: str) -> list[str]:
    """Texts that lenient base64 decodes to the same bytes as ``token``: its last
    character with other values of the bits the decoder drops."""
    unused = {2: 4, 3: 2}.get(len(token) % 4, 0)  # dropped low bits of the last character
    index = _B64URL.index(token[-1])
    base = index & ~((1 << unused) - 1)
    return [token[:-1] + _B64URL[base | low] for low in range(1, 1 << unused)]


async def test_a_revoked_token_cannot_be_revived_by_another_spelling(gateway: Any) -> None:
    """Security review: the revocation was keyed on the token's text, and decoding accepted
    non-canonical base64, so ``...Q`` -> ``...R`` gave the same token, not revoked."""
    alice = await ready_account(gateway)
    token = alice.token
    spellings = other_spellings(token)
    assert spellings, "the token's length leaves no dropped bits: adjust the test"
    padding = "=" * (-len(token) % 4)
    for spelling in spellings:  # the same bytes, for a lenient decoder
        assert base64.urlsafe_b64decode(spelling + padding) == base64.urlsafe_b64decode(
            token + padding
        )
    assert (await gateway.post("/oauth2/v3/revoke", data={"token": token})).status == 200
    for value in (token, *spellings):
        answer = await gateway.get("/pdl", headers={"Authorization": f"Bearer {value}"})
        assert answer.status == 401, (value[-2:], await answer.text())
    # a non-canonical spelling of a live token is refused as well (one token, one text)
    fresh = await get_token(gateway, alice)
    assert (await gateway.get("/pdl", headers={"Authorization": f"Bearer {fresh}"})).status == 200
    for value in other_spellings(fresh):
        answer = await gateway.get("/pdl", headers={"Authorization": f"Bearer {value}"})
        assert answer.status == 401, value[-2:]


# -- nothing personal in logs, nothing in clear in Redis ---------------------------------------


class Captured:
    """Every record of the root logger: as the production handler writes it (JSON lines,
    redacted), and the raw messages before the redaction safety net."""

    def __init__(self) -> None:
        self.stream = io.StringIO()
        self.raw: list[str] = []

    def text(self) -> str:
        return self.stream.getvalue()


class _Raw(logging.Handler):
    def __init__(self, captured: Captured) -> None:
        super().__init__(logging.DEBUG)
        self.captured = captured

    def emit(self, record: logging.LogRecord) -> None:
        extras = {k: v for k, v in vars(record).items() if k not in _RESERVED}
        self.captured.raw.append(f"{record.getMessage()} {extras} {record.exc_text or ''}")


_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message"}


@pytest.fixture
def captured() -> Iterator[Captured]:
    captured = Captured()
    production = logging.StreamHandler(captured.stream)
    production.setFormatter(JsonFormatter())
    production.addFilter(RedactingFilter())
    raw = _Raw(captured)
    root = logging.getLogger()
    previous = root.level
    root.addHandler(raw)  # first: it sees the records before the filter rewrites them
    root.addHandler(production)
    root.setLevel(logging.DEBUG)
    try:
        yield captured
    finally:
        root.removeHandler(production)
        root.removeHandler(raw)
        root.setLevel(previous)


async def test_no_secret_in_logs_or_in_clear_in_redis_after_a_workload(
    aiohttp_client: Any, clean_services: Services, captured: Captured
) -> None:
    settings = Settings.from_env(
        clean_services.env(ADMIN_API_KEY=ADMIN_KEY, AUTH_MAX_FAILURES="100", LOG_LEVEL="DEBUG")
    )
    server = TestServer(build_app(settings))
    await server.start_server(**access_log_kwargs())
    gateway = await aiohttp_client(server)
    password = "a password nobody should read"
    alice = await signup(gateway, "alice.secret@example.org", password)
    await consent(gateway, alice)
    await get_token(gateway, alice)
    bob = await ready_account(gateway, "consumption_only")
    secrets: list[str] = [alice.client_secret, bob.client_secret, alice.token, bob.token]
    point = alice.usage_points[0]
    start, end = day_range(20, 10)
    # v5: every endpoint, Bearer and Basic, plus errors
    for endpoint in ENDPOINTS:
        params = {"usage_point_id": point}
        if endpoint.is_ranged:
            params.update(start=start, end=end)
        for headers in (
            alice.bearer,
            {"Authorization": basic(alice.client_id, alice.client_secret)},
        ):
            await gateway.get(endpoint.path, params=params, headers=headers)
    await gateway.get(
        DAILY.path, params={"usage_point_id": bob.usage_points[0]}, headers=alice.bearer
    )
    # legacy: raw secret, cache, purge, valid access, a wrong secret
    raw = {"Authorization": alice.client_secret}
    await gateway.get(f"/valid_access/{point}", headers=raw)
    await gateway.get(f"/daily_consumption/{point}/start/{start}/end/{end}/cache", headers=raw)
    await gateway.delete(f"/daily_consumption/{point}/start/{start}/end/{end}/cache", headers=raw)
    await gateway.get(f"/contracts/{point}/cache", headers=raw)
    await gateway.get(f"/identity/{point}", headers={"Authorization": "wrong-secret-value-123"})
    # management: me, pdl, rename, credentials, rotation, revocation, admin, failures
    await gateway.get("/accounts/me", headers=alice.bearer)
    await gateway.patch(f"/pdl/{point}", json={"name": "home"}, headers=alice.bearer)
    await gateway.post("/accounts/credentials", json={"password": password}, headers=alice.bearer)
    await gateway.post(
        "/accounts/credentials", json={"email": alice.email, "password": "wrong password here"}
    )
    answer = await gateway.post(
        "/accounts/secret/rotate", json={"password": bob.password}, headers=bob.bearer
    )
    secrets.append((await answer.json())["client_secret"])
    answer = await gateway.post(
        "/oauth2/v3/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": basic(alice.client_id, alice.client_secret)},
    )
    extra_token = (await answer.json())["access_token"]
    secrets.append(extra_token)
    await gateway.post("/oauth2/v3/revoke", data={"token": extra_token})
    await gateway.get("/pdl", headers={"Authorization": f"Bearer {extra_token}"})
    await gateway.get("/admin/accounts", headers={"ADMIN_API_KEY": ADMIN_KEY})
    await gateway.get("/admin/accounts", headers={"ADMIN_API_KEY": "wrong-admin-key-0123"})
    await gateway.delete(f"/pdl/{alice.usage_points[1]}", headers=alice.bearer)
    await gateway.delete("/accounts/me", json={"password": bob.password}, headers=bob.bearer)

    # what a log line must never hold
    personal = [
        *secrets,
        password,
        bob.password,
        ADMIN_KEY,
        TEST_SECRET_KEY,
        alice.email,
        bob.email,
        *alice.usage_points,
        *bob.usage_points,
    ]

    async def logged() -> bool:  # access lines are written just after each answer
        return "DELETE /accounts/me" in captured.text()

    await poll(logged)
    text = captured.text()
    lines = [json.loads(line) for line in text.splitlines() if line]
    assert len(lines) > 40, "the workload was logged"
    for value in personal:
        assert value not in text, f"{value[:12]}... in the logs"
    raw_leaks = [line for line in captured.raw for value in personal if value in line]
    assert not raw_leaks, raw_leaks[:5]  # not even before the redaction safety net
    assert not re.search(r"(?<![0-9])[0-9]{14}(?![0-9])", text)

    store = _redis_dump(clean_services)
    assert store, "the workload left keys in Redis"
    for secret in [*secrets, ADMIN_KEY]:
        for form in _forms(secret):
            assert form not in store, f"{secret[:8]}... in Redis"
    for value in (
        password,
        bob.password,
        alice.email,
        bob.email,
        *alice.usage_points,
        *bob.usage_points,
    ):
        assert value.encode() not in store
    assert b"interval_reading" not in store and b"meter_reading" not in store


# -- CORS -------------------------------------------------------------------------------------


async def test_cors_is_closed_by_default(gateway: Any) -> None:
    alice = await ready_account(gateway)
    origin = {"Origin": "https://evil.example"}
    for method, path, headers in [
        ("GET", "/health/live", origin),
        ("GET", "/pdl", {**origin, **alice.bearer}),
        ("GET", f"/contracts/{alice.usage_points[0]}/cache", {**origin, **alice.bearer}),
        ("POST", "/oauth2/v3/token", origin),
    ]:
        answer = await gateway.request(method, path, headers=headers)
        assert not [h for h in answer.headers if h.lower().startswith("access-control-")]
    preflight = await gateway.options(
        "/pdl", headers={**origin, "Access-Control-Request-Method": "GET"}
    )
    assert preflight.status >= 400
    assert "Access-Control-Allow-Origin" not in preflight.headers


async def test_cors_echoes_only_listed_origins(
    aiohttp_client: Any, clean_services: Services
) -> None:
    allowed = "https://app.example"
    gateway = await gateway_with(
        aiohttp_client, clean_services, CORS_ORIGINS=f"{allowed},https://other.example"
    )
    alice = await ready_account(gateway)
    preflight = await gateway.options(
        "/metering_data_dc/v5/daily_consumption",
        headers={
            "Origin": allowed,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )
    assert preflight.status == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == allowed
    assert "GET" in preflight.headers["Access-Control-Allow-Methods"]
    assert "authorization" in preflight.headers["Access-Control-Allow-Headers"].lower()
    answer = await gateway.get("/pdl", headers={"Origin": allowed, **alice.bearer})
    assert answer.status == 200
    assert answer.headers["Access-Control-Allow-Origin"] == allowed
    assert "X-Request-ID" in answer.headers["Access-Control-Expose-Headers"]
    assert "Origin" in answer.headers.getall("Vary")
    # errors carry it too (a browser client must be able to read them)
    answer = await gateway.get("/pdl", headers={"Origin": allowed})
    assert answer.status == 401 and answer.headers["Access-Control-Allow-Origin"] == allowed
    # any other origin: no CORS header, and its preflight is not answered
    for origin in ("https://evil.example", "https://app.example.evil.example", "null"):
        answer = await gateway.get("/pdl", headers={"Origin": origin, **alice.bearer})
        assert "Access-Control-Allow-Origin" not in answer.headers
        preflight = await gateway.options(
            "/pdl", headers={"Origin": origin, "Access-Control-Request-Method": "GET"}
        )
        assert preflight.status >= 400
        assert "Access-Control-Allow-Origin" not in preflight.headers


# -- security headers on HTML pages -----------------------------------------------------------


def assert_html_security_headers(answer: Any) -> str:
    headers = answer.headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    # the web pages send their own origin with their forms (the anti-forgery check), never
    # to another site
    assert headers["Referrer-Policy"] in {"no-referrer", "same-origin"}
    policy: str = headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-eval" not in policy
    assert "'unsafe-inline'" not in policy.split("script-src", 1)[1].split(";", 1)[0]
    return policy


async def test_security_headers_on_html_pages(gateway: Any) -> None:
    docs = await gateway.get("/docs")
    assert docs.status == 200 and docs.content_type == "text/html"
    policy = assert_html_security_headers(docs)
    # the page's inline script is allowed by its hash, and only it
    assert policy.count("'sha256-") == (await docs.text()).count("<script>")
    alice = await signup(gateway)
    await get_token(gateway, alice)
    callback = await gateway.get(
        "/oauth/callback", params={"code": "x", "state": "forged"}, headers={"Accept": "text/html"}
    )
    assert callback.status == 400 and callback.content_type == "text/html"
    assert_html_security_headers(callback)
    # a consent page (this client holds no session of the account: "sign in to finish")
    answer = await gateway.get(
        "/oauth/authorize", headers={**alice.bearer, "Accept": "application/json"}
    )
    query = await enedis_redirect((await answer.json())["url"])
    page = await gateway.get("/oauth/callback", params=query, headers={"Accept": "text/html"})
    assert page.status == 200 and page.content_type == "text/html", await page.text()
    assert_html_security_headers(page)
    # JSON answers: nosniff, and no HTML policy needed
    api = await gateway.get("/health/live")
    assert api.headers["X-Content-Type-Options"] == "nosniff"


# -- small ones: caching, HSTS, banner, ops paths, request ids --------------------------------


async def test_personal_data_is_never_stored_by_caches(gateway: Any) -> None:
    """Every answer of a route that carries personal data says ``Cache-Control: no-store``:
    data routes of the v5 and legacy surfaces, the account, its usage points, credentials."""
    alice = await ready_account(gateway)
    point = alice.usage_points[0]
    start, end = day_range(5)
    right = {"Authorization": basic(alice.client_id, alice.client_secret)}
    password = {"email": alice.email, "password": alice.password}
    answers = {
        "v5 data": await gateway.get(
            DAILY.path,
            params={"usage_point_id": point, "start": start, "end": end},
            headers=alice.bearer,
        ),
        "v5 identity": await gateway.get(
            "/customers_upc/v5/usage_points/contracts",
            params={"usage_point_id": point},
            headers=alice.bearer,
        ),
        "legacy contracts": await gateway.get(f"/contracts/{point}", headers=alice.bearer),
        "legacy identity (cache)": await gateway.get(
            f"/identity/{point}/cache", headers={"Authorization": alice.client_secret}
        ),
        "legacy data": await gateway.get(
            f"/daily_consumption/{point}/start/{start}/end/{end}", headers=right
        ),
        "another's point": await gateway.get(f"/contracts/{'1' * 14}", headers=alice.bearer),
        "account": await gateway.get("/accounts/me", headers=alice.bearer),
        "usage points": await gateway.get("/pdl", headers=alice.bearer),
        "credentials": await gateway.post("/accounts/credentials", json=password),
        "token": await gateway.post(
            "/oauth2/v3/token", data={"grant_type": "client_credentials"}, headers=right
        ),
    }
    for name, answer in answers.items():
        assert answer.status < 500, (name, answer.status)
        assert answer.headers.get("Cache-Control") == "no-store", (name, answer.headers)
    # the public routes stay cacheable
    assert "Cache-Control" not in (await gateway.get("/health/live")).headers


async def test_hsts_with_an_https_public_url_and_no_server_banner(
    aiohttp_client: Any, clean_services: Services, gateway: Any
) -> None:
    secure = await gateway_with(aiohttp_client, clean_services, PUBLIC_URL="https://gw.example")
    for path in ("/health/live", "/no/such/path", "/accounts/me"):
        answer = await secure.get(path)
        assert answer.headers["Strict-Transport-Security"].startswith("max-age="), path
        assert "Strict-Transport-Security" not in (await gateway.get(path)).headers, path
    for answer in (
        await gateway.get("/health/live"),
        await gateway.get("/no/such/path"),
        await gateway.post("/health/live"),
        await gateway.get("/accounts/me"),
        await gateway.get(DAILY.path),
    ):
        banner = answer.headers.get("Server", "")
        assert "aiohttp" not in banner and "Python" not in banner, banner


async def test_ops_routes_have_no_trailing_slash_twins(gateway: Any) -> None:
    """``/metrics/`` slipped past the compose file's ``location = /metrics`` block."""
    for path in ("/metrics", "/health/live", "/health/ready", "/openapi.json"):
        assert (await gateway.get(path)).status == 200, path
        assert (await gateway.get(path + "/")).status == 404, path


def test_request_ids_are_checked_whole() -> None:
    from gateway.observability.request_id import accept_or_generate

    assert accept_or_generate("req-1.A_b") == "req-1.A_b"
    for bad in ("req-1\n", "req 1", "a" * 129, "", "r\u00e9q"):
        assert accept_or_generate(bad) != bad, repr(bad)
