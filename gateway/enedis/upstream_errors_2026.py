"""The error answers of Enedis Data Connect 2026, as Python data.

Data Connect 2026 answers ``{"code": "...", "message": "..."}`` with French messages (the
examples of Enedis' definitions); its API gateway (WSO2) adds ``description`` to its own
answers (900908 no subscription, 900901 bad token). Two facts shape every client:

- a request outside the definitions (unknown or missing parameter, wrong format) answers
  **500** ``TECHNICAL``, not 400, so parameter mistakes look like outages;
- the "period before the meter's activation" error keeps its v5 form
  (``{"error": "ADAM-ERR0123", "error_description": ...}``, see ``BEFORE_ACTIVATION``).

Enedis documents the statuses and messages, not the ``code`` values of its own answers:
ours are the HTTP status as a string (``"403"``, ``"404"``...), except the API gateway's
numeric WSO2 codes (900901, 900908), which are seen in production. ``Error2026Answer`` is
the exception carrying one entry, raised by the sandbox's handlers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from gateway.enedis.catalogue import Api

__all__ = [
    "BAD_PERIOD",
    "BEFORE_ACTIVATION",
    "CATALOGUE",
    "CONTRACT_FORBIDDEN",
    "CONTRACT_NOT_FOUND",
    "END_IN_FUTURE",
    "GATEWAY_TIMEOUT",
    "HISTORY",
    "INVALID_CREDENTIALS",
    "NOT_HOLDER",
    "NO_MEASURE",
    "QUOTA",
    "RANGE_TOO_LONG",
    "SERVICE_UNAVAILABLE",
    "SUBSCRIPTION_REQUIRED",
    "TECHNICAL",
    "Error2026",
    "Error2026Answer",
    "find",
]


@dataclass(frozen=True, slots=True)
class Error2026:
    """One 2026 error answer: status, ``code``, ``message`` and optional ``description``.

    ``legacy``: the answer keeps the v5 form ``{"error", "error_description"}``.
    ``retry``: calling again later can succeed.
    """

    status: int
    code: str
    message: str
    retry: bool = False
    description: str | None = None
    legacy: bool = False

    def body(self) -> dict[str, str]:
        """The JSON body Enedis sends for this error."""
        if self.legacy:
            return {"error": self.code, "error_description": self.message}
        body = {"code": self.code, "message": self.message}
        if self.description is not None:
            body["description"] = self.description
        return body


class Error2026Answer(Exception):
    """Raised to answer a 2026 error (``entry``), like ``rules.EnedisError`` for v5."""

    def __init__(self, entry: Error2026) -> None:
        super().__init__(entry.status, entry.code, entry.message)
        self.entry = entry

    @property
    def status(self) -> int:
        return self.entry.status

    def body(self) -> dict[str, str]:
        """The JSON body of the answer."""
        return self.entry.body()

    def __str__(self) -> str:
        return f"{self.entry.status} {self.entry.code}: {self.entry.message}"


_E = Error2026

#: A request outside the definitions, or a failure of Enedis' back end.
TECHNICAL = _E(500, "500", "Problème technique dans l'interrogation du SI coeur", retry=True)
SERVICE_UNAVAILABLE = _E(503, "503", "Service momentanément indisponible", retry=True)
GATEWAY_TIMEOUT = _E(504, "504", "Délai de réponse du SI coeur dépassé", retry=True)

#: The measurement API: the point is not (or no longer) shared with the application.
NOT_HOLDER = _E(403, "403", "Le client n'est pas titulaire du point demandé")
#: No data for the period, a point without this direction, a load curve not recorded.
NO_MEASURE = _E(404, "404", "Pas de mesure trouvée pour ce point")
#: Quota of one API (5 per second, 1000 per hour) exceeded.
QUOTA = _E(429, "429", "SLA dépassé", retry=True)

# Rules of the measurement API on well-formed dates (Enedis documents the rules, not these
# answers: ours are 400s with a French message naming the rule).
BAD_PERIOD = _E(400, "400", "La date de début doit être antérieure à la date de fin")
END_IN_FUTURE = _E(400, "400", "La date de fin ne peut pas être postérieure à la date du jour")
HISTORY = _E(400, "400", "La date de début est antérieure à la profondeur d'historique autorisée")
RANGE_TOO_LONG = _E(400, "400", "La période demandée dépasse la durée maximale autorisée")

#: Kept in its v5 form by Data Connect 2026.
BEFORE_ACTIVATION = _E(
    400,
    "ADAM-ERR0123",
    "The requested period cannot be anterior to the meter's last activation date",
    legacy=True,
)

#: The API gateway: unknown, expired or missing application token.
INVALID_CREDENTIALS = _E(
    401,
    "900901",
    "Invalid Credentials",
    description="Invalid Credentials. Make sure you have provided the correct security credentials",
)
#: The API gateway: the application has no subscription to this API (the trailing space is
#: Enedis').
SUBSCRIPTION_REQUIRED = _E(
    403,
    "900908",
    "Resource forbidden ",
    description=(
        "User is NOT authorized to access the Resource. API Subscription validation failed."
    ),
)

#: Contract-data APIs: the point is not shared with the application.
CONTRACT_FORBIDDEN = _E(403, "403", "Le client n'est pas autorisé pour le point demandé")

#: Contract-data APIs: unknown point (each API names its resource).
CONTRACT_NOT_FOUND: Mapping[Api, Error2026] = MappingProxyType(
    {
        Api.SITUATION_CONTRAT: _E(404, "404", "Situation contractuelle ou PRM non existant"),
        Api.SYNTH_CONTRAT: _E(404, "404", "Synthèse contractuelle ou PRM non existant"),
        Api.COMPTAGE: _E(404, "404", "Situation comptage ou PRM non existant"),
        Api.DONNEES_GENERALES: _E(404, "404", "Données générales ou PRM non existant"),
        Api.ALIMENTATION: _E(404, "404", "Situation alimentation ou PRM non existant"),
    }
)

#: Every entry above, for lookups.
CATALOGUE: tuple[Error2026, ...] = (
    TECHNICAL,
    SERVICE_UNAVAILABLE,
    GATEWAY_TIMEOUT,
    NOT_HOLDER,
    NO_MEASURE,
    QUOTA,
    BAD_PERIOD,
    END_IN_FUTURE,
    HISTORY,
    RANGE_TOO_LONG,
    BEFORE_ACTIVATION,
    INVALID_CREDENTIALS,
    SUBSCRIPTION_REQUIRED,
    CONTRACT_FORBIDDEN,
    *CONTRACT_NOT_FOUND.values(),
)


def find(status: int, body: object) -> Error2026 | None:
    """The catalogue entry an answer (status and decoded JSON body) is, if any.

    Matches on status, code and message (either form: ``code``/``message`` or, for the
    errors kept from v5, ``error``/``error_description``).
    """
    if not isinstance(body, dict):
        return None
    for entry in CATALOGUE:
        keys = ("error", "error_description") if entry.legacy else ("code", "message")
        if (
            entry.status == status
            and body.get(keys[0]) == entry.code
            and body.get(keys[1]) == entry.message
        ):
            return entry
    return None
