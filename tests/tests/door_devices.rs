//! Door devices as separate processes (`hafla-door`) against a real `hafla-server`: a device
//! killed with SIGKILL at random moments of its initial download and of its pushes loses
//! no scan, applies none twice, and its resumed download ends with a matching digest.

use hafla_core::wire::sync::{MyTicket, ScanPage, SyncPage};
use hafla_e2e::ServerProcess;
use hafla_e2e::paths::workspace_binary;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

const PASSWORD: &str = "a long enough password";
/// Tickets sold, in orders of 100.
const TICKETS: usize = 1_000;
/// SIGKILLs during the download, then during the pushes.
const KILLS: usize = 25;

struct Api {
    http: reqwest::Client,
    base: String,
}

impl Api {
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Value {
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("the server answers");
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{method} {path}: {status} {body}");
        body
    }

    async fn register(&self, email: &str) -> String {
        let body = self
            .call(
                reqwest::Method::POST,
                "/api/v1/auth/register",
                None,
                Some(json!({ "email": email, "password": PASSWORD })),
            )
            .await;
        body["access_token"].as_str().unwrap().to_owned()
    }
}

/// A published free event with `TICKETS` tickets sold to one buyer: the organization, the
/// event, its start, the owner's token (who works the door) and the tickets' QR texts.
struct Sold {
    org: String,
    event: String,
    starts_at: String,
    owner: String,
    credentials: Vec<String>,
}

async fn sold_out_event(server: &ServerProcess) -> Sold {
    let api = Api {
        http: reqwest::Client::new(),
        base: server.url().to_owned(),
    };
    let owner = api.register("door@sahra.jo").await;
    let org = api
        .call(
            reqwest::Method::POST,
            "/api/v1/orgs",
            Some(&owner),
            Some(json!({ "name": { "ar": "سهرة لايف", "en": "Sahra Live" } })),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let starts = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * 3);
    let event = api
        .call(
            reqwest::Method::POST,
            &format!("/api/v1/orgs/{org}/events"),
            Some(&owner),
            Some(json!({
                "title": { "ar": "ليلة طرب في عمّان", "en": "Tarab Night in Amman" },
                "description": { "ar": "", "en": "An evening of tarab" },
                "category": "music",
                "tags": [],
                "venue": {
                    "name": { "ar": "المدرج الروماني", "en": "Roman Theatre" },
                    "address": { "ar": "وسط البلد", "en": "Downtown" },
                    "city": "amman",
                    "location": { "lat": 31.9515, "lng": 35.9396 }
                },
                "starts_at": starts,
                "ends_at": starts + jiff::SignedDuration::from_hours(3),
                "ticket_types": [{
                    "name": { "ar": "دخول حر", "en": "Free entry" },
                    "price": { "minor": 0, "currency": "JOD" },
                    "capacity": TICKETS,
                    "per_order_limit": 100
                }]
            })),
        )
        .await;
    let event_id = event["id"].as_str().unwrap().to_owned();
    let ticket_type = event["ticket_types"][0]["id"].as_str().unwrap().to_owned();
    api.call(
        reqwest::Method::POST,
        &format!("/api/v1/orgs/{org}/events/{event_id}/submit"),
        Some(&owner),
        None,
    )
    .await;
    // An admin approves it: the account exists, the command line promotes it.
    api.register("admin@hafla.jo").await;
    let promoted = Command::new(workspace_binary("hafla-server"))
        .args(["admin", "create", "--email", "admin@hafla.jo", "--data-dir"])
        .arg(server.data_dir())
        .status()
        .expect("hafla-server admin create");
    assert!(promoted.success());
    let admin = api
        .call(
            reqwest::Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({ "email": "admin@hafla.jo", "password": PASSWORD })),
        )
        .await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    api.call(
        reqwest::Method::POST,
        &format!("/api/v1/admin/events/{event_id}/approve"),
        Some(&admin),
        None,
    )
    .await;
    let buyer = api.register("rania@example.jo").await;
    for _ in 0..TICKETS / 100 {
        let order = api
            .call(
                reqwest::Method::POST,
                "/api/v1/orders",
                Some(&buyer),
                Some(json!({ "event_id": event_id, "lines": [{ "ticket_type_id": ticket_type, "quantity": 100 }] })),
            )
            .await;
        let order_id = order["id"].as_str().unwrap();
        api.call(
            reqwest::Method::POST,
            &format!("/api/v1/orders/{order_id}/pay"),
            Some(&buyer),
            Some(json!({ "method": "free" })),
        )
        .await;
    }
    let mut credentials = vec![];
    let mut cursor = String::new();
    loop {
        let page: SyncPage = serde_json::from_value(
            api.call(
                reqwest::Method::GET,
                &format!("/api/v1/sync/me?limit=500&cursor={cursor}"),
                Some(&buyer),
                None,
            )
            .await,
        )
        .unwrap();
        for row in &page.rows {
            let mine: MyTicket = row.decode().unwrap().unwrap();
            credentials.push(mine.credential.expect("valid").text);
        }
        cursor = page.cursor;
        if !page.has_more {
            break;
        }
    }
    assert_eq!(credentials.len(), TICKETS);
    Sold {
        org,
        event: event_id,
        starts_at: (starts + jiff::SignedDuration::from_hours(1)).to_string(),
        owner,
        credentials,
    }
}

fn door(sold: &Sold, server: &ServerProcess, db: &Path) -> Command {
    let mut command = Command::new(workspace_binary("hafla-door"));
    command
        .args([
            "sync",
            "--server",
            server.url(),
            "--org",
            &sold.org,
            "--event",
            &sold.event,
        ])
        .args(["--limit", "25", "--json", "--db"])
        .arg(db)
        .env("HAFLA_TOKEN", &sold.owner)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

/// Starts `hafla-door sync` and kills it after a pseudo-random moment within `window`;
/// returns whether it had already finished.
fn sync_killed_at_random(
    sold: &Sold,
    server: &ServerProcess,
    db: &Path,
    seed: &mut u64,
    window: Duration,
) -> bool {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    let delay = Duration::from_micros(*seed % window.as_micros() as u64);
    let mut child = door(sold, server, db).spawn().expect("hafla-door");
    std::thread::sleep(delay);
    let finished = matches!(child.try_wait(), Ok(Some(_)));
    let _ = child.kill(); // SIGKILL
    let _ = child.wait();
    finished
}

/// The door's status line (`hafla-door status --json`).
fn status(db: &Path) -> Value {
    let output = Command::new(workspace_binary("hafla-door"))
        .args(["status", "--json", "--db"])
        .arg(db)
        .output()
        .expect("hafla-door status");
    assert!(output.status.success(), "{output:?}");
    serde_json::from_slice(&output.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_door_killed_at_random_moments_of_sync_loses_no_scan_and_applies_none_twice() {
    let server = ServerProcess::start_demo().await.expect("server");
    let started = std::time::Instant::now();
    let sold = sold_out_event(&server).await;
    eprintln!("seeded: {:?}", started.elapsed());
    let dir = tempfile::tempdir().unwrap();
    let db: PathBuf = dir.path().join("door.db");
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;

    // The initial download, killed again and again; each run resumes where the last
    // committed page left it.
    let mut kills = 0;
    let mut restarts = 0;
    let started = std::time::Instant::now();
    while kills < KILLS {
        let db = db.clone();
        let finished = tokio::task::block_in_place(|| {
            sync_killed_at_random(&sold, &server, &db, &mut seed, Duration::from_millis(600))
        });
        if finished {
            // Finished before the kill: start the download over to keep killing it.
            restarts += 1;
            std::fs::remove_file(&db).ok();
            for suffix in ["-wal", "-shm"] {
                std::fs::remove_file(format!("{}{suffix}", db.display())).ok();
            }
        } else {
            kills += 1;
        }
    }
    eprintln!(
        "download: {kills} kills, {restarts} finished before their kill, {:?}",
        started.elapsed()
    );
    let done = tokio::task::block_in_place(|| door(&sold, &server, &db).status()).unwrap();
    assert!(
        done.success(),
        "the resumed download completes and its digest matches"
    );
    let before = status(&db);
    assert_eq!(before["events"][0]["tickets"], TICKETS);

    // Every ticket scanned offline, as a wedge scanner types them.
    let mut scan = Command::new(workspace_binary("hafla-door"))
        .args([
            "scan",
            "--event",
            &sold.event,
            "--gate",
            "north",
            "--json",
            "--at",
            &sold.starts_at,
            "--db",
        ])
        .arg(&db)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("hafla-door scan");
    // Typed from another thread: the verdicts fill the output pipe meanwhile.
    let mut stdin = scan.stdin.take().unwrap();
    let texts = sold.credentials.clone();
    let typist = std::thread::spawn(move || {
        for text in texts {
            writeln!(stdin, "{text}").unwrap();
        }
    });
    let output = scan.wait_with_output().unwrap();
    typist.join().unwrap();
    assert!(output.status.success());
    let verdicts: Vec<Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(verdicts.len(), TICKETS);
    assert!(
        verdicts.iter().all(|v| v["verdict"] == "admitted"),
        "{:?}",
        verdicts.first()
    );
    assert_eq!(status(&db)["outbox"], TICKETS);

    // Pushes killed again and again.
    let started = std::time::Instant::now();
    for _ in 0..KILLS {
        let db = db.clone();
        tokio::task::block_in_place(|| {
            sync_killed_at_random(&sold, &server, &db, &mut seed, Duration::from_millis(400))
        });
    }
    eprintln!("pushes: {KILLS} kills, {:?}", started.elapsed());
    let done = tokio::task::block_in_place(|| door(&sold, &server, &db).status()).unwrap();
    assert!(done.success());
    let after = status(&db);
    assert_eq!(after["outbox"], 0, "every scan was answered");
    assert_eq!(after["rejected"], 0);
    assert_eq!(after["events"][0]["admitted"], TICKETS);
    assert_eq!(after["events"][0]["conflicts"], 0, "no scan counted twice");

    // The server holds each scan exactly once.
    let api = Api {
        http: reqwest::Client::new(),
        base: server.url().to_owned(),
    };
    let page: ScanPage = serde_json::from_value(
        api.call(
            reqwest::Method::GET,
            &format!(
                "/api/v1/sync/orgs/{}/door/{}/scans?limit=5000",
                sold.org, sold.event
            ),
            Some(&sold.owner),
            None,
        )
        .await,
    )
    .unwrap();
    assert!(!page.has_more);
    let seqs: BTreeSet<u64> = page.scans.iter().map(|s| s.seq).collect();
    assert_eq!(page.scans.len(), TICKETS);
    assert_eq!(seqs.len(), TICKETS, "no scan twice");
    let serials: BTreeSet<u32> = page.scans.iter().filter_map(|s| s.ticket_serial).collect();
    assert_eq!(serials.len(), TICKETS, "every ticket's scan arrived");
}
