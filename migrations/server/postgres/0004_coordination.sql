-- State that several server instances share so they act as one: rate-limit budgets and
-- the claims that make a background job run once per period across instances.

-- One row per limited key (the SHA-256 of action, kind and value, so the table never
-- lists the emails or phones that were tried). GCRA: `tat_ms` is the theoretical arrival
-- time in Unix milliseconds; a row whose tat_ms has passed is the same as no row.
CREATE TABLE rate_limits (
    key_hash BYTEA PRIMARY KEY CHECK (length(key_hash) = 32),
    tat_ms   BIGINT NOT NULL
);

CREATE INDEX rate_limits_by_tat ON rate_limits (tat_ms);

-- One row per run of a background job: (name, period) is claimed by exactly one instance,
-- period being the Unix time divided by the job's interval.
CREATE TABLE job_runs (
    name        TEXT NOT NULL,
    period      BIGINT NOT NULL,
    holder      TEXT NOT NULL,
    started_at  TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    outcome     TEXT,
    PRIMARY KEY (name, period)
);

CREATE INDEX job_runs_by_start ON job_runs (started_at);
