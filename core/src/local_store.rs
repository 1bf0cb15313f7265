//! The app's offline SQLite copy: preferences and the device id here; the door state and
//! scan log (`door::store`) and the synced scopes, outbox and offline search (`sync::local`)
//! live in the same file, under the one schema of `migrations/client/`.

use crate::bilingual::Lang;
use crate::sqlite_migrations::{self, Migration, MigrationError};
use rusqlite::{Connection, OptionalExtension, params};
use std::path::Path;
use uuid::Uuid;

/// The client schema, embedded from `migrations/client/`.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "settings",
        sql: include_str!("../../migrations/client/0001_settings.sql"),
    },
    Migration {
        version: 2,
        name: "door",
        sql: include_str!("../../migrations/client/0002_door.sql"),
    },
    Migration {
        version: 3,
        name: "sync",
        sql: include_str!("../../migrations/client/0003_sync.sql"),
    },
];

const DEVICE_ID_KEY: &str = "device_id";

/// This installation's device id, made (UUIDv7) and kept in the settings the first time it
/// is asked for. The server tells devices' scan logs and mutation numbers apart by it, so
/// it must never change for a database; a new database is a new device.
pub fn device_id(conn: &Connection) -> Result<Uuid, rusqlite::Error> {
    conn.execute(
        "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO NOTHING",
        params![DEVICE_ID_KEY, Uuid::now_v7().to_string()],
    )?;
    let text: String = conn.query_row(
        "SELECT value FROM settings WHERE key = ?1",
        [DEVICE_ID_KEY],
        |r| r.get(0),
    )?;
    Uuid::parse_str(&text).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

#[derive(Debug, thiserror::Error)]
pub enum LocalStoreError {
    #[error("cannot open the local database at {path}: {source}")]
    Open {
        path: String,
        source: rusqlite::Error,
    },
    #[error(transparent)]
    Migration(#[from] MigrationError),
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
}

/// The local database of one app installation.
pub struct LocalStore {
    conn: Connection,
}

const LANG_KEY: &str = "lang";

impl LocalStore {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self, LocalStoreError> {
        let mut conn = Connection::open(path).map_err(|source| LocalStoreError::Open {
            path: path.display().to_string(),
            source,
        })?;
        // WAL keeps readers off the writer's back; NORMAL is durable across app crashes
        // (only a power cut can lose the last commits, never corrupt the file).
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", true)?;
        sqlite_migrations::apply(&mut conn, MIGRATIONS)?;
        Ok(LocalStore { conn })
    }

    /// A small, non-secret preference of the app (never a token: those go to the OS keyring).
    pub fn setting(&self, key: &str) -> Result<Option<String>, LocalStoreError> {
        Ok(self
            .conn
            .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
                r.get(0)
            })
            .optional()?)
    }

    pub fn set_setting(&self, key: &str, value: &str) -> Result<(), LocalStoreError> {
        self.conn.execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    pub fn remove_setting(&self, key: &str) -> Result<(), LocalStoreError> {
        self.conn
            .execute("DELETE FROM settings WHERE key = ?1", [key])?;
        Ok(())
    }

    /// The language the person chose, if they ever did.
    pub fn language(&self) -> Result<Option<Lang>, LocalStoreError> {
        Ok(self.setting(LANG_KEY)?.as_deref().and_then(Lang::from_tag))
    }

    pub fn set_language(&self, lang: Lang) -> Result<(), LocalStoreError> {
        self.set_setting(LANG_KEY, lang.tag())
    }

    /// This installation's device id (see [`device_id`]).
    pub fn device_id(&self) -> Result<Uuid, LocalStoreError> {
        Ok(device_id(&self.conn)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_migrations_match_the_folder() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations/client");
        let files = sqlite_migrations::files_in(&dir).unwrap();
        assert_eq!(files, sqlite_migrations::file_names(MIGRATIONS));
    }

    #[test]
    fn the_chosen_language_survives_reopening_the_database() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hafla.db");
        {
            let store = LocalStore::open(&path).unwrap();
            assert_eq!(store.language().unwrap(), None);
            store.set_language(Lang::En).unwrap();
            store.set_language(Lang::Ar).unwrap();
        }
        assert_eq!(
            LocalStore::open(&path).unwrap().language().unwrap(),
            Some(Lang::Ar)
        );
    }

    #[test]
    fn the_device_id_is_made_once_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hafla.db");
        let first = LocalStore::open(&path).unwrap().device_id().unwrap();
        let again = LocalStore::open(&path).unwrap().device_id().unwrap();
        assert_eq!(first, again);
        assert_eq!(first.get_version_num(), 7);
    }

    #[test]
    fn an_unopenable_path_names_the_path_in_its_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing-folder/hafla.db");
        let err = LocalStore::open(&path).err().expect("must fail");
        assert!(err.to_string().contains("missing-folder"), "{err}");
    }
}
