//! Sign-in with an OpenID Connect provider (Google, Apple, …), authorization code + PKCE.
//!
//! The app asks `start` for the provider's URL and opens it in the system browser; the
//! provider redirects to the app's deep link with `code` and `state`; the app posts them to
//! `callback`, where the server (which kept the PKCE verifier and nonce) redeems the code
//! and verifies the ID token. Accounts link by (provider, subject), or by a verified email.

use super::AppState;
use super::accounts::start_session;
use super::error::ApiError;
use super::extract::{ApiJson, ApiPath};
use crate::auth::oidc::{OidcError, VerifiedIdentity};
use crate::auth::tokens::token_hash;
use crate::store::{SignupMethod, User};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use hafla_core::Lang;
use hafla_core::wire::ErrorCode;
use hafla_core::wire::accounts::{CallbackRequest, OidcProviders, OidcStart, SessionTokens};
use jiff::Timestamp;
use uuid::Uuid;

fn failed(provider: &str, e: &OidcError) -> ApiError {
    if let OidcError::Randomness(reason) = e {
        tracing::error!(%reason, "no randomness for an OpenID Connect sign-in");
        return ApiError::internal();
    }
    tracing::warn!(provider, error = %e, "OpenID Connect sign-in failed");
    let status = match e {
        OidcError::Discovery(_) | OidcError::Network(_) => StatusCode::BAD_GATEWAY,
        OidcError::InvalidIdToken(_) | OidcError::UnknownKey => StatusCode::UNAUTHORIZED,
        _ => StatusCode::BAD_REQUEST,
    };
    ApiError::new(status, ErrorCode::OidcFailed).with_arg("provider", provider)
}

fn unknown_provider() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, ErrorCode::UnknownProvider)
}

/// `POST /api/v1/auth/oidc/{provider}/start`
#[utoipa::path(
    post,
    path = "/api/v1/auth/oidc/{provider}/start",
    operation_id = "start_oidc_sign_in",
    tag = "auth",
    summary = "Start signing in with an OpenID Connect provider",
    description = "Returns the provider's URL (authorization code flow with PKCE). The \
                   provider redirects to the app with `code` and `state`, which the app posts \
                   to `/api/v1/auth/oidc/callback`.",
    params(("provider" = String, Path, description = "A configured provider, e.g. `google`")),
    responses(
        (status = 200, description = "Open `authorization_url`", body = OidcStart),
        (status = 400, description = "`oidc_failed`", body = hafla_core::wire::ErrorBody),
        (status = 404, description = "`unknown_provider`", body = hafla_core::wire::ErrorBody),
    )
)]
pub async fn start(
    State(state): State<AppState>,
    ApiPath(provider): ApiPath<String>,
) -> Result<Json<OidcStart>, ApiError> {
    let client = state.oidc.get(&provider).ok_or_else(unknown_provider)?;
    let request = client
        .authorization_request()
        .map_err(|e| failed(&provider, &e))?;
    let pending = client.pending_login(&request, Timestamp::now());
    state
        .store
        .save_pending_login(token_hash(&request.state), pending)
        .await?;
    Ok(Json(OidcStart {
        authorization_url: request.url.to_string(),
        state: request.state,
    }))
}

/// `GET /api/v1/auth/oidc/providers`
#[utoipa::path(
    get,
    path = "/api/v1/auth/oidc/providers",
    operation_id = "list_oidc_providers",
    tag = "auth",
    summary = "The OpenID Connect providers to offer",
    description = "The configured providers, by the name `/api/v1/auth/oidc/{provider}/start` \
                   takes; empty when none is configured.",
    responses((status = 200, description = "Sorted provider names", body = OidcProviders))
)]
pub async fn providers(State(state): State<AppState>) -> Json<OidcProviders> {
    let mut providers: Vec<String> = state.oidc.keys().cloned().collect();
    providers.sort();
    Json(OidcProviders { providers })
}

/// `POST /api/v1/auth/oidc/callback`
#[utoipa::path(
    post,
    path = "/api/v1/auth/oidc/callback",
    operation_id = "finish_oidc_sign_in",
    tag = "auth",
    summary = "Finish signing in with an OpenID Connect provider",
    description = "Redeems the code and verifies the ID token. The identity signs in to the \
                   account it is linked to, or to the account with its verified email, or to a \
                   new account.",
    request_body = CallbackRequest,
    responses(
        (status = 200, description = "Signed in", body = SessionTokens),
        (status = 400, description = "`malformed_json`, `invalid_token` (unknown or used `state`) \
            or `oidc_failed`", body = hafla_core::wire::ErrorBody),
        (status = 401, description = "`oidc_failed`: the ID token was refused", body = hafla_core::wire::ErrorBody),
        (status = 404, description = "`unknown_provider`", body = hafla_core::wire::ErrorBody),
        (status = 502, description = "`oidc_failed`: the provider could not be reached", body = hafla_core::wire::ErrorBody),
    )
)]
pub async fn callback(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<CallbackRequest>,
) -> Result<Json<SessionTokens>, ApiError> {
    let invalid = || ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::InvalidToken);
    let pending = state
        .store
        .take_pending_login(token_hash(&body.state))
        .await?
        .ok_or_else(invalid)?;
    let provider = pending.provider.clone();
    let client = state.oidc.get(&provider).ok_or_else(unknown_provider)?;
    let now = Timestamp::now();
    let identity = client
        .exchange_code(&body.code, &pending, now)
        .await
        .map_err(|e| failed(&provider, &e))?;
    let user = user_for(&state, &identity, now).await?;
    Ok(Json(start_session(&state, &user, now).await?))
}

/// The account of this identity: already linked, or matched by verified email, or new.
async fn user_for(
    state: &AppState,
    id: &VerifiedIdentity,
    now: Timestamp,
) -> Result<User, ApiError> {
    if let Some(user) = state
        .store
        .user_by_identity(&id.provider, &id.subject)
        .await?
    {
        return Ok(user);
    }
    let verified_email = id
        .email
        .as_deref()
        .filter(|_| id.email_verified)
        .map(str::to_lowercase);
    let existing = match &verified_email {
        Some(email) => state.store.user_by_email(email).await?,
        None => None,
    };
    let user = match existing {
        Some(user) => {
            state.store.mark_email_verified(user.id, now).await?;
            user
        }
        None => {
            let user = User {
                id: Uuid::now_v7(),
                email: verified_email.clone(),
                email_verified: verified_email.is_some(),
                phone: None,
                phone_verified: false,
                password_hash: None,
                display_name: id
                    .name
                    .clone()
                    .unwrap_or_default()
                    .chars()
                    .take(100)
                    .collect(),
                lang: Lang::Ar,
                is_admin: false,
                signup_method: SignupMethod::Oidc,
                created_at: now,
            };
            if user.email.is_none() {
                // An account needs an email or a phone; a provider that shares neither
                // cannot create one.
                return Err(
                    ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::OidcFailed)
                        .with_arg("provider", id.provider.as_str()),
                );
            }
            state.store.create_user(user.clone()).await?;
            user
        }
    };
    state
        .store
        .link_identity(&id.provider, &id.subject, user.id, now)
        .await?;
    state
        .store
        .accept_invites(user.id, user.email.as_deref(), None, now)
        .await?;
    Ok(user)
}
