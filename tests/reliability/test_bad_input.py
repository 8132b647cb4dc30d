"""Bad input on every surface: each gets a clear 4xx in the surface's dialect (v5
``{error, error_description}``, legacy ``{detail}``, management problem+json), never a
5xx nor a stack trace. Oversized request lines and headers are refused by the HTTP parser
of a served replica, before any route: a 4xx through a real socket."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import pytest

from gateway.app import build_app
from gateway.config import Settings
from tests.conftest import Services
from tests.reliability.conftest import assert_dialect, replicas
from tests.reliability.workload import DAILY
from tests.support.journey import Account, ready_account

JSON = {"Content-Type": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
LONE_SURROGATE = '"\\ud800"'  # valid JSON, not valid text
TOO_BIG = 70_000  # over MAX_BODY_BYTES (64 KiB)
DEEP = b"[" * 5000 + b"]" * 5000  # nested beyond Python's recursion limit, under the size limit


def basic(raw: bytes) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


BAD_BASIC = [
    {"Authorization": "Basic !!!not-base64"},
    {"Authorization": "Basic"},
    basic(b"no-colon"),
    basic(b":only-secret"),
    basic(b"\xff\xfe:\xff"),  # not UTF-8
    basic("gw_\u00e9t\u00e9:s\u00e9cret".encode()),
    basic(b"gw_\x00:secret\x00"),
]


@pytest.fixture
async def account(gateway: Any) -> Account:
    return await ready_account(gateway)


def v5_query(point: str, start: str = "2024-01-01", end: str = "2024-01-08") -> dict[str, str]:
    return {"usage_point_id": point, "start": start, "end": end}


async def test_v5_data_parameters(gateway: Any, account: Account) -> None:
    point = account.usage_points[0]
    queries = [
        {"usage_point_id": "../../etc/passwd", "start": "2024-01-01", "end": "2024-01-05"},
        {"usage_point_id": "..%2F..%2Fetc%2Fpasswd"},
        {"usage_point_id": "\uff10\uff19100000000001"},  # full-width digits
        {"usage_point_id": "0910000000000\u0661"},  # an Arabic-Indic digit
        {"usage_point_id": "9" * 5000},
        {"usage_point_id": ""},
        {},
        v5_query(point, "1900-01-01", "2100-01-01"),  # huge range
        v5_query(point, "0001-01-01", "9999-12-31"),
        v5_query(point, "2024-13-45", "2024-14-01"),
        v5_query(point, "2024-01-08", "2024-01-01"),  # reversed
        v5_query(point, "\u0662\u0660\u0662\u0664-01-01", "2024-01-08"),
        v5_query(point, "2024-01-01T00:00:00", "2024-01-08"),
        v5_query(point, "x" * 2_000, "2024-01-08"),
    ]
    for params in queries:
        answer = await gateway.get(DAILY.path, params=params, headers=account.bearer)
        await assert_dialect(answer, "v5")
    for raw in ("usage_point_id=%ED%A0%80&start=%FF&end=2024-01-01", "usage_point_id=%00"):
        answer = await gateway.get(f"{DAILY.path}?{raw}", headers=account.bearer)
        await assert_dialect(answer, "v5")


async def test_v5_token_endpoint_bodies(gateway: Any) -> None:
    cases: list[tuple[dict[str, str], bytes]] = [
        (JSON, b"{not json"),
        (JSON, b"[1, 2]"),
        (JSON, b'"a string"'),
        (JSON, b"\xff\xfe"),
        (
            JSON,
            b'{"grant_type": "client_credentials", "client_id": '
            + LONE_SURROGATE.encode()
            + b', "client_secret": '
            + LONE_SURROGATE.encode()
            + b"}",
        ),
        ({"Content-Type": "text/plain"}, b"grant_type=client_credentials"),
        ({"Content-Type": "application/xml"}, b"<grant/>"),
        (FORM, b"grant_type=client_credentials&client_id=%ED%A0%80&client_secret=%FF"),
        (FORM, b"grant_type=client_credentials&client_id=%00&client_secret=x%00y"),
        (
            JSON,
            b'{"grant_type": "client_credentials", "client_id": "\\u0000", "client_secret": "s"}',
        ),
        (FORM, b"grant_type=client_credentials&client_id=" + b"a" * TOO_BIG),
        (FORM, b"grant_type=password&username=x&password=y"),
        (FORM, b"grant_type=client_credentials&client_id=gw_x&client_secret=" + b"s" * 5000),
    ]
    for headers, body in cases:
        answer = await gateway.post("/oauth2/v3/token", data=body, headers=headers)
        await assert_dialect(answer, "v5")
    for headers in BAD_BASIC:
        answer = await gateway.post(
            "/oauth2/v3/token", data={"grant_type": "client_credentials"}, headers=headers
        )
        await assert_dialect(answer, "v5")
        answer = await gateway.get(DAILY.path, params=v5_query("09100000000001"), headers=headers)
        await assert_dialect(answer, "v5")


async def test_v5_token_endpoint_deeply_nested_json(gateway: Any) -> None:
    answer = await gateway.post("/oauth2/v3/token", data=DEEP, headers=JSON)
    await assert_dialect(answer, "v5")


UNPARSABLE_BODIES: list[tuple[str, bytes]] = [
    ("multipart/form-data", b"grant_type=client_credentials"),  # no boundary
    ("multipart/form-data; boundary=xx", b"not a multipart body"),
    ("multipart/form-data; boundary=xx", b"--xx\r\nContent-Disposition: form-data; name=a"),
    (
        "multipart/form-data; boundary=xx",
        b"--xx\r\nContent-Disposition: form-data; name=token\r\n\r\n\xff\r\n--xx--\r\n",
    ),
    ("application/x-www-form-urlencoded; charset=foo", b"grant_type=client_credentials"),
    ("application/x-www-form-urlencoded; charset=utf-8", b"grant_type=\xff\xfe"),
    ("application/x-www-form-urlencoded", b"token=\xc3\x28&grant_type=client_credentials"),
    ("application/json; charset=foo", b'{"grant_type": "client_credentials"}'),
    ("application/json; charset=utf-8", b'{"token": "\xff"}'),
    ("multipart/mixed", b"x"),
    ("text/plain; charset=foo", b"x"),
]


async def test_unparsable_bodies_on_every_route_that_reads_one(
    gateway: Any, account: Account
) -> None:
    """Malformed content types, unknown charsets and bytes that are not UTF-8: a 400 (or
    415) in the route's dialect on every route that reads a body, never a 500."""
    point = account.usage_points[0]
    routes = [
        ("POST", "/oauth2/v3/token", {}, "v5"),
        ("POST", "/accounts/token", {}, "v5"),
        ("POST", "/oauth2/v3/revoke", {}, "v5"),
        ("POST", "/accounts/signup", {}, "management"),
        ("POST", "/accounts/credentials", {}, "management"),
        ("POST", "/accounts/secret/rotate", account.bearer, "management"),
        ("DELETE", "/accounts/me", account.bearer, "management"),
        ("PATCH", f"/pdl/{point}", account.bearer, "management"),
    ]
    for method, path, auth, dialect in routes:
        for content_type, body in UNPARSABLE_BODIES:
            answer = await gateway.request(
                method, path, data=body, headers={**auth, "Content-Type": content_type}
            )
            await assert_dialect(answer, dialect)
    answer = await gateway.post(
        "/oauth2/v3/token", data=b"x", headers={"Content-Type": "multipart/form-data"}
    )
    assert answer.status == 400
    assert (await answer.json())["error"] == "invalid_request"
    # the account survived all of it
    assert (await gateway.get("/pdl", headers=account.bearer)).status == 200


async def test_legacy_paths_and_credentials(gateway: Any, account: Account) -> None:
    point = account.usage_points[0]
    paths = [
        "/contracts/..%2F..%2Fetc%2Fpasswd",
        "/contracts/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "/contracts/%EF%BC%90%EF%BC%99100000000001",  # full-width digits
        "/contracts/%FF",
        "/contracts/%ED%A0%80",
        "/contracts/" + "9" * 5000,
        "/valid_access/%00",
        f"/daily_consumption/{point}/start/1900-01-01/end/2100-01-01",
        f"/daily_consumption/{point}/start/0001-01-01/end/9999-12-31/cache",
        f"/daily_consumption/{point}/start/2024-13-45/end/2024-14-01",
        f"/daily_consumption/{point}/start/%FF/end/2024-01-01",
        f"/consumption_load_curve/{point}/start/2024-01-08/end/2024-01-01",
        f"/daily_consumption/{point}/start/2024-01-01/end/2024-01-08/../../../../etc/passwd",
    ]
    for path in paths:
        answer = await gateway.get(path, headers=account.bearer)
        text = await answer.text()
        assert 400 <= answer.status < 500, (path, answer.status, text)
        assert "Traceback" not in text
        if answer.status != 404:  # a path outside every route is answered by its prefix
            await assert_dialect(answer, "legacy")
    for headers in [
        *BAD_BASIC,
        {"Authorization": "\u00ff\u00ff\u00e9 not a secret"},
        {"Authorization": "Bearer \u00ff\u00ff"},
        {"Authorization": "x" * 5000},
        {"Authorization": ""},
    ]:
        answer = await gateway.get(f"/contracts/{point}", headers=headers)
        await assert_dialect(answer, "legacy")


async def test_management_bodies_and_parameters(gateway: Any, account: Account) -> None:
    point = account.usage_points[0]
    signups: list[tuple[dict[str, str], bytes]] = [
        (JSON, b"{not json"),
        (JSON, b"[1, 2]"),
        (JSON, b"null"),
        (JSON, b"\xff\xfe{}"),
        (JSON, DEEP),
        (JSON, b'{"email": "a@b.org", "password": ' + b"[" * 3000 + b"]" * 3000 + b"}"),
        (JSON, b'{"email": "x@example.org", "password": 1e400}'),
        (JSON, b'{"email": "x@example.org", "password": ' + LONE_SURROGATE.encode() + b"}"),
        (JSON, b'{"email": "x@example.org", "password": "long enough \\ud800 password"}'),
        (JSON, b'{"email": "x@example.org", "password": "long enough \\u0000 password"}'),
        (JSON, b'{"email": "x\\u0000@example.org", "password": "long enough password"}'),
        (JSON, b'{"email": "' + b"a" * 10_000 + b'@example.org", "password": "long password"}'),
        (JSON, b'{"email": "' + b"x" * TOO_BIG + b'"}'),
        ({"Content-Type": "text/plain"}, b'{"email": "a@b.org", "password": "long password"}'),
        (FORM, b"email=a%40b.org&password=long+password"),
        ({}, b""),
    ]
    for headers, body in signups:
        answer = await gateway.post("/accounts/signup", data=body, headers=headers)
        await assert_dialect(answer, "management")
    confirmed = [
        ("POST", "/accounts/credentials"),
        ("POST", "/accounts/secret/rotate"),
        ("DELETE", "/accounts/me"),
    ]
    for method, path in confirmed:
        for body in (
            b'{"password": ' + LONE_SURROGATE.encode() + b"}",
            DEEP,
            b"{bad",
        ):
            answer = await gateway.request(
                method, path, data=body, headers={**account.bearer, **JSON}
            )
            await assert_dialect(answer, "management")
    renames: list[tuple[str, bytes]] = [
        (f"/pdl/{point}", b'{"name": ' + LONE_SURROGATE.encode() + b"}"),
        (f"/pdl/{point}", b'{"name": "' + "\u00e9".encode() * 40_000 + b'"}'),
        (f"/pdl/{point}", b'{"name": 12}'),
        (f"/pdl/{point}", b'{"name": "home\\u0000"}'),
        ("/pdl/..%2F..%2Fetc%2Fpasswd", b'{"name": "x"}'),
        ("/pdl/%EF%BC%90%EF%BC%99100000000001", b'{"name": "x"}'),
        ("/pdl/%FF", b'{"name": "x"}'),
    ]
    for path, body in renames:
        answer = await gateway.patch(path, data=body, headers={**account.bearer, **JSON})
        await assert_dialect(answer, "management")
    for headers in BAD_BASIC:
        await assert_dialect(await gateway.get("/accounts/me", headers=headers), "management")
    answer = await gateway.get("/admin/accounts?limit=%FF&offset=-1", headers=account.bearer)
    await assert_dialect(answer, "management")
    # the account survived all of it
    answer = await gateway.get("/pdl", headers=account.bearer)
    assert answer.status == 200
    assert [p["name"] for p in (await answer.json())["usage_points"]] == [None, None]


async def _raw_exchange(port: int, request: bytes) -> tuple[int, bytes]:
    """Send ``request`` on a fresh connection; the status line's code and the answer."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        await writer.drain()
        answer = await asyncio.wait_for(reader.read(65536), 10)
    finally:
        writer.close()
    status_line = answer.split(b"\r\n", 1)[0]
    return int(status_line.split(b" ")[1]), answer


@pytest.mark.slow
async def test_oversized_request_lines_and_headers_through_a_socket(
    clean_services: Services,
) -> None:
    async with replicas(clean_services) as (served,):
        host = f"Host: 127.0.0.1:{served.port}\r\n".encode()
        requests = {
            "long header": b"GET /health/live HTTP/1.1\r\n"
            + host
            + b"X-Big: "
            + b"a" * 100_000
            + b"\r\n\r\n",
            "long Authorization": b"GET "
            + DAILY.path.encode()
            + b" HTTP/1.1\r\n"
            + host
            + b"Authorization: Bearer "
            + b"t" * 20_000
            + b"\r\n\r\n",
            "many headers": b"GET /health/live HTTP/1.1\r\n"
            + host
            + b"".join(b"X-H%d: %s\r\n" % (n, b"v" * 100) for n in range(500))
            + b"\r\n",
            "long request line": b"GET /contracts/"
            + b"9" * 100_000
            + b" HTTP/1.1\r\n"
            + host
            + b"\r\n",
            "declared huge body": b"POST /accounts/signup HTTP/1.1\r\n"
            + host
            + b"Content-Type: application/json\r\nContent-Length: 100000000\r\n\r\n{",
            "bad chunked": b"POST /accounts/signup HTTP/1.1\r\n"
            + host
            + b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        }
        statuses = {}
        for name, raw in requests.items():
            status, answer = await _raw_exchange(served.port, raw)
            statuses[name] = status
            assert 400 <= status < 500, (name, answer[:500])
            assert b"Traceback" not in answer
            # no software banner, even on the answers aiohttp makes before any route
            head = answer.split(b"\r\n\r\n", 1)[0].lower()
            assert b"aiohttp" not in head and b"python" not in head, (name, head)
        # the only one that reaches the gateway: refused on its Content-Length, in dialect
        assert statuses["declared huge body"] == 413
        # the replica is unharmed
        status, _ = await _raw_exchange(
            served.port, b"GET /health/live HTTP/1.1\r\n" + host + b"\r\n"
        )
        assert status == 200
    print(f"oversized through a socket: {statuses}")


async def test_admin_listing_with_an_enormous_offset(
    aiohttp_client: Any, clean_services: Services
) -> None:
    key = "bad-input-admin-key-0123456789-0123"
    settings = Settings.from_env(clean_services.env(ADMIN_API_KEY=key))
    gateway = await aiohttp_client(build_app(settings))
    answer = await gateway.get(
        "/admin/accounts", params={"offset": str(10**21)}, headers={"ADMIN_API_KEY": key}
    )
    await assert_dialect(answer, "management")
