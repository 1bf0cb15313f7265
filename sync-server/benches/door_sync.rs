//! The sync engine at an event's doors, on each backend: the real server on a real socket
//! (loopback), an event with many tickets, and door devices made of the client's own
//! `SyncDb` and `SyncEngine`.
//!
//! 1. Initial door-list sync: a fresh device file pulls the `door` scope to its last page
//!    and proves it whole with the digest; time and rows per second, at the default page
//!    size and at the largest. "Fetch only" is the same pages read and thrown away (server
//!    and transfer, no decoding or applying), which says where the time goes.
//! 2. Bytes per ticket on the wire: every page of the door list fetched raw, gzip and
//!    identity (the only encodings the server offers), total body bytes / tickets.
//! 3. Change-to-device latency: a device listens on the hint stream of the door scope; a
//!    push over HTTP makes a double admission (a conflict row in the scope); the time from
//!    sending the push to the device having pulled and applied the change, p50 and p99.
//! 4. Scans accepted per second over HTTP, realistic scan records (real serials; admitted,
//!    already admitted and forged ones mixed; each ticket's conflicts recomputed as in
//!    production): concurrent devices pushing one scan per request, then batches. A push
//!    counts only when every scan in it was applied; failed pushes are counted and shown.
//!
//! The tickets are made fast: the organization, event and a free ticket type through the
//! store, one free order of one ticket through the store (which numbers the event and, once
//! its holder's copy is read, makes the event's signing key), then the other tickets of that
//! order by SQL (one statement on SQLite, 5,000 rows a transaction on PostgreSQL), so the
//! change-log triggers fire per row as in production.
//!
//! Run: cargo bench -p hafla-server --bench door_sync
//!
//! Environment: HAFLA_BENCH_TICKETS (default 100000), HAFLA_BENCH_RUNS (initial syncs per
//! page size, median reported, default 3), HAFLA_BENCH_CHANGES (hinted changes, default
//! 200), HAFLA_BENCH_DEVICES (concurrent pushing devices, default 8), HAFLA_BENCH_BATCH
//! (scans per batched push, at most 1000, default 1000), HAFLA_BENCH_SECONDS (measured time
//! per push scenario, default 5), HAFLA_TEST_DATABASE_URL (a PostgreSQL URL whose role may
//! CREATE DATABASE; without it PostgreSQL is skipped). Without `--bench` (as `cargo test
//! --benches` runs it) everything runs small and briefly.

mod common;

use common::{Backend, FreshDatabase, env_or, register};
use hafla_core::Bilingual;
use hafla_core::door::ScanRecord;
use hafla_core::door::hlc::Hlc;
use hafla_core::door::verifier::{Direction, ScanEffect};
use hafla_core::money::Money;
use hafla_core::sync::hints::{SseParser, hint_of};
use hafla_core::sync::{EngineConfig, SyncClient, SyncDb, SyncEngine, SyncTarget};
use hafla_core::wire::sync::{
    DEFAULT_PAGE_ROWS, DoorEvent, DoorTicketType, MAX_PAGE_ROWS, MAX_PUSH_MUTATIONS, Mutation,
    MutationOp, MutationOutcome, PushAnswer, PushRequest, RowKind, SyncPage,
};
use hafla_server::store::{self, NewEvent, NewOrganization, NewTicketType, PgOptions, Store};
use hafla_server::test_support::issue_free_tickets;
use reqwest::{Client, StatusCode};
use sqlx::{Connection, PgConnection};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;
use uuid::Uuid;

/// Budgets of issue 8.
const INITIAL_SYNC_BUDGET: Duration = Duration::from_secs(3);
const BYTES_PER_TICKET_BUDGET: f64 = 24.0;
const SCANS_PER_SECOND_BUDGET: f64 = 2_000.0;

struct Settings {
    tickets: u32,
    runs: usize,
    changes: usize,
    devices: usize,
    batch: usize,
    measure: Duration,
}

impl Settings {
    fn from_env(bench: bool) -> Settings {
        if !bench {
            // A smoke run: proves the bench works without taking minutes.
            return Settings {
                tickets: 2_000,
                runs: 1,
                changes: 10,
                devices: 2,
                batch: 100,
                measure: Duration::from_millis(300),
            };
        }
        let settings = Settings {
            tickets: env_or("HAFLA_BENCH_TICKETS", 100_000),
            runs: env_or("HAFLA_BENCH_RUNS", 3),
            changes: env_or("HAFLA_BENCH_CHANGES", 200),
            devices: env_or("HAFLA_BENCH_DEVICES", 8),
            batch: env_or("HAFLA_BENCH_BATCH", MAX_PUSH_MUTATIONS),
            measure: Duration::from_secs_f64(env_or("HAFLA_BENCH_SECONDS", 5.0)),
        };
        assert!(settings.runs >= 1, "HAFLA_BENCH_RUNS must be at least 1");
        assert!(
            settings.devices >= 1,
            "HAFLA_BENCH_DEVICES must be at least 1"
        );
        assert!(
            (1..=MAX_PUSH_MUTATIONS).contains(&settings.batch),
            "HAFLA_BENCH_BATCH must be 1–{MAX_PUSH_MUTATIONS}"
        );
        assert!(
            settings.tickets as usize > 2 * settings.changes,
            "HAFLA_BENCH_TICKETS must exceed twice HAFLA_BENCH_CHANGES"
        );
        settings
    }
}

/// The server on 127.0.0.1:<free port> and the event its doors work.
struct World {
    base: String,
    org_id: Uuid,
    event_id: Uuid,
    /// The organization's owner, who works the doors.
    staff: String,
}

impl World {
    fn target(&self) -> SyncTarget {
        SyncTarget::Door {
            org: self.org_id,
            event: self.event_id,
        }
    }

    fn door_url(&self) -> String {
        format!("{}{}", self.base, self.target().path())
    }
}

/// Loopback only: never through a proxy from the environment; bodies as sent (no automatic
/// decompression), so their sizes are what travelled.
fn raw_client() -> Client {
    Client::builder()
        .no_proxy()
        .no_gzip()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

fn event_on_sale(org: Uuid, free: NewTicketType) -> NewEvent {
    use hafla_core::places::City;
    let starts = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * 7);
    NewEvent {
        id: Uuid::now_v7(),
        organization_id: org,
        status: hafla_core::wire::EventStatus::Published,
        title: Bilingual::new("ليلة طرب", "Tarab Night").unwrap(),
        description: Bilingual::new("", "An evening in Amman").unwrap(),
        category: hafla_core::wire::Category::Music,
        venue: hafla_core::wire::Venue {
            name: Bilingual::new("المدرج الروماني", "Roman Theatre").unwrap(),
            address: Bilingual::new("وسط البلد", "Downtown").unwrap(),
            city: City::Amman,
            location: City::Amman.centre(),
        },
        starts_at: starts,
        ends_at: starts + jiff::SignedDuration::from_hours(3),
        time_zone: "Asia/Amman".into(),
        tags: vec![],
        ticket_types: vec![free],
    }
}

/// The event with `tickets` valid tickets of one holder, its owner signed in.
async fn seed(
    store: &Arc<dyn Store>,
    base: String,
    database: (&Path, Option<&str>),
    tickets: u32,
) -> World {
    let http = raw_client();
    let (staff, owner_id) = register(&http, &base, "door@sahra.jo").await;
    let (buyer, buyer_id) = register(&http, &base, "rania@example.jo").await;
    let org = NewOrganization {
        id: Uuid::now_v7(),
        name: Bilingual::new("سهرة لايف", "Sahra Live").unwrap(),
    };
    store
        .create_organization(org.clone(), owner_id, jiff::Timestamp::now())
        .await
        .unwrap();
    let free = NewTicketType::simple(
        Uuid::now_v7(),
        Bilingual::new("دخول حر", "Free entry").unwrap(),
        Money::jod_fils(0),
        tickets,
    );
    let event = event_on_sale(org.id, free.clone());
    let event_id = event.id;
    store.insert_catalog(vec![], vec![event]).await.unwrap();
    issue_free_tickets(&**store, event_id, free.id, buyer_id, 1).await;
    // The holder's copy signs the ticket's credential, which makes the event's key.
    let response = http
        .get(format!("{base}/api/v1/sync/me"))
        .bearer_auth(&buyer)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let started = Instant::now();
    match database {
        (data_dir, None) => sqlite_tickets(&data_dir.join("hafla.db"), event_id, tickets),
        (_, Some(url)) => postgres_tickets(url, event_id, tickets).await,
    }
    eprintln!(
        "  seeded {tickets} tickets in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    World {
        base,
        org_id: org.id,
        event_id,
        staff,
    }
}

/// Tickets 2..=`tickets` of the event, copies of ticket 1 but for id and serial.
fn sqlite_tickets(path: &Path, event_id: Uuid, tickets: u32) {
    let mut c = rusqlite::Connection::open(path).unwrap();
    c.busy_timeout(Duration::from_secs(30)).unwrap();
    let tx = c.transaction().unwrap();
    tx.execute(
        "WITH RECURSIVE n (serial) AS (SELECT 2 UNION ALL SELECT serial + 1 FROM n WHERE serial < ?2)
         INSERT INTO tickets (id, order_id, event_id, ticket_type_id, serial, holder_id, status,
             issued_at)
         SELECT randomblob(16), t.order_id, t.event_id, t.ticket_type_id, n.serial, t.holder_id,
             'valid', t.issued_at
         FROM tickets t, n WHERE t.event_id = ?1 AND t.serial = 1",
        rusqlite::params![event_id, tickets],
    )
    .unwrap();
    tx.execute(
        "UPDATE events SET next_serial = ?2 + 1 WHERE id = ?1",
        rusqlite::params![event_id, tickets],
    )
    .unwrap();
    // What the triggers noted for the server's store to announce: nobody listens yet.
    tx.execute("DELETE FROM sync_touched", []).unwrap();
    tx.commit().unwrap();
    c.execute_batch("ANALYZE").unwrap();
}

/// As [`sqlite_tickets`], on PostgreSQL: one transaction, as a bulk change in production
/// would be (every row it writes to the door scope shares one version).
async fn postgres_tickets(url: &str, event_id: Uuid, tickets: u32) {
    let mut c = PgConnection::connect(url).await.unwrap();
    let mut tx = c.begin().await.unwrap();
    sqlx::query(
        "INSERT INTO tickets (id, order_id, event_id, ticket_type_id, serial, holder_id,
             status, issued_at)
         SELECT gen_random_uuid(), t.order_id, t.event_id, t.ticket_type_id, n, t.holder_id,
             'valid', t.issued_at
         FROM tickets t, generate_series(2, $2) n WHERE t.event_id = $1 AND t.serial = 1",
    )
    .bind(event_id)
    .bind(tickets as i32)
    .execute(&mut *tx)
    .await
    .unwrap();
    sqlx::query("UPDATE events SET next_serial = $2 + 1 WHERE id = $1")
        .bind(event_id)
        .bind(tickets as i32)
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    sqlx::query("ANALYZE").execute(&mut c).await.unwrap();
    let _ = c.close().await;
}

/// A door device: its own file, client and engine.
struct Device {
    _dir: tempfile::TempDir,
    engine: Arc<SyncEngine>,
    client: SyncClient,
}

fn device(world: &World, page_limit: u32) -> Device {
    let dir = tempfile::tempdir().unwrap();
    let db = SyncDb::open(&dir.path().join("door.db")).unwrap();
    let client =
        SyncClient::new(&world.base, hafla_core::Lang::Ar, Some(world.staff.clone())).unwrap();
    let config = EngineConfig {
        page_limit,
        ..EngineConfig::default()
    };
    let engine = SyncEngine::new(client.clone(), Arc::new(Mutex::new(db)), None, config);
    Device {
        _dir: dir,
        engine: Arc::new(engine),
        client,
    }
}

/// The initial sync of a fresh device, timed; the device, ready for hints.
async fn initial_sync(world: &World, tickets: u32, page_limit: u32) -> (Duration, u64, Device) {
    let device = device(world, page_limit);
    let started = Instant::now();
    let report = device.engine.pull(world.target()).await.unwrap();
    let elapsed = started.elapsed();
    assert!(report.verified, "the digest proved the list whole");
    assert!(
        report.held > u64::from(tickets),
        "every ticket, the event, its type and key: {report:?}"
    );
    (elapsed, report.rows, device)
}

/// What one pass over every page of the door list cost on the wire.
#[derive(Default)]
struct Wire {
    pages: usize,
    identity_bytes: u64,
    gzip_bytes: u64,
    /// Time to fetch the gzip pages, bodies read and thrown away.
    gzip_fetch: Duration,
    event_ref: u32,
    ticket_type: u16,
}

/// Every page at `limit` twice: as identity (decoded, for the cursor), then the same
/// cursor gzip-encoded, counted and timed.
async fn wire_sizes(world: &World, limit: u32) -> Wire {
    let http = raw_client();
    let mut wire = Wire::default();
    let mut cursor: Option<String> = None;
    loop {
        let mut query = vec![("limit", limit.to_string())];
        if let Some(cursor) = &cursor {
            query.push(("cursor", cursor.clone()));
        }
        let get = |encoding: &'static str| {
            http.get(world.door_url())
                .query(&query)
                .bearer_auth(&world.staff)
                .header(reqwest::header::ACCEPT_ENCODING, encoding)
        };
        let started = Instant::now();
        let gzip = get("gzip").send().await.unwrap();
        assert_eq!(gzip.status(), StatusCode::OK);
        assert_eq!(gzip.headers()[reqwest::header::CONTENT_ENCODING], "gzip");
        wire.gzip_bytes += gzip.bytes().await.unwrap().len() as u64;
        wire.gzip_fetch += started.elapsed();
        let identity = get("identity").send().await.unwrap();
        assert_eq!(identity.status(), StatusCode::OK);
        assert!(
            !identity
                .headers()
                .contains_key(reqwest::header::CONTENT_ENCODING)
        );
        let body = identity.bytes().await.unwrap();
        wire.identity_bytes += body.len() as u64;
        wire.pages += 1;
        let page: SyncPage = serde_json::from_slice(&body).unwrap();
        for row in &page.rows {
            match row.kind {
                RowKind::DoorEvent => {
                    let event: DoorEvent = row.decode().unwrap().unwrap();
                    wire.event_ref = event.event_ref;
                }
                RowKind::TicketType => {
                    let t: DoorTicketType = row.decode().unwrap().unwrap();
                    wire.ticket_type = t.number;
                }
                _ => {}
            }
        }
        if !page.has_more {
            return wire;
        }
        cursor = Some(page.cursor);
    }
}

/// Makes scan records as door devices write them.
struct Scanner {
    device_id: Uuid,
    event_ref: u32,
    ticket_type: u16,
    seq: u64,
    gate: String,
}

impl Scanner {
    fn new(event_ref: u32, ticket_type: u16, gate: &str) -> Scanner {
        Scanner {
            device_id: Uuid::now_v7(),
            event_ref,
            ticket_type,
            seq: 0,
            gate: gate.into(),
        }
    }

    /// The next scan of this device: of ticket `serial` with `effect` and `verdict`, or,
    /// without a serial, of a credential that did not verify.
    fn scan(&mut self, serial: Option<u32>, effect: ScanEffect, verdict: &str) -> Mutation {
        self.seq += 1;
        let now = jiff::Timestamp::now();
        let scan = ScanRecord {
            id: Uuid::now_v7(),
            device_id: self.device_id,
            seq: self.seq,
            event_ref: self.event_ref,
            ticket_serial: serial,
            ticket_type: serial.map(|_| self.ticket_type),
            gate: self.gate.clone(),
            direction: Direction::In,
            device_time: now,
            hlc: Hlc::new(now.as_millisecond() as u64, (self.seq % 1000) as u16),
            verdict: verdict.into(),
            effect,
        };
        Mutation {
            id: Uuid::now_v7(),
            number: self.seq,
            op: MutationOp::Scan { scan },
        }
    }

    /// The `n`-th scan of a busy door over serials `first..=last`: mostly admissions, every
    /// tenth a ticket shown again (refused, already admitted), every tenth a forgery.
    fn realistic(&mut self, n: u64, (first, last): (u32, u32)) -> Mutation {
        let serial = |n: u64| first + (n % u64::from(last - first + 1)) as u32;
        match n % 10 {
            8 => self.scan(
                Some(serial(n.saturating_sub(1))),
                ScanEffect::Refused,
                "already_admitted",
            ),
            9 => self.scan(None, ScanEffect::Refused, "bad_signature"),
            _ => self.scan(Some(serial(n)), ScanEffect::Entered, "admitted"),
        }
    }

    /// Sends `mutations`; an error unless every one was applied.
    async fn push(
        &self,
        http: &Client,
        world: &World,
        mutations: Vec<Mutation>,
    ) -> Result<PushAnswer, String> {
        let response = http
            .post(format!("{}/api/v1/sync/push", world.base))
            .bearer_auth(&world.staff)
            .json(&PushRequest {
                device_id: self.device_id,
                mutations,
            })
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| e.to_string())?;
        if status != StatusCode::OK {
            return Err(format!("{status}: {}", String::from_utf8_lossy(&body)));
        }
        let answer: PushAnswer = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
        match answer
            .results
            .iter()
            .find(|r| r.outcome != MutationOutcome::Applied)
        {
            Some(result) => Err(format!("not applied: {result:?}")),
            None => Ok(answer),
        }
    }
}

/// Latencies from sending a door change to the listening device having applied it.
async fn hint_latencies(
    world: &World,
    device: &Device,
    wire: &Wire,
    changes: usize,
) -> Vec<Duration> {
    let http = raw_client();
    // The first door admits tickets 1..=changes; the second admits them again, one push per
    // change, each a double admission: a conflict row in the door scope.
    let mut first = Scanner::new(wire.event_ref, wire.ticket_type, "north");
    for chunk in (1..=changes as u32)
        .collect::<Vec<_>>()
        .chunks(MAX_PUSH_MUTATIONS)
    {
        let scans = chunk
            .iter()
            .map(|&s| first.scan(Some(s), ScanEffect::Entered, "admitted"))
            .collect();
        first.push(&http, world, scans).await.unwrap();
    }
    let (pulled, mut pulls) = tokio::sync::mpsc::unbounded_channel::<(Instant, u64)>();
    let listening = {
        let (engine, client, target) =
            (device.engine.clone(), device.client.clone(), world.target());
        tokio::spawn(async move {
            let mut stream = client.open_hints(&[target.scope()]).await.unwrap();
            let mut parser = SseParser::new();
            while let Some(chunk) = stream.chunk().await.unwrap() {
                for event in parser.push(&chunk) {
                    if hint_of(&event).is_some_and(|h| h.scope == target.scope()) {
                        let report = engine.pull(target).await.unwrap();
                        if pulled.send((Instant::now(), report.rows)).is_err() {
                            return;
                        }
                    }
                }
            }
        })
    };
    // The hint every connection starts with.
    pulls.recv().await.unwrap();
    let mut second = Scanner::new(wire.event_ref, wire.ticket_type, "south");
    let mut latencies = Vec::with_capacity(changes);
    for serial in 1..=changes as u32 {
        let sent = Instant::now();
        let scan = second.scan(Some(serial), ScanEffect::Entered, "admitted");
        second.push(&http, world, vec![scan]).await.unwrap();
        loop {
            let (at, rows) = tokio::time::timeout(Duration::from_secs(10), pulls.recv())
                .await
                .expect("the change reached the device")
                .unwrap();
            if rows > 0 {
                latencies.push(at - sent);
                break;
            }
        }
    }
    listening.abort();
    latencies.sort();
    latencies
}

/// What the pushing devices saw.
struct PushRate {
    per_second: f64,
    /// Of the pushes answered with every scan applied, sorted.
    latencies: Vec<Duration>,
    /// Pushes that failed: a push that was refused or timed out counts nothing.
    errors: Vec<String>,
}

impl PushRate {
    fn summary(&self) -> String {
        let mut text = format!(
            "{:.0}/s ({} · {} ms)",
            self.per_second,
            ms(quantile(&self.latencies, 0.5)),
            ms(quantile(&self.latencies, 0.99))
        );
        if let Some(first) = self.errors.first() {
            eprintln!("  {} failed pushes; the first: {first}", self.errors.len());
            text += &format!(", **{} failed pushes**", self.errors.len());
        }
        text
    }
}

/// Scans applied per second and per-request latencies, `devices` devices pushing
/// `per_push` scans per request for `duration`, over serials `serials`.
async fn push_rate(
    world: &Arc<World>,
    wire: &Wire,
    devices: usize,
    per_push: usize,
    serials: (u32, u32),
    duration: Duration,
) -> PushRate {
    let counter = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + duration;
    let tasks: Vec<_> = (0..devices)
        .map(|d| {
            let (world, counter) = (world.clone(), counter.clone());
            let mut scanner = Scanner::new(wire.event_ref, wire.ticket_type, &format!("gate-{d}"));
            tokio::spawn(async move {
                let http = raw_client();
                let (mut applied, mut latencies, mut errors) = (0u64, Vec::new(), Vec::new());
                while Instant::now() < deadline {
                    let n = counter.fetch_add(per_push as u64, Ordering::Relaxed);
                    let scans = (0..per_push as u64)
                        .map(|k| scanner.realistic(n + k, serials))
                        .collect();
                    let sent = Instant::now();
                    match scanner.push(&http, &world, scans).await {
                        Ok(answer) => {
                            latencies.push(sent.elapsed());
                            applied += answer.results.len() as u64;
                        }
                        // The device would push the same numbers again; this one moves on
                        // to fresh scans, so it starts over as a new device.
                        Err(e) => {
                            errors.push(e);
                            scanner =
                                Scanner::new(scanner.event_ref, scanner.ticket_type, &scanner.gate);
                        }
                    }
                }
                (applied, latencies, errors)
            })
        })
        .collect();
    let (mut applied, mut latencies, mut errors) = (0, Vec::new(), Vec::new());
    for task in tasks {
        let (a, l, e) = task.await.unwrap();
        applied += a;
        latencies.extend(l);
        errors.extend(e);
    }
    let elapsed = started.elapsed();
    latencies.sort();
    PushRate {
        per_second: applied as f64 / elapsed.as_secs_f64(),
        latencies,
        errors,
    }
}

fn quantile(sorted: &[Duration], q: f64) -> Duration {
    let last = sorted.len().saturating_sub(1);
    sorted
        .get(((sorted.len() as f64 * q) as usize).min(last))
        .copied()
        .unwrap_or_default()
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    quantile(&values, 0.5)
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

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "**missed**" }
}

/// Seeds a server on `backend`, measures everything, and prints the backend's table.
fn measure_backend(backend: Backend, settings: &Settings) {
    // Declared first so it is dropped last, after the runtime has stopped the server.
    let database = match backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some(FreshDatabase::create_from_env()),
    };
    let url = database.as_ref().map(FreshDatabase::url);
    let data_dir = tempfile::tempdir().unwrap();
    let runtime = Runtime::new().unwrap();
    let tickets = settings.tickets;
    let mut table: Vec<(String, String, String)> = Vec::new();
    runtime.block_on(async {
        eprintln!("{}:", backend.name());
        let (store, _) = store::open(url.as_deref(), data_dir.path(), PgOptions::default())
            .await
            .unwrap();
        let base = common::serve(store.clone()).await;
        let world = Arc::new(seed(&store, base, (data_dir.path(), url.as_deref()), tickets).await);

        // 1 and 2: the initial sync and the wire, at both page sizes.
        let mut last_device = None;
        let mut wire = Wire::default();
        for limit in [DEFAULT_PAGE_ROWS, MAX_PAGE_ROWS] {
            let mut times = Vec::new();
            let mut rows = 0;
            for _ in 0..settings.runs {
                let (elapsed, pulled, device) = initial_sync(&world, tickets, limit).await;
                eprintln!(
                    "  initial sync, pages of {limit}: {:.2} s",
                    elapsed.as_secs_f64()
                );
                times.push(elapsed);
                rows = pulled;
                last_device = Some(device);
            }
            let time = median(times);
            table.push((
                format!(
                    "initial door-list sync, {tickets} tickets, pages of {limit} (median of {})",
                    settings.runs
                ),
                format!(
                    "{:.2} s · {:.0} rows/s",
                    time.as_secs_f64(),
                    rows as f64 / time.as_secs_f64()
                ),
                format!(
                    "< {} s: {}",
                    INITIAL_SYNC_BUDGET.as_secs(),
                    verdict(time < INITIAL_SYNC_BUDGET)
                ),
            ));
            wire = wire_sizes(&world, limit).await;
            table.push((
                format!(
                    "  of which fetch only (server + gzip transfer, {} pages)",
                    wire.pages
                ),
                format!("{:.2} s", wire.gzip_fetch.as_secs_f64()),
                String::new(),
            ));
            let gzip = wire.gzip_bytes as f64 / f64::from(tickets);
            table.push((
                format!("bytes per ticket, pages of {limit}: gzip · identity"),
                format!(
                    "{gzip:.1} B · {:.1} B",
                    wire.identity_bytes as f64 / f64::from(tickets)
                ),
                format!(
                    "≤ {BYTES_PER_TICKET_BUDGET} B gzip: {}",
                    verdict(gzip <= BYTES_PER_TICKET_BUDGET)
                ),
            ));
        }

        // 3: a change reaching a listening device.
        let device = last_device.expect("at least one run");
        let latencies = hint_latencies(&world, &device, &wire, settings.changes).await;
        table.push((
            format!(
                "change → device (push, hint, pull applied), {} changes: p50 · p99 · max",
                settings.changes
            ),
            format!(
                "{} · {} · {} ms",
                ms(quantile(&latencies, 0.5)),
                ms(quantile(&latencies, 0.99)),
                ms(quantile(&latencies, 1.0))
            ),
            String::new(),
        ));

        // 4: scans accepted, over the tickets the hint changes did not touch.
        let serials = (settings.changes as u32 + 1, tickets);
        let single = push_rate(
            &world,
            &wire,
            settings.devices,
            1,
            serials,
            settings.measure,
        )
        .await;
        table.push((
            format!(
                "scans accepted, {} devices, 1 scan per push: scans/s (push p50 · p99)",
                settings.devices
            ),
            single.summary(),
            format!(
                "≥ {SCANS_PER_SECOND_BUDGET:.0}/s: {}",
                verdict(single.per_second >= SCANS_PER_SECOND_BUDGET && single.errors.is_empty())
            ),
        ));
        let batched = push_rate(
            &world,
            &wire,
            settings.devices,
            settings.batch,
            serials,
            settings.measure,
        )
        .await;
        table.push((
            format!(
                "scans accepted, {} devices, {} scans per push: scans/s (push p50 · p99)",
                settings.devices, settings.batch
            ),
            batched.summary(),
            String::new(),
        ));
    });
    drop(runtime);
    println!(
        "\n{}\n\n| measure | result | budget |\n|---|---:|---|",
        backend.name()
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
