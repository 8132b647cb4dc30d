"""An SMTP server that keeps what it receives (aiosmtpd): ``gateway dev`` and the tests.

It listens on 127.0.0.1 in a thread of its own; ``/dev/mails`` lists what it caught when
the application has one (``app[CATCHER]``, set by ``gateway dev`` only).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiohttp import web
from aiosmtpd.controller import Controller

from gateway.embedded import free_port

KEEP = 200
# aiosmtpd logs every connection at INFO: only its warnings are worth a line
logging.getLogger("mail.log").setLevel(logging.WARNING)


@dataclass(frozen=True, slots=True)
class CaughtMail:
    to: str
    subject: str
    body: str


class _Handler:
    def __init__(self, catcher: MailCatcher) -> None:
        self.catcher = catcher

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        part = parsed.get_body(preferencelist=("plain",))
        body = part.get_content() if part is not None else ""
        self.catcher.keep(CaughtMail(str(parsed["To"]), str(parsed["Subject"]), str(body)))
        return "250 Message accepted for delivery"


class MailCatcher:
    """Start, read the caught mails (newest last), stop."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self._mails: list[CaughtMail] = []
        self._lock = threading.Lock()
        self._controller = Controller(_Handler(self), hostname="127.0.0.1", port=self.port)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def keep(self, mail: CaughtMail) -> None:
        with self._lock:
            self._mails = [*self._mails, mail][-KEEP:]

    @property
    def mails(self) -> list[CaughtMail]:
        with self._lock:
            return list(self._mails)

    def clear(self) -> None:
        with self._lock:
            self._mails = []

    def start(self) -> MailCatcher:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()


CATCHER = web.AppKey("mail_catcher", MailCatcher)
