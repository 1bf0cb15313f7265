//! The HTTP API over a real socket, against a real SQLite file.

use hafla_core::Bilingual;
use hafla_core::money::Money;
use hafla_core::places::{City, GeoPoint};
use hafla_core::wire::{Category, ErrorBody, ErrorCode, EventPage, EventStatus, Venue};
use hafla_server::api::{AppState, app};
use hafla_server::demo;
use hafla_server::store::{CatalogStore, NewEvent, NewOrganization, NewTicketType, SqliteStore};
use uuid::Uuid;

struct TestServer {
    url: String,
    store: SqliteStore,
    _dir: tempfile::TempDir,
}

async fn spawn_server() -> TestServer {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let router = app(AppState::new(
        std::sync::Arc::new(store.clone()),
        hafla_server::api::Services {
            tokens: std::sync::Arc::new(
                hafla_server::auth::tokens::TokenKeys::from_seed(&[7; 32]).unwrap(),
            ),
            mailer: std::sync::Arc::new(hafla_server::mail::MemoryMailer::new()),
            public_url: "https://hafla.test".into(),
            sms: std::sync::Arc::new(hafla_server::sms::MemorySms::new()),
            otp: std::sync::Arc::new(hafla_server::auth::otp::OtpHasher::new([5; 32])),
            oidc: Default::default(),
            trusted_proxies: Default::default(),
            checkout: Default::default(),
            master_key: hafla_server::issuance::MasterKey::generate().unwrap(),
        },
    ));
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
    });
    TestServer {
        url,
        store,
        _dir: dir,
    }
}

async fn spawn_demo_server() -> TestServer {
    let server = spawn_server().await;
    demo::seed(&server.store, demo::today_in_amman().unwrap())
        .await
        .unwrap();
    server
}

async fn get(url: &str, lang: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(url)
        .header("accept-language", lang)
        .send()
        .await
        .unwrap()
}

fn event(
    org: Uuid,
    status: EventStatus,
    starts: jiff::Timestamp,
    hours: i64,
    price: i64,
) -> NewEvent {
    let text = |s: &str| Bilingual::new(format!("{s} بالعربية"), s).unwrap();
    NewEvent {
        id: Uuid::now_v7(),
        organization_id: org,
        status,
        title: text("Test event"),
        description: text("Description"),
        category: Category::Music,
        venue: Venue {
            name: text("Venue"),
            address: text("Address"),
            city: City::Amman,
            location: GeoPoint {
                lat: 31.95,
                lng: 35.91,
            },
        },
        starts_at: starts,
        ends_at: starts + jiff::SignedDuration::from_hours(hours),
        time_zone: "Asia/Amman".into(),
        tags: vec![],
        ticket_types: vec![
            NewTicketType::simple(Uuid::now_v7(), text("VIP"), Money::jod_fils(price * 2), 10),
            NewTicketType::simple(Uuid::now_v7(), text("General"), Money::jod_fils(price), 100),
        ],
    }
}

#[tokio::test]
async fn the_demo_catalog_is_listed_soonest_first_with_both_languages() {
    let server = spawn_demo_server().await;
    let page: EventPage = get(&format!("{}/api/v1/events?limit=100", server.url), "en")
        .await
        .json()
        .await
        .unwrap();
    assert!(page.total >= 200, "{} events", page.total);
    assert_eq!(page.events.len(), 100);
    assert_eq!(page.next_offset, Some(100));
    assert!(
        page.events
            .windows(2)
            .all(|w| w[0].starts_at <= w[1].starts_at)
    );
    for e in &page.events {
        assert!(!e.title.ar.is_empty() && !e.title.en.is_empty());
        assert_eq!(e.time_zone, "Asia/Amman");
    }
    assert!(
        page.events
            .iter()
            .any(|e| e.price_from.is_some_and(|p| p.minor == 0)),
        "free events"
    );
    assert!(
        page.events
            .iter()
            .any(|e| e.price_from.is_some_and(|p| p.minor > 0)),
        "paid events"
    );
}

#[tokio::test]
async fn pages_follow_each_other_without_gaps_or_repeats() {
    let server = spawn_demo_server().await;
    let all_pages = |limit: u32| {
        let url = server.url.clone();
        async move {
            let mut seen = vec![];
            let mut offset = Some(0);
            while let Some(o) = offset {
                let page: EventPage = get(
                    &format!("{url}/api/v1/events?offset={o}&limit={limit}"),
                    "en",
                )
                .await
                .json()
                .await
                .unwrap();
                assert!(page.events.len() <= limit as usize);
                seen.extend(page.events.iter().map(|e| e.id));
                offset = page.next_offset;
            }
            seen
        }
    };
    let small = all_pages(7).await;
    let large = all_pages(100).await;
    assert!(small.len() >= 200);
    assert_eq!(small, large);
}

#[tokio::test]
async fn only_published_events_that_have_not_ended_are_listed_with_their_cheapest_price() {
    let server = spawn_server().await;
    let org = Uuid::now_v7();
    let now = jiff::Timestamp::now();
    let day = jiff::SignedDuration::from_hours(24);
    let upcoming = event(org, EventStatus::Published, now + day, 3, 12_500);
    let running = event(
        org,
        EventStatus::Published,
        now - jiff::SignedDuration::from_hours(1),
        3,
        5_000,
    );
    let ended = event(org, EventStatus::Published, now - day - day, 3, 1_000);
    let draft = event(org, EventStatus::Draft, now + day, 3, 1_000);
    let expected = [running.id, upcoming.id];
    server
        .store
        .insert_catalog(
            vec![NewOrganization {
                id: org,
                name: Bilingual::new("منظم", "Organizer").unwrap(),
            }],
            vec![upcoming, running, ended, draft],
        )
        .await
        .unwrap();
    let page: EventPage = get(&format!("{}/api/v1/events", server.url), "en")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        page.events.iter().map(|e| e.id).collect::<Vec<_>>(),
        expected
    );
    assert_eq!(page.events[1].price_from, Some(Money::jod_fils(12_500)));
}

#[tokio::test]
async fn a_bad_page_parameter_is_refused_with_a_code_and_a_message_in_the_callers_language() {
    let server = spawn_server().await;
    for (query, lang, needle) in [
        ("limit=abc", "ar-JO,ar;q=0.9", "غير صحيحة"),
        ("limit=abc", "en-US", "not valid"),
        ("limit=1000", "en", "more than 100"),
        ("limit=0", "en", "at least 1"),
        ("offset=-3", "en", "whole number"),
    ] {
        let response = get(&format!("{}/api/v1/events?{query}", server.url), lang).await;
        assert_eq!(response.status(), 400, "{query}");
        let body: ErrorBody = response.json().await.unwrap();
        assert_eq!(body.code, ErrorCode::InvalidParameter);
        assert!(
            body.message.contains(needle),
            "{query} {lang}: {}",
            body.message
        );
    }
}

#[tokio::test]
async fn errors_default_to_arabic_when_the_caller_names_no_supported_language() {
    let server = spawn_server().await;
    let response = get(&format!("{}/api/v1/nowhere", server.url), "fr").await;
    assert_eq!(response.status(), 404);
    assert_eq!(response.headers()["content-language"], "ar");
    let body: ErrorBody = response.json().await.unwrap();
    assert_eq!(body.code, ErrorCode::NotFound);
    assert_eq!(body.message, "لم نجد ما طلبته.");
}

#[tokio::test]
async fn an_oversized_body_is_refused_before_it_is_read() {
    let server = spawn_server().await;
    let response = reqwest::Client::new()
        .post(format!("{}/api/v1/events", server.url))
        .header("accept-language", "en")
        .body(vec![b'x'; 2 * 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 413);
    let body: ErrorBody = response.json().await.unwrap();
    assert_eq!(body.code, ErrorCode::PayloadTooLarge);
}

#[tokio::test]
async fn health_and_readiness_answer() {
    let server = spawn_server().await;
    assert_eq!(
        get(&format!("{}/healthz", server.url), "en").await.status(),
        200
    );
    assert_eq!(
        get(&format!("{}/readyz", server.url), "en").await.status(),
        200
    );
}
