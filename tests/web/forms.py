"""Helpers of the web pages' tests: a browser-like client (its own cookie jar) posting
forms with their anti-forgery token."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import aiohttp

PASSWORD = "correct horse battery staple"


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


@dataclass
class Browser:
    """One person's browser against the gateway under test (English pages)."""

    base: str
    session: aiohttp.ClientSession

    @classmethod
    def of(cls, gateway: Any) -> Browser:
        jar = aiohttp.CookieJar(unsafe=True)
        headers = {"Accept-Language": "en", "Accept": "text/html"}
        return cls(
            str(gateway.make_url("")).rstrip("/"),
            aiohttp.ClientSession(cookie_jar=jar, headers=headers),
        )

    async def get(self, path: str) -> tuple[int, str]:
        async with self.session.get(self.base + path) as answer:
            return answer.status, await answer.text()

    async def post(self, form_page: str, action: str, **fields: str) -> tuple[int, str]:
        """Open ``form_page``, post ``fields`` to ``action`` with the page's token."""
        _, html = await self.get(form_page)
        data = {"csrf": csrf_of(html), **fields}
        async with self.session.post(
            self.base + action, data=data, headers={"Origin": self.base}
        ) as answer:
            return answer.status, await answer.text()

    async def sign_up(self, email: str) -> str:
        """Sign up; returns the client_secret shown once."""
        status, html = await self.post("/signup", "/signup", email=email, password=PASSWORD)
        assert status == 201, html
        found = re.search(r'id="client-secret">([^<]+)<', html)
        assert found is not None
        return found.group(1)

    async def sign_in(self, email: str, password: str = PASSWORD) -> tuple[int, str]:
        return await self.post("/signin", "/signin", email=email, password=password)

    async def signed_in(self) -> bool:
        async with self.session.get(self.base + "/dashboard", allow_redirects=False) as answer:
            return answer.status == 200

    async def close(self) -> None:
        await self.session.close()
