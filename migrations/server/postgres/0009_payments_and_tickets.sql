-- What paying produces: tickets (one row per admission, numbered within its event for the
-- compact credential), refunds, revocations, and the CliQ alias organizations are paid to.
--
-- Same schema version as ../sqlite/0009_payments_and_tickets.sql.

-- The compact number a credential uses for an event (`Claims::event_ref`), given at its
-- first ticket, and the next ticket serial within the event.
ALTER TABLE events ADD COLUMN credential_ref BIGINT UNIQUE;
ALTER TABLE events ADD COLUMN next_serial INTEGER NOT NULL DEFAULT 1;

-- A retried "pay" with the same Idempotency-Key gives back the same attempt and its page.
ALTER TABLE payments ADD COLUMN idempotency_key TEXT;
ALTER TABLE payments ADD COLUMN redirect_url TEXT;
CREATE UNIQUE INDEX payments_by_idempotency_key ON payments (order_id, idempotency_key);

-- Named counters (`event_ref`), taken inside the writing transaction.
CREATE TABLE counters (
    name  TEXT PRIMARY KEY NOT NULL,
    value BIGINT NOT NULL
);
INSERT INTO counters (name, value) VALUES ('event_ref', 0);

-- Where buyers send CliQ transfers for this organization's orders (an alias such as
-- SAHRALIVE, or a mobile number); NULL: the organization does not take CliQ.
ALTER TABLE organizations ADD COLUMN cliq_alias TEXT;

CREATE TABLE tickets (
    id             UUID PRIMARY KEY,
    order_id       UUID NOT NULL REFERENCES orders (id),
    event_id       UUID NOT NULL REFERENCES events (id),
    ticket_type_id UUID NOT NULL REFERENCES ticket_types (id),
    serial         INTEGER NOT NULL CHECK (serial > 0),
    holder_id      UUID NOT NULL REFERENCES users (id),
    status         TEXT NOT NULL CHECK (status IN ('valid', 'revoked')),
    issued_at      TIMESTAMPTZ NOT NULL,
    UNIQUE (event_id, serial)
);

CREATE INDEX tickets_by_order ON tickets (order_id);
CREATE INDEX tickets_by_holder ON tickets (holder_id, issued_at);

-- Money given back, through the provider of the payment (or by hand for CliQ).
CREATE TABLE refunds (
    id           UUID PRIMARY KEY,
    order_id     UUID NOT NULL REFERENCES orders (id),
    payment_id   UUID REFERENCES payments (id),
    amount_minor BIGINT NOT NULL CHECK (amount_minor > 0),
    currency     TEXT NOT NULL,
    reason       TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('pending', 'done', 'failed')),
    provider_ref TEXT,
    actor_kind   TEXT NOT NULL,
    actor_id     UUID,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);

CREATE INDEX refunds_by_order ON refunds (order_id);

-- Why a ticket stopped being valid: door lists carry these.
CREATE TABLE revocations (
    id         UUID PRIMARY KEY,
    ticket_id  UUID NOT NULL REFERENCES tickets (id),
    reason     TEXT NOT NULL CHECK (reason IN ('refunded', 'cancelled', 'transferred')),
    note       TEXT,
    actor_kind TEXT NOT NULL,
    actor_id   UUID,
    refund_id  UUID REFERENCES refunds (id),  -- the refund that revoked it, if one did
    at         TIMESTAMPTZ NOT NULL
);

CREATE INDEX revocations_by_ticket ON revocations (ticket_id);
