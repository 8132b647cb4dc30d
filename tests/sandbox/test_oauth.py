from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlsplit

import aiohttp
import pytest

from gateway.enedis import upstream_errors as errors
from gateway.sandbox.settings import SandboxSettings

from .conftest import ROOMY, MakeSandbox, Sandbox

DAILY = "/metering_data_dc/v5/daily_consumption"
IDENTITY = "/customers_i/v5/identity"
AUTHORIZE = "/dataconnect/v1/oauth2/authorize"
TOKEN = "/oauth2/v3/token"


def _basic(login: str, password: str) -> dict[str, str]:
    encoded = base64.b64encode(f"{login}:{password}".encode()).decode()
    return {"Authorization": f"Basic {encoded}"}


GRANT = {"grant_type": "client_credentials"}
CREDS = {"client_id": ROOMY.client_id, "client_secret": ROOMY.client_secret}


async def test_token_with_form_fields(sandbox: Sandbox) -> None:
    resp = await sandbox.client.post(TOKEN, data={"grant_type": "client_credentials", **CREDS})
    assert resp.status == 200
    body = await resp.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 12600
    assert isinstance(body["access_token"], str) and len(body["access_token"]) >= 32
    assert {"scope", "issued_at"} <= set(body)
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    ok = await sandbox.client.get(
        IDENTITY, params={"usage_point_id": "09100000000001"}, headers=headers
    )
    assert ok.status == 200


async def test_token_with_basic_auth_and_ignored_query(sandbox: Sandbox) -> None:
    resp = await sandbox.client.post(
        TOKEN,
        params={"redirect_uri": "https://example.org"},
        data={"grant_type": "client_credentials"},
        headers=_basic(ROOMY.client_id, ROOMY.client_secret),
    )
    assert resp.status == 200
    assert (await resp.json())["token_type"] == "Bearer"


@pytest.mark.parametrize(
    ("form", "basic", "expected"),
    [
        ({**GRANT, **CREDS, "client_secret": "no"}, None, errors.TOKEN_UNAUTHORIZED),
        ({"grant_type": "client_credentials"}, ("someone", "else"), errors.TOKEN_UNAUTHORIZED),
        (CREDS, None, errors.TOKEN_MISSING_PARAMETER),
        ({"grant_type": "client_credentials"}, None, errors.TOKEN_MISSING_PARAMETER),
        ({"grant_type": "authorization_code", **CREDS}, None, errors.TOKEN_UNSUPPORTED_GRANT_TYPE),
    ],
)  # fmt: skip
async def test_token_errors(
    sandbox: Sandbox,
    form: dict[str, str],
    basic: tuple[str, str] | None,
    expected: errors.UpstreamError,
) -> None:
    headers = _basic(*basic) if basic else {}
    resp = await sandbox.client.post(TOKEN, data=form, headers=headers)
    assert resp.status == expected.status
    assert await resp.json() == expected.body()


async def test_bad_credentials_body_is_the_catalogue_one(sandbox: Sandbox) -> None:
    resp = await sandbox.client.post(
        TOKEN, data={"grant_type": "client_credentials", "client_id": "x", "client_secret": "y"}
    )
    assert resp.status == 401
    assert await resp.json() == {
        "error": "Unauthorized",
        "error_description": (
            "Valid authentication credentials are mandatory to access the resource"
        ),
    }


async def test_data_calls_need_a_valid_bearer_token(sandbox: Sandbox) -> None:
    params = {"usage_point_id": "09100000000001"}
    for headers in (
        {},
        {"Authorization": "Bearer nope"},
        {"Authorization": f"Basic {sandbox.token}"},
    ):
        resp = await sandbox.client.get(IDENTITY, params=params, headers=headers)
        assert resp.status == 401
        assert (await resp.json())["error"] == "invalid_token"
    assert (await sandbox.stats())["total_calls"] == 3


async def test_revoke(sandbox: Sandbox) -> None:
    params = {"usage_point_id": "09100000000001"}
    assert (await sandbox.client.get(IDENTITY, params=params, headers=sandbox.auth)).status == 200
    resp = await sandbox.client.post("/oauth2/v3/revoke", data={"token": sandbox.token, **CREDS})
    assert resp.status == 200
    assert (await sandbox.client.get(IDENTITY, params=params, headers=sandbox.auth)).status == 401
    # Revoking an unknown token is fine too; a missing one is not.
    assert (await sandbox.client.post("/oauth2/v3/revoke", data={"token": "x"})).status == 200
    missing = await sandbox.client.post("/oauth2/v3/revoke", data={})
    assert missing.status == 400
    wrong = await sandbox.client.post(
        "/oauth2/v3/revoke", data={"token": "x"}, headers=_basic("a", "b")
    )
    assert wrong.status == 401


async def test_token_expires(make_sandbox: MakeSandbox) -> None:
    sandbox = await make_sandbox(SandboxSettings(token_ttl_seconds=60))
    params = {"usage_point_id": "09100000000001"}
    assert (await sandbox.client.get(IDENTITY, params=params, headers=sandbox.auth)).status == 200
    sandbox.clock.advance(61)
    assert (await sandbox.client.get(IDENTITY, params=params, headers=sandbox.auth)).status == 401


def _consent_params(**extra: str) -> dict[str, str]:
    return {"client_id": ROOMY.client_id, "response_type": "code", "duration": "P36M"} | extra


async def _authorize(sandbox: Sandbox, **params: str) -> aiohttp.ClientResponse:
    return await sandbox.client.get(AUTHORIZE, params=params, allow_redirects=False)


async def test_authorize_redirects_with_code_state_and_ids(sandbox: Sandbox) -> None:
    resp = await _authorize(sandbox, **_consent_params(state="abc123"))
    assert resp.status == 302
    location = urlsplit(resp.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == ROOMY.redirect_uri
    query = parse_qs(location.query)
    assert query["state"] == ["abc123"]
    assert query["usage_point_id"] == ["09100000000001,09100000000002"]
    assert len(query["code"][0]) >= 16


@pytest.mark.parametrize("duration", ["P3Y", "P1Y6M", "P1M", "P30D", "P2W", "P1Y2M3D", "P1095D"])
async def test_authorize_accepts_iso_durations(sandbox: Sandbox, duration: str) -> None:
    assert (await _authorize(sandbox, **_consent_params(duration=duration))).status == 302


async def test_authorize_other_customer_and_redirect_uri(sandbox: Sandbox) -> None:
    resp = await _authorize(
        sandbox,
        **_consent_params(sandbox_customer="intervals", redirect_uri="https://app.example/cb?x=1"),
    )
    assert resp.status == 302
    location = urlsplit(resp.headers["Location"])
    assert location.netloc == "app.example"
    query = parse_qs(location.query)
    assert query["x"] == ["1"]
    assert query["usage_point_id"] == ["09700000000010,09700000000015,09700000000060"]
    assert "state" not in query


async def test_authorize_refusal(sandbox: Sandbox) -> None:
    resp = await _authorize(sandbox, **_consent_params(state="s1", sandbox_refuse="1"))
    assert resp.status == 302
    query = parse_qs(urlsplit(resp.headers["Location"]).query)
    assert query == {
        "error": ["access_denied"],
        "error_description": ["access_denied"],
        "state": ["s1"],
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (_consent_params(duration="3 years"), errors.AUTHORIZE_INVALID_DURATION),
        (_consent_params(duration="P"), errors.AUTHORIZE_INVALID_DURATION),
        (_consent_params(duration="P1.5Y"), errors.AUTHORIZE_INVALID_DURATION),
        (_consent_params(duration=""), errors.AUTHORIZE_INVALID_DURATION),
        (_consent_params(duration="P37M"), errors.AUTHORIZE_MAXIMUM_DURATION),
        (_consent_params(duration="P3Y1D"), errors.AUTHORIZE_MAXIMUM_DURATION),
        (_consent_params(duration="P4Y"), errors.AUTHORIZE_MAXIMUM_DURATION),
        (_consent_params(duration="-P1M"), errors.AUTHORIZE_MAXIMUM_DURATION),
        (_consent_params(duration="P0D"), errors.AUTHORIZE_MAXIMUM_DURATION),
        (_consent_params(client_id="other"), errors.AUTHORIZE_INVALID_CLIENT),
        (_consent_params(response_type="token"), errors.AUTHORIZE_UNSUPPORTED_RESPONSE_TYPE),
    ],
)
async def test_authorize_errors(
    sandbox: Sandbox, params: dict[str, str], expected: errors.UpstreamError
) -> None:
    resp = await _authorize(sandbox, **params)
    assert resp.status == expected.status == 400
    assert await resp.json() == expected.body()


async def test_authorize_duration_error_bodies(sandbox: Sandbox) -> None:
    resp = await _authorize(sandbox, **_consent_params(duration="P4Y"))
    assert await resp.json() == {
        "error": "invalid_request",
        "error_description": "maximum_duration_exceeded",
    }
    resp = await _authorize(sandbox, **_consent_params(duration="forever"))
    assert await resp.json() == {
        "error": "invalid_request",
        "error_description": "invalid_duration_format",
    }


async def test_authorize_relative_redirect_uri(sandbox: Sandbox) -> None:
    resp = await _authorize(sandbox, **_consent_params(redirect_uri="/cb"))
    assert resp.status == 400


async def test_authorize_bad_customer_name(sandbox: Sandbox) -> None:
    resp = await _authorize(sandbox, **_consent_params(sandbox_customer="no body!"))
    assert resp.status == 400
    body = await resp.json()
    assert body["error"] == "invalid_request"
    assert "sandbox_customer" in body["error_description"]
    assert (await sandbox.stats())["calls"]["authorize"] == 1
