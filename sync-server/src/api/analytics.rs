//! Analytics for organizers (an event's and an organization's dashboards, CSV exports) and
//! for platform admins.
//!
//! Figures come from the hourly aggregates the store keeps in each write's transaction
//! (`store::analytics`); this module turns their UTC hours into days or hours in
//! `Asia/Amman`, with jiff's time-zone database rather than a fixed +03:00, so a change of
//! Jordan's rules is a tzdb update, not a code change. Ranges are checked before anything
//! is read: reversed ranges, ranges longer than the bucket allows, unknown buckets and
//! malformed dates each have their own code, and an event of another organization is
//! `not_found`, exactly as if it did not exist.
//!
//! Page views of the public event page are counted in memory ([`ViewCounter`]) and added to
//! the store in batches: no visitor data is kept anywhere, and a popular event does not
//! turn one counter row into a lock every reader of the page queues on.

use super::AppState;
use super::error::{ApiError, request_lang};
use super::extract::ApiPath;
use crate::store::StoreError;
use crate::store::analytics::{
    EXPORT_PAGE, EventFigures, ExportCursor, ExportKind, ExportPage, PageViews, SalesHour,
    SalesTotals,
};
use axum::Json;
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use hafla_core::Lang;
use hafla_core::i18n::localizer;
use hafla_core::wire::analytics::{
    AnalyticsBucket, CapacityFigures, CheckinPoint, EventAnalytics, FunnelFigures, GateFigures,
    NoShowFigures, NoShowPending, OrganizationAnalytics, OrganizationEventFigures,
    OrganizationRevenue, PaymentMethodFigures, PlatformAnalytics, SalesFigures, SalesPoint,
    SignupFigures, StatusFigures, TicketTypeFigures,
};
use hafla_core::wire::{ErrorBody, ErrorCode};
use jiff::civil::Date;
use jiff::tz::TimeZone;
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use uuid::Uuid;

/// The zone dashboards are cut in: Jordan's.
pub const ZONE: &str = "Asia/Amman";
/// Longest range of a day series, in days (both ends included).
pub const MAX_DAYS_BY_DAY: i32 = 366;
/// Longest range of an hour series, in days (both ends included).
pub const MAX_DAYS_BY_HOUR: i32 = 31;
/// Days a series covers when `from` is not given: the last 30 by day, the last 2 by hour.
const DEFAULT_DAYS_BY_DAY: i32 = 30;
const DEFAULT_DAYS_BY_HOUR: i32 = 2;
/// How often page views counted in memory are written out, at most.
const VIEW_FLUSH_INTERVAL: std::time::Duration = std::time::Duration::from_secs(10);

fn zone() -> TimeZone {
    // The bundled database always has it; UTC would only shift labels, never leak data.
    TimeZone::get(ZONE).unwrap_or(TimeZone::UTC)
}

/// Page views counted in memory per (event, UTC hour), written to the store at most every
/// [`VIEW_FLUSH_INTERVAL`] and before any dashboard read of this instance.
pub struct ViewCounter {
    pending: Mutex<ViewState>,
}

struct ViewState {
    counts: HashMap<(Uuid, i64), u64>,
    last_flush: std::time::Instant,
}

impl Default for ViewCounter {
    fn default() -> Self {
        ViewCounter {
            pending: Mutex::new(ViewState {
                counts: HashMap::new(),
                last_flush: std::time::Instant::now(),
            }),
        }
    }
}

impl ViewCounter {
    /// Counts one view of `event_id` now; returns whether it is time to flush.
    pub fn record(&self, event_id: Uuid, now: jiff::Timestamp) -> bool {
        let hour = now.as_second() - now.as_second().rem_euclid(3600);
        let mut state = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        *state.counts.entry((event_id, hour)).or_default() += 1;
        state.last_flush.elapsed() >= VIEW_FLUSH_INTERVAL
    }

    /// Writes out what was counted. Counts the store refused are put back, so a database
    /// outage delays views instead of losing them.
    pub async fn flush(&self, store: &dyn crate::store::Store) -> Result<(), StoreError> {
        let taken: Vec<PageViews> = {
            let mut state = self.pending.lock().unwrap_or_else(|p| p.into_inner());
            state.last_flush = std::time::Instant::now();
            state
                .counts
                .drain()
                .filter_map(|((event_id, hour), views)| {
                    Some(PageViews {
                        event_id,
                        hour: jiff::Timestamp::from_second(hour).ok()?,
                        views,
                    })
                })
                .collect()
        };
        if taken.is_empty() {
            return Ok(());
        }
        match store.add_page_views(taken.clone()).await {
            Ok(()) => Ok(()),
            Err(e) => {
                let mut state = self.pending.lock().unwrap_or_else(|p| p.into_inner());
                for v in taken {
                    *state
                        .counts
                        .entry((v.event_id, v.hour.as_second()))
                        .or_default() += v.views;
                }
                Err(e)
            }
        }
    }
}

/// Counts a view of a published event's page, flushing in the background when due.
pub(super) fn count_view(state: &AppState, event_id: Uuid) {
    if state.views.record(event_id, jiff::Timestamp::now()) {
        let state = state.clone();
        tokio::spawn(async move {
            if let Err(e) = state.views.flush(&*state.store).await {
                tracing::warn!(error = %e, "page views not written yet");
            }
        });
    }
}

/// A checked range of local dates and how to cut it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Range {
    pub bucket: AnalyticsBucket,
    pub from: Date,
    pub to: Date,
}

fn coded(code: ErrorCode, parameter: &'static str) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, code)
        .with_details(serde_json::json!({ "parameter": parameter }))
}

fn date(name: &'static str, raw: &str) -> Result<Date, ApiError> {
    raw.parse::<Date>().map_err(|_| {
        ApiError::invalid_parameter(name, format!("“{raw}” is not a date such as 2026-12-31"))
            .with_details(serde_json::json!({ "parameter": name }))
    })
}

impl Range {
    /// Reads `bucket`, `from` and `to` (local dates, both included) from a query string;
    /// `today` is the local date now.
    pub fn parse(raw: Option<&str>, today: Date) -> Result<Range, ApiError> {
        let mut values: HashMap<&'static str, String> = HashMap::new();
        for (name, value) in url::form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
            let Some(name) = ["bucket", "from", "to"].into_iter().find(|n| *n == name) else {
                continue;
            };
            if values.insert(name, value.into_owned()).is_some() {
                return Err(ApiError::invalid_parameter(name, "given more than once")
                    .with_details(serde_json::json!({ "parameter": name })));
            }
        }
        let get = |name: &str| {
            values
                .get(name)
                .map(String::as_str)
                .filter(|v| !v.is_empty())
        };
        let bucket = match get("bucket") {
            None => AnalyticsBucket::Day,
            Some(raw) => AnalyticsBucket::from_key(raw).ok_or_else(|| {
                ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::UnknownBucket)
                    .with_arg("value", raw)
                    .with_details(serde_json::json!({
                        "parameter": "bucket",
                        "allowed": ["day", "hour"],
                    }))
            })?,
        };
        let (max_days, default_days) = match bucket {
            AnalyticsBucket::Day => (MAX_DAYS_BY_DAY, DEFAULT_DAYS_BY_DAY),
            AnalyticsBucket::Hour => (MAX_DAYS_BY_HOUR, DEFAULT_DAYS_BY_HOUR),
        };
        let to = get("to").map(|v| date("to", v)).transpose()?;
        let from = get("from").map(|v| date("from", v)).transpose()?;
        let days_back = |d: Date, n: i32| d.checked_sub(jiff::Span::new().days(n - 1)).ok();
        let (from, to) = match (from, to) {
            (Some(from), Some(to)) => (from, to),
            (Some(from), None) => (from, today.max(from)),
            (None, Some(to)) => (days_back(to, default_days).unwrap_or(to), to),
            (None, None) => (days_back(today, default_days).unwrap_or(today), today),
        };
        if to < from {
            return Err(coded(ErrorCode::InvalidDateRange, "to"));
        }
        let days = from
            .until(to)
            .map(|span| span.get_days() + 1)
            .unwrap_or(i32::MAX);
        if days > max_days {
            return Err(
                ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::DateRangeTooLong)
                    .with_arg("max_days", max_days.to_string())
                    .with_details(serde_json::json!({ "parameter": "from", "max_days": max_days })),
            );
        }
        Ok(Range { bucket, from, to })
    }

    /// The range's instants: `[start of from, start of the day after to)` in the zone.
    pub fn instants(&self, tz: &TimeZone) -> Result<(jiff::Timestamp, jiff::Timestamp), ApiError> {
        let start = |d: Date| {
            d.to_zoned(tz.clone())
                .map(|z| z.timestamp())
                .map_err(|_| coded(ErrorCode::InvalidDateRange, "to"))
        };
        let after = self
            .to
            .tomorrow()
            .map_err(|_| coded(ErrorCode::InvalidDateRange, "to"))?;
        Ok((start(self.from)?, start(after)?))
    }

    /// Every bucket of the range: (start, label), oldest first.
    fn buckets(&self, tz: &TimeZone) -> Result<Vec<(jiff::Timestamp, String)>, ApiError> {
        let (start, end) = self.instants(tz)?;
        let mut out = Vec::new();
        match self.bucket {
            AnalyticsBucket::Day => {
                let mut day = self.from;
                while day <= self.to {
                    let at = day
                        .to_zoned(tz.clone())
                        .map_err(|_| coded(ErrorCode::InvalidDateRange, "from"))?;
                    out.push((at.timestamp(), day.to_string()));
                    match day.tomorrow() {
                        Ok(next) => day = next,
                        Err(_) => break,
                    }
                }
            }
            AnalyticsBucket::Hour => {
                let mut at = start;
                while at < end {
                    out.push((at, hour_label(at, tz)));
                    at += jiff::SignedDuration::from_hours(1);
                }
            }
        }
        Ok(out)
    }

    /// The start of the bucket an hourly row belongs to.
    fn bucket_of(&self, hour: jiff::Timestamp, tz: &TimeZone) -> jiff::Timestamp {
        match self.bucket {
            AnalyticsBucket::Hour => hour,
            AnalyticsBucket::Day => hour
                .to_zoned(tz.clone())
                .date()
                .to_zoned(tz.clone())
                .map_or(hour, |z| z.timestamp()),
        }
    }
}

fn hour_label(at: jiff::Timestamp, tz: &TimeZone) -> String {
    at.to_zoned(tz.clone())
        .strftime("%Y-%m-%dT%H:%M")
        .to_string()
}

fn clamp(n: u64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn figures(t: SalesTotals) -> SalesFigures {
    SalesFigures {
        sold: clamp(t.sold),
        revenue_fils: t.revenue_minor,
        refunded: clamp(t.refunded),
        refund_fils: t.refund_minor,
        net_fils: t.revenue_minor - t.refund_minor,
    }
}

/// The dense sales series of `range` from hourly rows.
fn sales_series(
    hours: &[SalesHour],
    range: &Range,
    tz: &TimeZone,
) -> Result<Vec<SalesPoint>, ApiError> {
    let mut by_bucket: BTreeMap<jiff::Timestamp, SalesTotals> = BTreeMap::new();
    for h in hours {
        by_bucket
            .entry(range.bucket_of(h.hour, tz))
            .or_default()
            .add(h.totals);
    }
    Ok(range
        .buckets(tz)?
        .into_iter()
        .map(|(start, label)| SalesPoint {
            start,
            label,
            sales: figures(by_bucket.get(&start).copied().unwrap_or_default()),
        })
        .collect())
}

fn method_name(key: String) -> String {
    if key.is_empty() { "none".into() } else { key }
}

/// The dashboard of the event `event_id` (ending at `ends_at`) from its stored figures, as
/// of `now`.
pub fn event_view(
    (event_id, ends_at): (Uuid, jiff::Timestamp),
    stored: EventFigures,
    range: &Range,
    now: jiff::Timestamp,
) -> Result<EventAnalytics, ApiError> {
    let tz = zone();
    let mut totals = SalesTotals::default();
    for (_, t) in &stored.by_payment_method {
        totals.add(*t);
    }
    let by_type: HashMap<Uuid, SalesTotals> = stored.by_ticket_type.iter().copied().collect();
    let ticket_types = stored
        .ticket_types
        .iter()
        .map(|t| TicketTypeFigures {
            ticket_type_id: t.id,
            name: t.name.clone(),
            capacity: t.capacity,
            held: t.held,
            left: t.capacity.saturating_sub(t.held),
            sales: figures(by_type.get(&t.id).copied().unwrap_or_default()),
        })
        .collect::<Vec<_>>();
    let capacity = stored
        .event_capacity
        .unwrap_or_else(|| stored.ticket_types.iter().map(|t| t.capacity).sum());
    let mut checkins: BTreeMap<(jiff::Timestamp, String, String), u64> = BTreeMap::new();
    for c in stored.checkin_hours {
        *checkins
            .entry((range.bucket_of(c.hour, &tz), c.gate, c.direction))
            .or_default() += c.scans;
    }
    let valid = totals.sold.saturating_sub(totals.refunded);
    let admitted = stored.admitted_valid.min(valid);
    let pending = if ends_at > now {
        Some(NoShowPending::EventNotEnded)
    } else if valid == 0 {
        Some(NoShowPending::NoTicketsSold)
    } else {
        None
    };
    let no_shows = pending.is_none().then(|| valid - admitted);
    Ok(EventAnalytics {
        event_id,
        time_zone: ZONE.into(),
        bucket: range.bucket,
        from: range.from.to_string(),
        to: range.to.to_string(),
        totals: figures(totals),
        capacity: CapacityFigures {
            capacity,
            held: stored.event_held,
            left: capacity.saturating_sub(stored.event_held),
        },
        ticket_types,
        payment_methods: stored
            .by_payment_method
            .into_iter()
            .map(|(method, t)| PaymentMethodFigures {
                method: method_name(method),
                sales: figures(t),
            })
            .collect(),
        sales: sales_series(&stored.sales_hours, range, &tz)?,
        gates: stored
            .checkin_totals
            .into_iter()
            .map(|(gate, direction, scans)| GateFigures {
                gate,
                direction,
                scans: clamp(scans),
            })
            .collect(),
        checkins: checkins
            .into_iter()
            .map(|((start, gate, direction), scans)| CheckinPoint {
                label: match range.bucket {
                    AnalyticsBucket::Day => start.to_zoned(tz.clone()).date().to_string(),
                    AnalyticsBucket::Hour => hour_label(start, &tz),
                },
                start,
                gate,
                direction,
                scans: clamp(scans),
            })
            .collect(),
        no_show: NoShowFigures {
            valid_tickets: clamp(valid),
            admitted: clamp(admitted),
            no_shows: no_shows.map(clamp),
            rate_basis_points: no_shows.map(|n| clamp((n * 10_000 + valid / 2) / valid.max(1))),
            pending,
        },
        funnel: FunnelFigures {
            views: clamp(stored.funnel.views),
            checkouts_started: clamp(stored.funnel.checkouts),
            paid: clamp(stored.funnel.paid),
        },
    })
}

/// The local date now.
fn today() -> Date {
    jiff::Timestamp::now().to_zoned(zone()).date()
}

/// The event if it belongs to the organization; `not_found` otherwise.
async fn event_of(
    state: &AppState,
    org_id: Uuid,
    event_id: Uuid,
) -> Result<crate::store::StoredEvent, ApiError> {
    match state.store.event(event_id).await? {
        Some(e) if e.organization_id == org_id => Ok(e),
        _ => Err(ApiError::not_found()),
    }
}

const RANGE_ERRORS: &str = "`invalid_parameter` (`details.parameter`: a malformed id or date, \
a parameter given twice), `unknown_bucket`, `invalid_date_range` (`to` before `from`) or \
`date_range_too_long` (`details.max_days`)";

/// `GET /api/v1/orgs/{org_id}/events/{event_id}/analytics`
#[utoipa::path(
    get,
    path = "/api/v1/orgs/{org_id}/events/{event_id}/analytics",
    operation_id = "event_analytics",
    tag = "analytics",
    summary = "An event's dashboard: sales, refunds, capacity, check-ins, no-shows, funnel",
    description = "Money in fils. Series are cut by `bucket` (`day`, the default, or \
                   `hour`) in Asia/Amman over `from`–`to` (local dates, both included; by \
                   default the last 30 days by day, the last 2 by hour; at most 366 days by \
                   day, 31 by hour). The no-show rate is given once the event has ended.",
    params(
        ("org_id" = Uuid, Path, description = "The organization"),
        ("event_id" = Uuid, Path, description = "The event"),
        ("bucket" = Option<String>, Query, description = "`day` or `hour`"),
        ("from" = Option<String>, Query, description = "First local date, e.g. 2026-12-01"),
        ("to" = Option<String>, Query, description = "Last local date, e.g. 2026-12-31"),
    ),
    responses(
        (status = 200, description = "The dashboard", body = EventAnalytics),
        (status = 400, description = RANGE_ERRORS, body = ErrorBody),
        (status = 403, description = "`forbidden`: not an owner, manager or analyst", body = ErrorBody),
        (status = 404, description = "`not_found`: no such event in this organization", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn event(
    State(state): State<AppState>,
    ApiPath((org_id, event_id)): ApiPath<(Uuid, Uuid)>,
    RawQuery(raw): RawQuery,
) -> Result<Json<EventAnalytics>, ApiError> {
    let range = Range::parse(raw.as_deref(), today())?;
    let event = event_of(&state, org_id, event_id).await?;
    if let Err(e) = state.views.flush(&*state.store).await {
        tracing::warn!(error = %e, "page views not written yet");
    }
    let (from, to) = range.instants(&zone())?;
    let stored = state.store.event_figures(event_id, from, to).await?;
    Ok(Json(event_view(
        (event.id, event.ends_at),
        stored,
        &range,
        jiff::Timestamp::now(),
    )?))
}

/// `GET /api/v1/orgs/{org_id}/analytics`
#[utoipa::path(
    get,
    path = "/api/v1/orgs/{org_id}/analytics",
    operation_id = "organization_analytics",
    tag = "analytics",
    summary = "An organization's dashboard: every event's figures and all their sales over time",
    description = "Same `bucket`, `from` and `to` as an event's dashboard.",
    params(
        ("org_id" = Uuid, Path, description = "The organization"),
        ("bucket" = Option<String>, Query, description = "`day` or `hour`"),
        ("from" = Option<String>, Query, description = "First local date"),
        ("to" = Option<String>, Query, description = "Last local date"),
    ),
    responses(
        (status = 200, description = "The dashboard", body = OrganizationAnalytics),
        (status = 400, description = RANGE_ERRORS, body = ErrorBody),
        (status = 403, description = "`forbidden`: not an owner, manager or analyst", body = ErrorBody),
        (status = 404, description = "`not_found`: no such organization", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn organization(
    State(state): State<AppState>,
    ApiPath(org_id): ApiPath<Uuid>,
    RawQuery(raw): RawQuery,
) -> Result<Json<OrganizationAnalytics>, ApiError> {
    let range = Range::parse(raw.as_deref(), today())?;
    // Platform admins pass authorization for any organization id: it must exist.
    if state.store.organization_name(org_id).await?.is_none() {
        return Err(ApiError::not_found());
    }
    let tz = zone();
    let (from, to) = range.instants(&tz)?;
    let stored = state.store.organization_figures(org_id, from, to).await?;
    let mut totals = SalesTotals::default();
    for e in &stored.events {
        totals.add(e.totals);
    }
    Ok(Json(OrganizationAnalytics {
        organization_id: org_id,
        time_zone: ZONE.into(),
        bucket: range.bucket,
        from: range.from.to_string(),
        to: range.to.to_string(),
        totals: figures(totals),
        sales: sales_series(&stored.sales_hours, &range, &tz)?,
        events: stored
            .events
            .into_iter()
            .map(|e| OrganizationEventFigures {
                event_id: e.event_id,
                title: e.title,
                status: e.status,
                starts_at: e.starts_at,
                ends_at: e.ends_at,
                sales: figures(e.totals),
                entries: clamp(e.entries),
            })
            .collect(),
    }))
}

/// `GET /api/v1/admin/analytics`
#[utoipa::path(
    get,
    path = "/api/v1/admin/analytics",
    operation_id = "platform_analytics",
    tag = "analytics",
    summary = "The platform's figures: accounts by sign-up method, organizations, events by \
               status, sales by organization, the review backlog",
    responses(
        (status = 200, description = "The figures", body = PlatformAnalytics),
        (status = 403, description = "`forbidden`: not a platform admin", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn platform(State(state): State<AppState>) -> Result<Json<PlatformAnalytics>, ApiError> {
    let stored = state.store.platform_figures().await?;
    Ok(Json(PlatformAnalytics {
        users: clamp(stored.users),
        signups: stored
            .signups
            .into_iter()
            .map(|(method, users)| SignupFigures {
                method: method.key().into(),
                users: clamp(users),
            })
            .collect(),
        organizations: clamp(stored.organizations),
        events_by_status: stored
            .events_by_status
            .into_iter()
            .map(|(status, events)| StatusFigures {
                status,
                events: clamp(events),
            })
            .collect(),
        totals: figures(stored.totals),
        revenue_by_organization: stored
            .revenue_by_organization
            .into_iter()
            .map(|o| OrganizationRevenue {
                organization_id: o.organization_id,
                name: o.name,
                sales: figures(o.totals),
            })
            .collect(),
        review_backlog: clamp(stored.review_backlog),
        oldest_submitted_at: stored.oldest_submitted_at,
    }))
}

/// `GET /api/v1/orgs/{org_id}/events/{event_id}/exports/{kind}`
#[utoipa::path(
    get,
    path = "/api/v1/orgs/{org_id}/events/{event_id}/exports/{kind}",
    operation_id = "export_event_csv",
    tag = "analytics",
    summary = "An event's orders, attendees or check-ins as CSV",
    description = "UTF-8 with a byte-order mark, so spreadsheets read Arabic correctly; \
                   headers and fixed values (statuses, payment methods, directions) in the \
                   caller's language (Accept-Language, Arabic by default); times in \
                   Asia/Amman. Cells starting with `=`, `+`, `-`, `@`, a tab or a carriage \
                   return get a leading `'` so no spreadsheet runs them as formulas. Streamed \
                   in pages: any size in bounded memory.",
    params(
        ("org_id" = Uuid, Path, description = "The organization"),
        ("event_id" = Uuid, Path, description = "The event"),
        ("kind" = String, Path, description = "`orders`, `attendees` or `checkins`"),
    ),
    responses(
        (status = 200, description = "The CSV file", content_type = "text/csv"),
        (status = 400, description = "`invalid_parameter` (a malformed id) or `unknown_export`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not an owner, manager or analyst", body = ErrorBody),
        (status = 404, description = "`not_found`: no such event in this organization", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub async fn export(
    State(state): State<AppState>,
    ApiPath((org_id, event_id, kind)): ApiPath<(Uuid, Uuid, String)>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let kind = ExportKind::from_key(&kind).ok_or_else(|| {
        ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::UnknownExport)
            .with_arg("value", kind.clone())
            .with_details(serde_json::json!({
                "parameter": "kind",
                "allowed": ["orders", "attendees", "checkins"],
            }))
    })?;
    event_of(&state, org_id, event_id).await?;
    let lang = request_lang(&headers);
    // The first page is read before answering, so a failing database is an error answer
    // rather than a cut-off file.
    let first = state
        .store
        .export_page(event_id, kind, ExportCursor::Start, EXPORT_PAGE)
        .await?;
    let mut head = csv_bytes(lang, None, Some(kind))?;
    head.splice(0..0, BOM.iter().copied());
    head.extend(csv_bytes(lang, Some(&first), None)?);
    let store = state.store.clone();
    let rest = futures_util::stream::unfold(
        first.next().filter(|_| first.len() == EXPORT_PAGE as usize),
        move |cursor| {
            let store = store.clone();
            async move {
                let cursor = cursor?;
                let page = match store.export_page(event_id, kind, cursor, EXPORT_PAGE).await {
                    Ok(page) => page,
                    Err(e) => {
                        tracing::error!(error = %e, "export cut short");
                        return Some((Err(std::io::Error::other(e.to_string())), None));
                    }
                };
                let next = page.next().filter(|_| page.len() == EXPORT_PAGE as usize);
                let bytes = csv_bytes(lang, Some(&page), None)
                    .map_err(|_| std::io::Error::other("cannot write the CSV"));
                Some((bytes, next))
            }
        },
    );
    // Fused: the body may be polled again after its end, which a bare `unfold` forbids.
    let body = futures_util::stream::once(async move { Ok::<_, std::io::Error>(head) })
        .chain(rest)
        .fuse();
    let filename = format!("{}-{}.csv", kind.key(), event_id);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        Body::from_stream(body),
    )
        .into_response())
}

use futures_util::StreamExt;

/// The UTF-8 byte-order mark: without it, spreadsheet programs read Arabic as mojibake.
const BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];

/// A cell made safe for spreadsheets: text a spreadsheet would run as a formula (starting
/// with `=`, `+`, `-`, `@`, a tab or a carriage return) gets a leading `'`, which shows the
/// text as it is.
pub fn safe_cell(value: &str) -> std::borrow::Cow<'_, str> {
    match value.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{value}").into(),
        _ => value.into(),
    }
}

fn text(lang: Lang, id: &str) -> String {
    localizer().message(lang, id, &[])
}

/// A fixed value (`order-status-paid`) in `lang`, or the key itself when it has no message.
fn value(lang: Lang, prefix: &str, key: &str) -> String {
    let id = format!("{prefix}-{key}");
    let message = text(lang, &id);
    if message == id {
        key.to_owned()
    } else {
        message
    }
}

fn amount(minor: i64, currency: &str) -> String {
    let digits = hafla_core::money::Currency::from_code(currency).map_or(3, |c| c.minor_units());
    let scale = 10i64.pow(digits);
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    format!(
        "{sign}{}.{:0width$}",
        abs / scale as u64,
        abs % scale as u64,
        width = digits as usize
    )
}

fn local_time(at: jiff::Timestamp) -> String {
    at.to_zoned(zone())
        .strftime("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// The CSV text of a header row (`header`) or of a page's rows, every cell made safe.
fn csv_bytes(
    lang: Lang,
    page: Option<&ExportPage>,
    header: Option<ExportKind>,
) -> Result<Vec<u8>, ApiError> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    let mut row = |cells: Vec<String>| {
        w.write_record(cells.iter().map(|c| safe_cell(c).into_owned()))
            .map_err(|e| {
                tracing::error!(error = %e, "cannot write a CSV row");
                ApiError::internal()
            })
    };
    let yes_no = |b: bool| text(lang, if b { "csv-yes" } else { "csv-no" });
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    if let Some(kind) = header {
        let ids: &[&str] = match kind {
            ExportKind::Orders => &[
                "csv-order-reference",
                "csv-order-created",
                "csv-order-status",
                "csv-payment-method",
                "csv-tickets",
                "csv-total",
                "csv-currency",
                "csv-buyer-name",
                "csv-email",
                "csv-phone",
            ],
            ExportKind::Attendees => &[
                "csv-ticket-serial",
                "csv-ticket-type",
                "csv-holder-name",
                "csv-email",
                "csv-phone",
                "csv-ticket-status",
                "csv-order-reference",
                "csv-admitted",
            ],
            ExportKind::Checkins => &[
                "csv-scan-time",
                "csv-gate",
                "csv-direction",
                "csv-scan-result",
                "csv-ticket-serial",
                "csv-ticket-type",
                "csv-device",
            ],
        };
        row(ids.iter().map(|id| text(lang, id)).collect())?;
    }
    match page {
        None => {}
        Some(ExportPage::Orders(rows)) => {
            for r in rows {
                row(vec![
                    r.reference.clone(),
                    local_time(r.created_at),
                    value(lang, "order-status", r.status.key()),
                    value(
                        lang,
                        "payment-method",
                        r.payment_method.as_deref().unwrap_or("none"),
                    ),
                    r.tickets.to_string(),
                    amount(r.total_minor, &r.currency),
                    r.currency.clone(),
                    r.buyer_name.clone(),
                    opt(&r.buyer_email),
                    opt(&r.buyer_phone),
                ])?;
            }
        }
        Some(ExportPage::Attendees(rows)) => {
            for r in rows {
                row(vec![
                    r.serial.to_string(),
                    r.ticket_type.get(lang).to_owned(),
                    r.holder_name.clone(),
                    opt(&r.holder_email),
                    opt(&r.holder_phone),
                    value(
                        lang,
                        "ticket-status",
                        if r.valid { "valid" } else { "revoked" },
                    ),
                    r.order_reference.clone(),
                    yes_no(r.admitted),
                ])?;
            }
        }
        Some(ExportPage::Checkins(rows)) => {
            for r in rows {
                row(vec![
                    local_time(r.at),
                    r.gate.clone(),
                    value(lang, "scan-direction", &r.direction),
                    value(lang, "scan-effect", &r.effect),
                    r.ticket_serial.map(|s| s.to_string()).unwrap_or_default(),
                    r.ticket_type
                        .as_ref()
                        .map(|t| t.get(lang).to_owned())
                        .unwrap_or_default(),
                    r.device_id.to_string(),
                ])?;
            }
        }
    }
    w.into_inner().map_err(|e| {
        tracing::error!(error = %e, "cannot finish the CSV");
        ApiError::internal()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn formulas_get_a_leading_quote_and_plain_text_is_kept() {
        for risky in ["=1+1", "+962791234567", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(safe_cell(risky), format!("'{risky}"));
        }
        for plain in ["حفلة", "Amman", "12.500", "", "a=b"] {
            assert_eq!(safe_cell(plain), plain);
        }
    }

    #[test]
    fn a_range_defaults_to_the_last_30_days_by_day() {
        let r = Range::parse(None, d("2026-12-08")).unwrap();
        assert_eq!(
            (r.bucket, r.from, r.to),
            (AnalyticsBucket::Day, d("2026-11-09"), d("2026-12-08"))
        );
    }

    #[test]
    fn reversed_long_and_unknown_ranges_have_their_own_codes() {
        let code = |q: &str| Range::parse(Some(q), d("2026-12-08")).unwrap_err().code;
        assert_eq!(
            code("from=2026-12-08&to=2026-12-01"),
            ErrorCode::InvalidDateRange
        );
        assert_eq!(
            code("from=2025-01-01&to=2026-12-01"),
            ErrorCode::DateRangeTooLong
        );
        assert_eq!(
            code("bucket=hour&from=2026-10-01&to=2026-12-01"),
            ErrorCode::DateRangeTooLong
        );
        assert_eq!(code("bucket=week"), ErrorCode::UnknownBucket);
        assert_eq!(code("from=yesterday"), ErrorCode::InvalidParameter);
        assert_eq!(
            code("to=2026-12-01&to=2026-12-02"),
            ErrorCode::InvalidParameter
        );
        assert!(Range::parse(Some("from=2026-01-01&to=2026-12-31"), d("2026-12-08")).is_ok());
        assert!(
            Range::parse(
                Some("bucket=hour&from=2026-12-01&to=2026-12-31"),
                d("2026-12-08")
            )
            .is_ok()
        );
    }

    #[test]
    fn days_are_cut_at_midnight_in_amman_not_utc() {
        let tz = zone();
        let r = Range::parse(Some("from=2026-12-07&to=2026-12-08"), d("2026-12-08")).unwrap();
        let (start, end) = r.instants(&tz).unwrap();
        assert_eq!(start.to_string(), "2026-12-06T21:00:00Z");
        assert_eq!(end.to_string(), "2026-12-08T21:00:00Z");
        // 22:00 UTC on the 7th is already the 8th in Amman.
        let late: jiff::Timestamp = "2026-12-07T22:00:00Z".parse().unwrap();
        let hours = [SalesHour {
            hour: late,
            totals: SalesTotals {
                sold: 2,
                revenue_minor: 30_000,
                ..SalesTotals::default()
            },
        }];
        let series = sales_series(&hours, &r, &tz).unwrap();
        assert_eq!(series.len(), 2);
        assert_eq!(series[0].label, "2026-12-07");
        assert_eq!(series[0].sales.sold, 0);
        assert_eq!(series[1].label, "2026-12-08");
        assert_eq!(series[1].sales.revenue_fils, 30_000);
        let hourly = Range::parse(
            Some("bucket=hour&from=2026-12-08&to=2026-12-08"),
            d("2026-12-08"),
        )
        .unwrap();
        let series = sales_series(&hours, &hourly, &tz).unwrap();
        assert_eq!(series.len(), 24);
        assert_eq!(series[1].label, "2026-12-08T01:00");
        assert_eq!(series[1].sales.sold, 2);
    }

    #[test]
    fn the_no_show_rate_is_given_only_once_the_event_has_ended() {
        let ends: jiff::Timestamp = "2026-12-05T21:00:00Z".parse().unwrap();
        let stored = EventFigures {
            by_payment_method: vec![(
                String::new(),
                SalesTotals {
                    sold: 5,
                    refunded: 1,
                    ..SalesTotals::default()
                },
            )],
            admitted_valid: 3,
            ..EventFigures::default()
        };
        let range = Range::parse(None, d("2026-12-08")).unwrap();
        let id = Uuid::now_v7();
        let before = event_view((id, ends), stored.clone(), &range, ends - SIX_HOURS).unwrap();
        assert_eq!(before.no_show.pending, Some(NoShowPending::EventNotEnded));
        assert_eq!(before.no_show.rate_basis_points, None);
        assert_eq!(before.payment_methods[0].method, "none");
        let after = event_view((id, ends), stored, &range, ends + SIX_HOURS).unwrap();
        assert_eq!(after.no_show.valid_tickets, 4);
        assert_eq!(after.no_show.admitted, 3);
        assert_eq!(after.no_show.no_shows, Some(1));
        assert_eq!(after.no_show.rate_basis_points, Some(2_500));
        assert_eq!(after.no_show.pending, None);
        let empty = event_view(
            (id, ends),
            EventFigures::default(),
            &range,
            ends + SIX_HOURS,
        );
        assert_eq!(
            empty.unwrap().no_show.pending,
            Some(NoShowPending::NoTicketsSold)
        );
    }

    const SIX_HOURS: jiff::SignedDuration = jiff::SignedDuration::from_hours(6);

    #[test]
    fn amounts_are_written_with_every_minor_digit() {
        assert_eq!(amount(12_500, "JOD"), "12.500");
        assert_eq!(amount(5, "JOD"), "0.005");
        assert_eq!(amount(1_000, "USD"), "10.00");
    }
}
