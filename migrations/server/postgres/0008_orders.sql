-- Orders: reservations with an expiry, their lines, every status change, and payments.
--
-- Capacity is counted, not summed: `ticket_types.held` and `events.held` are the tickets
-- reserved by live orders plus those sold. A reservation raises them in the same
-- transaction that checks them against the capacity, so no two buyers can take the last
-- seat; an expired or cancelled order lowers them again.
--
-- Same schema version as ../sqlite/0008_orders.sql.

ALTER TABLE ticket_types ADD COLUMN held INTEGER NOT NULL DEFAULT 0 CHECK (held >= 0);
ALTER TABLE events ADD COLUMN capacity INTEGER CHECK (capacity > 0);  -- NULL: the ticket types' sum
ALTER TABLE events ADD COLUMN held INTEGER NOT NULL DEFAULT 0 CHECK (held >= 0);

CREATE TABLE orders (
    id              UUID PRIMARY KEY,
    reference       TEXT NOT NULL UNIQUE,          -- short and human: told over the phone, typed in a CliQ transfer
    buyer_id        UUID NOT NULL REFERENCES users (id),
    event_id        UUID NOT NULL REFERENCES events (id),
    status          TEXT NOT NULL CHECK (status IN ('reserved', 'awaiting_payment', 'paid',
                        'partly_refunded', 'refunded', 'cancelled', 'expired')),
    total_minor     BIGINT NOT NULL CHECK (total_minor >= 0),
    currency        TEXT NOT NULL,
    payment_method  TEXT,                          -- NULL until checkout: free, sandbox, paytabs, cliq
    expires_at      TIMESTAMPTZ NOT NULL,          -- when an unpaid order lets its tickets go
    lang            TEXT NOT NULL,
    idempotency_key TEXT,                          -- the buyer's, for a retried creation
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    UNIQUE (buyer_id, idempotency_key)
);

CREATE INDEX orders_by_buyer ON orders (buyer_id, created_at);
CREATE INDEX orders_by_event ON orders (event_id, status);
-- The expiry sweep reads only the orders still holding unpaid tickets.
CREATE INDEX orders_expiring ON orders (expires_at) WHERE status IN ('reserved', 'awaiting_payment');

CREATE TABLE order_lines (
    order_id         UUID NOT NULL REFERENCES orders (id),
    ticket_type_id   UUID NOT NULL REFERENCES ticket_types (id),
    quantity         INTEGER NOT NULL CHECK (quantity > 0),
    unit_price_minor BIGINT NOT NULL CHECK (unit_price_minor >= 0),
    PRIMARY KEY (order_id, ticket_type_id)
);

-- Every status change of an order: when, from what, by whom (a user, or the system or a
-- payment provider when `actor_id` is NULL), and why.
CREATE TABLE order_transitions (
    id          UUID PRIMARY KEY,
    order_id    UUID NOT NULL REFERENCES orders (id),
    from_status TEXT,                              -- NULL: the order's creation
    to_status   TEXT NOT NULL,
    actor_kind  TEXT NOT NULL CHECK (actor_kind IN ('buyer', 'organizer', 'admin', 'provider', 'system')),
    actor_id    UUID,
    reason      TEXT,
    at          TIMESTAMPTZ NOT NULL
);

CREATE INDEX order_transitions_by_order ON order_transitions (order_id, at);

-- One row per attempt to pay an order at a provider.
CREATE TABLE payments (
    id           UUID PRIMARY KEY,
    order_id     UUID NOT NULL REFERENCES orders (id),
    provider     TEXT NOT NULL,
    provider_ref TEXT,                             -- NULL until the provider answered
    amount_minor BIGINT NOT NULL CHECK (amount_minor >= 0),
    currency     TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('pending', 'paid', 'declined', 'cancelled')),
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    UNIQUE (provider, provider_ref)
);

CREATE INDEX payments_by_order ON payments (order_id);
CREATE INDEX payments_pending ON payments (created_at) WHERE status = 'pending';

-- Notifications already acted on: the same notification sent ten times acts once.
CREATE TABLE payment_notifications (
    dedupe_key  TEXT PRIMARY KEY NOT NULL,
    payment_id  UUID NOT NULL REFERENCES payments (id),
    received_at TIMESTAMPTZ NOT NULL
);
