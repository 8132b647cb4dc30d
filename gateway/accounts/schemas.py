"""Request and response bodies of the management surface, as marshmallow schemas.

Requests are validated with these (``http.load_json``); responses are documented with them
(the OpenAPI document is generated from the same classes).
"""

from __future__ import annotations

from typing import Any

from marshmallow import INCLUDE, RAISE, Schema, fields, pre_load, validate

PASSWORD_MIN = 12
PASSWORD_MAX = 1024
EMAIL_MAX = 254
NAME_MAX = 100


class _Strict(Schema):
    class Meta:
        unknown = RAISE


def _strip_email(data: Any) -> Any:
    if isinstance(data, dict) and isinstance(data.get("email"), str):
        return {**data, "email": data["email"].strip()}
    return data


class SignupRequest(_Strict):
    email = fields.Email(required=True, validate=validate.Length(max=EMAIL_MAX))
    password = fields.String(
        required=True,
        validate=validate.Length(
            min=PASSWORD_MIN,
            max=PASSWORD_MAX,
            error=f"The password must be {PASSWORD_MIN} to {PASSWORD_MAX} characters long.",
        ),
    )

    @pre_load
    def strip(self, data: Any, **_: Any) -> Any:
        return _strip_email(data)


class PasswordRequest(_Strict):
    """Confirms a sensitive action with the password. Without Authorization, ``email`` says
    which account (so a lost client_secret can be shown again or rotated)."""

    password = fields.String(required=True, validate=validate.Length(min=1, max=PASSWORD_MAX))
    email = fields.Email(load_default=None, validate=validate.Length(max=EMAIL_MAX))

    @pre_load
    def strip(self, data: Any, **_: Any) -> Any:
        return _strip_email(data)


class RenameRequest(_Strict):
    name = fields.String(required=True, allow_none=True, validate=validate.Length(max=NAME_MAX))


class _Form(Schema):
    """Form fields (documentation only: the token routes read them as Enedis does, and
    ignore the fields they do not know)."""

    class Meta:
        unknown = INCLUDE


class TokenRequest(_Form):
    """Form fields of ``POST /oauth2/v3/token`` (or HTTP Basic for the client)."""

    grant_type = fields.String(required=True, metadata={"enum": ["client_credentials"]})
    client_id = fields.String(
        metadata={"description": "The account's client_id (unless sent as HTTP Basic)."}
    )
    client_secret = fields.String(
        metadata={"description": "The account's client_secret (unless sent as HTTP Basic)."}
    )


class RevokeRequest(_Form):
    token = fields.String(required=True, metadata={"description": "The access token to revoke."})
    token_type_hint = fields.String(metadata={"example": "access_token"})


class CredentialsResponse(Schema):
    client_id = fields.String(required=True)
    client_secret = fields.String(required=True)


class TokenResponse(Schema):
    access_token = fields.String(required=True)
    token_type = fields.String(required=True, metadata={"enum": ["Bearer"]})
    expires_in = fields.Integer(required=True)
    scope = fields.String(required=True)


class AccountResponse(Schema):
    account_id = fields.UUID(required=True)
    client_id = fields.String(required=True)
    email = fields.Email(required=True)
    created_at = fields.AwareDateTime(required=True)
    usage_points = fields.Integer(required=True)
    is_admin = fields.Boolean(required=True)
    email_verified_at = fields.AwareDateTime(
        required=True,
        allow_none=True,
        metadata={
            "description": "When the address was checked (the e-mailed link); null: not yet."
        },
    )


class HistoryResponse(Schema):
    status = fields.String(
        required=True, metadata={"enum": ["pending", "running", "complete", "failed"]}
    )
    progress = fields.Float(
        required=True, metadata={"description": "Share of the import's calls done, 0.0-1.0."}
    )
    days_cached = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        required=True,
        metadata={"description": "Days with data imported so far, per dataset."},
    )
    updated_at = fields.AwareDateTime(required=True)


class UsagePointResponse(Schema):
    usage_point_id = fields.String(required=True)
    name = fields.String(allow_none=True)
    consent_start = fields.AwareDateTime(required=True)
    consent_expires_at = fields.AwareDateTime(required=True)
    status = fields.String(required=True, metadata={"enum": ["active", "expired", "revoked"]})
    history = fields.Nested(
        HistoryResponse,
        allow_none=True,
        metadata={
            "description": "The import of the point's whole history into the cache, started "
            "by its consent (null: none was started)."
        },
    )


class UsagePointListResponse(Schema):
    usage_points = fields.List(fields.Nested(UsagePointResponse), required=True)


class AuthorizeUrlResponse(Schema):
    url = fields.Url(required=True)


class ConsentResultResponse(Schema):
    usage_points = fields.List(fields.String(), required=True)
    new = fields.Integer(required=True)
    existing = fields.Integer(required=True)


class UsageCountersResponse(Schema):
    upstream = fields.Integer(required=True)
    cached = fields.Integer(required=True)


class AdminAccountResponse(Schema):
    account_id = fields.UUID(required=True)
    client_id = fields.String(required=True)
    email = fields.Email(required=True)
    created_at = fields.AwareDateTime(required=True)
    usage_points = fields.Integer(required=True)
    usage_today = fields.Nested(UsageCountersResponse, required=True)


class AdminAccountListResponse(Schema):
    accounts = fields.List(fields.Nested(AdminAccountResponse), required=True)
    total = fields.Integer(required=True)
    limit = fields.Integer(required=True)
    offset = fields.Integer(required=True)


class AdminListQuery(_Strict):
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=2**31 - 1))


class AdminActionResponse(Schema):
    account_id = fields.UUID(required=True)
    deleted_keys = fields.Integer(required=True)
