"""The e-mails of the web pages (address check, password reset), sent through ``SMTP_URL``.

``smtp://[user:password@]host[:port]`` (STARTTLS when the server offers it) or
``smtps://...`` (TLS from the start). Sending runs in a thread (``smtplib`` blocks). A
failure is logged without the address and does not fail the page: the person can ask for
the link again. Without ``SMTP_URL`` nothing is sent.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from email.message import EmailMessage
from urllib.parse import quote, unquote, urlsplit

from aiohttp import web

from gateway import state
from gateway.accounts import email_checks
from gateway.accounts.repository import AccountRow
from gateway.config import Settings
from gateway.web.i18n import translate
from gateway.web.render import language

log = logging.getLogger(__name__)

SMTP_TIMEOUT_SECONDS = 10


def _deliver(smtp_url: str, message: EmailMessage) -> None:
    parts = urlsplit(smtp_url)
    host = parts.hostname or "localhost"
    secure = parts.scheme == "smtps"
    port = parts.port or (465 if secure else 25)
    context = ssl.create_default_context()
    client: smtplib.SMTP
    if secure:
        client = smtplib.SMTP_SSL(host, port, timeout=SMTP_TIMEOUT_SECONDS, context=context)
    else:
        client = smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT_SECONDS)
    with client:
        client.ehlo()
        if not secure and client.has_extn("starttls"):
            client.starttls(context=context)
            client.ehlo()
        if parts.username:
            client.login(unquote(parts.username), unquote(parts.password or ""))
        client.send_message(message)


async def send(settings: Settings, to: str, subject: str, body: str) -> bool:
    """Send one text e-mail; False when no SMTP is set or it failed (logged)."""
    if not settings.smtp_url:
        return False
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    try:
        await asyncio.to_thread(_deliver, settings.smtp_url, message)
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("e-mail not sent: %s", type(exc).__name__)
        return False
    return True


def _link(settings: Settings, path: str, token: str) -> str:
    return f"{settings.base_url}{path}?token={quote(token)}"


async def send_verification(request: web.Request, account: AccountRow) -> bool:
    settings = request.app[state.SETTINGS]
    lang = language(request)
    token = email_checks.verify_token(request.app[state.ACCOUNTS], account)
    return await send(
        settings,
        account.email,
        translate(lang, "mail.verify_subject"),
        translate(lang, "mail.verify_body", link=_link(settings, "/email/verify", token)),
    )


async def send_reset(request: web.Request, account: AccountRow) -> bool:
    settings = request.app[state.SETTINGS]
    lang = language(request)
    token = email_checks.reset_token(request.app[state.ACCOUNTS], account)
    return await send(
        settings,
        account.email,
        translate(lang, "mail.reset_subject"),
        translate(lang, "mail.reset_body", link=_link(settings, "/password/reset", token)),
    )
