"""The 2026 contract-data APIs over HTTP: schemas, agreement with v5, path rules."""

from __future__ import annotations

from dataclasses import replace

import jsonschema
import pytest

from gateway.enedis.catalogue import BY_NAME, CONTRACT_API_BY_NAME, CONTRACT_APIS, Api, ContractApi
from gateway.enedis.schemas2026 import contract_schema, load
from tests.sandbox.conftest import ROOMY, MakeSandbox, Sandbox

PROSUMER = "09100000000001"


@pytest.mark.parametrize("contract", CONTRACT_APIS, ids=lambda c: c.name)
@pytest.mark.parametrize("point", [PROSUMER, "09100000000002", "09300000000001"])
async def test_every_api_matches_its_schema(
    sandbox: Sandbox, contract: ContractApi, point: str
) -> None:
    status, body = await sandbox.get(contract.path(point))
    assert status == 200, body
    jsonschema.validate(body, contract_schema(contract.api))


async def test_self_consumption_has_two_contracts(sandbox: Sandbox) -> None:
    _, contracts = await sandbox.get(CONTRACT_API_BY_NAME["situation_contrat"].path(PROSUMER))
    assert [(c["contract_type"], c["segment"]) for c in contracts] == [
        ("Contrat GRD-F", "C5"),
        ("Contrat GRD-A", "P4"),
    ]
    assert contracts[0]["subscribed_power"] == {"unit": "kVA", "value": "9"}
    assert "subscribed_power" not in contracts[1]
    _, synthesis = await sandbox.get(CONTRACT_API_BY_NAME["synth_contrat"].path(PROSUMER))
    assert synthesis["segments"] == [{"segment": "C5"}, {"segment": "P4"}]
    assert "generation_last_activation_date" in synthesis


async def test_contract_data_agree_with_v5(sandbox: Sandbox) -> None:
    def v5(name: str) -> tuple[str, dict[str, str]]:
        return BY_NAME[name].path, {"usage_point_id": PROSUMER}

    _, old = await sandbox.get(v5("contracts")[0], **v5("contracts")[1])
    old_contract = old["customer"]["usage_points"][0]["contracts"]
    _, situation = await sandbox.get(CONTRACT_API_BY_NAME["situation_contrat"].path(PROSUMER))
    _, metering = await sandbox.get(CONTRACT_API_BY_NAME["comptage"].path(PROSUMER))
    assert f"{situation[0]['subscribed_power']['value']} kVA" == old_contract["subscribed_power"]
    assert situation[0]["distribution_tariff"] == old_contract["distribution_tariff"]
    assert situation[0]["contract_start"][:10] == old_contract["last_activation_date"][:10]
    assert metering["relais"]["plageHeuresCreuses"] == old_contract["offpeak_hours"]

    _, identity = await sandbox.get(v5("identity")[0], **v5("identity")[1])
    _, contact = await sandbox.get(v5("contact_data")[0], **v5("contact_data")[1])
    person = identity["identity"]["natural_person"]
    assert situation[0]["person"] == {
        "title": person["title"],
        "lastname": person["lastname"],
        "firstname": person["firstname"],
    }
    assert situation[0]["contact_data"] == contact["contact"]

    _, addresses = await sandbox.get(v5("addresses")[0], **v5("addresses")[1])
    old_address = addresses["customer"]["usage_points"][0]["usage_point"]["usage_point_addresses"]
    _, general = await sandbox.get(CONTRACT_API_BY_NAME["donnees_generales"].path(PROSUMER))
    assert general["address"] == {
        "number_street_name": old_address["street"],
        "postal_code_city": f"{old_address['postal_code']} {old_address['city']}",
        "insee_code": old_address["insee_code"],
    }


@pytest.mark.parametrize("contract", CONTRACT_APIS, ids=lambda c: c.name)
async def test_prm_in_query_answers_500(sandbox: Sandbox, contract: ContractApi) -> None:
    for path in (contract.base, contract.base + "/", contract.path(PROSUMER)):
        status, body = await sandbox.get(path, usage_point_id=PROSUMER)
        assert status == 500, path
        jsonschema.validate(body, load("error"))


async def test_unknown_revoked_and_malformed_points(sandbox: Sandbox) -> None:
    comptage = CONTRACT_API_BY_NAME["comptage"]
    for point in ("09500000000001", "09999999999999"):
        status, body = await sandbox.get(comptage.path(point))
        assert (status, body["code"]) == (403, "403")
    status, body = await sandbox.get(comptage.path("123"))
    assert (status, body["message"]) == (404, "Situation comptage ou PRM non existant")


async def test_unsubscribed_api_answers_900908(make_sandbox: MakeSandbox) -> None:
    sandbox = await make_sandbox(replace(ROOMY, unsubscribed=frozenset({Api.COMPTAGE})))
    status, body = await sandbox.get(CONTRACT_API_BY_NAME["comptage"].path(PROSUMER))
    assert status == 403
    assert body["code"] == "900908"
    assert body["message"] == "Resource forbidden "
    assert body["description"].endswith("API Subscription validation failed.")
    status, _ = await sandbox.get(CONTRACT_API_BY_NAME["alimentation"].path(PROSUMER))
    assert status == 200
