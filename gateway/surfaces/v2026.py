"""The 2026 surface: Enedis Data Connect 2026's paths on the gateway, for software written
for it.

``GET /mesure_synchrone_auto/v2/{operation}`` (the seven operations: ``pointId``,
``dateDebut`` included, ``dateFin`` excluded; max power also ``mesuresPas=P1D`` and
``grandeurPhysique`` ``PMA`` or ``TOUT``) and ``GET /{api}/v1/{prm}`` for the five
contract-data APIs. Bodies are Enedis' (rendered from the model, so one cached day answers
every surface); errors are ``{"code", "message"}``. Where Enedis answers 500 to a request
it does not understand, the gateway answers 400 naming the parameter, before any upstream
call. Ranges longer than one upstream call are split, as on the v5 surface.

Max power is kept as daily maxima: ``mesuresPas=P1M`` answers each calendar month's highest
daily maximum of the period from them; ``grandeurPhysique=TOUT`` answers the "equivalent
single-phase" maximum (``PMA``) only, per-phase values are not kept. Contract data need the
2026 upstream (``ENEDIS_API=2026``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from aiohttp import web
from aiohttp_apigami import docs

from gateway import routing, state
from gateway.data.request import DataRequest, cache_mode_from_headers
from gateway.enedis import rules
from gateway.enedis.catalogue import (
    CONTRACT_APIS,
    DATASET_BY_NAME,
    MEASURE_OPERATIONS,
    ContractApi,
    Generation,
    Measure,
    MeasureOperation,
    history_deadline,
)
from gateway.enedis.schemas2026 import contract_schema, measure_schema, openapi_schema
from gateway.errors import GatewayError
from gateway.openapi import ACCOUNT, error_responses
from gateway.routing import Auth, Handler, RouteSpec, Surface
from gateway.surfaces import v2026_bodies
from gateway.surfaces.forward import forward

_TAG = "2026 (Enedis Data Connect 2026)"
_CUSTOMER_DATASET = DATASET_BY_NAME["contracts"]  # any customer dataset: the kind matters


def invalid(parameter: str, message: str) -> GatewayError:
    return GatewayError(400, "400", f"{parameter}: {message}", field=parameter)


def _day(query: Any, name: str) -> date:
    value = query.get(name)
    if not value:
        raise invalid(name, "is required (YYYY-MM-DD).")
    try:
        if len(value) != 10:
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise invalid(name, f"{value!r} is not a date YYYY-MM-DD.") from None


def _measure_parse(operation: MeasureOperation) -> Callable[[web.Request], DataRequest]:
    dataset = DATASET_BY_NAME[operation.v5 or operation.name]
    allowed = {"pointId", "dateDebut", "dateFin", *(c.name for c in operation.choices)}

    def parse(request: web.Request) -> DataRequest:
        query = request.query
        for name in query:
            if name not in allowed:
                raise invalid(name, f"is not a parameter of {operation.name}.")
            if len(query.getall(name)) > 1:
                raise invalid(name, "is given more than once.")
        point = query.get("pointId", "")
        if not rules.is_usage_point_id(point):
            raise invalid("pointId", "must be the 14 digits of the PRM.")
        for choice in operation.choices:
            value = query.get(choice.name)
            if value not in choice.values:
                raise invalid(choice.name, f"must be one of {', '.join(choice.values)}.")
        start, end = _day(query, "dateDebut"), _day(query, "dateFin")
        today = rules.paris_today()
        if start >= end:
            raise invalid("dateFin", "must be after dateDebut (dateFin is excluded).")
        if end > today:
            raise invalid("dateFin", f"must be at most today ({today}); it is excluded.")
        earliest = history_deadline(operation, today)
        if start < earliest:
            raise invalid("dateDebut", f"must be on or after {earliest} (history depth).")
        monthly = query.get("mesuresPas") == "P1M"
        return DataRequest(
            dataset,
            point,
            v2026_bodies.render_monthly if monthly else v2026_bodies.render,
            v2026_bodies.DIALECT + (":P1M" if monthly else ""),
            start,
            end,
            cache_mode_from_headers(request),
        )

    return parse


def _contract_parse(contract_api: ContractApi) -> Callable[[web.Request], DataRequest]:
    def parse(request: web.Request) -> DataRequest:
        if request.query:
            name = next(iter(request.query))
            raise invalid(name, f"{contract_api.base}/{{prm}} takes no query parameter.")
        point = request.match_info["prm"]
        if not rules.is_usage_point_id(point):
            raise invalid("prm", "must be the 14 digits of the PRM.")
        if request.app[state.FORWARDER].adapter.generation is not Generation.V2026:
            raise GatewayError(
                501, "501", "Contract data of Data Connect 2026 need ENEDIS_API=2026."
            )
        return DataRequest(
            _CUSTOMER_DATASET,
            point,
            v2026_bodies.render,
            v2026_bodies.DIALECT,
            cache=cache_mode_from_headers(request),
            sections=(contract_api.name,),
        )

    return parse


def _query(operation: MeasureOperation) -> list[dict[str, Any]]:
    parameters: list[dict[str, Any]] = [
        {
            "in": "query",
            "name": "pointId",
            "required": True,
            "description": "The PRM: exactly 14 digits.",
            "schema": {"type": "string", "pattern": "^[0-9]{14}$"},
        },
        {
            "in": "query",
            "name": "dateDebut",
            "required": True,
            "description": f"First day (included), YYYY-MM-DD; history: "
            f"{operation.history_months} months and 15 days.",
            "schema": {"type": "string", "format": "date"},
        },
        {
            "in": "query",
            "name": "dateFin",
            "required": True,
            "description": "Day after the last one (excluded), at most today (Europe/Paris).",
            "schema": {"type": "string", "format": "date"},
        },
    ]
    for choice in operation.choices:
        values = list(choice.values)
        parameters.append(
            {
                "in": "query",
                "name": choice.name,
                "required": True,
                "schema": {"type": "string", "enum": values},
            }
        )
    return parameters


def _documented(name: str, summary: str, schema: dict[str, Any], **extra: Any) -> Handler:
    @docs(
        tags=[_TAG],
        summary=summary,
        operation_id=f"v2026_{name}",
        security=ACCOUNT,
        responses={
            200: {
                "description": "Enedis' answer.",
                "content": {"application/json": {"schema": schema}},
            },
            **error_responses(Surface.V2026, 400, 401, 403, 404, 429, 502, 503, 504),
        },
        **extra,
    )
    async def handler(request: web.Request) -> web.StreamResponse:
        return await forward(request)

    handler.__name__ = handler.__qualname__ = f"v2026_{name}"
    return handler


def register(app: web.Application) -> None:
    for operation in MEASURE_OPERATIONS:
        spec = RouteSpec(
            Surface.V2026, Auth.ACCOUNT, parse=_measure_parse(operation), name=operation.name
        )
        what = "indexes" if operation.measure is Measure.INDEX else "measurements"
        handler = _documented(
            operation.name,
            f"{operation.name.replace('_', ' ').capitalize()} ({what})",
            openapi_schema(measure_schema(operation)),
            parameters=_query(operation),
            description=f"Enedis' `GET {operation.path}`: same parameters, same body; "
            f"long ranges are split into calls of at most {operation.max_days_per_call} days.",
        )
        routing.add(app, "GET", operation.path, handler, spec)
    for contract_api in CONTRACT_APIS:
        spec = RouteSpec(
            Surface.V2026, Auth.ACCOUNT, parse=_contract_parse(contract_api), name=contract_api.name
        )
        handler = _documented(
            contract_api.name,
            f"{contract_api.api.value} (contract data)",
            openapi_schema(contract_schema(contract_api.api)),
            parameters=[
                {
                    "in": "path",
                    "name": "prm",
                    "required": True,
                    "schema": {"type": "string", "pattern": "^[0-9]{14}$"},
                }
            ],
            description=f"Enedis' `GET {contract_api.base}/{{prm}}`, answered from the cache "
            "when it holds the point's contract data.",
        )
        routing.add(app, "GET", contract_api.base + "/{prm}", handler, spec)
