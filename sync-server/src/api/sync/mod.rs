//! The sync API: pull a scope page by page, push a device's mutations, read other devices'
//! scans of an event, and listen for hints. See `hafla_core::wire::sync` for the shapes
//! and ARCHITECTURE.md for the data flow.

mod cursor;
mod hints;
mod pull;
mod push;

use super::AppState;
use super::error::{ApiError, request_lang};
use super::extract::{ApiJson, ApiPath, Caller};
use crate::store::sync::{Count, ScopeKey};
use axum::Json;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::sse::{KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use hafla_core::wire::ErrorBody;
use hafla_core::wire::sync::{
    DEFAULT_PAGE_ROWS, MAX_PAGE_ROWS, MAX_SCAN_PAGE, PushAnswer, PushRequest, ScanPage, Scope,
    SyncPage, parse_marks,
};
use serde::Deserialize;
use uuid::Uuid;

/// Scopes one hint stream may listen to.
const MAX_HINT_SCOPES: usize = 50;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PullParams {
    /// From the previous page (or the last pull); absent: from the start.
    cursor: Option<String>,
    /// Rows per page, 1–10,000 [default: 2,000].
    limit: Option<String>,
    /// `true`: the page carries `total`, the scope's live rows (for a progress bar; counting
    /// reads the whole scope, so ask on the first page of a download) [default: false].
    total: Option<String>,
    /// `true`: the last page carries the scope's `digest` (and `total`), to prove a copy
    /// whole; other pages are unaffected [default: false].
    digest: Option<String>,
}

fn flag(name: &'static str, text: Option<&str>) -> Result<bool, ApiError> {
    match text {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(_) => Err(ApiError::invalid_parameter(name, "true or false")),
    }
}

fn limit(text: Option<&str>, default: u32, max: u32) -> Result<u32, ApiError> {
    match text {
        None => Ok(default),
        Some(text) => text
            .parse()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| ApiError::invalid_parameter("limit", format!("an integer 1–{max}"))),
    }
}

async fn pull(
    state: &AppState,
    scope: ScopeKey,
    params: PullParams,
) -> Result<Json<SyncPage>, ApiError> {
    let limit = limit(params.limit.as_deref(), DEFAULT_PAGE_ROWS, MAX_PAGE_ROWS)?;
    let count = match (
        flag("total", params.total.as_deref())?,
        flag("digest", params.digest.as_deref())?,
    ) {
        (true, _) => Count::Always,
        (false, true) => Count::AtEnd,
        (false, false) => Count::Never,
    };
    Ok(Json(
        // An empty cursor is no cursor (a client that kept none).
        pull::page(
            state,
            scope,
            params.cursor.as_deref().filter(|c| !c.is_empty()),
            limit,
            count,
        )
        .await?,
    ))
}

/// The door scope's event, when it is one of `org_id`'s.
async fn own_event(state: &AppState, org_id: Uuid, event_id: Uuid) -> Result<(), ApiError> {
    match state.store.event(event_id).await? {
        Some(e) if e.organization_id == org_id => Ok(()),
        _ => Err(ApiError::not_found()),
    }
}

/// `GET /api/v1/sync/catalog`
#[utoipa::path(
    get,
    path = "/api/v1/sync/catalog",
    operation_id = "sync_catalog",
    tag = "sync",
    summary = "Pull the public catalog (published events) for an offline copy",
    description = "Rows in version order after `cursor`; apply a page and keep its cursor in \
        one local transaction. `reset`: drop the copy, then apply (the page starts over). \
        The last page (`has_more` false) carries the scope's digest.",
    params(PullParams),
    responses(
        (status = 200, description = "One page", body = SyncPage),
        (status = 400, description = "`invalid_parameter`: a garbled or foreign `cursor`, `limit` out of range", body = ErrorBody),
    )
)]
pub async fn catalog(
    State(state): State<AppState>,
    Query(params): Query<PullParams>,
) -> Result<Json<SyncPage>, ApiError> {
    let scope = ScopeKey::of(Scope::Catalog, None).ok_or_else(ApiError::internal)?;
    pull(&state, scope, params).await
}

/// `GET /api/v1/sync/me`
#[utoipa::path(
    get,
    path = "/api/v1/sync/me",
    operation_id = "sync_me",
    tag = "sync",
    summary = "Pull the caller's tickets, with credentials to show them offline",
    params(PullParams),
    responses(
        (status = 200, description = "One page", body = SyncPage),
        (status = 400, description = "`invalid_parameter`", body = ErrorBody),
        (status = 401, description = "`unauthenticated`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn me(
    State(state): State<AppState>,
    caller: Caller,
    Query(params): Query<PullParams>,
) -> Result<Json<SyncPage>, ApiError> {
    let scope = ScopeKey::of(Scope::Me, Some(caller.user_id)).ok_or_else(ApiError::internal)?;
    pull(&state, scope, params).await
}

/// `GET /api/v1/sync/orgs/{org_id}`
#[utoipa::path(
    get,
    path = "/api/v1/sync/orgs/{org_id}",
    operation_id = "sync_org",
    tag = "sync",
    summary = "Pull an organization's events in every status, for its members",
    params(("org_id" = Uuid, Path, description = "The organization"), PullParams),
    responses(
        (status = 200, description = "One page", body = SyncPage),
        (status = 400, description = "`invalid_parameter`", body = ErrorBody),
        (status = 401, description = "`unauthenticated`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not a member", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn org(
    State(state): State<AppState>,
    ApiPath(org_id): ApiPath<Uuid>,
    Query(params): Query<PullParams>,
) -> Result<Json<SyncPage>, ApiError> {
    pull(
        &state,
        ScopeKey::of(Scope::Org(org_id), None).ok_or_else(ApiError::internal)?,
        params,
    )
    .await
}

/// `GET /api/v1/sync/orgs/{org_id}/door/{event_id}`
#[utoipa::path(
    get,
    path = "/api/v1/sync/orgs/{org_id}/door/{event_id}",
    operation_id = "sync_door",
    tag = "sync",
    summary = "Pull an event's door list: tickets, types, keys, revocations and flagged scans",
    description = "What a door needs to admit with no network. Ticket rows are keyed by \
        serial and carry only the type number and, once revoked, why and when.",
    params(
        ("org_id" = Uuid, Path, description = "The organization"),
        ("event_id" = Uuid, Path, description = "One of its events"),
        PullParams,
    ),
    responses(
        (status = 200, description = "One page", body = SyncPage),
        (status = 400, description = "`invalid_parameter`", body = ErrorBody),
        (status = 401, description = "`unauthenticated`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not door staff, manager or owner", body = ErrorBody),
        (status = 404, description = "`not_found`: no such event in this organization", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn door(
    State(state): State<AppState>,
    ApiPath((org_id, event_id)): ApiPath<(Uuid, Uuid)>,
    Query(params): Query<PullParams>,
) -> Result<Json<SyncPage>, ApiError> {
    own_event(&state, org_id, event_id).await?;
    pull(
        &state,
        ScopeKey::of(Scope::Door(event_id), None).ok_or_else(ApiError::internal)?,
        params,
    )
    .await
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ScanParams {
    /// `device:seq` pairs joined by commas: the last scan held of each device.
    marks: Option<String>,
    /// Scans per answer, 1–5,000 [default: 5,000].
    limit: Option<String>,
}

/// `GET /api/v1/sync/orgs/{org_id}/door/{event_id}/scans`
#[utoipa::path(
    get,
    path = "/api/v1/sync/orgs/{org_id}/door/{event_id}/scans",
    operation_id = "sync_door_scans",
    tag = "sync",
    summary = "Every door device's scans of an event beyond the caller's marks",
    params(
        ("org_id" = Uuid, Path, description = "The organization"),
        ("event_id" = Uuid, Path, description = "One of its events"),
        ScanParams,
    ),
    responses(
        (status = 200, description = "Scans by device then log position", body = ScanPage),
        (status = 400, description = "`invalid_parameter`: malformed `marks` or `limit`", body = ErrorBody),
        (status = 401, description = "`unauthenticated`", body = ErrorBody),
        (status = 403, description = "`forbidden`", body = ErrorBody),
        (status = 404, description = "`not_found`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn door_scans(
    State(state): State<AppState>,
    ApiPath((org_id, event_id)): ApiPath<(Uuid, Uuid)>,
    Query(params): Query<ScanParams>,
) -> Result<Json<ScanPage>, ApiError> {
    let limit = limit(params.limit.as_deref(), MAX_SCAN_PAGE, MAX_SCAN_PAGE)?;
    let marks = parse_marks(params.marks.as_deref().unwrap_or(""))
        .ok_or_else(|| ApiError::invalid_parameter("marks", "device:seq pairs joined by commas"))?;
    own_event(&state, org_id, event_id).await?;
    let (scans, has_more) = state
        .store
        .scans_after(event_id, marks.into_iter().collect(), limit)
        .await?;
    Ok(Json(ScanPage { scans, has_more }))
}

/// `POST /api/v1/sync/push`
#[utoipa::path(
    post,
    path = "/api/v1/sync/push",
    operation_id = "sync_push",
    tag = "sync",
    summary = "Send a device's queued mutations (door scans)",
    description = "A device numbers its mutations 1, 2, 3…; each number is applied at most \
        once, in order: a repeated push answers `duplicate`, a push that overtook an earlier \
        one `deferred` (push it again after). A mutation that can never apply is answered \
        `rejected` with a code and still consumed, so it cannot block the queue. A device \
        belongs to the account that first pushed from it.",
    request_body = PushRequest,
    responses(
        (status = 200, description = "One result per mutation", body = PushAnswer),
        (status = 400, description = "`malformed_json`, `invalid_body` (over 1,000 mutations, numbers not increasing)", body = ErrorBody),
        (status = 401, description = "`unauthenticated`", body = ErrorBody),
        (status = 409, description = "`device_of_another_account`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn push(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiJson(request): ApiJson<PushRequest>,
) -> Result<Json<PushAnswer>, ApiError> {
    let lang = request_lang(&headers);
    Ok(Json(push::push(&state, &caller, request, lang).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HintParams {
    /// Scopes joined by commas: `catalog`, `me`, `org:{id}`, `door:{event id}` (at most 50).
    scopes: Option<String>,
}

/// Whether the caller may listen to `scope`; its stored key when so.
async fn hint_scope(
    state: &AppState,
    caller: Option<&Caller>,
    scope: Scope,
) -> Result<ScopeKey, ApiError> {
    let signed_in = || caller.ok_or_else(ApiError::unauthenticated);
    match scope {
        Scope::Catalog => {}
        Scope::Me => {
            signed_in()?;
        }
        Scope::Org(org) => {
            let c = signed_in()?;
            let member = state.roles.role_in(&*state.store, org, c.user_id).await?;
            if member.is_none() && !c.is_admin {
                return Err(ApiError::forbidden());
            }
        }
        Scope::Door(event_id) => {
            let c = signed_in()?;
            let event = state
                .store
                .event(event_id)
                .await?
                .ok_or_else(ApiError::not_found)?;
            if !push::may_scan(state, c, event.organization_id).await? {
                return Err(ApiError::forbidden());
            }
        }
    }
    ScopeKey::of(scope, caller.map(|c| c.user_id)).ok_or_else(ApiError::unauthenticated)
}

/// `GET /api/v1/sync/hints`
#[utoipa::path(
    get,
    path = "/api/v1/sync/hints",
    operation_id = "sync_hints",
    tag = "sync",
    summary = "Live hints (server-sent events) that scopes changed",
    description = "`text/event-stream` of `hint` events, data `{scope, version}`: one per \
        scope on connecting, then one whenever a scope changes; a comment every 15 s keeps \
        the connection open. Pull to learn what changed. `catalog` is public; `me` needs a \
        bearer token; `org:` a member; `door:` door staff, a manager or the owner.",
    params(HintParams),
    responses(
        (status = 200, description = "The event stream", content_type = "text/event-stream"),
        (status = 400, description = "`invalid_parameter`: no scopes, an unknown scope, over 50", body = ErrorBody),
        (status = 401, description = "`unauthenticated`", body = ErrorBody),
        (status = 403, description = "`forbidden`", body = ErrorBody),
        (status = 404, description = "`not_found`: a door scope of no event", body = ErrorBody),
    )
)]
pub async fn hints(
    State(state): State<AppState>,
    caller: Option<Caller>,
    Query(params): Query<HintParams>,
) -> Result<Response, ApiError> {
    let bad = |reason: &str| ApiError::invalid_parameter("scopes", reason.to_owned());
    let text = params.scopes.unwrap_or_default();
    let named: Vec<&str> = text.split(',').filter(|s| !s.is_empty()).collect();
    if named.is_empty() || named.len() > MAX_HINT_SCOPES {
        return Err(bad("1 to 50 scopes joined by commas"));
    }
    let mut scopes = Vec::with_capacity(named.len());
    for name in named {
        let scope: Scope = name
            .parse()
            .map_err(|()| bad("catalog, me, org:{id} or door:{id}"))?;
        let key = hint_scope(&state, caller.as_ref(), scope).await?;
        if !scopes.contains(&key) {
            scopes.push(key);
        }
    }
    let stream = hints::stream(state.store.clone(), scopes);
    Ok(Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(hints::KEEP_ALIVE))
        .into_response())
}
