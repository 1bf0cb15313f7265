//! `GET /api/v1/events/search`: published events by words, place, dates, category, city
//! and price. Permission: public. What matching and ordering mean is documented in
//! `store::search`; this module reads the parameters, each bad value with its own code.

use super::AppState;
use super::error::ApiError;
use crate::store::search::{
    DEFAULT_LIMIT, DEFAULT_RADIUS_KM, MAX_LIMIT, MAX_QUERY_CHARS, MAX_RADIUS_KM,
};
use crate::store::{EventQuery, Near, SearchSort};
use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use hafla_core::places::{City, GeoPoint};
use hafla_core::wire::{Category, ErrorCode, EventSearchPage};
use std::collections::HashMap;

/// The parameters, as documented; read by hand so each bad value gets its own error.
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct SearchParams {
    /// Words to find, in Arabic or English (at most 200 characters). Marks, hamza forms,
    /// ta marbuta, the article and Arabic-Indic digits do not matter; every word must
    /// match, the last also as the start of a word. Punctuation alone means no words.
    q: Option<String>,
    /// Latitude of the point to search around (with `lng`).
    #[param(value_type = Option<f64>, minimum = -90, maximum = 90)]
    lat: Option<String>,
    /// Longitude of the point to search around (with `lat`).
    #[param(value_type = Option<f64>, minimum = -180, maximum = 180)]
    lng: Option<String>,
    /// Radius around the point, in km.
    #[param(value_type = Option<f64>, exclusive_minimum = 0, maximum = 200, default = 25)]
    radius_km: Option<String>,
    /// Events still running at or after this time (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    from: Option<String>,
    /// Events starting at or before this time (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    to: Option<String>,
    /// One category key.
    #[param(value_type = Option<Category>)]
    category: Option<String>,
    /// One city key (the event's city, whatever the spelling of its text).
    #[param(value_type = Option<City>)]
    city: Option<String>,
    /// Highest price of the cheapest ticket, in minor units (fils).
    #[param(value_type = Option<u64>, minimum = 0)]
    max_price: Option<String>,
    /// `true`: only events with a free ticket type.
    #[param(value_type = Option<bool>, default = false)]
    free: Option<String>,
    /// `relevance` (default with `q`), `date` (default without) or `distance` (needs a
    /// point).
    #[param(value_type = Option<String>, pattern = "^(relevance|date|distance)$")]
    sort: Option<String>,
    /// Results per page.
    #[param(value_type = Option<u32>, minimum = 1, maximum = 50, default = 20)]
    limit: Option<String>,
    /// `next_cursor` of the previous page, with otherwise the same parameters.
    cursor: Option<String>,
}

/// The names this route reads; anything else in the query string is ignored.
const NAMES: [&str; 13] = [
    "q",
    "lat",
    "lng",
    "radius_km",
    "from",
    "to",
    "category",
    "city",
    "max_price",
    "free",
    "sort",
    "limit",
    "cursor",
];

fn coded(code: ErrorCode, parameter: &'static str) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, code)
        .with_details(serde_json::json!({ "parameter": parameter }))
}

fn number(name: &'static str, raw: &str) -> Result<f64, ApiError> {
    raw.trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| ApiError::invalid_parameter(name, format!("“{raw}” is not a number")))
}

fn time(name: &'static str, raw: &str) -> Result<jiff::Timestamp, ApiError> {
    raw.parse::<jiff::Timestamp>().map_err(|_| {
        ApiError::invalid_parameter(
            name,
            format!("“{raw}” is not an RFC 3339 time such as 2026-12-31T20:00:00+03:00"),
        )
    })
}

/// Reads the query string into a search, or the first problem found.
pub fn parse(raw: Option<&str>) -> Result<EventQuery, ApiError> {
    let mut values: HashMap<&'static str, String> = HashMap::new();
    for (name, value) in url::form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        let Some(name) = NAMES.iter().find(|n| **n == name) else {
            continue;
        };
        if values.insert(name, value.into_owned()).is_some() {
            return Err(ApiError::invalid_parameter(name, "given more than once"));
        }
    }
    let get = |name: &str| {
        values
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    };
    let mut query = EventQuery::default();

    if let Some(q) = values.get("q") {
        if q.chars().count() > MAX_QUERY_CHARS {
            return Err(
                coded(ErrorCode::QueryTooLong, "q").with_arg("max", MAX_QUERY_CHARS.to_string())
            );
        }
        query.text = q.clone();
    }

    let lat = get("lat").map(|v| number("lat", v)).transpose()?;
    let lng = get("lng").map(|v| number("lng", v)).transpose()?;
    let radius = get("radius_km")
        .map(|v| number("radius_km", v))
        .transpose()?;
    match (lat, lng) {
        (Some(lat), Some(lng)) => {
            let point = GeoPoint { lat, lng };
            if !point.is_valid() {
                let parameter = if (-90.0..=90.0).contains(&lat) {
                    "lng"
                } else {
                    "lat"
                };
                return Err(coded(ErrorCode::InvalidLocation, parameter));
            }
            let radius_km = radius.unwrap_or(DEFAULT_RADIUS_KM);
            if radius_km <= 0.0 || radius_km > MAX_RADIUS_KM {
                return Err(coded(ErrorCode::RadiusOutOfRange, "radius_km")
                    .with_arg("max", format!("{MAX_RADIUS_KM}")));
            }
            query.near = Some(Near { point, radius_km });
        }
        (Some(_), None) => return Err(coded(ErrorCode::InvalidLocation, "lng")),
        (None, Some(_)) => return Err(coded(ErrorCode::InvalidLocation, "lat")),
        (None, None) if radius.is_some() => {
            return Err(coded(ErrorCode::InvalidLocation, "radius_km"));
        }
        (None, None) => {}
    }

    query.from = get("from").map(|v| time("from", v)).transpose()?;
    query.to = get("to").map(|v| time("to", v)).transpose()?;
    if let (Some(from), Some(to)) = (query.from, query.to)
        && to < from
    {
        return Err(coded(ErrorCode::InvalidDateRange, "to"));
    }

    if let Some(raw) = get("category") {
        query.category =
            Some(Category::from_key(raw).ok_or_else(|| {
                coded(ErrorCode::UnknownCategory, "category").with_arg("value", raw)
            })?);
    }
    if let Some(raw) = get("city") {
        query.city = Some(
            City::from_key(raw)
                .ok_or_else(|| coded(ErrorCode::UnknownCity, "city").with_arg("value", raw))?,
        );
    }
    if let Some(raw) = get("max_price") {
        let max = raw
            .parse::<u64>()
            .ok()
            .and_then(|v| i64::try_from(v).ok())
            .ok_or_else(|| {
                ApiError::invalid_parameter(
                    "max_price",
                    format!("“{raw}” is not a whole number of fils"),
                )
            })?;
        query.max_price_minor = Some(max);
    }
    if let Some(raw) = get("free") {
        query.free_only = match raw {
            "true" => true,
            "false" => false,
            _ => {
                return Err(ApiError::invalid_parameter(
                    "free",
                    format!("“{raw}” is neither true nor false"),
                ));
            }
        };
    }
    if let Some(raw) = get("sort") {
        let sort = SearchSort::from_key(raw)
            .ok_or_else(|| coded(ErrorCode::UnknownSort, "sort").with_arg("value", raw))?;
        if sort == SearchSort::Distance && query.near.is_none() {
            return Err(coded(ErrorCode::SortNeedsLocation, "sort"));
        }
        query.sort = Some(sort);
    }
    query.limit = match get("limit") {
        None => DEFAULT_LIMIT,
        Some(raw) => match raw.parse::<u32>() {
            Ok(limit) if (1..=MAX_LIMIT).contains(&limit) => limit,
            _ => {
                return Err(ApiError::invalid_parameter(
                    "limit",
                    format!("“{raw}” is not a whole number from 1 to {MAX_LIMIT}"),
                ));
            }
        },
    };
    query.cursor = get("cursor").map(str::to_owned);
    Ok(query)
}

/// `GET /api/v1/events/search`: one page of matching upcoming events.
#[utoipa::path(
    get,
    path = "/api/v1/events/search",
    operation_id = "search_events",
    tag = "catalog",
    summary = "Search upcoming published events",
    description = "Words (`q`), a point and radius, a date range, category, city and price \
        filters, combined. Ordered by `relevance` (a score that depends only on the event and \
        the words: each word found in the title counts 2, elsewhere 1; then soonest, then \
        id), `date` or `distance`. Pages are keyset pages: pass `next_cursor` back as \
        `cursor` with the same other parameters; events added or withdrawn between pages \
        never make another event appear twice or be skipped. Answers carry a strong `ETag` \
        and honour `If-None-Match` (304).",
    params(SearchParams),
    responses(
        (status = 200, description = "One page of results", body = EventSearchPage),
        (status = 304, description = "Not modified: the `If-None-Match` ETag is current"),
        (status = 400, description = "`invalid_parameter` (malformed number or time, `limit` \
            out of 1–50, a parameter given twice, a bad `cursor`), `invalid_location` (`lat` \
            or `lng` out of range or alone, `radius_km` without a point), \
            `radius_out_of_range`, `invalid_date_range`, `unknown_category`, `unknown_city`, \
            `unknown_sort`, `sort_needs_location`, `query_too_long`; `details.parameter` \
            names the parameter", body = hafla_core::wire::ErrorBody),
    )
)]
pub async fn search(
    State(state): State<AppState>,
    RawQuery(raw): RawQuery,
) -> Result<Json<EventSearchPage>, ApiError> {
    let query = parse(raw.as_deref())?;
    let store = state.store.clone();
    let page = state
        .catalog
        .get_or_compute(query.cache_key(), || async move {
            store.search_events(&query, jiff::Timestamp::now()).await
        })
        .await?;
    Ok(Json(EventSearchPage::clone(&page)))
}
