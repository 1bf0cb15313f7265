//! A flash sale over real HTTP against real server processes: 1,000 seats, 20,000 purchase
//! attempts from 200 concurrent buyers paying on the sandbox page (most approve, some are
//! declined, some walk away until their hold lapses), then buyers take the lapsed seats.
//! It must end with exactly 1,000 valid tickets, nothing oversold, and no paid payment
//! without its order paid. On SQLite with one server; on PostgreSQL with two sharing the
//! database (each buyer sticks to one, as a load balancer with sessions would).
//!
//! The run prints reservations per second and latencies; BENCHMARKS.md records them from
//! a release build (`cargo test --release -p hafla-server --test flash_sale -- --nocapture`).

mod common;

use common::{FreshDatabase, ServerProcess};
use hafla_core::Bilingual;
use hafla_core::money::Money;
use hafla_core::wire::OrderStatus;
use hafla_server::store::payments::PaymentStatus;
use hafla_server::store::{NewOrganization, NewTicketType, Store};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use uuid::Uuid;

const SEATS: u32 = 1_000;
const ATTEMPTS: usize = 20_000;
const BUYERS: usize = 200;
/// Short holds, so walked-away reservations lapse within the test.
const HOLD_SECS: u64 = 10;
const MASTER_KEY: &str = "iVOJ1vzPaj7KMbzfumFd4ViynvhOXNtgrnMmCW6gR0M=";

struct Sale {
    event_id: Uuid,
    ticket_type: Uuid,
}

async fn put_on_sale(store: &dyn Store) -> Sale {
    let org = NewOrganization {
        id: Uuid::now_v7(),
        name: Bilingual::new("سهرة لايف", "Sahra Live").unwrap(),
    };
    let seats = NewTicketType::simple(
        Uuid::now_v7(),
        Bilingual::new("عام", "General").unwrap(),
        Money::jod_fils(25_000),
        SEATS,
    );
    let event = common::event_on_sale(
        org.id,
        ("حفلة عمرو دياب في عمّان", "Amr Diab in Amman"),
        vec![seats.clone()],
    );
    let sale = Sale {
        event_id: event.id,
        ticket_type: seats.id,
    };
    store.insert_catalog(vec![org], vec![event]).await.unwrap();
    sale
}

fn start_server(database_url: Option<&str>) -> ServerProcess {
    let hold = HOLD_SECS.to_string();
    let mut args = vec![
        "--sandbox-payments",
        "--order-hold-secs",
        &hold,
        // The buyers come through a proxy on this machine, each with its own address.
        "--trusted-proxies",
        "127.0.0.1",
    ];
    if let Some(url) = database_url {
        args.extend(["--database-url", url]);
    }
    ServerProcess::start(
        &args,
        &[
            ("HAFLA_MASTER_KEY", MASTER_KEY),
            ("HAFLA_TOKEN_KEY", &"ab".repeat(32)),
            ("HAFLA_OTP_KEY", &"cd".repeat(32)),
        ],
    )
}

/// One buyer: a client, its server, its address and its session.
struct Buyer {
    http: reqwest::Client,
    base: String,
    address: String,
    token: String,
}

impl Buyer {
    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .header("x-forwarded-for", &self.address)
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Chooses on the sandbox page of a payment.
    async fn choose(&self, redirect_url: &str, choice: &str) {
        let path = redirect_url.split("/sandbox/").nth(1).unwrap();
        let response = self
            .http
            .post(format!("{}/sandbox/{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("choice={choice}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 303);
    }
}

async fn sign_up(http: &reqwest::Client, base: &str, n: usize) -> Buyer {
    let address = format!("10.{}.{}.{}", n / 65_536, (n / 256) % 256, n % 256);
    let response = http
        .post(format!("{base}/api/v1/auth/register"))
        .header("x-forwarded-for", &address)
        .json(&json!({"email": format!("fan{n}@example.jo"), "password": "a long enough password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 201);
    let body: Value = response.json().await.unwrap();
    Buyer {
        http: http.clone(),
        base: base.to_owned(),
        address,
        token: body["access_token"].as_str().unwrap().to_owned(),
    }
}

/// What happened to the reservations, for the figures.
#[derive(Default)]
struct Tally {
    latencies_ms: Vec<f64>,
    reserved: usize,
    sold_out: usize,
}

/// One purchase attempt: reserve, pay on the sandbox page, and approve, decline or walk
/// away (7 in 10, 1.5, 1.5).
async fn attempt(buyer: &Buyer, sale: &Sale, n: usize, tally: &mut Tally) {
    let quantity = 1 + (n % 2) as i64;
    let started = Instant::now();
    let (status, order) = buyer
        .post(
            "/api/v1/orders",
            json!({"event_id": sale.event_id, "lines": [{"ticket_type_id": sale.ticket_type, "quantity": quantity}]}),
        )
        .await;
    tally
        .latencies_ms
        .push(started.elapsed().as_secs_f64() * 1000.0);
    match status {
        201 => tally.reserved += 1,
        409 if order["code"] == "sold_out" => {
            tally.sold_out += 1;
            return;
        }
        _ => panic!("reservation {n}: {status} {order}"),
    }
    let id = order["id"].as_str().unwrap();
    let (status, paying) = buyer
        .post(
            &format!("/api/v1/orders/{id}/pay"),
            json!({"method": "sandbox"}),
        )
        .await;
    if status == 409 && paying["details"]["status"] == "expired" {
        return; // too slow: the hold lapsed first
    }
    assert_eq!(status, 200, "{paying}");
    let redirect = paying["redirect_url"].as_str().unwrap();
    match n % 20 {
        0..=13 => buyer.choose(redirect, "approve").await,
        14..=16 => buyer.choose(redirect, "decline").await,
        _ => {} // walks away: the hold lapses
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

async fn run_sale(label: &str, store: Arc<dyn Store>, servers: &[&ServerProcess]) {
    let sale = Arc::new(put_on_sale(&*store).await);
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(BUYERS)
        .build()
        .unwrap();
    let mut buyers = Vec::with_capacity(BUYERS);
    for n in 0..BUYERS {
        buyers.push(Arc::new(
            sign_up(&http, &servers[n % servers.len()].url, n).await,
        ));
    }

    // The rush: 20,000 attempts from 200 buyers at once.
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for buyer in &buyers {
        let (buyer, sale, next) = (buyer.clone(), sale.clone(), next.clone());
        tasks.push(tokio::spawn(async move {
            let mut tally = Tally::default();
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= ATTEMPTS {
                    return tally;
                }
                attempt(&buyer, &sale, n, &mut tally).await;
            }
        }));
    }
    let mut total = Tally::default();
    for task in tasks {
        let tally = task.await.unwrap();
        total.latencies_ms.extend(tally.latencies_ms);
        total.reserved += tally.reserved;
        total.sold_out += tally.sold_out;
    }
    let rush = started.elapsed();

    // Walked-away and declined holds lapse; buyers take those seats until none is left.
    tokio::time::sleep(Duration::from_secs(HOLD_SECS + 1)).await;
    let mut n = ATTEMPTS;
    loop {
        let buyer = &buyers[n % BUYERS];
        let (status, order) = buyer
            .post(
                "/api/v1/orders",
                json!({"event_id": sale.event_id, "lines": [{"ticket_type_id": sale.ticket_type, "quantity": 1}]}),
            )
            .await;
        if status == 409 && order["code"] == "sold_out" {
            break;
        }
        assert_eq!(status, 201, "{order}");
        let id = order["id"].as_str().unwrap();
        let (_, paying) = buyer
            .post(
                &format!("/api/v1/orders/{id}/pay"),
                json!({"method": "sandbox"}),
            )
            .await;
        buyer
            .choose(paying["redirect_url"].as_str().unwrap(), "approve")
            .await;
        n += 1;
        assert!(n < ATTEMPTS + 2 * SEATS as usize, "the seats never ran out");
    }

    // Exactly the seats were sold, each paid order has its tickets, and every paid
    // payment's order is paid.
    let mut valid = 0;
    for order_id in store.event_orders(sale.event_id).await.unwrap() {
        let order = store.order(order_id).await.unwrap().unwrap();
        let tickets = store.order_tickets(order_id).await.unwrap();
        let payments = store.order_payments(order_id).await.unwrap();
        let paid = payments.iter().any(|p| p.status == PaymentStatus::Paid);
        if order.status == OrderStatus::Paid {
            assert!(paid, "order {order_id} paid with no payment");
            assert_eq!(tickets.len() as u32, order.tickets(), "order {order_id}");
        } else {
            // Money that came after the seats were gone went back.
            let refunded = store.order_refunded_minor(order_id).await.unwrap();
            assert!(
                !paid || refunded > 0,
                "order {order_id} is {:?}, paid, not refunded",
                order.status
            );
            assert!(tickets.is_empty(), "order {order_id} unpaid with tickets");
        }
        valid += tickets.iter().filter(|t| t.valid).count();
    }
    assert_eq!(valid, SEATS as usize, "{label}: exactly the seats");

    let mut sorted = total.latencies_ms.clone();
    sorted.sort_by(|a, b| a.total_cmp(b));
    println!(
        "{label}: {ATTEMPTS} attempts by {BUYERS} buyers in {:.1} s: {} reserved, {} sold out; \
         {:.0} reservation requests/s; reservation p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        rush.as_secs_f64(),
        total.reserved,
        total.sold_out,
        ATTEMPTS as f64 / rush.as_secs_f64(),
        percentile(&sorted, 0.50),
        percentile(&sorted, 0.99),
        sorted.last().copied().unwrap_or_default(),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_flash_sale_on_sqlite_sells_exactly_the_seats() {
    let server = start_server(None);
    let store: Arc<dyn Store> =
        Arc::new(hafla_server::store::SqliteStore::open(server.data_dir.path()).unwrap());
    run_sale("SQLite, one server", store, &[&server]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_flash_sale_on_postgresql_across_two_servers_sells_exactly_the_seats() {
    let database = FreshDatabase::create();
    let url = database.url();
    let (a, b) = (start_server(Some(&url)), start_server(Some(&url)));
    let store = hafla_server::store::PgStore::connect(&url, Default::default())
        .await
        .unwrap();
    let store: Arc<dyn Store> = Arc::new(store);
    run_sale("PostgreSQL, two servers", store.clone(), &[&a, &b]).await;
    drop(store);
    drop((a, b));
}
