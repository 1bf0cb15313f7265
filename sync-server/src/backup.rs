//! Backups of the SQLite database while the server keeps serving, restores from them, and
//! scheduled backups with retention.
//!
//! **How a backup is taken: `VACUUM INTO`.** It reads the database inside one read
//! transaction, so the copy is exactly the database as of one commit; in WAL mode that
//! read blocks no writer, so the server keeps selling and scanning meanwhile. SQLite's
//! online backup API was the alternative: copied in steps it starts over whenever another
//! connection writes between steps (a busy server may keep it from ever finishing), and
//! copied in one step it is the same single read as `VACUUM INTO` but needs an extra
//! rusqlite feature. `VACUUM INTO` also leaves out free pages, so backups are compact, and
//! writes a self-contained file (no `-wal` beside it) that opens as it is.
//!
//! A backup is a copy of the database, nothing more: events' ticket-signing keys are
//! stored sealed under the master key (see `issuance::vault`) and stay sealed in every
//! backup; the master key itself is never in the database. Restoring therefore needs the
//! same master key the server had (keep it in the secret store, not beside the backups).
//!
//! Every file appears whole or not at all: a backup is written to a hidden `.partial` file
//! beside its destination, checked, flushed to disk and renamed; a restore copies the
//! backup beside the database, checks the copy (`PRAGMA integrity_check`, a schema version
//! this build knows), and only then swaps it in. A restore refuses while a server holds the
//! database (see [`DatabaseLock`]) and keeps the database it replaces beside it.

use crate::store::SQLITE_MIGRATIONS;
use rusqlite::{Connection, OpenFlags};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Tables every Hafla database has had since its first migrations; a file without them is
/// not a Hafla database, whatever its `user_version` says.
const HAFLA_TABLES: &[&str] = &["organizations", "events", "ticket_types", "users"];

/// The first bytes of every SQLite database file.
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// How long a backup waits for a lock held by another connection (the server's writer
/// never blocks a `VACUUM INTO` in WAL mode; this covers a checkpoint in progress).
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Scheduled backups are named `hafla-YYYYMMDDTHHMMSSZ.db` (UTC), so names sort by age.
const SCHEDULED_PREFIX: &str = "hafla-";
const SCHEDULED_SUFFIX: &str = ".db";

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("there is no database at {0}")]
    NoDatabase(String),
    #[error("{0} already exists; choose a new file name for the backup")]
    Exists(String),
    #[error("cannot read {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("cannot write {path}: {reason}")]
    Write { path: String, reason: String },
    #[error("{0} is not an SQLite database")]
    NotSqlite(String),
    #[error("{0} is not a Hafla database (it has no Hafla schema)")]
    NotHafla(String),
    #[error(
        "{path} is at schema version {found}, newer than this build knows ({known}); \
         restore it with a newer hafla-server"
    )]
    TooNew {
        path: String,
        found: u32,
        known: u32,
    },
    #[error("{path} is damaged: integrity check says {detail}")]
    Corrupt { path: String, detail: String },
    #[error("a running hafla-server holds {0}; stop it before restoring (backups need no stop)")]
    InUse(String),
    #[error("the file name {0} is not valid UTF-8")]
    PathNotUtf8(String),
    #[error("database error on {path}: {reason}")]
    Sqlite { path: String, reason: String },
}

fn shown(path: &Path) -> String {
    path.display().to_string()
}

fn sqlite_error(path: &Path) -> impl Fn(rusqlite::Error) -> BackupError + '_ {
    move |e| BackupError::Sqlite {
        path: shown(path),
        reason: e.to_string(),
    }
}

fn write_error(path: &Path) -> impl Fn(std::io::Error) -> BackupError + '_ {
    move |e| BackupError::Write {
        path: shown(path),
        reason: e.to_string(),
    }
}

/// What a finished backup wrote.
#[derive(Clone, Debug)]
pub struct BackupInfo {
    pub path: PathBuf,
    pub bytes: u64,
    /// The schema version of the copy.
    pub schema_version: u32,
}

/// Writes a consistent copy of the database `db` to `to` (which must not exist) while
/// other connections, including a serving `hafla-server`, keep reading and writing.
pub fn backup(db: &Path, to: &Path) -> Result<BackupInfo, BackupError> {
    if !db.is_file() {
        return Err(BackupError::NoDatabase(shown(db)));
    }
    if to.exists() {
        return Err(BackupError::Exists(shown(to)));
    }
    let source = Connection::open_with_flags(
        db,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(sqlite_error(db))?;
    source
        .busy_timeout(BUSY_TIMEOUT)
        .map_err(sqlite_error(db))?;
    let version = schema_version(&source).map_err(sqlite_error(db))?;
    if version == 0 || !has_hafla_tables(&source).map_err(sqlite_error(db))? {
        return Err(BackupError::NotHafla(shown(db)));
    }
    let partial = partial_path(to);
    // `VACUUM INTO` needs a missing or empty file; an empty one made first gets the
    // owner-only mode (a backup holds personal data).
    create_private(&partial).map_err(write_error(to))?;
    let result = (|| {
        let target = partial
            .to_str()
            .ok_or_else(|| BackupError::PathNotUtf8(shown(&partial)))?;
        source
            .execute("VACUUM INTO ?1", [target])
            .map_err(sqlite_error(db))?;
        drop(source);
        let copy = open_checked(&partial)?;
        let detail: String = copy
            .query_row("PRAGMA quick_check", [], |r| r.get(0))
            .map_err(sqlite_error(&partial))?;
        if detail != "ok" {
            return Err(BackupError::Corrupt {
                path: shown(&partial),
                detail,
            });
        }
        // The version of the copy itself (a migration may have run since the check above).
        let version = schema_version(&copy).map_err(sqlite_error(&partial))?;
        drop(copy);
        File::open(&partial)
            .and_then(|f| f.sync_all())
            .map_err(write_error(&partial))?;
        let bytes = std::fs::metadata(&partial)
            .map_err(write_error(&partial))?
            .len();
        rename_durably(&partial, to)?;
        Ok(BackupInfo {
            path: to.to_path_buf(),
            bytes,
            schema_version: version,
        })
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    result
}

/// What a finished restore did.
#[derive(Clone, Debug)]
pub struct RestoreInfo {
    pub schema_version: u32,
    /// Where the database that was replaced now is (none when there was none).
    pub replaced: Option<PathBuf>,
}

/// Replaces the database `db` by the backup `from`, after checking a copy of it: an SQLite
/// file, intact, with a Hafla schema this build knows. Refused while a server holds `db`.
/// The one change made to the copy: sync scopes get new epochs (see `renew_sync_epochs`).
/// Nothing changes unless every check passes; the replaced database is kept beside it as
/// `hafla.db.replaced-YYYYMMDDTHHMMSSZ`.
pub fn restore(from: &Path, db: &Path, now: jiff::Timestamp) -> Result<RestoreInfo, BackupError> {
    let folder = parent_of(db);
    std::fs::create_dir_all(folder).map_err(write_error(folder))?;
    let _lock = DatabaseLock::exclusive(db)?;
    check_header(from)?;
    let staged = folder.join(format!(
        ".{}.restore-{}",
        file_name(db),
        uuid::Uuid::new_v4().simple()
    ));
    let result = (|| {
        copy_private(from, &staged)?;
        let version = verify(&staged, from)?;
        let replaced = if db.exists() {
            // Fold a crashed server's write-ahead log into the old file first, so the kept
            // copy is whole. A database damaged past opening (often why one restores) is
            // kept as it is, its log beside it.
            fold_log(db);
            let kept = folder.join(format!("{}.replaced-{}", file_name(db), stamp(now)));
            rename_durably(db, &kept)?;
            let log = sibling(db, "-wal");
            if log.exists() {
                rename_durably(&log, &sibling(&kept, "-wal"))?;
            }
            Some(kept)
        } else {
            None
        };
        // No stale log or shared-memory index may meet the restored file.
        for leftover in ["-wal", "-shm"] {
            let path = sibling(db, leftover);
            if path.exists() {
                std::fs::remove_file(&path).map_err(write_error(&path))?;
            }
        }
        rename_durably(&staged, db)?;
        Ok(RestoreInfo {
            schema_version: version,
            replaced,
        })
    })();
    if result.is_err() {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", staged.display()));
        }
    }
    result
}

/// `PATH` + `suffix`, e.g. the `-wal` beside a database.
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    PathBuf::from(format!("{}{suffix}", path.display()))
}

/// Checkpoints `db`'s write-ahead log into it and leaves it in rollback-journal mode, as
/// far as SQLite can; a database it cannot open stays as it is.
fn fold_log(db: &Path) {
    let Ok(old) = open_checked(db) else {
        return;
    };
    let folded = old
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .and_then(|()| old.pragma_update(None, "journal_mode", "DELETE"));
    if let Err(e) = folded {
        tracing::warn!(error = %e, "could not fold the replaced database's log into it");
    }
}

/// Checks the staged copy of `origin` and leaves it a self-contained file (rollback
/// journal, no `-wal` beside it); returns its schema version.
fn verify(staged: &Path, origin: &Path) -> Result<u32, BackupError> {
    let conn = open_checked(staged)?;
    let not_a_database = |e: rusqlite::Error| match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::NotADatabase) => BackupError::NotSqlite(shown(origin)),
        Some(rusqlite::ErrorCode::DatabaseCorrupt) => BackupError::Corrupt {
            path: shown(origin),
            detail: e.to_string(),
        },
        _ => sqlite_error(origin)(e),
    };
    let mut problems = Vec::new();
    {
        let mut check = conn
            .prepare("PRAGMA integrity_check(20)")
            .map_err(not_a_database)?;
        let mut rows = check.query([]).map_err(not_a_database)?;
        while let Some(row) = rows.next().map_err(not_a_database)? {
            problems.push(row.get::<_, String>(0).map_err(not_a_database)?);
        }
    }
    if problems != ["ok"] {
        return Err(BackupError::Corrupt {
            path: shown(origin),
            detail: problems.join("; "),
        });
    }
    let version = schema_version(&conn).map_err(not_a_database)?;
    if version == 0 || !has_hafla_tables(&conn).map_err(not_a_database)? {
        return Err(BackupError::NotHafla(shown(origin)));
    }
    let known = SQLITE_MIGRATIONS.last().map_or(0, |m| m.version);
    if version > known {
        return Err(BackupError::TooNew {
            path: shown(origin),
            found: version,
            known,
        });
    }
    renew_sync_epochs(&conn).map_err(not_a_database)?;
    conn.pragma_update(None, "journal_mode", "DELETE")
        .map_err(not_a_database)?;
    drop(conn);
    File::open(staged)
        .and_then(|f| f.sync_all())
        .map_err(write_error(staged))?;
    Ok(version)
}

/// Gives every sync scope of a restored database a new epoch and forgets where each
/// device's mutation numbers stood. Devices synced past the
/// backup hold cursors at versions the restored log will reuse for other rows; with a new
/// epoch their next pull is answered `reset` and they fetch the scope afresh, instead of
/// skipping what was written after the restore.
fn renew_sync_epochs(conn: &Connection) -> rusqlite::Result<()> {
    let has_heads: bool = conn.query_row(
        "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'sync_heads'",
        [],
        |r| r.get(0),
    )?;
    if has_heads {
        // The same range the schema's trigger draws a first epoch from.
        conn.execute(
            "UPDATE sync_heads SET epoch = abs(random() % 9007199254740991)",
            [],
        )?;
        // Devices that pushed after the backup have dropped those mutations and send
        // higher numbers than the restored database knows: without this they would wait
        // (`deferred`) for numbers that never come again.
        conn.execute(
            "UPDATE sync_devices SET last_number = ?1",
            [crate::store::sync::UNKNOWN_NUMBER],
        )?;
    }
    Ok(())
}

/// Refuses a file that does not start like an SQLite database, before anything is copied.
fn check_header(path: &Path) -> Result<(), BackupError> {
    use std::io::Read;
    let read_error = |e: std::io::Error| BackupError::Read {
        path: shown(path),
        reason: e.to_string(),
    };
    let mut header = [0u8; 16];
    let mut file = File::open(path).map_err(read_error)?;
    let mut filled = 0;
    while filled < header.len() {
        match file.read(&mut header[filled..]).map_err(read_error)? {
            0 => return Err(BackupError::NotSqlite(shown(path))),
            n => filled += n,
        }
    }
    if &header != SQLITE_HEADER {
        return Err(BackupError::NotSqlite(shown(path)));
    }
    Ok(())
}

fn open_checked(path: &Path) -> Result<Connection, BackupError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(sqlite_error(path))?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(sqlite_error(path))?;
    Ok(conn)
}

fn schema_version(conn: &Connection) -> rusqlite::Result<u32> {
    conn.pragma_query_value(None, "user_version", |r| r.get(0))
}

fn has_hafla_tables(conn: &Connection) -> rusqlite::Result<bool> {
    let mut found = 0;
    for table in HAFLA_TABLES {
        let n: i64 = conn.query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
            [table],
            |r| r.get(0),
        )?;
        found += n;
    }
    Ok(found == HAFLA_TABLES.len() as i64)
}

/// An advisory lock on `hafla.db.lock` beside the database: a serving `hafla-server`
/// holds it shared for its whole life, a restore holds it exclusive while it swaps the
/// file. So a restore never replaces a file a server has open, and a server does not start
/// in the middle of a restore; servers among themselves are not kept apart (a replacement
/// may start while the old process drains). The operating system drops the lock when the
/// process ends, however it ends, so a crash never leaves a stale one. Backups, `migrate`
/// and `demo` do not take it: SQLite's own locking makes them safe beside a server.
#[derive(Debug)]
pub struct DatabaseLock {
    _file: File,
}

impl DatabaseLock {
    /// The shared lock a server holds; `InUse` while a restore holds it exclusive.
    pub fn shared(db: &Path) -> Result<DatabaseLock, BackupError> {
        let file = Self::open(db)?;
        match file.try_lock_shared() {
            Ok(()) => Ok(DatabaseLock { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => Err(BackupError::InUse(shown(db))),
            Err(std::fs::TryLockError::Error(e)) => Err(write_error(&Self::path(db))(e)),
        }
    }

    /// The exclusive lock a restore holds; `InUse` while any server (or restore) holds it.
    pub fn exclusive(db: &Path) -> Result<DatabaseLock, BackupError> {
        let file = Self::open(db)?;
        match file.try_lock() {
            Ok(()) => Ok(DatabaseLock { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => Err(BackupError::InUse(shown(db))),
            Err(std::fs::TryLockError::Error(e)) => Err(write_error(&Self::path(db))(e)),
        }
    }

    fn path(db: &Path) -> PathBuf {
        sibling(db, ".lock")
    }

    fn open(db: &Path) -> Result<File, BackupError> {
        let path = Self::path(db);
        std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(write_error(&path))
    }
}

fn parent_of(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "hafla.db".to_owned())
}

fn partial_path(to: &Path) -> PathBuf {
    parent_of(to).join(format!(
        ".{}.partial-{}",
        file_name(to),
        uuid::Uuid::new_v4().simple()
    ))
}

fn create_private(path: &Path) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

fn copy_private(from: &Path, to: &Path) -> Result<(), BackupError> {
    let mut source = File::open(from).map_err(|e| BackupError::Read {
        path: shown(from),
        reason: e.to_string(),
    })?;
    let mut target = create_private(to).map_err(write_error(to))?;
    std::io::copy(&mut source, &mut target).map_err(write_error(to))?;
    target.sync_all().map_err(write_error(to))
}

/// Renames within one folder and flushes the folder, so the new name survives a crash.
fn rename_durably(from: &Path, to: &Path) -> Result<(), BackupError> {
    std::fs::rename(from, to).map_err(write_error(to))?;
    #[cfg(unix)]
    if let Ok(dir) = File::open(parent_of(to)) {
        let _ = dir.sync_all();
    }
    Ok(())
}

/// `YYYYMMDDTHHMMSSZ` in UTC.
fn stamp(now: jiff::Timestamp) -> String {
    now.strftime("%Y%m%dT%H%M%SZ").to_string()
}

/// The file name of the scheduled backup taken at `now`.
pub fn scheduled_name(now: jiff::Timestamp) -> String {
    format!("{SCHEDULED_PREFIX}{}{SCHEDULED_SUFFIX}", stamp(now))
}

/// Whether `name` is a scheduled backup's name (only those are ever pruned).
fn is_scheduled_name(name: &str) -> bool {
    let Some(stamp) = name
        .strip_prefix(SCHEDULED_PREFIX)
        .and_then(|rest| rest.strip_suffix(SCHEDULED_SUFFIX))
    else {
        return false;
    };
    let bytes = stamp.as_bytes();
    bytes.len() == 16
        && bytes[8] == b'T'
        && bytes[15] == b'Z'
        && bytes[..8].iter().all(u8::is_ascii_digit)
        && bytes[9..15].iter().all(u8::is_ascii_digit)
}

/// Of the file names in a backup folder, the scheduled backups to delete so the newest
/// `keep` (at least one) remain; other files are never chosen.
pub fn to_prune(names: &[String], keep: usize) -> Vec<String> {
    let mut scheduled: Vec<&String> = names.iter().filter(|n| is_scheduled_name(n)).collect();
    scheduled.sort();
    let excess = scheduled.len().saturating_sub(keep.max(1));
    scheduled[..excess].iter().map(|n| (*n).clone()).collect()
}

/// Deletes the scheduled backups in `dir` beyond the newest `keep`; returns how many.
pub fn prune(dir: &Path, keep: usize) -> Result<usize, BackupError> {
    let names: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| BackupError::Read {
            path: shown(dir),
            reason: e.to_string(),
        })?
        .filter_map(|entry| entry.ok())
        .filter(|entry| entry.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|entry| entry.file_name().into_string().ok())
        .collect();
    let doomed = to_prune(&names, keep);
    for name in &doomed {
        let path = dir.join(name);
        std::fs::remove_file(&path).map_err(write_error(&path))?;
    }
    Ok(doomed.len())
}

/// Scheduled backups: where, how often, how many to keep.
#[derive(Clone, Debug)]
pub struct Schedule {
    pub dir: PathBuf,
    pub interval: Duration,
    pub keep: usize,
}

/// Takes one scheduled backup of `db` into `schedule.dir` and prunes old ones, recording
/// the outcome in the metrics: `hafla_backup_last_success_timestamp_seconds`,
/// `hafla_backup_duration_seconds`, `hafla_backup_size_bytes`, `hafla_backups_total`.
pub fn run_scheduled(db: &Path, schedule: &Schedule) -> Result<BackupInfo, BackupError> {
    let started = std::time::Instant::now();
    let now = jiff::Timestamp::now();
    let result = std::fs::create_dir_all(&schedule.dir)
        .map_err(write_error(&schedule.dir))
        .and_then(|()| backup(db, &schedule.dir.join(scheduled_name(now))));
    let outcome = if result.is_ok() { "success" } else { "failure" };
    metrics::counter!("hafla_backups_total", "outcome" => outcome).increment(1);
    let info = result?;
    metrics::histogram!("hafla_backup_duration_seconds").record(started.elapsed().as_secs_f64());
    metrics::gauge!("hafla_backup_size_bytes").set(info.bytes as f64);
    metrics::gauge!("hafla_backup_last_success_timestamp_seconds").set(now.as_second() as f64);
    let pruned = prune(&schedule.dir, schedule.keep)?;
    if pruned > 0 {
        tracing::info!(pruned, "deleted old backups");
    }
    Ok(info)
}

/// Starts scheduled backups of `db`: one at once, then every `schedule.interval`. A
/// failure is logged and counted; the server keeps serving and the next run tries again.
pub fn spawn_scheduled(db: PathBuf, schedule: Schedule) {
    // Both counters appear on /metrics from the start, so a rate over them is defined.
    for outcome in ["success", "failure"] {
        metrics::counter!("hafla_backups_total", "outcome" => outcome).increment(0);
    }
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(schedule.interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let (db, schedule) = (db.clone(), schedule.clone());
            match tokio::task::spawn_blocking(move || run_scheduled(&db, &schedule)).await {
                Ok(Ok(info)) => tracing::info!(
                    path = %info.path.display(),
                    bytes = info.bytes,
                    "backup written"
                ),
                Ok(Err(e)) => tracing::error!(error = %e, "scheduled backup failed"),
                Err(e) => tracing::error!(error = %e, "scheduled backup stopped"),
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{NewOrganization, SqliteStore};

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn pruning_deletes_the_oldest_scheduled_backups_and_nothing_else() {
        let folder = names(&[
            "hafla-20261207T230000Z.db",
            "hafla-20261208T010000Z.db",
            "notes.txt",
            "hafla-20261208T000000Z.db",
            "hafla-manual.db",
            ".hafla-20261208T020000Z.db.partial-abc",
            "hafla-20261206T120000Z.db",
        ]);
        assert_eq!(
            to_prune(&folder, 2),
            names(&["hafla-20261206T120000Z.db", "hafla-20261207T230000Z.db"])
        );
        assert!(to_prune(&folder, 4).is_empty());
        assert_eq!(
            to_prune(&folder, 0).len(),
            3,
            "the newest backup is always kept"
        );
    }

    #[test]
    fn scheduled_names_are_utc_stamps_that_sort_by_age() {
        let at: jiff::Timestamp = "2026-12-08T00:15:03Z".parse().unwrap();
        assert_eq!(scheduled_name(at), "hafla-20261208T001503Z.db");
        assert!(is_scheduled_name(&scheduled_name(at)));
        assert!(!is_scheduled_name("hafla-2026120XT001503Z.db"));
    }

    #[test]
    fn pruning_a_folder_keeps_the_newest() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "hafla-20261208T000000Z.db",
            "hafla-20261208T010000Z.db",
            "hafla-20261208T020000Z.db",
            "keep-me.db",
        ] {
            std::fs::write(dir.path().join(name), b"x").unwrap();
        }
        assert_eq!(prune(dir.path(), 2).unwrap(), 1);
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(
            left,
            names(&[
                "hafla-20261208T010000Z.db",
                "hafla-20261208T020000Z.db",
                "keep-me.db"
            ])
        );
    }

    async fn database_with_an_organization(dir: &Path) -> (PathBuf, uuid::Uuid) {
        use crate::store::OrgStore;
        let store = SqliteStore::open(dir).unwrap();
        let owner = crate::store::conformance::user(Some("owner@example.jo"), None);
        crate::store::AccountStore::create_user(&store, owner.clone())
            .await
            .unwrap();
        let org = NewOrganization {
            id: uuid::Uuid::now_v7(),
            name: hafla_core::Bilingual::new("سهرة", "Sahra").unwrap(),
        };
        store
            .create_organization(org.clone(), owner.id, jiff::Timestamp::now())
            .await
            .unwrap();
        (store.path().to_path_buf(), org.id)
    }

    fn organizations(db: &Path) -> Vec<String> {
        let conn = Connection::open(db).unwrap();
        let mut q = conn.prepare("SELECT hex(id) FROM organizations").unwrap();
        q.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    #[tokio::test]
    async fn a_backup_restores_into_an_empty_folder_and_over_a_database() {
        let source = tempfile::tempdir().unwrap();
        let (db, _) = database_with_an_organization(source.path()).await;
        let copy = source.path().join("copy.db");
        let info = backup(&db, &copy).unwrap();
        assert!(info.bytes > 0);
        assert_eq!(
            backup(&db, &copy).unwrap_err().to_string(),
            format!(
                "{} already exists; choose a new file name for the backup",
                copy.display()
            )
        );
        let fresh = tempfile::tempdir().unwrap();
        let target = fresh.path().join("hafla.db");
        let restored = restore(&copy, &target, jiff::Timestamp::now()).unwrap();
        assert!(restored.replaced.is_none());
        assert_eq!(organizations(&target), organizations(&db));
        // Over a database with other data: that one is kept aside.
        let other = tempfile::tempdir().unwrap();
        let (other_db, _) = database_with_an_organization(other.path()).await;
        let before = organizations(&other_db);
        let restored = restore(&copy, &other_db, jiff::Timestamp::now()).unwrap();
        assert_eq!(organizations(&other_db), organizations(&db));
        assert_eq!(organizations(&restored.replaced.unwrap()), before);
        SqliteStore::open(other.path()).expect("the server opens a restored database");
    }

    /// Refusals change nothing: the database keeps its data and no file is left behind.
    #[tokio::test]
    async fn restore_refuses_garbage_foreign_truncated_and_newer_files() {
        let dir = tempfile::tempdir().unwrap();
        let (db, _) = database_with_an_organization(&dir.path().join("data")).await;
        let before = organizations(&db);
        let listing = || {
            let mut names: Vec<String> = std::fs::read_dir(db.parent().unwrap())
                .unwrap()
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                // The lock file stays, as it does beside a served database.
                .filter(|n| !n.ends_with(".lock"))
                .collect();
            names.sort();
            names
        };
        let files_before = listing();

        let garbage = dir.path().join("garbage.db");
        std::fs::write(&garbage, b"this is not a database at all, not even close").unwrap();
        let err = restore(&garbage, &db, jiff::Timestamp::now()).unwrap_err();
        assert!(matches!(err, BackupError::NotSqlite(_)), "{err}");
        assert!(err.to_string().contains("garbage.db"), "{err}");

        let empty = dir.path().join("empty.db");
        std::fs::write(&empty, b"").unwrap();
        let err = restore(&empty, &db, jiff::Timestamp::now()).unwrap_err();
        assert!(matches!(err, BackupError::NotSqlite(_)), "{err}");

        let foreign = dir.path().join("foreign.db");
        Connection::open(&foreign)
            .unwrap()
            .execute_batch("CREATE TABLE notes (t TEXT); PRAGMA user_version = 3;")
            .unwrap();
        let err = restore(&foreign, &db, jiff::Timestamp::now()).unwrap_err();
        assert!(matches!(err, BackupError::NotHafla(_)), "{err}");

        let good = dir.path().join("good.db");
        backup(&db, &good).unwrap();
        let newer = dir.path().join("newer.db");
        std::fs::copy(&good, &newer).unwrap();
        Connection::open(&newer)
            .unwrap()
            .pragma_update(None, "user_version", 999)
            .unwrap();
        let err = restore(&newer, &db, jiff::Timestamp::now()).unwrap_err();
        assert!(
            matches!(err, BackupError::TooNew { found: 999, .. }),
            "{err}"
        );

        // A backup cut short, and one with a page overwritten in the middle.
        let bytes = std::fs::read(&good).unwrap();
        let truncated = dir.path().join("truncated.db");
        std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
        let err = restore(&truncated, &db, jiff::Timestamp::now()).unwrap_err();
        assert!(
            matches!(err, BackupError::Corrupt { .. } | BackupError::NotSqlite(_)),
            "{err}"
        );
        let mut damaged = bytes.clone();
        let page = 4096;
        for b in &mut damaged[2 * page..3 * page] {
            *b = 0xA5;
        }
        let damaged_path = dir.path().join("damaged.db");
        std::fs::write(&damaged_path, &damaged).unwrap();
        let err = restore(&damaged_path, &db, jiff::Timestamp::now()).unwrap_err();
        assert!(matches!(err, BackupError::Corrupt { .. }), "{err}");

        assert_eq!(organizations(&db), before);
        assert_eq!(listing(), files_before, "no file left behind");
    }

    fn epochs(db: &Path) -> Vec<i64> {
        let conn = Connection::open(db).unwrap();
        let mut q = conn
            .prepare("SELECT epoch FROM sync_heads ORDER BY scope_kind, subject")
            .unwrap();
        q.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    /// Devices' cursors from before the restore must not pass for positions in the
    /// restored log: every scope starts a new life.
    #[tokio::test]
    async fn a_restore_gives_every_sync_scope_a_new_epoch() {
        let dir = tempfile::tempdir().unwrap();
        let (db, _) = database_with_an_organization(dir.path()).await;
        Connection::open(&db)
            .unwrap()
            .execute_batch(
                "INSERT INTO sync_touch VALUES ('catalog', zeroblob(16), 'event', 'a', 0);",
            )
            .unwrap();
        let before = epochs(&db);
        assert!(!before.is_empty());
        let copy = dir.path().join("copy.db");
        backup(&db, &copy).unwrap();
        assert_eq!(epochs(&copy), before, "a backup is an exact copy");
        let fresh = tempfile::tempdir().unwrap();
        let target = fresh.path().join("hafla.db");
        restore(&copy, &target, jiff::Timestamp::now()).unwrap();
        let after = epochs(&target);
        assert_eq!(after.len(), before.len());
        assert!(
            before.iter().zip(&after).all(|(b, a)| b != a),
            "{before:?} {after:?}"
        );
    }

    /// Restoring is what one does when the database is damaged: a file SQLite cannot
    /// read is kept aside, not an obstacle.
    #[tokio::test]
    async fn a_backup_restores_over_a_damaged_database() {
        let dir = tempfile::tempdir().unwrap();
        let (db, _) = database_with_an_organization(&dir.path().join("data")).await;
        let copy = dir.path().join("copy.db");
        backup(&db, &copy).unwrap();
        std::fs::write(&db, b"overwritten by accident").unwrap();
        let restored = restore(&copy, &db, jiff::Timestamp::now()).unwrap();
        assert_eq!(organizations(&db), organizations(&copy));
        assert_eq!(
            std::fs::read(restored.replaced.unwrap()).unwrap(),
            b"overwritten by accident"
        );
    }

    #[tokio::test]
    async fn restore_refuses_while_a_server_holds_the_database() {
        let dir = tempfile::tempdir().unwrap();
        let (db, _) = database_with_an_organization(dir.path()).await;
        let copy = dir.path().join("copy.db");
        backup(&db, &copy).unwrap();
        let server = DatabaseLock::shared(&db).unwrap();
        let another = DatabaseLock::shared(&db).expect("servers do not exclude each other");
        let err = restore(&copy, &db, jiff::Timestamp::now()).unwrap_err();
        assert!(matches!(err, BackupError::InUse(_)), "{err}");
        drop(server);
        let err = restore(&copy, &db, jiff::Timestamp::now()).unwrap_err();
        assert!(matches!(err, BackupError::InUse(_)), "{err}");
        drop(another);
        let restoring = DatabaseLock::exclusive(&db).unwrap();
        let err = DatabaseLock::shared(&db).unwrap_err();
        assert!(
            matches!(err, BackupError::InUse(_)),
            "no server starts mid-restore"
        );
        drop(restoring);
        restore(&copy, &db, jiff::Timestamp::now()).unwrap();
    }

    #[test]
    fn backing_up_a_missing_or_foreign_database_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let err = backup(&dir.path().join("none.db"), &dir.path().join("b.db")).unwrap_err();
        assert!(matches!(err, BackupError::NoDatabase(_)), "{err}");
        let foreign = dir.path().join("foreign.db");
        Connection::open(&foreign)
            .unwrap()
            .execute_batch("CREATE TABLE notes (t TEXT);")
            .unwrap();
        let err = backup(&foreign, &dir.path().join("b.db")).unwrap_err();
        assert!(matches!(err, BackupError::NotHafla(_)), "{err}");
        assert!(!dir.path().join("b.db").exists());
    }

    #[tokio::test]
    async fn a_scheduled_backup_is_named_by_time_and_old_ones_are_pruned() {
        let dir = tempfile::tempdir().unwrap();
        let (db, _) = database_with_an_organization(&dir.path().join("data")).await;
        let backups = dir.path().join("backups");
        std::fs::create_dir_all(&backups).unwrap();
        for old in ["hafla-20200101T000000Z.db", "hafla-20200101T010000Z.db"] {
            std::fs::write(backups.join(old), b"old").unwrap();
        }
        let schedule = Schedule {
            dir: backups.clone(),
            interval: Duration::from_secs(3600),
            keep: 2,
        };
        let info = run_scheduled(&db, &schedule).unwrap();
        let name = info.path.file_name().unwrap().to_str().unwrap().to_owned();
        assert!(is_scheduled_name(&name), "{name}");
        assert!(!backups.join("hafla-20200101T000000Z.db").exists());
        assert!(backups.join("hafla-20200101T010000Z.db").exists());
        assert!(info.path.exists());
    }
}
