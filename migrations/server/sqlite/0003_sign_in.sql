-- State of sign-ins in progress: SMS one-time codes and OpenID Connect logins.

-- One live challenge per phone number. The code is kept only as an HMAC.
CREATE TABLE otp_challenges (
    phone      TEXT PRIMARY KEY NOT NULL,
    code_hash  BLOB NOT NULL CHECK (length(code_hash) = 32),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    -- Send times within the last hour, as a JSON array of Unix seconds.
    sends      TEXT NOT NULL DEFAULT '[]'
) STRICT, WITHOUT ROWID;

-- OpenID Connect logins between the redirect to the provider and its callback, keyed by
-- the SHA-256 of the `state` parameter. Short-lived; taken (deleted) on use.
CREATE TABLE oidc_pending (
    state_hash    BLOB PRIMARY KEY NOT NULL CHECK (length(state_hash) = 32),
    provider      TEXT NOT NULL,
    nonce         TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    created_at    INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
