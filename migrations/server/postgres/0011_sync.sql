-- The sync change log (see the SQLite migration of the same number for the model).
-- Out-of-order commits: a scope's version is taken by updating its `sync_heads` row inside
-- the writing transaction; the row lock holds every other writer of that scope until this
-- one commits, so versions become visible in order and a reader that saw version n has
-- seen every version below it. `sync_touch` also notifies `hafla_changes` inside the
-- transaction (delivered only if it commits; identical payloads fold into one), which
-- every instance hears and turns into live hints.

CREATE TABLE sync_heads (
    scope_kind TEXT NOT NULL CHECK (scope_kind IN ('catalog', 'me', 'org', 'door')),
    subject    UUID NOT NULL,
    version    BIGINT NOT NULL CHECK (version > 0),
    epoch      BIGINT NOT NULL,
    PRIMARY KEY (scope_kind, subject)
);

CREATE TABLE sync_log (
    scope_kind TEXT NOT NULL,
    subject    UUID NOT NULL,
    kind       TEXT NOT NULL,
    key        TEXT NOT NULL,
    version    BIGINT NOT NULL,
    deleted    BOOLEAN NOT NULL,
    PRIMARY KEY (scope_kind, subject, kind, key)
);

CREATE INDEX sync_log_by_version ON sync_log (scope_kind, subject, version) INCLUDE (deleted);

CREATE FUNCTION sync_touch(p_scope TEXT, p_subject UUID, p_kind TEXT, p_key TEXT, p_deleted BOOLEAN)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v BIGINT;
BEGIN
    INSERT INTO sync_heads AS h (scope_kind, subject, version, epoch)
    VALUES (p_scope, p_subject, 1, floor(random() * 9007199254740991)::bigint)
    ON CONFLICT (scope_kind, subject) DO UPDATE SET version = h.version + 1
    RETURNING h.version INTO v;
    INSERT INTO sync_log (scope_kind, subject, kind, key, version, deleted)
    VALUES (p_scope, p_subject, p_kind, p_key, v, p_deleted)
    ON CONFLICT (scope_kind, subject, kind, key)
        DO UPDATE SET version = excluded.version, deleted = excluded.deleted;
    PERFORM pg_notify('hafla_changes', 'db sync:' || p_scope || ':' || p_subject::text);
END $$;

CREATE FUNCTION sync_hex(id UUID) RETURNS TEXT LANGUAGE sql IMMUTABLE AS $$
    SELECT replace(id::text, '-', '')
$$;

CREATE FUNCTION events_sync() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    t RECORD;
BEGIN
    PERFORM sync_touch('org', NEW.organization_id, 'org_event', sync_hex(NEW.id), false);
    IF NEW.status = 'published' OR (TG_OP = 'UPDATE' AND OLD.status = 'published') THEN
        PERFORM sync_touch('catalog', '00000000-0000-0000-0000-000000000000', 'event',
                           sync_hex(NEW.id), NEW.status <> 'published');
    END IF;
    PERFORM sync_touch('door', NEW.id, 'door_event', sync_hex(NEW.id), NEW.credential_ref IS NULL);
    IF TG_OP = 'UPDATE' THEN
        FOR t IN SELECT id, holder_id FROM tickets WHERE event_id = NEW.id LOOP
            PERFORM sync_touch('me', t.holder_id, 'my_ticket', sync_hex(t.id), false);
        END LOOP;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER events_sync_insert AFTER INSERT ON events
    FOR EACH ROW EXECUTE FUNCTION events_sync();
CREATE TRIGGER events_sync_update AFTER UPDATE OF
    status, title_ar, title_en, description_ar, description_en, category, venue_name_ar,
    venue_name_en, venue_address_ar, venue_address_en, city, lat, lng, starts_at, ends_at,
    time_zone, tags, cover_image, rejection_reason, version, price_min_minor, credential_ref,
    capacity, submitted_at, reviewed_at
ON events FOR EACH ROW EXECUTE FUNCTION events_sync();

CREATE FUNCTION ticket_types_sync() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    tt RECORD;
    e RECORD;
BEGIN
    IF TG_OP = 'DELETE' THEN
        tt := OLD;
        PERFORM sync_touch('door', OLD.event_id, 'ticket_type', OLD.position::text, true);
    ELSE
        tt := NEW;
        IF TG_OP = 'UPDATE' AND OLD.position <> NEW.position THEN
            PERFORM sync_touch('door', OLD.event_id, 'ticket_type', OLD.position::text, true);
        END IF;
        PERFORM sync_touch('door', NEW.event_id, 'ticket_type', NEW.position::text, false);
    END IF;
    SELECT id, organization_id, status INTO e FROM events WHERE id = tt.event_id;
    IF FOUND THEN
        PERFORM sync_touch('org', e.organization_id, 'org_event', sync_hex(e.id), false);
        IF e.status = 'published' THEN
            PERFORM sync_touch('catalog', '00000000-0000-0000-0000-000000000000', 'event',
                               sync_hex(e.id), false);
        END IF;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER ticket_types_sync_insert AFTER INSERT OR DELETE ON ticket_types
    FOR EACH ROW EXECUTE FUNCTION ticket_types_sync();
CREATE TRIGGER ticket_types_sync_update AFTER UPDATE OF
    name_ar, name_en, price_minor, currency, capacity, position, sales_start, sales_end,
    per_order_limit, entry_policy
ON ticket_types FOR EACH ROW EXECUTE FUNCTION ticket_types_sync();

CREATE FUNCTION tickets_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM sync_touch('door', NEW.event_id, 'ticket', NEW.serial::text, false);
    PERFORM sync_touch('me', NEW.holder_id, 'my_ticket', sync_hex(NEW.id), false);
    IF TG_OP = 'UPDATE' AND OLD.holder_id <> NEW.holder_id THEN
        PERFORM sync_touch('me', OLD.holder_id, 'my_ticket', sync_hex(OLD.id), true);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER tickets_sync_insert AFTER INSERT ON tickets
    FOR EACH ROW EXECUTE FUNCTION tickets_sync();
CREATE TRIGGER tickets_sync_update AFTER UPDATE OF status, holder_id ON tickets
    FOR EACH ROW EXECUTE FUNCTION tickets_sync();

CREATE FUNCTION revocations_sync() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    t RECORD;
BEGIN
    SELECT event_id, serial INTO t FROM tickets WHERE id = NEW.ticket_id;
    IF FOUND THEN
        PERFORM sync_touch('door', t.event_id, 'ticket', t.serial::text, false);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER revocations_sync_insert AFTER INSERT ON revocations
    FOR EACH ROW EXECUTE FUNCTION revocations_sync();

CREATE FUNCTION signing_keys_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM sync_touch('door', NEW.event_id, 'key', NEW.key_id::text, false);
    RETURN NULL;
END $$;

CREATE TRIGGER signing_keys_sync_insert AFTER INSERT ON signing_keys
    FOR EACH ROW EXECUTE FUNCTION signing_keys_sync();

CREATE TABLE sync_devices (
    id           UUID PRIMARY KEY,
    user_id      UUID NOT NULL REFERENCES users (id),
    last_number  BIGINT NOT NULL DEFAULT 0,
    created_at   TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE door_scans (
    device_id      UUID NOT NULL,
    seq            BIGINT NOT NULL CHECK (seq > 0),
    id             UUID NOT NULL,
    event_id       UUID NOT NULL REFERENCES events (id),
    ticket_serial  INTEGER,
    ticket_type    INTEGER,
    gate           TEXT NOT NULL,
    direction      TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    device_time_ms BIGINT NOT NULL,
    hlc            BIGINT NOT NULL,
    verdict        TEXT NOT NULL,
    effect         TEXT NOT NULL CHECK (effect IN ('entered', 'exited', 'refused')),
    received_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (device_id, seq)
);

CREATE INDEX door_scans_by_event ON door_scans (event_id, device_id, seq);
CREATE INDEX door_scans_by_ticket ON door_scans (event_id, ticket_serial);
-- Conflicts name scans by id (made by devices, so not trusted to be unique).
CREATE INDEX door_scans_by_id ON door_scans (id);

CREATE TABLE door_conflicts (
    scan_id       UUID PRIMARY KEY,
    event_id      UUID NOT NULL REFERENCES events (id),
    ticket_serial INTEGER NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('double_admission', 'admitted_after_revocation')),
    first_scan_id UUID
);

CREATE INDEX door_conflicts_by_ticket ON door_conflicts (event_id, ticket_serial);

CREATE FUNCTION door_conflicts_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM sync_touch('door', OLD.event_id, 'conflict', sync_hex(OLD.scan_id), true);
    ELSE
        PERFORM sync_touch('door', NEW.event_id, 'conflict', sync_hex(NEW.scan_id), false);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER door_conflicts_sync AFTER INSERT OR UPDATE OR DELETE ON door_conflicts
    FOR EACH ROW EXECUTE FUNCTION door_conflicts_sync();

-- What existed before the log.
SELECT sync_touch('org', organization_id, 'org_event', sync_hex(id), false) FROM events;
SELECT sync_touch('catalog', '00000000-0000-0000-0000-000000000000', 'event', sync_hex(id), false)
    FROM events WHERE status = 'published';
SELECT sync_touch('door', id, 'door_event', sync_hex(id), credential_ref IS NULL) FROM events;
SELECT sync_touch('door', event_id, 'ticket_type', position::text, false) FROM ticket_types;
SELECT sync_touch('door', event_id, 'ticket', serial::text, false) FROM tickets;
SELECT sync_touch('me', holder_id, 'my_ticket', sync_hex(id), false) FROM tickets;
SELECT sync_touch('door', event_id, 'key', key_id::text, false) FROM signing_keys;
