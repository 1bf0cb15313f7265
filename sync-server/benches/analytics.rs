//! An organizer's dashboards on each backend: the real server on a real socket (loopback),
//! one event that has ended with 100,000 paid tickets (50,000 orders of two, over 30 days,
//! three payment methods) and 100,000 door scans (90,000 first admissions and 10,000 exits
//! at four gates, from eight devices), then the event dashboard (by day and by hour) and the
//! organization dashboard asked for one after another; p50 and p99 of each.
//!
//! Seeding is plain SQL (one statement per table on SQLite, a few thousand rows a transaction
//! on PostgreSQL, where a row updated many times in one transaction gets slow), but every row
//! goes through the same triggers as in production: the hourly aggregates the dashboards
//! read are built by the write path, not by the bench.
//!
//! Run: cargo bench -p hafla-server --bench analytics
//!
//! Environment: HAFLA_BENCH_TICKETS (default 100000), HAFLA_BENCH_SCANS (default 100000),
//! HAFLA_BENCH_REQUESTS (per dashboard, default 300), HAFLA_TEST_DATABASE_URL (a PostgreSQL
//! URL whose role may CREATE DATABASE; without it PostgreSQL is skipped). Without `--bench`
//! (as `cargo test --benches` runs it) everything runs small and briefly.

mod common;

use common::{Backend, FreshDatabase, env_or, register};
use hafla_core::Bilingual;
use hafla_core::money::Money;
use hafla_server::store::{self, NewEvent, NewOrganization, NewTicketType, PgOptions, Store};
use reqwest::{Client, StatusCode};
use sqlx::{Connection, PgConnection};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;
use uuid::Uuid;

/// The budget of the issue: an event dashboard at this size answers p99 < 50 ms.
const P99_BUDGET: Duration = Duration::from_millis(50);
const DEVICES: usize = 8;

struct Settings {
    tickets: u32,
    scans: u32,
    requests: usize,
}

impl Settings {
    fn from_env(bench: bool) -> Settings {
        if !bench {
            return Settings {
                tickets: 2_000,
                scans: 2_000,
                requests: 10,
            };
        }
        Settings {
            tickets: env_or("HAFLA_BENCH_TICKETS", 100_000),
            scans: env_or("HAFLA_BENCH_SCANS", 100_000),
            requests: env_or("HAFLA_BENCH_REQUESTS", 300),
        }
    }
}

struct World {
    base: String,
    org_id: Uuid,
    event_id: Uuid,
    owner: String,
}

fn client() -> Client {
    Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

/// What the seeding statements need: the event, its ticket type, the buyer, the devices
/// and where the sales and the evening start.
struct Seed {
    event_id: Uuid,
    ticket_type: Uuid,
    buyer: Uuid,
    devices: Vec<Uuid>,
    /// Sales run over the 30 days before the event.
    sales_start: i64,
    /// Scans run over the event's 4 hours.
    doors_open_ms: i64,
    orders: u32,
    scans: u32,
}

/// The organization, an event that ended yesterday evening, and the owner signed in.
async fn seed(
    store: &Arc<dyn Store>,
    base: String,
    database: (&Path, Option<&str>),
    settings: &Settings,
) -> World {
    let http = client();
    let (owner, owner_id) = register(&http, &base, "owner@sahra.jo").await;
    let (_, buyer) = register(&http, &base, "rania@example.jo").await;
    let org = NewOrganization {
        id: Uuid::now_v7(),
        name: Bilingual::new("سهرة لايف", "Sahra Live").unwrap(),
    };
    store
        .create_organization(org.clone(), owner_id, jiff::Timestamp::now())
        .await
        .unwrap();
    let general = NewTicketType::simple(
        Uuid::now_v7(),
        Bilingual::new("عام", "General").unwrap(),
        Money::jod_fils(12_500),
        settings.tickets,
    );
    let starts = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(28);
    let event = NewEvent {
        id: Uuid::now_v7(),
        organization_id: org.id,
        status: hafla_core::wire::EventStatus::Published,
        title: Bilingual::new("ليلة طرب", "Tarab Night").unwrap(),
        description: Bilingual::new("", "An evening in Amman").unwrap(),
        category: hafla_core::wire::Category::Music,
        venue: hafla_core::wire::Venue {
            name: Bilingual::new("المدرج الروماني", "Roman Theatre").unwrap(),
            address: Bilingual::new("وسط البلد", "Downtown").unwrap(),
            city: hafla_core::places::City::Amman,
            location: hafla_core::places::City::Amman.centre(),
        },
        starts_at: starts,
        ends_at: starts + jiff::SignedDuration::from_hours(4),
        time_zone: "Asia/Amman".into(),
        tags: vec![],
        ticket_types: vec![general.clone()],
    };
    let event_id = event.id;
    store.insert_catalog(vec![], vec![event]).await.unwrap();
    let seed = Seed {
        event_id,
        ticket_type: general.id,
        buyer,
        devices: (0..DEVICES).map(|_| Uuid::now_v7()).collect(),
        sales_start: starts.as_second() - 30 * 86_400,
        doors_open_ms: starts.as_millisecond(),
        orders: settings.tickets / 2,
        scans: settings.scans.min(settings.tickets),
    };
    let started = Instant::now();
    match database {
        (data_dir, None) => sqlite_seed(&data_dir.join("hafla.db"), &seed),
        (_, Some(url)) => postgres_seed(url, &seed).await,
    }
    eprintln!(
        "  seeded {} tickets and {} scans in {:.1} s",
        seed.orders * 2,
        seed.scans,
        started.elapsed().as_secs_f64()
    );
    World {
        base,
        org_id: org.id,
        event_id,
        owner,
    }
}

fn sqlite_seed(path: &Path, s: &Seed) {
    use rusqlite::params;
    let mut c = rusqlite::Connection::open(path).unwrap();
    c.busy_timeout(Duration::from_secs(30)).unwrap();
    let tx = c.transaction().unwrap();
    // Orders reserved over the 30 days, then paid a minute later: the trigger counts them.
    tx.execute(
        "WITH RECURSIVE n (i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?2)
         INSERT INTO orders (id, reference, buyer_id, event_id, status, total_minor, currency,
             payment_method, expires_at, lang, created_at, updated_at)
         SELECT randomblob(16), 'B' || i, ?3, ?1, 'reserved', 25000, 'JOD',
             CASE i % 3 WHEN 0 THEN 'cliq' WHEN 1 THEN 'paytabs' ELSE 'sandbox' END,
             ?4 + i * (30 * 86400 / ?2) + 600, 'ar',
             ?4 + i * (30 * 86400 / ?2), ?4 + i * (30 * 86400 / ?2)
         FROM n",
        params![s.event_id, s.orders, s.buyer, s.sales_start],
    )
    .unwrap();
    tx.execute(
        "INSERT INTO order_lines (order_id, ticket_type_id, quantity, unit_price_minor)
         SELECT id, ?2, 2, 12500 FROM orders WHERE event_id = ?1",
        params![s.event_id, s.ticket_type],
    )
    .unwrap();
    tx.execute(
        "UPDATE orders SET status = 'paid', updated_at = updated_at + 60 WHERE event_id = ?1",
        params![s.event_id],
    )
    .unwrap();
    tx.execute(
        "INSERT INTO tickets (id, order_id, event_id, ticket_type_id, serial, holder_id, status,
             issued_at)
         SELECT randomblob(16), o.id, o.event_id, ?2,
             2 * CAST(substr(o.reference, 2) AS INTEGER) - k.k, o.buyer_id, 'valid', o.updated_at
         FROM orders o, (SELECT 0 AS k UNION ALL SELECT 1) AS k
         WHERE o.event_id = ?1",
        params![s.event_id, s.ticket_type],
    )
    .unwrap();
    tx.execute(
        "UPDATE ticket_types SET held = ?2 WHERE id = ?1",
        params![s.ticket_type, s.orders * 2],
    )
    .unwrap();
    tx.execute(
        "UPDATE events SET held = ?2, next_serial = ?2 + 1 WHERE id = ?1",
        params![s.event_id, s.orders * 2],
    )
    .unwrap();
    tx.execute("CREATE TEMP TABLE devices (k INTEGER, id BLOB)", [])
        .unwrap();
    for (k, id) in s.devices.iter().enumerate() {
        tx.execute("INSERT INTO devices VALUES (?1, ?2)", params![k, id])
            .unwrap();
    }
    // Nine in ten scans are a first admission, the tenth an exit of an admitted ticket.
    tx.execute(
        "WITH RECURSIVE n (i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?2 - 1)
         INSERT INTO door_scans (device_id, seq, id, event_id, ticket_serial, ticket_type, gate,
             direction, device_time_ms, hlc, verdict, effect, received_at)
         SELECT d.id, i / 8 + 1, randomblob(16), ?1,
             CASE WHEN i % 10 = 9 THEN i - 8 ELSE i + 1 END, 0, 'Gate ' || (i % 4 + 1),
             CASE WHEN i % 10 = 9 THEN 'out' ELSE 'in' END,
             ?3 + i * (4 * 3600000 / ?2), (?3 + i * (4 * 3600000 / ?2)) * 65536,
             CASE WHEN i % 10 = 9 THEN 'exited' ELSE 'admitted' END,
             CASE WHEN i % 10 = 9 THEN 'exited' ELSE 'entered' END, ?3 / 1000
         FROM n JOIN devices d ON d.k = i % 8",
        params![s.event_id, s.scans, s.doors_open_ms],
    )
    .unwrap();
    tx.execute("DELETE FROM sync_touched", []).unwrap();
    tx.commit().unwrap();
    c.execute_batch("ANALYZE").unwrap();
}

/// As [`sqlite_seed`], on PostgreSQL, 2,500 orders (5,000 tickets) or 2,500 scans a
/// transaction.
async fn postgres_seed(url: &str, s: &Seed) {
    const CHUNK: i64 = 2_500;
    let mut c = PgConnection::connect(url).await.unwrap();
    let orders = i64::from(s.orders);
    let step = 30 * 86_400 / orders.max(1);
    let mut from = 1;
    while from <= orders {
        let to = (from + CHUNK - 1).min(orders);
        let mut tx = c.begin().await.unwrap();
        sqlx::query(
            "INSERT INTO orders (id, reference, buyer_id, event_id, status, total_minor, currency,
                 payment_method, expires_at, lang, created_at, updated_at)
             SELECT gen_random_uuid(), 'B' || i, $3, $1, 'reserved', 25000, 'JOD',
                 CASE i % 3 WHEN 0 THEN 'cliq' WHEN 1 THEN 'paytabs' ELSE 'sandbox' END,
                 to_timestamp($4 + i * $5 + 600), 'ar',
                 to_timestamp($4 + i * $5), to_timestamp($4 + i * $5)
             FROM generate_series($2::bigint, $6::bigint) i",
        )
        .bind(s.event_id)
        .bind(from)
        .bind(s.buyer)
        .bind(s.sales_start)
        .bind(step)
        .bind(to)
        .execute(&mut *tx)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO order_lines (order_id, ticket_type_id, quantity, unit_price_minor)
             SELECT id, $2, 2, 12500 FROM orders WHERE event_id = $1 AND status = 'reserved'",
        )
        .bind(s.event_id)
        .bind(s.ticket_type)
        .execute(&mut *tx)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO tickets (id, order_id, event_id, ticket_type_id, serial, holder_id,
                 status, issued_at)
             SELECT gen_random_uuid(), o.id, o.event_id, $2,
                 2 * substr(o.reference, 2)::int - k, o.buyer_id, 'valid',
                 o.updated_at + interval '60 seconds'
             FROM orders o, (VALUES (0), (1)) AS k (k)
             WHERE o.event_id = $1 AND o.status = 'reserved'",
        )
        .bind(s.event_id)
        .bind(s.ticket_type)
        .execute(&mut *tx)
        .await
        .unwrap();
        sqlx::query(
            "UPDATE orders SET status = 'paid', updated_at = updated_at + interval '60 seconds'
             WHERE event_id = $1 AND status = 'reserved'",
        )
        .bind(s.event_id)
        .execute(&mut *tx)
        .await
        .unwrap();
        tx.commit().await.unwrap();
        from = to + 1;
    }
    sqlx::query("UPDATE ticket_types SET held = $2 WHERE id = $1")
        .bind(s.ticket_type)
        .bind((orders * 2) as i32)
        .execute(&mut c)
        .await
        .unwrap();
    sqlx::query("UPDATE events SET held = $2, next_serial = $2 + 1 WHERE id = $1")
        .bind(s.event_id)
        .bind((orders * 2) as i32)
        .execute(&mut c)
        .await
        .unwrap();
    let scans = i64::from(s.scans);
    let every = 4 * 3_600_000 / scans.max(1);
    let mut from = 0;
    while from < scans {
        let to = (from + CHUNK - 1).min(scans - 1);
        sqlx::query(
            "INSERT INTO door_scans (device_id, seq, id, event_id, ticket_serial, ticket_type,
                 gate, direction, device_time_ms, hlc, verdict, effect, received_at)
             SELECT ($4::uuid[])[(i % 8 + 1)::int], i / 8 + 1, gen_random_uuid(), $1,
                 CASE WHEN i % 10 = 9 THEN i - 8 ELSE i + 1 END, 0, 'Gate ' || (i % 4 + 1),
                 CASE WHEN i % 10 = 9 THEN 'out' ELSE 'in' END,
                 $5 + i * $6, ($5 + i * $6) * 65536,
                 CASE WHEN i % 10 = 9 THEN 'exited' ELSE 'admitted' END,
                 CASE WHEN i % 10 = 9 THEN 'exited' ELSE 'entered' END,
                 to_timestamp($5 / 1000)
             FROM generate_series($2::bigint, $3::bigint) i",
        )
        .bind(s.event_id)
        .bind(from)
        .bind(to)
        .bind(&s.devices)
        .bind(s.doors_open_ms)
        .bind(every)
        .execute(&mut c)
        .await
        .unwrap();
        from = to + 1;
    }
    sqlx::query("ANALYZE").execute(&mut c).await.unwrap();
    let _ = c.close().await;
}

fn quantile(sorted: &[Duration], q: f64) -> Duration {
    let last = sorted.len().saturating_sub(1);
    sorted
        .get(((sorted.len() as f64 * q) as usize).min(last))
        .copied()
        .unwrap_or_default()
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

/// `requests` GETs of `path`, one after another; sorted latencies and the last body.
async fn latencies(
    http: &Client,
    world: &World,
    path: &str,
    requests: usize,
) -> (Vec<Duration>, serde_json::Value) {
    let mut times = Vec::with_capacity(requests);
    let mut last = serde_json::Value::Null;
    for _ in 0..requests {
        let started = Instant::now();
        let response = http
            .get(format!("{}{path}", world.base))
            .bearer_auth(&world.owner)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        last = response.json().await.unwrap();
        times.push(started.elapsed());
    }
    times.sort();
    (times, last)
}

fn measure_backend(backend: Backend, settings: &Settings) {
    // Declared first so it is dropped last, after the runtime has stopped the server.
    let database = match backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some(FreshDatabase::create_from_env()),
    };
    let url = database.as_ref().map(FreshDatabase::url);
    let data_dir = tempfile::tempdir().unwrap();
    let runtime = Runtime::new().unwrap();
    let mut table: Vec<(String, String, String)> = Vec::new();
    runtime.block_on(async {
        eprintln!("{}:", backend.name());
        let (store, _) = store::open(url.as_deref(), data_dir.path(), PgOptions::default())
            .await
            .unwrap();
        let base = common::serve(store.clone()).await;
        let world = seed(&store, base, (data_dir.path(), url.as_deref()), settings).await;
        let http = client();
        let event = format!(
            "/api/v1/orgs/{}/events/{}/analytics",
            world.org_id, world.event_id
        );
        // Warm up connections and caches, and check the figures are the seeded ones.
        let (_, body) = latencies(&http, &world, &event, 3).await;
        assert_eq!(body["totals"]["sold"], settings.tickets / 2 * 2, "{body}");
        assert_eq!(
            body["totals"]["revenue_fils"],
            i64::from(settings.tickets / 2) * 25_000
        );
        let scans: u64 = body["gates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["scans"].as_u64().unwrap())
            .sum();
        assert_eq!(scans, u64::from(settings.scans.min(settings.tickets)));
        assert!(body["no_show"]["rate_basis_points"].is_u64(), "{body}");
        let month = "?from={from}&to={to}";
        let today = jiff::Timestamp::now()
            .to_zoned(jiff::tz::TimeZone::get("Asia/Amman").unwrap())
            .date();
        let range = month
            .replace("{from}", &(today - jiff::Span::new().days(30)).to_string())
            .replace("{to}", &today.to_string());
        for (name, path, budget) in [
            (
                "event dashboard, by day (31 days)",
                format!("{event}{range}"),
                true,
            ),
            (
                "event dashboard, by hour (2 days)",
                format!("{event}?bucket=hour"),
                true,
            ),
            (
                "organization dashboard, by day (31 days)",
                format!("/api/v1/orgs/{}/analytics{range}", world.org_id),
                false,
            ),
        ] {
            let (times, _) = latencies(&http, &world, &path, settings.requests).await;
            let p50 = quantile(&times, 0.5);
            let p99 = quantile(&times, 0.99);
            let verdict = if !budget {
                "—".to_owned()
            } else if p99 < P99_BUDGET {
                "p99 < 50 ms: met".to_owned()
            } else {
                "p99 < 50 ms: **missed**".to_owned()
            };
            eprintln!("  {name}: p50 {} ms, p99 {} ms", ms(p50), ms(p99));
            table.push((
                name.to_owned(),
                format!("p50 {} ms, p99 {} ms", ms(p50), ms(p99)),
                verdict,
            ));
        }
    });
    drop(runtime);
    println!(
        "\n{} ({} tickets, {} scans, {} requests each)\n\n| dashboard | latency | budget |\n|---|---:|---|",
        backend.name(),
        settings.tickets,
        settings.scans,
        settings.requests
    );
    for (measure, result, budget) in table {
        println!("| {measure} | {result} | {budget} |");
    }
}

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let settings = Settings::from_env(bench);
    for backend in Backend::available() {
        measure_backend(backend, &settings);
    }
}
