-- The sync change log. Every entity a device may copy has one row per scope it is in
-- (`sync_log`), stamped with the scope's version at its last change. Versions come from
-- `sync_heads`, bumped inside the writing transaction (SQLite has one writer, so commit
-- order is version order). Triggers keep the log: whatever writes an entity writes its log
-- rows in the same transaction, so no write path can forget. `sync_touched` collects which
-- scopes changed; the server takes them out in the writing transaction and announces them
-- after the commit (rows left by another program are announced with the server's next
-- write).
--
-- Scopes: ('catalog', zero id), ('me', user id), ('org', organization id),
-- ('door', event id). Keys: entity ids as 32 lowercase hex digits, or numbers in decimal
-- (door tickets by serial, ticket types by number, keys by key id).

CREATE TABLE sync_heads (
    scope_kind TEXT NOT NULL CHECK (scope_kind IN ('catalog', 'me', 'org', 'door')),
    subject    BLOB NOT NULL CHECK (length(subject) = 16),
    version    INTEGER NOT NULL CHECK (version > 0),
    -- Random when the scope is first written: a cursor from another life of the scope
    -- (another database, a restore) carries another epoch and gets a reset answer.
    epoch      INTEGER NOT NULL,
    PRIMARY KEY (scope_kind, subject)
) STRICT, WITHOUT ROWID;

CREATE TABLE sync_log (
    scope_kind TEXT NOT NULL,
    subject    BLOB NOT NULL,
    kind       TEXT NOT NULL,
    key        TEXT NOT NULL,
    version    INTEGER NOT NULL,
    deleted    INTEGER NOT NULL CHECK (deleted IN (0, 1)),
    PRIMARY KEY (scope_kind, subject, kind, key)
) STRICT, WITHOUT ROWID;

CREATE TABLE sync_touched (
    scope_kind TEXT NOT NULL,
    subject    BLOB NOT NULL,
    PRIMARY KEY (scope_kind, subject)
) STRICT, WITHOUT ROWID;

-- A pull reads a scope in version order; the digest sums live rows' versions.
CREATE INDEX sync_log_by_version ON sync_log (scope_kind, subject, version, deleted);

-- Writing a row here bumps the scope and stamps the entity's log row: the one procedure
-- every trigger below calls.
CREATE VIEW sync_touch AS SELECT scope_kind, subject, kind, key, deleted FROM sync_log;

CREATE TRIGGER sync_touch_insert INSTEAD OF INSERT ON sync_touch BEGIN
    INSERT INTO sync_heads (scope_kind, subject, version, epoch)
    VALUES (NEW.scope_kind, NEW.subject, 1, abs(random() % 9007199254740991))
    ON CONFLICT (scope_kind, subject) DO UPDATE SET version = version + 1;
    INSERT INTO sync_log (scope_kind, subject, kind, key, version, deleted)
    SELECT NEW.scope_kind, NEW.subject, NEW.kind, NEW.key, h.version, NEW.deleted
    FROM sync_heads h WHERE h.scope_kind = NEW.scope_kind AND h.subject = NEW.subject
    ON CONFLICT (scope_kind, subject, kind, key)
        DO UPDATE SET version = excluded.version, deleted = excluded.deleted;
    -- Not INSERT OR IGNORE: a conflict clause of the statement that fired the trigger
    -- would override it.
    INSERT INTO sync_touched (scope_kind, subject)
    SELECT NEW.scope_kind, NEW.subject
    WHERE NOT EXISTS (SELECT 1 FROM sync_touched t
                      WHERE t.scope_kind = NEW.scope_kind AND t.subject = NEW.subject);
END;

-- Events: the organization's copy always; the catalog's while published (a tombstone when
-- it stops being); the door's once it has issued tickets (its credential number); each
-- holder's tickets, which show the event. Sales counters (held, next_serial) are not
-- content: selling a seat does not rewrite the catalog.
CREATE TRIGGER events_sync_insert AFTER INSERT ON events BEGIN
    INSERT INTO sync_touch VALUES ('org', NEW.organization_id, 'org_event', lower(hex(NEW.id)), 0);
    INSERT INTO sync_touch SELECT 'catalog', zeroblob(16), 'event', lower(hex(NEW.id)), 0
        WHERE NEW.status = 'published';
    INSERT INTO sync_touch
        VALUES ('door', NEW.id, 'door_event', lower(hex(NEW.id)), NEW.credential_ref IS NULL);
END;

CREATE TRIGGER events_sync_update AFTER UPDATE OF
    status, title_ar, title_en, description_ar, description_en, category, venue_name_ar,
    venue_name_en, venue_address_ar, venue_address_en, city, lat, lng, starts_at, ends_at,
    time_zone, tags, cover_image, rejection_reason, version, price_min_minor, credential_ref,
    capacity, submitted_at, reviewed_at
ON events BEGIN
    INSERT INTO sync_touch VALUES ('org', NEW.organization_id, 'org_event', lower(hex(NEW.id)), 0);
    INSERT INTO sync_touch
        SELECT 'catalog', zeroblob(16), 'event', lower(hex(NEW.id)), NEW.status <> 'published'
        WHERE NEW.status = 'published' OR OLD.status = 'published';
    INSERT INTO sync_touch
        VALUES ('door', NEW.id, 'door_event', lower(hex(NEW.id)), NEW.credential_ref IS NULL);
    INSERT INTO sync_touch
        SELECT 'me', holder_id, 'my_ticket', lower(hex(id)), 0 FROM tickets WHERE event_id = NEW.id;
END;

-- Ticket types: the door's list by number, and the event's copies that show prices.
CREATE TRIGGER ticket_types_sync_insert AFTER INSERT ON ticket_types BEGIN
    INSERT INTO sync_touch VALUES ('door', NEW.event_id, 'ticket_type', NEW.position, 0);
    INSERT INTO sync_touch SELECT 'org', organization_id, 'org_event', lower(hex(id)), 0
        FROM events WHERE id = NEW.event_id;
    INSERT INTO sync_touch SELECT 'catalog', zeroblob(16), 'event', lower(hex(id)), 0
        FROM events WHERE id = NEW.event_id AND status = 'published';
END;

CREATE TRIGGER ticket_types_sync_update AFTER UPDATE OF
    name_ar, name_en, price_minor, currency, capacity, position, sales_start, sales_end,
    per_order_limit, entry_policy
ON ticket_types BEGIN
    INSERT INTO sync_touch SELECT 'door', OLD.event_id, 'ticket_type', OLD.position, 1
        WHERE OLD.position <> NEW.position;
    INSERT INTO sync_touch VALUES ('door', NEW.event_id, 'ticket_type', NEW.position, 0);
    INSERT INTO sync_touch SELECT 'org', organization_id, 'org_event', lower(hex(id)), 0
        FROM events WHERE id = NEW.event_id;
    INSERT INTO sync_touch SELECT 'catalog', zeroblob(16), 'event', lower(hex(id)), 0
        FROM events WHERE id = NEW.event_id AND status = 'published';
END;

CREATE TRIGGER ticket_types_sync_delete AFTER DELETE ON ticket_types BEGIN
    INSERT INTO sync_touch VALUES ('door', OLD.event_id, 'ticket_type', OLD.position, 1);
    INSERT INTO sync_touch SELECT 'org', organization_id, 'org_event', lower(hex(id)), 0
        FROM events WHERE id = OLD.event_id;
    INSERT INTO sync_touch SELECT 'catalog', zeroblob(16), 'event', lower(hex(id)), 0
        FROM events WHERE id = OLD.event_id AND status = 'published';
END;

-- Tickets: the door list by serial; the holder's copy (a transfer away leaves a tombstone
-- with the old holder).
CREATE TRIGGER tickets_sync_insert AFTER INSERT ON tickets BEGIN
    INSERT INTO sync_touch VALUES ('door', NEW.event_id, 'ticket', NEW.serial, 0);
    INSERT INTO sync_touch VALUES ('me', NEW.holder_id, 'my_ticket', lower(hex(NEW.id)), 0);
END;

CREATE TRIGGER tickets_sync_update AFTER UPDATE OF status, holder_id ON tickets BEGIN
    INSERT INTO sync_touch VALUES ('door', NEW.event_id, 'ticket', NEW.serial, 0);
    INSERT INTO sync_touch VALUES ('me', NEW.holder_id, 'my_ticket', lower(hex(NEW.id)), 0);
    INSERT INTO sync_touch SELECT 'me', OLD.holder_id, 'my_ticket', lower(hex(OLD.id)), 1
        WHERE OLD.holder_id <> NEW.holder_id;
END;

-- A revocation's reason and time travel in the door's ticket row.
CREATE TRIGGER revocations_sync_insert AFTER INSERT ON revocations BEGIN
    INSERT INTO sync_touch SELECT 'door', event_id, 'ticket', serial, 0
        FROM tickets WHERE id = NEW.ticket_id;
END;

CREATE TRIGGER signing_keys_sync_insert AFTER INSERT ON signing_keys BEGIN
    INSERT INTO sync_touch VALUES ('door', NEW.event_id, 'key', NEW.key_id, 0);
END;

-- Devices that push: each belongs to the account that first pushed from it, and has
-- applied every mutation number up to `last_number`.
CREATE TABLE sync_devices (
    id           BLOB PRIMARY KEY NOT NULL CHECK (length(id) = 16),
    user_id      BLOB NOT NULL REFERENCES users (id),
    last_number  INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL
) STRICT;

-- Every door device's scans, as the device recorded them: append-only, one row per
-- (device, log position), so a repeated push changes nothing.
CREATE TABLE door_scans (
    device_id      BLOB NOT NULL CHECK (length(device_id) = 16),
    seq            INTEGER NOT NULL CHECK (seq > 0),
    id             BLOB NOT NULL CHECK (length(id) = 16),
    event_id       BLOB NOT NULL REFERENCES events (id),
    ticket_serial  INTEGER,
    ticket_type    INTEGER,
    gate           TEXT NOT NULL,
    direction      TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    device_time_ms INTEGER NOT NULL,
    hlc            INTEGER NOT NULL,
    verdict        TEXT NOT NULL,
    effect         TEXT NOT NULL CHECK (effect IN ('entered', 'exited', 'refused')),
    received_at    INTEGER NOT NULL,
    PRIMARY KEY (device_id, seq)
) STRICT, WITHOUT ROWID;

CREATE INDEX door_scans_by_event ON door_scans (event_id, device_id, seq);
CREATE INDEX door_scans_by_ticket ON door_scans (event_id, ticket_serial);
-- Conflicts name scans by id (made by devices, so not trusted to be unique).
CREATE INDEX door_scans_by_id ON door_scans (id);

-- Scans flagged for staff, derived from all scans of the ticket in one deterministic
-- order; recomputed whenever a scan of the ticket arrives, so the set converges whatever
-- order devices push in.
CREATE TABLE door_conflicts (
    scan_id       BLOB PRIMARY KEY NOT NULL CHECK (length(scan_id) = 16),
    event_id      BLOB NOT NULL REFERENCES events (id),
    ticket_serial INTEGER NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('double_admission', 'admitted_after_revocation')),
    first_scan_id BLOB
) STRICT;

CREATE INDEX door_conflicts_by_ticket ON door_conflicts (event_id, ticket_serial);

CREATE TRIGGER door_conflicts_sync_insert AFTER INSERT ON door_conflicts BEGIN
    INSERT INTO sync_touch VALUES ('door', NEW.event_id, 'conflict', lower(hex(NEW.scan_id)), 0);
END;

CREATE TRIGGER door_conflicts_sync_update AFTER UPDATE ON door_conflicts BEGIN
    INSERT INTO sync_touch VALUES ('door', NEW.event_id, 'conflict', lower(hex(NEW.scan_id)), 0);
END;

CREATE TRIGGER door_conflicts_sync_delete AFTER DELETE ON door_conflicts BEGIN
    INSERT INTO sync_touch VALUES ('door', OLD.event_id, 'conflict', lower(hex(OLD.scan_id)), 1);
END;

-- What existed before the log: every event, ticket type, ticket and key gets its row.
INSERT INTO sync_touch SELECT 'org', organization_id, 'org_event', lower(hex(id)), 0 FROM events;
INSERT INTO sync_touch SELECT 'catalog', zeroblob(16), 'event', lower(hex(id)), 0
    FROM events WHERE status = 'published';
INSERT INTO sync_touch SELECT 'door', id, 'door_event', lower(hex(id)), credential_ref IS NULL
    FROM events;
INSERT INTO sync_touch SELECT 'door', event_id, 'ticket_type', position, 0 FROM ticket_types;
INSERT INTO sync_touch SELECT 'door', event_id, 'ticket', serial, 0 FROM tickets;
INSERT INTO sync_touch SELECT 'me', holder_id, 'my_ticket', lower(hex(id)), 0 FROM tickets;
INSERT INTO sync_touch SELECT 'door', event_id, 'key', key_id, 0 FROM signing_keys;
