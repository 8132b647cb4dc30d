"""Consent v2: which usage points an Enedis authorisation gave, and to whom.

Enedis' v2 consent page sends the browser back with ``autorisation_id`` and ``state`` only;
the usage points come from Enedis' server-to-server ``POST /subscribed_services/v1``
answer for that authorisation, never from the browser. Rules (``consented_points``):

- only ``ACTIF`` and ``DEMANDE`` services count (``TERMINE``/``SUPPRIME`` ones are gone);
- only services of *this* authorisation, started on or after the day the consent's
  ``state`` was issued (Enedis dates services by the day, Europe/Paris): an old
  ``autorisation_id``, or someone else's from an earlier day, attaches nothing;
- ``serviceSouscrit`` ``null`` or empty means Enedis is still recording the consent:
  ask again (with a bounded backoff, ``CONSENT_EXCHANGE_MAX_SECONDS``).

While the exchange goes on, a browser gets an "almost there" page that asks again by
itself; what it needs to ask again is the ``PendingConsent``, sealed by the server key
(nothing stored: any replica can continue it).
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from dataclasses import dataclass
from datetime import date
from typing import Any

from gateway.cache.crypto import EntryCipher
from gateway.keyring import Keyring

__all__ = [
    "ACTIVE_STATES",
    "ConsentedPoint",
    "PendingConsent",
    "consented_points",
    "is_autorisation_id",
]

ACTIVE_STATES = frozenset({"ACTIF", "DEMANDE"})
_AAD = "consent-pending"


def is_autorisation_id(value: str) -> bool:
    """Enedis' authorisation ids are integers (the sandbox's have 9 digits)."""
    return value.isascii() and value.isdigit() and 0 < len(value) <= 18


@dataclass(frozen=True, slots=True)
class ConsentedPoint:
    """A usage point an authorisation shares now, with its service's dates."""

    usage_point_id: str
    autorisation_id: str
    start: date
    end: date | None


def _services(answer: Any) -> list[dict[str, Any]] | None:
    if not isinstance(answer, dict):
        return None
    services = answer.get("serviceSouscrit")
    if not isinstance(services, list) or not services:
        return None
    return [s for s in services if isinstance(s, dict)]


def _day(value: Any) -> date | None:
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _of_authorisation(service: dict[str, Any], autorisation_id: str) -> bool:
    authorisation = service.get("autorisation")
    if not isinstance(authorisation, dict):
        return False
    return str(authorisation.get("autorisationId")) == autorisation_id


def consented_points(
    answer: Any, autorisation_id: str, issued_on: date
) -> list[ConsentedPoint] | None:
    """The points ``answer`` (of ``subscribed_services``) shares through this authorisation
    since ``issued_on``; ``None`` while Enedis lists no service yet (ask again)."""
    services = _services(answer)
    if services is None:
        return None
    points: dict[str, ConsentedPoint] = {}
    for service in services:
        prm = service.get("pointId")
        start = _day(service.get("dateDebut"))
        if (
            not isinstance(prm, str)
            or len(prm) != 14
            or not prm.isdigit()
            or service.get("etatCode") not in ACTIVE_STATES
            or not _of_authorisation(service, autorisation_id)
            or start is None
            or start < issued_on
        ):
            continue
        end = _day(service.get("dateFin"))
        known = points.get(prm)
        if known is None or (end is not None and (known.end is None or end > known.end)):
            points[prm] = ConsentedPoint(prm, autorisation_id, start, end)
    return sorted(points.values(), key=lambda p: p.usage_point_id)


@dataclass(frozen=True, slots=True)
class PendingConsent:
    """A v2 exchange still going on: whose, which authorisation, since when, until when."""

    account_id: str
    autorisation_id: str
    issued_on: date
    deadline: float  # epoch seconds

    @property
    def expired(self) -> bool:
        return time.time() >= self.deadline

    def seal(self, keyring: Keyring) -> str:
        plain = {
            "a": self.account_id,
            "z": self.autorisation_id,
            "i": self.issued_on.isoformat(),
            "d": self.deadline,
        }
        sealed = EntryCipher(keyring.pending_consent_key).seal(_AAD, plain)
        return base64.urlsafe_b64encode(sealed).decode().rstrip("=")

    @classmethod
    def open(cls, keyring: Keyring, text: str) -> PendingConsent | None:
        if not text or len(text) > 1024 or not text.isascii():
            return None
        try:
            sealed = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        except (binascii.Error, ValueError):
            return None
        plain = EntryCipher(keyring.pending_consent_key).open(_AAD, sealed)
        if not isinstance(plain, dict):
            return None
        try:
            return cls(
                str(plain["a"]), str(plain["z"]), date.fromisoformat(plain["i"]), float(plain["d"])
            )
        except (KeyError, TypeError, ValueError):
            return None


def exchange_body(autorisation_id: str) -> str:
    """The body of ``POST /subscribed_services/v1`` for one authorisation."""
    return json.dumps({"autorisationId": int(autorisation_id), "comptage": False})
