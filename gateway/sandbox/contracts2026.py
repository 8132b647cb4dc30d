"""The 2026 contract-data APIs ("ITC"): ``GET /{api}/v1/{prm}``, English snake_case bodies.

Built from the same ``customers`` rows as the v5 customers bodies, so both generations
agree. Rules: the PRM goes in the path; any query parameter (the PRM given as
``?usage_point_id=``, as v5 did) is outside the definition and answers 500; a path PRM that
is not 14 digits is 404 "... ou PRM non existant"; a point not shared is 403 "Le client
n'est pas autorisé pour le point demandé".

Field choices where Enedis' definitions are silent:

- ``situation_contrat``: a list, one entry per direction: consumption ``Contrat GRD-F``,
  segment ``C5``, ``subscribed_power {unit: "kVA", value}`` and ``distribution_tariff``;
  production ``Contrat GRD-A``, segment ``P4``, no power. ``contract_start`` is the v5
  ``last_activation_date`` at 00:00 (``YYYY-MM-DDTHH:MM:SS+HHMM``), for both entries.
  ``customer.customer.adress`` (Enedis' spelling): ``line1`` title, first and last name,
  ``line4`` street, ``line5`` locality (if any), ``line6`` postal code and city, ``line7``
  ``FRANCE`` (the holder's postal address: the point's). ``contact_data``: the v5 contact
  ``phone`` and ``email`` (no landline); ``person``: the v5 identity. No customer id: 2026
  does not give it.
- ``synth_contrat``: ``segments`` as above; ``consumption_last_activation_date`` and
  ``generation_last_activation_date`` (producers) the contract start;
  ``last_subscribed_power_change_date`` the v5 ``last_distribution_tariff_change_date``;
  ``services_level`` ``2`` with a load curve, else ``1``.
- ``comptage``: one ``compteurs`` entry (serial number derived from the PRM, rented meter);
  ``relais.plageHeuresCreuses`` the v5 ``offpeak_hours`` string, verbatim, and no ``relais``
  for base contracts. No ``dispositifComptage``: 2026 does not give the meter type.
- ``donnees_generales``: ``address`` with ``number_street_name``, ``locality`` (if any),
  ``postal_code_city`` (``"69003 Lyon"``) and ``insee_code``; no geographic coordinates.
- ``alimentation``: ``Alimenté``, ``BTINF``, one phase, 230 V, the subscribed power as
  ``consumption_connection_power`` (kVA) and the solar peak power as
  ``generation_connection_power`` (kVA) for producers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from gateway.enedis import upstream_errors_2026 as errors
from gateway.enedis.catalogue import Api, ContractApi
from gateway.enedis.rules import is_usage_point_id
from gateway.enedis.upstream_errors_2026 import Error2026Answer
from gateway.sandbox.customers import Customer, UsagePoint
from gateway.sandbox.guard import Handler, guarded
from gateway.sandbox.state import STATE

__all__ = ["contract_body", "contract_handler", "prm_in_query_handler"]

_CONTRACT_TYPES = {"C5": "Contrat GRD-F", "P4": "Contrat GRD-A"}


def _segments(point: UsagePoint) -> list[dict[str, str]]:
    return [{"segment": segment} for segment in point.segments]


def _situation(customer: Customer, point: UsagePoint) -> list[dict[str, Any]]:
    a = point.address
    adress = {"line1": f"{customer.title} {customer.firstname} {customer.lastname}"}
    adress["line4"] = a.street
    if a.locality is not None:
        adress["line5"] = a.locality
    adress |= {"line6": f"{a.postal_code} {a.city}", "line7": "FRANCE"}
    common = {
        "contract_start": point.contract.contract_start,
        "customer": {"customer": {"adress": adress}},
        "contact_data": {"email": customer.email, "phone": customer.phone},
        "person": {
            "title": customer.title,
            "lastname": customer.lastname,
            "firstname": customer.firstname,
        },
    }
    contracts: list[dict[str, Any]] = []
    for segment in point.segments:
        entry: dict[str, Any] = {"contract_type": _CONTRACT_TYPES[segment], "segment": segment}
        if segment == "C5":  # withdrawal: subscribed power and tariff
            entry["subscribed_power"] = {"unit": "kVA", "value": str(point.contract.subscribed_kva)}
            entry["distribution_tariff"] = point.contract.distribution_tariff
        contracts.append(entry | common)
    return contracts


def _synthesis(customer: Customer, point: UsagePoint) -> dict[str, Any]:
    start = point.contract.contract_start
    body: dict[str, Any] = {"segments": _segments(point)}
    if point.production:
        body["generation_last_activation_date"] = start
    if point.consumption:
        body["consumption_last_activation_date"] = start
    day, _, offset = point.contract.last_distribution_tariff_change_date.partition("+")
    body["last_subscribed_power_change_date"] = f"{day}T00:00:00+{offset.replace(':', '')}"
    body["services_level"] = "2" if point.has_load_curve else "1"
    return body


def _metering(customer: Customer, point: UsagePoint) -> dict[str, Any]:
    meter = {
        "numeroSerie": f"0{point.usage_point_id[-11:]}",
        "regimePropriete": {"code": "LOUE", "libelle": "Loué"},
    }
    body: dict[str, Any] = {"compteurs": [meter]}
    if point.contract.offpeak_hours is not None:
        body["relais"] = {"plageHeuresCreuses": point.contract.offpeak_hours}
    return body


def _general(customer: Customer, point: UsagePoint) -> dict[str, Any]:
    a = point.address
    address = {"number_street_name": a.street}
    if a.locality is not None:
        address["locality"] = a.locality
    address |= {"postal_code_city": f"{a.postal_code} {a.city}", "insee_code": a.insee_code}
    return {"address": address}


def _connection(customer: Customer, point: UsagePoint) -> dict[str, Any]:
    body: dict[str, Any] = {
        "serial_number": int(point.usage_point_id[-8:]) + 20_000_000,
        "connection_state": "Alimenté",
        "voltage_level": "BTINF",
        "phase_count": "1",
    }
    if point.consumption:
        body["consumption_connection_power"] = {
            "value": point.contract.subscribed_kva,
            "unit": "kVA",
        }
    if point.production:
        body["generation_connection_power"] = {"value": point.solar_kwc, "unit": "kVA"}
    body["nominal_service_voltage"] = {"value": 230, "unit": "V"}
    return body


_BODIES: dict[Api, Callable[[Customer, UsagePoint], Any]] = {
    Api.SITUATION_CONTRAT: _situation,
    Api.SYNTH_CONTRAT: _synthesis,
    Api.COMPTAGE: _metering,
    Api.DONNEES_GENERALES: _general,
    Api.ALIMENTATION: _connection,
}


def contract_body(api: Api, customer: Customer, point: UsagePoint) -> Any:
    """The 200 body of a contract-data API for one point."""
    return _BODIES[api](customer, point)


def contract_handler(contract: ContractApi) -> Handler:
    """The guarded handler of ``GET {base}/{prm}``."""

    async def handle(request: web.Request) -> web.StreamResponse:
        if request.query:
            raise Error2026Answer(errors.TECHNICAL)
        usage_point_id = request.match_info["prm"]
        if not is_usage_point_id(usage_point_id):
            raise Error2026Answer(errors.CONTRACT_NOT_FOUND[contract.api])
        found = request.app[STATE].consents.readable(usage_point_id)
        if found is None:
            raise Error2026Answer(errors.CONTRACT_FORBIDDEN)
        return web.json_response(contract_body(contract.api, *found))

    return guarded(contract.name, handle, contract.api)


def prm_in_query_handler(contract: ContractApi) -> Handler:
    """The guarded handler of ``GET {base}`` (the PRM missing from the path): 500."""

    async def handle(request: web.Request) -> web.StreamResponse:
        raise Error2026Answer(errors.TECHNICAL)

    return guarded(contract.name, handle, contract.api)
