//! Platform admins review submitted events: the queue, approval, rejection with a reason.
//! Permission: `Admin` in `authz::ROUTES`. Two admins deciding on one event at once: the
//! first decision wins, the second gets `invalid_status_transition`.

use super::AppState;
use super::error::ApiError;
use super::events::ListParams;
use super::extract::{ApiJson, ApiPath, Caller};
use super::organizer::{change, list_item};
use crate::store::Transition;
use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use hafla_core::wire::{ErrorBody, ErrorCode, OrganizerEvent, RejectInput, ReviewQueuePage};
use serde_json::json;
use uuid::Uuid;

/// Longest rejection reason, in characters.
pub const REASON_MAX: usize = 1000;

/// `GET /api/v1/admin/events/review-queue?offset&limit`
#[utoipa::path(
    get,
    path = "/api/v1/admin/events/review-queue",
    operation_id = "review_queue",
    tag = "admin",
    summary = "Events waiting for review, the longest waiting first",
    params(ListParams),
    responses(
        (status = 200, description = "One page of the queue", body = ReviewQueuePage),
        (status = 400, description = "`invalid_parameter`: `offset` or `limit` out of range", body = ErrorBody),
        (status = 403, description = "`forbidden`: not a platform admin", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn queue(
    State(state): State<AppState>,
    Query(params): Query<ListParams>,
) -> Result<Json<ReviewQueuePage>, ApiError> {
    let (offset, limit) = params.bounds()?;
    let queue = state.store.review_queue(offset, limit).await?;
    let seen = offset.saturating_add(queue.events.len() as u32);
    Ok(Json(ReviewQueuePage {
        events: queue.events.into_iter().map(list_item).collect(),
        total: queue.total,
        next_offset: (seen < queue.total).then_some(seen),
    }))
}

/// `POST /api/v1/admin/events/{event_id}/approve`
#[utoipa::path(
    post,
    path = "/api/v1/admin/events/{event_id}/approve",
    operation_id = "approve_event",
    tag = "admin",
    summary = "Publish an event waiting for review",
    params(("event_id" = Uuid, Path, description = "The event")),
    responses(
        (status = 200, description = "The event, now `published`", body = OrganizerEvent),
        (status = 400, description = "`invalid_parameter`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not a platform admin", body = ErrorBody),
        (status = 404, description = "`not_found`", body = ErrorBody),
        (status = 409, description = "`invalid_status_transition` (`details.status`): not waiting for review (perhaps another admin decided first)", body = ErrorBody),
        (status = 422, description = "`ticket_types_required`: an edit removed every ticket type", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn approve(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(event_id): ApiPath<Uuid>,
) -> Result<Json<OrganizerEvent>, ApiError> {
    change(&state, &caller, None, event_id, Transition::Approve, None).await
}

/// `POST /api/v1/admin/events/{event_id}/reject`
#[utoipa::path(
    post,
    path = "/api/v1/admin/events/{event_id}/reject",
    operation_id = "reject_event",
    tag = "admin",
    summary = "Reject an event waiting for review, saying why",
    description = "The organizer sees the reason on the event and in its review trail, edits \
                   and submits again.",
    params(("event_id" = Uuid, Path, description = "The event")),
    request_body = RejectInput,
    responses(
        (status = 200, description = "The event, now `rejected`", body = OrganizerEvent),
        (status = 400, description = "`malformed_json` or `invalid_parameter`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not a platform admin", body = ErrorBody),
        (status = 404, description = "`not_found`", body = ErrorBody),
        (status = 409, description = "`invalid_status_transition` (`details.status`): not waiting for review", body = ErrorBody),
        (status = 422, description = "`reason_required` (empty after trimming), `text_too_long` (over 1000 characters) or `invalid_body`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn reject(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(event_id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<RejectInput>,
) -> Result<Json<OrganizerEvent>, ApiError> {
    let reason = Some(required_reason(&input.reason, REASON_MAX)?);
    change(&state, &caller, None, event_id, Transition::Reject, reason).await
}

/// A reason a person gives (a rejection, a refund): trimmed, not empty, at most `max`
/// characters; else `reason_required` or `text_too_long` on the field `reason`.
pub(super) fn required_reason(text: &str, max: usize) -> Result<String, ApiError> {
    let reason = text.trim();
    if reason.is_empty() {
        return Err(
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::ReasonRequired)
                .with_details(json!({ "field": "reason" })),
        );
    }
    if reason.chars().count() > max {
        return Err(
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::TextTooLong)
                .with_details(json!({ "field": "reason", "max": max }))
                .with_arg("max", max.to_string()),
        );
    }
    Ok(reason.to_owned())
}
