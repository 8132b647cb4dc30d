"""Fixtures of the web pages' tests: cheap password hashing, an SMTP catcher."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from gateway.web.mailcatcher import MailCatcher
from tests.accounts.conftest import fast_passwords  # noqa: F401  (autouse)
from tests.conftest import Services


@pytest.fixture(scope="session")
def catcher() -> Iterator[MailCatcher]:
    caught = MailCatcher().start()
    try:
        yield caught
    finally:
        caught.stop()


@pytest.fixture
def settings_env(clean_services: Services, catcher: MailCatcher) -> dict[str, str]:
    catcher.clear()
    return clean_services.env(SMTP_URL=catcher.url)
