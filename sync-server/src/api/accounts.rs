//! Sign-up, sign-in and sessions by email and password. Permissions are in `authz::ROUTES`.

use super::AppState;
use super::client_ip::ClientIp;
use super::error::ApiError;
use super::extract::{ApiJson, Caller};
use super::ratelimit::Action;
use crate::auth::password::{self, PasswordRuleError};
use crate::auth::tokens::{ACCESS_TTL_SECS, REFRESH_TTL_DAYS, new_opaque_token, token_hash};
use crate::mail::{EmailAddress, password_reset_email, verification_email};
use crate::store::{Membership, RefreshOutcome, RefreshRecord, SignupMethod, TokenPurpose, User};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use hafla_core::wire::ErrorCode;
use hafla_core::wire::accounts::{
    LoginRequest, MeView, MembershipView, RefreshRequest, RegisterRequest, SessionTokens,
};
use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;
use uuid::Uuid;

/// How long an email verification or password reset link works.
const VERIFY_LINK_HOURS: i64 = 48;
const RESET_LINK_HOURS: i64 = 1;

/// The token of an emailed link.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    token: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    #[schema(example = "layla@example.jo")]
    email: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetConfirmRequest {
    /// The token of the emailed reset link.
    token: String,
    /// Same rules as at registration.
    #[schema(format = Password)]
    new_password: String,
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

/// Argon2 runs at most this many hashes at once (each holds 19 MiB): a burst of sign-ins
/// from many addresses queues instead of exhausting memory or the blocking pool.
const CONCURRENT_HASHES: usize = 4;

/// Runs an argon2 computation off the async runtime's threads, within the concurrency cap.
async fn with_argon2<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    static PERMITS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(CONCURRENT_HASHES);
    let _permit = PERMITS.acquire().await.map_err(internal)?;
    tokio::task::spawn_blocking(work).await.map_err(internal)
}

async fn hash_password(password: String) -> Result<String, ApiError> {
    with_argon2(move || password::hash(&password))
        .await?
        .map_err(internal)
}

async fn verify_password(password: String, phc: String) -> Result<bool, ApiError> {
    with_argon2(move || password::verify(&password, &phc)).await
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
#[utoipa::path(
    post,
    path = "/api/v1/auth/register",
    operation_id = "register",
    tag = "auth",
    summary = "Create an account with email and password",
    description = "Signs the new account in and emails a verification link. Pending \
                   invitations to the email are accepted.",
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "Account created and signed in", body = SessionTokens),
        (status = 400, description = "`malformed_json`, `invalid_email` or `weak_password` \
            (`details.rule`: too_short, too_long, too_common, contains_identifier)",
            body = hafla_core::wire::ErrorBody),
        (status = 409, description = "`email_taken`", body = hafla_core::wire::ErrorBody),
        (status = 429, description = "`rate_limited`", body = hafla_core::wire::ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    )
)]
pub async fn register(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<RegisterRequest>,
) -> Result<(StatusCode, Json<SessionTokens>), ApiError> {
    state
        .limits
        .check(Action::Register, ip, &body.email)
        .await?;
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
#[utoipa::path(
    post,
    path = "/api/v1/auth/login",
    operation_id = "login",
    tag = "auth",
    summary = "Sign in with email and password",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = SessionTokens),
        (status = 400, description = "`malformed_json`", body = hafla_core::wire::ErrorBody),
        (status = 401, description = "`invalid_credentials` (unknown email or wrong password)",
            body = hafla_core::wire::ErrorBody),
        (status = 429, description = "`rate_limited`", body = hafla_core::wire::ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    )
)]
pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<Json<SessionTokens>, ApiError> {
    state.limits.check(Action::Login, ip, &body.email).await?;
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
#[utoipa::path(
    post,
    path = "/api/v1/auth/refresh",
    operation_id = "refresh",
    tag = "auth",
    summary = "Trade a refresh token for a new token pair",
    description = "Refresh tokens are single use. Presenting one a second time ends every \
                   session of that sign-in (`token_reused`).",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "New access and refresh tokens", body = SessionTokens),
        (status = 400, description = "`malformed_json`", body = hafla_core::wire::ErrorBody),
        (status = 401, description = "`invalid_token`, `token_reused` or `unauthenticated` \
            (the account is gone)", body = hafla_core::wire::ErrorBody),
    )
)]
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
#[utoipa::path(
    post,
    path = "/api/v1/auth/logout",
    operation_id = "logout",
    tag = "auth",
    summary = "End this sign-in",
    description = "Revokes the refresh tokens of the caller's sign-in. Access tokens already \
                   issued stay valid until they expire.",
    responses(
        (status = 204, description = "Signed out"),
    ),
    security(("bearer" = []))
)]
pub async fn logout(State(state): State<AppState>, caller: Caller) -> Result<StatusCode, ApiError> {
    state
        .store
        .revoke_family(caller.session_id, Timestamp::now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/auth/logout-all`: ends every sign-in of the caller.
#[utoipa::path(
    post,
    path = "/api/v1/auth/logout-all",
    operation_id = "logout_all",
    tag = "auth",
    summary = "End every sign-in of the caller",
    responses(
        (status = 204, description = "Signed out everywhere"),
    ),
    security(("bearer" = []))
)]
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
#[utoipa::path(
    post,
    path = "/api/v1/auth/verify-email",
    operation_id = "verify_email",
    tag = "auth",
    summary = "Confirm an email address with the token of the emailed link",
    request_body = TokenRequest,
    responses(
        (status = 204, description = "Email verified"),
        (status = 400, description = "`malformed_json` or `invalid_token` (unknown, used or expired)",
            body = hafla_core::wire::ErrorBody),
    )
)]
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
#[utoipa::path(
    post,
    path = "/api/v1/auth/password-reset",
    operation_id = "request_password_reset",
    tag = "auth",
    summary = "Email a password reset link",
    description = "Answers 202 whether or not the email has an account, so nobody learns which \
                   emails are registered. The link works for one hour.",
    request_body = ResetRequest,
    responses(
        (status = 202, description = "A link was sent if the email has an account"),
        (status = 400, description = "`malformed_json` or `invalid_email`",
            body = hafla_core::wire::ErrorBody),
        (status = 429, description = "`rate_limited`", body = hafla_core::wire::ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    )
)]
pub async fn request_password_reset(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<ResetRequest>,
) -> Result<StatusCode, ApiError> {
    state
        .limits
        .check(Action::PasswordReset, ip, &body.email)
        .await?;
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
#[utoipa::path(
    post,
    path = "/api/v1/auth/password-reset/confirm",
    operation_id = "confirm_password_reset",
    tag = "auth",
    summary = "Set a new password with the token of the emailed link",
    description = "Ends every session of the account.",
    request_body = ResetConfirmRequest,
    responses(
        (status = 204, description = "Password changed"),
        (status = 400, description = "`malformed_json`, `invalid_token` or `weak_password`",
            body = hafla_core::wire::ErrorBody),
        (status = 404, description = "`not_found` (the account is gone)",
            body = hafla_core::wire::ErrorBody),
    )
)]
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
#[utoipa::path(
    get,
    path = "/api/v1/me",
    operation_id = "me",
    tag = "auth",
    summary = "The signed-in person and their organizations",
    responses(
        (status = 200, description = "The caller's account", body = MeView),
    ),
    security(("bearer" = []))
)]
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
