"""JSON bodies of the nine data endpoints, shaped as Enedis' Swagger 200 schemas."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from gateway.enedis.catalogue import DataKind, Endpoint
from gateway.sandbox.customers import Customer, UsagePoint
from gateway.sandbox.data import DayCurve, format_timestamp, interval_ends

__all__ = ["customer_body", "meter_reading_body"]

_READING_TYPES: dict[str, dict[str, str]] = {
    "daily": {
        "measurement_kind": "energy",
        "measuring_period": "P1D",
        "unit": "Wh",
        "aggregate": "sum",
    },
    "max_power": {
        "measurement_kind": "power",
        "measuring_period": "P1D",
        "unit": "VA",
        "aggregate": "maximum",
    },
    "load_curve": {"measurement_kind": "power", "unit": "W", "aggregate": "average"},
}


def _is_max_power(endpoint: Endpoint) -> bool:
    return endpoint.name == "daily_consumption_max_power"


def _readings(endpoint: Endpoint, days: Iterable[DayCurve]) -> list[dict[str, str]]:
    if endpoint.kind is DataKind.LOAD_CURVE:
        readings: list[dict[str, str]] = []
        for curve in days:
            length = f"PT{curve.interval_minutes}M"
            ends = interval_ends(curve.day, curve.interval_minutes)
            readings.extend(
                {
                    "value": str(value),
                    "date": format_timestamp(end),
                    "interval_length": length,
                    "measure_type": "B",
                }
                for value, end in zip(curve.values, ends, strict=True)
            )
        return readings
    if _is_max_power(endpoint):
        return [{"value": str(c.peak_w), "date": c.peak_at} for c in days]
    return [{"value": str(c.energy_wh), "date": c.day.isoformat()} for c in days]


def meter_reading_body(
    endpoint: Endpoint, usage_point_id: str, start: date, end: date, days: Iterable[DayCurve]
) -> dict[str, Any]:
    """``{"meter_reading": {...}}`` of a metering endpoint over ``[start, end[``."""
    if endpoint.kind is DataKind.LOAD_CURVE:
        reading_type = _READING_TYPES["load_curve"]
    else:
        reading_type = _READING_TYPES["max_power" if _is_max_power(endpoint) else "daily"]
    return {
        "meter_reading": {
            "usage_point_id": usage_point_id,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "quality": "BRUT",
            "reading_type": dict(reading_type),
            "interval_reading": _readings(endpoint, days),
        }
    }


def _usage_point(point: UsagePoint) -> dict[str, Any]:
    return {
        "usage_point_id": point.usage_point_id,
        "usage_point_status": "com",
        "meter_type": "AMM",
    }


def _contracts(point: UsagePoint) -> dict[str, Any]:
    c = point.contract
    body: dict[str, Any] = {
        "segment": point.segments[0],
        "subscribed_power": f"{c.subscribed_kva} kVA",
        "last_activation_date": c.last_activation_date,
        "distribution_tariff": c.distribution_tariff,
    }
    if c.offpeak_hours is not None:
        body["offpeak_hours"] = c.offpeak_hours
    body["contract_type"] = c.contract_type
    body["contract_status"] = "SERVC"
    body["last_distribution_tariff_change_date"] = c.last_distribution_tariff_change_date
    return body


def _addresses(point: UsagePoint) -> dict[str, Any]:
    a = point.address
    body: dict[str, Any] = {"street": a.street}
    if a.locality is not None:
        body["locality"] = a.locality
    body |= {
        "postal_code": a.postal_code,
        "insee_code": a.insee_code,
        "city": a.city,
        "country": "France",
        "geo_points": {"latitude": a.latitude, "longitude": a.longitude, "altitude": a.altitude},
    }
    return body


def customer_body(endpoint: Endpoint, customer: Customer, point: UsagePoint) -> dict[str, Any]:
    """Body of a customers endpoint (contracts, addresses, identity, contact_data)."""
    if endpoint.name == "contracts":
        item = {"usage_point": _usage_point(point), "contracts": _contracts(point)}
        return {"customer": {"customer_id": customer.customer_id, "usage_points": [item]}}
    if endpoint.name == "addresses":
        usage_point = _usage_point(point) | {"usage_point_addresses": _addresses(point)}
        return {
            "customer": {
                "customer_id": customer.customer_id,
                "usage_points": [{"usage_point": usage_point}],
            }
        }
    if endpoint.name == "identity":
        person = {
            "title": customer.title,
            "firstname": customer.firstname,
            "lastname": customer.lastname,
        }
        return {"customer_id": customer.customer_id, "identity": {"natural_person": person}}
    if endpoint.name == "contact_data":
        contact = {"phone": customer.phone, "email": customer.email}
        return {"customer_id": customer.customer_id, "contact": contact}
    raise ValueError(f"{endpoint.name} is not a customers endpoint")


def days_between(start: date, end: date) -> list[date]:
    """The days of ``[start, end[``."""
    return [start + timedelta(days=i) for i in range((end - start).days)]
