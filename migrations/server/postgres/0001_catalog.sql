-- Organizations, their events and ticket types: the public catalog's source.
-- Same schema version as ../sqlite/0001_catalog.sql, in PostgreSQL's types.

CREATE TABLE organizations (
    id         UUID PRIMARY KEY,
    name_ar    TEXT NOT NULL,
    name_en    TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    CHECK (name_ar <> '' OR name_en <> '')
);

CREATE TABLE events (
    id               UUID PRIMARY KEY,
    organization_id  UUID NOT NULL REFERENCES organizations (id),
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
    lat              DOUBLE PRECISION NOT NULL CHECK (lat BETWEEN -90 AND 90),
    lng              DOUBLE PRECISION NOT NULL CHECK (lng BETWEEN -180 AND 180),
    starts_at        TIMESTAMPTZ NOT NULL,
    ends_at          TIMESTAMPTZ NOT NULL,
    time_zone        TEXT NOT NULL DEFAULT 'Asia/Amman',
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    CHECK (title_ar <> '' OR title_en <> ''),
    CHECK (ends_at >= starts_at)
);

CREATE INDEX events_by_status_and_start ON events (status, starts_at);

CREATE TABLE ticket_types (
    id          UUID PRIMARY KEY,
    event_id    UUID NOT NULL REFERENCES events (id),
    name_ar     TEXT NOT NULL,
    name_en     TEXT NOT NULL,
    price_minor BIGINT NOT NULL CHECK (price_minor >= 0),
    currency    TEXT NOT NULL DEFAULT 'JOD',
    capacity    INTEGER NOT NULL CHECK (capacity > 0),
    position    INTEGER NOT NULL DEFAULT 0,
    CHECK (name_ar <> '' OR name_en <> '')
);

CREATE INDEX ticket_types_by_event ON ticket_types (event_id, position);
