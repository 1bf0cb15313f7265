//! The PostgreSQL backend: a pool of connections to one database, for servers that run
//! several instances or want a managed database.
//!
//! Same semantics as the SQLite store (the conformance suite proves it). Timestamps are
//! `TIMESTAMPTZ` holding whole seconds: bound as Unix seconds through `to_timestamp($n)`
//! and read back with `extract(epoch from col)::bigint`, so they round-trip exactly as in
//! SQLite. Operations that read then write run in one transaction and lock what they read
//! (`FOR UPDATE`), because unlike SQLite's single writer, PostgreSQL runs them side by side.

mod accounts;
mod catalog;
mod coordination;
mod migrate;
mod orgs;
mod search;
mod sessions;
mod sign_in;

pub use migrate::MIGRATIONS;

use super::StoreError;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use std::str::FromStr;
use std::time::Duration;

/// Announcements a slow cache may fall behind by before it must drop everything.
const CHANGE_BACKLOG: usize = 1024;

/// How [`PgStore::connect`] sizes and bounds its pool.
#[derive(Clone, Debug)]
pub struct PgOptions {
    /// Most connections open at once.
    pub max_connections: u32,
    /// Longest a statement may run before the server cancels it; set on every connection.
    pub statement_timeout: Duration,
    /// Longest to wait for a free connection (and for the first one, at connect).
    pub acquire_timeout: Duration,
}

impl Default for PgOptions {
    fn default() -> Self {
        PgOptions {
            max_connections: 10,
            statement_timeout: Duration::from_secs(5),
            acquire_timeout: Duration::from_secs(10),
        }
    }
}

/// A handle to the server's PostgreSQL database; cheap to clone (the pool is shared).
#[derive(Clone, Debug)]
pub struct PgStore {
    pool: PgPool,
    /// Changes heard from every instance; see [`coordination`].
    changes: tokio::sync::broadcast::Sender<crate::store::Change>,
}

impl PgStore {
    /// Connects to `url` (`postgres://user:password@host:port/database`) and applies the
    /// migrations this build knows. Errors name the database without its credentials.
    pub async fn connect(url: &str, options: PgOptions) -> Result<PgStore, StoreError> {
        let open_error = |reason: String| StoreError::Open {
            path: redact_url(url),
            reason,
        };
        let connect_options =
            PgConnectOptions::from_str(url).map_err(|e| open_error(e.to_string()))?;
        let timeout_ms = options.statement_timeout.as_millis().to_string();
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections)
            .acquire_timeout(options.acquire_timeout)
            .after_connect(move |conn, _meta| {
                let timeout_ms = timeout_ms.clone();
                Box::pin(async move {
                    // `SET statement_timeout`, with the value bound rather than spliced in.
                    sqlx::query("SELECT set_config('statement_timeout', $1, false)")
                        .bind(timeout_ms)
                        .execute(conn)
                        .await?;
                    Ok(())
                })
            })
            .connect_with(connect_options)
            .await
            .map_err(|e| open_error(e.to_string()))?;
        let applied = migrate::apply(&pool).await.map_err(|e| match e {
            migrate::Error::Store(e) => e,
            migrate::Error::Failed(reason) => open_error(reason),
        })?;
        if !applied.is_empty() {
            tracing::info!(?applied, database = %redact_url(url), "applied migrations");
        }
        let (changes, _) = tokio::sync::broadcast::channel(CHANGE_BACKLOG);
        coordination::spawn_listener(pool.clone(), changes.clone());
        Ok(PgStore { pool, changes })
    }

    pub(super) fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Closes every connection; later calls fail.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// `url` with only what identifies the database: scheme, host, port and database name.
/// Database URLs may carry passwords (and other secrets in the query), so errors and logs
/// show this instead.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) => {
            let host = u.host_str().unwrap_or("");
            let port = u.port().map(|p| format!(":{p}")).unwrap_or_default();
            format!("{}://{host}{port}{}", u.scheme(), u.path())
        }
        Err(_) => "<unparseable database URL>".into(),
    }
}

pub(super) use crate::store::rows::{secs, timestamp};

/// A 32-byte hash read from a `BYTEA` column.
pub(super) fn hash32(bytes: Vec<u8>, what: &str) -> Result<[u8; 32], StoreError> {
    bytes
        .try_into()
        .map_err(|_| StoreError::Corrupt(format!("{what} is not 32 bytes")))
}

#[cfg(test)]
mod tests;
