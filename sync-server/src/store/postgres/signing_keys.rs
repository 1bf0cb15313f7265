//! Ticket-signing keys in PostgreSQL. Instances write side by side, so the partial unique
//! index on an event's active key decides who creates it: `ON CONFLICT … DO NOTHING` waits
//! for a concurrent insert to commit and then lets it win. Key ids come from a sequence.

use super::{PgStore, secs};
use crate::store::signing_keys::stored_key;
use crate::store::{NewSigningKey, Reseal, SigningKeyStore, StoreError, StoredSigningKey};
use async_trait::async_trait;
use sqlx::postgres::PgRow;
use sqlx::{PgExecutor, Row};
use uuid::Uuid;

/// The columns [`read_key`] reads, in its order.
macro_rules! columns {
    () => {
        "key_id, event_id, public_key, sealed_secret, extract(epoch from created_at)::bigint,
         extract(epoch from retired_at)::bigint"
    };
}

fn read_key(row: &PgRow) -> Result<StoredSigningKey, StoreError> {
    stored_key(
        row.try_get(0)?,
        row.try_get(1)?,
        row.try_get(2)?,
        row.try_get(3)?,
        row.try_get(4)?,
        row.try_get(5)?,
    )
}

/// A missing event and a key id stored twice get their own errors.
fn insert_error(e: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(db) = &e {
        if db.is_foreign_key_violation() {
            return StoreError::NotFound("event");
        }
        if db.is_unique_violation() && db.constraint() == Some("signing_keys_pkey") {
            return StoreError::Conflict("signing_key_id");
        }
    }
    e.into()
}

/// Inserts `key` as active unless its event has an active key; whether it did.
async fn insert<'e>(
    executor: impl PgExecutor<'e>,
    key: &NewSigningKey,
) -> Result<bool, StoreError> {
    let inserted = sqlx::query(
        "INSERT INTO signing_keys (key_id, event_id, public_key, sealed_secret, created_at)
         VALUES ($1, $2, $3, $4, to_timestamp($5))
         ON CONFLICT (event_id) WHERE retired_at IS NULL DO NOTHING",
    )
    .bind(i64::from(key.key_id))
    .bind(key.event_id)
    .bind(&key.public_key[..])
    .bind(&key.sealed_secret)
    .bind(secs(key.created_at))
    .execute(executor)
    .await
    .map_err(insert_error)?
    .rows_affected();
    Ok(inserted == 1)
}

#[async_trait]
impl SigningKeyStore for PgStore {
    async fn next_key_id(&self) -> Result<u32, StoreError> {
        self.write(async {
            let id: i64 = sqlx::query_scalar("SELECT nextval('signing_key_ids')")
                .fetch_one(self.pool())
                .await?;
            u32::try_from(id).map_err(|_| StoreError::Corrupt(format!("signing key id {id}")))
        })
        .await
    }

    async fn insert_signing_key(&self, key: NewSigningKey) -> Result<bool, StoreError> {
        self.write(insert(self.pool(), &key)).await
    }

    /// The retiring `UPDATE` locks the active row, so a concurrent rotation waits, then finds
    /// no active row left to retire and loses on the unique index: it rolls back whole.
    async fn rotate_signing_key(&self, key: NewSigningKey) -> Result<Option<u32>, StoreError> {
        self.write(async {
            let mut tx = self.pool().begin().await?;
            let retired: Option<i64> = sqlx::query_scalar(
                "UPDATE signing_keys SET retired_at = to_timestamp($2)
                 WHERE event_id = $1 AND retired_at IS NULL RETURNING key_id",
            )
            .bind(key.event_id)
            .bind(secs(key.created_at))
            .fetch_optional(&mut *tx)
            .await?;
            if !insert(&mut *tx, &key).await? {
                tx.rollback().await?;
                return Err(StoreError::Conflict("active_signing_key"));
            }
            tx.commit().await?;
            retired
                .map(|id| {
                    u32::try_from(id)
                        .map_err(|_| StoreError::Corrupt(format!("signing key id {id}")))
                })
                .transpose()
        })
        .await
    }

    async fn retire_signing_key(
        &self,
        key_id: u32,
        now: jiff::Timestamp,
    ) -> Result<bool, StoreError> {
        self.write(async {
            let retired = sqlx::query(
                "UPDATE signing_keys SET retired_at = to_timestamp($2)
                 WHERE key_id = $1 AND retired_at IS NULL",
            )
            .bind(i64::from(key_id))
            .bind(secs(now))
            .execute(self.pool())
            .await?
            .rows_affected();
            if retired == 1 {
                return Ok(true);
            }
            let exists: bool =
                sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM signing_keys WHERE key_id = $1)")
                    .bind(i64::from(key_id))
                    .fetch_one(self.pool())
                    .await?;
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
        self.read(async {
            sqlx::query(concat!(
                "SELECT ",
                columns!(),
                " FROM signing_keys WHERE event_id = $1 AND retired_at IS NULL"
            ))
            .bind(event_id)
            .fetch_optional(self.pool())
            .await?
            .as_ref()
            .map(read_key)
            .transpose()
        })
        .await
    }

    async fn signing_keys(&self, event_id: Uuid) -> Result<Vec<StoredSigningKey>, StoreError> {
        self.read(async {
            sqlx::query(concat!(
                "SELECT ",
                columns!(),
                " FROM signing_keys WHERE event_id = $1 ORDER BY key_id"
            ))
            .bind(event_id)
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(read_key)
            .collect()
        })
        .await
    }

    async fn signing_key_by_id(&self, key_id: u32) -> Result<Option<StoredSigningKey>, StoreError> {
        self.read(async {
            sqlx::query(concat!(
                "SELECT ",
                columns!(),
                " FROM signing_keys WHERE key_id = $1"
            ))
            .bind(i64::from(key_id))
            .fetch_optional(self.pool())
            .await?
            .as_ref()
            .map(read_key)
            .transpose()
        })
        .await
    }

    async fn signing_keys_after(
        &self,
        after_key_id: u32,
        limit: u32,
    ) -> Result<Vec<StoredSigningKey>, StoreError> {
        self.read(async {
            sqlx::query(concat!(
                "SELECT ",
                columns!(),
                " FROM signing_keys WHERE key_id > $1 ORDER BY key_id LIMIT $2"
            ))
            .bind(i64::from(after_key_id))
            .bind(i64::from(limit))
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(read_key)
            .collect()
        })
        .await
    }

    async fn reseal_signing_keys(&self, reseals: Vec<Reseal>) -> Result<(), StoreError> {
        self.write(async {
            let mut tx = self.pool().begin().await?;
            for r in &reseals {
                let changed = sqlx::query(
                    "UPDATE signing_keys SET sealed_secret = $3
                     WHERE key_id = $1 AND sealed_secret = $2",
                )
                .bind(i64::from(r.key_id))
                .bind(&r.expected)
                .bind(&r.sealed_secret)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if changed != 1 {
                    tx.rollback().await?;
                    return Err(StoreError::Conflict("sealed_secret"));
                }
            }
            tx.commit().await?;
            Ok(())
        })
        .await
    }
}
