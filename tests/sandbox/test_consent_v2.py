"""Consent v2 and subscribed services; generated customers; revocation; the HTML page."""

from __future__ import annotations

import re
from dataclasses import replace
from html import unescape
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aiohttp
import jsonschema

from gateway.enedis.catalogue import (
    CONSENT_V1_PATH,
    CONSENT_V2_PATH,
    MEASURE_BY_NAME,
    SUBSCRIBED_SERVICES_PATH,
)
from gateway.enedis.schemas2026 import load
from gateway.sandbox.customers import CUSTOMERS
from tests.sandbox.conftest import ROOMY, MakeSandbox, Sandbox, days_ago

PARAMS = {"client_id": ROOMY.client_id, "response_type": "code", "duration": "P36M"}


async def _consent(sandbox: Sandbox, path: str = CONSENT_V2_PATH, **extra: str) -> dict[str, Any]:
    resp = await sandbox.client.get(path, params=PARAMS | extra, allow_redirects=False)
    assert resp.status == 302, await resp.text()
    return {k: v[0] for k, v in parse_qs(urlsplit(resp.headers["Location"]).query).items()}


async def _services(sandbox: Sandbox, autorisation_id: str, **extra: Any) -> tuple[int, Any]:
    body = {"autorisationId": int(autorisation_id), "comptage": False} | extra
    return await sandbox.post(SUBSCRIBED_SERVICES_PATH, body)


async def test_round_trip(sandbox: Sandbox) -> None:
    query = await _consent(sandbox, state="s1", sandbox_customer="default")
    assert set(query) == {"autorisation_id", "state"}
    assert query["state"] == "s1"
    again = await _consent(
        sandbox, sandbox_customer="default", sandbox_usage_point="09100000000002"
    )
    assert again["autorisation_id"] == query["autorisation_id"]  # stable per holder

    status, body = await _services(sandbox, query["autorisation_id"])
    assert (status, body) == (200, {"nbTotalServices": 0, "serviceSouscrit": None})
    sandbox.clock.advance(ROOMY.subscription_delay_seconds)
    status, body = await _services(sandbox, query["autorisation_id"])
    assert status == 200
    jsonschema.validate(body, load("subscribed_services"))
    services = body["serviceSouscrit"]
    assert body["nbTotalServices"] == len(services)
    assert {s["pointId"] for s in services} == {"09100000000001", "09100000000002"}
    assert {s["etatCode"] for s in services} == {"ACTIF"}
    assert {s["autorisation"]["autorisationId"] for s in services} == {
        int(query["autorisation_id"])
    }
    count = await sandbox.post(
        SUBSCRIBED_SERVICES_PATH, {"autorisationId": query["autorisation_id"], "comptage": True}
    )
    assert count == (200, {"nbTotalServices": len(services)})
    status, only = await _services(
        sandbox, query["autorisation_id"], pointId=["09100000000002"], mesureTypeCode=["ITC"]
    )
    assert [s["pointId"] for s in only["serviceSouscrit"]] == ["09100000000002"]


async def test_other_holder_other_id_and_bad_bodies(sandbox: Sandbox) -> None:
    first = await _consent(sandbox, sandbox_customer="default")
    other = await _consent(sandbox, sandbox_customer="consumption_only")
    assert first["autorisation_id"] != other["autorisation_id"]
    for body in ([], {"autorisationId": 1}, {"autorisationId": "x", "comptage": False}):
        status, _ = await sandbox.post(SUBSCRIBED_SERVICES_PATH, body)
        assert status == 500, body
    status, _ = await sandbox.post(SUBSCRIBED_SERVICES_PATH, {"comptage": False})
    assert status == 400


async def test_refusal(sandbox: Sandbox) -> None:
    query = await _consent(sandbox, state="s", sandbox_customer="default", sandbox_refuse="1")
    assert query == {"error": "access_denied", "error_description": "access_denied", "state": "s"}


async def test_revocation_and_new_consent(sandbox: Sandbox, today: Any) -> None:
    daily = MEASURE_BY_NAME["consommation_quotidienne"]
    params = {"pointId": "09200000000001", "dateDebut": days_ago(today, 3)}
    params["dateFin"] = days_ago(today, 1)
    query = await _consent(sandbox, sandbox_customer="consumption_only")
    sandbox.clock.advance(5)
    resp = await sandbox.client.post("/__sandbox/revoke", json={"usage_point_id": "09200000000001"})
    assert resp.status == 200
    assert (await sandbox.get(daily.path, **params))[0] == 403
    v5 = await sandbox.get(
        "/metering_data_dc/v5/daily_consumption",
        usage_point_id="09200000000001",
        start=params["dateDebut"],
        end=params["dateFin"],
    )
    assert v5[0] == 403
    _, body = await _services(sandbox, query["autorisation_id"])
    assert {s["etatCode"] for s in body["serviceSouscrit"]} == {"TERMINE"}
    assert {s["dateFin"] for s in body["serviceSouscrit"]} == {today.isoformat()}

    again = await _consent(sandbox, sandbox_customer="consumption_only")
    assert again["autorisation_id"] == query["autorisation_id"]
    sandbox.clock.advance(5)
    _, body = await _services(sandbox, query["autorisation_id"])
    assert {s["etatCode"] for s in body["serviceSouscrit"]} == {"ACTIF"}
    assert (await sandbox.get(daily.path, **params))[0] == 200
    resp = await sandbox.client.post("/__sandbox/revoke", json={"usage_point_id": "01234567890123"})
    assert resp.status == 404


async def test_table_revoked_customer_is_ended(sandbox: Sandbox) -> None:
    query = await _consent(sandbox, sandbox_customer="revoked")
    sandbox.clock.advance(5)
    _, body = await _services(sandbox, query["autorisation_id"])
    assert {s["etatCode"] for s in body["serviceSouscrit"]} == {"TERMINE"}


async def test_generated_customers(sandbox: Sandbox, today: Any) -> None:
    one = await _consent(sandbox, CONSENT_V1_PATH, sandbox_customer="holder-17")
    two = await _consent(sandbox, CONSENT_V1_PATH, sandbox_customer="holder-18")
    assert one["usage_point_id"] != two["usage_point_id"]
    assert one["usage_point_id"].startswith("098") and len(one["usage_point_id"]) == 14
    same = await _consent(sandbox, CONSENT_V1_PATH, sandbox_customer="holder-17")
    assert same["usage_point_id"] == one["usage_point_id"]  # deterministic from the name
    curve = MEASURE_BY_NAME["courbe_de_charge_consommation"]
    status, body = await sandbox.get(
        curve.path,
        pointId=one["usage_point_id"],
        dateDebut=days_ago(today, 2),
        dateFin=days_ago(today, 1),
    )
    assert status == 200 and len(body["grandeur"][0]["points"]) in (46, 48, 50)


async def test_strict_shares(make_sandbox: MakeSandbox) -> None:
    sandbox = await make_sandbox(replace(ROOMY, strict_shares=True))
    await _consent(sandbox, sandbox_customer="gaps")
    resp = await sandbox.client.get(
        CONSENT_V2_PATH, params=PARAMS | {"sandbox_customer": "gaps"}, allow_redirects=False
    )
    assert resp.status == 409
    assert "Une erreur est survenue lors du partage de vos données" in await resp.text()


async def test_html_page_lists_customers_and_accepts(sandbox: Sandbox) -> None:
    for path in (CONSENT_V1_PATH, CONSENT_V2_PATH):
        resp = await sandbox.client.get(
            path, params=PARAMS | {"state": "st"}, headers={"Accept": "text/html"}
        )
        assert resp.status == 200
        page = await resp.text()
        assert all(name in page for name in CUSTOMERS)
        assert "09700000000015" in page
        form = re.search(r'<form method="post" action="([^"]+)">(.*?)</form>', page)
        assert form is not None
        fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form.group(2)))
        fields = {k: unescape(v) for k, v in fields.items()} | {"decision": "accept"}
        answer = await sandbox.client.post(
            form.group(1), data=aiohttp.FormData(fields), allow_redirects=False
        )
        assert answer.status == 302
        query = parse_qs(urlsplit(answer.headers["Location"]).query)
        assert query["state"] == ["st"]
        assert ("autorisation_id" if path == CONSENT_V2_PATH else "code") in query
        fields["decision"] = "refuse"
        refused = await sandbox.client.post(form.group(1), data=fields, allow_redirects=False)
        assert "error=access_denied" in refused.headers["Location"]


async def test_reset_may_forget_consents(sandbox: Sandbox) -> None:
    query = await _consent(sandbox, sandbox_customer="gaps")
    await sandbox.client.post("/__sandbox/revoke", json={"usage_point_id": "09600000000001"})
    assert (await sandbox.client.post("/__sandbox/reset")).status == 200
    sandbox.clock.advance(5)
    _, body = await _services(sandbox, query["autorisation_id"])
    assert {s["etatCode"] for s in body["serviceSouscrit"]} == {"TERMINE"}  # kept
    bad = await sandbox.client.post("/__sandbox/reset", json={"consents": "yes"})
    assert bad.status == 400
    assert (await sandbox.client.post("/__sandbox/reset", json={"consents": True})).status == 200
    assert await _services(sandbox, query["autorisation_id"]) == (
        200,
        {"nbTotalServices": 0, "serviceSouscrit": None},
    )
    contracts = await sandbox.get(
        "/customers_upc/v5/usage_points/contracts", usage_point_id="09600000000001"
    )
    assert contracts[0] == 200  # the revocation is forgotten too
