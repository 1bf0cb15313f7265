//! Organizers author their events: drafts, edits, cover images, submission for review,
//! cancellation, and the review trail. Permissions are in `authz::ROUTES` (any member reads; owners and
//! managers write); an event of another organization is `not_found`, never shown.
//!
//! The edit rule: draft, rejected and pending events are freely editable (a pending one
//! stays pending). A published event stays published after cosmetic edits; an edit that
//! changes what attendees paid for (start or end, time zone, venue, an existing ticket
//! type's price or entry policy, removing a ticket type, lowering a capacity) sends it back
//! to review (`store::material_changes`). Cancelled events are not editable.

use super::AppState;
use super::error::ApiError;
use super::extract::{ApiJson, ApiPath, Caller};
use crate::media::{self, MediaError};
use crate::store::{
    CoverVariant, EventEdit, EventListEntry, NewEvent, NewTicketType, StatusChange, StoredEvent,
    Transition,
};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use hafla_core::Bilingual;
use hafla_core::money::Currency;
use hafla_core::wire::{
    CoverUrls, ErrorBody, ErrorCode, EventInput, EventListItem, EventReview, EventStatus,
    OrganizerEvent, TicketTypeInput, TicketTypeView,
};
use serde_json::json;
use uuid::Uuid;

/// Longest title, per language, in characters.
pub const TITLE_MAX: usize = 200;
/// Longest description, per language, in characters.
pub const DESCRIPTION_MAX: usize = 10_000;
pub const TAGS_MAX: usize = 10;
pub const TAG_MAX: usize = 40;
/// Longest venue name and ticket type name, per language.
pub const NAME_MAX: usize = 200;
pub const ADDRESS_MAX: usize = 500;
pub const TICKET_TYPES_MAX: usize = 50;
/// The most a ticket may cost: 10,000 JOD in fils.
pub const PRICE_MAX_MINOR: i64 = 10_000_000;
pub const CAPACITY_MAX: u32 = 100_000;
pub const PER_ORDER_MAX: u32 = 100;
/// Jordan's bounding box, roughly: venues outside it are mistakes.
pub const JORDAN_LAT: (f64, f64) = (29.0, 33.5);
pub const JORDAN_LNG: (f64, f64) = (34.8, 39.5);

/// A rule broken by the input: 422 with the code and the field.
fn invalid(code: ErrorCode, field: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code)
        .with_details(json!({ "field": field.into() }))
}

fn too_long(field: impl Into<String>, max: usize) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::TextTooLong)
        .with_details(json!({ "field": field.into(), "max": max }))
        .with_arg("max", max.to_string())
}

/// Trims both sides and checks their length.
fn text(value: Bilingual, field: &str, max: usize) -> Result<Bilingual, ApiError> {
    let trimmed = Bilingual {
        ar: value.ar.trim().to_owned(),
        en: value.en.trim().to_owned(),
    };
    for (side, s) in [("ar", &trimmed.ar), ("en", &trimmed.en)] {
        if s.chars().count() > max {
            return Err(too_long(format!("{field}.{side}"), max));
        }
    }
    Ok(trimmed)
}

fn required(value: Bilingual, code: ErrorCode, field: &str) -> Result<Bilingual, ApiError> {
    if value.ar.is_empty() && value.en.is_empty() {
        return Err(invalid(code, field));
    }
    Ok(value)
}

/// The checked content of `input`, as the event `event_id` of `organization_id`, with the
/// ids of the ticket types it adds. `editing`: the event as stored, when this is an edit.
fn validate(
    input: EventInput,
    organization_id: Uuid,
    event_id: Uuid,
    editing: Option<&StoredEvent>,
    now: jiff::Timestamp,
) -> Result<(NewEvent, Vec<Uuid>), ApiError> {
    let title = required(
        text(input.title, "title", TITLE_MAX)?,
        ErrorCode::TitleRequired,
        "title",
    )?;
    let description = required(
        text(input.description, "description", DESCRIPTION_MAX)?,
        ErrorCode::DescriptionRequired,
        "description",
    )?;
    let mut tags: Vec<String> = Vec::new();
    for (i, tag) in input.tags.iter().enumerate() {
        let tag = tag.trim();
        if tag.chars().count() > TAG_MAX {
            return Err(too_long(format!("tags[{i}]"), TAG_MAX));
        }
        if !tag.is_empty() && !tags.iter().any(|t| t == tag) {
            tags.push(tag.to_owned());
        }
    }
    if tags.len() > TAGS_MAX {
        return Err(invalid(ErrorCode::TooManyTags, "tags"));
    }
    let mut venue = input.venue;
    venue.name = text(venue.name, "venue.name", NAME_MAX)?;
    venue.address = text(venue.address, "venue.address", ADDRESS_MAX)?;
    let p = venue.location;
    if !(p.lat.is_finite() && p.lng.is_finite() && p.is_valid()) {
        return Err(invalid(ErrorCode::InvalidLocation, "venue.location"));
    }
    let in_jordan = (JORDAN_LAT.0..=JORDAN_LAT.1).contains(&p.lat)
        && (JORDAN_LNG.0..=JORDAN_LNG.1).contains(&p.lng);
    if !in_jordan {
        return Err(invalid(ErrorCode::LocationOutsideJordan, "venue.location"));
    }
    if input.ends_at <= input.starts_at {
        return Err(invalid(ErrorCode::EventEndsBeforeStart, "ends_at"));
    }
    // A new start must lie ahead; an event already under way may keep its start.
    let start_changed = editing.is_none_or(|e| e.starts_at != input.starts_at);
    if start_changed && input.starts_at < now {
        return Err(invalid(ErrorCode::EventStartsInPast, "starts_at"));
    }
    let time_zone = input.time_zone.trim().to_owned();
    if time_zone.len() > 64 || jiff::tz::TimeZone::get(&time_zone).is_err() {
        return Err(invalid(ErrorCode::UnknownTimeZone, "time_zone"));
    }
    if input.ticket_types.len() > TICKET_TYPES_MAX {
        return Err(ApiError::invalid_body(format!(
            "at most {TICKET_TYPES_MAX} ticket types"
        )));
    }
    let mut ticket_types = Vec::with_capacity(input.ticket_types.len());
    let mut added = Vec::new();
    for (i, t) in input.ticket_types.into_iter().enumerate() {
        let field = |name: &str| format!("ticket_types[{i}].{name}");
        let id = match t.id {
            Some(id) => {
                let known = editing.is_some_and(|e| e.ticket_types.iter().any(|o| o.id == id));
                if !known {
                    return Err(invalid(ErrorCode::UnknownTicketType, field("id")));
                }
                if ticket_types.iter().any(|o: &NewTicketType| o.id == id) {
                    return Err(invalid(ErrorCode::DuplicateTicketType, field("id")));
                }
                id
            }
            None => {
                let id = Uuid::now_v7();
                added.push(id);
                id
            }
        };
        ticket_types.push(ticket_type(t, id, &input.ends_at, &field)?);
    }
    Ok((
        NewEvent {
            id: event_id,
            organization_id,
            status: EventStatus::Draft,
            title,
            description,
            category: input.category,
            venue,
            starts_at: input.starts_at,
            ends_at: input.ends_at,
            time_zone,
            tags,
            ticket_types,
        },
        added,
    ))
}

fn ticket_type(
    t: TicketTypeInput,
    id: Uuid,
    event_ends: &jiff::Timestamp,
    field: &dyn Fn(&str) -> String,
) -> Result<NewTicketType, ApiError> {
    let name = required(
        text(t.name, &field("name"), NAME_MAX)?,
        ErrorCode::TicketTypeNameRequired,
        &field("name"),
    )?;
    if t.price.currency != Currency::JOD {
        return Err(invalid(ErrorCode::UnsupportedCurrency, field("price")));
    }
    if !(0..=PRICE_MAX_MINOR).contains(&t.price.minor) {
        return Err(invalid(ErrorCode::InvalidPrice, field("price")));
    }
    if !(1..=CAPACITY_MAX).contains(&t.capacity) {
        return Err(invalid(ErrorCode::InvalidCapacity, field("capacity")));
    }
    if !(1..=PER_ORDER_MAX).contains(&t.per_order_limit) {
        return Err(invalid(
            ErrorCode::InvalidPerOrderLimit,
            field("per_order_limit"),
        ));
    }
    let window_ok = match (t.sales_start, t.sales_end) {
        (Some(start), Some(end)) => start < end && end <= *event_ends,
        (Some(start), None) => start < *event_ends,
        (None, Some(end)) => end <= *event_ends,
        (None, None) => true,
    };
    if !window_ok {
        return Err(invalid(ErrorCode::InvalidSalesWindow, field("sales_end")));
    }
    Ok(NewTicketType {
        id,
        name,
        price: t.price,
        capacity: t.capacity,
        sales_start: t.sales_start,
        sales_end: t.sales_end,
        per_order_limit: t.per_order_limit,
        entry_policy: t.entry_policy,
    })
}

/// Where the variants of an event's cover are served; each URL names the cover's hash.
/// The public URLs of a published event's cover.
pub(super) fn cover_urls(event_id: Uuid, hash: Option<&str>) -> Option<CoverUrls> {
    cover_urls_under(&format!("/api/v1/events/{event_id}"), hash)
}

/// The URLs of an event's cover under `base` (the public event, or the organizer's).
fn cover_urls_under(base: &str, hash: Option<&str>) -> Option<CoverUrls> {
    let url = |variant: &str, hash: &str| format!("{base}/cover/{variant}?v={hash}");
    hash.map(|h| CoverUrls {
        large: url("large", h),
        medium: url("medium", h),
        thumb: url("thumb", h),
    })
}

pub(super) fn ticket_type_view(t: NewTicketType) -> TicketTypeView {
    TicketTypeView {
        id: t.id,
        name: t.name,
        price: t.price,
        capacity: t.capacity,
        sales_start: t.sales_start,
        sales_end: t.sales_end,
        per_order_limit: t.per_order_limit,
        entry_policy: t.entry_policy,
    }
}

pub(super) fn organizer_view(e: StoredEvent) -> OrganizerEvent {
    OrganizerEvent {
        // The organizer's own route: it serves drafts and events in review too.
        cover: cover_urls_under(
            &format!("/api/v1/orgs/{}/events/{}", e.organization_id, e.id),
            e.cover_image.as_deref(),
        ),
        id: e.id,
        organization_id: e.organization_id,
        status: e.status,
        rejection_reason: e.rejection_reason,
        version: e.version,
        title: e.title,
        description: e.description,
        category: e.category,
        tags: e.tags,
        venue: e.venue,
        starts_at: e.starts_at,
        ends_at: e.ends_at,
        time_zone: e.time_zone,
        ticket_types: e.ticket_types.into_iter().map(ticket_type_view).collect(),
        submitted_at: e.submitted_at,
        reviewed_at: e.reviewed_at,
        created_at: e.created_at,
        updated_at: e.updated_at,
    }
}

pub(super) fn list_item(e: EventListEntry) -> EventListItem {
    EventListItem {
        id: e.id,
        organization_id: e.organization_id,
        organizer: e.organizer,
        status: e.status,
        title: e.title,
        category: e.category,
        city: e.city,
        starts_at: e.starts_at,
        ends_at: e.ends_at,
        submitted_at: e.submitted_at,
        version: e.version,
    }
}

/// The event if it belongs to the organization; `not_found` otherwise (never another
/// organization's event).
async fn event_of(state: &AppState, org_id: Uuid, event_id: Uuid) -> Result<StoredEvent, ApiError> {
    match state.store.event(event_id).await? {
        Some(e) if e.organization_id == org_id => Ok(e),
        _ => Err(ApiError::not_found()),
    }
}

const VALIDATION: &str = "`title_required`, `description_required`, `text_too_long`, \
`too_many_tags`, `invalid_location`, `location_outside_jordan`, `event_ends_before_start`, \
`event_starts_in_past`, `unknown_time_zone`, `ticket_type_name_required`, `invalid_price`, \
`unsupported_currency`, `invalid_capacity`, `invalid_sales_window`, \
`invalid_per_order_limit`, `duplicate_ticket_type`, `unknown_ticket_type` (`details.field` \
names the field), or `invalid_body` (wrong shape, unknown category or city)";

/// `POST /api/v1/orgs/{org_id}/events`: a new draft.
#[utoipa::path(
    post,
    path = "/api/v1/orgs/{org_id}/events",
    operation_id = "create_event",
    tag = "events",
    summary = "Create a draft event",
    description = "The event starts as a `draft`, visible to the organization only. Ticket \
                   types may be added now or later; leave their `id` out. One side of each \
                   bilingual text may be empty, not both.",
    params(("org_id" = Uuid, Path, description = "The organization")),
    request_body = EventInput,
    responses(
        (status = 201, description = "Draft created", body = OrganizerEvent),
        (status = 400, description = "`malformed_json` or `invalid_parameter`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not an owner or manager", body = ErrorBody),
        (status = 404, description = "`not_found`: no such organization", body = ErrorBody),
        (status = 422, description = VALIDATION, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    ApiPath(org_id): ApiPath<Uuid>,
    ApiJson(input): ApiJson<EventInput>,
) -> Result<(StatusCode, Json<OrganizerEvent>), ApiError> {
    if input.version.is_some() {
        return Err(ApiError::invalid_body("version is only sent when editing"));
    }
    let (event, _) = validate(input, org_id, Uuid::now_v7(), None, jiff::Timestamp::now())?;
    // Platform admins pass authorization for any organization id: it must exist.
    if state.store.organization_name(org_id).await?.is_none() {
        return Err(ApiError::not_found());
    }
    let stored = state.store.create_event(event).await?;
    Ok((StatusCode::CREATED, Json(organizer_view(stored))))
}

/// `GET /api/v1/orgs/{org_id}/events`
#[utoipa::path(
    get,
    path = "/api/v1/orgs/{org_id}/events",
    operation_id = "list_organization_events",
    tag = "events",
    summary = "The organization's events in every status, by start time",
    params(("org_id" = Uuid, Path, description = "The organization")),
    responses(
        (status = 200, description = "The events", body = Vec<EventListItem>),
        (status = 400, description = "`invalid_parameter`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not a member", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    ApiPath(org_id): ApiPath<Uuid>,
) -> Result<Json<Vec<EventListItem>>, ApiError> {
    let events = state.store.organization_events(org_id).await?;
    Ok(Json(events.into_iter().map(list_item).collect()))
}

/// `GET /api/v1/orgs/{org_id}/events/{event_id}`
#[utoipa::path(
    get,
    path = "/api/v1/orgs/{org_id}/events/{event_id}",
    operation_id = "get_organization_event",
    tag = "events",
    summary = "One of the organization's events in full, in any status",
    params(
        ("org_id" = Uuid, Path, description = "The organization"),
        ("event_id" = Uuid, Path, description = "The event"),
    ),
    responses(
        (status = 200, description = "The event", body = OrganizerEvent),
        (status = 400, description = "`invalid_parameter`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not a member", body = ErrorBody),
        (status = 404, description = "`not_found`: no such event in this organization", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn get(
    State(state): State<AppState>,
    ApiPath((org_id, event_id)): ApiPath<(Uuid, Uuid)>,
) -> Result<Json<OrganizerEvent>, ApiError> {
    Ok(Json(organizer_view(
        event_of(&state, org_id, event_id).await?,
    )))
}

/// `PUT /api/v1/orgs/{org_id}/events/{event_id}`
#[utoipa::path(
    put,
    path = "/api/v1/orgs/{org_id}/events/{event_id}",
    operation_id = "update_event",
    tag = "events",
    summary = "Replace an event's content",
    description = "Send the whole event with the `version` you edited; if it changed since, \
                   nothing is saved (`edit_conflict`). Ticket types named by `id` are kept \
                   (with their tickets), those without an `id` are added, the others removed.\n\n\
                   Draft, rejected and pending-review events are freely editable (a pending \
                   one stays pending). A published event stays published after cosmetic \
                   edits (titles, descriptions, tags, category, cover, new ticket types, more \
                   capacity, sales windows, per-order limits). An edit that changes what \
                   attendees paid for (start or end time, time zone, venue, an existing \
                   ticket type's price or entry policy, removing a ticket type or lowering a \
                   capacity) sends it back to `pending_review`: it leaves the public catalog \
                   until approved again, the review trail records `returned_to_review` with \
                   the fields that changed, and tickets already sold stay valid. Cancelled \
                   events cannot be edited.",
    params(
        ("org_id" = Uuid, Path, description = "The organization"),
        ("event_id" = Uuid, Path, description = "The event"),
    ),
    request_body = EventInput,
    responses(
        (status = 200, description = "The event as saved (new `version`, maybe a new `status`)", body = OrganizerEvent),
        (status = 400, description = "`malformed_json` or `invalid_parameter`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not an owner or manager", body = ErrorBody),
        (status = 404, description = "`not_found`: no such event in this organization", body = ErrorBody),
        (status = 409, description = "`edit_conflict` (`details.current_version`) or `event_cancelled`", body = ErrorBody),
        (status = 422, description = VALIDATION, body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org_id, event_id)): ApiPath<(Uuid, Uuid)>,
    ApiJson(input): ApiJson<EventInput>,
) -> Result<Json<OrganizerEvent>, ApiError> {
    let Some(expected_version) = input.version else {
        return Err(ApiError::invalid_body(
            "version: the version of the event you edited is required",
        ));
    };
    let stored = event_of(&state, org_id, event_id).await?;
    if stored.status == EventStatus::Cancelled {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            ErrorCode::EventCancelled,
        ));
    }
    if stored.version != expected_version {
        return Err(crate::store::StoreError::Stale {
            current: stored.version,
        }
        .into());
    }
    let now = jiff::Timestamp::now();
    let (event, added) = validate(input, org_id, event_id, Some(&stored), now)?;
    let outcome = state
        .store
        .update_event(EventEdit {
            event,
            expected_version,
            added_ticket_types: added,
            actor: caller.user_id,
            now,
        })
        .await?;
    Ok(Json(organizer_view(outcome.event)))
}

/// Moves an event through its review life by `caller`; with `organization_id`, only an
/// event of that organization (organizer routes), without it any event (admins).
pub(super) async fn change(
    state: &AppState,
    caller: &Caller,
    organization_id: Option<Uuid>,
    event_id: Uuid,
    transition: Transition,
    reason: Option<String>,
) -> Result<Json<OrganizerEvent>, ApiError> {
    let stored = state
        .store
        .change_status(StatusChange {
            event_id,
            organization_id,
            transition,
            actor: caller.user_id,
            reason,
            now: jiff::Timestamp::now(),
        })
        .await?;
    Ok(Json(organizer_view(stored)))
}

/// `POST /api/v1/orgs/{org_id}/events/{event_id}/submit`
#[utoipa::path(
    post,
    path = "/api/v1/orgs/{org_id}/events/{event_id}/submit",
    operation_id = "submit_event",
    tag = "events",
    summary = "Submit a draft or rejected event for review",
    params(
        ("org_id" = Uuid, Path, description = "The organization"),
        ("event_id" = Uuid, Path, description = "The event"),
    ),
    responses(
        (status = 200, description = "The event, now `pending_review`", body = OrganizerEvent),
        (status = 400, description = "`invalid_parameter`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not an owner or manager", body = ErrorBody),
        (status = 404, description = "`not_found`: no such event in this organization", body = ErrorBody),
        (status = 409, description = "`invalid_status_transition` (`details.status`): not a draft or rejected", body = ErrorBody),
        (status = 422, description = "`ticket_types_required`: the event has no ticket types", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn submit(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org_id, event_id)): ApiPath<(Uuid, Uuid)>,
) -> Result<Json<OrganizerEvent>, ApiError> {
    change(
        &state,
        &caller,
        Some(org_id),
        event_id,
        Transition::Submit,
        None,
    )
    .await
}

/// `POST /api/v1/orgs/{org_id}/events/{event_id}/cancel`
#[utoipa::path(
    post,
    path = "/api/v1/orgs/{org_id}/events/{event_id}/cancel",
    operation_id = "cancel_event",
    tag = "events",
    summary = "Cancel an event, in any status but cancelled",
    description = "A cancelled event leaves the public catalog and can no longer be edited. \
        Its paid orders are refunded whole through the provider they were paid by (their \
        tickets revoked as cancelled); unpaid ones are cancelled.",
    params(
        ("org_id" = Uuid, Path, description = "The organization"),
        ("event_id" = Uuid, Path, description = "The event"),
    ),
    responses(
        (status = 200, description = "The event, now `cancelled`", body = OrganizerEvent),
        (status = 400, description = "`invalid_parameter`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not an owner or manager", body = ErrorBody),
        (status = 404, description = "`not_found`: no such event in this organization", body = ErrorBody),
        (status = 409, description = "`invalid_status_transition`: already cancelled", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn cancel(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath((org_id, event_id)): ApiPath<(Uuid, Uuid)>,
) -> Result<Json<OrganizerEvent>, ApiError> {
    let cancelled = change(
        &state,
        &caller,
        Some(org_id),
        event_id,
        Transition::Cancel,
        None,
    )
    .await?;
    // Buyers get their money back; their tickets stop admitting.
    state
        .checkout
        .cancel_event(
            event_id,
            crate::store::orders::Actor::Organizer(caller.user_id),
            jiff::Timestamp::now(),
        )
        .await?;
    Ok(cancelled)
}

/// `GET /api/v1/orgs/{org_id}/events/{event_id}/reviews`
#[utoipa::path(
    get,
    path = "/api/v1/orgs/{org_id}/events/{event_id}/reviews",
    operation_id = "list_event_reviews",
    tag = "events",
    summary = "The event's review trail, oldest first",
    description = "Every submission, decision (with the rejection reason), return to review \
                   and cancellation: who, when and why.",
    params(
        ("org_id" = Uuid, Path, description = "The organization"),
        ("event_id" = Uuid, Path, description = "The event"),
    ),
    responses(
        (status = 200, description = "The trail", body = Vec<EventReview>),
        (status = 400, description = "`invalid_parameter`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not a member", body = ErrorBody),
        (status = 404, description = "`not_found`: no such event in this organization", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn reviews(
    State(state): State<AppState>,
    ApiPath((org_id, event_id)): ApiPath<(Uuid, Uuid)>,
) -> Result<Json<Vec<EventReview>>, ApiError> {
    event_of(&state, org_id, event_id).await?;
    let trail = state.store.event_reviews(event_id).await?;
    Ok(Json(
        trail
            .into_iter()
            .map(|r| EventReview {
                action: r.action,
                actor: r.actor,
                reason: r.reason,
                at: r.at,
            })
            .collect(),
    ))
}

/// Covers decoded at once across the server: each may need a few hundred MiB.
static COVER_WORK: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// The API error of an unusable upload.
fn media_error(err: MediaError) -> ApiError {
    let unprocessable = |code| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code);
    match err {
        MediaError::UnsupportedType => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::UnsupportedImageType,
        ),
        MediaError::TooLarge { max } => image_too_large(max),
        MediaError::TooManyPixels {
            max_side,
            max_pixels,
        } => unprocessable(ErrorCode::ImageTooManyPixels)
            .with_details(json!({ "max_side": max_side, "max_pixels": max_pixels }))
            .with_arg("max_side", max_side.to_string())
            .with_arg("megapixels", (max_pixels / 1_000_000).to_string()),
        MediaError::TooSmall {
            min_width,
            min_height,
        } => unprocessable(ErrorCode::ImageTooSmall)
            .with_details(json!({ "min_width": min_width, "min_height": min_height }))
            .with_arg("min_width", min_width.to_string())
            .with_arg("min_height", min_height.to_string()),
        MediaError::Corrupt(_) => unprocessable(ErrorCode::ImageCorrupt),
        MediaError::Encode(e) => {
            tracing::error!(error = %e, "encoding a cover variant failed");
            ApiError::internal()
        }
    }
}

fn image_too_large(max: usize) -> ApiError {
    ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::ImageTooLarge)
        .with_details(json!({ "max_bytes": max }))
        .with_arg("megabytes", (max / (1024 * 1024)).to_string())
}

/// SHA-256 of `bytes` in lowercase hexadecimal.
fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `PUT /api/v1/orgs/{org_id}/events/{event_id}/cover`
#[utoipa::path(
    put,
    path = "/api/v1/orgs/{org_id}/events/{event_id}/cover",
    operation_id = "upload_event_cover",
    tag = "events",
    summary = "Upload an event's cover image, replacing the previous one",
    description = "The body is the image itself (JPEG, PNG or WebP, told by its content; at \
                   most 10 MiB, at least 320 × 180 pixels, at most 8000 pixels a side and 40 \
                   megapixels). It is re-encoded as JPEG in three sizes (`large`, `medium`, \
                   `thumb`) without any of the upload's metadata; the event's `cover` gives \
                   their URLs. A cosmetic edit: a published event stays published.",
    params(
        ("org_id" = Uuid, Path, description = "The organization"),
        ("event_id" = Uuid, Path, description = "The event"),
    ),
    request_body(content = Vec<u8>, content_type = "image/*", description = "The image"),
    responses(
        (status = 200, description = "The event with its new cover", body = OrganizerEvent),
        (status = 400, description = "`invalid_parameter`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not an owner or manager", body = ErrorBody),
        (status = 404, description = "`not_found`: no such event in this organization", body = ErrorBody),
        (status = 409, description = "`event_cancelled`", body = ErrorBody),
        (status = 413, description = "`image_too_large`: over 10 MiB", body = ErrorBody),
        (status = 415, description = "`unsupported_image_type`: not JPEG, PNG or WebP", body = ErrorBody),
        (status = 422, description = "`image_too_small`, `image_too_many_pixels` or `image_corrupt`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn upload_cover(
    State(state): State<AppState>,
    ApiPath((org_id, event_id)): ApiPath<(Uuid, Uuid)>,
    body: axum::body::Body,
) -> Result<Json<OrganizerEvent>, ApiError> {
    let stored = event_of(&state, org_id, event_id).await?;
    if stored.status == EventStatus::Cancelled {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            ErrorCode::EventCancelled,
        ));
    }
    // Read at most one byte past the limit, so a larger body is refused unbuffered.
    let bytes = axum::body::to_bytes(body, media::MAX_UPLOAD_BYTES)
        .await
        .map_err(|_| image_too_large(media::MAX_UPLOAD_BYTES))?;
    let _permit = COVER_WORK
        .acquire()
        .await
        .map_err(|_| ApiError::internal())?;
    let (hash, cover) = tokio::task::spawn_blocking(move || {
        media::process_cover(&bytes).map(|cover| (sha256_hex(&bytes), cover))
    })
    .await
    .map_err(|e| {
        tracing::error!(error = %e, "cover processing stopped");
        ApiError::internal()
    })?
    .map_err(media_error)?;
    let variants = cover
        .variants()
        .into_iter()
        .map(|v| CoverVariant {
            variant: v.name.to_owned(),
            content_type: v.content_type.to_owned(),
            width: v.width,
            height: v.height,
            sha256: v.sha256.clone(),
            bytes: v.bytes.clone(),
        })
        .collect();
    state
        .store
        .save_cover(event_id, org_id, hash, variants, jiff::Timestamp::now())
        .await?;
    Ok(Json(organizer_view(
        event_of(&state, org_id, event_id).await?,
    )))
}

/// `GET /api/v1/orgs/{org_id}/events/{event_id}/cover/{variant}`
#[utoipa::path(
    get,
    path = "/api/v1/orgs/{org_id}/events/{event_id}/cover/{variant}",
    operation_id = "preview_event_cover",
    tag = "events",
    summary = "An event's cover in one size, whatever its status, for its organization",
    description = "What the public will see once the event is published. Cached privately \
                   (for good when `v` is the cover's hash).",
    params(
        ("org_id" = Uuid, Path, description = "The organization"),
        ("event_id" = Uuid, Path, description = "The event"),
        ("variant" = String, Path, description = "`large`, `medium` or `thumb`"),
        ("v" = Option<String>, Query, description = "The cover's hash, as in the event's `cover` URLs"),
    ),
    responses(
        (status = 200, description = "The image", content_type = "image/jpeg"),
        (status = 400, description = "`invalid_parameter`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not a member", body = ErrorBody),
        (status = 404, description = "`not_found`: no such event in this organization, cover or size", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn cover_preview(
    State(state): State<AppState>,
    ApiPath((org_id, event_id, variant)): ApiPath<(Uuid, Uuid, String)>,
    axum::extract::Query(params): axum::extract::Query<super::events::CoverParams>,
) -> Result<axum::response::Response, ApiError> {
    if !super::events::COVER_VARIANTS.contains(&variant.as_str()) {
        return Err(ApiError::not_found());
    }
    let found = state
        .store
        .cover_variant(event_id, &variant)
        .await?
        .filter(|f| f.organization_id == org_id)
        .ok_or_else(ApiError::not_found)?;
    Ok(super::events::cover_response(
        found,
        params.v.as_deref(),
        false,
    ))
}
