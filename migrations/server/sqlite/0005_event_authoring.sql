-- What organizers author and admins review: tags, cover images, the review trail, and the
-- ticket type rules (sales window, per-order limit, entry policy). Also the columns search
-- reads: `search_text` (the normalized tokens of everything searchable, written by the
-- server with hafla-core's `search_text`, never by SQL) and `price_min_minor`.

ALTER TABLE events ADD COLUMN tags TEXT NOT NULL DEFAULT '[]';            -- JSON array of strings
ALTER TABLE events ADD COLUMN cover_image TEXT;                            -- SHA-256 hex of the original; NULL: none
ALTER TABLE events ADD COLUMN rejection_reason TEXT;
ALTER TABLE events ADD COLUMN submitted_at INTEGER;
ALTER TABLE events ADD COLUMN reviewed_at INTEGER;
ALTER TABLE events ADD COLUMN search_text TEXT NOT NULL DEFAULT '';
ALTER TABLE events ADD COLUMN price_min_minor INTEGER;                     -- NULL: no ticket types
ALTER TABLE events ADD COLUMN version INTEGER NOT NULL DEFAULT 1;          -- bumped by every edit

CREATE INDEX events_in_review ON events (status, submitted_at);
CREATE INDEX events_by_organization ON events (organization_id, starts_at);

ALTER TABLE ticket_types ADD COLUMN sales_start INTEGER;                   -- NULL: on sale at once
ALTER TABLE ticket_types ADD COLUMN sales_end INTEGER;                     -- NULL: until the event ends
ALTER TABLE ticket_types ADD COLUMN per_order_limit INTEGER NOT NULL DEFAULT 10
    CHECK (per_order_limit BETWEEN 1 AND 100);
ALTER TABLE ticket_types ADD COLUMN entry_policy TEXT NOT NULL DEFAULT 'single_entry'
    CHECK (entry_policy IN ('single_entry', 'multi_entry', 'in_and_out'));

-- The processed variants of an event's cover (large, medium, thumb), re-encoded without
-- metadata. In the database so every server instance can serve them.
CREATE TABLE event_images (
    event_id     BLOB NOT NULL REFERENCES events (id),
    variant      TEXT NOT NULL,
    content_type TEXT NOT NULL,
    width        INTEGER NOT NULL,
    height       INTEGER NOT NULL,
    sha256       TEXT NOT NULL,
    bytes        BLOB NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (event_id, variant)
) STRICT, WITHOUT ROWID;

-- Every status change of an event, who made it and why: the moderation trail.
CREATE TABLE event_reviews (
    id       BLOB PRIMARY KEY NOT NULL CHECK (length(id) = 16),
    event_id BLOB NOT NULL REFERENCES events (id),
    action   TEXT NOT NULL
             CHECK (action IN ('submitted', 'approved', 'rejected', 'cancelled', 'returned_to_review')),
    actor    BLOB REFERENCES users (id),
    reason   TEXT,
    at       INTEGER NOT NULL
) STRICT;

CREATE INDEX event_reviews_by_event ON event_reviews (event_id, at);
