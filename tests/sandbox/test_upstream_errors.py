from __future__ import annotations

from gateway.enedis import upstream_errors as errors


def test_catalogue_copies_errors_json() -> None:
    assert len(errors.CATALOGUE) == 31
    assert len(set(errors.CATALOGUE)) == 31
    assert errors.NO_CONSENT.body() == {
        "error": "ADAM-DC-0008",
        "error_description": "No consent can be found for this customer and this usage point.",
    }
    assert (errors.WRONG_DIRECTION.status, errors.WRONG_DIRECTION.code) == (400, "ADAM-ERR0069")
    assert (errors.HISTORY.status, errors.HISTORY.code) == (400, "ADAM-ERR0125")
    assert (errors.LOAD_CURVE_RANGE.status, errors.LOAD_CURVE_RANGE.code) == (400, "ADAM-DC-0015")
    assert (errors.NO_DATA.status, errors.NO_DATA.code) == (404, "no_data_found")
    assert (errors.UNKNOWN_USER.status, errors.UNKNOWN_USER.code) == (404, "STM-ERR-0000019")
    assert errors.QUOTA_Q3.retry and errors.QUOTA_Q4.retry and not errors.NO_CONSENT.retry


def test_find() -> None:
    assert errors.find(403, "ADAM-DC-0008") is errors.NO_CONSENT
    assert errors.find(429, "Quota Q4 reached") is errors.QUOTA_Q4
    assert errors.find(404, "nope") is None
    assert errors.find(400, "invalid_request", "End date parameter is required.") is (
        errors.END_REQUIRED
    )
    assert errors.find(400, "invalid_request", api="token") is errors.TOKEN_MISSING_PARAMETER
    assert errors.find(401, "invalid_token") is errors.INVALID_TOKEN
    assert errors.find(400, "unsupported_grant_type") is errors.TOKEN_UNSUPPORTED_GRANT_TYPE


# Copied from enedis/errors.json: (status, error, error_description) of the data API errors.
ERRORS_JSON_DATA = [
    (403, "ADAM-DC-0007", "The customer is not owner of this usage point."),
    (403, "ADAM-DC-0008", "No consent can be found for this customer and this usage point."),
    (500, "ADAM-DC-0500", "Technical Exception"),
    (500, "STM-ERR-0000001", ""),
    (404, "STM-ERR-0000019", "Unknown or unauthorized user."),
    (400, "Invalid_request", "usage_point_id parameter is required."),
    (400, "Invalid_request", "usage_point_id parameter must be 14 digits long."),
    (429, "Quota Q3 reached", "Call threshold allowed on X:XX:XX"),
    (429, "Quota Q4 reached", "Call threshold allowed on X:XX:XX"),
    (
        403,
        "ADAM-DC-0009",
        "The start date of the request must be greater than the consent start date.",
    ),
    (
        400,
        "ADAM-DC-0015",
        "The requested period must be less than 7 days for an access to the load curve.",
    ),
    (400, "ADAM-DC-0016", "The start date must be greater than the history deadline."),
    (400, "ADAM-ERR0125", "The start date must be greater than the history deadline."),
    (400, "invalid_request", "Start date parameter is required."),
    (400, "invalid_request", "start date parameter must be in the format yyyy-mm-dd."),
    (400, "invalid_request", "end date parameter must be in the format yyyy-mm-dd."),
    (400, "invalid_request", "End date parameter is required."),
    (400, "invalid_request", "The end date parameter must be earlier than the current date."),
    (400, "invalid_request", "Start date should be before end date."),
    (400, "ADAM-ERR0069", "Le sens de la mesure ne correspond pas pour le PRM demandé."),
    (404, "STM-ERR-0000014", ""),
    (404, "STM-ERR-0000020", "no measure found for this usage point"),
    (404, "no_data_found", "no measure found for this usage point"),
]


def test_data_errors_are_exactly_those_of_errors_json() -> None:
    data = [(e.status, e.code, e.message) for e in errors.CATALOGUE if e.api == "data"]
    assert data == ERRORS_JSON_DATA
