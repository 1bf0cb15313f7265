-- The Ed25519 keys that sign ticket credentials, per event. Each secret is stored only
-- sealed under the server's master key (XChaCha20-Poly1305, see issuance::vault): never in
-- clear. An event has at most one active key (retired_at IS NULL), enforced here so two
-- writers creating an event's first key at once cannot both win; retired keys stay for
-- verifying the tickets they signed.

-- The one counter key ids come from: server-wide, increasing, never reused.
CREATE TABLE signing_key_ids (
    only_row INTEGER PRIMARY KEY NOT NULL CHECK (only_row = 1),
    last_id  INTEGER NOT NULL CHECK (last_id BETWEEN 0 AND 4294967295)
) STRICT;

INSERT INTO signing_key_ids (only_row, last_id) VALUES (1, 0);

CREATE TABLE signing_keys (
    key_id        INTEGER PRIMARY KEY NOT NULL CHECK (key_id BETWEEN 1 AND 4294967295),
    event_id      BLOB NOT NULL REFERENCES events (id) CHECK (length(event_id) = 16),
    public_key    BLOB NOT NULL CHECK (length(public_key) = 32),
    sealed_secret BLOB NOT NULL CHECK (length(sealed_secret) > 0),
    created_at    INTEGER NOT NULL,
    retired_at    INTEGER
) STRICT;

CREATE UNIQUE INDEX signing_keys_one_active_per_event ON signing_keys (event_id)
    WHERE retired_at IS NULL;

CREATE INDEX signing_keys_by_event ON signing_keys (event_id, key_id);
