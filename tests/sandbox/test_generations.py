"""Both generations at once: same data, SANDBOX_APIS, per-API quotas, faults and stats."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from gateway.enedis.catalogue import (
    BY_NAME,
    CONSENT_V1_PATH,
    CONTRACT_API_BY_NAME,
    ENDPOINTS,
    MEASURE_BY_V5,
    Generation,
)
from gateway.sandbox.settings import FaultSettings, SandboxSettings
from tests.sandbox.conftest import ROOMY, MakeSandbox, days_ago

PROSUMER = "09100000000001"


def _v5_points(body: dict[str, Any]) -> list[tuple[str, str]]:
    return [(r["value"], r["date"]) for r in body["meter_reading"]["interval_reading"]]


def _2026_points(body: dict[str, Any]) -> list[tuple[str, str]]:
    return [(p["v"], p["d"]) for p in body["grandeur"][0]["points"]]


@pytest.mark.parametrize("v5_name", sorted(MEASURE_BY_V5))
@pytest.mark.parametrize("point", [PROSUMER, "09700000000015"])
async def test_same_days_same_values(
    make_sandbox: MakeSandbox, today: date, v5_name: str, point: str
) -> None:
    sandbox = await make_sandbox()
    op = MEASURE_BY_V5[v5_name]
    start, end = days_ago(today, 4), days_ago(today, 1)
    status, old = await sandbox.get(
        BY_NAME[v5_name].path, usage_point_id=point, start=start, end=end
    )
    choices = {c.name: c.values[0] for c in op.choices}
    status_2026, new = await sandbox.get(
        op.path, pointId=point, dateDebut=start, dateFin=end, **choices
    )
    assert (status == 200) == (status_2026 == 200)  # v5's wrong direction is 400, 2026's 404
    if status == 200:
        assert _2026_points(new) == _v5_points(old)


async def test_2026_only_retires_v5(make_sandbox: MakeSandbox, today: date) -> None:
    sandbox = await make_sandbox(replace(ROOMY, apis=frozenset({Generation.V2026})))
    for endpoint in ENDPOINTS:
        params = {"usage_point_id": PROSUMER}
        if endpoint.is_ranged:
            params |= {"start": days_ago(today, 2), "end": days_ago(today, 1)}
        status, body = await sandbox.get(endpoint.path, **params)
        assert (status, body["code"]) == (403, "900908"), endpoint.name
    consent = {"client_id": ROOMY.client_id, "response_type": "code", "duration": "P36M"}
    resp = await sandbox.client.get(CONSENT_V1_PATH, params=consent, allow_redirects=False)
    assert resp.status == 403
    assert (await resp.json())["code"] == "900908"
    status, _ = await sandbox.get(CONTRACT_API_BY_NAME["comptage"].path(PROSUMER))
    assert status == 200


async def test_quotas_per_api(make_sandbox: MakeSandbox, today: date) -> None:
    sandbox = await make_sandbox(SandboxSettings(rate_per_hour_2026=7))
    comptage = CONTRACT_API_BY_NAME["comptage"].path(PROSUMER)
    synthesis = CONTRACT_API_BY_NAME["synth_contrat"].path(PROSUMER)
    for _ in range(5):
        assert (await sandbox.get(comptage))[0] == 200
    status, body = await sandbox.get(comptage)
    assert (status, body) == (429, {"code": "429", "message": "SLA dépassé"})
    assert (await sandbox.get(synthesis))[0] == 200  # another API, same second
    v5 = await sandbox.get(BY_NAME["contracts"].path, usage_point_id=PROSUMER)
    assert v5[0] == 200
    sandbox.clock.advance(1.0)
    assert (await sandbox.get(comptage))[0] == 200
    assert (await sandbox.get(comptage))[0] == 200  # the 7th of the hour
    sandbox.clock.advance(1.0)
    assert (await sandbox.get(comptage))[0] == 429  # the 8th of the hour
    stats = await sandbox.stats()
    assert stats["rate_limited_by_api"]["comptage_auto"] == 2
    assert stats["calls_by_api"]["comptage_auto"] == 9
    assert stats["max_calls_per_second_by_api"]["comptage_auto"] == 6
    assert stats["max_calls_per_second_by_api"]["synth_contrat_auto"] == 1
    assert stats["calls_by_generation"] == {"2026": 10, "v5": 1}
    assert stats["calls"]["comptage"] == 9


async def test_thousand_and_first_call_of_the_hour(make_sandbox: MakeSandbox) -> None:
    sandbox = await make_sandbox(SandboxSettings())
    path = CONTRACT_API_BY_NAME["alimentation"].path(PROSUMER)
    for i in range(1000):
        if i % 5 == 0:
            sandbox.clock.advance(1.0)
        assert (await sandbox.client.get(path, headers=sandbox.auth)).status == 200
    sandbox.clock.advance(1.0)
    status, body = await sandbox.get(path)
    assert (status, body["message"]) == (429, "SLA dépassé")


async def test_faults_apply_to_2026(make_sandbox: MakeSandbox) -> None:
    sandbox = await make_sandbox(replace(ROOMY, faults=FaultSettings(error_rate=1.0)))
    status, body = await sandbox.get(CONTRACT_API_BY_NAME["comptage"].path(PROSUMER))
    assert status in (500, 503)
    assert set(body) == {"code", "message"}
    await sandbox.set_faults(error_rate=0.0, outage=True)
    status, body = await sandbox.get(CONTRACT_API_BY_NAME["comptage"].path(PROSUMER))
    assert (status, body["code"]) == (503, "503")
