-- The Ed25519 keys that sign ticket credentials, per event.
-- Same schema version as ../sqlite/0010_signing_keys.sql, in PostgreSQL's types. Each
-- secret is stored only sealed under the server's master key (XChaCha20-Poly1305, see
-- issuance::vault): never in clear. An event has at most one active key (retired_at IS
-- NULL), enforced here so two instances creating an event's first key at once cannot both
-- win; retired keys stay for verifying the tickets they signed.

-- Key ids: server-wide, increasing, never reused (a sequence never hands a value out twice,
-- even to transactions that roll back).
CREATE SEQUENCE signing_key_ids AS BIGINT MINVALUE 1 MAXVALUE 4294967295 NO CYCLE;

CREATE TABLE signing_keys (
    key_id        BIGINT PRIMARY KEY CHECK (key_id BETWEEN 1 AND 4294967295),
    event_id      UUID NOT NULL REFERENCES events (id),
    public_key    BYTEA NOT NULL CHECK (length(public_key) = 32),
    sealed_secret BYTEA NOT NULL CHECK (length(sealed_secret) > 0),
    created_at    TIMESTAMPTZ NOT NULL,
    retired_at    TIMESTAMPTZ
);

CREATE UNIQUE INDEX signing_keys_one_active_per_event ON signing_keys (event_id)
    WHERE retired_at IS NULL;

CREATE INDEX signing_keys_by_event ON signing_keys (event_id, key_id);
