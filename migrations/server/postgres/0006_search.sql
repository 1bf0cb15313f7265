-- Event search: a full-text index over `events.search_text` and a spatial index of event
-- locations. Same schema version as ../sqlite/0006_search.sql.
--
-- `search_text` is already normalized by hafla-core (lowercase, Arabic letters unified,
-- articles stripped, tokens joined by single spaces), so its words become lexemes as they
-- are: split on the spaces, no parser and no dictionary (`to_tsvector('simple', …)` would
-- run PostgreSQL's parser, which splits and classifies words by rules of its own). Queries
-- are built from the same tokens, so both sides agree, and agree with SQLite's index.
ALTER TABLE events ADD COLUMN search_vector tsvector
    GENERATED ALWAYS AS (
        array_to_tsvector(array_remove(string_to_array(search_text, ' '), ''))
    ) STORED;

-- Only published events are ever searched.
CREATE INDEX events_search ON events USING gin (search_vector) WHERE status = 'published';

-- Event locations for the "near a point" bounding box (built-in point type, GiST; no
-- extension). The query repeats this expression exactly.
CREATE INDEX events_location ON events USING gist (point(lng, lat)) WHERE status = 'published';

-- Filters without a keyword or a place walk the published events in date order.
CREATE INDEX events_published_by_start ON events (starts_at, id) WHERE status = 'published';
