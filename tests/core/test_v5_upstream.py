"""The gateway on an Enedis that still runs v5 (``ENEDIS_API=v5``): the same surfaces over
the v5 adapter. The rest of the suite runs on it with ``TEST_ENEDIS_API=v5``; this module
keeps it covered in every run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gateway.app import build_app
from gateway.config import Settings
from gateway.enedis.catalogue import ENDPOINTS, MEASURE_BY_V5, DataKind
from tests.conftest import Services
from tests.support.journey import ready_account
from tests.support.processes import ChildProcess, running_sandbox, upstream_at
from tests.support.sandbox import CONSUMPTION_AND_PRODUCTION, direct, query, recent_range


@pytest.fixture
def v5_enedis(tmp_path: Path) -> Iterator[ChildProcess]:
    with running_sandbox(tmp_path, {"SANDBOX_APIS": "2026,v5"}) as sandbox:
        yield sandbox


async def test_every_surface_over_a_v5_upstream(
    aiohttp_client: Any, clean_services: Services, v5_enedis: ChildProcess
) -> None:
    env = clean_services.env(ENEDIS_API="v5", **upstream_at(v5_enedis))
    gateway = await aiohttp_client(build_app(Settings.from_env(env)))
    account = await ready_account(gateway)
    start, end = recent_range(4)
    for endpoint in ENDPOINTS:
        params = query(CONSUMPTION_AND_PRODUCTION, endpoint, start, end)
        status, expected = await direct(v5_enedis.url, endpoint, params)
        assert status == 200, (endpoint.name, expected)
        answer = await gateway.get(endpoint.path, params=params, headers=account.bearer)
        assert answer.status == 200, (endpoint.name, await answer.text())
        assert await answer.json() == expected, endpoint.name
        if endpoint.kind is DataKind.CUSTOMER:
            continue
        # the same cached days through the 2026 surface, values and timestamps equal
        operation = MEASURE_BY_V5[endpoint.name]
        mirror_params = {
            "pointId": CONSUMPTION_AND_PRODUCTION,
            "dateDebut": start.isoformat(),
            "dateFin": end.isoformat(),
        }
        if operation.choices:
            mirror_params |= {"mesuresPas": "P1D", "grandeurPhysique": "PMA"}
        mirror = await gateway.get(operation.path, params=mirror_params, headers=account.bearer)
        assert mirror.headers["X-Cache-Status"] == "HIT", endpoint.name
        points = (await mirror.json())["grandeur"][0]["points"]
        readings = expected["meter_reading"]["interval_reading"]
        assert [(p["d"], p["v"]) for p in points] == [(r["date"], r["value"]) for r in readings]
    ready = await (await gateway.get("/health/ready")).json()
    assert ready["upstream"]["generation"] == "v5"
