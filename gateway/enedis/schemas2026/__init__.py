"""The project's copy of Enedis' Data Connect 2026 response schemas (JSON Schema 2020-12).

Derived field for field from Enedis' published definitions (Swagger/OpenAPI YAML), one
JSON file per body, tightened with what the sandbox and gateway rely on: required fields,
point formats (``d`` as ``YYYY-MM-DD`` or ``YYYY-MM-DD HH:MM:SS``, values as digit
strings) and no field outside the definition (``additionalProperties: false``). The
sandbox's tests validate every 2026 answer against them; the gateway reuses them for its
2026 mirror. ``load(name)`` reads one (cached); the lookups below name the schema of an
operation or API.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

from gateway.enedis.catalogue import Api, Measure, MeasureOperation

__all__ = ["NAMES", "contract_schema", "load", "measure_schema", "openapi_schema"]

NAMES = (
    "measure_daily",
    "measure_max_power",
    "measure_load_curve",
    "measure_index",
    "situation_contrat",
    "synth_contrat",
    "comptage",
    "donnees_generales",
    "alimentation",
    "subscribed_services",
    "subscribed_services_request",
    "error",
)

_BY_MEASURE = {
    Measure.DAILY_ENERGY: "measure_daily",
    Measure.MAX_POWER: "measure_max_power",
    Measure.LOAD_CURVE: "measure_load_curve",
    Measure.INDEX: "measure_index",
}
_BY_CONTRACT_API = {
    Api.SITUATION_CONTRAT: "situation_contrat",
    Api.SYNTH_CONTRAT: "synth_contrat",
    Api.COMPTAGE: "comptage",
    Api.DONNEES_GENERALES: "donnees_generales",
    Api.ALIMENTATION: "alimentation",
}


@functools.cache
def _text(name: str) -> str:
    if name not in NAMES:
        raise KeyError(f"no 2026 schema named {name!r}")
    return resources.files(__package__).joinpath(f"{name}.json").read_text(encoding="utf-8")


def load(name: str) -> dict[str, Any]:
    """A fresh copy of the schema ``name`` (one of ``NAMES``)."""
    schema: dict[str, Any] = json.loads(_text(name))
    return schema


def measure_schema(op: MeasureOperation) -> dict[str, Any]:
    """The 200 body schema of a measurement operation."""
    return load(_BY_MEASURE[op.measure])


def contract_schema(api: Api) -> dict[str, Any]:
    """The 200 body schema of a contract-data API."""
    return load(_BY_CONTRACT_API[api])


def openapi_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` as an OpenAPI 3.0 schema object: ``$defs`` references inlined, the
    JSON Schema keywords OpenAPI 3.0 lacks (``$schema``, ``$id``, ``const``, a list of
    types) said in its own terms."""
    definitions = schema.get("$defs", {})

    def convert(node: Any) -> Any:
        if isinstance(node, list):
            return [convert(item) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return convert(definitions[ref.removeprefix("#/$defs/")])
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key in ("$schema", "$id", "$defs"):
                continue
            if key == "const":
                out["enum"] = [value]
            elif key == "type" and isinstance(value, list):
                kinds = [kind for kind in value if kind != "null"]
                out["type"] = kinds[0] if len(kinds) == 1 else "string"
                if "null" in value:
                    out["nullable"] = True
            else:
                out[key] = convert(value)
        return out

    converted: dict[str, Any] = convert(schema)
    return converted
