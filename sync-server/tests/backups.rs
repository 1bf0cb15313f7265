//! Backups of a serving `hafla-server` on SQLite, through the real binary: a backup taken
//! while writes keep coming holds every write acknowledged before it began and restores
//! into a fresh folder that a new server serves; it never holds a signing key in the
//! clear; scheduled backups keep the newest few and a failing one never stops the server;
//! a served database is refused to a restore; PostgreSQL is pointed to its own tools.

mod common;

use common::ServerProcess;
use reqwest::Method;
use serde_json::json;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use uuid::Uuid;

const MASTER_KEY: &str = "iVOJ1vzPaj7KMbzfumFd4ViynvhOXNtgrnMmCW6gR0M=";
const TOKEN_KEY: &str = "2222222222222222222222222222222222222222222222222222222222222222";

fn keys() -> Vec<(&'static str, &'static str)> {
    vec![
        ("HAFLA_MASTER_KEY", MASTER_KEY),
        ("HAFLA_TOKEN_KEY", TOKEN_KEY),
        (
            "HAFLA_OTP_KEY",
            "3333333333333333333333333333333333333333333333333333333333333333",
        ),
    ]
}

fn hafla_server(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_hafla-server"))
        .args(args)
        .env_remove("HAFLA_CONFIG")
        .env_remove("HAFLA_DATA_DIR")
        .env_remove("HAFLA_DATABASE_URL")
        .env_remove("HAFLA_BACKUP_DIR")
        .output()
        .expect("run hafla-server")
}

fn text(path: &Path) -> &str {
    path.to_str().expect("a UTF-8 temporary path")
}

async fn owner_token(server: &ServerProcess) -> String {
    let (status, body) = server
        .call(
            Method::POST,
            "/api/v1/auth/register",
            None,
            Some(json!({ "email": "backup@sahra.jo", "password": "a long enough password" })),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body["access_token"].as_str().unwrap().to_owned()
}

/// Creates organizations over HTTP until `stop`; each acknowledged one with when its
/// answer arrived.
async fn keep_writing(
    url: String,
    token: String,
    stop: Arc<AtomicBool>,
    writer: usize,
) -> Vec<(Uuid, Instant)> {
    let http = reqwest::Client::new();
    let mut acknowledged = Vec::new();
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let (status, body) = common::call(
            &http,
            &url,
            Method::POST,
            "/api/v1/orgs",
            Some(&token),
            Some(json!({ "name": { "ar": "فرقة", "en": format!("Band {writer}-{n}") } })),
        )
        .await;
        assert_eq!(status, 201, "the server kept serving: {body}");
        let id = Uuid::parse_str(body["id"].as_str().unwrap()).unwrap();
        acknowledged.push((id, Instant::now()));
    }
    acknowledged
}

fn integrity(db: &Path) -> String {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_under_writes_restores_every_write_acknowledged_before_it_began() {
    let server = ServerProcess::start(&[], &keys());
    let token = owner_token(&server).await;

    // An event with a signing key, made as the server makes them (sealed under the master
    // key), whose secret must never appear in a backup.
    let (_, first) = server
        .call(
            Method::POST,
            "/api/v1/orgs",
            Some(&token),
            Some(json!({ "name": { "ar": "سهرة", "en": "Sahra" } })),
        )
        .await;
    let org_id = Uuid::parse_str(first["id"].as_str().unwrap()).unwrap();
    let store: Arc<dyn hafla_server::store::Store> =
        Arc::new(hafla_server::store::SqliteStore::open(server.data_dir.path()).unwrap());
    let event = common::event_on_sale(org_id, ("ليلة", "Night"), vec![]);
    let event_id = event.id;
    store.insert_catalog(vec![], vec![event]).await.unwrap();
    let master = hafla_server::issuance::MasterKey::from_base64(MASTER_KEY, "test").unwrap();
    let issuer = hafla_server::issuance::EventKeys::new(store.clone(), master);
    let secret = issuer.signing_key(event_id).await.unwrap().to_secret_text();
    let secret_hex = secret.rsplit(':').next().unwrap().to_owned();
    let secret_bytes: Vec<u8> = (0..32)
        .map(|i| u8::from_str_radix(&secret_hex[i * 2..i * 2 + 2], 16).unwrap())
        .collect();
    drop(issuer);
    drop(store);

    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..2)
        .map(|w| {
            tokio::spawn(keep_writing(
                server.url.clone(),
                token.clone(),
                stop.clone(),
                w,
            ))
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(400)).await;

    let backups = tempfile::tempdir().unwrap();
    let file = backups.path().join("hafla-backup.db");
    let began = Instant::now();
    let data_dir = server.data_dir.path().to_owned();
    let backup_file = file.clone();
    let output = tokio::task::spawn_blocking(move || {
        hafla_server(&[
            "backup",
            "--to",
            text(&backup_file),
            "--data-dir",
            text(&data_dir),
        ])
    })
    .await
    .unwrap();
    let finished = Instant::now();
    assert!(output.status.success(), "{output:?}");
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("backed up"),
        "{output:?}"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::Relaxed);
    let mut acknowledged = Vec::new();
    for writer in writers {
        acknowledged.extend(writer.await.unwrap());
    }
    let before: Vec<Uuid> = acknowledged
        .iter()
        .filter(|(_, at)| *at < began)
        .map(|(id, _)| *id)
        .collect();
    let during = acknowledged
        .iter()
        .filter(|(_, at)| *at >= began && *at <= finished)
        .count();
    let after = acknowledged.iter().filter(|(_, at)| *at > finished).count();
    eprintln!(
        "writes acknowledged: {} before the backup, {during} during it ({:?}), {after} after",
        before.len(),
        finished - began
    );
    assert!(
        !before.is_empty() && during > 0 && after > 0,
        "writes went on before, during and after the backup"
    );

    let bytes = std::fs::read(&file).unwrap();
    assert!(
        !bytes
            .windows(secret_bytes.len())
            .any(|w| w == secret_bytes.as_slice()),
        "the signing key's bytes are in the backup"
    );
    assert!(
        !bytes
            .windows(secret_hex.len())
            .any(|w| w.eq_ignore_ascii_case(secret_hex.as_bytes())),
        "the signing key's text is in the backup"
    );

    // Restored into a fresh folder, checked, and served by a new server.
    let fresh = tempfile::tempdir().unwrap();
    let output = hafla_server(&[
        "restore",
        "--from",
        text(&file),
        "--data-dir",
        text(fresh.path()),
    ]);
    assert!(output.status.success(), "{output:?}");
    let restored_db = fresh.path().join("hafla.db");
    assert_eq!(integrity(&restored_db), "ok");
    let url = format!("sqlite://{}", text(&restored_db));
    let restored = ServerProcess::start(&["--database-url", &url], &keys());
    let http = reqwest::Client::new();
    for id in &before {
        let path = format!("/api/v1/orgs/{id}");
        let (status, body) =
            common::call(&http, &restored.url, Method::GET, &path, Some(&token), None).await;
        assert_eq!(
            status, 200,
            "organization {id} was acknowledged before the backup: {body}"
        );
    }
    let conn = rusqlite::Connection::open(&restored_db).unwrap();
    let sealed: i64 = conn
        .query_row("SELECT count(*) FROM signing_keys", [], |r| r.get(0))
        .unwrap();
    assert_eq!(sealed, 1, "the sealed signing key came back");
}

#[tokio::test]
async fn scheduled_backups_keep_the_newest_and_report_their_age() {
    let backups = tempfile::tempdir().unwrap();
    let mut server = ServerProcess::start(
        &[
            "--backup-dir",
            text(backups.path()),
            "--backup-interval-secs",
            "1",
            "--backup-keep",
            "2",
        ],
        &keys(),
    );
    let started = jiff::Timestamp::now().as_second();
    let listing = || {
        let mut names: Vec<String> = std::fs::read_dir(backups.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    let metrics = loop {
        let response = reqwest::get(format!("{}/metrics", server.url))
            .await
            .unwrap();
        let metrics = response.text().await.unwrap();
        let successes = metrics
            .lines()
            .find(|l| l.starts_with("hafla_backups_total{outcome=\"success\"}"))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0);
        if successes >= 3.0 {
            break metrics;
        }
        assert!(
            Instant::now() < deadline,
            "three backups within 30 s: {metrics}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let names = listing();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(
        names
            .iter()
            .all(|n| n.starts_with("hafla-") && n.ends_with("Z.db")),
        "{names:?}"
    );
    let last = metrics
        .lines()
        .find(|l| l.starts_with("hafla_backup_last_success_timestamp_seconds"))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse::<f64>().ok())
        .expect("the gauge is exported");
    assert!(last >= started as f64, "{last} >= {started}");
    for name in names {
        assert_eq!(integrity(&backups.path().join(name)), "ok");
    }
    assert!(server.is_running());
}

#[tokio::test]
async fn a_failing_scheduled_backup_is_logged_and_the_server_keeps_serving() {
    let dir = tempfile::tempdir().unwrap();
    let not_a_folder = dir.path().join("a-file");
    std::fs::write(&not_a_folder, b"in the way").unwrap();
    let mut server = ServerProcess::start(
        &[
            "--backup-dir",
            text(&not_a_folder.join("backups")),
            "--backup-interval-secs",
            "1",
        ],
        &[("HAFLA_LOG_FORMAT", "json")],
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (status, _) = server.call(Method::GET, "/healthz", None, None).await;
    assert_eq!(status, 200);
    let metrics = reqwest::get(format!("{}/metrics", server.url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.lines().any(
            |l| l.starts_with("hafla_backups_total{outcome=\"failure\"}") && !l.ends_with(" 0")
        ),
        "{metrics}"
    );
    assert!(server.is_running());
    let log = server.stop_and_read_log();
    assert!(log.contains("scheduled backup failed"), "{log}");
}

#[test]
fn a_served_database_is_refused_to_a_restore() {
    let mut server = ServerProcess::start(&[], &keys());
    let data_dir = &server.data_dir.path().to_owned();
    let backup = data_dir.join("copy.db");
    let output = hafla_server(&[
        "backup",
        "--to",
        text(&backup),
        "--data-dir",
        text(data_dir),
    ]);
    assert!(output.status.success(), "{output:?}");
    let output = hafla_server(&[
        "restore",
        "--from",
        text(&backup),
        "--data-dir",
        text(data_dir),
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("a running hafla-server holds") && stderr.trim_end().lines().count() == 1,
        "{stderr}"
    );
    server.stop_and_read_log();
    let output = hafla_server(&[
        "restore",
        "--from",
        text(&backup),
        "--data-dir",
        text(data_dir),
    ]);
    assert!(
        output.status.success(),
        "once the server is gone: {output:?}"
    );
}

#[test]
fn restoring_garbage_is_refused_in_one_line_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let output = hafla_server(&["migrate", "--data-dir", text(&data_dir)]);
    assert!(output.status.success(), "{output:?}");
    let db = std::fs::read(data_dir.join("hafla.db")).unwrap();
    let garbage = dir.path().join("photo.jpg");
    std::fs::write(
        &garbage,
        [0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F', 0],
    )
    .unwrap();
    let output = hafla_server(&[
        "restore",
        "--from",
        text(&garbage),
        "--data-dir",
        text(&data_dir),
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("photo.jpg is not an SQLite database")
            && stderr.trim_end().lines().count() == 1,
        "{stderr}"
    );
    assert_eq!(std::fs::read(data_dir.join("hafla.db")).unwrap(), db);
}

#[test]
fn postgresql_backups_are_pointed_to_its_own_tools() {
    for command in [["backup", "--to"], ["restore", "--from"]] {
        let output = hafla_server(&[
            command[0],
            command[1],
            "/tmp/nowhere.db",
            "--database-url",
            "postgres://hafla@db.internal/hafla",
        ]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains("pg_dump") && stderr.contains("deploy/README.md"),
            "{stderr}"
        );
    }
}

#[tokio::test]
async fn backup_settings_come_from_the_config_file_too() {
    let dir = tempfile::tempdir().unwrap();
    let backups = dir.path().join("from-config");
    let config = dir.path().join("hafla.toml");
    std::fs::write(
        &config,
        format!(
            "backup_dir = {:?}\nbackup_interval_secs = 1\nbackup_keep = 1\n",
            text(&backups)
        ),
    )
    .unwrap();
    let mut server = ServerProcess::start(&["--config", text(&config)], &keys());
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let metrics = reqwest::get(format!("{}/metrics", server.url))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if metrics.lines().any(|l| {
            l.starts_with("hafla_backups_total{outcome=\"success\"} ")
                && !l.ends_with(" 0")
                && !l.ends_with(" 1")
        }) {
            break;
        }
        assert!(Instant::now() < deadline, "two backups within 20 s");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let names: Vec<_> = std::fs::read_dir(&backups).unwrap().collect();
    assert_eq!(names.len(), 1, "backup_keep = 1 keeps one");
    assert!(server.is_running());
}

#[test]
fn a_restore_without_a_file_names_the_missing_flag_in_one_line() {
    let output = hafla_server(&["restore"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("--from <FROM>"), "{stderr}");
}

/// A push of mutation `number` from `device` that can never apply (a scan with no log
/// position), so the server consumes it and answers `rejected`; the outcome it got.
async fn push_number(server: &ServerProcess, token: &str, device: Uuid, number: u64) -> String {
    use hafla_core::door::verifier::{Direction, ScanEffect};
    use hafla_core::door::{Hlc, ScanRecord};
    use hafla_core::wire::sync::{Mutation, MutationOp, PushRequest};
    let scan = ScanRecord {
        id: Uuid::now_v7(),
        device_id: device,
        seq: 0,
        event_ref: 1,
        ticket_serial: None,
        ticket_type: None,
        gate: "North".into(),
        direction: Direction::In,
        device_time: jiff::Timestamp::now(),
        hlc: Hlc::new(1, 0),
        verdict: "forged".into(),
        effect: ScanEffect::Refused,
    };
    let push = PushRequest {
        device_id: device,
        mutations: vec![Mutation {
            id: Uuid::now_v7(),
            number,
            op: MutationOp::Scan { scan },
        }],
    };
    let (status, body) = server
        .call(
            Method::POST,
            "/api/v1/sync/push",
            Some(token),
            Some(serde_json::to_value(push).unwrap()),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body["results"][0]["outcome"]["status"]
        .as_str()
        .or_else(|| body["results"][0]["outcome"].as_str())
        .unwrap_or_else(|| panic!("an outcome: {body}"))
        .to_owned()
}

#[tokio::test]
async fn a_door_device_that_pushed_after_the_backup_goes_on_numbering_after_a_restore() {
    let server = ServerProcess::start(&[], &keys());
    let token = owner_token(&server).await;
    let device = Uuid::now_v7();
    for number in 1..=2 {
        assert_eq!(
            push_number(&server, &token, device, number).await,
            "rejected"
        );
    }
    let backup = server.data_dir.path().join("before.db");
    let output = hafla_server(&[
        "backup",
        "--to",
        text(&backup),
        "--data-dir",
        text(server.data_dir.path()),
    ]);
    assert!(output.status.success(), "{output:?}");
    // Pushed after the backup: the device drops them from its outbox once answered.
    for number in 3..=4 {
        assert_eq!(
            push_number(&server, &token, device, number).await,
            "rejected"
        );
    }

    let fresh = tempfile::tempdir().unwrap();
    let output = hafla_server(&[
        "restore",
        "--from",
        text(&backup),
        "--data-dir",
        text(fresh.path()),
    ]);
    assert!(output.status.success(), "{output:?}");
    let url = format!("sqlite://{}", text(&fresh.path().join("hafla.db")));
    let restored = ServerProcess::start(&["--database-url", &url], &keys());
    assert_eq!(
        push_number(&restored, &token, device, 5).await,
        "rejected",
        "the device's next number is taken, not deferred for numbers it will never send"
    );
    assert_eq!(push_number(&restored, &token, device, 5).await, "duplicate");
    assert_eq!(push_number(&restored, &token, device, 7).await, "deferred");
}
