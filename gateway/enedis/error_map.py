"""What the gateway answers for each upstream failure (the documented mapping).

| upstream                                           | gateway answer                          |
|----------------------------------------------------|-----------------------------------------|
| a 4xx of the catalogue (errors.json)               | same status, same ``error`` and message |
| 404 no data (no_data_found, STM-ERR-0000014/20)    | same 404 (cached briefly)               |
| 401 after one token renewal                        | 502 ``GW-UPSTREAM-AUTH``                |
| 429 Q3/Q4 still after the retries                  | 503 + Retry-After, Enedis' code kept    |
| 500 / 502 after the retries                        | 502, Enedis' code kept                  |
| 503 after the retries                              | 503, Enedis' code kept                  |
| 504 / timeout after the retries                    | 504 ``GW-UPSTREAM-TIMEOUT``             |
| connection refused / reset after the retries       | 503 ``GW-UPSTREAM-UNREACHABLE``         |
| circuit breaker open                               | 503 ``GW-UPSTREAM-UNAVAILABLE``         |
| any other upstream error (not in the catalogue)    | 502, Enedis' code kept                  |
"""

from __future__ import annotations

import json
from typing import Any

from gateway.enedis import upstream_errors, upstream_errors_2026
from gateway.errors import UpstreamFailure

NO_DATA_CODES = frozenset({"no_data_found", "STM-ERR-0000014", "STM-ERR-0000020"})
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
#: A 403 with one of these codes: Enedis says the consent is gone (not the holder any more;
#: v5 ADAM-DC-0008, 2026 "403"). A 403 of the API gateway (900908: no subscription) is not.
NOT_HOLDER_CODES = frozenset({"ADAM-DC-0008"})


#: Data Connect 2026 answers ``{"code": "<status>", "message": ...}``: its refusals as the
#: v5 errors of the same meaning (the v5 and legacy surfaces keep their clients' codes;
#: the 2026 surface answers Enedis' own words, ``UpstreamFailure.in_2026``).
FROM_2026: dict[tuple[int, str], upstream_errors.UpstreamError] = {
    (403, "403"): upstream_errors.NO_CONSENT,
}
#: The other way, for a 2026 client of a gateway on the v5 upstream (``ENEDIS_API=v5``).
TO_2026: dict[str, upstream_errors_2026.Error2026] = {
    upstream_errors.NO_CONSENT.code: upstream_errors_2026.NOT_HOLDER,
}


def consent_gone(failure: BaseException) -> bool:
    """Whether an upstream failure means the usage point's consent has been withdrawn."""
    return (
        isinstance(failure, UpstreamFailure)
        and failure.upstream_status == 403
        and failure.code in NOT_HOLDER_CODES
    )


def parse_error(body: bytes) -> tuple[str, str]:
    """The ``error`` and ``error_description`` of an upstream error body (best effort)."""
    try:
        data: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return "", ""
    if not isinstance(data, dict):
        return "", ""
    code = data.get("error", data.get("code", ""))
    message = data.get("error_description", data.get("message", ""))
    return str(code), str(message)


def upstream_failure(
    status: int, code: str, message: str, retry_after: float | None = None
) -> UpstreamFailure:
    """The gateway's answer for an upstream error that will not be retried (any more)."""
    headers = {"Retry-After": str(max(1, round(retry_after)))} if retry_after else None
    if status == 429:
        return UpstreamFailure(
            503,
            code or "GW-UPSTREAM-BUSY",
            message or "Enedis' call quota is reached; retry later.",
            upstream_status=status,
            headers=headers or {"Retry-After": "1"},
            retryable=True,
        )
    if status in (500, 502):
        return UpstreamFailure(
            502,
            code or "GW-UPSTREAM-ERROR",
            message or "Enedis failed to answer.",
            upstream_status=status,
            retryable=True,
        )
    if status == 503:
        return UpstreamFailure(
            503,
            code or "GW-UPSTREAM-UNAVAILABLE",
            message or "Enedis is unavailable.",
            upstream_status=status,
            headers=headers,
            retryable=True,
        )
    if status == 504:
        return timeout_failure()
    if status == 401:
        return UpstreamFailure(
            502,
            "GW-UPSTREAM-AUTH",
            "The gateway could not authenticate with Enedis.",
            upstream_status=status,
        )
    translated = FROM_2026.get((status, code))
    if translated is not None:  # a Data Connect 2026 refusal, said as v5 said it
        return UpstreamFailure(
            status,
            translated.code,
            translated.message,
            upstream_status=status,
            in_2026=(code, message or translated.message),
        )
    known = upstream_errors.find(status, code, message or None, api="data") if code else None
    if known is not None:
        as_2026 = TO_2026.get(known.code)
        return UpstreamFailure(
            status,
            known.code,
            message or known.message,
            upstream_status=status,
            in_2026=(as_2026.code, as_2026.message) if as_2026 is not None else None,
        )
    return UpstreamFailure(
        502,
        code or f"GW-UPSTREAM-{status}",
        message or f"Enedis answered an unexpected error (status {status}).",
        upstream_status=status,
    )


def timeout_failure() -> UpstreamFailure:
    return UpstreamFailure(
        504, "GW-UPSTREAM-TIMEOUT", "Enedis did not answer in time.", retryable=True
    )


def unreachable_failure() -> UpstreamFailure:
    return UpstreamFailure(
        503,
        "GW-UPSTREAM-UNREACHABLE",
        "Enedis could not be reached.",
        retryable=True,
        headers={"Retry-After": "5"},
    )


def breaker_open_failure(retry_after: float) -> UpstreamFailure:
    return UpstreamFailure(
        503,
        "GW-UPSTREAM-UNAVAILABLE",
        "Enedis is failing; the gateway pauses its calls for a moment.",
        headers={"Retry-After": str(max(1, round(retry_after)))},
        retryable=True,
    )
