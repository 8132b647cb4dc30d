"""The 2026 error catalogue: bodies and lookups."""

from __future__ import annotations

import jsonschema

from gateway.enedis import upstream_errors_2026 as errors
from gateway.enedis.schemas2026 import NAMES, load


def test_bodies_follow_the_error_schema_and_are_found() -> None:
    for entry in errors.CATALOGUE:
        body = entry.body()
        if entry.legacy:
            assert set(body) == {"error", "error_description"}
        else:
            jsonschema.validate(body, load("error"))
        assert errors.find(entry.status, body) in {
            e for e in errors.CATALOGUE if e.body() == body and e.status == entry.status
        }
    assert errors.find(429, {"code": "429", "message": "SLA dépassé"}) is errors.QUOTA
    assert errors.find(500, {"code": "other"}) is None
    assert errors.find(500, ["not", "an", "object"]) is None
    assert errors.SUBSCRIPTION_REQUIRED.body()["code"] == "900908"


def test_every_schema_is_valid_json_schema() -> None:
    for name in NAMES:
        jsonschema.Draft202012Validator.check_schema(load(name))
