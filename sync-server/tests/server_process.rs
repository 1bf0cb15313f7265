//! The real `hafla-server` process: structured logs without secrets, metrics, and a graceful
//! stop on SIGTERM that lets an in-flight request finish.

mod common;

use common::ServerProcess;
use serde_json::{Value, json};
use std::process::Command;

fn start() -> ServerProcess {
    ServerProcess::start(&[], &[("HAFLA_LOG_FORMAT", "json"), ("RUST_LOG", "debug")])
}

async fn post(http: &reqwest::Client, url: String, body: Value) -> (u16, Value) {
    let response = http.post(url).json(&body).send().await.unwrap();
    (
        response.status().as_u16(),
        response.json().await.unwrap_or(Value::Null),
    )
}

#[tokio::test]
async fn logs_are_json_lines_with_request_ids_and_never_carry_secrets() {
    let mut server = start();
    let http = reqwest::Client::new();
    let password = "sesame-street-42-long";
    let (status, session) = post(
        &http,
        format!("{}/api/v1/auth/register", server.url),
        json!({ "email": "log@example.jo", "password": password }),
    )
    .await;
    assert_eq!(status, 201);
    let refresh = session["refresh_token"].as_str().unwrap().to_owned();
    let access = session["access_token"].as_str().unwrap().to_owned();
    post(
        &http,
        format!("{}/api/v1/auth/phone/send", server.url),
        json!({ "phone": "0791112233" }),
    )
    .await;
    let outbox = std::fs::read_to_string(server.data_dir.path().join("sms-outbox.jsonl")).unwrap();
    let sms: Value = serde_json::from_str(outbox.lines().last().unwrap()).unwrap();
    let otp: String = sms["body"]
        .as_str()
        .unwrap()
        .chars()
        .filter(|c| c.is_ascii_digit())
        .take(6)
        .collect();
    let (status, _) = post(
        &http,
        format!("{}/api/v1/auth/phone/verify", server.url),
        json!({ "phone": "0791112233", "code": otp }),
    )
    .await;
    assert_eq!(status, 200);
    let metrics = http
        .get(format!("{}/metrics", server.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("http_requests_total"), "{metrics}");
    assert!(
        metrics.contains("route=\"/api/v1/auth/register\""),
        "{metrics}"
    );
    assert!(metrics.contains("http_request_duration_seconds_bucket"));
    assert!(metrics.contains("db_query_seconds"));
    let log = server.stop_and_read_log();
    assert!(!log.trim().is_empty());
    for line in log.lines() {
        let parsed: Result<Value, _> = serde_json::from_str(line);
        assert!(parsed.is_ok(), "not a JSON line: {line}");
    }
    assert!(log.contains("\"id\":"), "request ids in the logs");
    for secret in [password, refresh.as_str(), access.as_str(), otp.as_str()] {
        assert!(!log.contains(secret), "a secret reached the logs");
    }
}

#[tokio::test]
async fn sigterm_lets_the_request_in_flight_finish_then_stops_cleanly() {
    let mut server = start();
    let http = reqwest::Client::new();
    post(
        &http,
        format!("{}/api/v1/auth/register", server.url),
        json!({ "email": "slow@example.jo", "password": "a long enough password" }),
    )
    .await;
    // Signing in hashes a password (tens of milliseconds). Time one, then signal a third of
    // the way through the next, so the request is being handled when SIGTERM lands.
    let url = format!("{}/api/v1/auth/login", server.url);
    let started = std::time::Instant::now();
    let body = json!({ "email": "slow@example.jo", "password": "a long enough password" });
    assert_eq!(post(&http, url.clone(), body).await.0, 200);
    let one_login = started.elapsed();
    // A client built and connected beforehand: building one reads the system's TLS roots,
    // which can take longer than the sign-in itself.
    let second = reqwest::Client::new();
    second
        .get(format!("{}/healthz", server.url))
        .send()
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let login = tokio::spawn(async move {
        let body = json!({ "email": "slow@example.jo", "password": "a long enough password" });
        post(&second, url, body).await
    });
    tokio::time::sleep(one_login / 3).await;
    let pid = server.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let (status, _) = login.await.unwrap();
    assert_eq!(status, 200, "the in-flight sign-in completed");
    assert!(
        started.elapsed() > one_login / 3,
        "the signal landed while the sign-in was in flight"
    );
    let exit = server.child.wait().unwrap();
    assert!(exit.success(), "{exit:?}");
}
