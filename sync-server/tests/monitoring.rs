//! The shipped alerting rules and dashboard never name a metric the server does not
//! export: every `hafla_*`, `http_*` and `db_*` name in `deploy/prometheus/hafla-rules.yml`
//! and `deploy/grafana/hafla-dashboard.json` appears on `/metrics` of real server processes
//! after some traffic (SQLite with scheduled backups, and PostgreSQL for its pool).

mod common;

use common::{FreshDatabase, ServerProcess};
use hafla_core::Bilingual;
use hafla_core::money::Money;
use hafla_server::store::{NewTicketType, SqliteStore, Store};
use hafla_server::test_support::issue_free_tickets;
use reqwest::Method;
use serde_json::json;
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

const KEYS: &[(&str, &str)] = &[
    (
        "HAFLA_MASTER_KEY",
        "iVOJ1vzPaj7KMbzfumFd4ViynvhOXNtgrnMmCW6gR0M=",
    ),
    (
        "HAFLA_TOKEN_KEY",
        "4444444444444444444444444444444444444444444444444444444444444444",
    ),
];

/// Metric names in a rules or dashboard file: words starting `hafla_`, `http_` or `db_`.
fn names_in(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| ["hafla_", "http_", "db_"].iter().any(|p| w.starts_with(p)))
        .map(str::to_owned)
        .collect()
}

/// The sample names on a `/metrics` page (histograms as their `_bucket`, `_sum` and
/// `_count` series).
fn exported(page: &str) -> BTreeSet<String> {
    page.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| l.split(['{', ' ']).next())
        .map(str::to_owned)
        .collect()
}

async fn metrics(server: &ServerProcess) -> String {
    reqwest::get(format!("{}/metrics", server.url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Registers, makes an organization with a free event, sends one scan from a door, listens
/// to hints: traffic that touches every metric a SQLite server records.
async fn traffic(server: &ServerProcess) {
    let (status, session) = server
        .call(
            Method::POST,
            "/api/v1/auth/register",
            None,
            Some(json!({ "email": "ops@sahra.jo", "password": "a long enough password" })),
        )
        .await;
    assert_eq!(status, 201, "{session}");
    let token = session["access_token"].as_str().unwrap().to_owned();
    let (_, me) = server
        .call(Method::GET, "/api/v1/me", Some(&token), None)
        .await;
    let user_id = Uuid::parse_str(me["id"].as_str().unwrap()).unwrap();
    let (status, org) = server
        .call(
            Method::POST,
            "/api/v1/orgs",
            Some(&token),
            Some(json!({ "name": { "ar": "سهرة", "en": "Sahra" } })),
        )
        .await;
    assert_eq!(status, 201, "{org}");
    let org_id = Uuid::parse_str(org["id"].as_str().unwrap()).unwrap();

    // A free ticket issued through the store, which gives the event its credential number.
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(server.data_dir.path()).unwrap());
    let free = NewTicketType::simple(
        Uuid::now_v7(),
        Bilingual::new("دخول", "Entry").unwrap(),
        Money::jod_fils(0),
        10,
    );
    let event = common::event_on_sale(org_id, ("ليلة", "Night"), vec![free.clone()]);
    let event_id = event.id;
    store.insert_catalog(vec![], vec![event]).await.unwrap();
    issue_free_tickets(&*store, event_id, free.id, user_id, 1).await;
    let event_ref: u32 = rusqlite::Connection::open(server.data_dir.path().join("hafla.db"))
        .unwrap()
        .query_row(
            "SELECT credential_ref FROM events WHERE id = ?1",
            [event_id],
            |r| r.get(0),
        )
        .unwrap();

    // A door refuses a forged code and pushes the scan.
    let device = Uuid::now_v7();
    let now = jiff::Timestamp::now();
    let scan = hafla_core::door::ScanRecord {
        id: Uuid::now_v7(),
        device_id: device,
        seq: 1,
        event_ref,
        ticket_serial: None,
        ticket_type: None,
        gate: "North".into(),
        direction: hafla_core::door::verifier::Direction::In,
        device_time: now,
        hlc: hafla_core::door::Hlc::new(now.as_millisecond() as u64, 0),
        verdict: "forged".into(),
        effect: hafla_core::door::verifier::ScanEffect::Refused,
    };
    let (status, answer) = server
        .call(
            Method::POST,
            "/api/v1/sync/push",
            Some(&token),
            Some(json!({ "device_id": device, "mutations": [
                { "id": Uuid::now_v7(), "number": "1", "op": { "kind": "scan", "scan": scan } }
            ] })),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["results"][0]["outcome"], "applied", "{answer}");

    // A device listening for hints gets its first one.
    let mut hints = reqwest::Client::new()
        .get(format!(
            "{}/api/v1/sync/hints?scopes=catalog,org:{org_id}",
            server.url
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let first = tokio::time::timeout(Duration::from_secs(10), hints.chunk())
        .await
        .expect("a hint within 10 s")
        .unwrap()
        .unwrap();
    assert!(String::from_utf8_lossy(&first).contains("hint"));
}

#[tokio::test]
async fn every_metric_the_rules_and_the_dashboard_use_is_exported() {
    let deploy = Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy");
    let mut wanted = BTreeSet::new();
    for file in ["prometheus/hafla-rules.yml", "grafana/hafla-dashboard.json"] {
        let text = std::fs::read_to_string(deploy.join(file)).unwrap();
        let names = names_in(&text);
        assert!(names.len() > 5, "{file} names metrics: {names:?}");
        wanted.extend(names);
    }

    let backups = tempfile::tempdir().unwrap();
    let backup_dir = backups.path().to_str().unwrap();
    let sqlite = ServerProcess::start(&["--backup-dir", backup_dir], KEYS);
    traffic(&sqlite).await;
    // The first scheduled backup runs at start; wait until it has reported.
    let mut page = metrics(&sqlite).await;
    for _ in 0..50 {
        if page.contains("hafla_backup_last_success_timestamp_seconds") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        page = metrics(&sqlite).await;
    }
    let mut have = exported(&page);

    let database = FreshDatabase::create();
    let postgres = ServerProcess::start(&["--database-url", &database.url()], KEYS);
    let (status, _) = postgres.call(Method::GET, "/readyz", None, None).await;
    assert_eq!(status, 200);
    have.extend(exported(&metrics(&postgres).await));

    let missing: Vec<&String> = wanted.difference(&have).collect();
    assert!(
        missing.is_empty(),
        "named in deploy/ but not on /metrics: {missing:?}\nexported: {have:?}"
    );
}

#[test]
fn metric_names_are_read_from_expressions() {
    let names = names_in(
        r#"expr: sum by (le) (rate(http_request_duration_seconds_bucket{route!="/x"}[5m])) / hafla_database_up == 0 and up{job="hafla"}"#,
    );
    let expected: BTreeSet<String> = ["http_request_duration_seconds_bucket", "hafla_database_up"]
        .map(str::to_owned)
        .into();
    assert_eq!(names, expected);
}
