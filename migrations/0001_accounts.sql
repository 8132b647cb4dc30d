-- Accounts, usage points with their consent, and the audit of consent callbacks.

CREATE TABLE accounts (
    id              uuid PRIMARY KEY,
    client_id       text NOT NULL UNIQUE,
    email           text NOT NULL,
    email_key       text NOT NULL UNIQUE,            -- lower-cased email, unique case-insensitively
    password_hash   text NOT NULL,                   -- argon2id
    secret_digest   bytea NOT NULL UNIQUE,           -- HMAC-SHA256(server key, client_secret): O(1) lookup
    secret_sealed   bytea NOT NULL,                  -- client_secret sealed under a key derived from the password
    token_version   integer NOT NULL DEFAULT 1,      -- bumped to revoke every access token
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE usage_points (
    account_id          uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    usage_point_id      text NOT NULL CHECK (usage_point_id ~ '^[0-9]{14}$'),
    name                text,
    consent_start       timestamptz NOT NULL,
    consent_expires_at  timestamptz NOT NULL,
    consent_status      text NOT NULL DEFAULT 'active'
                        CHECK (consent_status IN ('active', 'revoked', 'expired')),
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, usage_point_id)
);

CREATE TABLE consent_audit (
    id                  bigserial PRIMARY KEY,
    account_id          uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    outcome             text NOT NULL,               -- granted, refused, error, invalid_state
    usage_point_count   integer NOT NULL DEFAULT 0,
    detail              text,
    created_at          timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX consent_audit_account ON consent_audit (account_id, created_at);
