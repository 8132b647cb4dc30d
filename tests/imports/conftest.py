"""Fixtures of the history import tests: a gateway whose imports run."""

from __future__ import annotations

import pytest

from tests.conftest import Services

#: A replica silent that long has its imports taken over (short: the SIGKILL test waits it).
STALLED_SECONDS = "3"


def import_env(services: Services, **overrides: str) -> dict[str, str]:
    return services.env(IMPORT_ENABLED="true", IMPORT_STALLED_SECONDS=STALLED_SECONDS, **overrides)


@pytest.fixture
def settings_env(clean_services: Services) -> dict[str, str]:
    return import_env(clean_services)
