//! An [`AppCore`] in a temporary folder, with a recording [`Outside`] and a memory vault,
//! and helpers that put synced rows on the device as a pull would.

use crate::session::MemoryVault;
use crate::state::{AppCore, Folders, Outside};
use hafla_core::wire::sync::{RowKind, Scope, SyncPage, SyncRow};
use std::sync::{Arc, Mutex};
use uuid::Uuid;

/// What the shell sent out: events to the UI and things opened outside.
#[derive(Default, Clone)]
pub struct Recorded {
    pub events: Arc<Mutex<Vec<(String, serde_json::Value)>>>,
    pub opened: Arc<Mutex<Vec<String>>>,
}

impl Outside for Recorded {
    fn emit(&self, name: &'static str, payload: serde_json::Value) {
        self.events.lock().unwrap().push((name.to_owned(), payload));
    }

    fn open(&self, url: &str) -> Result<(), String> {
        self.opened.lock().unwrap().push(url.to_owned());
        Ok(())
    }
}

pub struct TestCore {
    pub core: AppCore,
    pub outside: Recorded,
    pub dir: tempfile::TempDir,
}

/// A fresh app whose server is `server_url` (a closed port unless a test needs one).
pub fn test_core(server_url: &str) -> TestCore {
    let dir = tempfile::tempdir().unwrap();
    let outside = Recorded::default();
    let core = AppCore::open(
        Folders {
            data: dir.path().join("data"),
            downloads: dir.path().join("downloads"),
        },
        server_url.to_owned(),
        Box::new(MemoryVault::default()),
        Box::new(outside.clone()),
    )
    .unwrap();
    TestCore { core, outside, dir }
}

/// A URL nothing listens on.
pub fn closed_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    url
}

/// An event row as the catalog sends it.
pub fn event_json(
    id: Uuid,
    title: (&str, &str),
    category: &str,
    city: &str,
    at: (f64, f64),
    starts: &str,
) -> serde_json::Value {
    serde_json::json!({
        "id": id,
        "title": {"ar": title.0, "en": title.1},
        "description": {"ar": "تفاصيل", "en": "Details"},
        "category": category,
        "organizer": {"ar": "منظم", "en": "Organizer"},
        "venue": {
            "name": {"ar": "المكان", "en": "The venue"},
            "address": {"ar": "الشارع", "en": "The street"},
            "city": city,
            "location": {"lat": at.0, "lng": at.1}
        },
        "starts_at": starts,
        "ends_at": "2027-06-01T23:00:00Z",
        "time_zone": "Asia/Amman",
        "price_from": {"minor": 15000, "currency": "JOD"}
    })
}

/// Applies rows of one kind to a scope, as one last page of a pull would.
pub fn apply(core: &AppCore, scope: Scope, kind: RowKind, rows: Vec<(String, serde_json::Value)>) {
    let page = SyncPage {
        scope,
        reset: false,
        rows: rows
            .into_iter()
            .enumerate()
            .map(|(i, (key, data))| SyncRow {
                kind,
                key,
                version: i as u64 + 1,
                data: Some(data),
            })
            .collect(),
        cursor: "c1".into(),
        has_more: false,
        total: None,
        digest: None,
    };
    core.db().apply_page(&page).unwrap();
}

/// Puts one ticket of a new event on the device, as the `me` scope brings it.
pub fn hold_ticket(core: &AppCore, credential: Option<&str>) -> Uuid {
    let event = Uuid::now_v7();
    let ticket = Uuid::now_v7();
    let mut row = serde_json::json!({
        "ticket": {
            "id": ticket, "order_id": Uuid::now_v7(), "event_id": event,
            "ticket_type_id": Uuid::now_v7(), "serial": 7, "valid": true,
            "issued_at": "2026-12-01T10:00:00Z"
        },
        "ticket_type": {"ar": "عام", "en": "General"},
        "event": event_json(event, ("ليلة عود، وطرب", "Oud; night"), "music", "amman", (31.9517, 35.9394), "2027-01-03T18:00:00Z"),
        "event_status": "published",
    });
    if let Some(text) = credential {
        row["credential"] = serde_json::json!({
            "ticket_id": ticket, "text": text,
            "valid_from": "2027-01-03T15:00:00Z", "valid_until": "2027-01-04T03:00:00Z"
        });
    }
    apply(
        core,
        Scope::Me,
        RowKind::MyTicket,
        vec![(ticket.to_string(), row)],
    );
    ticket
}
