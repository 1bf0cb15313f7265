//! Applies the numbered plain-SQL migrations of `migrations/server/postgres/`, tracked in a
//! `schema_migrations` table: the PostgreSQL twin of `hafla_core::sqlite_migrations`.
//!
//! Each migration runs in its own transaction that first takes a transaction-level
//! advisory lock, then re-reads the version: instances starting together queue on the lock
//! and the later ones find the work done, so nothing is ever applied twice.

use crate::store::StoreError;
use hafla_core::sqlite_migrations::{Migration, MigrationError};
use sqlx::postgres::PgPool;
use sqlx::{Postgres, Transaction};

/// The server schema, embedded from `migrations/server/postgres/`.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "catalog",
        sql: include_str!("../../../../migrations/server/postgres/0001_catalog.sql"),
    },
    Migration {
        version: 2,
        name: "accounts",
        sql: include_str!("../../../../migrations/server/postgres/0002_accounts.sql"),
    },
    Migration {
        version: 3,
        name: "sign_in",
        sql: include_str!("../../../../migrations/server/postgres/0003_sign_in.sql"),
    },
    Migration {
        version: 4,
        name: "coordination",
        sql: include_str!("../../../../migrations/server/postgres/0004_coordination.sql"),
    },
    Migration {
        version: 5,
        name: "event_authoring",
        sql: include_str!("../../../../migrations/server/postgres/0005_event_authoring.sql"),
    },
    Migration {
        version: 6,
        name: "search",
        sql: include_str!("../../../../migrations/server/postgres/0006_search.sql"),
    },
    Migration {
        version: 7,
        name: "search_titles",
        sql: include_str!("../../../../migrations/server/postgres/0007_search_titles.sql"),
    },
    Migration {
        version: 8,
        name: "orders",
        sql: include_str!("../../../../migrations/server/postgres/0008_orders.sql"),
    },
    Migration {
        version: 9,
        name: "payments_and_tickets",
        sql: include_str!("../../../../migrations/server/postgres/0009_payments_and_tickets.sql"),
    },
    Migration {
        version: 10,
        name: "signing_keys",
        sql: include_str!("../../../../migrations/server/postgres/0010_signing_keys.sql"),
    },
    Migration {
        version: 11,
        name: "sync",
        sql: include_str!("../../../../migrations/server/postgres/0011_sync.sql"),
    },
    Migration {
        version: 12,
        name: "geo_search",
        sql: include_str!("../../../../migrations/server/postgres/0012_geo_search.sql"),
    },
    Migration {
        version: 13,
        name: "sync_transactions",
        sql: include_str!("../../../../migrations/server/postgres/0013_sync_transactions.sql"),
    },
    Migration {
        version: 14,
        name: "analytics",
        sql: include_str!("../../../../migrations/server/postgres/0014_analytics.sql"),
    },
];

/// The advisory lock key that serialises migrations (per database): "haflamig" in ASCII.
pub(super) const LOCK_KEY: i64 = 0x6861_666c_616d_6967;

#[derive(Debug)]
pub(super) enum Error {
    Store(StoreError),
    /// A migration's SQL failed; its transaction was rolled back.
    Failed(String),
}

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        Error::Store(e.into())
    }
}

/// The newest migration this build knows.
pub(super) fn latest() -> u32 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

/// The database's schema version: the newest migration applied, 0 for none.
pub(super) async fn current_version<'e>(
    executor: impl sqlx::PgExecutor<'e>,
) -> Result<u32, sqlx::Error> {
    let version: i32 =
        sqlx::query_scalar("SELECT coalesce(max(version), 0) FROM schema_migrations")
            .fetch_one(executor)
            .await?;
    Ok(u32::try_from(version).unwrap_or(0))
}

/// Opens a transaction holding the migration lock, with `schema_migrations` in place,
/// and returns it with the current version.
async fn locked(pool: &PgPool) -> Result<(Transaction<'static, Postgres>, u32), Error> {
    let mut tx = pool.begin().await?;
    // The pool's statement timeout bounds requests, not this: waiting for another instance
    // to finish migrating, or a migration rewriting a large table, may take longer.
    sqlx::query("SET LOCAL statement_timeout = 0")
        .execute(&mut *tx)
        .await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(LOCK_KEY)
        .execute(&mut *tx)
        .await?;
    // Under the lock, so two instances never race to create it.
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version    INTEGER PRIMARY KEY,
            name       TEXT NOT NULL,
            applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
        )",
    )
    .execute(&mut *tx)
    .await?;
    let current = current_version(&mut *tx).await?;
    let known = latest();
    if current > known {
        return Err(Error::Store(StoreError::Migration(
            MigrationError::DatabaseIsNewer {
                found: current,
                known,
            },
        )));
    }
    Ok((tx, current))
}

/// Brings the database up to the last of [`MIGRATIONS`], each in its own transaction.
/// Returns the versions this call applied.
pub(super) async fn apply(pool: &PgPool) -> Result<Vec<u32>, Error> {
    let (tx, mut current) = locked(pool).await?;
    tx.commit().await?;
    let mut applied = vec![];
    for m in MIGRATIONS {
        if m.version <= current {
            continue;
        }
        let (mut tx, now_current) = locked(pool).await?;
        current = now_current;
        if m.version <= current {
            // Another instance applied it while this one waited for the lock.
            continue;
        }
        let failed = |e: sqlx::Error| {
            Error::Failed(format!("migration {} ({}) failed: {e}", m.version, m.name))
        };
        sqlx::raw_sql(m.sql)
            .execute(&mut *tx)
            .await
            .map_err(failed)?;
        sqlx::query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)")
            .bind(i32::try_from(m.version).unwrap_or(i32::MAX))
            .bind(m.name)
            .execute(&mut *tx)
            .await
            .map_err(failed)?;
        tx.commit().await.map_err(failed)?;
        current = m.version;
        applied.push(m.version);
    }
    Ok(applied)
}
