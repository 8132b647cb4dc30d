"""One JSON access line per request, X-Request-ID, and the redaction safety net."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from gateway.logs import (
    REDACTED,
    JsonFormatter,
    JsonLinesHandler,
    RedactingFilter,
    configure_logging,
    deferring_handler,
    redact,
)
from tests.ops.conftest import LogLines, access_line
from tests.support.journey import get_token, signup

PDL = "09100000000001"


async def test_one_access_line_per_request(served_gateway: Any, log_lines: LogLines) -> None:
    answer = await served_gateway.get("/health/live", headers={"X-Request-ID": "req-1.A_b"})
    assert answer.status == 200
    line = await log_lines.wait_for(access_line("GET", "/health/live"))
    assert line["request_id"] == "req-1.A_b"
    assert line["status"] == 200
    assert isinstance(line["latency_ms"], int | float) and line["latency_ms"] >= 0
    assert line["cache_status"] is None
    assert line["account_id"] is None
    assert line["level"] == "info"
    assert line["message"] == "GET /health/live 200"


async def test_access_line_has_template_account_and_no_personal_data(
    served_gateway: Any, log_lines: LogLines
) -> None:
    account = await signup(served_gateway)
    await get_token(served_gateway, account)
    me = await served_gateway.get("/accounts/me", headers=account.bearer)
    assert me.status == 200, await me.text()
    account_id = (await me.json()).get("account_id") or (await me.json()).get("id")
    line = await log_lines.wait_for(access_line("GET", "/accounts/me"))
    assert line["status"] == 200
    assert line["account_id"] and line["account_id"] == account_id

    answer = await served_gateway.patch(f"/pdl/{PDL}", headers=account.bearer, json={"name": "x"})
    line = await log_lines.wait_for(access_line("PATCH", "/pdl/{usage_point_id}"))
    assert line["status"] == answer.status

    await log_lines.wait_for(access_line("POST", "/oauth2/v3/token"))
    text = log_lines.text()
    for secret in (PDL, account.email, account.client_secret, account.password, account.token):
        assert secret not in text


async def test_request_id_is_echoed_or_generated(gateway: Any) -> None:
    answer = await gateway.get("/health/live", headers={"X-Request-ID": "abc-123"})
    assert answer.headers["X-Request-ID"] == "abc-123"

    for bad in ("x" * 129, "has space", "semi;colon", "é"):
        answer = await gateway.get("/health/live", headers={"X-Request-ID": bad})
        generated = answer.headers["X-Request-ID"]
        assert generated != bad
        uuid.UUID(generated)

    answer = await gateway.get("/health/live")
    uuid.UUID(answer.headers["X-Request-ID"])
    ok_128 = "a" * 128
    answer = await gateway.get("/health/live", headers={"X-Request-ID": ok_128})
    assert answer.headers["X-Request-ID"] == ok_128

    # errors too, in every dialect
    for path in ("/nowhere", "/metering_data_dc/v5/daily_consumption", "/accounts/me"):
        answer = await gateway.get(path, headers={"X-Request-ID": "err-1"})
        assert answer.status >= 400
        assert answer.headers["X-Request-ID"] == "err-1"


def test_redact_masks_secrets_emails_and_usage_points() -> None:
    secret = "Jx3kP9qLr2Vt8sWz4Yb6Nc1Md5Fg7Hh0KjQw_-aBcD"  # token_urlsafe(32)
    cases = {
        f"point {PDL} failed": "point [usage_point] failed",
        "mail alice.smith+x@example.co.uk now": "mail [email] now",
        f"Authorization: Bearer {secret}": f"Authorization: {REDACTED}",
        "auth Basic Z3dfYWJjOnNlY3JldA==": f"auth Basic {REDACTED}",
        "password=hunter2hunter2 ok": f"password={REDACTED} ok",
        '{"client_secret": "abc", "x": 1}': f'{{"client_secret": "{REDACTED}", "x": 1}}',
        "/oauth/callback?code=abc123&state=xyz": f"/oauth/callback?code={REDACTED}&state={REDACTED}",
        f"leaked {secret}": f"leaked {REDACTED}",
        "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig": f"jwt {REDACTED}",
    }
    for raw, expected in cases.items():
        assert redact(raw) == expected, raw
    # what must survive: UUIDs (account and request ids), templates, ordinary numbers
    kept = (
        "account 21aa265f-4634-44e6-baf3-ebd311a93852",
        "GET /metering_data_dc/v5/daily_consumption 200",
        "GET /daily_consumption/{usage_point_id}/start/{start}/end/{end} 404",
        "took 1234 ms, 2024-01-01, token_version=3",
        "request_id=req-1.A_b",
    )
    for text in kept:
        assert redact(text) == text


def test_the_filter_redacts_message_args_extras_and_exceptions() -> None:
    formatter = JsonFormatter()
    redacting = RedactingFilter()
    try:
        raise ValueError(f"bad usage point {PDL} for bob@example.com")
    except ValueError:
        exc_info = sys.exc_info()
    record = logging.LogRecord(
        "gateway.test", logging.WARNING, __file__, 1, "login %s with %s", ("bob@example.com", PDL),
        exc_info,
    )  # fmt: skip
    record.client_secret = "anything-at-all"
    record.usage_point_id = PDL
    record.usage_point_number = int(PDL)
    record.nested = {"password": "x", "emails": ["carol@example.org"], "count": 3}
    assert redacting.filter(record)
    line = formatter.format(record)
    assert PDL not in line and "@example" not in line and "anything-at-all" not in line
    assert re.search(r'"message": "login \[email\] with \[usage_point\]"', line)
    assert '"client_secret": "[redacted]"' in line
    assert '"count": 3' in line
    assert "ValueError: bad usage point [usage_point] for [email]" in line


@pytest.fixture
def production_logging() -> Iterator[io.StringIO]:
    """The process' logging as ``gateway serve`` configures it, on a stream of the test."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    stream = io.StringIO()
    configure_logging("INFO", stream)
    try:
        yield stream
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)


def _lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line]


async def test_access_lines_are_batched_and_equal_to_the_record_lines(
    served_gateway: Any, production_logging: io.StringIO
) -> None:
    """Under the production handler the access line is written in a batch, without a
    record, and is the line the formatter makes of the record (same keys, same order)."""
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, JsonLinesHandler)
    ids = ("batched-1", f"leak-{PDL}")  # a client id that looks like a meter is masked
    for request_id in ids:
        answer = await served_gateway.get("/health/live", headers={"X-Request-ID": request_id})
        assert answer.status == 200
    deadline = time.monotonic() + 10
    while len(_lines(production_logging)) < 2:  # written within ACCESS_FLUSH_SECONDS
        assert time.monotonic() < deadline, production_logging.getvalue()
        await asyncio.sleep(0.01)
    batched = _lines(production_logging)
    assert [line["request_id"] for line in batched] == ["batched-1", "leak-[usage_point]"]
    assert PDL not in production_logging.getvalue()

    # the same request through a record (another handler present: no batching)
    captured = io.StringIO()
    other = logging.StreamHandler(captured)
    other.setFormatter(JsonFormatter())
    other.addFilter(RedactingFilter())
    logging.getLogger().addHandler(other)
    try:
        await served_gateway.get("/health/live", headers={"X-Request-ID": "batched-1"})
        deadline = time.monotonic() + 10
        while not _lines(captured):
            assert time.monotonic() < deadline
            await asyncio.sleep(0.01)
    finally:
        logging.getLogger().removeHandler(other)
    recorded = _lines(captured)[0]
    assert list(recorded) == list(batched[0])
    differing = {key for key in recorded if recorded[key] != batched[0][key]}
    assert differing <= {"ts", "latency_ms"}, differing


def test_a_record_comes_after_the_access_lines_before_it(
    production_logging: io.StringIO,
) -> None:
    """Pending access lines are written before any other record, and on flush."""
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, JsonLinesHandler)

    async def scenario() -> None:
        handler.defer({"message": "first"})
        assert production_logging.getvalue() == ""  # kept for the batch
        logging.getLogger("gateway.test").warning("second")
        handler.defer({"message": "third"})

    asyncio.run(scenario())
    logging.getLogger().handlers[0].flush()  # what logging.shutdown does at exit
    assert [line["message"] for line in _lines(production_logging)] == [
        "first",
        "second",
        "third",
    ]


def test_only_the_production_handler_alone_takes_deferred_lines() -> None:
    access = logging.getLogger("gateway.access")
    root = logging.getLogger()
    saved = root.handlers[:]
    try:
        root.handlers[:] = [JsonLinesHandler(io.StringIO())]
        assert deferring_handler(access) is root.handlers[0]
        root.handlers.append(logging.StreamHandler(io.StringIO()))
        assert deferring_handler(access) is None
        root.handlers[:] = [logging.StreamHandler(io.StringIO())]
        assert deferring_handler(access) is None
    finally:
        root.handlers[:] = saved
