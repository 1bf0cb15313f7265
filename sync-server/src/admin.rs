//! `hafla-server admin …`: operations for whoever runs the server.

use crate::auth::password;
use crate::mail::EmailAddress;
use crate::store::{AccountStore, SignupMethod, StoreError, User};
use hafla_core::Lang;
use uuid::Uuid;

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("{0:?} is not a valid email address")]
    InvalidEmail(String),
    #[error("no account has this email; set HAFLA_ADMIN_PASSWORD to create one")]
    PasswordRequired,
    #[error("the admin password is too weak: {0}")]
    WeakPassword(password::PasswordRuleError),
    #[error(transparent)]
    Hash(#[from] password::HashError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Makes `email` a platform admin, creating the account when `password` is given.
pub async fn create_admin(
    store: &dyn AccountStore,
    email: &str,
    password: Option<String>,
) -> Result<String, AdminError> {
    let email =
        EmailAddress::parse(email).map_err(|_| AdminError::InvalidEmail(email.to_owned()))?;
    if let Some(user) = store.user_by_email(email.as_str()).await? {
        store.set_admin(user.id, true).await?;
        return Ok(format!("{} is now a platform admin", email.as_str()));
    }
    let password = password.ok_or(AdminError::PasswordRequired)?;
    password::check_rules(&password, &[email.as_str()]).map_err(AdminError::WeakPassword)?;
    let now = jiff::Timestamp::now();
    store
        .create_user(User {
            id: Uuid::now_v7(),
            email: Some(email.as_str().to_owned()),
            email_verified: true,
            phone: None,
            phone_verified: false,
            password_hash: Some(password::hash(&password)?),
            display_name: "Admin".into(),
            lang: Lang::Ar,
            is_admin: true,
            signup_method: SignupMethod::Admin,
            created_at: now,
        })
        .await?;
    Ok(format!("created platform admin {}", email.as_str()))
}
