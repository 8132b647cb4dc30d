"""The bodies of Enedis' nine data endpoints, as marshmallow schemas (for the document).

The project's own description of what Enedis answers (and so what the v5 surface answers:
Enedis' body, or one assembled from cached days in the same shape), written after Enedis'
Swagger definitions of Data Connect v5. Only the documented schemas live here; nothing
reads Enedis' files at runtime.

Enedis' definitions are followed for the shape and the required fields; their enums are
left out (they mix codes with labels, e.g. ``"BRUT : Données brutes"``, where the API sends
``"BRUT"``). Every object accepts properties it does not list (``additionalProperties``):
the gateway passes Enedis' fields through unchanged.
"""

from __future__ import annotations

from typing import Any

from marshmallow import INCLUDE, Schema, fields, validate

__all__ = ["ANSWERS"]

_USAGE_POINT_ID = validate.Regexp(r"^[0-9]{14}$")


class _Open(Schema):
    """An object of Enedis' answer: the listed properties, and any other."""

    class Meta:
        unknown = INCLUDE


def _text(description: str, example: str | None = None, **kwargs: Any) -> fields.String:
    metadata: dict[str, Any] = {"description": description}
    if example is not None:
        metadata["example"] = example
    return fields.String(metadata=metadata, **kwargs)


# -- metering data ------------------------------------------------------------------------------


class EnedisReadingType(_Open):
    measurement_kind = _text("What is measured: `energy` or `power`.", "energy")
    measuring_period = _text("The aggregation period (daily endpoints): `P1D`.", "P1D")
    unit = _text("The unit of the values: `Wh`, `VA` (max power) or `W` (load curves).", "Wh")
    aggregate = _text("How values are aggregated: `sum`, `maximum` or `average`.", "sum")


class EnedisDailyReading(_Open):
    value = _text(
        "The energy of the day, in Wh (a decimal integer as a string).", "540", required=True
    )
    date = _text("The day, `YYYY-MM-DD`.", "2019-05-06", required=True)


class EnedisMaxPowerReading(_Open):
    value = _text(
        "The day's maximum power, in VA (a decimal integer as a string).", "4210", required=True
    )
    date = _text(
        "When the maximum was reached, `YYYY-MM-DD HH:MM:SS`.", "2019-05-06 19:30:00", required=True
    )


class EnedisLoadCurveReading(_Open):
    value = _text(
        "The average power over the interval, in W (an integer as a string).", "420", required=True
    )
    date = _text(
        "The end of the interval, `YYYY-MM-DD HH:MM:SS` (a day's last point is stamped "
        "00:00:00 of the next day).",
        "2019-05-06 00:30:00",
        required=True,
    )
    interval_length = _text(
        "The interval: `PT5M`, `PT10M`, `PT15M`, `PT30M` or `PT60M`.", "PT30M", required=True
    )
    measure_type = _text("`B`: raw measure.", "B")


class _EnedisMeterReading(_Open):
    usage_point_id = _text(
        "The usage point (PRM): 14 digits.",
        "16401220101758",
        required=True,
        validate=_USAGE_POINT_ID,
    )
    start = _text("First day of the period answered, `YYYY-MM-DD`.", "2019-05-06", required=True)
    end = _text(
        "Day after the last day answered (excluded), `YYYY-MM-DD`.", "2019-05-12", required=True
    )
    quality = _text("The quality of the data (`BRUT`: raw).", "BRUT")
    reading_type = fields.Nested(EnedisReadingType)


class EnedisDailyMeterReading(_EnedisMeterReading):
    interval_reading = fields.List(
        fields.Nested(EnedisDailyReading),
        required=True,
        metadata={"description": "One value per day with data, in day order."},
    )


class EnedisMaxPowerMeterReading(_EnedisMeterReading):
    interval_reading = fields.List(
        fields.Nested(EnedisMaxPowerReading),
        required=True,
        metadata={"description": "One value per day with data, in day order."},
    )


class EnedisLoadCurveMeterReading(_EnedisMeterReading):
    interval_reading = fields.List(
        fields.Nested(EnedisLoadCurveReading),
        required=True,
        metadata={"description": "The points of the period, in time order."},
    )


class EnedisDailyEnergy(_Open):
    """Daily consumption or production (Wh per day)."""

    meter_reading = fields.Nested(EnedisDailyMeterReading, required=True)


class EnedisMaxPower(_Open):
    """Daily maximum consumed power (VA)."""

    meter_reading = fields.Nested(EnedisMaxPowerMeterReading, required=True)


class EnedisLoadCurve(_Open):
    """Consumption or production load curve (average power per interval, W)."""

    meter_reading = fields.Nested(EnedisLoadCurveMeterReading, required=True)


# -- customer data ------------------------------------------------------------------------------


class EnedisUsagePoint(_Open):
    usage_point_id = _text("The usage point (PRM): 14 digits.", "16401220101758", required=True)
    usage_point_status = _text("`com` (in service) or `no_com`.", "com")
    meter_type = _text("The meter's type (`AMM`, `LINKY`, `CBE`...).", "AMM")


class EnedisContract(_Open):
    segment = _text("The customer segment.", "C5", required=True)
    subscribed_power = _text("The subscribed power.", "9 kVA")
    last_activation_date = _text("Date of the last activation.", "2016-03-21+01:00")
    distribution_tariff = _text("The distribution tariff (TURPE) code.", "BTINFCU4")
    offpeak_hours = _text("The off-peak hours, when the tariff has any.", "HC (23h00-7h00)")
    contract_type = _text("The type of contract.", "CRAE")
    contract_status = _text("The status of the contract.", "SERVC")
    last_distribution_tariff_change_date = _text(
        "Date of the last change of distribution tariff.", "2019-11-04+01:00"
    )


class EnedisUsagePointContract(_Open):
    usage_point = fields.Nested(EnedisUsagePoint)
    contracts = fields.Nested(EnedisContract)


class EnedisContractsCustomer(_Open):
    customer_id = _text("The customer's identifier at Enedis.", "1358019319")
    usage_points = fields.List(fields.Nested(EnedisUsagePointContract))


class EnedisContracts(_Open):
    """The contract data of the usage point."""

    customer = fields.Nested(EnedisContractsCustomer)


class EnedisGeoPoints(_Open):
    latitude = _text("Latitude (WGS 84).", "45.759723", required=True)
    longitude = _text("Longitude (WGS 84).", "4.842223", required=True)
    altitude = _text("Altitude, in metres.", "173")


class EnedisAddress(_Open):
    street = _text("Street.", "12 rue des Lilas")
    locality = _text("Locality.")
    postal_code = _text("Postal code.", "69003")
    insee_code = _text("INSEE code of the municipality.", "69383", required=True)
    city = _text("City.", "Lyon")
    country = _text("Country.", "France")
    geo_points = fields.Nested(EnedisGeoPoints)


class EnedisAddressedUsagePoint(EnedisUsagePoint):
    usage_point_addresses = fields.Nested(EnedisAddress)


class EnedisUsagePointAddress(_Open):
    usage_point = fields.Nested(EnedisAddressedUsagePoint)


class EnedisAddressesCustomer(_Open):
    customer_id = _text("The customer's identifier at Enedis.", "1358019319")
    usage_points = fields.List(fields.Nested(EnedisUsagePointAddress))


class EnedisAddresses(_Open):
    """The address of the usage point."""

    customer = fields.Nested(EnedisAddressesCustomer)


class EnedisNaturalPerson(_Open):
    title = _text("Title.", "Mme")
    firstname = _text("First name.", "Sandra", required=True)
    lastname = _text("Last name.", "Thiébaut", required=True)


class EnedisLegalEntity(_Open):
    name = _text("Name.", required=True)
    trading_name = _text("Trading name.")
    business = _text("Business.")
    industry = _text("Industry.")
    siret_number = _text("SIRET number.")


class EnedisIdentityData(_Open):
    natural_person = fields.Nested(EnedisNaturalPerson)
    legal_entity = fields.Nested(EnedisLegalEntity)


class EnedisIdentity(_Open):
    """The identity of the usage point's holder (a natural person or a legal entity)."""

    customer_id = _text("The customer's identifier at Enedis.", "1358019319")
    identity = fields.Nested(EnedisIdentityData)


class EnedisContactData(_Open):
    phone = _text("Phone number.", "0245323491")
    email = _text("Email address.", "sandra.thiebaut@example.fr")


class EnedisContact(_Open):
    """The contact data of the usage point's holder."""

    customer_id = _text("The customer's identifier at Enedis.", "1358019319")
    contact = fields.Nested(EnedisContactData)


#: The answer of each data endpoint (catalogue name -> schema).
ANSWERS: dict[str, type[Schema]] = {
    "daily_consumption": EnedisDailyEnergy,
    "consumption_load_curve": EnedisLoadCurve,
    "daily_consumption_max_power": EnedisMaxPower,
    "daily_production": EnedisDailyEnergy,
    "production_load_curve": EnedisLoadCurve,
    "contracts": EnedisContracts,
    "addresses": EnedisAddresses,
    "identity": EnedisIdentity,
    "contact_data": EnedisContact,
}
