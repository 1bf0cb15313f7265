//! Sign-ins in progress in SQLite: OTP challenges and pending OpenID Connect logins.

use super::{SqliteStore, secs, timestamp};
use crate::auth::oidc::{PendingLogin, PkceVerifier};
use crate::auth::otp::OtpChallenge;
use crate::auth::phone::PhoneNumber;
use crate::store::{SignInStore, StoreError, User};
use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};
use uuid::Uuid;

#[async_trait]
impl SignInStore for SqliteStore {
    async fn otp_challenge(&self, phone: &PhoneNumber) -> Result<Option<OtpChallenge>, StoreError> {
        let phone = phone.clone();
        self.read(move |c| {
            let row: Option<(Vec<u8>, i64, i64, u32, String)> = c
                .query_row(
                    "SELECT code_hash, created_at, expires_at, attempts, sends FROM otp_challenges WHERE phone = ?1",
                    [phone.as_e164()],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
                )
                .optional()?;
            let Some((hash, created, expires, attempts, sends)) = row else {
                return Ok(None);
            };
            let corrupt = |what: &str| StoreError::Corrupt(format!("otp challenge {what}"));
            let code_hash: [u8; 32] = hash.try_into().map_err(|_| corrupt("hash"))?;
            let sends: Vec<i64> = serde_json::from_str(&sends).map_err(|_| corrupt("sends"))?;
            Ok(Some(OtpChallenge {
                phone,
                code_hash,
                created_at: timestamp(created)?,
                expires_at: timestamp(expires)?,
                attempts,
                sends: sends.into_iter().map(timestamp).collect::<Result<_, _>>()?,
            }))
        })
        .await
    }

    async fn save_otp_challenge(&self, ch: OtpChallenge) -> Result<(), StoreError> {
        self.write(move |tx| {
            let sends: Vec<i64> = ch.sends.iter().map(|t| secs(*t)).collect();
            tx.execute(
                "INSERT INTO otp_challenges (phone, code_hash, created_at, expires_at, attempts, sends)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (phone) DO UPDATE SET code_hash = excluded.code_hash, created_at = excluded.created_at,
                   expires_at = excluded.expires_at, attempts = excluded.attempts, sends = excluded.sends",
                params![
                    ch.phone.as_e164(),
                    ch.code_hash,
                    secs(ch.created_at),
                    secs(ch.expires_at),
                    ch.attempts,
                    serde_json::to_string(&sends).unwrap_or_else(|_| "[]".into())
                ],
            )?;
            Ok(())
        })
        .await
    }

    async fn delete_otp_challenge(&self, phone: &PhoneNumber) -> Result<(), StoreError> {
        let phone = phone.as_e164().to_owned();
        self.write(move |tx| {
            tx.execute("DELETE FROM otp_challenges WHERE phone = ?1", [phone])?;
            Ok(())
        })
        .await
    }

    async fn save_pending_login(
        &self,
        state_hash: [u8; 32],
        login: PendingLogin,
    ) -> Result<(), StoreError> {
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO oidc_pending (state_hash, provider, nonce, pkce_verifier, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    state_hash,
                    login.provider,
                    login.nonce,
                    login.pkce_verifier.secret(),
                    secs(login.created_at)
                ],
            )?;
            Ok(())
        })
        .await
    }

    async fn take_pending_login(
        &self,
        state_hash: [u8; 32],
    ) -> Result<Option<PendingLogin>, StoreError> {
        self.write(move |tx| {
            let row: Option<(String, String, String, i64)> = tx
                .query_row(
                    "DELETE FROM oidc_pending WHERE state_hash = ?1
                     RETURNING provider, nonce, pkce_verifier, created_at",
                    [state_hash],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )
                .optional()?;
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
        let (provider, subject) = (provider.to_owned(), subject.to_owned());
        let user_id: Option<Uuid> = self
            .read(move |c| {
                Ok(c.query_row(
                    "SELECT user_id FROM user_identities WHERE provider = ?1 AND subject = ?2",
                    params![provider, subject],
                    |r| r.get(0),
                )
                .optional()?)
            })
            .await?;
        match user_id {
            Some(id) => crate::store::AccountStore::user_by_id(self, id).await,
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
        let (provider, subject) = (provider.to_owned(), subject.to_owned());
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO user_identities (provider, subject, user_id, created_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (provider, subject) DO NOTHING",
                params![provider, subject, user_id, secs(now)],
            )?;
            Ok(())
        })
        .await
    }
}
