-- Relevance by title: `title_text` holds the normalized words of an event's titles
-- (Arabic and English; written by the server with hafla-core, like `search_text`), and the
-- full-text index gains it as a column of its own, so "events whose title holds the words"
-- is an index lookup (a column filter) instead of a test on every matching row.
--
-- Events written before this migration keep an empty `title_text` until their next edit:
-- search still finds them, and ranks them as if no word were in their title.
ALTER TABLE events ADD COLUMN title_text TEXT NOT NULL DEFAULT '';

DROP TRIGGER events_fts_after_insert;
DROP TRIGGER events_fts_after_update;
DROP TRIGGER events_fts_after_delete;
DROP TABLE events_fts;

CREATE VIRTUAL TABLE events_fts USING fts5(
    title_text,
    search_text,
    content = 'events',
    content_rowid = 'rowid',
    tokenize = 'ascii',
    prefix = '2 3'
);

CREATE TRIGGER events_fts_after_insert AFTER INSERT ON events BEGIN
    INSERT INTO events_fts (rowid, title_text, search_text)
        VALUES (new.rowid, new.title_text, new.search_text);
END;

CREATE TRIGGER events_fts_after_update AFTER UPDATE OF title_text, search_text ON events BEGIN
    INSERT INTO events_fts (events_fts, rowid, title_text, search_text)
        VALUES ('delete', old.rowid, old.title_text, old.search_text);
    INSERT INTO events_fts (rowid, title_text, search_text)
        VALUES (new.rowid, new.title_text, new.search_text);
END;

CREATE TRIGGER events_fts_after_delete AFTER DELETE ON events BEGIN
    INSERT INTO events_fts (events_fts, rowid, title_text, search_text)
        VALUES ('delete', old.rowid, old.title_text, old.search_text);
END;

INSERT INTO events_fts (events_fts) VALUES ('rebuild');
