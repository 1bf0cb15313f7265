-- Door state (what a door device needs to admit offline) and the append-only scan log.
-- Secrets (rotating-code event secrets) are not stored here: they live in the OS keyring.

CREATE TABLE door_events (
    event_ref          INTEGER PRIMARY KEY NOT NULL,
    event_id           BLOB NOT NULL CHECK (length(event_id) = 16),
    time_zone          TEXT NOT NULL DEFAULT 'Asia/Amman',
    rotating           INTEGER NOT NULL DEFAULT 0 CHECK (rotating IN (0, 1)),
    rotating_step_secs INTEGER NOT NULL DEFAULT 15 CHECK (rotating_step_secs > 0),
    rotating_tolerance INTEGER NOT NULL DEFAULT 1 CHECK (rotating_tolerance >= 0)
) STRICT;

CREATE TABLE door_keys (
    event_ref  INTEGER NOT NULL REFERENCES door_events (event_ref),
    key_id     INTEGER NOT NULL,
    public_key BLOB NOT NULL CHECK (length(public_key) = 32),
    PRIMARY KEY (event_ref, key_id)
) STRICT, WITHOUT ROWID;

CREATE TABLE door_ticket_types (
    event_ref    INTEGER NOT NULL REFERENCES door_events (event_ref),
    ticket_type  INTEGER NOT NULL,
    type_id      BLOB NOT NULL CHECK (length(type_id) = 16),
    entry_policy TEXT NOT NULL CHECK (entry_policy IN ('single_entry', 'multi_entry', 'in_and_out')),
    PRIMARY KEY (event_ref, ticket_type)
) STRICT, WITHOUT ROWID;

CREATE TABLE door_revocations (
    event_ref     INTEGER NOT NULL,
    ticket_serial INTEGER NOT NULL,
    reason        TEXT NOT NULL CHECK (reason IN ('refunded', 'cancelled', 'transferred')),
    revoked_at    INTEGER NOT NULL,
    PRIMARY KEY (event_ref, ticket_serial)
) STRICT, WITHOUT ROWID;

-- Every scan, by this device (device_id = ours, seq 1, 2, 3…) or learned from others.
-- Keyed by (device_id, seq): each device's log is append-only, so that pair identifies a
-- scan and makes merging idempotent. Two b-trees per insert (this and scans_by_ticket)
-- keep a recorded scan well under a millisecond.
CREATE TABLE scans (
    device_id      BLOB NOT NULL CHECK (length(device_id) = 16),
    seq            INTEGER NOT NULL,
    id             BLOB NOT NULL CHECK (length(id) = 16),
    event_ref      INTEGER NOT NULL,
    ticket_serial  INTEGER,
    ticket_type    INTEGER,
    gate           TEXT NOT NULL,
    direction      TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    device_time_ms INTEGER NOT NULL,
    hlc            INTEGER NOT NULL,
    verdict        TEXT NOT NULL,
    effect         TEXT NOT NULL CHECK (effect IN ('entered', 'exited', 'refused')),
    PRIMARY KEY (device_id, seq)
) STRICT, WITHOUT ROWID;

-- One ticket's history without touching the rest of the log.
CREATE INDEX scans_by_ticket ON scans (event_ref, ticket_serial, hlc);
