//! Refresh-token families in PostgreSQL.

use super::{PgStore, secs};
use crate::store::{RefreshOutcome, RefreshRecord, SessionStore, StoreError};
use async_trait::async_trait;
use uuid::Uuid;

#[async_trait]
impl SessionStore for PgStore {
    async fn insert_refresh_token(&self, r: RefreshRecord) -> Result<(), StoreError> {
        self.write(async {
            sqlx::query(
                "INSERT INTO refresh_tokens (token_hash, family_id, user_id, created_at, expires_at)
                 VALUES ($1, $2, $3, to_timestamp($4), to_timestamp($5))",
            )
            .bind(&r.token_hash[..])
            .bind(r.family_id)
            .bind(r.user_id)
            .bind(secs(r.created_at))
            .bind(secs(r.expires_at))
            .execute(self.pool())
            .await?;
            Ok(())
        })
        .await
    }

    /// Locks the presented token's row (`FOR UPDATE`) for the whole transaction, so of two
    /// requests presenting the same token one rotates it and the other sees it used.
    async fn rotate_refresh_token(
        &self,
        token_hash: [u8; 32],
        next_hash: [u8; 32],
        next_expires_at: jiff::Timestamp,
        now: jiff::Timestamp,
    ) -> Result<RefreshOutcome, StoreError> {
        self.write(async {
            let mut tx = self.pool().begin().await?;
            let found: Option<(Uuid, Uuid, bool, bool, bool)> = sqlx::query_as(
                "SELECT family_id, user_id, expires_at <= to_timestamp($2), used_at IS NOT NULL,
                        revoked_at IS NOT NULL
                 FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE",
            )
            .bind(&token_hash[..])
            .bind(secs(now))
            .fetch_optional(&mut *tx)
            .await?;
            let Some((family_id, user_id, expired, used, revoked)) = found else {
                return Ok(RefreshOutcome::Invalid);
            };
            if revoked || expired {
                return Ok(RefreshOutcome::Invalid);
            }
            if used {
                sqlx::query(
                    "UPDATE refresh_tokens SET revoked_at = to_timestamp($2)
                     WHERE family_id = $1 AND revoked_at IS NULL",
                )
                .bind(family_id)
                .bind(secs(now))
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                return Ok(RefreshOutcome::Reused { user_id, family_id });
            }
            sqlx::query(
                "UPDATE refresh_tokens SET used_at = to_timestamp($2) WHERE token_hash = $1",
            )
            .bind(&token_hash[..])
            .bind(secs(now))
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO refresh_tokens (token_hash, family_id, user_id, created_at, expires_at)
                 VALUES ($1, $2, $3, to_timestamp($4), to_timestamp($5))",
            )
            .bind(&next_hash[..])
            .bind(family_id)
            .bind(user_id)
            .bind(secs(now))
            .bind(secs(next_expires_at))
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(RefreshOutcome::Rotated { user_id, family_id })
        })
        .await
    }

    async fn revoke_family(
        &self,
        family_id: Uuid,
        now: jiff::Timestamp,
    ) -> Result<u64, StoreError> {
        self.write(async {
            Ok(sqlx::query(
                "UPDATE refresh_tokens SET revoked_at = to_timestamp($2)
                 WHERE family_id = $1 AND revoked_at IS NULL",
            )
            .bind(family_id)
            .bind(secs(now))
            .execute(self.pool())
            .await?
            .rows_affected())
        })
        .await
    }

    async fn revoke_all_sessions(
        &self,
        user_id: Uuid,
        now: jiff::Timestamp,
    ) -> Result<u64, StoreError> {
        self.write(async {
            Ok(sqlx::query(
                "UPDATE refresh_tokens SET revoked_at = to_timestamp($2)
                 WHERE user_id = $1 AND revoked_at IS NULL",
            )
            .bind(user_id)
            .bind(secs(now))
            .execute(self.pool())
            .await?
            .rows_affected())
        })
        .await
    }

    async fn refresh_family(
        &self,
        token_hash: [u8; 32],
        now: jiff::Timestamp,
    ) -> Result<Option<(Uuid, Uuid)>, StoreError> {
        self.read(async {
            Ok(sqlx::query_as(
                "SELECT family_id, user_id FROM refresh_tokens
                 WHERE token_hash = $1 AND revoked_at IS NULL AND used_at IS NULL
                   AND expires_at > to_timestamp($2)",
            )
            .bind(&token_hash[..])
            .bind(secs(now))
            .fetch_optional(self.pool())
            .await?)
        })
        .await
    }
}
