-- What paying produces: tickets (one row per admission, numbered within its event for the
-- compact credential), refunds, revocations, and the CliQ alias organizations are paid to.

-- The compact number a credential uses for an event (`Claims::event_ref`), given at its
-- first ticket, and the next ticket serial within the event.
ALTER TABLE events ADD COLUMN credential_ref INTEGER;
CREATE UNIQUE INDEX events_by_credential_ref ON events (credential_ref);
ALTER TABLE events ADD COLUMN next_serial INTEGER NOT NULL DEFAULT 1;

-- A retried "pay" with the same Idempotency-Key gives back the same attempt and its page.
ALTER TABLE payments ADD COLUMN idempotency_key TEXT;
ALTER TABLE payments ADD COLUMN redirect_url TEXT;
CREATE UNIQUE INDEX payments_by_idempotency_key ON payments (order_id, idempotency_key);

-- Named counters (`event_ref`), taken inside the writing transaction.
CREATE TABLE counters (
    name  TEXT PRIMARY KEY NOT NULL,
    value INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
INSERT INTO counters (name, value) VALUES ('event_ref', 0);

-- Where buyers send CliQ transfers for this organization's orders (an alias such as
-- SAHRALIVE, or a mobile number); NULL: the organization does not take CliQ.
ALTER TABLE organizations ADD COLUMN cliq_alias TEXT;

CREATE TABLE tickets (
    id             BLOB PRIMARY KEY NOT NULL CHECK (length(id) = 16),
    order_id       BLOB NOT NULL REFERENCES orders (id),
    event_id       BLOB NOT NULL REFERENCES events (id),
    ticket_type_id BLOB NOT NULL REFERENCES ticket_types (id),
    serial         INTEGER NOT NULL CHECK (serial > 0),
    holder_id      BLOB NOT NULL REFERENCES users (id),
    status         TEXT NOT NULL CHECK (status IN ('valid', 'revoked')),
    issued_at      INTEGER NOT NULL,
    UNIQUE (event_id, serial)
) STRICT;

CREATE INDEX tickets_by_order ON tickets (order_id);
CREATE INDEX tickets_by_holder ON tickets (holder_id, issued_at);

-- Money given back, through the provider of the payment (or by hand for CliQ).
CREATE TABLE refunds (
    id           BLOB PRIMARY KEY NOT NULL CHECK (length(id) = 16),
    order_id     BLOB NOT NULL REFERENCES orders (id),
    payment_id   BLOB REFERENCES payments (id),
    amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
    currency     TEXT NOT NULL,
    reason       TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('pending', 'done', 'failed')),
    provider_ref TEXT,
    actor_kind   TEXT NOT NULL,
    actor_id     BLOB,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
) STRICT;

CREATE INDEX refunds_by_order ON refunds (order_id);

-- Why a ticket stopped being valid: door lists carry these.
CREATE TABLE revocations (
    id         BLOB PRIMARY KEY NOT NULL CHECK (length(id) = 16),
    ticket_id  BLOB NOT NULL REFERENCES tickets (id),
    reason     TEXT NOT NULL CHECK (reason IN ('refunded', 'cancelled', 'transferred')),
    note       TEXT,
    actor_kind TEXT NOT NULL,
    actor_id   BLOB,
    refund_id  BLOB REFERENCES refunds (id),  -- the refund that revoked it, if one did
    at         INTEGER NOT NULL
) STRICT;

CREATE INDEX revocations_by_ticket ON revocations (ticket_id);
