//! Two real `hafla-server` processes on one PostgreSQL database act as one server: the
//! same data and sign-ins, rate limits that hold across them, caches that hear each
//! other's changes, and background jobs that run once per period between them.

mod common;

use common::{FreshDatabase, ServerProcess};
use reqwest::Method;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const TOKEN_KEY: &str = "1111111111111111111111111111111111111111111111111111111111111111";
const OTP_KEY: &str = "2222222222222222222222222222222222222222222222222222222222222222";

/// Two instances sharing `database` and the server keys, as behind a load balancer.
fn two_instances(database: &FreshDatabase) -> (ServerProcess, ServerProcess) {
    let url = database.url();
    let start = || {
        ServerProcess::start(
            &[
                "--database-url",
                &url,
                "--purge-interval-secs",
                "1",
                // As behind a reverse proxy on this machine.
                "--trusted-proxies",
                "127.0.0.1",
            ],
            &[("HAFLA_TOKEN_KEY", TOKEN_KEY), ("HAFLA_OTP_KEY", OTP_KEY)],
        )
    };
    (start(), start())
}

fn code(body: &Value) -> &str {
    body["code"].as_str().unwrap_or_default()
}

async fn register(on: &ServerProcess, email: &str) -> String {
    let (status, body) = on
        .call(
            Method::POST,
            "/api/v1/auth/register",
            None,
            Some(json!({ "email": email, "password": "a long enough password" })),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn an_account_made_on_one_instance_signs_in_and_works_on_the_other() {
    let database = FreshDatabase::create();
    let (a, b) = two_instances(&database);
    register(&a, "rania@example.jo").await;
    let (status, session) = b
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({ "email": "rania@example.jo", "password": "a long enough password" })),
        )
        .await;
    assert_eq!(status, 200, "{session}");
    let token = session["access_token"].as_str().unwrap();
    let (status, me) = a.call(Method::GET, "/api/v1/me", Some(token), None).await;
    assert_eq!(
        (status, me["email"].as_str()),
        (200, Some("rania@example.jo"))
    );
    // The refresh token is single-use across both: B rotates it, A then sees a copy.
    let refresh = json!({ "refresh_token": session["refresh_token"] });
    let (rotated, _) = b
        .call(
            Method::POST,
            "/api/v1/auth/refresh",
            None,
            Some(refresh.clone()),
        )
        .await;
    let (replayed, body) = a
        .call(Method::POST, "/api/v1/auth/refresh", None, Some(refresh))
        .await;
    assert_eq!((rotated, replayed), (200, 401), "{body}");
}

#[tokio::test]
async fn a_login_rate_limit_holds_across_instances() {
    let database = FreshDatabase::create();
    let (a, b) = two_instances(&database);
    register(&a, "target@example.jo").await;
    let wrong = json!({ "email": "target@example.jo", "password": "not the password at all" });
    for attempt in 0..10 {
        let on = if attempt % 2 == 0 { &a } else { &b };
        let (status, body) = on
            .call(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(wrong.clone()),
            )
            .await;
        assert_eq!(status, 401, "attempt {attempt}: {body}");
    }
    // Ten per account per hour in all: each instance alone has seen only five.
    for on in [&a, &b] {
        let (status, body) = on
            .call(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(wrong.clone()),
            )
            .await;
        assert_eq!((status, code(&body)), (429, "rate_limited"), "{body}");
    }
}

#[tokio::test]
async fn a_member_removed_through_one_instance_loses_access_on_the_other_at_once() {
    let database = FreshDatabase::create();
    let (a, b) = two_instances(&database);
    let owner = register(&a, "owner@balad.jo").await;
    let (status, org) = a
        .call(
            Method::POST,
            "/api/v1/orgs",
            Some(&owner),
            Some(json!({ "name": { "ar": "مسرح البلد", "en": "Al Balad Theatre" } })),
        )
        .await;
    assert_eq!(status, 201, "{org}");
    let members = format!("/api/v1/orgs/{}/members", org["id"].as_str().unwrap());
    let invites = format!("/api/v1/orgs/{}/invites", org["id"].as_str().unwrap());
    let invite = json!({ "email": "analyst@balad.jo", "role": "analyst" });
    let (status, _) = a
        .call(Method::POST, &invites, Some(&owner), Some(invite))
        .await;
    assert_eq!(status, 201);
    let analyst = register(&b, "analyst@balad.jo").await;
    // B authorizes the analyst and caches the role.
    let (status, list) = b.call(Method::GET, &members, Some(&analyst), None).await;
    assert_eq!(status, 200, "{list}");
    let (status, _) = b.call(Method::GET, &members, Some(&analyst), None).await;
    assert_eq!(status, 200);
    let analyst_id = list
        .as_array()
        .and_then(|m| m.iter().find(|m| m["role"] == "analyst"))
        .and_then(|m| m["user_id"].as_str())
        .unwrap_or_else(|| panic!("no analyst in {list}"))
        .to_owned();

    let (status, _) = a
        .call(
            Method::DELETE,
            &format!("{members}/{analyst_id}"),
            Some(&owner),
            None,
        )
        .await;
    assert_eq!(status, 204);
    // B's cache keeps a role up to a minute without an announcement; the announcement
    // from A must end access far sooner.
    let removed = Instant::now();
    loop {
        let (status, body) = b.call(Method::GET, &members, Some(&analyst), None).await;
        if status == 403 {
            break;
        }
        assert_eq!(status, 200, "{body}");
        assert!(
            removed.elapsed() < Duration::from_secs(3),
            "B still lets the removed analyst in"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn the_purge_job_runs_once_per_period_between_instances() {
    let database = FreshDatabase::create();
    let (a, b) = two_instances(&database);
    tokio::time::sleep(Duration::from_millis(3500)).await;
    let runs = database.query(
        "SELECT period || ' ' || holder || ' ' || coalesce(outcome, '-') FROM job_runs \
         WHERE name = 'purge' ORDER BY period",
    );
    drop((a, b));
    assert!(runs.len() >= 3, "a run a second for 3.5 s: {runs:?}");
    let periods: Vec<i64> = runs
        .iter()
        .map(|r| r.split(' ').next().unwrap().parse().unwrap())
        .collect();
    assert!(
        periods.windows(2).all(|w| w[1] > w[0]),
        "one run per period: {runs:?}"
    );
    assert!(
        runs.iter()
            .all(|r| r.contains("deleted ") || r.ends_with(" -")),
        "every finished run purged: {runs:?}"
    );
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_budget_across_instances() {
    let database = FreshDatabase::create();
    let (a, b) = two_instances(&database);
    let http = reqwest::Client::new();
    let sign_up = |on: &ServerProcess, client: &str, n: u32| {
        http.post(format!("{}/api/v1/auth/register", on.url))
            .header("x-forwarded-for", client)
            .json(&json!({ "email": format!("fan{n}@example.jo"), "password": "a long enough password" }))
            .send()
    };
    for n in 0..20 {
        let on = if n % 2 == 0 { &a } else { &b };
        let response = sign_up(on, "203.0.113.9", n).await.unwrap();
        assert_eq!(response.status(), 201, "sign-up {n}");
    }
    // Twenty sign-ups per address per hour, counted over both instances.
    let refused = sign_up(&b, "203.0.113.9", 20).await.unwrap();
    assert_eq!(refused.status(), 429);
    let neighbour = sign_up(&a, "198.51.100.4", 21).await.unwrap();
    assert_eq!(
        neighbour.status(),
        201,
        "another client behind the same proxy"
    );
}
