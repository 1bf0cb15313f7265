//! Accounts and one-time link tokens in SQLite.

use super::{SqliteStore, secs, timestamp};
use crate::store::{AccountStore, SignupMethod, StoreError, TokenPurpose, User};
use async_trait::async_trait;
use hafla_core::Lang;
use rusqlite::{OptionalExtension, Row, params};
use uuid::Uuid;

const USER_COLUMNS: &str = "id, email, email_verified_at, phone, phone_verified_at, password_hash,
    display_name, lang, is_admin, signup_method, created_at";

fn read_user(row: &Row<'_>) -> rusqlite::Result<Result<User, StoreError>> {
    let lang: String = row.get(7)?;
    let method: String = row.get(9)?;
    let created: i64 = row.get(10)?;
    let (Some(lang), Some(signup_method)) =
        (Lang::from_tag(&lang), SignupMethod::from_key(&method))
    else {
        return Ok(Err(StoreError::Corrupt(format!(
            "user lang {lang:?} method {method:?}"
        ))));
    };
    let user = User {
        id: row.get(0)?,
        email: row.get(1)?,
        email_verified: row.get::<_, Option<i64>>(2)?.is_some(),
        phone: row.get(3)?,
        phone_verified: row.get::<_, Option<i64>>(4)?.is_some(),
        password_hash: row.get(5)?,
        display_name: row.get(6)?,
        lang,
        is_admin: row.get(8)?,
        signup_method,
        created_at: jiff::Timestamp::UNIX_EPOCH,
    };
    Ok(timestamp(created).map(|created_at| User { created_at, ..user }))
}

fn conflict(e: rusqlite::Error) -> StoreError {
    match &e {
        rusqlite::Error::SqliteFailure(f, Some(msg))
            if f.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            if msg.contains("users.email") {
                StoreError::Conflict("email")
            } else if msg.contains("users.phone") {
                StoreError::Conflict("phone")
            } else {
                e.into()
            }
        }
        _ => e.into(),
    }
}

impl SqliteStore {
    async fn user_where(
        &self,
        column: &'static str,
        value: String,
    ) -> Result<Option<User>, StoreError> {
        self.read(move |c| {
            let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE {column} = ?1");
            c.prepare_cached(&sql)?
                .query_row([value], read_user)
                .optional()?
                .transpose()
        })
        .await
    }
}

#[async_trait]
impl AccountStore for SqliteStore {
    async fn create_user(&self, u: User) -> Result<(), StoreError> {
        self.write(move |tx| {
            let at = |verified: bool| verified.then(|| secs(u.created_at));
            tx.execute(
                "INSERT INTO users (id, email, email_verified_at, phone, phone_verified_at, password_hash,
                    display_name, lang, is_admin, signup_method, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                params![
                    u.id,
                    u.email.as_deref().map(str::to_lowercase),
                    at(u.email_verified),
                    u.phone,
                    at(u.phone_verified),
                    u.password_hash,
                    u.display_name,
                    u.lang.tag(),
                    u.is_admin,
                    u.signup_method.key(),
                    secs(u.created_at),
                ],
            )
            .map_err(conflict)?;
            Ok(())
        })
        .await
    }

    async fn user_by_id(&self, id: Uuid) -> Result<Option<User>, StoreError> {
        self.read(move |c| {
            let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?1");
            c.prepare_cached(&sql)?
                .query_row([id], read_user)
                .optional()?
                .transpose()
        })
        .await
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<User>, StoreError> {
        self.user_where("email", email.to_lowercase()).await
    }

    async fn user_by_phone(&self, phone: &str) -> Result<Option<User>, StoreError> {
        self.user_where("phone", phone.to_owned()).await
    }

    async fn set_password(&self, user_id: Uuid, password_hash: &str) -> Result<(), StoreError> {
        let hash = password_hash.to_owned();
        self.write(move |tx| {
            match tx.execute(
                "UPDATE users SET password_hash = ?2 WHERE id = ?1",
                params![user_id, hash],
            )? {
                0 => Err(StoreError::NotFound("user")),
                _ => Ok(()),
            }
        })
        .await
    }

    async fn mark_email_verified(
        &self,
        user_id: Uuid,
        at: jiff::Timestamp,
    ) -> Result<(), StoreError> {
        self.write(move |tx| {
            let sql = "UPDATE users SET email_verified_at = coalesce(email_verified_at, ?2) WHERE id = ?1";
            match tx.execute(sql, params![user_id, secs(at)])? {
                0 => Err(StoreError::NotFound("user")),
                _ => Ok(()),
            }
        })
        .await
    }

    async fn set_admin(&self, user_id: Uuid, is_admin: bool) -> Result<(), StoreError> {
        self.write(move |tx| {
            match tx.execute(
                "UPDATE users SET is_admin = ?2 WHERE id = ?1",
                params![user_id, is_admin],
            )? {
                0 => Err(StoreError::NotFound("user")),
                _ => Ok(()),
            }
        })
        .await
    }

    async fn insert_one_time_token(
        &self,
        token_hash: [u8; 32],
        user_id: Uuid,
        purpose: TokenPurpose,
        expires_at: jiff::Timestamp,
    ) -> Result<(), StoreError> {
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO one_time_tokens (token_hash, user_id, purpose, expires_at) VALUES (?1, ?2, ?3, ?4)",
                params![token_hash, user_id, purpose.key(), secs(expires_at)],
            )?;
            Ok(())
        })
        .await
    }

    async fn consume_one_time_token(
        &self,
        token_hash: [u8; 32],
        purpose: TokenPurpose,
        now: jiff::Timestamp,
    ) -> Result<Option<Uuid>, StoreError> {
        self.write(move |tx| {
            Ok(tx
                .query_row(
                    "UPDATE one_time_tokens SET used_at = ?3
                     WHERE token_hash = ?1 AND purpose = ?2 AND used_at IS NULL AND expires_at > ?3
                     RETURNING user_id",
                    params![token_hash, purpose.key(), secs(now)],
                    |r| r.get(0),
                )
                .optional()?)
        })
        .await
    }
}
