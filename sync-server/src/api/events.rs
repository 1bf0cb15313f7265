//! The public catalog: published events anyone may list and read, and their cover
//! images. Permission: public. Events in any other status are `not_found` here.

use super::AppState;
use super::error::ApiError;
use super::extract::ApiPath;
use super::organizer::{cover_urls, ticket_type_view};
use crate::store::CoverLookup;
use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use hafla_core::wire::{ErrorBody, EventDetail, EventPage, EventStatus};
use serde::Deserialize;
use uuid::Uuid;

/// The sizes a cover is served in.
pub const COVER_VARIANTS: [&str; 3] = ["large", "medium", "thumb"];

/// Page size when the caller does not choose one, and the largest it may choose.
pub const DEFAULT_LIMIT: u32 = 20;
pub const MAX_LIMIT: u32 = 100;

/// Raw query parameters, parsed by hand so each bad value gets its own clear error.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Events to skip.
    #[param(value_type = Option<u32>, minimum = 0, maximum = 1_000_000, default = 0)]
    offset: Option<String>,
    /// Events per page.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100, default = 20)]
    limit: Option<String>,
}

impl ListParams {
    /// The offset and limit asked for, checked.
    pub(super) fn bounds(&self) -> Result<(u32, u32), ApiError> {
        let offset = parse_bounded("offset", self.offset.as_deref(), 0, 1_000_000)?;
        let limit = parse_bounded("limit", self.limit.as_deref(), DEFAULT_LIMIT, MAX_LIMIT)?;
        if limit == 0 {
            return Err(ApiError::invalid_parameter("limit", "must be at least 1"));
        }
        Ok((offset, limit))
    }
}

fn parse_bounded(
    name: &'static str,
    raw: Option<&str>,
    default: u32,
    max: u32,
) -> Result<u32, ApiError> {
    let Some(raw) = raw else { return Ok(default) };
    let value: u32 = raw.parse().map_err(|_| {
        ApiError::invalid_parameter(
            name,
            format!("“{raw}” is not a whole number from 0 to {max}"),
        )
    })?;
    if value > max {
        return Err(ApiError::invalid_parameter(
            name,
            format!("{value} is more than {max}"),
        ));
    }
    Ok(value)
}

/// `GET /api/v1/events?offset&limit`: upcoming published events, soonest first.
#[utoipa::path(
    get,
    path = "/api/v1/events",
    operation_id = "list_events",
    tag = "catalog",
    summary = "Upcoming published events, soonest first",
    params(ListParams),
    responses(
        (status = 200, description = "One page of events", body = EventPage),
        (status = 400, description = "`invalid_parameter`: `offset` or `limit` out of range",
            body = hafla_core::wire::ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    Query(params): Query<ListParams>,
) -> Result<Json<EventPage>, ApiError> {
    let (offset, limit) = params.bounds()?;
    let page = state
        .store
        .list_published_events(jiff::Timestamp::now(), offset, limit)
        .await?;
    Ok(Json(page))
}

/// `GET /api/v1/events/{event_id}`: a published event in full.
#[utoipa::path(
    get,
    path = "/api/v1/events/{event_id}",
    operation_id = "get_event",
    tag = "catalog",
    summary = "A published event in full",
    description = "Events that are not published (drafts, in review, rejected, cancelled) \
                   are `not_found`, as are events that do not exist.",
    params(("event_id" = Uuid, Path, description = "The event")),
    responses(
        (status = 200, description = "The event", body = EventDetail),
        (status = 400, description = "`invalid_parameter`: `event_id` is not a UUID", body = ErrorBody),
        (status = 404, description = "`not_found`", body = ErrorBody),
    )
)]
pub async fn detail(
    State(state): State<AppState>,
    ApiPath(event_id): ApiPath<Uuid>,
) -> Result<Json<EventDetail>, ApiError> {
    let e = match state.store.event(event_id).await? {
        Some(e) if e.status == EventStatus::Published => e,
        _ => return Err(ApiError::not_found()),
    };
    super::analytics::count_view(&state, e.id);
    let price_from = e
        .ticket_types
        .iter()
        .map(|t| t.price)
        .min_by_key(|p| p.minor);
    Ok(Json(EventDetail {
        cover: cover_urls(e.id, e.cover_image.as_deref()),
        id: e.id,
        title: e.title,
        description: e.description,
        category: e.category,
        tags: e.tags,
        organizer: e.organizer,
        venue: e.venue,
        starts_at: e.starts_at,
        ends_at: e.ends_at,
        time_zone: e.time_zone,
        ticket_types: e.ticket_types.into_iter().map(ticket_type_view).collect(),
        price_from,
    }))
}

/// The `v` of a cover URL: the hash of the cover it was made for.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct CoverParams {
    /// The cover's hash, as in the event's `cover` URLs; with it the answer is cached for good.
    pub(super) v: Option<String>,
}

/// `GET /api/v1/events/{event_id}/cover/{variant}`
#[utoipa::path(
    get,
    path = "/api/v1/events/{event_id}/cover/{variant}",
    operation_id = "get_event_cover",
    tag = "catalog",
    summary = "A published event's cover image in one size",
    description = "The image bytes (JPEG). When `v` is the current cover's hash (as in the \
                   URLs of the event's `cover`), the answer is `Cache-Control: public, \
                   max-age=31536000, immutable`: a new cover gets a new URL.",
    params(
        ("event_id" = Uuid, Path, description = "The event"),
        ("variant" = String, Path, description = "`large`, `medium` or `thumb`"),
        CoverParams,
    ),
    responses(
        (status = 200, description = "The image", content_type = "image/jpeg"),
        (status = 400, description = "`invalid_parameter`: `event_id` is not a UUID", body = ErrorBody),
        (status = 404, description = "`not_found`: no such published event, cover or size", body = ErrorBody),
    )
)]
pub async fn cover(
    State(state): State<AppState>,
    ApiPath((event_id, variant)): ApiPath<(Uuid, String)>,
    Query(params): Query<CoverParams>,
) -> Result<Response, ApiError> {
    if !COVER_VARIANTS.contains(&variant.as_str()) {
        return Err(ApiError::not_found());
    }
    let found = state.store.cover_variant(event_id, &variant).await?;
    let Some(found) = found.filter(|f| f.status == EventStatus::Published) else {
        return Err(ApiError::not_found());
    };
    Ok(cover_response(found, params.v.as_deref(), true))
}

/// The image of a cover lookup. With `v` the current cover's hash, it may be kept for good
/// (a new cover gets a new URL); `public` answers may be kept by shared caches too.
pub(super) fn cover_response(found: CoverLookup, v: Option<&str>, public: bool) -> Response {
    let pinned = v.is_some() && v == found.cover_image.as_deref();
    let cache = match (public, pinned) {
        (true, true) => "public, max-age=31536000, immutable",
        (true, false) => "public, max-age=300",
        (false, true) => "private, max-age=31536000, immutable",
        (false, false) => "private, no-cache",
    };
    let content_type = HeaderValue::from_str(&found.image.content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
        ],
        found.image.bytes,
    )
        .into_response()
}
