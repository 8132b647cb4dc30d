"""The sandbox's customers and usage points, as data.

Pick a customer on a consent page with ``sandbox_customer=<name>`` (default: ``default``).
Any other name (1-64 of ``A-Z a-z 0-9 _ . @ + -``) is a generated customer
(``generated_customer``). Any other well-formed 14-digit id answers "no consent" (v5 403
ADAM-DC-0008, 2026 403 "Le client n'est pas titulaire du point demandé").

| customer | usage_point_id | consumption | production | load curve | notes |
|---|---|---|---|---|---|
| default | 09100000000001 | yes | yes | PT30M | solar roof, HC/HP contract |
| default | 09100000000002 | yes | no | PT30M | second home, base contract |
| consumption_only | 09200000000001 | yes | no | PT30M | electric heating |
| production_only | 09300000000001 | no | yes | PT30M | solar plant, injection only |
| no_load_curve | 09400000000001 | yes | no | not activated | load curves: 404 STM-ERR-0000014 |
| revoked | 09500000000001 | yes | no | PT30M | consent revoked: every call 403 ADAM-DC-0008 |
| gaps | 09600000000001 | yes | no | PT30M | no data on the 10th, 11th and 12th of every month |
| intervals | 09700000000010 | yes | no | PT10M | |
| intervals | 09700000000015 | yes | no | PT15M | |
| intervals | 09700000000060 | yes | no | PT60M | |
| (other name) | 098 + 11 digits | yes | no | PT30M | generated, deterministic from the name |

Data Connect 2026 facts of the same rows:

- ``09100000000001`` is self-consumption: ``situation_contrat`` lists two contracts
  (``Contrat GRD-F`` C5 9 kVA, ``Contrat GRD-A`` P4), ``synth_contrat`` two segments;
  ``09300000000001`` has one (GRD-A P4), every other point one GRD-F C5;
- HC/HP contracts (``09100000000001``, ``09200000000001``, ``09700000000015``) have HC and
  HP index classes and ``relais.plageHeuresCreuses``; the others one class BASE;
- ``09400000000001``: load-curve operations 404, ``services_level`` 1 (others 2);
- ``09500000000001``: every call 403, its services listed ``TERMINE``;
- gap days are omitted from every operation (no index reading on them either).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType

__all__ = [
    "CUSTOMERS",
    "DEFAULT_CUSTOMER",
    "GENERATED_PREFIX",
    "POINTS",
    "Address",
    "Contract",
    "Customer",
    "UsagePoint",
    "generated_customer",
    "valid_customer_name",
]

DEFAULT_CUSTOMER = "default"


@dataclass(frozen=True, slots=True)
class Address:
    """Postal address and location of a usage point."""

    street: str
    postal_code: str
    insee_code: str
    city: str
    latitude: str
    longitude: str
    altitude: str
    locality: str | None = None


@dataclass(frozen=True, slots=True)
class Contract:
    """Supply contract of a usage point (contracts endpoint)."""

    subscribed_kva: int
    distribution_tariff: str
    offpeak_hours: str | None
    last_activation_date: str
    last_distribution_tariff_change_date: str
    contract_type: str = "CRAE"

    @property
    def contract_start(self) -> str:
        """``last_activation_date`` as 2026 writes it: ``YYYY-MM-DDTHH:MM:SS+HHMM``."""
        day, sign, offset = self.last_activation_date.partition("+")
        return f"{day}T00:00:00{sign}{offset.replace(':', '')}"


@dataclass(frozen=True, slots=True)
class UsagePoint:
    """One meter (PDL/PRM) and what the simulator serves for it.

    ``gap_days_of_month``: days of every month without any data (omitted from answers).
    ``heating``: electric heating, so winter consumption is much higher.
    ``solar_kwc``: peak power of the solar installation (production points).
    """

    usage_point_id: str
    consumption: bool
    production: bool
    interval_minutes: int | None
    address: Address
    contract: Contract
    consent: bool = True
    heating: bool = False
    base_w: int = 250
    solar_kwc: float = 0.0
    gap_days_of_month: frozenset[int] = frozenset()
    installed_on: date = date(2015, 1, 1)

    @property
    def segments(self) -> tuple[str, ...]:
        """Enedis segments: C5 for withdrawal (consumption), P4 for small injection."""
        return ("C5",) * self.consumption + ("P4",) * self.production

    @property
    def has_load_curve(self) -> bool:
        """True when load-curve recording is activated on the meter."""
        return self.interval_minutes is not None

    def has_data(self, day: date) -> bool:
        """True when the meter recorded data on ``day``."""
        return day >= self.installed_on and day.day not in self.gap_days_of_month


@dataclass(frozen=True, slots=True)
class Customer:
    """A sandbox customer: identity, contact and usage points."""

    name: str
    customer_id: str
    title: str
    firstname: str
    lastname: str
    phone: str
    email: str
    points: tuple[UsagePoint, ...]

    @property
    def usage_point_ids(self) -> tuple[str, ...]:
        """The ids of the customer's usage points, in order."""
        return tuple(p.usage_point_id for p in self.points)


_HC = Contract(9, "BTINFCU4", "HC (23h00-7h00)", "2016-03-21+01:00", "2019-11-04+01:00")
_BASE6 = Contract(6, "BTINFCUST", None, "2012-06-30+02:00", "2018-02-12+01:00")
_BASE9 = Contract(9, "BTINFCUST", None, "2014-09-15+02:00", "2020-01-07+01:00")
_HEAT = Contract(12, "BTINFMU4", "HC (22h30-6h30)", "2011-10-03+02:00", "2021-05-18+02:00")
_PROD = Contract(36, "BTINFCUST", None, "2020-07-01+02:00", "2020-07-01+02:00", "CARD-I")


CUSTOMERS: Mapping[str, Customer] = MappingProxyType(
    {
        c.name: c
        for c in (
            Customer(
                "default", "1358019319", "Mme", "Sandra", "Thiébaut",
                "0245323491", "sandra.thiebaut@example.fr",
                (
                    UsagePoint(
                        "09100000000001", True, True, 30,
                        Address("12 rue des Lilas", "69003", "69383", "Lyon",
                              "45.759723", "4.842223", "173"),
                        _HC, solar_kwc=3.0,
                    ),
                    UsagePoint(
                        "09100000000002", True, False, 30,
                        Address("4 chemin du Moulin", "05100", "05023", "Briançon",
                              "44.896389", "6.635556", "1326"),
                        _BASE6, base_w=120,
                    ),
                ),
            ),
            Customer(
                "consumption_only", "1358019320", "M.", "Julien", "Lefèvre",
                "0387654321", "julien.lefevre@example.fr",
                (
                    UsagePoint(
                        "09200000000001", True, False, 30,
                        Address("27 avenue Foch", "57000", "57463", "Metz",
                              "49.112202", "6.174325", "186"),
                        _HEAT, heating=True, base_w=350,
                    ),
                ),
            ),
            Customer(
                "production_only", "1358019321", "M.", "Karim", "Benali",
                "0466123456", "karim.benali@example.fr",
                (
                    UsagePoint(
                        "09300000000001", False, True, 30,
                        Address("Lieu-dit Les Garrigues", "34190", "34115", "Ganges",
                              "43.934722", "3.708611", "152", ),
                        _PROD, solar_kwc=36.0, installed_on=date(2020, 7, 1),
                    ),
                ),
            ),
            Customer(
                "no_load_curve", "1358019322", "Mme", "Claire", "Moreau",
                "0299887766", "claire.moreau@example.fr",
                (
                    UsagePoint(
                        "09400000000001", True, False, None,
                        Address("3 place du Marché", "35000", "35238", "Rennes",
                              "48.111339", "-1.680020", "41"),
                        _BASE9,
                    ),
                ),
            ),
            Customer(
                "revoked", "1358019323", "M.", "Pierre", "Garnier",
                "0556443322", "pierre.garnier@example.fr",
                (
                    UsagePoint(
                        "09500000000001", True, False, 30,
                        Address("18 cours Victor Hugo", "33000", "33063", "Bordeaux",
                              "44.837789", "-0.579180", "12"),
                        _BASE9, consent=False,
                    ),
                ),
            ),
            Customer(
                "gaps", "1358019324", "Mme", "Élodie", "Fournier",
                "0320554433", "elodie.fournier@example.fr",
                (
                    UsagePoint(
                        "09600000000001", True, False, 30,
                        Address("9 rue Nationale", "59000", "59350", "Lille",
                              "50.629250", "3.057256", "21"),
                        _BASE6, gap_days_of_month=frozenset({10, 11, 12}),
                    ),
                ),
            ),
            Customer(
                "intervals", "1358019325", "M.", "Thomas", "Rousseau",
                "0494112233", "thomas.rousseau@example.fr",
                (
                    UsagePoint(
                        "09700000000010", True, False, 10,
                        Address("5 boulevard de la Plage", "83000", "83137", "Toulon",
                              "43.124228", "5.928000", "3"),
                        _BASE9,
                    ),
                    UsagePoint(
                        "09700000000015", True, False, 15,
                        Address("41 rue de la République", "13002", "13202", "Marseille",
                              "43.299240", "5.369780", "28"),
                        _HC, heating=True,
                    ),
                    UsagePoint(
                        "09700000000060", True, False, 60,
                        Address("2 impasse des Vignes", "21200", "21054", "Beaune",
                              "47.025000", "4.837500", "220", ),
                        _BASE6, base_w=180,
                    ),
                ),
            ),
        )
    }
)  # fmt: skip

#: Every usage point by id, with the customer holding it.
POINTS: Mapping[str, tuple[Customer, UsagePoint]] = MappingProxyType(
    {p.usage_point_id: (c, p) for c in CUSTOMERS.values() for p in c.points}
)


#: First digits of generated customers' points, a range the table never uses.
GENERATED_PREFIX = "098"

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@+-]{0,63}", re.ASCII)
_FIRSTNAMES = ("Camille", "Dominique", "Alex", "Sacha", "Morgane", "Yannick", "Maxime", "Lou")
_LASTNAMES = ("Martin", "Bernard", "Dubois", "Durand", "Lefebvre", "Mercier", "Blanc", "Roux")
_CITIES = (
    ("75011", "75111", "Paris", "48.859000", "2.379000", "45"),
    ("31000", "31555", "Toulouse", "43.604652", "1.444209", "146"),
    ("44000", "44109", "Nantes", "47.218371", "-1.553621", "8"),
    ("67000", "67482", "Strasbourg", "48.573405", "7.752111", "142"),
)


def valid_customer_name(name: str) -> bool:
    """True for a name a generated customer may take (1-64 of ``A-Z a-z 0-9 _ . @ + -``)."""
    return _NAME.fullmatch(name) is not None


def generated_customer(name: str) -> Customer:
    """The customer a name outside ``CUSTOMERS`` stands for, deterministic from the name.

    One consumption point with a PT30M load curve and a base contract; its id is
    ``098`` + 11 digits of a digest of the name (the table uses 091-097), the customer id
    10 digits of the same digest. Callers check ``valid_customer_name`` first.
    """
    digest = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=16).digest(), "big")
    usage_point_id = f"{GENERATED_PREFIX}{digest % 10**11:011d}"
    customer_id = f"{(digest >> 40) % 10**10:010d}"
    pick = digest >> 80
    postal_code, insee, city, lat, lon, alt = _CITIES[pick % len(_CITIES)]
    firstname = _FIRSTNAMES[(pick >> 4) % len(_FIRSTNAMES)]
    lastname = _LASTNAMES[(pick >> 8) % len(_LASTNAMES)]
    address = Address(f"{1 + (pick >> 12) % 99} rue de la Gare", postal_code, insee, city,
                      lat, lon, alt)  # fmt: skip
    point = UsagePoint(usage_point_id, True, False, 30, address, _BASE9,
                       base_w=150 + (pick >> 20) % 200)  # fmt: skip
    slug = re.sub(r"[^a-z0-9]+", ".", name.lower()).strip(".") or "client"
    return Customer(name, customer_id, "M.", firstname, lastname,
                    f"06{(pick >> 28) % 10**8:08d}", f"{slug}@example.fr", (point,))  # fmt: skip
