//! A small server speaking the sync contract over real HTTP, for the engine's tests: rows
//! kept per scope with versions, cursors `epoch.version` (a bumped epoch makes old cursors
//! answer with a reset), digests, pushes answered per mutation, scan logs by device. Knobs
//! make it fail the way real servers and networks do.

use crate::door::ScanRecord;
use crate::wire::sync::{
    Mutation, MutationOutcome, MutationResult, PushAnswer, PushRequest, RowKind, ScanPage,
    ScopeDigest, SyncPage, SyncRow, parse_marks,
};
use crate::wire::{ErrorBody, ErrorCode};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use uuid::Uuid;

#[derive(Default)]
pub struct ScopeData {
    /// By (kind, key): the latest change of each entity (data `None` once removed).
    pub rows: BTreeMap<(String, String), SyncRow>,
    pub version: u64,
}

#[derive(Default)]
pub struct PeerState {
    pub scopes: HashMap<String, ScopeData>,
    /// Part of every cursor; bumping it makes cursors handed out before answer with a reset.
    pub epoch: u64,
    /// The cursor of every pull, in order.
    pub cursors_asked: Vec<Option<String>>,
    /// Whether each pull asked for the `total` and the `digest`, in order.
    pub counts_asked: Vec<(bool, bool)>,
    pub pages_served: usize,
    /// Answer pulls with 503 once this many pages were served.
    pub fail_after_pages: Option<usize>,
    /// Pulls answered with these statuses (and `Retry-After` seconds) first, in order.
    pub pull_failures: std::collections::VecDeque<(u16, Option<u64>)>,
    /// Every page says reset.
    pub always_reset: bool,
    /// The next this many last pages carry a wrong digest.
    pub digest_lies: usize,
    /// The next this many pushes fail with 503 (`Retry-After: 0`).
    pub push_failures: usize,
    /// Mutation numbers refused for good.
    pub reject: HashSet<u64>,
    /// The last mutation number applied (or rejected), by device.
    pub applied: HashMap<Uuid, u64>,
    /// The next this many pushes are answered all deferred (as if an earlier push of the
    /// device were still on its way).
    pub defer_pushes: usize,
    pub pushes: Vec<PushRequest>,
    pub scans: Vec<ScanRecord>,
    /// The last Authorization header seen.
    pub authorization: Option<String>,
}

impl PeerState {
    /// Writes (or with `None` removes) an entity, at the scope's next version.
    pub fn put(&mut self, scope: &str, kind: RowKind, key: &str, data: Option<serde_json::Value>) {
        let scope = self.scopes.entry(scope.to_owned()).or_default();
        scope.version += 1;
        scope.rows.insert(
            (kind.key().to_owned(), key.to_owned()),
            SyncRow {
                kind,
                key: key.to_owned(),
                version: scope.version,
                data,
            },
        );
    }
}

pub type Shared = Arc<Mutex<PeerState>>;

pub struct Peer {
    pub url: String,
    pub state: Shared,
}

impl Peer {
    pub async fn start() -> Peer {
        Peer::start_with_hints(hint_channel()).await
    }

    pub fn with<R>(&self, f: impl FnOnce(&mut PeerState) -> R) -> R {
        f(&mut self.state.lock().unwrap())
    }
}

fn unavailable() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [("retry-after", "0")],
        Json(ErrorBody {
            code: ErrorCode::Internal,
            message: "try later".into(),
            details: None,
        }),
    )
        .into_response()
}

type Params = Query<HashMap<String, String>>;

async fn pull_catalog(State(s): State<Shared>, h: HeaderMap, q: Params) -> Response {
    page(&s, &h, "catalog", q)
}

async fn pull_me(State(s): State<Shared>, h: HeaderMap, q: Params) -> Response {
    page(&s, &h, "me", q)
}

async fn pull_org(
    State(s): State<Shared>,
    h: HeaderMap,
    Path(org): Path<Uuid>,
    q: Params,
) -> Response {
    page(&s, &h, &format!("org:{org}"), q)
}

async fn pull_door(
    State(s): State<Shared>,
    h: HeaderMap,
    Path((_org, event)): Path<(Uuid, Uuid)>,
    q: Params,
) -> Response {
    page(&s, &h, &format!("door:{event}"), q)
}

fn page(state: &Shared, headers: &HeaderMap, scope: &str, Query(q): Params) -> Response {
    let mut s = state.lock().unwrap();
    s.authorization = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let cursor = q.get("cursor").cloned();
    s.cursors_asked.push(cursor.clone());
    if s.fail_after_pages.is_some_and(|n| s.pages_served >= n) {
        return unavailable();
    }
    if let Some((status, retry_after)) = s.pull_failures.pop_front() {
        let mut response = (
            StatusCode::from_u16(status).unwrap(),
            Json(ErrorBody {
                code: if status == 403 {
                    ErrorCode::Forbidden
                } else {
                    ErrorCode::RateLimited
                },
                message: "no".into(),
                details: None,
            }),
        )
            .into_response();
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert("retry-after", secs.to_string().parse().unwrap());
        }
        return response;
    }
    let asked = |flag: &str| q.get(flag).is_some_and(|v| v == "true");
    s.counts_asked.push((asked("total"), asked("digest")));
    let limit: usize = q.get("limit").and_then(|l| l.parse().ok()).unwrap_or(2_000);
    let epoch = s.epoch;
    let after = cursor.as_deref().and_then(|c| {
        let (e, v) = c.split_once('.')?;
        (e.parse::<u64>().ok()? == epoch).then(|| v.parse::<u64>().ok())?
    });
    let reset = s.always_reset || (cursor.is_some() && after.is_none());
    let after = if reset { 0 } else { after.unwrap_or(0) };
    let data = s.scopes.entry(scope.to_owned()).or_default();
    let mut changed: Vec<&SyncRow> = data.rows.values().filter(|r| r.version > after).collect();
    changed.sort_by_key(|r| r.version);
    let has_more = changed.len() > limit;
    let rows: Vec<SyncRow> = changed.into_iter().take(limit).cloned().collect();
    let last = rows.last().map_or(after, |r| r.version);
    let live: Vec<&SyncRow> = data.rows.values().filter(|r| r.data.is_some()).collect();
    let total = (asked("total") || (asked("digest") && !has_more)).then_some(live.len() as u64);
    let mut digest = (asked("digest") && !has_more).then(|| {
        let mut d = ScopeDigest::default();
        live.iter().for_each(|r| d.add(r.version));
        d
    });
    if let Some(d) = digest.as_mut()
        && s.digest_lies > 0
    {
        s.digest_lies -= 1;
        d.count += 1;
    }
    s.pages_served += 1;
    Json(SyncPage {
        scope: scope.parse().unwrap(),
        reset,
        rows,
        cursor: format!("{epoch}.{last}"),
        has_more,
        total,
        digest,
    })
    .into_response()
}

async fn push(State(state): State<Shared>, Json(request): Json<PushRequest>) -> Response {
    let mut s = state.lock().unwrap();
    if s.push_failures > 0 {
        s.push_failures -= 1;
        return unavailable();
    }
    s.pushes.push(request.clone());
    let defer = s.defer_pushes > 0;
    s.defer_pushes = s.defer_pushes.saturating_sub(1);
    let mut results = vec![];
    for Mutation { id, number, op } in request.mutations {
        let last = s.applied.get(&request.device_id).copied().unwrap_or(0);
        let outcome = if number <= last {
            MutationOutcome::Duplicate
        } else if defer || number > last + 1 {
            MutationOutcome::Deferred
        } else if s.reject.contains(&number) {
            s.applied.insert(request.device_id, number);
            MutationOutcome::Rejected {
                code: ErrorCode::Forbidden,
                message: "not allowed".into(),
            }
        } else {
            s.applied.insert(request.device_id, number);
            let crate::wire::sync::MutationOp::Scan { scan } = op;
            s.scans.push(scan);
            MutationOutcome::Applied
        };
        results.push(MutationResult {
            id,
            number,
            outcome,
        });
    }
    Json(PushAnswer { results }).into_response()
}

async fn scans(State(state): State<Shared>, q: Params) -> Response {
    let s = state.lock().unwrap();
    let Some(marks) = parse_marks(q.get("marks").map_or("", String::as_str)) else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let limit: usize = q.get("limit").and_then(|l| l.parse().ok()).unwrap_or(100);
    let marks: HashMap<Uuid, u64> = marks.into_iter().collect();
    let mut after: Vec<ScanRecord> = s
        .scans
        .iter()
        .filter(|scan| scan.seq > marks.get(&scan.device_id).copied().unwrap_or(0))
        .cloned()
        .collect();
    after.sort_by_key(|scan| (scan.device_id, scan.seq));
    let has_more = after.len() > limit;
    after.truncate(limit);
    Json(ScanPage {
        scans: after,
        has_more,
    })
    .into_response()
}

/// Hints the peer streams to every listener (after one hint per requested scope on
/// connect).
pub fn hint_channel() -> tokio::sync::broadcast::Sender<crate::wire::sync::SyncHint> {
    tokio::sync::broadcast::channel(16).0
}

impl Peer {
    /// Starts the peer with a hint stream fed by `hints`.
    pub async fn start_with_hints(
        hints: tokio::sync::broadcast::Sender<crate::wire::sync::SyncHint>,
    ) -> Peer {
        let peer_state: Shared = Arc::default();
        let hint_state = peer_state.clone();
        let router = Router::new()
            .route("/api/v1/sync/catalog", get(pull_catalog))
            .route("/api/v1/sync/me", get(pull_me))
            .route("/api/v1/sync/orgs/{org}", get(pull_org))
            .route("/api/v1/sync/orgs/{org}/door/{event}", get(pull_door))
            .route("/api/v1/sync/orgs/{org}/door/{event}/scans", get(scans))
            .route("/api/v1/sync/push", post(push))
            .with_state(peer_state.clone())
            .route(
                "/api/v1/sync/hints",
                get(move |q: Params| hint_stream(hint_state.clone(), hints.subscribe(), q)),
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await });
        Peer {
            url: format!("http://{addr}"),
            state: peer_state,
        }
    }
}

async fn hint_stream(
    state: Shared,
    rx: tokio::sync::broadcast::Receiver<crate::wire::sync::SyncHint>,
    Query(q): Params,
) -> Response {
    let mut first = String::from(": hello\n\n");
    for scope in q.get("scopes").map_or("", String::as_str).split(',') {
        let version = state
            .lock()
            .unwrap()
            .scopes
            .get(scope)
            .map_or(0, |s| s.version);
        first.push_str(&format!(
            "event: hint\ndata: {{\"scope\":\"{scope}\",\"version\":\"{version}\"}}\n\n"
        ));
    }
    let stream = futures_util::stream::unfold((Some(first), rx), |(first, mut rx)| async move {
        if let Some(first) = first {
            return Some((Ok::<_, std::io::Error>(first), (None, rx)));
        }
        let hint = rx.recv().await.ok()?;
        let text = format!(
            ": keep-alive\n\nevent: hint\ndata: {}\n\n",
            serde_json::to_string(&hint).unwrap()
        );
        Some((Ok(text), (None, rx)))
    });
    (
        [("content-type", "text/event-stream")],
        axum::body::Body::from_stream(stream),
    )
        .into_response()
}

/// A catalog event as the server sends it.
pub fn event_json(id: Uuid, title_ar: &str, title_en: &str, starts: &str) -> serde_json::Value {
    serde_json::json!({
        "id": id,
        "title": {"ar": title_ar, "en": title_en},
        "description": {"ar": "تفاصيل", "en": "Details"},
        "category": "music",
        "organizer": {"ar": "منظم", "en": "Organizer"},
        "venue": {
            "name": {"ar": "المسرح الروماني", "en": "Roman Theatre"},
            "address": {"ar": "وسط البلد", "en": "Downtown"},
            "city": "amman",
            "location": {"lat": 31.95, "lng": 35.93}
        },
        "starts_at": starts,
        "ends_at": "2027-06-01T23:00:00Z",
        "time_zone": "Asia/Amman",
        "price_from": null
    })
}

/// One event's door, as an organizer's server would publish it.
pub struct DoorFixture {
    pub issuer: crate::credential::keys::IssuerKeys,
    pub org: Uuid,
    pub event: Uuid,
    pub event_ref: u32,
    pub now: jiff::Timestamp,
}

impl DoorFixture {
    pub fn new() -> DoorFixture {
        use crate::credential::keys::{IssuerKeys, TicketSigningKey};
        DoorFixture {
            issuer: IssuerKeys::new(TicketSigningKey::generate(1).unwrap()),
            org: Uuid::now_v7(),
            event: Uuid::now_v7(),
            event_ref: 4242,
            now: "2026-12-20T18:00:00Z".parse().unwrap(),
        }
    }

    pub fn target(&self) -> super::SyncTarget {
        super::SyncTarget::Door {
            org: self.org,
            event: self.event,
        }
    }

    pub fn scope(&self) -> String {
        format!("door:{}", self.event)
    }

    pub fn door_event_json(&self) -> serde_json::Value {
        serde_json::json!({
            "event_id": self.event,
            "event_ref": self.event_ref,
            "title": {"ar": "حفلة", "en": "Concert"},
            "status": "published",
            "starts_at": "2026-12-20T17:00:00Z",
            "ends_at": "2026-12-20T23:00:00Z",
            "time_zone": "Asia/Amman"
        })
    }

    pub fn key_json(&self) -> serde_json::Value {
        use base64::Engine;
        let public = self.issuer.active().public();
        serde_json::json!({
            "key_id": public.key_id,
            "public_key": base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(public.key.as_bytes()),
        })
    }

    pub fn ticket_type_json(&self) -> serde_json::Value {
        serde_json::json!({
            "type_id": Uuid::now_v7(),
            "number": 0,
            "name": {"ar": "عادي", "en": "General"},
            "entry_policy": "single_entry",
            "capacity": 500
        })
    }

    /// Publishes the door scope: the event, its key, one ticket type, tickets 1..=n.
    pub fn publish(&self, s: &mut PeerState, tickets: u32) {
        let scope = self.scope();
        s.put(
            &scope,
            RowKind::DoorEvent,
            &self.event.to_string(),
            Some(self.door_event_json()),
        );
        let key_id = self.issuer.active().public().key_id.to_string();
        s.put(&scope, RowKind::Key, &key_id, Some(self.key_json()));
        s.put(
            &scope,
            RowKind::TicketType,
            "0",
            Some(self.ticket_type_json()),
        );
        for serial in 1..=tickets {
            s.put(
                &scope,
                RowKind::Ticket,
                &serial.to_string(),
                Some(serde_json::json!({"t": 0})),
            );
        }
    }

    /// The credential text of a ticket, valid around `now`.
    pub fn ticket(&self, serial: u32) -> String {
        use crate::credential::{Claims, Credential};
        use jiff::SignedDuration;
        let (valid_from_hour, valid_hours) = Claims::window(
            self.now - SignedDuration::from_hours(1),
            self.now + SignedDuration::from_hours(5),
        )
        .unwrap();
        let claims = Claims {
            key_id: 0,
            event_ref: self.event_ref,
            ticket_serial: serial,
            ticket_type: 0,
            valid_from_hour,
            valid_hours,
            rotating: false,
        };
        Credential::issue(claims, self.issuer.active()).to_text()
    }
}
