"""``/ping``, ``/valid_access``, credentials, the ``{"detail": ...}`` errors and the 501s."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from gateway.app import build_app
from gateway.config import Settings
from gateway.enedis.rules import paris_today
from gateway.surfaces.legacy_schemas import DATA_SCHEMAS, definitions
from tests.conftest import Services
from tests.legacy.conftest import PLAIN, VARIANTS, Variant, assert_valid, data_path
from tests.support.journey import ready_account
from tests.support.sandbox import (
    CONSUMPTION_AND_PRODUCTION,
    CONSUMPTION_ONLY,
    OTHER_CUSTOMER_POINT,
    recent_range,
)
from tests.support.upstream import data_calls

SECONDS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$")
FRACTION = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}$")


def test_the_schema_copy_holds_every_response_of_the_document() -> None:
    names = set(definitions())
    assert set(DATA_SCHEMAS.values()) <= names
    assert {
        "HTTPValidationError",
        "ValidationError",
        "ResponseHealthCheck",
        "ResponseValidAccess",
        "ResponseDeleteCache",
        "ResponseDeleteCustomer",
    } <= names


@pytest.mark.parametrize("path", ["/ping", "/ping/"])
async def test_ping_needs_no_credentials(gateway: Any, path: str) -> None:
    answer = await gateway.get(path, headers={"Content-Type": "application/json"})
    assert answer.status == 200
    body = await answer.json()
    assert_valid(body, "ResponseHealthCheck")
    assert body["status"] is True
    assert body["information"]


@pytest.mark.parametrize("suffix", ["", "/cache"])
@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.id)
async def test_valid_access(
    gateway: Any, clean_services: Services, variant: Variant, suffix: str
) -> None:
    account = await ready_account(gateway)
    headers = variant.headers(account)
    path = variant.path(f"/valid_access/{CONSUMPTION_AND_PRODUCTION}{suffix}")
    answer = await gateway.get(path, headers=headers)
    assert answer.status == 200, await answer.text()
    body = await answer.json()
    assert_valid(body, "ResponseValidAccess")
    assert body["valid"] is True
    assert body["ban"] is False
    assert (body["call_number"], body["quota_reached"], body["quota_limit"]) == (0, False, 50)
    for field in ("consent_expiration_date", "last_call"):
        assert SECONDS.match(body[field]), (field, body[field])
    assert datetime.fromisoformat(body["consent_expiration_date"]) > datetime.now() + timedelta(
        days=30
    )
    assert FRACTION.match(body["quota_reset_at"]), body["quota_reset_at"]
    reset = datetime.fromisoformat(body["quota_reset_at"]).replace(tzinfo=UTC)
    now = datetime.now(UTC)
    assert (reset.hour, reset.minute, reset.second) == (0, 0, 0)
    assert timedelta(0) < reset - now <= timedelta(days=1)
    assert data_calls(clean_services.sandbox_stats()) == 0  # Enedis is not asked


async def test_valid_access_counts_upstream_calls_and_tracks_the_last_call(gateway: Any) -> None:
    account = await ready_account(gateway)
    headers = PLAIN.headers(account)
    before = await (
        await gateway.get(f"/valid_access/{CONSUMPTION_AND_PRODUCTION}", headers=headers)
    ).json()
    path = data_path("daily_consumption", CONSUMPTION_AND_PRODUCTION, *recent_range(4))
    moment = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    assert (await gateway.get(path, headers=headers)).status == 200
    assert (await gateway.get(path + "/cache", headers=headers)).status == 200
    assert (await gateway.get(path + "/cache", headers=headers)).status == 200  # from cache
    answer = await gateway.get(f"/valid_access/{CONSUMPTION_AND_PRODUCTION}", headers=headers)
    body = await answer.json()
    assert_valid(body, "ResponseValidAccess")
    assert body["call_number"] == 2
    assert datetime.fromisoformat(body["last_call"]) >= moment
    assert datetime.fromisoformat(before["last_call"]) <= datetime.fromisoformat(body["last_call"])


async def test_valid_access_and_data_of_another_accounts_point_are_403(
    gateway: Any, clean_services: Services
) -> None:
    account = await ready_account(gateway)
    start, end = recent_range(3)
    for variant in (VARIANTS[0], VARIANTS[3]):
        for path in (
            f"/valid_access/{OTHER_CUSTOMER_POINT}",
            data_path("contracts", OTHER_CUSTOMER_POINT),
            data_path("identity", OTHER_CUSTOMER_POINT) + "/cache",
            data_path("daily_consumption", OTHER_CUSTOMER_POINT, start, end),
            data_path("daily_consumption", OTHER_CUSTOMER_POINT, start, end) + "/cache",
        ):
            answer = await gateway.get(variant.path(path), headers=variant.headers(account))
            assert answer.status == 403, path
            body = await answer.json()
            assert set(body) == {"detail"} and isinstance(body["detail"], str)
    assert data_calls(clean_services.sandbox_stats()) == 0


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "not-a-secret"},
        {"Authorization": "Bearer not-a-token"},
    ],
)
async def test_bad_credentials_are_401_in_the_legacy_dialect(
    gateway: Any, headers: dict[str, str]
) -> None:
    answer = await gateway.get(data_path("contracts", CONSUMPTION_AND_PRODUCTION), headers=headers)
    assert answer.status == 401
    body = await answer.json()
    assert set(body) == {"detail"} and isinstance(body["detail"], str)


async def test_basic_credentials_work_too(gateway: Any) -> None:
    account = await ready_account(gateway)
    answer = await gateway.get(f"/valid_access/{CONSUMPTION_AND_PRODUCTION}", auth=account.basic)
    assert answer.status == 200


@pytest.mark.parametrize(
    ("template", "loc"),
    [
        ("/contracts/0910000000000", ["path", "usage_point_id"]),
        ("/identity/0910000000000A/cache", ["path", "usage_point_id"]),
        ("/valid_access/123", ["path", "usage_point_id"]),
        ("/daily_consumption/123/start/{start}/end/{end}", ["path", "usage_point_id"]),
        ("/daily_consumption/{point}/start/01-01-2025/end/{end}", ["path", "start"]),
        ("/consumption_load_curve/{point}/start/{start}/end/2025-02-30/cache", ["path", "end"]),
    ],
)
@pytest.mark.parametrize("variant", (VARIANTS[0], VARIANTS[3]), ids=lambda v: v.id)
async def test_malformed_parameters_are_422_validation_errors(
    gateway: Any, clean_services: Services, template: str, loc: list[str], variant: Variant
) -> None:
    account = await ready_account(gateway)
    start, end = recent_range(3)
    path = template.format(point=CONSUMPTION_AND_PRODUCTION, start=start, end=end)
    answer = await gateway.get(variant.path(path), headers=variant.headers(account))
    assert answer.status == 422
    body = await answer.json()
    assert_valid(body, "HTTPValidationError")
    assert body["detail"][0]["loc"] == loc
    assert data_calls(clean_services.sandbox_stats()) == 0


@pytest.mark.parametrize(
    ("start", "end", "needle"),
    [
        ("2025-01-05", "2025-01-02", "before"),
        ((paris_today() - timedelta(days=2)).isoformat(), "2999-01-01", ""),
        ("2001-01-05", "2001-01-08", ""),
    ],
)
async def test_enedis_rules_are_400_with_enedis_message(
    gateway: Any, clean_services: Services, start: str, end: str, needle: str
) -> None:
    account = await ready_account(gateway)
    path = f"/daily_consumption/{CONSUMPTION_AND_PRODUCTION}/start/{start}/end/{end}"
    answer = await gateway.get(path, headers=PLAIN.headers(account))
    assert answer.status == 400
    body = await answer.json()
    assert set(body) == {"detail"} and isinstance(body["detail"], str)
    v5 = await gateway.get(
        "/metering_data_dc/v5/daily_consumption",
        params={"usage_point_id": CONSUMPTION_AND_PRODUCTION, "start": start, "end": end},
        headers=account.bearer,
    )
    assert v5.status == 400
    enedis = await v5.json()
    # Enedis' text, followed by the gateway's hint when there is one
    expected = f"{enedis['error_description']} {enedis['hint']}" if "hint" in enedis else None
    assert body["detail"] == (expected or enedis["error_description"])
    assert needle in body["detail"].lower()
    assert data_calls(clean_services.sandbox_stats()) == 0


async def test_enedis_refusals_keep_the_v5_status_in_the_legacy_dialect(gateway: Any) -> None:
    account = await ready_account(gateway)
    start, end = recent_range(3)
    # a consumption-only point has no production: Enedis refuses
    legacy = await gateway.get(
        data_path("daily_production", CONSUMPTION_ONLY, start, end), headers=PLAIN.headers(account)
    )
    v5 = await gateway.get(
        "/metering_data_dp/v5/daily_production",
        params={"usage_point_id": CONSUMPTION_ONLY, "start": str(start), "end": str(end)},
        headers={**account.bearer, "Cache-Control": "no-store"},
    )
    assert legacy.status == v5.status and legacy.status >= 400
    body = await legacy.json()
    assert body == {"detail": (await v5.json())["error_description"]}


async def test_enedis_outage_answers_5xx_in_the_legacy_dialect(
    gateway: Any, clean_services: Services
) -> None:
    account = await ready_account(gateway)
    clean_services.sandbox_call("POST", "/__sandbox/faults", {"outage": True})
    try:
        answer = await gateway.get(
            data_path("contracts", CONSUMPTION_AND_PRODUCTION), headers=PLAIN.headers(account)
        )
    finally:
        clean_services.sandbox_call("POST", "/__sandbox/faults", {"outage": False})
    assert answer.status in (502, 503, 504)
    body = await answer.json()
    assert set(body) == {"detail"} and isinstance(body["detail"], str)


async def test_an_exhausted_quota_is_409_with_retry_after(
    aiohttp_client: Any, clean_services: Services
) -> None:
    settings = Settings.from_env(clean_services.env(USER_DAILY_LIMIT_NO_CACHE="1"))
    client = await aiohttp_client(build_app(settings))
    account = await ready_account(client)
    headers = VARIANTS[1].headers(account)
    first = await client.get(
        data_path("daily_consumption", CONSUMPTION_AND_PRODUCTION, *recent_range(3)),
        headers=headers,
    )
    assert first.status == 200
    calls = data_calls(clean_services.sandbox_stats())
    refused = await client.get(
        data_path("daily_consumption", CONSUMPTION_AND_PRODUCTION, *recent_range(3, 5)),
        headers=headers,
    )
    assert refused.status == 409
    assert int(refused.headers["Retry-After"]) > 0
    body = await refused.json()
    assert set(body) == {"detail"} and "quota" in body["detail"].lower()
    assert data_calls(clean_services.sandbox_stats()) == calls
    state = await (
        await client.get(f"/valid_access/{CONSUMPTION_AND_PRODUCTION}", headers=headers)
    ).json()
    assert_valid(state, "ResponseValidAccess")
    assert (state["call_number"], state["quota_limit"], state["quota_reached"]) == (1, 1, True)
    assert state["valid"] is True


NOT_IMPLEMENTED = [
    ("GET", "/reset/09100000000001"),
    ("DELETE", "/admin/reset/09100000000001"),
    ("GET", "/admin/rte/tempo/start/2025-01-01/end/2025-01-02"),
    ("GET", "/admin/rte/ecowatt"),
    ("POST", "/admin/edf/tempo/price"),
    ("GET", "/edf/tempo/days"),
    ("GET", "/edf/tempo/price/"),
    ("GET", "/rte/tempo/2025-01-01/2025-01-02"),
    ("GET", "/rte/ecowatt"),
    ("GET", "/tempo/days"),
    ("GET", "/ecowatt"),
]


@pytest.mark.parametrize(("method", "path"), NOT_IMPLEMENTED)
async def test_tempo_ecowatt_and_admin_routes_are_501(
    gateway: Any, clean_services: Services, method: str, path: str
) -> None:
    answer = await gateway.request(method, path)
    assert answer.status == 501
    body = await answer.json()
    assert set(body) == {"detail"}
    assert "not a feature of this gateway" in body["detail"]
    assert data_calls(clean_services.sandbox_stats()) == 0


async def test_other_methods_on_the_not_implemented_routes_are_405(gateway: Any) -> None:
    """501 is for the documented method only; any other (TRACE included) is a 405 with
    ``Allow``, in the legacy dialect, as on every other route."""
    for method, path in NOT_IMPLEMENTED:
        for other in ("TRACE", "PUT", "GET" if method != "GET" else "POST"):
            answer = await gateway.request(other, path)
            assert answer.status == 405, (other, path, answer.status)
            assert answer.headers["Allow"] == method, (other, path)
            assert set(await answer.json()) == {"detail"}, (other, path)


async def test_unknown_methods_and_paths_answer_in_the_legacy_dialect(gateway: Any) -> None:
    answer = await gateway.get(f"/cache/{CONSUMPTION_AND_PRODUCTION}")
    assert answer.status == 405
    assert isinstance((await answer.json())["detail"], str)
