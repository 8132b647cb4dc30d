"""The project's own copy of the legacy document's response schemas (JSON Schema).

``responses.json`` holds the ``components.schemas`` of the earlier public gateway's
OpenAPI document (the request-only ``OptionsTempoPrice`` left out), as JSON Schema
``$defs``. The two schemas both named ``ResponseDelete`` there are renamed:
``ResponseDeleteCache`` (ranged data and ``/cache/{usage_point_id}``: ``path`` is a list,
``purge``) and ``ResponseDeleteCustomer`` (customer data: ``path`` is a string, ``delete``).

- ``schema(name)``: a standalone JSON Schema (draft 2020-12) of one definition, e.g. to
  validate an answer with ``jsonschema``;
- ``inline(name)``: the same with every ``$ref`` resolved, for the OpenAPI document.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from importlib import resources
from typing import Any

__all__ = ["DATA_SCHEMAS", "definitions", "inline", "schema"]

# The answer of each data path (legacy path segment -> definition), as the document says.
DATA_SCHEMAS: dict[str, str] = {
    "contracts": "ResponseContractRoot",
    "addresses": "ResponseAddressesRoot",
    "identity": "ResponseIdentityRoot",
    "contact": "ResponseContactRoot",
    "daily_consumption": "ResponseDailyConsumption",
    "consumption_load_curve": "ResponseConsumptionLoadCurve",
    "daily_consumption_max_power": "ResponseDailyComsumptionMaxPower",
    "daily_production": "ResponseDailyProductionRoot",
    "production_load_curve": "ResponseConsumptionLoadCurve",
}

_REF_PREFIX = "#/$defs/"


@cache
def _document() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("responses.json").read_text(encoding="utf-8")
    document: dict[str, Any] = json.loads(text)
    return document


def definitions() -> dict[str, Any]:
    """Every definition, by name (a copy)."""
    return copy.deepcopy(_document()["$defs"])


def schema(name: str) -> dict[str, Any]:
    """A standalone JSON Schema for the definition ``name``."""
    defs = _document()["$defs"]
    if name not in defs:
        raise KeyError(name)
    return {
        "$schema": _document()["$schema"],
        "$ref": _REF_PREFIX + name,
        "$defs": copy.deepcopy(defs),
    }


def inline(name: str) -> dict[str, Any]:
    """The definition ``name`` with its references resolved (the schemas have no cycles)."""
    defs = _document()["$defs"]

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith(_REF_PREFIX):
                return resolve(defs[ref[len(_REF_PREFIX) :]])
            return {key: resolve(value) for key, value in node.items()}
        if isinstance(node, list):
            return [resolve(item) for item in node]
        return node

    resolved: dict[str, Any] = resolve(defs[name])
    return resolved
