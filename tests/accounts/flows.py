"""Steps of the user journey, shared by the accounts tests."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import aiohttp

from tests.support.journey import customer_points

PASSWORD = "correct horse battery staple"
DEFAULT_POINTS = ["09100000000001", "09100000000002"]


@dataclass
class User:
    email: str
    password: str
    client_id: str
    client_secret: str
    token: str = ""
    account_id: str = ""

    @property
    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def basic(self) -> dict[str, str]:
        return {"Authorization": basic(self.client_id, self.client_secret)}


def basic(client_id: str, client_secret: str) -> str:
    raw = f"{client_id}:{client_secret}".encode()
    return "Basic " + base64.b64encode(raw).decode()


async def signup(gateway: Any, email: str, password: str = PASSWORD) -> User:
    answer = await gateway.post("/accounts/signup", json={"email": email, "password": password})
    assert answer.status == 201, await answer.text()
    body = await answer.json()
    user = User(email, password, body["client_id"], body["client_secret"])
    user.token = await token(gateway, user)
    me = await gateway.get("/accounts/me", headers=user.bearer)
    assert me.status == 200, await me.text()
    user.account_id = (await me.json())["account_id"]
    return user


async def token(gateway: Any, user: User) -> str:
    answer = await gateway.post(
        "/oauth2/v3/token",
        data={
            "grant_type": "client_credentials",
            "client_id": user.client_id,
            "client_secret": user.client_secret,
        },
    )
    assert answer.status == 200, await answer.text()
    return str((await answer.json())["access_token"])


async def authorize_location(gateway: Any, user: User, **extra: str) -> str:
    """The Enedis consent URL the gateway redirects to (plus sandbox-only parameters)."""
    answer = await gateway.get("/oauth/authorize", headers=user.bearer, allow_redirects=False)
    assert answer.status == 302, await answer.text()
    location = answer.headers["Location"]
    if extra:
        location += "&" + urlencode(extra)
    return location


async def enedis_redirect(location: str) -> dict[str, str]:
    """Follow the consent page (the sandbox): the query of its redirect to the gateway."""
    async with (
        aiohttp.ClientSession() as session,
        session.get(location, allow_redirects=False) as answer,
    ):
        assert answer.status == 302, await answer.text()
        target = answer.headers["Location"]
    parts = urlsplit(target)
    assert parts.path == "/oauth/callback", target
    return dict(parse_qsl(parts.query))


async def consent_once(gateway: Any, user: User, **extra: str) -> dict[str, Any]:
    """One consent flow (v2: one meter); returns the callback's JSON answer."""
    query = await enedis_redirect(await authorize_location(gateway, user, **extra))
    answer = await gateway.get(
        "/oauth/callback", params=query, headers={"Accept": "application/json"}
    )
    assert answer.status == 200, await answer.text()
    body: dict[str, Any] = await answer.json()
    return body


async def consent(gateway: Any, user: User, **extra: str) -> dict[str, Any]:
    """Consent every point of the sandbox customer (one consent each, as consent v2 gives
    one meter per consent); returns the callbacks' answers added up."""
    location = await authorize_location(gateway, user)
    parts = urlsplit(location)
    customer = extra.get("sandbox_customer", "default")
    points = [None] if "sandbox_usage_point" in extra else None
    points = points or customer_points(f"{parts.scheme}://{parts.netloc}", customer) or [None]
    found: list[str] = []
    new = 0
    for point in points:
        more = dict(extra, sandbox_usage_point=point) if point else extra
        body = await consent_once(gateway, user, **more)
        found.extend(p for p in body["usage_points"] if p not in found)
        new += body["new"]
    return {"usage_points": found, "new": new, "existing": len(found) - new}


async def problem(
    answer: Any, status: int, *, field: str | None = None, code: str | None = None
) -> dict[str, Any]:
    """Assert an RFC 9457 answer; returns its body."""
    text = await answer.text()
    assert answer.status == status, text
    assert answer.content_type == "application/problem+json", text
    body: dict[str, Any] = await answer.json(content_type=None)
    assert body["status"] == status
    if field is not None:
        assert body.get("field") == field, body
    if code is not None:
        assert body["code"] == code, body
    return body


async def enedis_error(answer: Any, status: int, error: str) -> dict[str, Any]:
    """Assert an answer in the Enedis token dialect."""
    text = await answer.text()
    assert answer.status == status, text
    body: dict[str, Any] = await answer.json(content_type=None)
    assert body["error"] == error, body
    assert "error_description" in body
    return body
