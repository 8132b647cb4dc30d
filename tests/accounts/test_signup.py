"""Sign-up: validation at the edge, unique emails, credentials shown once."""

from __future__ import annotations

from typing import Any

import pytest

from tests.accounts.flows import PASSWORD, problem, signup


async def test_signup_returns_credentials(gateway: Any) -> None:
    answer = await gateway.post(
        "/accounts/signup", json={"email": "Alice@Example.org", "password": PASSWORD}
    )
    assert answer.status == 201
    assert answer.headers["Cache-Control"] == "no-store"
    body = await answer.json()
    assert set(body) == {"client_id", "client_secret"}
    assert body["client_id"].startswith("gw_")
    assert len(body["client_secret"]) >= 40


async def test_email_is_unique_case_insensitively(gateway: Any) -> None:
    await signup(gateway, "bob@example.org")
    answer = await gateway.post(
        "/accounts/signup", json={"email": "  BOB@Example.ORG ", "password": PASSWORD}
    )
    await problem(answer, 409, field="email", code="email_taken")


async def test_me_describes_the_account(gateway: Any) -> None:
    user = await signup(gateway, "Carol@Example.org")
    answer = await gateway.get("/accounts/me", headers=user.bearer)
    body = await answer.json()
    assert body["email"] == "Carol@Example.org"
    assert body["client_id"] == user.client_id
    assert body["usage_points"] == 0
    assert body["is_admin"] is False
    assert "client_secret" not in body


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"email": "not-an-email", "password": PASSWORD}, "email"),
        ({"email": "a@example.org", "password": "short"}, "password"),
        ({"email": "a@example.org", "password": "x" * 2000}, "password"),
        ({"password": PASSWORD}, "email"),
        ({"email": "a@example.org"}, "password"),
        ({"email": "a@example.org", "password": 123456789012345}, "password"),
        ({"email": "a@example.org", "password": PASSWORD, "admin": True}, "admin"),
    ],
)
async def test_invalid_fields_are_named(gateway: Any, payload: dict[str, Any], field: str) -> None:
    answer = await gateway.post("/accounts/signup", json=payload)
    await problem(answer, 422, field=field)


async def test_body_must_be_a_json_object(gateway: Any) -> None:
    answer = await gateway.post(
        "/accounts/signup",
        data="email=a@example.org",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    await problem(answer, 415, field="body")
    answer = await gateway.post(
        "/accounts/signup", data="{not json", headers={"Content-Type": "application/json"}
    )
    await problem(answer, 400, field="body", code="malformed_json")
    answer = await gateway.post("/accounts/signup", json=["a@example.org", PASSWORD])
    await problem(answer, 400, field="body")


async def test_protected_routes_need_credentials(gateway: Any) -> None:
    for method, path in [
        ("GET", "/accounts/me"),
        ("GET", "/pdl"),
        ("GET", "/oauth/authorize"),
        ("DELETE", "/accounts/me"),
        ("PATCH", "/pdl/09100000000001"),
        ("DELETE", "/pdl/09100000000001"),
    ]:
        answer = await gateway.request(method, path)
        await problem(answer, 401, code="invalid_client")
        assert "WWW-Authenticate" in answer.headers
