-- Accounts, sign-in state, sessions and organization membership.
-- Secrets are never stored in the clear: passwords as argon2id PHC strings, one-time
-- tokens, refresh tokens and OTP codes as SHA-256/HMAC digests.

CREATE TABLE users (
    id                BLOB PRIMARY KEY NOT NULL CHECK (length(id) = 16),
    email             TEXT UNIQUE,
    email_verified_at INTEGER,
    phone             TEXT UNIQUE,
    phone_verified_at INTEGER,
    password_hash     TEXT,
    display_name      TEXT NOT NULL DEFAULT '',
    lang              TEXT NOT NULL DEFAULT 'ar' CHECK (lang IN ('ar', 'en')),
    is_admin          INTEGER NOT NULL DEFAULT 0 CHECK (is_admin IN (0, 1)),
    signup_method     TEXT NOT NULL CHECK (signup_method IN ('email', 'phone', 'oidc', 'admin')),
    created_at        INTEGER NOT NULL,
    CHECK (email IS NOT NULL OR phone IS NOT NULL)
) STRICT;

-- Accounts at OpenID Connect providers linked to a user.
CREATE TABLE user_identities (
    provider   TEXT NOT NULL,
    subject    TEXT NOT NULL,
    user_id    BLOB NOT NULL REFERENCES users (id),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (provider, subject)
) STRICT, WITHOUT ROWID;

-- Email verification and password reset links.
CREATE TABLE one_time_tokens (
    token_hash BLOB PRIMARY KEY NOT NULL,
    user_id    BLOB NOT NULL REFERENCES users (id),
    purpose    TEXT NOT NULL CHECK (purpose IN ('verify_email', 'reset_password')),
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
) STRICT, WITHOUT ROWID;

-- Opaque refresh tokens, rotated on every use; a family shares one sign-in.
CREATE TABLE refresh_tokens (
    token_hash BLOB PRIMARY KEY NOT NULL,
    family_id  BLOB NOT NULL,
    user_id    BLOB NOT NULL REFERENCES users (id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER,
    revoked_at INTEGER
) STRICT, WITHOUT ROWID;

CREATE INDEX refresh_tokens_by_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_by_user ON refresh_tokens (user_id);

CREATE TABLE organization_members (
    organization_id BLOB NOT NULL REFERENCES organizations (id),
    user_id         BLOB NOT NULL REFERENCES users (id),
    role            TEXT NOT NULL CHECK (role IN ('owner', 'manager', 'door_staff', 'analyst')),
    added_at        INTEGER NOT NULL,
    PRIMARY KEY (organization_id, user_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX organization_members_by_user ON organization_members (user_id);

CREATE TABLE organization_invites (
    id              BLOB PRIMARY KEY NOT NULL CHECK (length(id) = 16),
    organization_id BLOB NOT NULL REFERENCES organizations (id),
    email           TEXT,
    phone           TEXT,
    role            TEXT NOT NULL CHECK (role IN ('manager', 'door_staff', 'analyst')),
    invited_by      BLOB NOT NULL REFERENCES users (id),
    created_at      INTEGER NOT NULL,
    accepted_at     INTEGER,
    CHECK (email IS NOT NULL OR phone IS NOT NULL)
) STRICT;

CREATE INDEX organization_invites_by_email ON organization_invites (email);
CREATE INDEX organization_invites_by_phone ON organization_invites (phone);
