//! The public catalog: published events anyone may list. Permission: public.

use super::AppState;
use super::error::ApiError;
use axum::Json;
use axum::extract::{Query, State};
use hafla_core::wire::EventPage;
use serde::Deserialize;

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
    let offset = parse_bounded("offset", params.offset.as_deref(), 0, 1_000_000)?;
    let limit = parse_bounded("limit", params.limit.as_deref(), DEFAULT_LIMIT, MAX_LIMIT)?;
    if limit == 0 {
        return Err(ApiError::invalid_parameter("limit", "must be at least 1"));
    }
    let page = state
        .store
        .list_published_events(jiff::Timestamp::now(), offset, limit)
        .await?;
    Ok(Json(page))
}
