//! Sign-up, sign-in and sessions by email and password. Permissions are in `authz::ROUTES`.

use super::AppState;
use super::error::ApiError;
use super::extract::{ApiJson, Caller};
use super::ratelimit::{Action, ClientIp};
use crate::auth::password::{self, PasswordRuleError};
use crate::auth::tokens::{ACCESS_TTL_SECS, REFRESH_TTL_DAYS, new_opaque_token, token_hash};
use crate::mail::{EmailAddress, password_reset_email, verification_email};
use crate::store::{
    Membership, OrgRole, RefreshOutcome, RefreshRecord, SignupMethod, TokenPurpose, User,
};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use hafla_core::wire::ErrorCode;
use hafla_core::{Bilingual, Lang};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// How long an email verification or password reset link works.
const VERIFY_LINK_HOURS: i64 = 48;
const RESET_LINK_HOURS: i64 = 1;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    email: String,
    password: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    lang: Option<Lang>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    email: String,
    password: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    refresh_token: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    token: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    email: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResetConfirmRequest {
    token: String,
    new_password: String,
}

/// A signed-in session: a short-lived access token and the refresh token that renews it.
#[derive(Serialize, Deserialize, Debug)]
pub struct SessionTokens {
    pub access_token: String,
    pub token_type: String,
    pub expires_in: i64,
    pub refresh_token: String,
}

#[derive(Serialize, Deserialize, Debug)]
pub struct MembershipView {
    pub organization_id: Uuid,
    pub name: Bilingual,
    pub role: OrgRole,
}

#[derive(Serialize, Deserialize, Debug)]
pub struct MeView {
    pub id: Uuid,
    pub email: Option<String>,
    pub email_verified: bool,
    pub phone: Option<String>,
    pub display_name: String,
    pub lang: Lang,
    pub is_admin: bool,
    pub organizations: Vec<MembershipView>,
}

fn parse_email(raw: &str) -> Result<EmailAddress, ApiError> {
    EmailAddress::parse(raw)
        .map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::InvalidEmail))
}

fn weak_password(rule: PasswordRuleError) -> ApiError {
    let reason = match rule {
        PasswordRuleError::TooShort => "too_short",
        PasswordRuleError::TooLong => "too_long",
        PasswordRuleError::TooCommon => "too_common",
        PasswordRuleError::ContainsIdentifier => "contains_identifier",
    };
    ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::WeakPassword)
        .with_arg("reason", reason)
        .with_details(serde_json::json!({ "rule": reason }))
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    tracing::error!(error = %e, "account operation failed");
    ApiError::internal()
}

/// Argon2 is deliberately slow: keep it off the async runtime's threads.
async fn hash_password(password: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || password::hash(&password))
        .await
        .map_err(internal)?
        .map_err(internal)
}

async fn verify_password(password: String, phc: String) -> Result<bool, ApiError> {
    tokio::task::spawn_blocking(move || password::verify(&password, &phc))
        .await
        .map_err(internal)
}

/// Starts a new sign-in (refresh-token family) for `user`.
pub(super) async fn start_session(
    state: &AppState,
    user: &User,
    now: Timestamp,
) -> Result<SessionTokens, ApiError> {
    let family_id = Uuid::now_v7();
    let refresh = new_opaque_token().map_err(internal)?;
    let record = RefreshRecord {
        token_hash: token_hash(&refresh),
        family_id,
        user_id: user.id,
        created_at: now,
        expires_at: now + SignedDuration::from_hours(24 * REFRESH_TTL_DAYS),
    };
    state.store.insert_refresh_token(record).await?;
    session_tokens(state, user.id, family_id, user.is_admin, &refresh, now)
}

fn session_tokens(
    state: &AppState,
    user_id: Uuid,
    family_id: Uuid,
    is_admin: bool,
    refresh: &str,
    now: Timestamp,
) -> Result<SessionTokens, ApiError> {
    Ok(SessionTokens {
        access_token: state
            .tokens
            .issue(user_id, family_id, is_admin, now)
            .map_err(internal)?,
        token_type: "Bearer".into(),
        expires_in: ACCESS_TTL_SECS,
        refresh_token: refresh.to_owned(),
    })
}

/// Creates a one-time link token and returns the link the email carries.
async fn link(
    state: &AppState,
    user_id: Uuid,
    purpose: TokenPurpose,
    hours: i64,
    path: &str,
) -> Result<String, ApiError> {
    let token = new_opaque_token().map_err(internal)?;
    let expires = Timestamp::now() + SignedDuration::from_hours(hours);
    state
        .store
        .insert_one_time_token(token_hash(&token), user_id, purpose, expires)
        .await?;
    Ok(format!(
        "{}/{path}?token={}",
        state.public_url.trim_end_matches('/'),
        token.as_str()
    ))
}

/// `POST /api/v1/auth/register`
pub async fn register(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<RegisterRequest>,
) -> Result<(StatusCode, Json<SessionTokens>), ApiError> {
    state.limits.check(Action::Register, ip, &body.email)?;
    let email = parse_email(&body.email)?;
    password::check_rules(&body.password, &[email.as_str()]).map_err(weak_password)?;
    let lang = body.lang.unwrap_or_default();
    let now = Timestamp::now();
    let user = User {
        id: Uuid::now_v7(),
        email: Some(email.as_str().to_owned()),
        email_verified: false,
        phone: None,
        phone_verified: false,
        password_hash: Some(hash_password(body.password).await?),
        display_name: body.display_name.trim().chars().take(100).collect(),
        lang,
        is_admin: false,
        signup_method: SignupMethod::Email,
        created_at: now,
    };
    state.store.create_user(user.clone()).await?;
    state
        .store
        .accept_invites(user.id, user.email.as_deref(), None, now)
        .await?;
    let link = link(
        &state,
        user.id,
        TokenPurpose::VerifyEmail,
        VERIFY_LINK_HOURS,
        "verify-email",
    )
    .await?;
    if let Err(e) = state
        .mailer
        .send(&verification_email(email, lang, &link))
        .await
    {
        // The account exists; the person can ask for a new link. Never lose the sign-up.
        tracing::warn!(error = %e, "verification email not sent");
    }
    Ok((
        StatusCode::CREATED,
        Json(start_session(&state, &user, now).await?),
    ))
}

/// `POST /api/v1/auth/login`
pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<Json<SessionTokens>, ApiError> {
    state.limits.check(Action::Login, ip, &body.email)?;
    let invalid = || ApiError::new(StatusCode::UNAUTHORIZED, ErrorCode::InvalidCredentials);
    let email = EmailAddress::parse(&body.email).map_err(|_| invalid())?;
    let user = state.store.user_by_email(email.as_str()).await?;
    let phc = user
        .as_ref()
        .and_then(|u| u.password_hash.clone())
        .unwrap_or_else(|| password::dummy_hash().to_owned());
    let matches = verify_password(body.password, phc).await?;
    match user {
        Some(user) if matches && user.password_hash.is_some() => {
            Ok(Json(start_session(&state, &user, Timestamp::now()).await?))
        }
        _ => Err(invalid()),
    }
}

/// `POST /api/v1/auth/refresh`: rotates the refresh token; a reused one ends its sign-in.
pub async fn refresh(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<RefreshRequest>,
) -> Result<Json<SessionTokens>, ApiError> {
    let now = Timestamp::now();
    let next = new_opaque_token().map_err(internal)?;
    let expires = now + SignedDuration::from_hours(24 * REFRESH_TTL_DAYS);
    let presented = token_hash(&body.refresh_token);
    match state
        .store
        .rotate_refresh_token(presented, token_hash(&next), expires, now)
        .await?
    {
        RefreshOutcome::Rotated { user_id, family_id } => {
            let user = state
                .store
                .user_by_id(user_id)
                .await?
                .ok_or_else(ApiError::unauthenticated)?;
            Ok(Json(session_tokens(
                &state,
                user_id,
                family_id,
                user.is_admin,
                &next,
                now,
            )?))
        }
        RefreshOutcome::Reused { user_id, .. } => {
            tracing::warn!(user = %user_id, "refresh token reused; sign-in revoked");
            Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                ErrorCode::TokenReused,
            ))
        }
        RefreshOutcome::Invalid => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::InvalidToken,
        )),
    }
}

/// `POST /api/v1/auth/logout`: ends this sign-in on every device that shares it.
pub async fn logout(State(state): State<AppState>, caller: Caller) -> Result<StatusCode, ApiError> {
    state
        .store
        .revoke_family(caller.session_id, Timestamp::now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/auth/logout-all`: ends every sign-in of the caller.
pub async fn logout_all(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<StatusCode, ApiError> {
    state
        .store
        .revoke_all_sessions(caller.user_id, Timestamp::now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/auth/verify-email`
pub async fn verify_email(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<TokenRequest>,
) -> Result<StatusCode, ApiError> {
    let now = Timestamp::now();
    let user_id = state
        .store
        .consume_one_time_token(token_hash(&body.token), TokenPurpose::VerifyEmail, now)
        .await?
        .ok_or_else(|| ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::InvalidToken))?;
    state.store.mark_email_verified(user_id, now).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/auth/password-reset`: always 202, so nobody learns which emails have accounts.
pub async fn request_password_reset(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<ResetRequest>,
) -> Result<StatusCode, ApiError> {
    state.limits.check(Action::PasswordReset, ip, &body.email)?;
    let email = parse_email(&body.email)?;
    if let Some(user) = state.store.user_by_email(email.as_str()).await? {
        let link = link(
            &state,
            user.id,
            TokenPurpose::ResetPassword,
            RESET_LINK_HOURS,
            "reset-password",
        )
        .await?;
        if let Err(e) = state
            .mailer
            .send(&password_reset_email(email, user.lang, &link))
            .await
        {
            tracing::warn!(error = %e, "password reset email not sent");
        }
    }
    Ok(StatusCode::ACCEPTED)
}

/// `POST /api/v1/auth/password-reset/confirm`: sets the password and ends every session.
pub async fn confirm_password_reset(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<ResetConfirmRequest>,
) -> Result<StatusCode, ApiError> {
    let now = Timestamp::now();
    let user_id = state
        .store
        .consume_one_time_token(token_hash(&body.token), TokenPurpose::ResetPassword, now)
        .await?
        .ok_or_else(|| ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::InvalidToken))?;
    let user = state
        .store
        .user_by_id(user_id)
        .await?
        .ok_or_else(ApiError::not_found)?;
    let ids: Vec<&str> = user
        .email
        .iter()
        .chain(user.phone.iter())
        .map(String::as_str)
        .collect();
    password::check_rules(&body.new_password, &ids).map_err(weak_password)?;
    state
        .store
        .set_password(user_id, &hash_password(body.new_password).await?)
        .await?;
    state.store.revoke_all_sessions(user_id, now).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v1/me`
pub async fn me(State(state): State<AppState>, caller: Caller) -> Result<Json<MeView>, ApiError> {
    let user = state
        .store
        .user_by_id(caller.user_id)
        .await?
        .ok_or_else(ApiError::unauthenticated)?;
    let organizations = state
        .store
        .memberships(user.id)
        .await?
        .into_iter()
        .map(
            |Membership {
                 organization_id,
                 name,
                 role,
             }| MembershipView {
                organization_id,
                name,
                role,
            },
        )
        .collect();
    Ok(Json(MeView {
        id: user.id,
        email: user.email,
        email_verified: user.email_verified,
        phone: user.phone,
        display_name: user.display_name,
        lang: user.lang,
        is_admin: user.is_admin,
        organizations,
    }))
}
