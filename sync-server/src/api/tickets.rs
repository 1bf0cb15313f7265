//! Tickets for their holders: the list, and handing one to someone else. A ticket of
//! someone else is `not_found`.

use super::AppState;
use super::error::ApiError;
use super::extract::{ApiJson, ApiPath, Caller};
use crate::auth::phone::PhoneNumber;
use crate::mail::EmailAddress;
use crate::store::payments::Ticket;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use hafla_core::wire::{ErrorBody, ErrorCode, TicketList, TicketView, TransferInput};
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
