//! The embedded SQLite backend: one file in the data directory, WAL mode.

mod accounts;
mod analytics;
mod catalog;
mod coordination;
mod events;
mod orders;
mod orgs;
mod payments;
mod search;
mod sessions;
mod sign_in;
mod signing_keys;
mod sync;
mod tickets;

use super::{Change, StoreError, timed};
use hafla_core::sqlite_migrations::{self, Migration};
use rusqlite::Connection;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The server schema, embedded from `migrations/server/sqlite/`.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "catalog",
        sql: include_str!("../../../../migrations/server/sqlite/0001_catalog.sql"),
    },
    Migration {
        version: 2,
        name: "accounts",
        sql: include_str!("../../../../migrations/server/sqlite/0002_accounts.sql"),
    },
    Migration {
        version: 3,
        name: "sign_in",
        sql: include_str!("../../../../migrations/server/sqlite/0003_sign_in.sql"),
    },
    Migration {
        version: 4,
        name: "coordination",
        sql: include_str!("../../../../migrations/server/sqlite/0004_coordination.sql"),
    },
    Migration {
        version: 5,
        name: "event_authoring",
        sql: include_str!("../../../../migrations/server/sqlite/0005_event_authoring.sql"),
    },
    Migration {
        version: 6,
        name: "search",
        sql: include_str!("../../../../migrations/server/sqlite/0006_search.sql"),
    },
    Migration {
        version: 7,
        name: "search_titles",
        sql: include_str!("../../../../migrations/server/sqlite/0007_search_titles.sql"),
    },
    Migration {
        version: 8,
        name: "orders",
        sql: include_str!("../../../../migrations/server/sqlite/0008_orders.sql"),
    },
    Migration {
        version: 9,
        name: "payments_and_tickets",
        sql: include_str!("../../../../migrations/server/sqlite/0009_payments_and_tickets.sql"),
    },
    Migration {
        version: 10,
        name: "signing_keys",
        sql: include_str!("../../../../migrations/server/sqlite/0010_signing_keys.sql"),
    },
    Migration {
        version: 11,
        name: "sync",
        sql: include_str!("../../../../migrations/server/sqlite/0011_sync.sql"),
    },
    Migration {
        version: 12,
        name: "geo_search",
        sql: include_str!("../../../../migrations/server/sqlite/0012_geo_search.sql"),
    },
    Migration {
        version: 13,
        name: "sync_transactions",
        sql: include_str!("../../../../migrations/server/sqlite/0013_sync_transactions.sql"),
    },
    Migration {
        version: 14,
        name: "analytics",
        sql: include_str!("../../../../migrations/server/sqlite/0014_analytics.sql"),
    },
];

/// The database file's name inside the data directory.
pub const DB_FILE: &str = "hafla.db";

/// Announcements a slow cache may fall behind by before it must drop everything.
const CHANGE_BACKLOG: usize = 1024;

/// Readers kept open for reuse; more are opened on demand under load.
const IDLE_READERS: usize = 4;

/// A handle to the server's SQLite database; cheap to clone.
///
/// All work runs on tokio's blocking pool so the async runtime never waits on disk. One
/// writer connection behind a mutex serialises writes (SQLite allows one writer; queueing
/// in-process beats spinning on `SQLITE_BUSY`), and write transactions start `IMMEDIATE`
/// so a read-then-write never fails half-way. Reads use their own connections and, thanks
/// to WAL, never wait for the writer.
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
    /// Changes committed through this store (the only writer: SQLite serves one instance).
    changes: tokio::sync::broadcast::Sender<Change>,
}

impl SqliteStore {
    /// Creates the data directory if needed, opens `hafla.db` in it and applies migrations.
    pub fn open(data_dir: &Path) -> Result<Self, StoreError> {
        Self::open_file(&data_dir.join(DB_FILE))
    }

    /// Opens (creating it and its folder if needed) the database file `path`.
    pub fn open_file(path: &Path) -> Result<Self, StoreError> {
        let folder = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(folder).map_err(|e| StoreError::DataDir {
            path: folder.display().to_string(),
            reason: e.to_string(),
        })?;
        let path = path.to_path_buf();
        let mut writer = open_connection(&path)?;
        // WAL lets readers proceed during a write; NORMAL syncs at checkpoints, durable
        // against process crashes.
        writer
            .pragma_update(None, "journal_mode", "WAL")
            .map_err(|e| open_error(&path, e))?;
        sqlite_migrations::apply(&mut writer, MIGRATIONS)?;
        Ok(SqliteStore {
            inner: Arc::new(Inner {
                path,
                writer: Mutex::new(writer),
                readers: Mutex::new(Vec::new()),
                changes: tokio::sync::broadcast::channel(CHANGE_BACKLOG).0,
            }),
        })
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Tells this instance's caches about a committed change.
    pub(super) fn announce(&self, change: Change) {
        // No receiver yet is fine: nothing is cached.
        let _ = self.inner.changes.send(change);
    }

    /// Runs `f` inside one IMMEDIATE transaction on the writer, on the blocking pool.
    pub(super) async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Transaction<'_>) -> Result<T, StoreError> + Send + 'static,
    {
        let inner = self.inner.clone();
        let queued = std::time::Instant::now();
        let work = blocking(move || {
            let mut conn = inner.writer.lock().unwrap_or_else(|p| p.into_inner());
            // How long this write queued for the one writer (and a blocking thread): the
            // SQLite counterpart of waiting for a pool connection.
            metrics::histogram!("hafla_db_writer_wait_seconds")
                .record(queued.elapsed().as_secs_f64());
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let value = f(&tx)?;
            let touched = sync::take_touched(&tx)?;
            tx.commit()?;
            for scope in touched {
                let _ = inner.changes.send(Change::Scope(scope));
            }
            Ok(value)
        });
        timed("write", work).await
    }

    /// Runs `f` on a reader connection, on the blocking pool.
    pub(super) async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let inner = self.inner.clone();
        let work = blocking(move || {
            let pooled = inner
                .readers
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .pop();
            let conn = match pooled {
                Some(conn) => conn,
                None => open_connection(&inner.path)?,
            };
            let result = f(&conn);
            let mut idle = inner.readers.lock().unwrap_or_else(|p| p.into_inner());
            if idle.len() < IDLE_READERS {
                idle.push(conn);
            }
            result
        });
        timed("read", work).await
    }
}

async fn blocking<T, F>(f: F) -> Result<T, StoreError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, StoreError> + Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?
}

/// How long a connection waits for a lock another process holds (a backup, the CLI) before
/// the operation fails as [`StoreError::Unavailable`].
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// A database still locked by someone else after [`BUSY_TIMEOUT`] is unavailable for the
/// moment; every other error is a plain SQLite error.
impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
                StoreError::Unavailable(e.to_string())
            }
            _ => StoreError::Sqlite(e),
        }
    }
}

fn open_error(path: &Path, e: rusqlite::Error) -> StoreError {
    StoreError::Open {
        path: path.display().to_string(),
        reason: e.to_string(),
    }
}

fn open_connection(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open(path).map_err(|e| open_error(path, e))?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", true)?;
    // Other processes (backup, CLI) may hold the lock briefly.
    conn.busy_timeout(BUSY_TIMEOUT)?;
    search::register_functions(&conn)?;
    Ok(conn)
}

pub(super) use crate::store::rows::{secs, timestamp};

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_sqlite_store_passes_the_conformance_suite() {
        let dirs = Arc::new(Mutex::new(Vec::new()));
        crate::store::run_conformance_suite(|| {
            let dirs = dirs.clone();
            async move {
                let dir = tempfile::tempdir().expect("tempdir");
                let store = SqliteStore::open(dir.path()).expect("open");
                dirs.lock().unwrap().push(dir);
                Arc::new(store) as Arc<dyn crate::store::Store>
            }
        })
        .await;
    }

    #[test]
    fn the_embedded_migrations_match_the_folder() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations/server/sqlite");
        let files = sqlite_migrations::files_in(&dir).unwrap();
        assert_eq!(files, sqlite_migrations::file_names(MIGRATIONS));
    }

    #[test]
    fn both_backends_define_the_same_schema_versions() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations/server");
        let versions = |dir: &str| -> Vec<u32> {
            sqlite_migrations::files_in(&root.join(dir))
                .unwrap()
                .into_iter()
                .map(|(v, _)| v)
                .collect()
        };
        assert_eq!(versions("sqlite"), versions("postgres"));
    }

    /// Another process (a backup, the CLI) holding the write lock longer than the busy
    /// timeout: the write fails as unavailable, and works again once the lock is released.
    #[tokio::test]
    async fn a_write_locked_out_past_the_busy_timeout_is_unavailable() {
        use crate::store::AccountStore;
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).unwrap();
        let other = Connection::open(store.path()).unwrap();
        other.execute_batch("BEGIN IMMEDIATE").unwrap();
        let started = std::time::Instant::now();
        let err = store
            .set_admin(uuid::Uuid::now_v7(), true)
            .await
            .expect_err("locked");
        assert!(matches!(err, StoreError::Unavailable(_)), "{err}");
        assert!(
            started.elapsed() >= BUSY_TIMEOUT,
            "it waited for the lock first"
        );
        other.execute_batch("ROLLBACK").unwrap();
        let err = store
            .set_admin(uuid::Uuid::now_v7(), true)
            .await
            .expect_err("no such user");
        assert!(matches!(err, StoreError::NotFound(_)), "{err}");
    }

    #[test]
    fn a_data_dir_under_a_file_is_refused_with_its_path() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("not-a-dir");
        std::fs::write(&file, b"x").unwrap();
        let err = SqliteStore::open(&file.join("data"))
            .err()
            .expect("must fail");
        assert!(matches!(err, StoreError::DataDir { .. }), "{err}");
        assert!(err.to_string().contains("not-a-dir"), "{err}");
    }
}
