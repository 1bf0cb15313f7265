//! The PostgreSQL backend: a pool of connections to one database, for servers that run
//! several instances or want a managed database.
//!
//! Same semantics as the SQLite store (the conformance suite proves it). Timestamps are
//! `TIMESTAMPTZ` holding whole seconds: bound as Unix seconds through `to_timestamp($n)`
//! and read back with `extract(epoch from col)::bigint`, so they round-trip exactly as in
//! SQLite. Operations that read then write run in one transaction and lock what they read
//! (`FOR UPDATE`), because unlike SQLite's single writer, PostgreSQL runs them side by side.

mod accounts;
mod analytics;
mod catalog;
mod coordination;
mod events;
mod migrate;
mod orders;
mod orgs;
mod payments;
mod search;
mod sessions;
mod sign_in;
mod signing_keys;
mod sync;
mod tickets;

pub use migrate::MIGRATIONS;

use super::{StoreError, timed};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use std::future::Future;
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
    /// Longest to wait for a free connection (and for the first one, at connect). While the
    /// database is down, requests fail as unavailable after this long.
    pub acquire_timeout: Duration,
}

impl Default for PgOptions {
    fn default() -> Self {
        PgOptions {
            max_connections: 10,
            statement_timeout: Duration::from_secs(5),
            acquire_timeout: Duration::from_secs(5),
        }
    }
}

/// A handle to the server's PostgreSQL database; cheap to clone (the pool is shared).
#[derive(Clone, Debug)]
pub struct PgStore {
    pool: PgPool,
    /// The change listener's one connection.
    listen_pool: PgPool,
    /// Changes heard from every instance; see [`coordination`].
    changes: tokio::sync::broadcast::Sender<crate::store::Change>,
    /// Signs this store's notifications, so its listener skips what it already announced.
    instance: uuid::Uuid,
    /// Stops the change listener when the last clone of this store is dropped.
    _listener: std::sync::Arc<coordination::ListenerGuard>,
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
            // No ping before handing out a connection: it would add a round trip to every
            // request. A connection the database dropped fails its next statement as
            // unavailable (503, Retry-After) and is closed; the next request opens anew.
            .test_before_acquire(false)
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
            .connect_with(connect_options.clone())
            .await
            .map_err(|e| match e {
                // The pool retries refused connections until the timeout, then says only
                // that it timed out.
                sqlx::Error::PoolTimedOut => open_error(format!(
                    "no connection within {} s: is the database running, and is this its address?",
                    options.acquire_timeout.as_secs_f64()
                )),
                e => open_error(e.to_string()),
            })?;
        let applied = migrate::apply(&pool).await.map_err(|e| match e {
            migrate::Error::Store(e) => e,
            migrate::Error::Failed(reason) => open_error(reason),
        })?;
        if !applied.is_empty() {
            tracing::info!(?applied, database = %redact_url(url), "applied migrations");
        }
        let (changes, _) = tokio::sync::broadcast::channel(CHANGE_BACKLOG);
        let instance = uuid::Uuid::new_v4();
        // A connection of its own, so listening never takes one from the requests' pool.
        let listen_pool = PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(options.acquire_timeout)
            .connect_lazy_with(connect_options);
        let listener = coordination::start_listener(listen_pool.clone(), changes.clone(), instance)
            .await
            .map_err(|e| match e {
                StoreError::Unavailable(reason) => open_error(reason),
                other => other,
            })?;
        Ok(PgStore {
            pool,
            listen_pool,
            changes,
            instance,
            _listener: std::sync::Arc::new(listener),
        })
    }

    pub(super) fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Runs one operation that only reads, timed as `db_query_seconds{kind="read"}`.
    pub(super) async fn read<T>(
        &self,
        operation: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        timed("read", operation).await
    }

    /// Runs one operation that writes, timed as `db_query_seconds{kind="write"}`.
    pub(super) async fn write<T>(
        &self,
        operation: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        timed("write", operation).await
    }

    /// Closes every connection; later calls fail.
    pub async fn close(&self) {
        self.pool.close().await;
        self.listen_pool.close().await;
    }
}

/// Errors that mean the database cannot be reached or cannot take work right now become
/// [`StoreError::Unavailable`]; every other error stays [`StoreError::Postgres`].
impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if is_unavailable(&e) {
            StoreError::Unavailable(e.to_string())
        } else {
            StoreError::Postgres(e)
        }
    }
}

/// Whether `e` says the database is down, restarting, unreachable or out of connections,
/// rather than that this request went wrong.
fn is_unavailable(e: &sqlx::Error) -> bool {
    match e {
        // No connection came free (or could be opened) within the acquire timeout.
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed => true,
        // Refused, reset, closed or broken connections.
        sqlx::Error::Io(_) => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| unavailable_sqlstate(&code)),
        _ => false,
    }
}

/// SQLSTATEs of a server that is going away, starting up or full
/// (<https://www.postgresql.org/docs/current/errcodes-appendix.html>).
fn unavailable_sqlstate(code: &str) -> bool {
    matches!(
        code,
        // admin_shutdown (the server is stopping), crash_shutdown, cannot_connect_now
        // (starting up or shutting down), idle_session_timeout
        "57P01" | "57P02" | "57P03" | "57P05"
        // too_many_connections
        | "53300"
    )
    // Class 08, connection exceptions, except protocol_violation (a bug, not an outage).
    || (code.starts_with("08") && code != "08P01")
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
