-- Analytics: hourly aggregates kept by triggers in the transaction of each write, so an
-- organizer's dashboard reads a few hundred small rows instead of every ticket and scan.
-- Hours are Unix seconds of the hour's start (UTC); days in the event's zone are summed
-- from them when read. Nothing here names a person.

-- Sales by hour, ticket type and payment method. `sold`/`revenue_minor`: tickets and
-- money of orders that became paid in that hour; `refunded`: tickets revoked by a refund
-- or a cancellation; `refund_minor`: money given back (refunds are per order, so their
-- money is kept under the nil ticket type). `payment_method` is '' when none was recorded.
CREATE TABLE analytics_sales_hourly (
    event_id       BLOB NOT NULL,
    hour_utc       INTEGER NOT NULL,
    ticket_type_id BLOB NOT NULL,
    payment_method TEXT NOT NULL,
    sold           INTEGER NOT NULL DEFAULT 0,
    revenue_minor  INTEGER NOT NULL DEFAULT 0,
    refunded       INTEGER NOT NULL DEFAULT 0,
    refund_minor   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (event_id, hour_utc, ticket_type_id, payment_method)
) STRICT, WITHOUT ROWID;

-- Door scans that let someone in or out, by the hour the device made them, gate,
-- direction and device. Refused scans are not counted. Rows are per device because only
-- one push of a device runs at a time: two doors at one gate never write the same row
-- (on PostgreSQL they would otherwise lock each other's in and out rows in either order).
CREATE TABLE analytics_checkins_hourly (
    event_id  BLOB NOT NULL,
    hour_utc  INTEGER NOT NULL,
    gate      TEXT NOT NULL,
    direction TEXT NOT NULL,
    device_id BLOB NOT NULL,
    scans     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (event_id, hour_utc, gate, direction, device_id)
) STRICT, WITHOUT ROWID;

-- Tickets admitted at least once, and whether the ticket is still valid: the no-show rate
-- counts valid tickets without a row here. One row per ticket, never a shared counter.
CREATE TABLE analytics_admissions (
    event_id      BLOB NOT NULL,
    ticket_serial INTEGER NOT NULL,
    valid         INTEGER NOT NULL CHECK (valid IN (0, 1)),
    PRIMARY KEY (event_id, ticket_serial)
) STRICT, WITHOUT ROWID;

CREATE INDEX analytics_admissions_valid ON analytics_admissions (event_id, valid);

-- The discovery funnel by hour: views of the public event page (counted in memory and
-- added in batches, no visitor data), orders created (checkout started) and orders paid.
CREATE TABLE analytics_funnel_hourly (
    event_id  BLOB NOT NULL,
    hour_utc  INTEGER NOT NULL,
    views     INTEGER NOT NULL DEFAULT 0,
    checkouts INTEGER NOT NULL DEFAULT 0,
    paid      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (event_id, hour_utc)
) STRICT, WITHOUT ROWID;

-- Every INSERT … SELECT … ON CONFLICT below has a WHERE clause: SQLite needs one to tell
-- the upsert from a join's ON.

CREATE TRIGGER analytics_orders_created AFTER INSERT ON orders BEGIN
    INSERT INTO analytics_funnel_hourly (event_id, hour_utc, checkouts)
    VALUES (NEW.event_id, NEW.created_at - NEW.created_at % 3600, 1)
    ON CONFLICT (event_id, hour_utc) DO UPDATE SET checkouts = checkouts + 1;
END;

-- Only the unpaid → paid step counts: later refunds change the status again but not the sale.
CREATE TRIGGER analytics_orders_paid AFTER UPDATE OF status ON orders
WHEN NEW.status = 'paid' AND OLD.status IN ('reserved', 'awaiting_payment') BEGIN
    INSERT INTO analytics_sales_hourly
        (event_id, hour_utc, ticket_type_id, payment_method, sold, revenue_minor)
    SELECT NEW.event_id, NEW.updated_at - NEW.updated_at % 3600, l.ticket_type_id,
           coalesce(NEW.payment_method, ''), l.quantity, l.quantity * l.unit_price_minor
    FROM order_lines l WHERE l.order_id = NEW.id
    ON CONFLICT (event_id, hour_utc, ticket_type_id, payment_method) DO UPDATE
        SET sold = sold + excluded.sold, revenue_minor = revenue_minor + excluded.revenue_minor;
    INSERT INTO analytics_funnel_hourly (event_id, hour_utc, paid)
    VALUES (NEW.event_id, NEW.updated_at - NEW.updated_at % 3600, 1)
    ON CONFLICT (event_id, hour_utc) DO UPDATE SET paid = paid + 1;
END;

-- A transfer revokes too, but the seat stays sold: only refunds and cancellations count.
CREATE TRIGGER analytics_revocations AFTER INSERT ON revocations
WHEN NEW.reason IN ('refunded', 'cancelled') BEGIN
    INSERT INTO analytics_sales_hourly
        (event_id, hour_utc, ticket_type_id, payment_method, refunded)
    SELECT t.event_id, NEW.at - NEW.at % 3600, t.ticket_type_id,
           coalesce(o.payment_method, ''), 1
    FROM tickets t JOIN orders o ON o.id = t.order_id WHERE t.id = NEW.ticket_id
    ON CONFLICT (event_id, hour_utc, ticket_type_id, payment_method) DO UPDATE
        SET refunded = refunded + 1;
END;

CREATE TRIGGER analytics_refunds_insert AFTER INSERT ON refunds
WHEN NEW.status = 'done' BEGIN
    INSERT INTO analytics_sales_hourly
        (event_id, hour_utc, ticket_type_id, payment_method, refund_minor)
    SELECT o.event_id, NEW.updated_at - NEW.updated_at % 3600, zeroblob(16),
           coalesce(o.payment_method, ''), NEW.amount_minor
    FROM orders o WHERE o.id = NEW.order_id
    ON CONFLICT (event_id, hour_utc, ticket_type_id, payment_method) DO UPDATE
        SET refund_minor = refund_minor + excluded.refund_minor;
END;

CREATE TRIGGER analytics_refunds_done AFTER UPDATE OF status ON refunds
WHEN NEW.status = 'done' AND OLD.status <> 'done' BEGIN
    INSERT INTO analytics_sales_hourly
        (event_id, hour_utc, ticket_type_id, payment_method, refund_minor)
    SELECT o.event_id, NEW.updated_at - NEW.updated_at % 3600, zeroblob(16),
           coalesce(o.payment_method, ''), NEW.amount_minor
    FROM orders o WHERE o.id = NEW.order_id
    ON CONFLICT (event_id, hour_utc, ticket_type_id, payment_method) DO UPDATE
        SET refund_minor = refund_minor + excluded.refund_minor;
END;

-- A scan is stored once (`ON CONFLICT (device_id, seq) DO NOTHING`), so it counts once.
CREATE TRIGGER analytics_door_scans AFTER INSERT ON door_scans
WHEN NEW.effect IN ('entered', 'exited') BEGIN
    INSERT INTO analytics_checkins_hourly (event_id, hour_utc, gate, direction, device_id, scans)
    VALUES (NEW.event_id, NEW.device_time_ms / 1000 - (NEW.device_time_ms / 1000) % 3600,
            NEW.gate, NEW.direction, NEW.device_id, 1)
    ON CONFLICT (event_id, hour_utc, gate, direction, device_id) DO UPDATE SET scans = scans + 1;
    INSERT INTO analytics_admissions (event_id, ticket_serial, valid)
    SELECT NEW.event_id, NEW.ticket_serial,
           coalesce((SELECT status = 'valid' FROM tickets
                     WHERE event_id = NEW.event_id AND serial = NEW.ticket_serial), 0)
    WHERE NEW.effect = 'entered' AND NEW.ticket_serial IS NOT NULL
    ON CONFLICT (event_id, ticket_serial) DO NOTHING;
END;

CREATE TRIGGER analytics_tickets_status AFTER UPDATE OF status ON tickets BEGIN
    UPDATE analytics_admissions SET valid = (NEW.status = 'valid')
    WHERE event_id = NEW.event_id AND ticket_serial = NEW.serial;
END;

-- What existed before: the same figures from the rows themselves.
INSERT INTO analytics_sales_hourly
    (event_id, hour_utc, ticket_type_id, payment_method, sold, revenue_minor)
SELECT o.event_id, tr.at - tr.at % 3600, l.ticket_type_id, coalesce(o.payment_method, ''),
       sum(l.quantity), sum(l.quantity * l.unit_price_minor)
FROM orders o
JOIN order_transitions tr ON tr.order_id = o.id AND tr.to_status = 'paid'
    AND tr.from_status IN ('reserved', 'awaiting_payment')
JOIN order_lines l ON l.order_id = o.id
GROUP BY 1, 2, 3, 4;

INSERT INTO analytics_sales_hourly
    (event_id, hour_utc, ticket_type_id, payment_method, refunded)
SELECT t.event_id, r.at - r.at % 3600, t.ticket_type_id, coalesce(o.payment_method, ''),
       count(*)
FROM revocations r JOIN tickets t ON t.id = r.ticket_id JOIN orders o ON o.id = t.order_id
WHERE r.reason IN ('refunded', 'cancelled')
GROUP BY 1, 2, 3, 4
ON CONFLICT (event_id, hour_utc, ticket_type_id, payment_method) DO UPDATE
    SET refunded = refunded + excluded.refunded;

INSERT INTO analytics_sales_hourly
    (event_id, hour_utc, ticket_type_id, payment_method, refund_minor)
SELECT o.event_id, f.updated_at - f.updated_at % 3600, zeroblob(16),
       coalesce(o.payment_method, ''), sum(f.amount_minor)
FROM refunds f JOIN orders o ON o.id = f.order_id
WHERE f.status = 'done'
GROUP BY 1, 2, 3, 4
ON CONFLICT (event_id, hour_utc, ticket_type_id, payment_method) DO UPDATE
    SET refund_minor = refund_minor + excluded.refund_minor;

INSERT INTO analytics_checkins_hourly (event_id, hour_utc, gate, direction, device_id, scans)
SELECT event_id, device_time_ms / 1000 - (device_time_ms / 1000) % 3600, gate, direction,
       device_id, count(*)
FROM door_scans WHERE effect IN ('entered', 'exited')
GROUP BY 1, 2, 3, 4, 5;

INSERT INTO analytics_admissions (event_id, ticket_serial, valid)
SELECT s.event_id, s.ticket_serial, coalesce(max(t.status = 'valid'), 0)
FROM door_scans s
LEFT JOIN tickets t ON t.event_id = s.event_id AND t.serial = s.ticket_serial
WHERE s.effect = 'entered' AND s.ticket_serial IS NOT NULL
GROUP BY 1, 2;

INSERT INTO analytics_funnel_hourly (event_id, hour_utc, checkouts)
SELECT event_id, created_at - created_at % 3600, count(*) FROM orders GROUP BY 1, 2;

INSERT INTO analytics_funnel_hourly (event_id, hour_utc, paid)
SELECT o.event_id, tr.at - tr.at % 3600, count(*)
FROM orders o
JOIN order_transitions tr ON tr.order_id = o.id AND tr.to_status = 'paid'
    AND tr.from_status IN ('reserved', 'awaiting_payment')
GROUP BY 1, 2
ON CONFLICT (event_id, hour_utc) DO UPDATE SET paid = paid + excluded.paid;
