//! What server instances coordinate through PostgreSQL: rate-limit budgets (one atomic
//! upsert each), run-once job claims (a primary key decides the winner) and change
//! announcements (`NOTIFY` inside the changing transaction, `LISTEN` on one pooled
//! connection per instance).

use super::{PgStore, secs};
use crate::store::{Change, CoordinationStore, PurgeCutoffs, RateRule, StoreError};
use async_trait::async_trait;
use sqlx::postgres::{PgListener, PgPool};
use sqlx::{Postgres, Transaction};
use std::time::Duration;
use tokio::sync::broadcast;
use uuid::Uuid;

/// The notification channel every instance listens on.
const CHANNEL: &str = "hafla_changes";

impl PgStore {
    /// Announces `changes` inside `tx` (delivered to every instance when it commits), commits,
    /// and tells this instance's caches at once rather than after the round trip.
    pub(super) async fn commit_announcing(
        &self,
        mut tx: Transaction<'static, Postgres>,
        changes: &[Change],
    ) -> Result<(), StoreError> {
        for change in changes {
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(CHANNEL)
                .bind(format!("{} {}", self.instance, change.payload()))
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        for change in changes {
            // No receiver yet is fine: nothing is cached.
            let _ = self.changes.send(change.clone());
        }
        Ok(())
    }
}

/// Ends the change listener when the last handle of its store is dropped, so the task and
/// the pool's connections do not outlive the store.
#[derive(Debug)]
pub(super) struct ListenerGuard(#[allow(dead_code)] tokio::sync::oneshot::Sender<()>);

/// Listens, then forwards notifications from the other instances to `changes` until the
/// pool closes or the returned guard is dropped. It returns once listening, so nothing the
/// store's users cache can predate it. When the listening connection drops, notifications
/// sent meanwhile are lost, so it announces [`Change::Everything`] once it listens again.
pub(super) async fn start_listener(
    pool: PgPool,
    changes: broadcast::Sender<Change>,
    instance: Uuid,
) -> Result<ListenerGuard, StoreError> {
    let listening = listen(&pool).await?;
    let (guard, stopped) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        tokio::select! {
            _ = stopped => {}
            _ = forward_changes(pool, changes, instance, listening) => {}
        }
    });
    Ok(ListenerGuard(guard))
}

async fn forward_changes(
    pool: PgPool,
    changes: broadcast::Sender<Change>,
    instance: Uuid,
    listening: PgListener,
) {
    let mut listener = Some(listening);
    while !pool.is_closed() {
        let Some(active) = listener.as_mut() else {
            match listen(&pool).await {
                Ok(l) => {
                    listener = Some(l);
                    let _ = changes.send(Change::Everything);
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot listen for changes; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
            continue;
        };
        match active.try_recv().await {
            Ok(Some(n)) => {
                // "<instance> <change>": this instance's own were announced at commit.
                let (from, change) = n.payload().split_once(' ').unwrap_or(("", ""));
                if from != instance.to_string() {
                    let _ = changes.send(Change::from_payload(change));
                }
            }
            // The connection dropped; the next call reconnects and listens again.
            Ok(None) => {
                tracing::warn!("lost the change listener's connection");
                listener = None;
            }
            Err(sqlx::Error::PoolClosed) => break,
            Err(e) => {
                tracing::warn!(error = %e, "change listener failed; retrying");
                listener = None;
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

async fn listen(pool: &PgPool) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

#[async_trait]
impl CoordinationStore for PgStore {
    /// One statement: under concurrency PostgreSQL re-checks the `WHERE` against the row
    /// as the previous writer left it, so a budget is never overspent.
    async fn take_rate_limit(
        &self,
        key_hash: [u8; 32],
        rule: RateRule,
        now_ms: i64,
    ) -> Result<Option<i64>, StoreError> {
        self.write(async {
            let taken: Option<i64> = sqlx::query_scalar(
                "INSERT INTO rate_limits (key_hash, tat_ms) VALUES ($1, $2 + $3)
                 ON CONFLICT (key_hash) DO UPDATE
                   SET tat_ms = GREATEST(rate_limits.tat_ms, $2) + $3
                   WHERE GREATEST(rate_limits.tat_ms, $2) + $3 - $2 <= $4
                 RETURNING tat_ms",
            )
            .bind(&key_hash[..])
            .bind(now_ms)
            .bind(rule.emission_ms)
            .bind(rule.tolerance_ms())
            .fetch_optional(self.pool())
            .await?;
            if taken.is_some() {
                return Ok(None);
            }
            let tat: i64 = sqlx::query_scalar("SELECT tat_ms FROM rate_limits WHERE key_hash = $1")
                .bind(&key_hash[..])
                .fetch_optional(self.pool())
                .await?
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
        self.write(async {
            let claimed = sqlx::query(
                "INSERT INTO job_runs (name, period, holder, started_at)
                 VALUES ($1, $2, $3, to_timestamp($4)) ON CONFLICT DO NOTHING",
            )
            .bind(name)
            .bind(period)
            .bind(holder)
            .bind(secs(now))
            .execute(self.pool())
            .await?
            .rows_affected();
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
        self.write(async {
            sqlx::query(
                "UPDATE job_runs SET finished_at = to_timestamp($3), outcome = $4
                 WHERE name = $1 AND period = $2",
            )
            .bind(name)
            .bind(period)
            .bind(secs(now))
            .bind(outcome)
            .execute(self.pool())
            .await?;
            Ok(())
        })
        .await
    }

    async fn purge_expired(&self, now: jiff::Timestamp) -> Result<u64, StoreError> {
        self.write(async {
            let cut = PurgeCutoffs::at(now);
            let mut tx = self.pool().begin().await?;
            let mut deleted = 0;
            for (table, column, is_time, cutoff) in cut.purges() {
                // Names come from the fixed list above, never from input.
                let bound = if is_time { "to_timestamp($1)" } else { "$1" };
                let sql = format!("DELETE FROM {table} WHERE {column} < {bound}");
                deleted += sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(cutoff)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            }
            tx.commit().await?;
            Ok(deleted)
        })
        .await
    }

    fn pool_status(&self) -> Option<crate::store::PoolStatus> {
        let pool = self.pool();
        Some(crate::store::PoolStatus {
            open: pool.size(),
            idle: u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
            max: pool.options().get_max_connections(),
        })
    }

    fn subscribe_changes(&self) -> broadcast::Receiver<Change> {
        self.changes.subscribe()
    }
}
