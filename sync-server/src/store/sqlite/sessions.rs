//! Refresh-token families in SQLite.

use super::{SqliteStore, secs};
use crate::store::{RefreshOutcome, RefreshRecord, SessionStore, StoreError};
use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};
use uuid::Uuid;

#[async_trait]
impl SessionStore for SqliteStore {
    async fn insert_refresh_token(&self, r: RefreshRecord) -> Result<(), StoreError> {
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO refresh_tokens (token_hash, family_id, user_id, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![r.token_hash, r.family_id, r.user_id, secs(r.created_at), secs(r.expires_at)],
            )?;
            Ok(())
        })
        .await
    }

    async fn rotate_refresh_token(
        &self,
        token_hash: [u8; 32],
        next_hash: [u8; 32],
        next_expires_at: jiff::Timestamp,
        now: jiff::Timestamp,
    ) -> Result<RefreshOutcome, StoreError> {
        self.write(move |tx| {
            let found: Option<(Uuid, Uuid, i64, Option<i64>, Option<i64>)> = tx
                .query_row(
                    "SELECT family_id, user_id, expires_at, used_at, revoked_at FROM refresh_tokens
                     WHERE token_hash = ?1",
                    [token_hash],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
                )
                .optional()?;
            let Some((family_id, user_id, expires_at, used_at, revoked_at)) = found else {
                return Ok(RefreshOutcome::Invalid);
            };
            if revoked_at.is_some() || expires_at <= secs(now) {
                return Ok(RefreshOutcome::Invalid);
            }
            if used_at.is_some() {
                tx.execute(
                    "UPDATE refresh_tokens SET revoked_at = ?2 WHERE family_id = ?1 AND revoked_at IS NULL",
                    params![family_id, secs(now)],
                )?;
                return Ok(RefreshOutcome::Reused { user_id, family_id });
            }
            tx.execute(
                "UPDATE refresh_tokens SET used_at = ?2 WHERE token_hash = ?1",
                params![token_hash, secs(now)],
            )?;
            tx.execute(
                "INSERT INTO refresh_tokens (token_hash, family_id, user_id, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![next_hash, family_id, user_id, secs(now), secs(next_expires_at)],
            )?;
            Ok(RefreshOutcome::Rotated { user_id, family_id })
        })
        .await
    }

    async fn revoke_family(
        &self,
        family_id: Uuid,
        now: jiff::Timestamp,
    ) -> Result<u64, StoreError> {
        self.write(move |tx| {
            Ok(tx.execute(
                "UPDATE refresh_tokens SET revoked_at = ?2 WHERE family_id = ?1 AND revoked_at IS NULL",
                params![family_id, secs(now)],
            )? as u64)
        })
        .await
    }

    async fn revoke_all_sessions(
        &self,
        user_id: Uuid,
        now: jiff::Timestamp,
    ) -> Result<u64, StoreError> {
        self.write(move |tx| {
            Ok(tx.execute(
                "UPDATE refresh_tokens SET revoked_at = ?2 WHERE user_id = ?1 AND revoked_at IS NULL",
                params![user_id, secs(now)],
            )? as u64)
        })
        .await
    }

    async fn refresh_family(
        &self,
        token_hash: [u8; 32],
        now: jiff::Timestamp,
    ) -> Result<Option<(Uuid, Uuid)>, StoreError> {
        self.read(move |c| {
            Ok(c.query_row(
                "SELECT family_id, user_id FROM refresh_tokens
                 WHERE token_hash = ?1 AND revoked_at IS NULL AND used_at IS NULL AND expires_at > ?2",
                params![token_hash, secs(now)],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
        })
        .await
    }
}
