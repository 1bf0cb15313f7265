//! Coordination state in SQLite. With one server instance per database file there is no
//! other instance to coordinate with, but the same rows keep rate limits and job runs
//! across restarts, and the behaviour matches PostgreSQL's (the conformance suite).

use super::{SqliteStore, secs};
use crate::store::{Change, CoordinationStore, PurgeCutoffs, RateRule, StoreError};
use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};
use tokio::sync::broadcast;

#[async_trait]
impl CoordinationStore for SqliteStore {
    async fn take_rate_limit(
        &self,
        key_hash: [u8; 32],
        rule: RateRule,
        now_ms: i64,
    ) -> Result<Option<i64>, StoreError> {
        self.write(move |tx| {
            let taken: Option<i64> = tx
                .query_row(
                    "INSERT INTO rate_limits (key_hash, tat_ms) VALUES (?1, ?2 + ?3)
                     ON CONFLICT (key_hash) DO UPDATE
                       SET tat_ms = MAX(rate_limits.tat_ms, ?2) + ?3
                       WHERE MAX(rate_limits.tat_ms, ?2) + ?3 - ?2 <= ?4
                     RETURNING tat_ms",
                    params![key_hash, now_ms, rule.emission_ms, rule.tolerance_ms()],
                    |r| r.get(0),
                )
                .optional()?;
            if taken.is_some() {
                return Ok(None);
            }
            let tat: i64 = tx
                .query_row(
                    "SELECT tat_ms FROM rate_limits WHERE key_hash = ?1",
                    [key_hash],
                    |r| r.get(0),
                )
                .optional()?
                .unwrap_or(now_ms);
            Ok(Some(rule.wait_ms(tat, now_ms)))
        })
        .await
    }

    async fn claim_job_run(
        &self,
        name: &str,
        period: i64,
        holder: &str,
        now: jiff::Timestamp,
    ) -> Result<bool, StoreError> {
        let (name, holder) = (name.to_owned(), holder.to_owned());
        self.write(move |tx| {
            let claimed = tx.execute(
                "INSERT INTO job_runs (name, period, holder, started_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT DO NOTHING",
                params![name, period, holder, secs(now)],
            )?;
            Ok(claimed == 1)
        })
        .await
    }

    async fn finish_job_run(
        &self,
        name: &str,
        period: i64,
        outcome: &str,
        now: jiff::Timestamp,
    ) -> Result<(), StoreError> {
        let (name, outcome) = (name.to_owned(), outcome.to_owned());
        self.write(move |tx| {
            tx.execute(
                "UPDATE job_runs SET finished_at = ?3, outcome = ?4 WHERE name = ?1 AND period = ?2",
                params![name, period, secs(now), outcome],
            )?;
            Ok(())
        })
        .await
    }

    async fn purge_expired(&self, now: jiff::Timestamp) -> Result<u64, StoreError> {
        let cut = PurgeCutoffs::at(now);
        self.write(move |tx| {
            let mut deleted = 0;
            for (table, column, _, cutoff) in cut.purges() {
                // Names come from a fixed list, never from input.
                let sql = format!("DELETE FROM {table} WHERE {column} < ?1");
                deleted += tx.execute(&sql, [cutoff])? as u64;
            }
            Ok(deleted)
        })
        .await
    }

    fn subscribe_changes(&self) -> broadcast::Receiver<Change> {
        self.inner.changes.subscribe()
    }
}
