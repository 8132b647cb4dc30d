"""The gateway's own data model, independent of any Enedis dialect.

A measurement is kept per day: the day's points and the description of the series they
belong to. A point is the compact mapping Enedis 2026 uses, which holds everything v5 said
too: ``d`` the timestamp (``YYYY-MM-DD`` for a daily value, ``YYYY-MM-DD HH:MM:SS`` in Paris
time for a max power's instant or the *end* of a load-curve interval), ``v`` the value (a
string, as Enedis sends it) and, on load curves, ``p`` the interval (``PT30M``), ``n`` the
nature of the value, ``iv`` and ``ec`` when the source gives them. A key the source did not
give is absent: nothing is invented.

``SeriesMeta`` describes a series (stage ``BRUT``/``BEST``, calculation mode, step, value
type, business quantity ``CONS``/``PROD``, physical quantity, unit). Indexes keep the
structure of their answer as a skeleton in ``SeriesMeta.skeleton`` and each value as a point
carrying the path of its time class (``k``).

Contract data is one record per usage point made of *sections*: the answer of each 2026
contract-data API (``situation_contrat``, ``synth_contrat``, ``comptage``,
``donnees_generales``, ``alimentation``), kept as Enedis gave it, or under a v5 upstream
the answer of each v5 customer endpoint. Renderers of every surface read these.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from gateway.enedis.catalogue import DataKind, Direction, Endpoint

__all__ = ["Point", "SeriesMeta", "default_meta", "is_max_power"]

Point = dict[str, Any]


@dataclass(frozen=True, slots=True)
class SeriesMeta:
    """What a series is; constant over its days."""

    stage: str = "BRUT"  # etapeMetier (v5: quality)
    calc_mode: str | None = None  # modeCalcul
    step: str | None = None  # pas
    value_type: str | None = None  # typeValeur
    business: str = "CONS"  # grandeurMetier
    quantity: str = "EA"  # grandeurPhysique
    unit: str = "Wh"  # unite
    skeleton: dict[str, Any] | None = field(default=None)  # indexes: the answer's structure

    def dump(self) -> dict[str, Any]:
        return {key: value for key, value in asdict(self).items() if value is not None}

    @classmethod
    def load(cls, raw: Any) -> SeriesMeta | None:
        if not isinstance(raw, dict):
            return None
        try:
            return cls(**{key: raw[key] for key in raw if key in cls.__dataclass_fields__})
        except TypeError:
            return None


def is_max_power(endpoint: Endpoint) -> bool:
    return endpoint.name == "daily_consumption_max_power"


def default_meta(endpoint: Endpoint) -> SeriesMeta:
    """The description of ``endpoint``'s series when the source says no more (v5 answers:
    ``reading_type`` gives the unit only). Values are those Enedis 2026 documents for the
    kind of measurement."""
    business = "PROD" if endpoint.direction is Direction.PRODUCTION else "CONS"
    if endpoint.kind is DataKind.LOAD_CURVE:
        return SeriesMeta(calc_mode="MESURE", business=business, quantity="PA", unit="W")
    if is_max_power(endpoint):
        return SeriesMeta(calc_mode="MESURE", step="P1D", quantity="PMA", unit="VA")
    return SeriesMeta(calc_mode="DIFF.INDEX", step="P1D", business=business)
