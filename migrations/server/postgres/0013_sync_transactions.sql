-- One version per scope per transaction. Until now every row a transaction wrote to a
-- scope bumped the scope's `sync_heads` row again; PostgreSQL keeps every one of those row
-- versions alive until the transaction ends, so each further bump walked a longer chain
-- and a bulk change to one scope (cancelling a large event revokes every ticket in one
-- transaction) took quadratic time. Now the first write of a transaction takes the next
-- version and holds the row lock to the commit (as before: commit order is version
-- order); later writes of the same transaction reuse it. Rows sharing a version are paged
-- in (version, kind, key) order, which the new index serves.

ALTER TABLE sync_heads ADD COLUMN txid BIGINT;

CREATE OR REPLACE FUNCTION sync_touch(p_scope TEXT, p_subject UUID, p_kind TEXT, p_key TEXT, p_deleted BOOLEAN)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v BIGINT;
BEGIN
    INSERT INTO sync_heads AS h (scope_kind, subject, version, epoch, txid)
    VALUES (p_scope, p_subject, 1, floor(random() * 9007199254740991)::bigint, txid_current())
    ON CONFLICT (scope_kind, subject) DO UPDATE SET version = h.version + 1, txid = excluded.txid
        WHERE h.txid IS DISTINCT FROM excluded.txid
    RETURNING h.version INTO v;
    IF v IS NULL THEN
        -- This transaction already took the scope's version (and holds its row).
        SELECT version INTO v FROM sync_heads WHERE scope_kind = p_scope AND subject = p_subject;
    END IF;
    INSERT INTO sync_log (scope_kind, subject, kind, key, version, deleted)
    VALUES (p_scope, p_subject, p_kind, p_key, v, p_deleted)
    ON CONFLICT (scope_kind, subject, kind, key)
        DO UPDATE SET version = excluded.version, deleted = excluded.deleted;
    PERFORM pg_notify('hafla_changes', 'db sync:' || p_scope || ':' || p_subject::text);
END $$;

DROP INDEX sync_log_by_version;
CREATE INDEX sync_log_by_position ON sync_log (scope_kind, subject, version, kind, key)
    INCLUDE (deleted);
