//! The `hafla-door` command line as a script or a person drives it: a door list synced
//! into a database file, scanned texts on standard input, verdicts and status on standard
//! output, one-line errors and exit codes.

use base64::Engine;
use hafla_core::credential::keys::{IssuerKeys, TicketSigningKey};
use hafla_core::credential::{Claims, Credential};
use hafla_core::sync::SyncDb;
use hafla_core::wire::sync::{RowKind, Scope, SyncPage, SyncRow};
use serde_json::{Value, json};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use uuid::Uuid;

const EVENT_REF: u32 = 77;
const NOW: &str = "2026-12-20T18:00:00Z";

struct Door {
    dir: tempfile::TempDir,
    db: PathBuf,
    issuer: IssuerKeys,
    event: Uuid,
}

fn row(kind: RowKind, key: &str, version: u64, data: Value) -> SyncRow {
    SyncRow {
        kind,
        key: key.into(),
        version,
        data: Some(data),
    }
}

/// A database holding an event's door list (tickets 1–5, ticket 5 refunded), as a sync
/// would have left it.
fn synced_door() -> Door {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("door.db");
    let issuer = IssuerKeys::new(TicketSigningKey::generate(3).unwrap());
    let event = Uuid::now_v7();
    let public = issuer.active().public();
    let mut rows = vec![
        row(
            RowKind::DoorEvent,
            &event.to_string(),
            1,
            json!({
                "event_id": event, "event_ref": EVENT_REF, "title": {"ar": "حفلة", "en": "Concert"},
                "status": "published", "starts_at": "2026-12-20T17:00:00Z",
                "ends_at": "2026-12-20T23:00:00Z", "time_zone": "Asia/Amman"
            }),
        ),
        row(
            RowKind::Key,
            &public.key_id.to_string(),
            2,
            json!({
                "key_id": public.key_id,
                "public_key": base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(public.key.as_bytes())
            }),
        ),
        row(
            RowKind::TicketType,
            "0",
            3,
            json!({
                "type_id": Uuid::now_v7(), "number": 0, "name": {"ar": "عادي", "en": "General"},
                "entry_policy": "single_entry", "capacity": 10
            }),
        ),
    ];
    for serial in 1..=4u64 {
        rows.push(row(
            RowKind::Ticket,
            &serial.to_string(),
            3 + serial,
            json!({"t": 0}),
        ));
    }
    rows.push(row(
        RowKind::Ticket,
        "5",
        8,
        json!({"t": 0, "r": {"reason": "refunded", "at": "2026-12-19T10:00:00Z"}}),
    ));
    let mut sync = SyncDb::open(&db).unwrap();
    sync.apply_page(&SyncPage {
        scope: Scope::Door(event),
        reset: false,
        total: Some(rows.len() as u64),
        rows,
        cursor: "c".into(),
        has_more: false,
        digest: None,
    })
    .unwrap();
    Door {
        dir,
        db,
        issuer,
        event,
    }
}

impl Door {
    fn ticket(&self, serial: u32) -> String {
        let now: jiff::Timestamp = NOW.parse().unwrap();
        let (valid_from_hour, valid_hours) = Claims::window(
            now - jiff::SignedDuration::from_hours(2),
            now + jiff::SignedDuration::from_hours(4),
        )
        .unwrap();
        let claims = Claims {
            key_id: 0,
            event_ref: EVENT_REF,
            ticket_serial: serial,
            ticket_type: 0,
            valid_from_hour,
            valid_hours,
            rotating: false,
        };
        Credential::issue(claims, self.issuer.active()).to_text()
    }
}

fn door_cli(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_hafla-door"))
        .args(args)
        .env_remove("HAFLA_TOKEN")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn json_lines(output: &Output) -> Vec<Value> {
    String::from_utf8(output.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn scanned_lines_get_one_verdict_each_in_the_order_they_came() {
    let door = synced_door();
    let input = format!(
        "{}\r\n{}\n\n{}\nnot a ticket\n{}\n",
        door.ticket(1),
        door.ticket(1),
        door.ticket(5),
        door.ticket(2)
    );
    let output = door_cli(
        &[
            "scan",
            "--db",
            path(&door.db),
            "--event-ref",
            "77",
            "--gate",
            "North",
            "--json",
            "--lang",
            "en",
            "--at",
            NOW,
        ],
        &input,
    );
    assert!(output.status.success(), "{output:?}");
    let verdicts = json_lines(&output);
    let keys: Vec<&str> = verdicts
        .iter()
        .map(|v| v["verdict"].as_str().unwrap())
        .collect();
    assert_eq!(
        keys,
        [
            "admitted",
            "already_admitted",
            "revoked",
            "malformed",
            "admitted"
        ],
        "the blank line is no scan"
    );
    assert_eq!(verdicts[0]["signal"], "go");
    assert_eq!(verdicts[0]["message"], "Welcome in");
    assert_eq!(verdicts[0]["ticket_serial"], 1);
    assert!(verdicts[1]["message"].as_str().unwrap().contains("North"));
}

#[test]
fn text_output_is_the_verdict_key_then_the_message_in_the_chosen_language() {
    let door = synced_door();
    let event = door.event.to_string();
    let output = door_cli(
        &[
            "scan",
            "--db",
            path(&door.db),
            "--event",
            &event,
            "--gate",
            "G",
            "--at",
            NOW,
        ],
        &format!("{}\n", door.ticket(3)),
    );
    assert!(output.status.success(), "{output:?}");
    let text = String::from_utf8(output.stdout).unwrap();
    let (key, message) = text.trim_end().split_once('\t').unwrap();
    assert_eq!(key, "admitted");
    assert!(
        message
            .chars()
            .any(|c| ('\u{0600}'..='\u{06FF}').contains(&c)),
        "{message}"
    );
}

#[test]
fn status_counts_admitted_remaining_gates_and_waiting_scans() {
    let door = synced_door();
    let scans = format!(
        "{}\n{}\n{}\n",
        door.ticket(1),
        door.ticket(2),
        door.ticket(1)
    );
    let scanned = door_cli(
        &[
            "scan",
            "--db",
            path(&door.db),
            "--event-ref",
            "77",
            "--gate",
            "North",
            "--at",
            NOW,
        ],
        &scans,
    );
    assert!(scanned.status.success(), "{scanned:?}");
    let output = door_cli(&["status", "--db", path(&door.db), "--json"], "");
    assert!(output.status.success(), "{output:?}");
    let status = &json_lines(&output)[0];
    assert_eq!(status["outbox"], 3, "every scan waits to be sent");
    let event = &status["events"][0];
    assert_eq!(event["event_ref"], EVENT_REF);
    assert_eq!(event["admitted"], 2);
    assert_eq!(
        event["remaining"], 2,
        "five tickets, one refunded, two inside"
    );
    assert_eq!(event["gates"][0]["gate"], "North");
    assert_eq!(event["gates"][0]["entered"], 2);
    assert_eq!(event["gates"][0]["refused"], 1);
}

#[test]
fn the_device_id_is_the_same_in_every_run() {
    let door = synced_door();
    let status = || json_lines(&door_cli(&["status", "--db", path(&door.db), "--json"], ""));
    let first = status()[0]["device_id"].clone();
    assert!(first.is_string());
    assert_eq!(status()[0]["device_id"], first);
}

#[test]
fn an_event_that_was_never_synced_is_a_one_line_error() {
    let door = synced_door();
    let output = door_cli(
        &[
            "scan",
            "--db",
            path(&door.db),
            "--event-ref",
            "12",
            "--gate",
            "G",
        ],
        "x\n",
    );
    assert_eq!(output.status.code(), Some(1));
    let err = String::from_utf8(output.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("sync"), "{err}");
}

#[test]
fn sync_without_a_token_is_refused_before_touching_the_network() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("d.db");
    let (org, event) = (Uuid::now_v7().to_string(), Uuid::now_v7().to_string());
    let args = [
        "sync",
        "--server",
        "http://127.0.0.1:9",
        "--org",
        &org,
        "--event",
        &event,
        "--db",
        path(&db),
    ];
    let output = door_cli(&args, "");
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert!(
        String::from_utf8(output.stderr)
            .unwrap()
            .contains("HAFLA_TOKEN")
    );
}

#[test]
fn sync_against_a_closed_port_exits_as_unreachable() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("d.db");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let (org, event) = (Uuid::now_v7().to_string(), Uuid::now_v7().to_string());
    let output = Command::new(env!("CARGO_BIN_EXE_hafla-door"))
        .args([
            "sync",
            "--server",
            &url,
            "--org",
            &org,
            "--event",
            &event,
            "--db",
            path(&db),
        ])
        .args(["--attempts", "2"])
        .env("HAFLA_TOKEN", "t")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3), "{output:?}");
    let err = String::from_utf8(output.stderr).unwrap();
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(!err.contains("HAFLA_TOKEN=t"));
}

/// A door list of `tickets` tickets served slowly in pages, whose cursor is the number of
/// rows sent so far: enough of the sync contract to kill a sync halfway through.
async fn slow_door_server(door: &Door, tickets: u64) -> String {
    use axum::extract::Query;
    use axum::routing::{get, post};
    use std::collections::HashMap;
    let public = door.issuer.active().public();
    let mut rows = vec![
        row(
            RowKind::DoorEvent,
            &door.event.to_string(),
            1,
            json!({
                "event_id": door.event, "event_ref": EVENT_REF, "title": {"ar": "حفلة", "en": "Concert"},
                "status": "published", "starts_at": "2026-12-20T17:00:00Z",
                "ends_at": "2026-12-20T23:00:00Z", "time_zone": "Asia/Amman"
            }),
        ),
        row(
            RowKind::Key,
            &public.key_id.to_string(),
            2,
            json!({
                "key_id": public.key_id,
                "public_key": base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(public.key.as_bytes())
            }),
        ),
    ];
    for serial in 1..=tickets {
        rows.push(row(
            RowKind::Ticket,
            &serial.to_string(),
            2 + serial,
            json!({"t": 0}),
        ));
    }
    let rows = std::sync::Arc::new(rows);
    let scope = Scope::Door(door.event);
    let pull = move |Query(q): Query<HashMap<String, String>>| {
        let rows = rows.clone();
        async move {
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            let from: usize = q.get("cursor").and_then(|c| c.parse().ok()).unwrap_or(0);
            let limit: usize = q.get("limit").and_then(|l| l.parse().ok()).unwrap_or(2_000);
            let to = (from + limit).min(rows.len());
            let has_more = to < rows.len();
            let digest = (!has_more).then(|| {
                let mut d = hafla_core::wire::sync::ScopeDigest::default();
                rows.iter().for_each(|r| d.add(r.version));
                d
            });
            axum::Json(SyncPage {
                scope,
                reset: false,
                rows: rows[from..to].to_vec(),
                cursor: to.to_string(),
                has_more,
                total: Some(rows.len() as u64),
                digest,
            })
        }
    };
    let router = axum::Router::new()
        .route("/api/v1/sync/orgs/{org}/door/{event}", get(pull))
        .route(
            "/api/v1/sync/orgs/{org}/door/{event}/scans",
            get(|| async { axum::Json(json!({"scans": [], "has_more": false})) }),
        )
        .route(
            "/api/v1/sync/push",
            post(|axum::Json(body): axum::Json<Value>| async move {
                let results: Vec<Value> = body["mutations"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|m| json!({"id": m["id"], "number": m["number"], "outcome": "applied"}))
                    .collect();
                axum::Json(json!({ "results": results }))
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    url
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sync_killed_halfway_leaves_whole_pages_and_the_next_one_finishes_the_list() {
    use std::io::BufRead;
    let door = synced_door();
    let fresh = door.dir.path().join("fresh.db");
    let url = slow_door_server(&door, 3_000).await;
    let (org, event) = (Uuid::now_v7().to_string(), door.event.to_string());
    let args = [
        "sync",
        "--server",
        &url,
        "--org",
        &org,
        "--event",
        &event,
        "--db",
        path(&fresh),
        "--limit",
        "97",
        "--json",
    ];
    let mut child = Command::new(env!("CARGO_BIN_EXE_hafla-door"))
        .args(args)
        .env("HAFLA_TOKEN", "t")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut progress = 0;
    for line in stdout.lines() {
        if line.unwrap().contains("\"progress\"") {
            progress += 1;
        }
        if progress == 7 {
            break;
        }
    }
    child.kill().unwrap(); // SIGKILL: no chance to clean up
    child.wait().unwrap();

    let db = SyncDb::open(&fresh).unwrap();
    let state = db.state(Scope::Door(door.event)).unwrap();
    let held = db.digest(Scope::Door(door.event)).unwrap().count;
    let cursor: u64 = state.cursor.as_deref().unwrap().parse().unwrap();
    assert!(held > 0 && held < 3_002, "killed halfway: {held}");
    assert_eq!(held % 97, 0, "only whole pages: {held}");
    assert_eq!(
        (cursor, state.rows),
        (held, held),
        "the cursor matches the rows kept"
    );
    drop(db);

    let output = Command::new(env!("CARGO_BIN_EXE_hafla-door"))
        .args(args)
        .env("HAFLA_TOKEN", "t")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let summary = json_lines(&output).pop().unwrap();
    assert_eq!(summary["pull"]["held"], 3_002);
    assert_eq!(summary["pull"]["verified"], true);
    assert!(
        summary["pull"]["rows"].as_u64().unwrap() <= 3_002 - held,
        "resumed where it stopped: {summary}"
    );
}
