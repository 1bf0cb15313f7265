-- Analytics: hourly aggregates kept by triggers in the transaction of each write, so an
-- organizer's dashboard reads a few hundred small rows instead of every ticket and scan.
-- Hours are the UTC hour's start; days in the event's zone are summed from them when read.
-- Nothing here names a person.
--
-- Locks: every row is per (event, hour, …); no platform-wide or per-event counter row
-- exists. The sales and funnel triggers take the event's row (FOR NO KEY UPDATE, which
-- door scans' foreign-key checks do not wait for) before their own rows, so every writer
-- takes the event first, as reservations and ticket issuing already do, and two writers
-- can never hold each other's rows in a cycle. Check-in rows are per device, and one push
-- of a device runs at a time, so doors never wait on each other for them. Admissions are
-- one row per ticket: only two doors admitting the same tickets at once wait on each
-- other there (a double admission, which the conflicts of 0011 report anyway).

-- Sales by hour, ticket type and payment method. `sold`/`revenue_minor`: tickets and
-- money of orders that became paid in that hour; `refunded`: tickets revoked by a refund
-- or a cancellation; `refund_minor`: money given back (refunds are per order, so their
-- money is kept under the nil ticket type). `payment_method` is '' when none was recorded.
CREATE TABLE analytics_sales_hourly (
    event_id       UUID NOT NULL,
    hour_utc       TIMESTAMPTZ NOT NULL,
    ticket_type_id UUID NOT NULL,
    payment_method TEXT NOT NULL,
    sold           BIGINT NOT NULL DEFAULT 0,
    revenue_minor  BIGINT NOT NULL DEFAULT 0,
    refunded       BIGINT NOT NULL DEFAULT 0,
    refund_minor   BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (event_id, hour_utc, ticket_type_id, payment_method)
);

-- Door scans that let someone in or out, by the hour the device made them, gate,
-- direction and device. Refused scans are not counted.
CREATE TABLE analytics_checkins_hourly (
    event_id  UUID NOT NULL,
    hour_utc  TIMESTAMPTZ NOT NULL,
    gate      TEXT NOT NULL,
    direction TEXT NOT NULL,
    device_id UUID NOT NULL,
    scans     BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (event_id, hour_utc, gate, direction, device_id)
);

-- Tickets admitted at least once, and whether the ticket is still valid: the no-show rate
-- counts valid tickets without a row here.
CREATE TABLE analytics_admissions (
    event_id      UUID NOT NULL,
    ticket_serial INTEGER NOT NULL,
    valid         BOOLEAN NOT NULL,
    PRIMARY KEY (event_id, ticket_serial)
);

CREATE INDEX analytics_admissions_valid ON analytics_admissions (event_id, valid);

-- The discovery funnel by hour: views of the public event page (counted in memory and
-- added in batches, no visitor data), orders created (checkout started) and orders paid.
CREATE TABLE analytics_funnel_hourly (
    event_id  UUID NOT NULL,
    hour_utc  TIMESTAMPTZ NOT NULL,
    views     BIGINT NOT NULL DEFAULT 0,
    checkouts BIGINT NOT NULL DEFAULT 0,
    paid      BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (event_id, hour_utc)
);

-- The start of the UTC hour of `at`, whatever the session's time zone.
CREATE FUNCTION analytics_hour(at TIMESTAMPTZ) RETURNS TIMESTAMPTZ LANGUAGE sql IMMUTABLE AS $$
    SELECT to_timestamp(floor(extract(epoch FROM at) / 3600) * 3600)
$$;

-- The event's row, locked before any analytics row (see the top of this file).
CREATE FUNCTION analytics_lock_event(p_event UUID) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM events WHERE id = p_event FOR NO KEY UPDATE;
END $$;

CREATE FUNCTION analytics_orders() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' OR (NEW.status = 'paid' AND OLD.status IN ('reserved', 'awaiting_payment')) THEN
        PERFORM analytics_lock_event(NEW.event_id);
    END IF;
    IF TG_OP = 'INSERT' THEN
        INSERT INTO analytics_funnel_hourly AS f (event_id, hour_utc, checkouts)
        VALUES (NEW.event_id, analytics_hour(NEW.created_at), 1)
        ON CONFLICT (event_id, hour_utc) DO UPDATE SET checkouts = f.checkouts + 1;
    -- Only the unpaid → paid step counts: later refunds change the status but not the sale.
    ELSIF NEW.status = 'paid' AND OLD.status IN ('reserved', 'awaiting_payment') THEN
        INSERT INTO analytics_sales_hourly AS s
            (event_id, hour_utc, ticket_type_id, payment_method, sold, revenue_minor)
        SELECT NEW.event_id, analytics_hour(NEW.updated_at), l.ticket_type_id,
               coalesce(NEW.payment_method, ''), l.quantity, l.quantity * l.unit_price_minor
        FROM order_lines l WHERE l.order_id = NEW.id
        ORDER BY l.ticket_type_id
        ON CONFLICT (event_id, hour_utc, ticket_type_id, payment_method) DO UPDATE
            SET sold = s.sold + excluded.sold,
                revenue_minor = s.revenue_minor + excluded.revenue_minor;
        INSERT INTO analytics_funnel_hourly AS f (event_id, hour_utc, paid)
        VALUES (NEW.event_id, analytics_hour(NEW.updated_at), 1)
        ON CONFLICT (event_id, hour_utc) DO UPDATE SET paid = f.paid + 1;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER analytics_orders_insert AFTER INSERT ON orders
    FOR EACH ROW EXECUTE FUNCTION analytics_orders();
CREATE TRIGGER analytics_orders_update AFTER UPDATE OF status ON orders
    FOR EACH ROW EXECUTE FUNCTION analytics_orders();

-- A transfer revokes too, but the seat stays sold: only refunds and cancellations count.
CREATE FUNCTION analytics_revocations() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.reason IN ('refunded', 'cancelled') THEN
        PERFORM analytics_lock_event(t.event_id) FROM tickets t WHERE t.id = NEW.ticket_id;
        INSERT INTO analytics_sales_hourly AS s
            (event_id, hour_utc, ticket_type_id, payment_method, refunded)
        SELECT t.event_id, analytics_hour(NEW.at), t.ticket_type_id,
               coalesce(o.payment_method, ''), 1
        FROM tickets t JOIN orders o ON o.id = t.order_id WHERE t.id = NEW.ticket_id
        ON CONFLICT (event_id, hour_utc, ticket_type_id, payment_method) DO UPDATE
            SET refunded = s.refunded + 1;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER analytics_revocations_insert AFTER INSERT ON revocations
    FOR EACH ROW EXECUTE FUNCTION analytics_revocations();

CREATE FUNCTION analytics_refunds() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'done' AND (TG_OP = 'INSERT' OR OLD.status <> 'done') THEN
        PERFORM analytics_lock_event(o.event_id) FROM orders o WHERE o.id = NEW.order_id;
        INSERT INTO analytics_sales_hourly AS s
            (event_id, hour_utc, ticket_type_id, payment_method, refund_minor)
        SELECT o.event_id, analytics_hour(NEW.updated_at),
               '00000000-0000-0000-0000-000000000000', coalesce(o.payment_method, ''),
               NEW.amount_minor
        FROM orders o WHERE o.id = NEW.order_id
        ON CONFLICT (event_id, hour_utc, ticket_type_id, payment_method) DO UPDATE
            SET refund_minor = s.refund_minor + excluded.refund_minor;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER analytics_refunds_insert AFTER INSERT ON refunds
    FOR EACH ROW EXECUTE FUNCTION analytics_refunds();
CREATE TRIGGER analytics_refunds_update AFTER UPDATE OF status ON refunds
    FOR EACH ROW EXECUTE FUNCTION analytics_refunds();

-- A scan is stored once (`ON CONFLICT (device_id, seq) DO NOTHING`), so it counts once.
CREATE FUNCTION analytics_door_scans() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.effect IN ('entered', 'exited') THEN
        INSERT INTO analytics_checkins_hourly AS c
            (event_id, hour_utc, gate, direction, device_id, scans)
        VALUES (NEW.event_id, analytics_hour(to_timestamp(NEW.device_time_ms / 1000)),
                NEW.gate, NEW.direction, NEW.device_id, 1)
        ON CONFLICT (event_id, hour_utc, gate, direction, device_id)
            DO UPDATE SET scans = c.scans + 1;
    END IF;
    IF NEW.effect = 'entered' AND NEW.ticket_serial IS NOT NULL THEN
        INSERT INTO analytics_admissions (event_id, ticket_serial, valid)
        VALUES (NEW.event_id, NEW.ticket_serial,
                coalesce((SELECT status = 'valid' FROM tickets
                          WHERE event_id = NEW.event_id AND serial = NEW.ticket_serial), false))
        ON CONFLICT (event_id, ticket_serial) DO NOTHING;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER analytics_door_scans_insert AFTER INSERT ON door_scans
    FOR EACH ROW EXECUTE FUNCTION analytics_door_scans();

CREATE FUNCTION analytics_tickets() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE analytics_admissions SET valid = (NEW.status = 'valid')
    WHERE event_id = NEW.event_id AND ticket_serial = NEW.serial;
    RETURN NULL;
END $$;

CREATE TRIGGER analytics_tickets_status AFTER UPDATE OF status ON tickets
    FOR EACH ROW EXECUTE FUNCTION analytics_tickets();

-- What existed before: the same figures from the rows themselves.
INSERT INTO analytics_sales_hourly
    (event_id, hour_utc, ticket_type_id, payment_method, sold, revenue_minor)
SELECT o.event_id, analytics_hour(tr.at), l.ticket_type_id, coalesce(o.payment_method, ''),
       sum(l.quantity), sum(l.quantity * l.unit_price_minor)
FROM orders o
JOIN order_transitions tr ON tr.order_id = o.id AND tr.to_status = 'paid'
    AND tr.from_status IN ('reserved', 'awaiting_payment')
JOIN order_lines l ON l.order_id = o.id
GROUP BY 1, 2, 3, 4;

INSERT INTO analytics_sales_hourly AS s
    (event_id, hour_utc, ticket_type_id, payment_method, refunded)
SELECT t.event_id, analytics_hour(r.at), t.ticket_type_id, coalesce(o.payment_method, ''),
       count(*)
FROM revocations r JOIN tickets t ON t.id = r.ticket_id JOIN orders o ON o.id = t.order_id
WHERE r.reason IN ('refunded', 'cancelled')
GROUP BY 1, 2, 3, 4
ON CONFLICT (event_id, hour_utc, ticket_type_id, payment_method) DO UPDATE
    SET refunded = s.refunded + excluded.refunded;

INSERT INTO analytics_sales_hourly AS s
    (event_id, hour_utc, ticket_type_id, payment_method, refund_minor)
SELECT o.event_id, analytics_hour(f.updated_at), '00000000-0000-0000-0000-000000000000'::uuid,
       coalesce(o.payment_method, ''), sum(f.amount_minor)
FROM refunds f JOIN orders o ON o.id = f.order_id
WHERE f.status = 'done'
GROUP BY 1, 2, 3, 4
ON CONFLICT (event_id, hour_utc, ticket_type_id, payment_method) DO UPDATE
    SET refund_minor = s.refund_minor + excluded.refund_minor;

INSERT INTO analytics_checkins_hourly (event_id, hour_utc, gate, direction, device_id, scans)
SELECT event_id, analytics_hour(to_timestamp(device_time_ms / 1000)), gate, direction,
       device_id, count(*)
FROM door_scans WHERE effect IN ('entered', 'exited')
GROUP BY 1, 2, 3, 4, 5;

INSERT INTO analytics_admissions (event_id, ticket_serial, valid)
SELECT s.event_id, s.ticket_serial, coalesce(bool_or(t.status = 'valid'), false)
FROM door_scans s
LEFT JOIN tickets t ON t.event_id = s.event_id AND t.serial = s.ticket_serial
WHERE s.effect = 'entered' AND s.ticket_serial IS NOT NULL
GROUP BY 1, 2;

INSERT INTO analytics_funnel_hourly (event_id, hour_utc, checkouts)
SELECT event_id, analytics_hour(created_at), count(*) FROM orders GROUP BY 1, 2;

INSERT INTO analytics_funnel_hourly AS f (event_id, hour_utc, paid)
SELECT o.event_id, analytics_hour(tr.at), count(*)
FROM orders o
JOIN order_transitions tr ON tr.order_id = o.id AND tr.to_status = 'paid'
    AND tr.from_status IN ('reserved', 'awaiting_payment')
GROUP BY 1, 2
ON CONFLICT (event_id, hour_utc) DO UPDATE SET paid = f.paid + excluded.paid;
