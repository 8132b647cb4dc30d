"""A consent Enedis says is gone is marked revoked at once: /pdl and legacy valid_access
say so, data requests answer the gateway's 403 without calling Enedis, and a new consent
makes it active again."""

from __future__ import annotations

from typing import Any

from gateway.enedis.catalogue import BY_NAME, MEASURE_BY_V5
from gateway.enedis.upstream_errors_2026 import NOT_HOLDER
from tests.conftest import Services
from tests.support.journey import consent, ready_account
from tests.support.sandbox import query, recent_range
from tests.support.upstream import data_calls

DAILY = BY_NAME["daily_consumption"]


async def test_a_consent_revoked_at_enedis_shows_as_revoked_and_costs_no_more_calls(
    gateway: Any, clean_services: Services
) -> None:
    account = await ready_account(gateway, customer="revoking")
    point = account.usage_points[0]
    params = query(point, DAILY, *recent_range(3))
    assert (await gateway.get(DAILY.path, params=params, headers=account.bearer)).status == 200
    clean_services.sandbox_call("POST", "/__sandbox/revoke", {"usage_point_id": point})

    other = query(point, DAILY, *recent_range(3, ending_days_ago=10))
    refused = await gateway.get(DAILY.path, params=other, headers=account.bearer)
    assert refused.status == 403
    assert (await refused.json())["error"] == "ADAM-DC-0008"  # Enedis' refusal, in v5 words
    points = (await (await gateway.get("/pdl", headers=account.bearer)).json())["usage_points"]
    assert [p["status"] for p in points] == ["revoked"]
    access = await (await gateway.get(f"/valid_access/{point}", headers=account.bearer)).json()
    assert access["valid"] is False

    calls = data_calls(clean_services.sandbox_stats())
    again = await gateway.get(DAILY.path, params=other, headers=account.bearer)
    assert again.status == 403
    assert (await again.json())["error"] == "GW-CONSENT-EXPIRED"
    assert data_calls(clean_services.sandbox_stats()) == calls  # Enedis not asked again

    await consent(gateway, account, "revoking")  # given again: active again
    points = (await (await gateway.get("/pdl", headers=account.bearer)).json())["usage_points"]
    assert [p["status"] for p in points] == ["active"]
    back = await gateway.get(DAILY.path, params=other, headers=account.bearer)
    assert back.status == 200, await back.text()


async def test_the_2026_surface_answers_enedis_refusal_in_its_2026_words(
    gateway: Any, clean_services: Services
) -> None:
    """The same refusal reaches a v5 client as ADAM-DC-0008 and a 2026 client as Enedis
    Data Connect 2026 says it (``{"code": "403", "message": ...}``), whichever upstream."""
    account = await ready_account(gateway, customer="revoking-2026")
    point = account.usage_points[0]
    clean_services.sandbox_call("POST", "/__sandbox/revoke", {"usage_point_id": point})
    operation = MEASURE_BY_V5["daily_consumption"]
    start, end = recent_range(3, ending_days_ago=12)
    refused = await gateway.get(
        operation.path,
        params={"pointId": point, "dateDebut": str(start), "dateFin": str(end)},
        headers=account.bearer,
    )
    assert refused.status == 403
    assert await refused.json() == {
        "code": NOT_HOLDER.code,
        "message": NOT_HOLDER.message,
    }
