"""Logging: one JSON object per line on stderr, with a redaction safety net.

Code must never log a secret, token, password, email or usage point id. As a second line
of defence every record that reaches the handler goes through ``RedactingFilter``, which
masks anything that looks like one (in the message, its arguments, the extra fields and the
exception text). The id of the request being handled, when there is one, is added to every
line (``request_id``).

The production handler (``configure_logging``: ``JsonLinesHandler`` on stderr) writes the
access lines (one per request, ``gateway.observability.access_log``) in batches: the
access logger hands it the line's fields (``JsonLinesHandler.defer``) when the record would
reach that handler alone, and the batch is formatted and written at most
``ACCESS_FLUSH_SECONDS`` later (or at ``ACCESS_BATCH_LINES`` lines), in one write, before any
other record and when logging shuts down. The lines are the ones ``JsonFormatter`` makes
(same keys, same order, same redaction); a process killed with SIGKILL loses at most the
batch of its last ``ACCESS_FLUSH_SECONDS``.
"""

from __future__ import annotations

import contextvars
import functools
import json
import logging
import re
import sys
import time
from collections.abc import Callable
from typing import IO, Any

from gateway.flush_soon import FlushSoon

_RESERVED = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}

# The id of the request being handled (set by the request-id middleware).
REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "gateway_request_id", default=None
)

REDACTED = "[redacted]"

# Names whose values are secret whatever they look like (extra fields, key=value text).
_SECRET_NAMES = (
    r"password|passwd|pwd|secret|client_secret|token|access_token|refresh_token|id_token"
    r"|api[_-]?key|admin_api_key|authorization|cookie|set-cookie|session|secret_key|cache_key"
)
_SECRET_NAME = re.compile(rf"(?i)^(?:.*_)?(?:{_SECRET_NAMES})$")

_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

_Rule = tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]


def _long_token(match: re.Match[str]) -> str:
    text = match.group(0)
    if _UUID.match(text):  # account ids and generated request ids are UUIDs: not secrets
        return text
    has_letter = any(ch.isalpha() for ch in text)
    has_digit = any(ch.isdigit() for ch in text)
    return REDACTED if has_letter and has_digit else text


_RULES: tuple[_Rule, ...] = (
    # Authorization header values
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{6,}"), r"\1 " + REDACTED),
    # key=value / "key": "value" pairs whose key names a secret
    (
        re.compile(
            rf"""(?i)(\b(?:{_SECRET_NAMES})\b["']?\s*[:=]\s*["']?)"""
            r"""(?:(?:bearer|basic)\s+)?(?:\[redacted\]|[^\s"'&,;}\]]+)"""
        ),
        r"\1" + REDACTED,
    ),
    # OAuth authorization codes and states in query strings
    (re.compile(r"(?i)([?&](?:code|state)=)[^&\s\"']+"), r"\1" + REDACTED),
    # JWTs
    (re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), REDACTED),
    # email addresses
    (re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"), "[email]"),
    # usage point ids (PDL / PRM): exactly 14 digits
    (re.compile(r"(?<![0-9])[0-9]{14}(?![0-9])"), "[usage_point]"),
    # long high-entropy strings (client secrets, tokens, keys): 32+ chars, letters and digits
    (re.compile(r"(?<![A-Za-z0-9+_=-])[A-Za-z0-9+_=-]{32,}"), _long_token),
)


def redact(text: str) -> str:
    """``text`` with anything that looks like a secret, email or usage point id masked."""
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text


def _redact_value(key: str, value: Any) -> Any:
    if _SECRET_NAME.match(key) and value not in (None, ""):
        return REDACTED
    if value is None or isinstance(value, bool | float):
        return value
    if isinstance(value, int):
        return "[usage_point]" if len(str(abs(value))) == 14 else value
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {k: _redact_value(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_redact_value(key, v) for v in value]
    return redact(str(value))


ACCESS_LOGGER = "gateway.access"
ACCESS_FLUSH_SECONDS = 0.05
ACCESS_BATCH_LINES = 256


def redact_access_id(request_id: Any) -> Any:
    """The request id of an access line, redacted: access lines are built only from route
    templates, statuses and ids, and the client-chosen request id is the one field that
    could carry anything. A UUID (the ids the gateway generates) has nothing to mask."""
    if not isinstance(request_id, str) or _UUID.match(request_id):
        return request_id
    return redact(request_id)


class RedactingFilter(logging.Filter):
    """Masks secrets, tokens, emails and usage point ids in every record (a safety net)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == ACCESS_LOGGER:
            if hasattr(record, "request_id"):
                record.request_id = redact_access_id(record.request_id)
            return True
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string must not lose the record
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        for key, value in list(vars(record).items()):
            if key not in _RESERVED and not key.startswith("_"):
                setattr(record, key, _redact_value(key, value))
        return True


def timestamp(created: float) -> str:
    """The ``ts`` of a line logged at ``created`` (``time.time()``): UTC, milliseconds."""
    second = int(created)
    return f"{_second_text(second)}.{int((created - second) * 1000):03d}Z"


@functools.lru_cache(maxsize=4)
def _second_text(second: int) -> str:
    """``YYYY-MM-DDTHH:MM:SS`` (UTC) of an epoch second, formatted once per second."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))


def json_line(entry: dict[str, Any]) -> str:
    return json.dumps(entry, default=str)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": timestamp(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = REQUEST_ID.get()
        if request_id is not None:
            entry["request_id"] = request_id
        for key, value in vars(record).items():
            if key not in _RESERVED and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        if record.stack_info:
            entry["stack"] = redact(self.formatStack(record.stack_info))
        return json_line(entry)


class JsonLinesHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The production handler: JSON lines on a stream, the access lines in batches."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        super().__init__(stream)
        self.setFormatter(JsonFormatter())
        self.addFilter(RedactingFilter())
        self._pending: list[dict[str, Any]] = []
        self._soon = FlushSoon(ACCESS_FLUSH_SECONDS, self.write_pending)

    def defer(self, entry: dict[str, Any]) -> None:
        """Write the access line of ``entry`` (a ``JsonFormatter`` entry, redacted) soon."""
        self._pending.append(entry)
        if len(self._pending) >= ACCESS_BATCH_LINES:
            self.write_pending()
        else:
            self._soon.request()

    def write_pending(self) -> None:
        pending, self._pending = self._pending, []
        if not pending:
            return
        text = "".join([json_line(entry) + self.terminator for entry in pending])
        self.acquire()
        try:
            self.stream.write(text)
            self.stream.flush()
        except Exception:  # noqa: BLE001 - as logging does: never raise from a log call
            self.handleError(logging.makeLogRecord({"msg": "access lines", "args": None}))
        finally:
            self.release()

    def emit(self, record: logging.LogRecord) -> None:
        self.write_pending()  # the lines of earlier requests first
        super().emit(record)

    def flush(self) -> None:
        self.write_pending()
        super().flush()


def deferring_handler(logger: logging.Logger) -> JsonLinesHandler | None:
    """The production handler when an INFO record of ``logger`` would reach it and nothing
    else (no other handler or filter on the way): then its access lines may be deferred."""
    current: logging.Logger | None = logger
    found: JsonLinesHandler | None = None
    while current is not None:
        if current.filters or current.disabled:
            return None
        for handler in current.handlers:
            if found is not None or type(handler) is not JsonLinesHandler:
                return None
            found = handler
        if not current.propagate:
            break
        current = current.parent
    if found is None or found.level > logging.INFO:
        return None
    return found


def configure_logging(level: str = "INFO", stream: IO[str] | None = None) -> None:
    handler = JsonLinesHandler(stream if stream is not None else sys.stderr)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
