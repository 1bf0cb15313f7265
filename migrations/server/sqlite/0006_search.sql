-- Event search: a full-text index over `events.search_text` and a spatial index of event
-- locations, both kept by triggers so every writer of `events` keeps them right.
--
-- `search_text` is already normalized by hafla-core (lowercase, Arabic letters unified,
-- articles stripped, tokens joined by single spaces), so the index must not normalize
-- again: the `ascii` tokenizer splits on ASCII spaces and punctuation only and keeps every
-- other character as part of a word, exactly the tokens hafla-core wrote. Prefix indexes
-- of 2 and 3 characters serve the last, still-being-typed word of a query.
--
-- Both indexes are keyed by the events table's rowid (`events` has a BLOB primary key).
-- VACUUM may renumber rowids of such tables: after one, rebuild both (the statements that
-- fill them below).

CREATE VIRTUAL TABLE events_fts USING fts5(
    search_text,
    content = 'events',
    content_rowid = 'rowid',
    tokenize = 'ascii',
    prefix = '2 3'
);

CREATE TRIGGER events_fts_after_insert AFTER INSERT ON events BEGIN
    INSERT INTO events_fts (rowid, search_text) VALUES (new.rowid, new.search_text);
END;

CREATE TRIGGER events_fts_after_update AFTER UPDATE OF search_text ON events BEGIN
    INSERT INTO events_fts (events_fts, rowid, search_text)
        VALUES ('delete', old.rowid, old.search_text);
    INSERT INTO events_fts (rowid, search_text) VALUES (new.rowid, new.search_text);
END;

CREATE TRIGGER events_fts_after_delete AFTER DELETE ON events BEGIN
    INSERT INTO events_fts (events_fts, rowid, search_text)
        VALUES ('delete', old.rowid, old.search_text);
END;

INSERT INTO events_fts (events_fts) VALUES ('rebuild');

-- Bounding boxes of event locations (a point is a box of size zero). An R*Tree answers
-- "which events lie inside this box" from two dimensions at once, where a B-tree on
-- (lat, lng) can narrow by latitude only. Its 32-bit coordinates are rounded outwards, so
-- the box is a prefilter; the exact distance is computed for what it lets through.
CREATE VIRTUAL TABLE events_geo USING rtree(id, min_lat, max_lat, min_lng, max_lng);

CREATE TRIGGER events_geo_after_insert AFTER INSERT ON events BEGIN
    INSERT INTO events_geo (id, min_lat, max_lat, min_lng, max_lng)
        VALUES (new.rowid, new.lat, new.lat, new.lng, new.lng);
END;

CREATE TRIGGER events_geo_after_update AFTER UPDATE OF lat, lng ON events BEGIN
    UPDATE events_geo
       SET min_lat = new.lat, max_lat = new.lat, min_lng = new.lng, max_lng = new.lng
     WHERE id = new.rowid;
END;

CREATE TRIGGER events_geo_after_delete AFTER DELETE ON events BEGIN
    DELETE FROM events_geo WHERE id = old.rowid;
END;

INSERT INTO events_geo (id, min_lat, max_lat, min_lng, max_lng)
    SELECT rowid, lat, lat, lng, lng FROM events;

-- Filters without a keyword or a place walk the published events in date order.
CREATE INDEX events_published_by_start ON events (starts_at, id) WHERE status = 'published';
