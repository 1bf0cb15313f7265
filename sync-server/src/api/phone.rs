//! Sign-in by SMS one-time code: send a code to a mobile number, then trade the code for a
//! session. A first sign-in creates the account. Permissions are in `authz::ROUTES`.

use super::AppState;
use super::accounts::start_session;
use super::client_ip::ClientIp;
use super::error::ApiError;
use super::extract::ApiJson;
use super::ratelimit::Action;
use crate::auth::otp::{OtpChallenge, OtpError, OtpOutcome, OtpPolicy, generate_code};
use crate::auth::phone::{PhoneError, PhoneNumber};
use crate::sms::{SmsError, SmsMessage};
use crate::store::{SignupMethod, User};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use hafla_core::Lang;
use hafla_core::i18n::localizer;
use hafla_core::wire::ErrorCode;
use hafla_core::wire::accounts::{SendCodeRequest, SessionTokens, VerifyCodeRequest};
use jiff::Timestamp;
use uuid::Uuid;

pub(super) fn phone_error(e: PhoneError) -> ApiError {
    let reason = match e {
        PhoneError::Empty => "empty",
        PhoneError::TooLong => "too_long",
        PhoneError::InvalidCharacters => "invalid_characters",
        PhoneError::NotMobile => "not_mobile",
        PhoneError::NotANumber | PhoneError::Invalid => "invalid",
    };
    ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::InvalidPhone)
        .with_arg("reason", reason)
        .with_details(serde_json::json!({ "reason": reason }))
}

fn wait(retry_after: jiff::SignedDuration) -> ApiError {
    let seconds = retry_after.as_secs().max(1) as u64;
    ApiError::new(StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited)
        .with_arg("seconds", seconds.to_string())
        .with_retry_after(seconds)
}

fn otp_error(e: OtpError) -> ApiError {
    match e {
        OtpError::ResendTooSoon { retry_after } | OtpError::TooManySends { retry_after } => {
            wait(retry_after)
        }
        other => {
            tracing::error!(error = %other, "one-time code failed");
            ApiError::internal()
        }
    }
}

/// `POST /api/v1/auth/phone/send`: texts a 6-digit code valid for 5 minutes.
#[utoipa::path(
    post,
    path = "/api/v1/auth/phone/send",
    operation_id = "send_phone_code",
    tag = "auth",
    summary = "Text a one-time sign-in code to a mobile number",
    description = "The 6-digit code is valid for 5 minutes. Asking again too soon, or too often, \
                   answers 429 with `Retry-After`.",
    request_body = SendCodeRequest,
    responses(
        (status = 202, description = "The code was handed to the SMS provider"),
        (status = 400, description = "`malformed_json` or `invalid_phone` (`details.reason`: \
            empty, too_long, invalid_characters, not_mobile, invalid)", body = hafla_core::wire::ErrorBody),
        (status = 422, description = "`invalid_body`, or `sms_rejected` (the SMS provider refused the number)",
            body = hafla_core::wire::ErrorBody),
        (status = 429, description = "`rate_limited`", body = hafla_core::wire::ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "`sms_unavailable` or `database_unavailable`: try again shortly",
            body = hafla_core::wire::ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait (`database_unavailable`)"))),
    )
)]
pub async fn send_code(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<SendCodeRequest>,
) -> Result<StatusCode, ApiError> {
    let phone = PhoneNumber::parse(&body.phone).map_err(phone_error)?;
    state
        .limits
        .check(Action::OtpSend, ip, phone.as_e164())
        .await?;
    let policy = OtpPolicy::default();
    let now = Timestamp::now();
    let code = generate_code(policy.code_len).map_err(otp_error)?;
    let hash = state.otp.hash(&phone, &code);
    let challenge = match state.store.otp_challenge(&phone).await? {
        Some(mut challenge) => {
            challenge.resend(hash, &policy, now).map_err(otp_error)?;
            challenge
        }
        None => OtpChallenge::issue(phone.clone(), hash, &policy, now),
    };
    state.store.save_otp_challenge(challenge).await?;
    let minutes = (policy.ttl.as_secs() / 60).to_string();
    let text = localizer().message(
        body.lang.unwrap_or_default(),
        "otp-sms-body",
        &[("code", code.as_str().into()), ("minutes", minutes.into())],
    );
    let message = SmsMessage {
        to: phone,
        body: text,
    };
    state.sms.send(&message).await.map_err(|e| match e {
        SmsError::Rejected { .. } => {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::SmsRejected)
        }
        SmsError::Unavailable(_) => {
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, ErrorCode::SmsUnavailable)
        }
        SmsError::Config(reason) => {
            tracing::error!(%reason, "SMS sender is misconfigured");
            ApiError::internal()
        }
    })?;
    Ok(StatusCode::ACCEPTED)
}

/// `POST /api/v1/auth/phone/verify`: a right code signs in (creating the account on first
/// use); wrong codes count against the code's 5 attempts.
#[utoipa::path(
    post,
    path = "/api/v1/auth/phone/verify",
    operation_id = "verify_phone_code",
    tag = "auth",
    summary = "Sign in with a texted code",
    description = "The first sign-in with a number creates the account; pending invitations to \
                   the number are accepted. Each code allows 5 attempts.",
    request_body = VerifyCodeRequest,
    responses(
        (status = 200, description = "Signed in", body = SessionTokens),
        (status = 400, description = "`malformed_json`, `invalid_phone`, `otp_wrong` \
            (`details.attempts_left`), `otp_locked` or `otp_expired`", body = hafla_core::wire::ErrorBody),
        (status = 429, description = "`rate_limited`", body = hafla_core::wire::ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    )
)]
pub async fn verify_code(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(body): ApiJson<VerifyCodeRequest>,
) -> Result<Json<SessionTokens>, ApiError> {
    let phone = PhoneNumber::parse(&body.phone).map_err(phone_error)?;
    state
        .limits
        .check(Action::OtpVerify, ip, phone.as_e164())
        .await?;
    let policy = OtpPolicy::default();
    let now = Timestamp::now();
    let expired = || ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::OtpExpired);
    let mut challenge = state
        .store
        .otp_challenge(&phone)
        .await?
        .ok_or_else(expired)?;
    match challenge.verify(&state.otp, &body.code, &policy, now) {
        OtpOutcome::Valid => {
            state.store.delete_otp_challenge(&phone).await?;
        }
        OtpOutcome::Wrong { attempts_left: 0 } | OtpOutcome::TooManyAttempts => {
            state.store.save_otp_challenge(challenge).await?;
            return Err(ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::OtpLocked));
        }
        OtpOutcome::Wrong { attempts_left } => {
            state.store.save_otp_challenge(challenge).await?;
            return Err(ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::OtpWrong)
                .with_arg("attempts_left", attempts_left.to_string())
                .with_details(serde_json::json!({ "attempts_left": attempts_left })));
        }
        OtpOutcome::Expired => return Err(expired()),
    }
    let user = match state.store.user_by_phone(phone.as_e164()).await? {
        Some(user) => user,
        None => {
            let user = User {
                id: Uuid::now_v7(),
                email: None,
                email_verified: false,
                phone: Some(phone.as_e164().to_owned()),
                phone_verified: true,
                password_hash: None,
                display_name: String::new(),
                lang: Lang::Ar,
                is_admin: false,
                signup_method: SignupMethod::Phone,
                created_at: now,
            };
            state.store.create_user(user.clone()).await?;
            user
        }
    };
    state
        .store
        .accept_invites(user.id, None, Some(phone.as_e164()), now)
        .await?;
    Ok(Json(start_session(&state, &user, now).await?))
}
