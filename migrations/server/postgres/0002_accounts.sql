-- Accounts, sign-in state, sessions and organization membership.
-- Same schema version as ../sqlite/0002_accounts.sql, in PostgreSQL's types.

CREATE TABLE users (
    id                UUID PRIMARY KEY,
    email             TEXT UNIQUE,
    email_verified_at TIMESTAMPTZ,
    phone             TEXT UNIQUE,
    phone_verified_at TIMESTAMPTZ,
    password_hash     TEXT,
    display_name      TEXT NOT NULL DEFAULT '',
    lang              TEXT NOT NULL DEFAULT 'ar' CHECK (lang IN ('ar', 'en')),
    is_admin          BOOLEAN NOT NULL DEFAULT FALSE,
    signup_method     TEXT NOT NULL CHECK (signup_method IN ('email', 'phone', 'oidc', 'admin')),
    created_at        TIMESTAMPTZ NOT NULL,
    CHECK (email IS NOT NULL OR phone IS NOT NULL)
);

CREATE TABLE user_identities (
    provider   TEXT NOT NULL,
    subject    TEXT NOT NULL,
    user_id    UUID NOT NULL REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (provider, subject)
);

CREATE TABLE one_time_tokens (
    token_hash BYTEA PRIMARY KEY,
    user_id    UUID NOT NULL REFERENCES users (id),
    purpose    TEXT NOT NULL CHECK (purpose IN ('verify_email', 'reset_password')),
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ
);

CREATE TABLE refresh_tokens (
    token_hash BYTEA PRIMARY KEY,
    family_id  UUID NOT NULL,
    user_id    UUID NOT NULL REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ,
    revoked_at TIMESTAMPTZ
);

CREATE INDEX refresh_tokens_by_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_by_user ON refresh_tokens (user_id);

CREATE TABLE organization_members (
    organization_id UUID NOT NULL REFERENCES organizations (id),
    user_id         UUID NOT NULL REFERENCES users (id),
    role            TEXT NOT NULL CHECK (role IN ('owner', 'manager', 'door_staff', 'analyst')),
    added_at        TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (organization_id, user_id)
);

CREATE INDEX organization_members_by_user ON organization_members (user_id);

CREATE TABLE organization_invites (
    id              UUID PRIMARY KEY,
    organization_id UUID NOT NULL REFERENCES organizations (id),
    email           TEXT,
    phone           TEXT,
    role            TEXT NOT NULL CHECK (role IN ('manager', 'door_staff', 'analyst')),
    invited_by      UUID NOT NULL REFERENCES users (id),
    created_at      TIMESTAMPTZ NOT NULL,
    accepted_at     TIMESTAMPTZ,
    CHECK (email IS NOT NULL OR phone IS NOT NULL)
);

CREATE INDEX organization_invites_by_email ON organization_invites (email);
CREATE INDEX organization_invites_by_phone ON organization_invites (phone);
