"""Every route of the gateway is in the OpenAPI document, with its surface's error bodies,
and what the gateway answers conforms to what the document says."""

from __future__ import annotations

from typing import Any

import pytest
from aiohttp import web
from aiohttp_apigami.utils import get_path
from openapi_schema_validator import OAS30Validator, oas30_format_checker

from gateway.app import build_app
from gateway.enedis.catalogue import BY_NAME, ENDPOINTS
from gateway.openapi import DOCS_URL, _offline_settings, generate_document
from gateway.routing import ROUTE_SPECS, RouteSpec, Surface, surface_of_path
from tests.support.journey import ready_account
from tests.support.sandbox import CONSUMPTION_AND_PRODUCTION, query, recent_range

# what the error responses of each surface are (content type, component)
DIALECTS = {
    Surface.V5: ("application/json", "V5Error"),
    Surface.V2026: ("application/json", "V2026Error"),
    Surface.LEGACY: ("application/json", "LegacyError"),
    Surface.MANAGEMENT: ("application/problem+json", "Problem"),
    Surface.OPS: ("application/problem+json", "Problem"),
}
V5_DATA_STATUSES = {"200", "400", "401", "403", "404", "429", "502", "503", "504"}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return generate_document()


@pytest.fixture(scope="module")
def app() -> web.Application:
    return build_app(_offline_settings())


def _routes(app: web.Application) -> dict[tuple[str, str], RouteSpec | None]:
    """(method, path) of every route that belongs in the document, with its spec.

    Left out: the HEAD twins of GET routes, the trailing-slash twins ``routing.add``
    registers, Swagger UI (``/docs``, its assets), the legacy catch-alls of any method
    (``*``, not expressible in OpenAPI: they answer 501) and the web pages for people
    (surface WEB, and their stylesheet under ``/static/``): not an API."""
    specs = app[ROUTE_SPECS]
    found: dict[tuple[str, str], RouteSpec | None] = {}
    for route in app.router.routes():
        path = get_path(route)
        if path is None or route.method in {"HEAD", "*"}:
            continue
        if path == DOCS_URL or path.startswith((DOCS_URL + "/", "/static")):
            continue
        canonical = route.resource.canonical if route.resource is not None else path
        spec = specs.get(f"{route.method} {canonical}")
        if spec is not None and spec.surface is Surface.WEB:
            continue
        found[(route.method, path)] = spec
    return {
        (method, path): spec
        for (method, path), spec in found.items()
        if not (path.endswith("/") and path != "/" and (method, path[:-1]) in found)
    }


def _operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method.upper(), path): operation
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
    }


def test_every_route_is_documented_and_nothing_else(
    app: web.Application, document: dict[str, Any]
) -> None:
    routes = set(_routes(app))
    operations = set(_operations(document))
    assert routes - operations == set(), "routes missing from the document"
    assert operations - routes == set(), "documented operations without a route"
    for endpoint in ENDPOINTS:
        assert ("GET", endpoint.path) in operations, endpoint.name
    for path in ("/oauth2/v3/token", "/oauth2/v3/revoke", "/accounts/signup", "/pdl"):
        assert path in document["paths"], path


def test_every_operation_describes_security_and_answers(
    app: web.Application, document: dict[str, Any]
) -> None:
    operations = _operations(document)
    for key in _routes(app):
        operation = operations[key]
        assert "security" in operation, key
        assert operation.get("summary") and operation.get("tags"), key
        responses = operation["responses"]
        # a success, unless the route only says "not a feature of this gateway"
        assert any(code < "400" for code in responses) or set(responses) == {"501"}, key
        for code, response in responses.items():
            assert response.get("description"), (key, code)


def test_errors_are_in_the_dialect_of_each_surface(
    app: web.Application, document: dict[str, Any]
) -> None:
    operations = _operations(document)
    for key, spec in _routes(app).items():
        # /openapi.json is added by apigami's setup: the error mapper guesses from the path
        surface = spec.surface if spec is not None else surface_of_path(key[1])
        content_type, component = DIALECTS[surface]
        for code, response in operations[key]["responses"].items():
            if code < "400" or key == ("GET", "/health/ready"):  # 503: the readiness body
                continue
            content = response["content"]
            assert content[content_type]["schema"] == {
                "$ref": f"#/components/schemas/{component}"
            }, (key, code)
            assert set(content) <= {content_type, "text/html"}, (key, code)


def test_v5_data_routes_document_enedis_parameters_and_statuses(
    document: dict[str, Any],
) -> None:
    for endpoint in ENDPOINTS:
        operation = document["paths"][endpoint.path]["get"]
        assert set(operation["responses"]) == V5_DATA_STATUSES, endpoint.name
        assert operation["security"] == [{"bearerAuth": []}, {"basicAuth": []}]
        names = {p["name"]: p for p in operation["parameters"] if p["in"] == "query"}
        expected = {"usage_point_id", "start", "end"} if endpoint.is_ranged else {"usage_point_id"}
        assert set(names) == expected, endpoint.name
        assert all(parameter["required"] for parameter in names.values())
        ok = operation["responses"]["200"]
        assert "X-Cache-Status" in ok["headers"]
        assert ok["content"]["application/json"]["schema"]["$ref"].startswith(
            "#/components/schemas/Enedis"
        )


def test_management_bodies_are_documented_with_the_validating_schemas(
    document: dict[str, Any],
) -> None:
    schemas = document["components"]["schemas"]
    body = document["paths"]["/accounts/signup"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/SignupRequest"
    }
    assert schemas["SignupRequest"]["required"] == ["email", "password"]
    assert schemas["SignupRequest"]["additionalProperties"] is False
    assert schemas["SignupRequest"]["properties"]["password"]["minLength"] == 12
    rename = document["paths"]["/pdl/{usage_point_id}"]["patch"]
    assert rename["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/RenameRequest"
    }
    token = document["paths"]["/oauth2/v3/token"]["post"]["requestBody"]["content"]
    assert "application/x-www-form-urlencoded" in token
    admin = document["paths"]["/admin/accounts"]["get"]["parameters"]
    assert {p["name"] for p in admin} == {"limit", "offset"}


# -- answers against the document -------------------------------------------------------------


def _response_schema(
    document: dict[str, Any], method: str, path: str, status: int, content_type: str
) -> dict[str, Any]:
    responses = document["paths"][path][method.lower()]["responses"]
    assert str(status) in responses, f"{method} {path} answers an undocumented {status}"
    content = responses[str(status)]["content"]
    assert content_type in content, f"{method} {path} {status}: {content_type} not documented"
    return {**content[content_type]["schema"], "components": document["components"]}


def _request_schema(document: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    body = document["paths"][path][method.lower()]["requestBody"]
    schema = body["content"]["application/json"]["schema"]
    return {**schema, "components": document["components"]}


def _errors(schema: dict[str, Any], instance: Any) -> list[str]:
    validator = OAS30Validator(schema, format_checker=oas30_format_checker)
    return [error.message for error in validator.iter_errors(instance)]


async def _conforms(
    document: dict[str, Any], answer: Any, method: str, path: str
) -> dict[str, Any]:
    content_type = answer.content_type
    body = await answer.json(content_type=None)
    schema = _response_schema(document, method, path, answer.status, content_type)
    assert _errors(schema, body) == [], (method, path, answer.status, body)
    assert isinstance(body, dict)
    return body


async def test_management_body_errors_are_documented_422_problems(
    gateway: Any, document: dict[str, Any]
) -> None:
    invalid = [
        ({"email": "not-an-email", "password": "x" * 12}, "email"),
        ({"email": "a@example.org", "password": "short"}, "password"),
        ({"email": "a@example.org", "password": "x" * 12, "admin": True}, "admin"),
    ]
    signup_body = _request_schema(document, "POST", "/accounts/signup")
    for payload, field in invalid:
        assert _errors(signup_body, payload), payload  # the document refuses it too
        answer = await gateway.post("/accounts/signup", json=payload)
        assert answer.status == 422
        assert answer.content_type == "application/problem+json"
        problem = await _conforms(document, answer, "POST", "/accounts/signup")
        assert problem["field"] == field and problem["code"] == "invalid_field"

    account = await ready_account(gateway)
    path = f"/pdl/{CONSUMPTION_AND_PRODUCTION}"
    assert _errors(_request_schema(document, "PATCH", "/pdl/{usage_point_id}"), {"name": 5})
    answer = await gateway.patch(path, json={"name": 5}, headers=account.bearer)
    assert answer.status == 422
    problem = await _conforms(document, answer, "PATCH", "/pdl/{usage_point_id}")
    assert problem["field"] == "name"

    # what the handlers refuse before the body's fields keeps its own status
    answer = await gateway.patch(path, data="name=x", headers=account.bearer)
    assert answer.status == 415
    await _conforms(document, answer, "PATCH", "/pdl/{usage_point_id}")

    answer = await gateway.patch(path, json={"name": "Home"}, headers=account.bearer)
    assert answer.status == 200
    assert (await _conforms(document, answer, "PATCH", "/pdl/{usage_point_id}"))["name"] == "Home"
    for route in ("/accounts/me", "/pdl"):
        answer = await gateway.get(route, headers=account.bearer)
        assert answer.status == 200
        await _conforms(document, answer, "GET", route)
    answer = await gateway.get("/accounts/me")
    assert answer.status == 401
    await _conforms(document, answer, "GET", "/accounts/me")


async def test_token_route_answers_conform(gateway: Any, document: dict[str, Any]) -> None:
    answer = await gateway.post("/oauth2/v3/token", data={"grant_type": "password"})
    assert answer.status == 400
    assert (await _conforms(document, answer, "POST", "/oauth2/v3/token"))[
        "error"
    ] == "unsupported_grant_type"
    answer = await gateway.post(
        "/oauth2/v3/token",
        data={"grant_type": "client_credentials", "client_id": "x", "client_secret": "y"},
    )
    assert answer.status == 401
    await _conforms(document, answer, "POST", "/oauth2/v3/token")


async def test_v5_answers_conform_to_the_document(gateway: Any, document: dict[str, Any]) -> None:
    account = await ready_account(gateway)
    start, end = recent_range(3)
    for endpoint in ENDPOINTS:
        params = query(CONSUMPTION_AND_PRODUCTION, endpoint, start, end)
        answer = await gateway.get(endpoint.path, params=params, headers=account.bearer)
        assert answer.status == 200, (endpoint.name, await answer.text())
        await _conforms(document, answer, "GET", endpoint.path)

    endpoint = BY_NAME["daily_consumption"]
    refusals = [
        ({"usage_point_id": "123", "start": str(start), "end": str(end)}, account.bearer, 400),
        (query(CONSUMPTION_AND_PRODUCTION, endpoint, end, start), account.bearer, 400),
        (query("09200000000001", endpoint, start, end), account.bearer, 403),
        (query(CONSUMPTION_AND_PRODUCTION, endpoint, start, end), {}, 401),
    ]
    for params, headers, status in refusals:
        answer = await gateway.get(endpoint.path, params=params, headers=headers)
        assert answer.status == status, await answer.text()
        body = await _conforms(document, answer, "GET", endpoint.path)
        assert set(body) - {"hint"} == {"error", "error_description"}  # hint: documented
