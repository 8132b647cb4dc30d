"""The v5 dialect: Enedis v5 bodies rendered from the model.

Measurements: ``{"meter_reading": {usage_point_id, start, end, quality, reading_type,
interval_reading}}``; ``quality`` is the series' stage, ``reading_type`` the v5 description
of the kind of measurement (its unit from the series), each point ``{value, date}`` (load
curves add ``interval_length`` and ``measure_type``).

Customer data under a 2026 upstream, from the usage point's contract-data sections:

| v5 field | 2026 source |
|---|---|
| contracts.segment, subscribed_power, distribution_tariff, contract_type | \
``situation_contrat`` (the withdrawal contract, ``Contrat GRD-F``) |
| contracts.last_activation_date | ``synth_contrat.consumption_last_activation_date`` (date) |
| contracts.offpeak_hours | ``comptage.relais.plageHeuresCreuses`` |
| addresses.street, locality, postal_code, city, insee_code | ``donnees_generales.address`` |
| identity.natural_person | ``situation_contrat[].person`` |
| contact.email, phone | ``situation_contrat[].contact_data`` |

Not given by 2026, so left out rather than invented: ``usage_point_status``,
``meter_type``, ``contract_status``, ``last_distribution_tariff_change_date``,
``geo_points``, ``country``. ``customer_id``, which v5 clients (and the earlier gateway's
schemas) require, is marked unknown: ``""``.
Under a v5 upstream the v5 answer is the section and is answered as it came.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from gateway.cache.store import Entry
from gateway.data.model import Point, is_max_power
from gateway.data.outcome import no_data, sections_of, series_of
from gateway.data.request import DataRequest
from gateway.enedis.catalogue import DataKind, Endpoint

DIALECT = "v5"
#: A field v5 requires that Data Connect 2026 no longer gives.
UNKNOWN = ""


def reading_type(endpoint: Endpoint, unit: str) -> dict[str, str]:
    if endpoint.kind is DataKind.LOAD_CURVE:
        return {"measurement_kind": "power", "unit": unit, "aggregate": "average"}
    if is_max_power(endpoint):
        return {
            "measurement_kind": "power",
            "measuring_period": "P1D",
            "unit": unit,
            "aggregate": "maximum",
        }
    return {
        "measurement_kind": "energy",
        "measuring_period": "P1D",
        "unit": unit,
        "aggregate": "sum",
    }


def _reading(point: Point, curve: bool) -> dict[str, Any]:
    reading: dict[str, Any] = {"value": point.get("v"), "date": point.get("d")}
    if curve:
        if "p" in point:
            reading["interval_length"] = point["p"]
        if "n" in point:
            reading["measure_type"] = point["n"]
    return reading


def render(request: DataRequest, entries: Mapping[date | str, Entry]) -> dict[str, Any]:
    endpoint = request.endpoint
    if endpoint.kind is DataKind.CUSTOMER:
        return render_customer(request, entries)
    assert request.start is not None and request.end is not None
    meta, points = series_of(request, entries)
    curve = endpoint.kind is DataKind.LOAD_CURVE
    return {
        "meter_reading": {
            "usage_point_id": request.usage_point_id,
            "start": request.start.isoformat(),
            "end": request.end.isoformat(),
            "quality": meta.get("stage", "BRUT"),
            "reading_type": reading_type(endpoint, str(meta.get("unit", "Wh"))),
            "interval_reading": [_reading(point, curve) for point in points],
        }
    }


# -- customer data from 2026 sections -------------------------------------------------------


def _withdrawal(situation: Any) -> dict[str, Any]:
    """The withdrawal contract of a ``situation_contrat`` answer (a list of contracts)."""
    contracts = [c for c in situation if isinstance(c, dict)] if isinstance(situation, list) else []
    for contract in contracts:
        if "GRD-F" in str(contract.get("contract_type", "")):
            return contract
    return contracts[0] if contracts else {}


def v5_date(value: Any) -> str | None:
    """A 2026 date-time ``2016-03-21T00:00:00+0100`` as v5 wrote dates: ``2016-03-21+01:00``."""
    if not isinstance(value, str) or len(value) < 10:
        return None
    offset = value[19:] if len(value) >= 24 else ""
    if len(offset) == 5 and offset[0] in "+-":
        return f"{value[:10]}{offset[:3]}:{offset[3:]}"
    return value[:10]


def _put(target: dict[str, Any], key: str, value: Any) -> None:
    if value not in (None, "", {}, []):
        target[key] = value


def _contracts(prm: str, sections: Mapping[str, Any]) -> dict[str, Any]:
    contract = _withdrawal(sections.get("situation_contrat"))
    synthesis = sections.get("synth_contrat") or {}
    metering = sections.get("comptage") or {}
    body: dict[str, Any] = {}
    for segment in (synthesis.get("segments") or [])[:1]:
        _put(body, "segment", segment.get("segment") if isinstance(segment, dict) else None)
    _put(body, "segment", contract.get("segment"))
    power = contract.get("subscribed_power")
    if isinstance(power, dict) and power.get("value") is not None:
        body["subscribed_power"] = f"{power['value']} {power.get('unit', 'kVA')}"
    _put(body, "last_activation_date", v5_date(synthesis.get("consumption_last_activation_date")))
    _put(body, "distribution_tariff", contract.get("distribution_tariff"))
    relays = metering.get("relais") if isinstance(metering, dict) else None
    if isinstance(relays, dict):
        _put(body, "offpeak_hours", relays.get("plageHeuresCreuses"))
    _put(body, "contract_type", contract.get("contract_type"))
    item = {"usage_point": {"usage_point_id": prm}, "contracts": body}
    return {"customer": {"customer_id": UNKNOWN, "usage_points": [item]}}


def _addresses(prm: str, sections: Mapping[str, Any]) -> dict[str, Any]:
    general = sections.get("donnees_generales") or {}
    address = general.get("address") if isinstance(general, dict) else None
    address = address if isinstance(address, dict) else {}
    body: dict[str, Any] = {}
    _put(body, "street", address.get("number_street_name"))
    _put(body, "locality", address.get("locality"))
    postal_city = str(address.get("postal_code_city") or "")
    postal, _, city = postal_city.partition(" ")
    _put(body, "postal_code", postal)
    _put(body, "insee_code", address.get("insee_code"))
    _put(body, "city", city)
    usage_point = {"usage_point_id": prm, "usage_point_addresses": body}
    return {"customer": {"customer_id": UNKNOWN, "usage_points": [{"usage_point": usage_point}]}}


def render_customer(request: DataRequest, entries: Mapping[date | str, Entry]) -> dict[str, Any]:
    sections = sections_of(request, entries)
    name = request.endpoint.name
    if name in sections:  # a v5 upstream: the v5 answer itself
        answer: dict[str, Any] = sections[name]
        return answer
    prm = request.usage_point_id
    if name == "contracts":
        return _contracts(prm, sections)
    if name == "addresses":
        return _addresses(prm, sections)
    contract = _withdrawal(sections.get("situation_contrat"))
    if name == "identity":
        person = contract.get("person")
        if not isinstance(person, dict):
            raise no_data()
        return {"customer_id": UNKNOWN, "identity": {"natural_person": person}}
    contact = contract.get("contact_data")
    if not isinstance(contact, dict):
        raise no_data()
    body: dict[str, Any] = {}
    _put(body, "phone", contact.get("phone"))
    _put(body, "email", contact.get("email"))
    return {"customer_id": UNKNOWN, "contact": body}
