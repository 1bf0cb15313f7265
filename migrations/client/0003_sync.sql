-- The sync engine's copy of the server's scopes, the outbox of this device's changes, and
-- the typed projections the app reads fast. Nothing secret: tokens stay in the OS keyring.

-- Where each scope's pull stands. A page's rows and its cursor are written in one
-- transaction, so a process killed at any moment resumes from the last committed cursor.
CREATE TABLE sync_state (
    scope             TEXT PRIMARY KEY NOT NULL,
    -- Opaque, from the server; NULL until the first page is applied.
    cursor            TEXT,
    -- Live rows of the scope on the server, as the last page said (for a progress bar).
    total             INTEGER NOT NULL DEFAULT 0,
    -- Live rows held here (kept with each page, so progress needs no count).
    rows              INTEGER NOT NULL DEFAULT 0,
    -- 1 once a pull reached the last page and its digest matched ours.
    complete          INTEGER NOT NULL DEFAULT 0 CHECK (complete IN (0, 1)),
    -- Unix seconds of the last digest comparison that matched.
    digest_checked_at INTEGER,
    -- door scopes: the event's credential number, once its door_event row arrived.
    event_ref         INTEGER
) STRICT;

-- Every live row of every scope, as the server sent it (data: the entity's JSON). The
-- digest (count, wrapping sum of versions) is computed from here.
CREATE TABLE sync_rows (
    scope   TEXT NOT NULL,
    kind    TEXT NOT NULL,
    key     TEXT NOT NULL,
    version INTEGER NOT NULL,
    data    TEXT NOT NULL,
    PRIMARY KEY (scope, kind, key)
) STRICT, WITHOUT ROWID;

-- catalog: published events, with the words offline search matches (written with
-- hafla-core's search_text, like the server's index, so both agree on every spelling).
CREATE TABLE catalog_events (
    id          TEXT PRIMARY KEY NOT NULL,
    starts_at   INTEGER NOT NULL,
    data        TEXT NOT NULL,
    title_text  TEXT NOT NULL,
    search_text TEXT NOT NULL
) STRICT;

CREATE INDEX catalog_events_by_start ON catalog_events (starts_at, id);

-- The words are already normalized tokens separated by spaces, hence the ascii tokenizer
-- (it splits on spaces and leaves every non-ASCII character inside its word).
CREATE VIRTUAL TABLE catalog_fts USING fts5(
    title_text,
    search_text,
    content = 'catalog_events',
    content_rowid = 'rowid',
    tokenize = 'ascii',
    prefix = '2 3'
);

CREATE TRIGGER catalog_fts_after_insert AFTER INSERT ON catalog_events BEGIN
    INSERT INTO catalog_fts (rowid, title_text, search_text)
        VALUES (new.rowid, new.title_text, new.search_text);
END;

CREATE TRIGGER catalog_fts_after_update AFTER UPDATE ON catalog_events BEGIN
    INSERT INTO catalog_fts (catalog_fts, rowid, title_text, search_text)
        VALUES ('delete', old.rowid, old.title_text, old.search_text);
    INSERT INTO catalog_fts (rowid, title_text, search_text)
        VALUES (new.rowid, new.title_text, new.search_text);
END;

CREATE TRIGGER catalog_fts_after_delete AFTER DELETE ON catalog_events BEGIN
    INSERT INTO catalog_fts (catalog_fts, rowid, title_text, search_text)
        VALUES ('delete', old.rowid, old.title_text, old.search_text);
END;

-- me: the tickets the person holds, with their credential text so QR codes render offline.
CREATE TABLE my_tickets (
    id        TEXT PRIMARY KEY NOT NULL,
    event_id  TEXT NOT NULL,
    starts_at INTEGER NOT NULL,
    data      TEXT NOT NULL
) STRICT;

CREATE INDEX my_tickets_by_start ON my_tickets (starts_at, id);

-- door:{event}: the door list (what the door knows of each ticket; revocations are in
-- door_revocations, which the verifier reads).
CREATE TABLE door_tickets (
    event_ref   INTEGER NOT NULL,
    serial      INTEGER NOT NULL,
    ticket_type INTEGER NOT NULL,
    PRIMARY KEY (event_ref, serial)
) STRICT, WITHOUT ROWID;

-- door:{event}: scans the server flagged for staff.
CREATE TABLE door_conflicts (
    event_ref     INTEGER NOT NULL,
    scan_id       TEXT NOT NULL,
    kind          TEXT NOT NULL,
    ticket_serial INTEGER NOT NULL,
    data          TEXT NOT NULL,
    PRIMARY KEY (event_ref, scan_id)
) STRICT, WITHOUT ROWID;

-- This device's changes waiting for the server's answer. The server applies a device's
-- numbers 1, 2, 3… once each and in order, without gaps. AUTOINCREMENT never reuses a
-- number, even after the outbox empties, and a rolled-back insert takes its number back
-- with it (sqlite_sequence is written in the same transaction), so there are no gaps.
CREATE TABLE outbox (
    number     INTEGER PRIMARY KEY AUTOINCREMENT,
    id         BLOB NOT NULL CHECK (length(id) = 16),
    op         TEXT NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

-- Mutations the server refused for good, for the app to show (the outbox moved past them).
CREATE TABLE rejected_mutations (
    number      INTEGER PRIMARY KEY NOT NULL,
    id          BLOB NOT NULL CHECK (length(id) = 16),
    op          TEXT NOT NULL,
    code        TEXT NOT NULL,
    message     TEXT NOT NULL,
    rejected_at INTEGER NOT NULL
) STRICT;
