"""The 2026 measurement API over HTTP: bodies against the project's schemas, rules, errors."""

from __future__ import annotations

import itertools
import re
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import jsonschema
import pytest

from gateway.enedis.catalogue import MEASURE_BY_NAME, MEASURE_OPERATIONS, Api, MeasureOperation
from gateway.enedis.schemas2026 import load, measure_schema
from tests.sandbox.conftest import ROOMY, MakeSandbox, Sandbox, days_ago, last_sunday

BASE = "/mesure_synchrone_auto/v2"
PROSUMER = "09100000000001"
STAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}")


def _params(op: MeasureOperation, point: str, start: str, end: str) -> dict[str, str]:
    params = {"pointId": point, "dateDebut": start, "dateFin": end}
    return params | {c.name: c.values[0] for c in op.choices}


def _points(body: dict[str, Any]) -> list[dict[str, Any]]:
    points = body["grandeur"][0]["points"]
    assert isinstance(points, list)
    return points


@pytest.mark.parametrize("op", MEASURE_OPERATIONS, ids=lambda op: op.name)
async def test_every_operation_matches_its_schema(
    sandbox: Sandbox, today: date, op: MeasureOperation
) -> None:
    status, body = await sandbox.get(
        op.path, **_params(op, PROSUMER, days_ago(today, 4), days_ago(today, 1))
    )
    assert status == 200, body
    jsonschema.validate(body, measure_schema(op))
    assert body["idPrm"] == PROSUMER
    assert body["periode"] == {"dateDebut": days_ago(today, 4), "dateFin": days_ago(today, 1)}


async def test_point_formats(sandbox: Sandbox, today: date) -> None:
    start, end = days_ago(today, 3), days_ago(today, 1)
    daily = MEASURE_BY_NAME["consommation_quotidienne"]
    _, body = await sandbox.get(daily.path, **_params(daily, PROSUMER, start, end))
    assert [p["d"] for p in _points(body)] == [start, days_ago(today, 2)]
    assert (body["modeCalcul"], body["pas"], body["etapeMetier"]) == ("DIFF.INDEX", "P1D", "BRUT")

    power = MEASURE_BY_NAME["puissance_conso_max_quotidienne"]
    _, body = await sandbox.get(power.path, **_params(power, PROSUMER, start, end))
    assert [p["d"][:10] for p in _points(body)] == [start, days_ago(today, 2)]
    assert all(STAMP.fullmatch(p["d"]) for p in _points(body))

    curve = MEASURE_BY_NAME["courbe_de_charge_consommation"]
    _, body = await sandbox.get(curve.path, **_params(curve, PROSUMER, start, end))
    points = _points(body)
    assert len(points) == 96
    assert points[0]["d"] == f"{start} 00:30:00"
    assert points[47]["d"] == f"{days_ago(today, 2)} 00:00:00"
    assert {(p["p"], p["n"], p["iv"], p["ec"]) for p in points} == {("PT30M", "B", "0", "0")}


async def test_load_curve_on_dst_days(sandbox: Sandbox, today: date) -> None:
    curve = MEASURE_BY_NAME["courbe_de_charge_consommation"]
    year = today.year if today >= date(today.year, 11, 1) else today.year - 1
    for day, count in ((last_sunday(year, 3), 46), (last_sunday(year, 10), 50)):
        params = _params(curve, PROSUMER, day.isoformat(), (day + timedelta(days=1)).isoformat())
        status, body = await sandbox.get(curve.path, **params)
        assert status == 200, body
        assert len(_points(body)) == count


async def test_max_power_monthly_and_all_phases(sandbox: Sandbox, today: date) -> None:
    power = MEASURE_BY_NAME["puissance_conso_max_quotidienne"]
    start = date(today.year, today.month, 1) - timedelta(days=40)
    end = today - timedelta(days=1)
    params = _params(power, PROSUMER, start.isoformat(), end.isoformat())
    _, daily = await sandbox.get(power.path, **params)
    _, monthly = await sandbox.get(power.path, **(params | {"mesuresPas": "P1M"}))
    _, everything = await sandbox.get(power.path, **(params | {"grandeurPhysique": "TOUT"}))
    assert monthly["pas"] == "P1M"
    months = {p["d"][:7] for p in _points(daily)}
    assert len(_points(monthly)) == len(months)
    best = max(_points(daily), key=lambda p: int(p["v"]))
    assert best in _points(monthly)
    assert everything == daily


async def test_indexes_add_up_to_daily_energy(sandbox: Sandbox, today: date) -> None:
    start, end = days_ago(today, 6), days_ago(today, 1)
    index = MEASURE_BY_NAME["index_consommation"]
    _, body = await sandbox.get(index.path, **_params(index, PROSUMER, start, end))
    grandeur = body["contexte"][0]["grandeur"][0]
    classes = grandeur["calendrier"][0]["classeTemporelle"]
    assert [c["idClasseTemporelle"] for c in classes] == ["HC", "HP"]
    total = [v["v"] for v in grandeur["cadranTotalisateur"]["valeur"]]
    assert total == [sum(c["valeur"][i]["v"] for c in classes) for i in range(5)]
    daily = MEASURE_BY_NAME["consommation_quotidienne"]
    _, energy = await sandbox.get(daily.path, **_params(daily, PROSUMER, start, end))
    values = [int(p["v"]) for p in _points(energy)]
    assert [b - a for a, b in itertools.pairwise(total)] == values[:-1]


@pytest.mark.parametrize(
    "params",
    [
        {"pointId": PROSUMER, "dateDebut": "2026-01-01"},  # missing dateFin
        {"pointId": "123", "dateDebut": "2026-01-01", "dateFin": "2026-01-02"},
        {"pointId": PROSUMER, "dateDebut": "2026-1-01", "dateFin": "2026-01-02"},
        {"pointId": PROSUMER, "dateDebut": "2026-01-01", "dateFin": "2026-01-02", "x": "1"},
        {"usage_point_id": PROSUMER, "start": "2026-01-01", "end": "2026-01-02"},
    ],
)
async def test_requests_outside_the_definition_answer_500(
    sandbox: Sandbox, params: dict[str, str]
) -> None:
    status, body = await sandbox.get(f"{BASE}/consommation_quotidienne", **params)
    assert status == 500
    jsonschema.validate(body, load("error"))
    assert body["message"] == "Problème technique dans l'interrogation du SI coeur"


async def test_max_power_choices_are_required(sandbox: Sandbox, today: date) -> None:
    path = f"{BASE}/puissance_conso_max_quotidienne"
    base = {"pointId": PROSUMER, "dateDebut": days_ago(today, 3), "dateFin": days_ago(today, 1)}
    assert (await sandbox.get(path, **base))[0] == 500
    bad = base | {"mesuresPas": "PT30M", "grandeurPhysique": "PMA"}
    assert (await sandbox.get(path, **bad))[0] == 500


async def test_rules_and_errors(sandbox: Sandbox, today: date) -> None:
    curve = MEASURE_BY_NAME["courbe_de_charge_consommation"]
    daily = MEASURE_BY_NAME["consommation_quotidienne"]
    cases = [
        (curve, PROSUMER, 9, 1, 400),  # 8 days of load curve
        (daily, PROSUMER, 1, 1, 400),  # dateFin == dateDebut
        (daily, PROSUMER, 1, -1, 400),  # dateFin in the future
        (daily, PROSUMER, 1200, 1190, 400),  # beyond 36 months + 15 days
        (daily, "09500000000001", 3, 1, 403),  # revoked
        (daily, "09999999999999", 3, 1, 403),  # unknown
        (daily, "09300000000001", 3, 1, 404),  # production only: no consumption
        (curve, "09400000000001", 3, 1, 404),  # no load curve recorded
    ]
    for op, point, start, end, expected in cases:
        params = _params(op, point, days_ago(today, start), days_ago(today, end))
        status, body = await sandbox.get(op.path, **params)
        assert status == expected, (op.name, point, body)
        jsonschema.validate(body, load("error"))
    _, body = await sandbox.get(
        daily.path, **_params(daily, "09500000000001", "2026-01-01", "2026-01-02")
    )
    assert body == {"code": "403", "message": "Le client n'est pas titulaire du point demandé"}


async def test_days_without_data(sandbox: Sandbox, today: date) -> None:
    daily = MEASURE_BY_NAME["consommation_quotidienne"]
    month = today.replace(day=1) - timedelta(days=1)
    gaps = _params(
        daily,
        "09600000000001",
        month.replace(day=10).isoformat(),
        month.replace(day=13).isoformat(),
    )
    status, body = await sandbox.get(daily.path, **gaps)
    assert (status, body["message"]) == (404, "Pas de mesure trouvée pour ce point")
    around = gaps | {"dateDebut": month.replace(day=9).isoformat()}
    status, body = await sandbox.get(daily.path, **around)
    assert [p["d"] for p in _points(body)] == [month.replace(day=9).isoformat()]


async def test_unsubscribed_api_and_tokens(make_sandbox: MakeSandbox, today: date) -> None:
    sandbox = await make_sandbox(replace(ROOMY, unsubscribed=frozenset({Api.MESURE})))
    daily = MEASURE_BY_NAME["consommation_quotidienne"]
    params = _params(daily, PROSUMER, days_ago(today, 3), days_ago(today, 1))
    status, body = await sandbox.get(daily.path, **params)
    assert (status, body["code"]) == (403, "900908")
    resp = await sandbox.client.get(daily.path, params=params)
    assert resp.status == 401
    assert (await resp.json())["code"] == "900901"
