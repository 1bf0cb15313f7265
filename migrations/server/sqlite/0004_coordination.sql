-- State that several server instances share so they act as one: rate-limit budgets and
-- the claims that make a background job run once per period across instances.

-- One row per limited key (the SHA-256 of action, kind and value, so the table never
-- lists the emails or phones that were tried). GCRA: `tat_ms` is the theoretical arrival
-- time in Unix milliseconds; a row whose tat_ms has passed is the same as no row.
CREATE TABLE rate_limits (
    key_hash BLOB PRIMARY KEY NOT NULL CHECK (length(key_hash) = 32),
    tat_ms   INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE INDEX rate_limits_by_tat ON rate_limits (tat_ms);

-- One row per run of a background job: (name, period) is claimed by exactly one instance,
-- period being the Unix time divided by the job's interval.
CREATE TABLE job_runs (
    name        TEXT NOT NULL,
    period      INTEGER NOT NULL,
    holder      TEXT NOT NULL,
    started_at  INTEGER NOT NULL,
    finished_at INTEGER,
    outcome     TEXT,
    PRIMARY KEY (name, period)
) STRICT, WITHOUT ROWID;

CREATE INDEX job_runs_by_start ON job_runs (started_at);
