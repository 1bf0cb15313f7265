//! Sign-in cost and per-request token checks: argon2id hash and verify, access-token issue
//! and check, and what a token check adds to a real HTTP request on loopback.
//! Run: cargo bench -p hafla-server --bench auth

use criterion::Criterion;
use hafla_server::api::{AppState, Services, app};
use hafla_server::auth::otp::OtpHasher;
use hafla_server::auth::password;
use hafla_server::auth::tokens::TokenKeys;
use hafla_server::mail::MemoryMailer;
use hafla_server::sms::MemorySms;
use hafla_server::store::SqliteStore;
use std::collections::HashMap;
use std::hint::black_box;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;
use uuid::Uuid;

const EMAIL: &str = "bench@example.jo";
const PASSWORD: &str = "a long enough password";
const SEED: [u8; 32] = [7; 32];

/// Concurrent clients and how long they run in the throughput figure.
const CLIENTS: usize = 8;
const LOAD_TIME: Duration = Duration::from_secs(3);
/// Upper bound on requests per client, whatever the speed of the machine.
const MAX_REQUESTS_PER_CLIENT: usize = 500_000;
/// Pairs of `/events` requests (one with a token, one without) timed side by side.
const PAIRS: usize = 5_000;

fn password_benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("auth");
    // argon2id m=19 MiB, t=2: about 10 ms each, slow by design.
    group.sample_size(10);
    group.bench_function("password_hash", |b| {
        b.iter(|| password::hash(black_box(PASSWORD)).unwrap())
    });
    let phc = password::hash(PASSWORD).unwrap();
    group.bench_function("password_verify", |b| {
        b.iter(|| assert!(password::verify(black_box(PASSWORD), black_box(&phc))))
    });
    group.finish();
}

fn token_benches(c: &mut Criterion) {
    let keys = TokenKeys::from_seed(&SEED).unwrap();
    let (user, family) = (Uuid::now_v7(), Uuid::now_v7());
    let now = jiff::Timestamp::now();
    let mut group = c.benchmark_group("auth");
    group.bench_function("access_token_issue", |b| {
        b.iter(|| keys.issue(black_box(user), family, false, now).unwrap())
    });
    let token = keys.issue(user, family, false, now).unwrap();
    group.bench_function("access_token_check", |b| {
        b.iter(|| keys.check(black_box(&token)).unwrap())
    });
    group.finish();
}

/// The real application on 127.0.0.1:<any port>, with one registered account.
struct Server {
    base: String,
    client: reqwest::Client,
    access_token: String,
}

fn start_server(runtime: &Runtime, data_dir: &std::path::Path) -> Server {
    runtime.block_on(async {
        let store = SqliteStore::open(data_dir).unwrap();
        // The demo catalog, so `/events?limit=1` reads and returns a real event.
        hafla_server::demo::seed(&store, hafla_server::demo::today_in_amman().unwrap())
            .await
            .unwrap();
        let state = AppState::new(
            Arc::new(store),
            Services {
                tokens: Arc::new(TokenKeys::from_seed(&SEED).unwrap()),
                mailer: Arc::new(MemoryMailer::new()),
                public_url: "http://127.0.0.1".into(),
                sms: Arc::new(MemorySms::new()),
                otp: Arc::new(OtpHasher::new([5; 32])),
                oidc: HashMap::new(),
                trusted_proxies: Default::default(),
                checkout: Default::default(),
                master_key: hafla_server::issuance::MasterKey::generate().unwrap(),
            },
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        // As `hafla-server serve` does: with the peer address, which the rate limits key on.
        let service = app(state).into_make_service_with_connect_info::<SocketAddr>();
        tokio::spawn(async move { axum::serve(listener, service).await.unwrap() });

        // Loopback only: never through a proxy from the environment.
        let client = reqwest::Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap();
        let response = client
            .post(format!("{base}/api/v1/auth/register"))
            .json(&serde_json::json!({ "email": EMAIL, "password": PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), reqwest::StatusCode::CREATED);
        let body: serde_json::Value = response.json().await.unwrap();
        let access_token = body["access_token"].as_str().unwrap().to_owned();
        Server {
            base,
            client,
            access_token,
        }
    })
}

/// One request on a kept-alive connection, its body read to the end; panics unless 200.
async fn get(client: &reqwest::Client, url: &str, token: Option<&str>) -> usize {
    let mut request = client.get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), reqwest::StatusCode::OK, "{url}");
    response.bytes().await.unwrap().len()
}

fn http_benches(c: &mut Criterion, runtime: &Runtime, server: &Server) {
    let healthz = format!("{}/healthz", server.base);
    let me = format!("{}/api/v1/me", server.base);
    let events = format!("{}/api/v1/events?limit=1", server.base);
    let token = Some(server.access_token.as_str());
    let client = &server.client;

    let mut group = c.benchmark_group("http");
    group.bench_function("healthz", |b| {
        b.iter(|| runtime.block_on(get(client, &healthz, None)))
    });
    group.bench_function("me_with_token", |b| {
        b.iter(|| runtime.block_on(get(client, &me, token)))
    });
    group.bench_function("events_without_token", |b| {
        b.iter(|| runtime.block_on(get(client, &events, None)))
    });
    group.bench_function("events_with_token", |b| {
        b.iter(|| runtime.block_on(get(client, &events, token)))
    });
    group.finish();
}

/// The token check's share of a public request, measured in pairs: the same request with and
/// without a token, alternating which goes first, each timed on its own. Medians of pairs
/// taken side by side resist the drift that moves separate criterion runs by more than the
/// ~30 µs being measured.
fn token_check_delta(runtime: &Runtime, server: &Server) {
    let url = format!("{}/api/v1/events?limit=1", server.base);
    let (mut without, mut with) = (Vec::with_capacity(PAIRS), Vec::with_capacity(PAIRS));
    runtime.block_on(async {
        for i in 0..PAIRS {
            // Odd pairs send the tokenless request first, even pairs the other.
            for with_token in [i % 2 == 0, i % 2 == 1] {
                let token = with_token.then_some(server.access_token.as_str());
                let t = Instant::now();
                black_box(get(&server.client, &url, token).await);
                let micros = t.elapsed().as_secs_f64() * 1e6;
                if with_token { &mut with } else { &mut without }.push(micros);
            }
        }
    });
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (without, with) = (median(&mut without), median(&mut with));
    println!(
        "http/events token check, {PAIRS} interleaved pairs: median without {without:.0} µs, with {with:.0} µs, difference {:.0} µs",
        with - without
    );
}

/// `GET /api/v1/me` from `CLIENTS` concurrent tasks for `LOAD_TIME`: requests per second and
/// latency percentiles, which criterion's one-at-a-time means do not show.
fn me_throughput(runtime: &Runtime, server: &Server) {
    let url = Arc::new(format!("{}/api/v1/me", server.base));
    let token = Arc::new(server.access_token.clone());
    let (latencies, elapsed) = runtime.block_on(async {
        let started = Instant::now();
        let deadline = started + LOAD_TIME;
        let tasks: Vec<_> = (0..CLIENTS)
            .map(|_| {
                let (client, url, token) = (server.client.clone(), url.clone(), token.clone());
                tokio::spawn(async move {
                    let mut micros = Vec::with_capacity(16_384);
                    while Instant::now() < deadline && micros.len() < MAX_REQUESTS_PER_CLIENT {
                        let t = Instant::now();
                        black_box(get(&client, &url, Some(&token)).await);
                        micros.push(t.elapsed().as_secs_f64() * 1e6);
                    }
                    micros
                })
            })
            .collect();
        let mut all = Vec::new();
        for task in tasks {
            // Each request has a 10 s client timeout, so this cannot hang for long.
            all.extend(task.await.unwrap());
        }
        (all, started.elapsed())
    });
    let mut micros = latencies;
    micros.sort_by(f64::total_cmp);
    let at = |q: f64| micros[((micros.len() as f64 * q) as usize).min(micros.len() - 1)];
    println!(
        "http/me_with_token, {CLIENTS} concurrent clients for {:.1} s: {} requests, {:.0} req/s, p50 {:.0} µs, p99 {:.0} µs, max {:.0} µs",
        elapsed.as_secs_f64(),
        micros.len(),
        micros.len() as f64 / elapsed.as_secs_f64(),
        at(0.50),
        at(0.99),
        at(1.0),
    );
}

fn main() {
    let mut criterion = Criterion::default().configure_from_args();
    password_benches(&mut criterion);
    token_benches(&mut criterion);

    let data_dir = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let server = start_server(&runtime, data_dir.path());
    http_benches(&mut criterion, &runtime, &server);
    criterion.final_summary();
    // Only under `cargo bench` (criterion's own test: `--bench` given), not `cargo test`.
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--list") {
        token_check_delta(&runtime, &server);
        me_throughput(&runtime, &server);
    }
    drop(server);
    // Stops the server before its database directory goes away.
    drop(runtime);
    drop(data_dir);
}
