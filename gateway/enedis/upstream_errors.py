"""The Enedis Data Connect error catalogue, as Python data.

``CATALOGUE`` is a faithful copy of ``enedis/errors.json`` (authorize, token and data APIs):
``status`` is the HTTP status, ``code`` the ``error`` field, ``message`` the
``error_description`` field, ``retry`` whether calling again later can succeed.

``EXTRAS`` holds the few answers the simulator and gateway also need that errors.json does
not list (standard OAuth 2 errors from the token/authorize Swagger definitions, the bearer
token check, the 365-day maximum of daily calls, the data 503). ``find`` searches both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "AUTHORIZE_ACCESS_DENIED",
    "AUTHORIZE_INVALID_CLIENT",
    "AUTHORIZE_INVALID_DURATION",
    "AUTHORIZE_MAXIMUM_DURATION",
    "AUTHORIZE_RESPONSE_TYPE_REQUIRED",
    "AUTHORIZE_SERVER_ERROR",
    "AUTHORIZE_UNAVAILABLE",
    "AUTHORIZE_UNSUPPORTED_RESPONSE_TYPE",
    "CATALOGUE",
    "CONSENT_START",
    "DAILY_RANGE",
    "END_FORMAT",
    "END_IN_FUTURE",
    "END_REQUIRED",
    "EXTRAS",
    "GATEWAY_TIMEOUT",
    "HISTORY",
    "HISTORY_DC",
    "INVALID_TOKEN",
    "LOAD_CURVE_RANGE",
    "NOT_OWNER",
    "NO_CONSENT",
    "NO_DATA",
    "NO_DATA_STM",
    "NO_MEASURE",
    "QUOTA_Q3",
    "QUOTA_Q4",
    "SERVICE_UNAVAILABLE",
    "START_AFTER_END",
    "START_FORMAT",
    "START_REQUIRED",
    "TECHNICAL_ERROR",
    "TECHNICAL_ERROR_STM",
    "TOKEN_INVALID_GRANT",
    "TOKEN_MISSING_PARAMETER",
    "TOKEN_UNAUTHORIZED",
    "TOKEN_UNSUPPORTED_GRANT_TYPE",
    "UNKNOWN_USER",
    "USAGE_POINT_FORMAT",
    "USAGE_POINT_REQUIRED",
    "WRONG_DIRECTION",
    "Api",
    "UpstreamError",
    "find",
]

Api = Literal["authorize", "token", "data"]


@dataclass(frozen=True, slots=True)
class UpstreamError:
    """One error answer of the Enedis API."""

    api: Api
    status: int
    code: str
    message: str
    retry: bool
    cause: str

    def body(self) -> dict[str, str]:
        """The JSON body Enedis sends: ``{"error": code, "error_description": message}``."""
        return {"error": self.code, "error_description": self.message}


_E = UpstreamError

# --- authorize (consent page) ---------------------------------------------------------------
AUTHORIZE_INVALID_DURATION = _E(
    "authorize",
    400,
    "invalid_request",
    "invalid_duration_format",
    False,
    "duration is not ISO 8601",
)
AUTHORIZE_MAXIMUM_DURATION = _E(
    "authorize",
    400,
    "invalid_request",
    "maximum_duration_exceeded",
    False,
    "duration longer than 3 years or negative",
)
AUTHORIZE_ACCESS_DENIED = _E(
    "authorize",
    403,
    "access_denied",
    "access_denied",
    False,
    "the customer refused consent",
)
AUTHORIZE_SERVER_ERROR = _E(
    "authorize",
    500,
    "server_error",
    "lincs-internal-server-error",
    True,
    "internal error while validating consent",
)
AUTHORIZE_UNAVAILABLE = _E(
    "authorize",
    503,
    "Service Unavailable",
    "Service Unavailable",
    True,
    "temporarily unavailable",
)

# --- token ------------------------------------------------------------------------------------
TOKEN_MISSING_PARAMETER = _E(
    "token",
    400,
    "invalid_request",
    "missing_parameter",
    False,
    "a required form field is missing",
)
TOKEN_INVALID_GRANT = _E(
    "token",
    400,
    "invalid_grant",
    "The provided authorization grant or refresh token is invalid, expired, revoked, does not "
    "match the redirection URI used in the authorization request, or was issued to another "
    "client.",
    False,
    "bad or expired grant",
)
TOKEN_UNAUTHORIZED = _E(
    "token",
    401,
    "Unauthorized",
    "Valid authentication credentials are mandatory to access the resource",
    False,
    "bad client credentials",
)

# --- data (metering and customers APIs) -------------------------------------------------------
NOT_OWNER = _E(
    "data",
    403,
    "ADAM-DC-0007",
    "The customer is not owner of this usage point.",
    False,
    "customer moved; new consent needed",
)
NO_CONSENT = _E(
    "data",
    403,
    "ADAM-DC-0008",
    "No consent can be found for this customer and this usage point.",
    False,
    "consent revoked or expired",
)
TECHNICAL_ERROR = _E(
    "data", 500, "ADAM-DC-0500", "Technical Exception", True, "temporary server error"
)
TECHNICAL_ERROR_STM = _E("data", 500, "STM-ERR-0000001", "", True, "temporary server error")
UNKNOWN_USER = _E(
    "data",
    404,
    "STM-ERR-0000019",
    "Unknown or unauthorized user.",
    False,
    "no site attached to this customer",
)
USAGE_POINT_REQUIRED = _E(
    "data",
    400,
    "Invalid_request",
    "usage_point_id parameter is required.",
    False,
    "missing usage_point_id",
)
USAGE_POINT_FORMAT = _E(
    "data",
    400,
    "Invalid_request",
    "usage_point_id parameter must be 14 digits long.",
    False,
    "malformed usage_point_id",
)
QUOTA_Q3 = _E(
    "data",
    429,
    "Quota Q3 reached",
    "Call threshold allowed on X:XX:XX",
    True,
    "more than 5 calls per second",
)
QUOTA_Q4 = _E(
    "data",
    429,
    "Quota Q4 reached",
    "Call threshold allowed on X:XX:XX",
    True,
    "more than 10000 calls per hour",
)
CONSENT_START = _E(
    "data",
    403,
    "ADAM-DC-0009",
    "The start date of the request must be greater than the consent start date.",
    False,
    "start before consent start",
)
LOAD_CURVE_RANGE = _E(
    "data",
    400,
    "ADAM-DC-0015",
    "The requested period must be less than 7 days for an access to the load curve.",
    False,
    "load curve range over 7 days",
)
HISTORY_DC = _E(
    "data",
    400,
    "ADAM-DC-0016",
    "The start date must be greater than the history deadline.",
    False,
    "start older than the history depth",
)
HISTORY = _E(
    "data",
    400,
    "ADAM-ERR0125",
    "The start date must be greater than the history deadline.",
    False,
    "start older than the history depth",
)
START_REQUIRED = _E(
    "data",
    400,
    "invalid_request",
    "Start date parameter is required.",
    False,
    "missing start",
)
START_FORMAT = _E(
    "data",
    400,
    "invalid_request",
    "start date parameter must be in the format yyyy-mm-dd.",
    False,
    "malformed start",
)
END_FORMAT = _E(
    "data",
    400,
    "invalid_request",
    "end date parameter must be in the format yyyy-mm-dd.",
    False,
    "malformed end",
)
END_REQUIRED = _E(
    "data",
    400,
    "invalid_request",
    "End date parameter is required.",
    False,
    "missing end",
)
END_IN_FUTURE = _E(
    "data",
    400,
    "invalid_request",
    "The end date parameter must be earlier than the current date.",
    False,
    "end in the future",
)
START_AFTER_END = _E(
    "data",
    400,
    "invalid_request",
    "Start date should be before end date.",
    False,
    "start not before end",
)
WRONG_DIRECTION = _E(
    "data",
    400,
    "ADAM-ERR0069",
    "Le sens de la mesure ne correspond pas pour le PRM demandé.",
    False,
    "consumption asked on a production point or the reverse",
)
NO_DATA_STM = _E(
    "data",
    404,
    "STM-ERR-0000014",
    "",
    False,
    "no data: no smart meter, data gap, or load curve recording not enabled",
)
NO_MEASURE = _E(
    "data",
    404,
    "STM-ERR-0000020",
    "no measure found for this usage point",
    False,
    "no measure in the period",
)
NO_DATA = _E(
    "data",
    404,
    "no_data_found",
    "no measure found for this usage point",
    False,
    "no measure in the period",
)

#: Every error of ``enedis/errors.json``, in its order.
CATALOGUE: tuple[UpstreamError, ...] = (
    AUTHORIZE_INVALID_DURATION,
    AUTHORIZE_MAXIMUM_DURATION,
    AUTHORIZE_ACCESS_DENIED,
    AUTHORIZE_SERVER_ERROR,
    AUTHORIZE_UNAVAILABLE,
    TOKEN_MISSING_PARAMETER,
    TOKEN_INVALID_GRANT,
    TOKEN_UNAUTHORIZED,
    NOT_OWNER,
    NO_CONSENT,
    TECHNICAL_ERROR,
    TECHNICAL_ERROR_STM,
    UNKNOWN_USER,
    USAGE_POINT_REQUIRED,
    USAGE_POINT_FORMAT,
    QUOTA_Q3,
    QUOTA_Q4,
    CONSENT_START,
    LOAD_CURVE_RANGE,
    HISTORY_DC,
    HISTORY,
    START_REQUIRED,
    START_FORMAT,
    END_FORMAT,
    END_REQUIRED,
    END_IN_FUTURE,
    START_AFTER_END,
    WRONG_DIRECTION,
    NO_DATA_STM,
    NO_MEASURE,
    NO_DATA,
)

# --- not in errors.json -----------------------------------------------------------------------
TOKEN_UNSUPPORTED_GRANT_TYPE = _E(
    "token",
    400,
    "unsupported_grant_type",
    "The authorization grant type is not supported by the authorization server",
    False,
    "grant_type is not client_credentials (02-token.json)",
)
AUTHORIZE_INVALID_CLIENT = _E(
    "authorize",
    400,
    "invalid_client",
    "Client authentication failed (e.g., unknown client, no client authentication included, "
    "or unsupported authentication method)",
    False,
    "unknown or missing client_id (02-token.json wording)",
)
AUTHORIZE_RESPONSE_TYPE_REQUIRED = _E(
    "authorize",
    400,
    "Invalid_request",
    "Response type parameter is required",
    False,
    "missing response_type (01-authorize.json example)",
)
AUTHORIZE_UNSUPPORTED_RESPONSE_TYPE = _E(
    "authorize",
    400,
    "unsupported_response_type",
    "The authorization server does not support obtaining an authorization code using this method",
    False,
    "response_type is not code (RFC 6749 4.1.2.1)",
)
INVALID_TOKEN = _E(
    "data",
    401,
    "invalid_token",
    "Invalid or expired access token",
    False,
    "missing, unknown, expired or revoked Bearer token (RFC 6750); get a new token",
)
DAILY_RANGE = _E(
    "data",
    400,
    "invalid_request",
    "The requested period must not exceed 365 days for an access to daily data.",
    False,
    "daily range over 365 days",
)
SERVICE_UNAVAILABLE = _E(
    "data",
    503,
    "Service Unavailable",
    "Service Unavailable",
    True,
    "temporarily unavailable",
)
GATEWAY_TIMEOUT = _E(
    "data",
    504,
    "Gateway Timeout",
    "The upstream server did not answer in time",
    True,
    "timeout behind the API gateway",
)

#: Answers the simulator and gateway use that ``errors.json`` does not list.
EXTRAS: tuple[UpstreamError, ...] = (
    TOKEN_UNSUPPORTED_GRANT_TYPE,
    AUTHORIZE_INVALID_CLIENT,
    AUTHORIZE_RESPONSE_TYPE_REQUIRED,
    AUTHORIZE_UNSUPPORTED_RESPONSE_TYPE,
    INVALID_TOKEN,
    DAILY_RANGE,
    SERVICE_UNAVAILABLE,
    GATEWAY_TIMEOUT,
)


def find(
    status: int, code: str, message: str | None = None, *, api: Api | None = None
) -> UpstreamError | None:
    """Look an upstream answer up by HTTP status and ``error`` code (case-sensitive).

    Several entries share a (status, code) pair (e.g. 400 ``invalid_request``); pass the
    ``error_description`` as ``message`` to pick the exact one. Without it, or when no entry
    has that message, the first entry with that status and code is returned. ``api``
    restricts the search to one API. ``CATALOGUE`` is searched before ``EXTRAS``.
    """
    candidates = [
        e
        for e in CATALOGUE + EXTRAS
        if e.status == status and e.code == code and (api is None or e.api == api)
    ]
    if not candidates:
        return None
    if message is not None:
        for e in candidates:
            if e.message == message:
                return e
    return candidates[0]
