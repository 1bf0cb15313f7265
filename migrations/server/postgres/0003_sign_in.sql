-- State of sign-ins in progress: SMS one-time codes and OpenID Connect logins.
-- Same schema version as ../sqlite/0003_sign_in.sql, in PostgreSQL's types.

CREATE TABLE otp_challenges (
    phone      TEXT PRIMARY KEY,
    code_hash  BYTEA NOT NULL CHECK (length(code_hash) = 32),
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    sends      JSONB NOT NULL DEFAULT '[]'
);

CREATE TABLE oidc_pending (
    state_hash    BYTEA PRIMARY KEY CHECK (length(state_hash) = 32),
    provider      TEXT NOT NULL,
    nonce         TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);
