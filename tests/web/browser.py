"""Playwright for the browser tests: the system's Chromium, or one clear skip line."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).parent / "screenshots"
SKIP_LINE = (
    "browser tests skipped: no Chromium at /usr/bin/chromium"
    " (install the Debian package: apt-get install -y chromium; .ci/run does it as root)"
)


def browser_available() -> bool:
    if not CHROMIUM.exists() and shutil.which("chromium") is None:
        return False
    try:
        import playwright.async_api  # noqa: F401
    except ImportError:
        return False
    return True


async def launched() -> AsyncIterator[Any]:
    """One headless Chromium for a test (its contexts are the test's browsers)."""
    if not browser_available():
        pytest.skip(SKIP_LINE)
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM if CHROMIUM.exists() else shutil.which("chromium")),
            args=LAUNCH_ARGS,
        )
        try:
            yield browser
        finally:
            await browser.close()
