//! Sign-ins in progress in PostgreSQL: OTP challenges and pending OpenID Connect logins.

use super::{PgStore, hash32, secs, timestamp};
use crate::auth::oidc::{PendingLogin, PkceVerifier};
use crate::auth::otp::OtpChallenge;
use crate::auth::phone::PhoneNumber;
use crate::store::{AccountStore, SignInStore, StoreError, User};
use async_trait::async_trait;
use sqlx::types::Json;
use uuid::Uuid;

#[async_trait]
impl SignInStore for PgStore {
    async fn otp_challenge(&self, phone: &PhoneNumber) -> Result<Option<OtpChallenge>, StoreError> {
        self.read(async {
            let row: Option<(Vec<u8>, i64, i64, i32, Json<Vec<i64>>)> = sqlx::query_as(
                "SELECT code_hash, extract(epoch from created_at)::bigint,
                        extract(epoch from expires_at)::bigint, attempts, sends
                 FROM otp_challenges WHERE phone = $1",
            )
            .bind(phone.as_e164())
            .fetch_optional(self.pool())
            .await?;
            let Some((hash, created, expires, attempts, Json(sends))) = row else {
                return Ok(None);
            };
            Ok(Some(OtpChallenge {
                phone: phone.clone(),
                code_hash: hash32(hash, "otp challenge hash")?,
                created_at: timestamp(created)?,
                expires_at: timestamp(expires)?,
                attempts: u32::try_from(attempts)
                    .map_err(|_| StoreError::Corrupt(format!("otp attempts {attempts}")))?,
                sends: sends.into_iter().map(timestamp).collect::<Result<_, _>>()?,
            }))
        })
        .await
    }

    async fn save_otp_challenge(&self, ch: OtpChallenge) -> Result<(), StoreError> {
        self.write(async {
            let sends: Vec<i64> = ch.sends.iter().map(|t| secs(*t)).collect();
            sqlx::query(
                "INSERT INTO otp_challenges (phone, code_hash, created_at, expires_at, attempts, sends)
                 VALUES ($1, $2, to_timestamp($3), to_timestamp($4), $5, $6)
                 ON CONFLICT (phone) DO UPDATE SET code_hash = excluded.code_hash,
                   created_at = excluded.created_at, expires_at = excluded.expires_at,
                   attempts = excluded.attempts, sends = excluded.sends",
            )
            .bind(ch.phone.as_e164())
            .bind(&ch.code_hash[..])
            .bind(secs(ch.created_at))
            .bind(secs(ch.expires_at))
            .bind(i64::from(ch.attempts))
            .bind(Json(sends))
            .execute(self.pool())
            .await?;
            Ok(())
        })
        .await
    }

    async fn delete_otp_challenge(&self, phone: &PhoneNumber) -> Result<(), StoreError> {
        self.write(async {
            sqlx::query("DELETE FROM otp_challenges WHERE phone = $1")
                .bind(phone.as_e164())
                .execute(self.pool())
                .await?;
            Ok(())
        })
        .await
    }

    async fn save_pending_login(
        &self,
        state_hash: [u8; 32],
        login: PendingLogin,
    ) -> Result<(), StoreError> {
        self.write(async {
            sqlx::query(
                "INSERT INTO oidc_pending (state_hash, provider, nonce, pkce_verifier, created_at)
                 VALUES ($1, $2, $3, $4, to_timestamp($5))",
            )
            .bind(&state_hash[..])
            .bind(&login.provider)
            .bind(&login.nonce)
            .bind(login.pkce_verifier.secret())
            .bind(secs(login.created_at))
            .execute(self.pool())
            .await?;
            Ok(())
        })
        .await
    }

    /// One `DELETE ... RETURNING`: of two callbacks with the same `state`, one gets it.
    async fn take_pending_login(
        &self,
        state_hash: [u8; 32],
    ) -> Result<Option<PendingLogin>, StoreError> {
        self.write(async {
            let row: Option<(String, String, String, i64)> = sqlx::query_as(
                "DELETE FROM oidc_pending WHERE state_hash = $1
                 RETURNING provider, nonce, pkce_verifier, extract(epoch from created_at)::bigint",
            )
            .bind(&state_hash[..])
            .fetch_optional(self.pool())
            .await?;
            row.map(|(provider, nonce, verifier, created)| {
                Ok(PendingLogin {
                    provider,
                    nonce,
                    pkce_verifier: PkceVerifier::from_stored(verifier),
                    created_at: timestamp(created)?,
                })
            })
            .transpose()
        })
        .await
    }

    async fn user_by_identity(
        &self,
        provider: &str,
        subject: &str,
    ) -> Result<Option<User>, StoreError> {
        let user_id: Option<Uuid> = self
            .read(async {
                Ok(sqlx::query_scalar(
                    "SELECT user_id FROM user_identities WHERE provider = $1 AND subject = $2",
                )
                .bind(provider)
                .bind(subject)
                .fetch_optional(self.pool())
                .await?)
            })
            .await?;
        match user_id {
            Some(id) => self.user_by_id(id).await,
            None => Ok(None),
        }
    }

    async fn link_identity(
        &self,
        provider: &str,
        subject: &str,
        user_id: Uuid,
        now: jiff::Timestamp,
    ) -> Result<(), StoreError> {
        self.write(async {
            sqlx::query(
                "INSERT INTO user_identities (provider, subject, user_id, created_at)
                 VALUES ($1, $2, $3, to_timestamp($4))
                 ON CONFLICT (provider, subject) DO NOTHING",
            )
            .bind(provider)
            .bind(subject)
            .bind(user_id)
            .bind(secs(now))
            .execute(self.pool())
            .await?;
            Ok(())
        })
        .await
    }
}
