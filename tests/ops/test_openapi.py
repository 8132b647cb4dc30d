"""The OpenAPI document: valid OpenAPI 3, served, committed up to date; request validation
errors rendered in the dialect of each surface."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aiohttp import web
from aiohttp_apigami import docs, json_schema, querystring_schema
from marshmallow import Schema, fields, validate
from openapi_spec_validator import validate as validate_spec

from gateway import routing
from gateway.middlewares.error_mapper import error_mapper
from gateway.openapi import (
    DOCUMENT_PATH,
    PUBLIC,
    error_responses,
    generate_document,
    render_document,
    request_validation,
    setup_openapi,
)
from gateway.routing import RouteSpec, Surface


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return generate_document()


def test_the_document_is_valid_openapi_3(document: dict[str, Any]) -> None:
    validate_spec(document)
    assert document["openapi"].startswith("3.")
    schemes = document["components"]["securitySchemes"]
    assert set(schemes) >= {"bearerAuth", "basicAuth", "legacyApiKey", "adminApiKey"}
    for path in ("/health/live", "/health/ready", "/metrics", "/openapi.json"):
        assert "get" in document["paths"][path], path
    assert "/health/live/" not in document["paths"]  # trailing-slash twins documented once


def test_the_committed_document_is_up_to_date(document: dict[str, Any]) -> None:
    assert DOCUMENT_PATH.is_file(), "openapi/gateway.json is missing: run `make openapi`"
    committed = DOCUMENT_PATH.read_text(encoding="utf-8")
    assert committed == render_document(document), (
        "openapi/gateway.json is stale: run `make openapi` and commit the result"
    )


def test_generation_is_stable(document: dict[str, Any]) -> None:
    assert render_document(generate_document()) == render_document(document)


async def test_served_document_and_swagger_ui(gateway: Any, document: dict[str, Any]) -> None:
    answer = await gateway.get("/openapi.json")
    assert answer.status == 200
    assert await answer.json() == json.loads(render_document(document))
    page = await gateway.get("/docs")
    assert page.status == 200
    html = await page.text()
    assert "/openapi.json" in html and "/docs/static/swagger-ui-bundle.js" in html
    asset = await gateway.get("/docs/static/swagger-ui-bundle.js")
    assert asset.status == 200


class Range(Schema):
    usage_point_id = fields.String(required=True, validate=validate.Regexp(r"^\d{14}$"))
    start = fields.Date(required=True)


class Rename(Schema):
    name = fields.String(required=True, validate=validate.Length(max=10))


@docs(summary="range", security=PUBLIC, responses=error_responses(Surface.V5, 400))
@querystring_schema(Range)
async def ranged(request: web.Request) -> web.Response:
    return web.json_response({"start": request["querystring"]["start"].isoformat()})


@docs(summary="rename", security=PUBLIC, responses=error_responses(Surface.MANAGEMENT, 422))
@json_schema(Rename)
async def rename(request: web.Request) -> web.Response:
    return web.json_response(request["json"])


@pytest.fixture
async def validating_app(aiohttp_client: Any) -> Any:
    """A small app wired like the gateway: error mapper, then request validation."""
    app = web.Application(middlewares=[error_mapper, request_validation])
    routing.add(app, "GET", "/v5/range", ranged, RouteSpec(surface=Surface.V5))
    routing.add(app, "GET", "/legacy/range", ranged, RouteSpec(surface=Surface.LEGACY))
    routing.add(app, "POST", "/manage/rename", rename, RouteSpec(surface=Surface.MANAGEMENT))
    setup_openapi(app)
    return await aiohttp_client(app)


async def test_validation_errors_speak_each_dialect(validating_app: Any) -> None:
    good = {"usage_point_id": "09100000000001", "start": "2024-01-02"}
    answer = await validating_app.get("/v5/range", params=good)
    assert answer.status == 200 and await answer.json() == {"start": "2024-01-02"}

    answer = await validating_app.get("/v5/range", params={**good, "start": "nope"})
    assert answer.status == 400
    assert await answer.json() == {
        "error": "invalid_request",
        "error_description": "Not a valid date.",
    }

    answer = await validating_app.get("/legacy/range", params={"start": "2024-01-02"})
    assert answer.status == 422
    body = await answer.json()
    assert body["detail"][0]["loc"] == ["query", "usage_point_id"]

    answer = await validating_app.post("/manage/rename", json={"name": "x" * 11})
    assert answer.status == 422
    assert answer.headers["Content-Type"].startswith("application/problem+json")
    problem = await answer.json()
    assert problem["field"] == "name" and problem["code"] == "invalid_field"

    answer = await validating_app.post(
        "/manage/rename", data=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert answer.status == 400
    assert (await answer.json())["code"] == "malformed_json"

    answer = await validating_app.post("/manage/rename", json={"name": "ok"})
    assert answer.status == 200 and await answer.json() == {"name": "ok"}

    served = await (await validating_app.get("/openapi.json")).json()
    validate_spec(served)
    assert served["paths"]["/manage/rename"]["post"]["requestBody"]
    assert (
        "application/problem+json"
        in (served["paths"]["/manage/rename"]["post"]["responses"]["422"]["content"])
    )
