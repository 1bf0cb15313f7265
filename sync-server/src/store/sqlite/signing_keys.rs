//! Ticket-signing keys in SQLite. The one writer serialises every change; the partial
//! unique index still holds the one-active-key rule, as on PostgreSQL.

use super::{SqliteStore, secs};
use crate::store::signing_keys::stored_key;
use crate::store::{NewSigningKey, Reseal, SigningKeyStore, StoreError, StoredSigningKey};
use async_trait::async_trait;
use rusqlite::{OptionalExtension, Row, Transaction, params};
use uuid::Uuid;

const COLUMNS: &str = "key_id, event_id, public_key, sealed_secret, created_at, retired_at";

fn read_key(row: &Row<'_>) -> rusqlite::Result<Result<StoredSigningKey, StoreError>> {
    Ok(stored_key(
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
    ))
}

/// A missing event and a key id stored twice get their own errors.
fn insert_error(e: rusqlite::Error) -> StoreError {
    if let rusqlite::Error::SqliteFailure(f, _) = &e {
        match f.extended_code {
            rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY => return StoreError::NotFound("event"),
            rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY => {
                return StoreError::Conflict("signing_key_id");
            }
            _ => {}
        }
    }
    e.into()
}

/// Inserts `key` as active unless its event has an active key; whether it did.
fn insert(tx: &Transaction<'_>, key: &NewSigningKey) -> Result<bool, StoreError> {
    let inserted = tx
        .execute(
            "INSERT INTO signing_keys (key_id, event_id, public_key, sealed_secret, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (event_id) WHERE retired_at IS NULL DO NOTHING",
            params![
                key.key_id,
                key.event_id,
                key.public_key,
                key.sealed_secret,
                secs(key.created_at)
            ],
        )
        .map_err(insert_error)?;
    Ok(inserted == 1)
}

#[async_trait]
impl SigningKeyStore for SqliteStore {
    async fn next_key_id(&self) -> Result<u32, StoreError> {
        self.write(|tx| {
            let id: i64 = tx.query_row(
                "UPDATE signing_key_ids SET last_id = last_id + 1 WHERE only_row = 1
                 RETURNING last_id",
                [],
                |r| r.get(0),
            )?;
            u32::try_from(id).map_err(|_| StoreError::Corrupt(format!("signing key id {id}")))
        })
        .await
    }

    async fn insert_signing_key(&self, key: NewSigningKey) -> Result<bool, StoreError> {
        self.write(move |tx| insert(tx, &key)).await
    }

    async fn rotate_signing_key(&self, key: NewSigningKey) -> Result<Option<u32>, StoreError> {
        self.write(move |tx| {
            let retired: Option<u32> = tx
                .query_row(
                    "UPDATE signing_keys SET retired_at = ?2
                     WHERE event_id = ?1 AND retired_at IS NULL RETURNING key_id",
                    params![key.event_id, secs(key.created_at)],
                    |r| r.get(0),
                )
                .optional()?;
            if !insert(tx, &key)? {
                // Cannot happen under SQLite's one writer; kept for the same contract.
                return Err(StoreError::Conflict("active_signing_key"));
            }
            Ok(retired)
        })
        .await
    }

    async fn retire_signing_key(
        &self,
        key_id: u32,
        now: jiff::Timestamp,
    ) -> Result<bool, StoreError> {
        self.write(move |tx| {
            let retired = tx.execute(
                "UPDATE signing_keys SET retired_at = ?2 WHERE key_id = ?1 AND retired_at IS NULL",
                params![key_id, secs(now)],
            )?;
            if retired == 1 {
                return Ok(true);
            }
            let exists: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM signing_keys WHERE key_id = ?1)",
                [key_id],
                |r| r.get(0),
            )?;
            if exists {
                Ok(false)
            } else {
                Err(StoreError::NotFound("signing_key"))
            }
        })
        .await
    }

    async fn active_signing_key(
        &self,
        event_id: Uuid,
    ) -> Result<Option<StoredSigningKey>, StoreError> {
        self.read(move |c| {
            let sql = format!(
                "SELECT {COLUMNS} FROM signing_keys WHERE event_id = ?1 AND retired_at IS NULL"
            );
            c.prepare_cached(&sql)?
                .query_row([event_id], read_key)
                .optional()?
                .transpose()
        })
        .await
    }

    async fn signing_keys(&self, event_id: Uuid) -> Result<Vec<StoredSigningKey>, StoreError> {
        self.read(move |c| {
            let sql =
                format!("SELECT {COLUMNS} FROM signing_keys WHERE event_id = ?1 ORDER BY key_id");
            let mut statement = c.prepare_cached(&sql)?;
            let rows = statement.query_map([event_id], read_key)?;
            rows.map(|r| r?).collect()
        })
        .await
    }

    async fn signing_key_by_id(&self, key_id: u32) -> Result<Option<StoredSigningKey>, StoreError> {
        self.read(move |c| {
            let sql = format!("SELECT {COLUMNS} FROM signing_keys WHERE key_id = ?1");
            c.prepare_cached(&sql)?
                .query_row([key_id], read_key)
                .optional()?
                .transpose()
        })
        .await
    }

    async fn signing_keys_after(
        &self,
        after_key_id: u32,
        limit: u32,
    ) -> Result<Vec<StoredSigningKey>, StoreError> {
        self.read(move |c| {
            let sql = format!(
                "SELECT {COLUMNS} FROM signing_keys WHERE key_id > ?1 ORDER BY key_id LIMIT ?2"
            );
            let mut statement = c.prepare_cached(&sql)?;
            let rows = statement.query_map(params![after_key_id, limit], read_key)?;
            rows.map(|r| r?).collect()
        })
        .await
    }

    async fn reseal_signing_keys(&self, reseals: Vec<Reseal>) -> Result<(), StoreError> {
        self.write(move |tx| {
            let mut statement = tx.prepare_cached(
                "UPDATE signing_keys SET sealed_secret = ?3 WHERE key_id = ?1 AND sealed_secret = ?2",
            )?;
            for r in &reseals {
                let changed = statement.execute(params![r.key_id, r.expected, r.sealed_secret])?;
                if changed != 1 {
                    // Returning the error rolls the whole batch back.
                    return Err(StoreError::Conflict("sealed_secret"));
                }
            }
            Ok(())
        })
        .await
    }
}
