"""``POST /subscribed_services/v1``: the services an authorisation gave the application.

The request body is ``ConsulterServicesSouscritsPaginesDemande`` (``Services-souscrits.yaml``):
``comptage`` (boolean) is required, and a Data Connect application names its
``autorisationId`` (an integer; a string of digits is accepted too, as Enedis' JSON binding
coerces it). Filters honoured: ``pointId``, ``etatCode``, ``serviceType``,
``mesureTypeCode``, ``soutirage``, ``injection``; ``dateDebut``, ``dateFin``, ``page`` and
``siren`` are accepted and ignored (one page holds everything). A body that is not a JSON
object, or a field of the wrong type, answers 500 like any request outside the definitions;
without ``autorisationId`` (nor ``pointId`` or ``siren``) it is 400.

The answer ``{nbTotalServices, serviceSouscrit}``: ``serviceSouscrit`` is ``null`` for
``SANDBOX_SUBSCRIPTION_DELAY_SECONDS`` after a consent (``nbTotalServices`` 0), as Enedis
does while it records the consent; ``comptage: true`` answers the count only. Without an
``etatCode`` filter every state is listed (the YAML says the default filter is ``ACTIF`` +
``DEMANDE``, but deployments see ended services listed: clients keep ``ACTIF`` and
``DEMANDE`` themselves). Each shared point lists, as ``ACCES`` services of an ``EXPLICITE``
authorisation: per direction (``soutirage`` / ``injection``) ``ENERGIE`` (P1D), ``CDC``
(the meter's step, when it records a load curve), ``PMAX`` (P1D, consumption), ``IDX``
(NA), then one ``ITC`` (NA). ``etatCode`` is ``ACTIF``, or ``TERMINE`` once revoked (then
``dateFin`` is the day of the revocation).
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from gateway.enedis import upstream_errors_2026 as errors
from gateway.enedis.catalogue import Api
from gateway.enedis.upstream_errors_2026 import Error2026, Error2026Answer
from gateway.sandbox.consents import Share
from gateway.sandbox.guard import Handler, guarded
from gateway.sandbox.state import STATE
from gateway.sandbox.stats import SUBSCRIBED_SERVICES

__all__ = ["service_entries", "subscribed_services_handler"]

MISSING_SUBJECT = Error2026(
    400, "400", "Le paramètre autorisationId, pointId ou siren est obligatoire"
)
_STATE_LABELS = {"ACTIF": "Actif", "TERMINE": "Terminé", "DEMANDE": "Demandé"}


def _outside() -> Error2026Answer:
    return Error2026Answer(errors.TECHNICAL)


def _strings(body: dict[str, Any], name: str) -> list[str] | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _outside()
    return value


def _boolean(body: dict[str, Any], name: str) -> bool | None:
    value = body.get(name)
    if value is not None and not isinstance(value, bool):
        raise _outside()
    return value


def _autorisation_id(body: dict[str, Any]) -> int | None:
    value = body.get("autorisationId")
    if value is None:
        return None
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 18:
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _outside()
    return value


def service_entries(share: Share) -> list[dict[str, Any]]:
    """The ``serviceSouscrit`` entries of one shared point."""
    point = share.point
    etat = "ACTIF" if share.active else "TERMINE"
    if share.ended_on is not None:
        end = share.ended_on
    else:
        end = share.end if point.consent else share.start
    kinds: list[tuple[bool, bool, str, str]] = []
    for consumption, served in ((True, point.consumption), (False, point.production)):
        if not served:
            continue
        kinds.append((consumption, not consumption, "ENERGIE", "P1D"))
        if point.interval_minutes is not None:
            kinds.append((consumption, not consumption, "CDC", f"PT{point.interval_minutes}M"))
        if consumption:
            kinds.append((True, False, "PMAX", "P1D"))
        kinds.append((consumption, not consumption, "IDX", "NA"))
    kinds.append((point.consumption, point.production, "ITC", "NA"))
    return [
        {
            "id": f"{share.autorisation_id}{point.usage_point_id[-4:]}{n:02d}",
            "injection": injection,
            "soutirage": soutirage,
            "serviceCode": "ACCES",
            "dateDebut": share.start.isoformat(),
            "dateFin": end.isoformat(),
            "etatCode": etat,
            "etatLibelle": _STATE_LABELS[etat],
            "pointId": point.usage_point_id,
            "mesuresTypeCode": kind,
            "mesuresPas": step,
            "mesuresCorrigees": False,
            "espaceDynamique": False,
            "publicationDonnees": False,
            "autorisation": {
                "autorisationId": share.autorisation_id,
                "autorisationLibelle": "Autorisation Data Connect",
                "autorisationType": "EXPLICITE",
            },
        }
        for n, (soutirage, injection, kind, step) in enumerate(kinds, start=1)
    ]


def _matches(entry: dict[str, Any], body: dict[str, Any]) -> bool:
    checks = (
        ("pointId", _strings(body, "pointId"), entry["pointId"]),
        ("etatCode", _strings(body, "etatCode"), entry["etatCode"]),
        ("mesureTypeCode", _strings(body, "mesureTypeCode"), entry["mesuresTypeCode"]),
    )
    if any(wanted is not None and value not in wanted for _, wanted, value in checks):
        return False
    service_type = body.get("serviceType")
    if service_type is not None and service_type != entry["serviceCode"]:
        return False
    if _boolean(body, "soutirage") and not entry["soutirage"]:
        return False
    return not (_boolean(body, "injection") and not entry["injection"])


async def _subscribed_services(request: web.Request) -> web.StreamResponse:
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise _outside() from None
    if not isinstance(body, dict) or not isinstance(body.get("comptage"), bool):
        raise _outside()
    for name in ("pointId", "siren", "etatCode", "mesureTypeCode"):
        _strings(body, name)
    for name in ("soutirage", "injection", "autorisation"):
        _boolean(body, name)
    if body.get("serviceType") is not None and not isinstance(body["serviceType"], str):
        raise _outside()
    autorisation_id = _autorisation_id(body)
    if autorisation_id is None:
        if body.get("pointId") or body.get("siren"):
            return web.json_response({"nbTotalServices": 0, "serviceSouscrit": None})
        raise Error2026Answer(MISSING_SUBJECT)
    shares = request.app[STATE].consents.shares_of(autorisation_id)
    if shares is None:
        return web.json_response({"nbTotalServices": 0, "serviceSouscrit": None})
    entries = [e for share in shares for e in service_entries(share) if _matches(e, body)]
    if body["comptage"]:
        return web.json_response({"nbTotalServices": len(entries)})
    return web.json_response({"nbTotalServices": len(entries), "serviceSouscrit": entries or None})


def subscribed_services_handler() -> Handler:
    """The guarded handler of ``POST /subscribed_services/v1``."""
    return guarded(SUBSCRIBED_SERVICES, _subscribed_services, Api.SUBSCRIBED_SERVICES)
