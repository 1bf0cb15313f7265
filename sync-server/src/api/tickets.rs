//! Tickets for their holders: the list, and handing one to someone else. A ticket of
//! someone else is `not_found`.

use super::AppState;
use super::error::ApiError;
use super::extract::{ApiJson, ApiPath, Caller};
use crate::auth::phone::PhoneNumber;
use crate::issuance::IssuanceError;
use crate::mail::EmailAddress;
use crate::store::payments::Ticket;
use crate::store::tickets::CredentialFacts;
use axum::Json;
use axum::extract::Query;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use hafla_core::credential::Credential;
use hafla_core::wire::{
    ErrorBody, ErrorCode, TicketCredential, TicketList, TicketView, TransferInput,
};
use serde_json::json;
use uuid::Uuid;

/// Tickets listed at once.
const LIST_LIMIT: u32 = 200;

pub(super) fn ticket_view(ticket: Ticket) -> TicketView {
    TicketView {
        id: ticket.id,
        order_id: ticket.order_id,
        event_id: ticket.event_id,
        ticket_type_id: ticket.ticket_type_id,
        serial: ticket.serial,
        valid: ticket.valid,
        issued_at: ticket.issued_at,
    }
}

/// `GET /api/v1/me/tickets`
#[utoipa::path(
    get,
    path = "/api/v1/me/tickets",
    operation_id = "my_tickets",
    tag = "orders",
    summary = "The caller's tickets, newest first (the last 200)",
    responses(
        (status = 200, description = "The tickets", body = TicketList),
        (status = 401, description = "`unauthenticated`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn mine(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<TicketList>, ApiError> {
    let tickets = state
        .store
        .tickets_of_holder(caller.user_id, LIST_LIMIT)
        .await?;
    Ok(Json(TicketList {
        tickets: tickets.into_iter().map(ticket_view).collect(),
    }))
}

/// The recipient's account, from an email or a phone number (exactly one).
async fn recipient(state: &AppState, input: &TransferInput) -> Result<Uuid, ApiError> {
    let invalid = |code| {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code)
            .with_details(json!({ "field": "email" }))
    };
    let user = match (input.email.as_deref(), input.phone.as_deref()) {
        (Some(email), None) => {
            let email = EmailAddress::parse(email).map_err(|_| invalid(ErrorCode::InvalidEmail))?;
            state.store.user_by_email(email.as_str()).await?
        }
        (None, Some(phone)) => {
            let phone = PhoneNumber::parse(phone).map_err(|_| {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidPhone)
                    .with_details(json!({ "field": "phone" }))
            })?;
            state.store.user_by_phone(phone.as_e164()).await?
        }
        _ => {
            return Err(
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidBody)
                    .with_details(
                        json!({ "field": "email", "reason": "give an email or a phone, not both" }),
                    ),
            );
        }
    };
    user.map(|u| u.id)
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, ErrorCode::RecipientNotFound))
}

/// `POST /api/v1/tickets/{ticket_id}/transfer`
#[utoipa::path(
    post,
    path = "/api/v1/tickets/{ticket_id}/transfer",
    operation_id = "transfer_ticket",
    tag = "orders",
    summary = "Give a ticket to someone else",
    description = "The ticket is revoked (its QR code stops admitting) and a new one is issued \
        to the recipient, found by the email or phone number of their Hafla account.",
    request_body = TransferInput,
    params(("ticket_id" = Uuid, Path, description = "The ticket")),
    responses(
        (status = 200, description = "The recipient's new ticket", body = TicketView),
        (status = 400, description = "`invalid_parameter`", body = ErrorBody),
        (status = 401, description = "`unauthenticated`", body = ErrorBody),
        (status = 404, description = "`not_found` (not the caller's ticket), `recipient_not_found`", body = ErrorBody),
        (status = 409, description = "`ticket_not_transferable` (`details.reason`: `not_valid`, `to_self`, `event_over`)", body = ErrorBody),
        (status = 422, description = "`invalid_email`, `invalid_phone`, `invalid_body`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn transfer(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(ticket_id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<TransferInput>,
) -> Result<Json<TicketView>, ApiError> {
    // Someone else's ticket does not exist for the caller, whoever the recipient is.
    state
        .store
        .ticket(ticket_id)
        .await?
        .filter(|t| t.holder_id == caller.user_id)
        .ok_or_else(ApiError::not_found)?;
    let to = recipient(&state, &input).await?;
    let ticket = state
        .store
        .transfer_ticket(ticket_id, caller.user_id, to, jiff::Timestamp::now())
        .await?;
    Ok(Json(ticket_view(ticket)))
}

impl From<IssuanceError> for ApiError {
    fn from(err: IssuanceError) -> Self {
        match err {
            IssuanceError::Store(e) => e.into(),
            other => {
                // Never the key: the errors name key ids and fingerprints only.
                tracing::error!(error = %other, "cannot issue a credential");
                ApiError::internal()
            }
        }
    }
}

/// The caller's valid ticket with what its credential says, signed now.
async fn own_credential(
    state: &AppState,
    caller: &Caller,
    ticket_id: Uuid,
) -> Result<(CredentialFacts, Credential), ApiError> {
    let facts = state
        .store
        .credential_facts(ticket_id)
        .await?
        .filter(|f| f.ticket.holder_id == caller.user_id)
        .ok_or_else(ApiError::not_found)?;
    if !facts.ticket.valid {
        return Err(
            ApiError::new(StatusCode::CONFLICT, ErrorCode::TicketNotValid)
                .with_details(json!({ "ticket_id": ticket_id })),
        );
    }
    let credential = crate::issuance::credentials::credential(&state.issuer, &facts).await?;
    Ok((facts, credential))
}

/// `GET /api/v1/tickets/{ticket_id}/credential`
#[utoipa::path(
    get,
    path = "/api/v1/tickets/{ticket_id}/credential",
    operation_id = "ticket_credential",
    tag = "orders",
    summary = "A ticket's signed credential, for its holder to keep offline",
    description = "The text a ticket's QR code carries, signed with its event's key; a door \
        verifies it with no network. Only the ticket's holder gets it, and only while the \
        ticket is valid.",
    params(("ticket_id" = Uuid, Path, description = "The ticket")),
    responses(
        (status = 200, description = "The credential", body = TicketCredential),
        (status = 400, description = "`invalid_parameter`", body = ErrorBody),
        (status = 401, description = "`unauthenticated`", body = ErrorBody),
        (status = 404, description = "`not_found` (also someone else's ticket)", body = ErrorBody),
        (status = 409, description = "`ticket_not_valid`: refunded, cancelled or transferred", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn credential(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(ticket_id): ApiPath<Uuid>,
) -> Result<Json<TicketCredential>, ApiError> {
    let (_, credential) = own_credential(&state, &caller, ticket_id).await?;
    Ok(Json(TicketCredential {
        ticket_id,
        text: credential.to_text(),
        valid_from: credential.claims.valid_from(),
        valid_until: credential.claims.valid_until(),
    }))
}

#[derive(serde::Deserialize, utoipa::IntoParams)]
pub struct QrParams {
    /// Width and height in pixels (PNG only), 64–4096 [default: 320].
    size: Option<u32>,
}

/// `GET /api/v1/tickets/{ticket_id}/qr.svg`
#[utoipa::path(
    get,
    path = "/api/v1/tickets/{ticket_id}/qr.svg",
    operation_id = "ticket_qr_svg",
    tag = "orders",
    summary = "A ticket's QR code as SVG, for its holder",
    params(("ticket_id" = Uuid, Path, description = "The ticket")),
    responses(
        (status = 200, description = "The QR code", content_type = "image/svg+xml"),
        (status = 401, description = "`unauthenticated`", body = ErrorBody),
        (status = 404, description = "`not_found`", body = ErrorBody),
        (status = 409, description = "`ticket_not_valid`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn qr_svg(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(ticket_id): ApiPath<Uuid>,
) -> Result<Response, ApiError> {
    let (_, credential) = own_credential(&state, &caller, ticket_id).await?;
    let svg = hafla_core::qr::render_svg(&credential.to_text(), hafla_core::qr::DEFAULT_SIZE_PX)
        .map_err(|e| {
            tracing::error!(error = %e, "cannot draw a ticket's QR code");
            ApiError::internal()
        })?;
    Ok(image("image/svg+xml", svg.into_bytes()))
}

/// `GET /api/v1/tickets/{ticket_id}/qr.png`
#[utoipa::path(
    get,
    path = "/api/v1/tickets/{ticket_id}/qr.png",
    operation_id = "ticket_qr_png",
    tag = "orders",
    summary = "A ticket's QR code as PNG, for its holder",
    params(("ticket_id" = Uuid, Path, description = "The ticket"), QrParams),
    responses(
        (status = 200, description = "The QR code", content_type = "image/png"),
        (status = 400, description = "`invalid_parameter`: `size` out of range", body = ErrorBody),
        (status = 401, description = "`unauthenticated`", body = ErrorBody),
        (status = 404, description = "`not_found`", body = ErrorBody),
        (status = 409, description = "`ticket_not_valid`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn qr_png(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(ticket_id): ApiPath<Uuid>,
    Query(params): Query<QrParams>,
) -> Result<Response, ApiError> {
    let size = params.size.unwrap_or(hafla_core::qr::DEFAULT_SIZE_PX);
    if !(64..=hafla_core::qr::MAX_SIZE_PX).contains(&size) {
        return Err(
            ApiError::invalid_parameter("size", "between 64 and 4096 pixels")
                .with_details(json!({ "parameter": "size" })),
        );
    }
    let (_, credential) = own_credential(&state, &caller, ticket_id).await?;
    let png = hafla_core::qr::render_png(&credential.to_text(), size).map_err(|e| {
        tracing::error!(error = %e, "cannot draw a ticket's QR code");
        ApiError::internal()
    })?;
    Ok(image("image/png", png))
}

/// A QR image: personal (it admits its holder), so never kept by shared caches.
fn image(content_type: &'static str, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "private, no-store"),
        ],
        bytes,
    )
        .into_response()
}

/// `POST /api/v1/orgs/{org_id}/events/{event_id}/keys/rotate`
#[utoipa::path(
    post,
    path = "/api/v1/orgs/{org_id}/events/{event_id}/keys/rotate",
    operation_id = "rotate_event_key",
    tag = "events",
    summary = "Start signing the event's tickets with a new key",
    description = "For a key that may have leaked. Credentials made from now on use the new \
        key; those already made keep verifying, since door lists carry every key of the \
        event. Answers the new key's id.",
    params(
        ("org_id" = Uuid, Path, description = "The organization"),
        ("event_id" = Uuid, Path, description = "The event"),
    ),
    responses(
        (status = 200, description = "`{\"key_id\": …}`"),
        (status = 400, description = "`invalid_parameter`", body = ErrorBody),
        (status = 403, description = "`forbidden`: owners and managers only", body = ErrorBody),
        (status = 404, description = "`not_found`: no such event in this organization", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn rotate_key(
    State(state): State<AppState>,
    ApiPath((org_id, event_id)): ApiPath<(Uuid, Uuid)>,
) -> Result<Json<serde_json::Value>, ApiError> {
    state
        .store
        .event(event_id)
        .await?
        .filter(|e| e.organization_id == org_id)
        .ok_or_else(ApiError::not_found)?;
    let key_id = state.issuer.rotate(event_id).await?;
    Ok(Json(json!({ "key_id": key_id })))
}
