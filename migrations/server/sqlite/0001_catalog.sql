-- Organizations, their events and ticket types: the public catalog's source.
-- Ids are UUIDv7 as 16-byte BLOBs; times are UTC seconds since the epoch; money is integer
-- minor units (fils for JOD).

CREATE TABLE organizations (
    id         BLOB PRIMARY KEY NOT NULL CHECK (length(id) = 16),
    name_ar    TEXT NOT NULL,
    name_en    TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    CHECK (name_ar <> '' OR name_en <> '')
) STRICT;

CREATE TABLE events (
    id               BLOB PRIMARY KEY NOT NULL CHECK (length(id) = 16),
    organization_id  BLOB NOT NULL REFERENCES organizations (id),
    status           TEXT NOT NULL
                     CHECK (status IN ('draft', 'pending_review', 'published', 'rejected', 'cancelled')),
    title_ar         TEXT NOT NULL,
    title_en         TEXT NOT NULL,
    description_ar   TEXT NOT NULL,
    description_en   TEXT NOT NULL,
    category         TEXT NOT NULL,
    venue_name_ar    TEXT NOT NULL,
    venue_name_en    TEXT NOT NULL,
    venue_address_ar TEXT NOT NULL,
    venue_address_en TEXT NOT NULL,
    city             TEXT NOT NULL,
    lat              REAL NOT NULL CHECK (lat BETWEEN -90 AND 90),
    lng              REAL NOT NULL CHECK (lng BETWEEN -180 AND 180),
    starts_at        INTEGER NOT NULL,
    ends_at          INTEGER NOT NULL,
    time_zone        TEXT NOT NULL DEFAULT 'Asia/Amman',
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    CHECK (title_ar <> '' OR title_en <> ''),
    CHECK (ends_at >= starts_at)
) STRICT;

CREATE INDEX events_by_status_and_start ON events (status, starts_at);

CREATE TABLE ticket_types (
    id          BLOB PRIMARY KEY NOT NULL CHECK (length(id) = 16),
    event_id    BLOB NOT NULL REFERENCES events (id),
    name_ar     TEXT NOT NULL,
    name_en     TEXT NOT NULL,
    price_minor INTEGER NOT NULL CHECK (price_minor >= 0),
    currency    TEXT NOT NULL DEFAULT 'JOD',
    capacity    INTEGER NOT NULL CHECK (capacity > 0),
    position    INTEGER NOT NULL DEFAULT 0,
    CHECK (name_ar <> '' OR name_en <> '')
) STRICT;

CREATE INDEX ticket_types_by_event ON ticket_types (event_id, position);
