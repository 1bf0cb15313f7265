-- PostgreSQL's migration of this number gives every row one transaction writes to a scope
-- one version. SQLite keeps one version per row written (its one writer makes each bump
-- cheap), so its log needs no change; this file keeps both backends' migrations in step.
SELECT 1;
