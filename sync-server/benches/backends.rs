//! The two store backends side by side under load: the real server on a real socket, once on
//! SQLite and once on PostgreSQL, driven over HTTP by concurrent keep-alive clients with the
//! same requests (sign-in, token check, a catalog read, an organization write).
//!
//! Run: cargo bench -p hafla-server --bench backends
//!
//! Environment: HAFLA_BENCH_CONCURRENCY (clients, default 16), HAFLA_BENCH_SECONDS (measured
//! time per scenario, default 5), HAFLA_BENCH_WARMUP_SECONDS (unmeasured time before it,
//! default 1), HAFLA_BENCH_USERS (accounts, default 500), HAFLA_TEST_DATABASE_URL (a
//! PostgreSQL URL whose role may CREATE DATABASE; without it the PostgreSQL column is skipped).
//! Without `--bench` (as `cargo test --benches` runs it) every scenario runs for a moment only.

mod common;

use common::{Backend, FreshDatabase, env_or};
use hafla_server::auth::password;
use hafla_server::store::{self, PgOptions, SignupMethod, Store, User};
use reqwest::{Client, RequestBuilder, StatusCode};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;
use uuid::Uuid;

const PASSWORD: &str = "a long enough password";
/// Sign-ins each account may make per hour (`ratelimit::quotas`): logins go round-robin over
/// the accounts, so the scenario can make at most this many per account.
const LOGINS_PER_ACCOUNT: usize = 10;

struct Settings {
    clients: usize,
    measure: Duration,
    warm_up: Duration,
    users: usize,
    /// With `HAFLA_BENCH_EVENTS`: that many generated events, and the search workload
    /// instead of the request mix.
    search_events: Option<usize>,
}

impl Settings {
    fn from_env(bench: bool) -> Settings {
        let seconds = |name, default| Duration::from_secs_f64(env_or(name, default));
        if !bench {
            // A smoke run: proves the bench works without taking minutes.
            return Settings {
                clients: 2,
                measure: Duration::from_millis(200),
                warm_up: Duration::ZERO,
                users: 20,
                search_events: None,
            };
        }
        let settings = Settings {
            clients: env_or("HAFLA_BENCH_CONCURRENCY", 16),
            measure: seconds("HAFLA_BENCH_SECONDS", 5.0),
            warm_up: seconds("HAFLA_BENCH_WARMUP_SECONDS", 1.0),
            users: env_or("HAFLA_BENCH_USERS", 500),
            search_events: std::env::var("HAFLA_BENCH_EVENTS")
                .ok()
                .map(|_| env_or("HAFLA_BENCH_EVENTS", 100_000)),
        };
        assert!(
            settings.clients >= 1,
            "HAFLA_BENCH_CONCURRENCY must be at least 1"
        );
        assert!(
            settings.users >= settings.clients,
            "HAFLA_BENCH_USERS must be at least HAFLA_BENCH_CONCURRENCY (one signed-in account per client)"
        );
        settings
    }
}

/// The real application on 127.0.0.1:<free port>, with the demo catalog and `users` accounts,
/// and one signed-in client per concurrent client.
struct Server {
    base: String,
    emails: Vec<String>,
    clients: Vec<(Client, String)>,
}

async fn start_server(
    database_url: Option<&str>,
    data_dir: &std::path::Path,
    settings: &Settings,
) -> Server {
    // The same opening as `hafla-server serve --database-url …`.
    let (store, _) = store::open(database_url, data_dir, PgOptions::default())
        .await
        .unwrap();
    let generated = settings
        .search_events
        .unwrap_or(hafla_server::demo::DEMO_GENERATED);
    let seeding = Instant::now();
    hafla_server::demo::seed_with(
        &*store,
        hafla_server::demo::today_in_amman().unwrap(),
        generated,
    )
    .await
    .unwrap();
    eprintln!(
        "seeded {generated} generated events in {:.1} s",
        seeding.elapsed().as_secs_f64()
    );
    let emails = seed_users(&store, settings.users).await;
    let base = common::serve(store).await;

    let mut clients = Vec::new();
    for email in &emails[..settings.clients] {
        // Loopback only: never through a proxy from the environment.
        let client = Client::builder()
            .no_proxy()
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap();
        let response = login(&client, &base, email).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "signing in {email}");
        let body: serde_json::Value = response.json().await.unwrap();
        let token = body["access_token"].as_str().unwrap().to_owned();
        clients.push((client, token));
    }
    Server {
        base,
        emails,
        clients,
    }
}

/// Creates `count` verified accounts with the same password (hashed once: each stored hash
/// costs a sign-in the same to check) straight in the store; returns their emails. One at a
/// time: SQLite runs each write on a blocking thread, and hundreds at once would leave
/// hundreds of idle threads behind to skew what follows.
async fn seed_users(store: &Arc<dyn Store>, count: usize) -> Vec<String> {
    let hash = password::hash(PASSWORD).unwrap();
    let emails: Vec<String> = (0..count).map(|n| format!("bench{n}@example.jo")).collect();
    for email in &emails {
        let user = User {
            id: Uuid::now_v7(),
            email: Some(email.clone()),
            email_verified: true,
            phone: None,
            phone_verified: false,
            password_hash: Some(hash.clone()),
            display_name: "Bench".into(),
            lang: hafla_core::Lang::Ar,
            is_admin: false,
            signup_method: SignupMethod::Email,
            created_at: jiff::Timestamp::now(),
        };
        store.create_user(user).await.unwrap();
    }
    emails
}

/// A sign-in from the address the proxy names for this account.
fn login(client: &Client, base: &str, email: &str) -> RequestBuilder {
    let n = email
        .bytes()
        .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    let address = std::net::Ipv4Addr::from(0x0a00_0000 | (n & 0x00ff_ffff));
    client
        .post(format!("{base}/api/v1/auth/login"))
        .header("x-forwarded-for", address.to_string())
        .json(&json!({ "email": email, "password": PASSWORD }))
}

/// One kind of request: how to build the `n`-th (counted across all clients) for a client
/// and its token, and the status that means success.
struct Scenario {
    name: &'static str,
    expect: StatusCode,
    request: fn(&Server, &Client, &str, usize) -> RequestBuilder,
}

/// Words people search for, in both scripts, with and without the article.
const SEARCH_WORDS: &[&str] = &[
    "jazz",
    "مهرجان",
    "الخط العربي",
    "petra",
    "كنافة",
    "hackathon",
    "عمان",
    "mosaic",
    "طرب",
    "rust",
    "العقبة",
    "festival",
    "الفسيفساء",
    "marathon",
    "قهوة",
    "workshop",
    "جرش",
    "oud",
];

/// `from` a little later for every request, so no two searches are the same and the
/// in-process cache never answers: these figures are the database's.
fn search_url(server: &Server, n: usize, params: &str) -> String {
    let from = jiff::Timestamp::now() + jiff::SignedDuration::from_secs(n as i64 % 3600);
    format!("{}/api/v1/events/search?from={from}&{params}", server.base)
}

fn keyword_params(n: usize) -> String {
    let q = SEARCH_WORDS[n % SEARCH_WORDS.len()];
    url::form_urlencoded::Serializer::new(String::new())
        .append_pair("q", q)
        .finish()
}

fn geo_params(n: usize) -> String {
    let city = hafla_core::places::City::ALL[n % 10].centre();
    format!(
        "lat={}&lng={}&radius_km=10&sort=distance",
        city.lat, city.lng
    )
}

fn filter_params(n: usize) -> String {
    let category = hafla_core::wire::Category::ALL[n % 8].key();
    let city = hafla_core::places::City::ALL[(n / 8) % 10].key();
    format!("category={category}&city={city}&max_price=15000")
}

fn search_scenarios() -> Vec<Scenario> {
    vec![
        Scenario {
            name: "keyword: `q=…` (Arabic and English words)",
            expect: StatusCode::OK,
            request: |server, client, _, n| client.get(search_url(server, n, &keyword_params(n))),
        },
        Scenario {
            name: "geo: 10 km around a city, by distance",
            expect: StatusCode::OK,
            request: |server, client, _, n| client.get(search_url(server, n, &geo_params(n))),
        },
        Scenario {
            name: "filtered: category + city + maximum price",
            expect: StatusCode::OK,
            request: |server, client, _, n| client.get(search_url(server, n, &filter_params(n))),
        },
        Scenario {
            name: "mixed: the three in turn",
            expect: StatusCode::OK,
            request: |server, client, _, n| {
                let params = match n % 3 {
                    0 => keyword_params(n / 3),
                    1 => geo_params(n / 3),
                    _ => filter_params(n / 3),
                };
                client.get(search_url(server, n, &params))
            },
        },
    ]
}

fn scenarios_for(settings: &Settings) -> Vec<Scenario> {
    if settings.search_events.is_some() {
        search_scenarios()
    } else {
        scenarios()
    }
}

fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario {
            name: "login: `POST /api/v1/auth/login`",
            expect: StatusCode::OK,
            // Round-robin over the accounts, so none reaches its per-account limit.
            request: |server, client, _, n| {
                login(
                    client,
                    &server.base,
                    &server.emails[n % server.emails.len()],
                )
            },
        },
        Scenario {
            name: "token check: `GET /api/v1/me`",
            expect: StatusCode::OK,
            request: |server, client, token, _| {
                client
                    .get(format!("{}/api/v1/me", server.base))
                    .bearer_auth(token)
            },
        },
        Scenario {
            name: "read: `GET /api/v1/events` (20 events)",
            expect: StatusCode::OK,
            request: |server, client, _, _| client.get(format!("{}/api/v1/events", server.base)),
        },
        Scenario {
            name: "write: `POST /api/v1/orgs`",
            expect: StatusCode::CREATED,
            request: |server, client, token, n| {
                client
                    .post(format!("{}/api/v1/orgs", server.base))
                    .bearer_auth(token)
                    .json(&json!({ "name": { "ar": format!("فرقة {n}"), "en": format!("Band {n}") } }))
            },
        },
    ]
}

/// What the clients saw in one timed run of a scenario.
struct Measurement {
    /// Latencies of the successful requests, sorted.
    latencies: Vec<Duration>,
    elapsed: Duration,
    errors: Vec<String>,
}

impl Measurement {
    fn per_second(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64()
    }

    fn quantile(&self, q: f64) -> Duration {
        let last = self.latencies.len().saturating_sub(1);
        let at = ((self.latencies.len() as f64 * q) as usize).min(last);
        self.latencies.get(at).copied().unwrap_or_default()
    }
}

/// Every client sends one request after another until `duration` has passed; each latency
/// runs from sending to the last byte of the answer.
async fn drive(
    server: &Arc<Server>,
    scenario: &Arc<Scenario>,
    counter: &Arc<AtomicUsize>,
    duration: Duration,
) -> Measurement {
    let started = Instant::now();
    let deadline = started + duration;
    let tasks: Vec<_> = (0..server.clients.len())
        .map(|i| {
            let (server, scenario, counter) = (server.clone(), scenario.clone(), counter.clone());
            tokio::spawn(async move {
                let (client, token) = &server.clients[i];
                let (mut latencies, mut errors) = (Vec::with_capacity(16_384), Vec::new());
                while Instant::now() < deadline {
                    let n = counter.fetch_add(1, Ordering::Relaxed);
                    let request = (scenario.request)(&server, client, token, n);
                    let sent = Instant::now();
                    match answer(request, scenario.expect).await {
                        Ok(()) => latencies.push(sent.elapsed()),
                        Err(e) => errors.push(e),
                    }
                }
                (latencies, errors)
            })
        })
        .collect();
    let (mut latencies, mut errors) = (Vec::new(), Vec::new());
    for task in tasks {
        let (l, e) = task.await.unwrap();
        latencies.extend(l);
        errors.extend(e);
    }
    let elapsed = started.elapsed();
    latencies.sort();
    Measurement {
        latencies,
        elapsed,
        errors,
    }
}

/// Sends the request and reads its body to the end; an error unless the status is `expect`.
async fn answer(request: RequestBuilder, expect: StatusCode) -> Result<(), String> {
    let response = request.send().await.map_err(|e| e.to_string())?;
    let status = response.status();
    let body = response.bytes().await.map_err(|e| e.to_string())?;
    if status == expect {
        Ok(())
    } else {
        Err(format!("{status}: {}", String::from_utf8_lossy(&body)))
    }
}

/// Starts the server on `backend` and measures every scenario against it.
fn measure_backend(backend: Backend, settings: &Settings) -> Vec<Measurement> {
    // Declared first so it is dropped last, after the runtime has stopped the server.
    let database = match backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some(FreshDatabase::create_from_env()),
    };
    let data_dir = tempfile::tempdir().unwrap();
    let runtime = Runtime::new().unwrap();
    let url = database.as_ref().map(FreshDatabase::url);
    let server =
        Arc::new(runtime.block_on(start_server(url.as_deref(), data_dir.path(), settings)));
    let mut results = Vec::new();
    for scenario in scenarios_for(settings) {
        let scenario = Arc::new(scenario);
        let counter = Arc::new(AtomicUsize::new(0));
        let measured = runtime.block_on(async {
            let warm_up = drive(&server, &scenario, &counter, settings.warm_up).await;
            let mut measured = drive(&server, &scenario, &counter, settings.measure).await;
            // Not timed, but a failure during warm-up is a failure all the same.
            measured.errors.extend(warm_up.errors);
            measured
        });
        eprintln!(
            "{} · {}: {} requests, {:.0}/s, {} errors",
            backend.name(),
            scenario.name,
            measured.latencies.len(),
            measured.per_second(),
            measured.errors.len()
        );
        results.push(measured);
    }
    drop(runtime);
    results
}

/// Milliseconds with about three significant digits.
fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1e3;
    match ms {
        ms if ms < 10.0 => format!("{ms:.2}"),
        ms if ms < 100.0 => format!("{ms:.1}"),
        ms => format!("{ms:.0}"),
    }
}

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let settings = Settings::from_env(bench);
    let backends = Backend::available();
    let results: Vec<_> = backends
        .iter()
        .map(|&backend| (backend, measure_backend(backend, &settings)))
        .collect();

    println!(
        "\n{} concurrent clients, {} s per scenario after {} s of warm-up; latencies in ms\n",
        settings.clients,
        settings.measure.as_secs_f64(),
        settings.warm_up.as_secs_f64()
    );
    let mut header = String::from("| scenario |");
    let mut rule = String::from("|---|");
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let name = backend.name();
        header += &format!(" {name} req/s | {name} p50 | p99 | max | errors |");
        rule += "---:|---:|---:|---:|---:|";
    }
    println!("{header}\n{rule}");
    for (i, scenario) in scenarios_for(&settings).iter().enumerate() {
        let mut row = format!("| {} |", scenario.name);
        for backend in [Backend::Sqlite, Backend::Postgres] {
            match results.iter().find(|(b, _)| *b == backend) {
                Some((_, measured)) => {
                    let m = &measured[i];
                    row += &format!(
                        " {:.0} | {} | {} | {} | {} |",
                        m.per_second(),
                        ms(m.quantile(0.50)),
                        ms(m.quantile(0.99)),
                        ms(m.quantile(1.0)),
                        m.errors.len()
                    );
                }
                None => row += " skipped | | | | |",
            }
        }
        println!("{row}");
    }

    let mut failed = false;
    for (backend, measured) in &results {
        for (scenario, m) in scenarios_for(&settings).iter().zip(measured) {
            if let Some(first) = m.errors.first() {
                failed = true;
                eprintln!(
                    "{} · {}: {} failed requests; the first: {first}",
                    backend.name(),
                    scenario.name,
                    m.errors.len()
                );
            }
        }
    }
    assert!(
        !failed,
        "requests failed (see above); a 429 on login means more sign-ins than \
         {LOGINS_PER_ACCOUNT} per account: raise HAFLA_BENCH_USERS"
    );
}
