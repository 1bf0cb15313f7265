-- Relevance by title: `title_text` holds the normalized words of an event's titles
-- (Arabic and English; written by the server with hafla-core, like `search_text`), with a
-- word index of its own, so "events whose title holds the words" is an index lookup
-- instead of a test on every matching row. Same schema version as
-- ../sqlite/0007_search_titles.sql.
--
-- Events written before this migration keep an empty `title_text` until their next edit:
-- search still finds them, and ranks them as if no word were in their title.
ALTER TABLE events ADD COLUMN title_text TEXT NOT NULL DEFAULT '';

ALTER TABLE events ADD COLUMN title_vector tsvector
    GENERATED ALWAYS AS (
        array_to_tsvector(array_remove(string_to_array(title_text, ' '), ''))
    ) STORED;

CREATE INDEX events_title_search ON events USING gin (title_vector) WHERE status = 'published';
