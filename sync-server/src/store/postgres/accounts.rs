//! Accounts and one-time link tokens in PostgreSQL.

use super::{PgStore, secs, timestamp};
use crate::store::{AccountStore, SignupMethod, StoreError, TokenPurpose, User};
use async_trait::async_trait;
use hafla_core::Lang;
use sqlx::Row;
use sqlx::postgres::PgRow;
use uuid::Uuid;

/// The columns [`read_user`] reads, in its order.
macro_rules! user_columns {
    () => {
        "id, email, email_verified_at IS NOT NULL, phone, phone_verified_at IS NOT NULL,
         password_hash, display_name, lang, is_admin, signup_method,
         extract(epoch from created_at)::bigint"
    };
}

fn read_user(row: &PgRow) -> Result<User, StoreError> {
    let lang: String = row.try_get(7)?;
    let method: String = row.try_get(9)?;
    let (Some(lang), Some(signup_method)) =
        (Lang::from_tag(&lang), SignupMethod::from_key(&method))
    else {
        return Err(StoreError::Corrupt(format!(
            "user lang {lang:?} method {method:?}"
        )));
    };
    Ok(User {
        id: row.try_get(0)?,
        email: row.try_get(1)?,
        email_verified: row.try_get(2)?,
        phone: row.try_get(3)?,
        phone_verified: row.try_get(4)?,
        password_hash: row.try_get(5)?,
        display_name: row.try_get(6)?,
        lang,
        is_admin: row.try_get(8)?,
        signup_method,
        created_at: timestamp(row.try_get(10)?)?,
    })
}

/// Unique violations on the users' email or phone become `Conflict`, like SQLite's.
fn conflict(e: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(db) = &e
        && db.is_unique_violation()
    {
        match db.constraint() {
            Some("users_email_key") => return StoreError::Conflict("email"),
            Some("users_phone_key") => return StoreError::Conflict("phone"),
            _ => {}
        }
    }
    e.into()
}

/// `Ok` when an update touched a row, else the user was not found.
fn found(result: sqlx::postgres::PgQueryResult) -> Result<(), StoreError> {
    match result.rows_affected() {
        0 => Err(StoreError::NotFound("user")),
        _ => Ok(()),
    }
}

#[async_trait]
impl AccountStore for PgStore {
    async fn create_user(&self, u: User) -> Result<(), StoreError> {
        self.write(async {
            let at = |verified: bool| verified.then(|| secs(u.created_at));
            sqlx::query(
                "INSERT INTO users (id, email, email_verified_at, phone, phone_verified_at,
                    password_hash, display_name, lang, is_admin, signup_method, created_at)
                 VALUES ($1, $2, to_timestamp($3), $4, to_timestamp($5), $6, $7, $8, $9, $10,
                    to_timestamp($11))",
            )
            .bind(u.id)
            .bind(u.email.as_deref().map(str::to_lowercase))
            .bind(at(u.email_verified))
            .bind(&u.phone)
            .bind(at(u.phone_verified))
            .bind(&u.password_hash)
            .bind(&u.display_name)
            .bind(u.lang.tag())
            .bind(u.is_admin)
            .bind(u.signup_method.key())
            .bind(secs(u.created_at))
            .execute(self.pool())
            .await
            .map_err(conflict)?;
            Ok(())
        })
        .await
    }

    async fn user_by_id(&self, id: Uuid) -> Result<Option<User>, StoreError> {
        self.read(async {
            sqlx::query(concat!(
                "SELECT ",
                user_columns!(),
                " FROM users WHERE id = $1"
            ))
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .as_ref()
            .map(read_user)
            .transpose()
        })
        .await
    }

    async fn user_by_email(&self, email: &str) -> Result<Option<User>, StoreError> {
        self.read(async {
            sqlx::query(concat!(
                "SELECT ",
                user_columns!(),
                " FROM users WHERE email = $1"
            ))
            .bind(email.to_lowercase())
            .fetch_optional(self.pool())
            .await?
            .as_ref()
            .map(read_user)
            .transpose()
        })
        .await
    }

    async fn user_by_phone(&self, phone: &str) -> Result<Option<User>, StoreError> {
        self.read(async {
            sqlx::query(concat!(
                "SELECT ",
                user_columns!(),
                " FROM users WHERE phone = $1"
            ))
            .bind(phone)
            .fetch_optional(self.pool())
            .await?
            .as_ref()
            .map(read_user)
            .transpose()
        })
        .await
    }

    async fn set_password(&self, user_id: Uuid, password_hash: &str) -> Result<(), StoreError> {
        self.write(async {
            found(
                sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1")
                    .bind(user_id)
                    .bind(password_hash)
                    .execute(self.pool())
                    .await?,
            )
        })
        .await
    }

    async fn mark_email_verified(
        &self,
        user_id: Uuid,
        at: jiff::Timestamp,
    ) -> Result<(), StoreError> {
        self.write(async {
            found(
                sqlx::query(
                    "UPDATE users SET email_verified_at = coalesce(email_verified_at, to_timestamp($2))
                     WHERE id = $1",
                )
                .bind(user_id)
                .bind(secs(at))
                .execute(self.pool())
                .await?,
            )
        })
        .await
    }

    async fn set_admin(&self, user_id: Uuid, is_admin: bool) -> Result<(), StoreError> {
        self.write(async {
            found(
                sqlx::query("UPDATE users SET is_admin = $2 WHERE id = $1")
                    .bind(user_id)
                    .bind(is_admin)
                    .execute(self.pool())
                    .await?,
            )
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
        self.write(async {
            sqlx::query(
                "INSERT INTO one_time_tokens (token_hash, user_id, purpose, expires_at)
                 VALUES ($1, $2, $3, to_timestamp($4))",
            )
            .bind(&token_hash[..])
            .bind(user_id)
            .bind(purpose.key())
            .bind(secs(expires_at))
            .execute(self.pool())
            .await?;
            Ok(())
        })
        .await
    }

    /// One `UPDATE ... RETURNING`: concurrent consumers of the same token queue on its row,
    /// and the later ones see `used_at` set and get nothing.
    async fn consume_one_time_token(
        &self,
        token_hash: [u8; 32],
        purpose: TokenPurpose,
        now: jiff::Timestamp,
    ) -> Result<Option<Uuid>, StoreError> {
        self.write(async {
            Ok(sqlx::query_scalar(
                "UPDATE one_time_tokens SET used_at = to_timestamp($3)
                 WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL
                   AND expires_at > to_timestamp($3)
                 RETURNING user_id",
            )
            .bind(&token_hash[..])
            .bind(purpose.key())
            .bind(secs(now))
            .fetch_optional(self.pool())
            .await?)
        })
        .await
    }
}
