//! `GET /api/v1/events/search` over a real socket, on SQLite and on PostgreSQL, with the
//! Jordanian demo catalog; and HTTP caching of catalog answers.

mod common;

use common::{FreshDatabase, TestApp, spawn_app_on};
use hafla_core::Bilingual;
use hafla_core::money::Money;
use hafla_core::places::City;
use hafla_core::wire::{Category, EventSearchPage, EventStatus, Venue};
use hafla_server::store::{
    NewEvent, NewOrganization, NewTicketType, PgOptions, PgStore, SqliteStore, Store,
};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

/// A server with the demo catalog, and a way to change its database behind its back.
/// (The PostgreSQL database itself is held by [`on_both`] for the whole check: a closure
/// capturing only `run.app` would otherwise drop it before the check runs.)
struct Running {
    app: TestApp,
    sqlite_path: Option<std::path::PathBuf>,
    postgres_url: Option<String>,
}

impl Running {
    fn backend(&self) -> &'static str {
        if self.postgres_url.is_some() {
            "postgres"
        } else {
            "sqlite"
        }
    }

    /// Runs SQL directly on the database (no announcement).
    fn execute(&self, sql: &str) {
        match (&self.sqlite_path, &self.postgres_url) {
            (Some(path), _) => {
                rusqlite::Connection::open(path)
                    .unwrap()
                    .execute_batch(sql)
                    .unwrap();
            }
            (None, Some(url)) => {
                let status = std::process::Command::new("psql")
                    .args([url.as_str(), "-qc", sql])
                    .status()
                    .unwrap();
                assert!(status.success(), "{sql}");
            }
            (None, None) => unreachable!(),
        }
    }
}

async fn seeded(app: TestApp) -> TestApp {
    let today = hafla_server::demo::today_in_amman().unwrap();
    // The written catalog only: its events are the ones these tests name.
    hafla_server::demo::seed_with(&*app.store, today, 0)
        .await
        .unwrap();
    app
}

async fn on_sqlite() -> Running {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).unwrap();
    let path = store.path().to_owned();
    let app = spawn_app_on(Arc::new(store), HashMap::new(), dir).await;
    Running {
        app: seeded(app).await,
        sqlite_path: Some(path),
        postgres_url: None,
    }
}

async fn on_postgres(database: &FreshDatabase, store: PgStore) -> Running {
    let app = spawn_app_on(
        Arc::new(store),
        HashMap::new(),
        tempfile::tempdir().unwrap(),
    )
    .await;
    Running {
        app: seeded(app).await,
        sqlite_path: None,
        postgres_url: Some(database.url()),
    }
}

/// Runs `check` on a demo server on SQLite, then on one on PostgreSQL.
async fn on_both<F, Fut>(check: F)
where
    F: Fn(Running) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    check(on_sqlite().await).await;
    let database = FreshDatabase::create();
    let store = PgStore::connect(&database.url(), PgOptions::default())
        .await
        .unwrap();
    check(on_postgres(&database, store.clone()).await).await;
    // Closed before the database is dropped, so no connection is half-open at that moment.
    store.close().await;
}

fn query_string(pairs: &[(&str, &str)]) -> String {
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs {
        out.append_pair(name, value);
    }
    out.finish()
}

async fn search(app: &TestApp, pairs: &[(&str, &str)]) -> (u16, Value) {
    app.get(
        &format!("/api/v1/events/search?{}", query_string(pairs)),
        None,
    )
    .await
}

async fn found(app: &TestApp, pairs: &[(&str, &str)]) -> EventSearchPage {
    let (status, body) = search(app, pairs).await;
    assert_eq!(status, 200, "{pairs:?}: {body}");
    serde_json::from_value(body).unwrap()
}

/// English titles of the events found, in order.
async fn titles(app: &TestApp, pairs: &[(&str, &str)]) -> Vec<String> {
    found(app, pairs)
        .await
        .events
        .into_iter()
        .map(|hit| hit.event.title.en)
        .collect()
}

fn organization() -> NewOrganization {
    NewOrganization {
        id: Uuid::now_v7(),
        name: Bilingual::new("أيلة للفعاليات", "Ayla Events").unwrap(),
    }
}

fn event(org: Uuid, title: Bilingual, city: City, days: i64) -> NewEvent {
    let starts = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * days);
    NewEvent {
        id: Uuid::now_v7(),
        organization_id: org,
        status: EventStatus::Published,
        title,
        description: Bilingual {
            ar: String::new(),
            en: String::new(),
        },
        category: Category::Music,
        venue: Venue {
            name: Bilingual::new("الشاطئ", "").unwrap(),
            address: Bilingual::new("الشاطئ", "").unwrap(),
            city,
            location: city.centre(),
        },
        starts_at: starts,
        ends_at: starts + jiff::SignedDuration::from_hours(2),
        time_zone: "Asia/Amman".into(),
        tags: vec![],
        ticket_types: vec![NewTicketType::simple(
            Uuid::now_v7(),
            Bilingual::new("عام", "General").unwrap(),
            Money::jod_fils(5_000),
            100,
        )],
    }
}

/// The titles found for `a`, which must be found and be the same as for `b`.
async fn same(app: &TestApp, backend: &str, a: &str, b: &str) -> Vec<String> {
    let left = titles(app, &[("q", a)]).await;
    let right = titles(app, &[("q", b)]).await;
    assert!(!left.is_empty(), "{backend}: {a} found nothing");
    assert_eq!(left, right, "{backend}: {a} / {b}");
    left
}

#[tokio::test]
async fn arabic_words_are_found_with_or_without_marks_hamza_article_or_ta_marbuta() {
    on_both(|run| async move {
        let app = &run.app;
        let backend = run.backend();
        let tarab = same(app, backend, "طَرَب", "طرب").await;
        assert!(tarab.contains(&"Jerash Festival: A Night of Tarab".to_owned()));
        let irbid = same(app, backend, "إربد", "اربد").await;
        assert!(irbid.contains(&"Yarmouk AI Hackathon".to_owned()));
        let mosaic = same(app, backend, "الفسيفساء", "فسيفساء").await;
        assert_eq!(mosaic, vec!["Madaba Mosaic Workshop"]);
        let aqaba = same(app, backend, "العقبة", "العقبه").await;
        assert!(aqaba.contains(&"Aqaba Sunset Run".to_owned()));
        let trek = same(app, backend, "١٥ كم", "15 km").await;
        assert_eq!(trek, vec!["Wadi Rum Challenge: 15 km Desert Trek"]);
        // The last word may be unfinished.
        let typing = titles(app, &[("q", "مهرجان جر")]).await;
        assert!(
            typing.contains(&"Jerash Festival: A Night of Tarab".to_owned()),
            "{typing:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_city_in_either_script_finds_events_written_only_in_the_other() {
    on_both(|run| async move {
        let app = &run.app;
        let org = organization();
        let arabic_only = event(
            org.id,
            Bilingual::new("أمسية موسيقية بحرية", "").unwrap(),
            City::Aqaba,
            3,
        );
        let english_only = event(
            org.id,
            Bilingual::new("", "Reef Music Evening").unwrap(),
            City::Aqaba,
            4,
        );
        let (ar_id, en_id) = (arabic_only.id, english_only.id);
        app.store
            .insert_catalog(vec![org], vec![arabic_only, english_only])
            .await
            .unwrap();
        for q in ["Aqaba", "aqaba", "Akaba", "العقبة", "عقبه"] {
            let page = found(app, &[("q", q), ("limit", "50")]).await;
            let ids: Vec<Uuid> = page.events.iter().map(|h| h.event.id).collect();
            assert!(
                ids.contains(&ar_id) && ids.contains(&en_id),
                "{}: {q}",
                run.backend()
            );
            assert!(
                page.events.iter().all(|h| h.event.venue.city == City::Aqaba
                    || h.event.title.ar.contains("العقبة")
                    || h.event.description.en.contains("Aqaba")
                    || h.event.description.ar.contains("العقبة")),
                "{}: {q}",
                run.backend()
            );
        }
        let petra = titles(app, &[("q", "البتراء")]).await;
        assert_eq!(petra, titles(app, &[("q", "Petra")]).await);
        assert!(petra.contains(&"Petra Half Marathon".to_owned()));
    })
    .await;
}

#[tokio::test]
async fn events_near_amman_within_10_km_come_nearest_first_and_none_from_aqaba() {
    on_both(|run| async move {
        let amman = City::Amman.centre();
        let page = found(
            &run.app,
            &[
                ("lat", &amman.lat.to_string()),
                ("lng", &amman.lng.to_string()),
                ("radius_km", "10"),
                ("sort", "distance"),
                ("limit", "50"),
            ],
        )
        .await;
        assert!(
            page.events.len() >= 8,
            "{}: {}",
            run.backend(),
            page.events.len()
        );
        let distances: Vec<f64> = page
            .events
            .iter()
            .map(|h| h.distance_km.expect("a distance"))
            .collect();
        assert!(distances.windows(2).all(|w| w[0] <= w[1]), "{distances:?}");
        assert!(distances.iter().all(|d| *d <= 10.0));
        assert!(
            page.events
                .iter()
                .all(|h| h.event.venue.city == City::Amman)
        );
        // Without a point there is no distance.
        let plain = found(&run.app, &[("q", "Amman")]).await;
        assert!(plain.events.iter().all(|h| h.distance_km.is_none()));
        // The raw JSON leaves the field out rather than sending null.
        let (_, body) = search(&run.app, &[("q", "Amman")]).await;
        assert!(body["events"][0].get("distance_km").is_none(), "{body}");
    })
    .await;
}

#[tokio::test]
async fn words_place_dates_category_city_and_price_filters_combine() {
    on_both(|run| async move {
        let app = &run.app;
        let sports_in_irbid = found(app, &[("category", "sports"), ("city", "irbid")]).await;
        assert_eq!(sports_in_irbid.events.len(), 1);
        assert_eq!(
            sports_in_irbid.events[0].event.title.en,
            "Northern Derby: Al-Hussein Irbid vs Al-Ramtha"
        );
        let free = found(app, &[("free", "true"), ("limit", "50")]).await;
        assert!(!free.events.is_empty());
        assert!(
            free.events
                .iter()
                .all(|h| h.event.price_from.unwrap().minor == 0)
        );
        let cheap = found(app, &[("max_price", "10000"), ("limit", "50")]).await;
        assert!(
            cheap
                .events
                .iter()
                .all(|h| h.event.price_from.unwrap().minor <= 10_000)
        );
        assert!(cheap.events.len() > free.events.len());
        // A window of dates: everything found overlaps it.
        let from = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * 10);
        let to = from + jiff::SignedDuration::from_hours(24 * 20);
        let window = found(
            app,
            &[
                ("from", &from.to_string()),
                ("to", &to.to_string()),
                ("limit", "50"),
            ],
        )
        .await;
        assert!(!window.events.is_empty());
        assert!(
            window
                .events
                .iter()
                .all(|h| h.event.ends_at >= from && h.event.starts_at <= to)
        );
        // Words, a place and a category together.
        let aqaba = City::Aqaba.centre();
        let near = titles(
            app,
            &[
                ("q", "غروب"),
                ("lat", &aqaba.lat.to_string()),
                ("lng", &aqaba.lng.to_string()),
                ("radius_km", "20"),
                ("category", "sports"),
            ],
        )
        .await;
        assert_eq!(near, vec!["Aqaba Sunset Run"], "{}", run.backend());
    })
    .await;
}

#[tokio::test]
async fn pages_neither_skip_nor_repeat_events_while_others_come_and_go() {
    on_both(|run| async move {
        let app = &run.app;
        let all = found(app, &[("limit", "50")]).await;
        let everything: Vec<Uuid> = all.events.iter().map(|h| h.event.id).collect();
        assert!(everything.len() >= 40);
        let org = organization();
        app.store
            .insert_catalog(vec![org.clone()], vec![])
            .await
            .unwrap();
        let mut seen: Vec<Uuid> = Vec::new();
        let mut cursor: Option<String> = None;
        let mut withdrawn: Vec<Uuid> = Vec::new();
        for round in 0.. {
            let mut pairs = vec![("limit", "7".to_owned())];
            if let Some(c) = &cursor {
                pairs.push(("cursor", c.clone()));
            }
            let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let page = found(app, &pairs).await;
            seen.extend(page.events.iter().map(|h| h.event.id));
            // Between pages: a new event soon (before the cursor) and one late (after it),
            // and one not yet seen is withdrawn.
            app.store
                .insert_catalog(
                    vec![],
                    vec![
                        event(org.id, Bilingual::new("جديد", "New soon").unwrap(), City::Amman, 0),
                        event(org.id, Bilingual::new("جديد", "New late").unwrap(), City::Amman, 300 + round),
                    ],
                )
                .await
                .unwrap();
            if let Some(victim) = everything.iter().rev().find(|id| !seen.contains(id) && !withdrawn.contains(id)) {
                let hex = victim.simple().to_string();
                let id = if run.backend() == "sqlite" {
                    format!("x'{hex}'")
                } else {
                    format!("'{victim}'")
                };
                run.execute(&format!(
                    "DELETE FROM ticket_types WHERE event_id = {id}; DELETE FROM events WHERE id = {id};"
                ));
                withdrawn.push(*victim);
            }
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), seen.len(), "{}: an event came twice", run.backend());
        for id in everything.iter().filter(|id| !withdrawn.contains(id)) {
            assert!(seen.contains(id), "{}: {id} was skipped", run.backend());
        }
        let kept: Vec<Uuid> = seen.iter().copied().filter(|id| everything.contains(id)).collect();
        let expected: Vec<Uuid> = everything.iter().copied().filter(|id| kept.contains(id)).collect();
        assert_eq!(kept, expected, "{}: the order changed", run.backend());
        assert!(seen.iter().any(|id| !everything.contains(id)), "late events are reached");
    })
    .await;
}

/// Query parameters as (name, value) pairs.
type Pairs<'a> = &'a [(&'a str, &'a str)];

#[tokio::test]
async fn every_bad_parameter_gets_its_own_code_and_never_a_server_error() {
    on_both(|run| async move {
        let long = "ح".repeat(201);
        let cases: &[(Pairs, &str, &str)] = &[
            (&[("lat", "31.9")], "invalid_location", "lng"),
            (&[("lng", "35.9")], "invalid_location", "lat"),
            (&[("lat", "91"), ("lng", "35.9")], "invalid_location", "lat"),
            (
                &[("lat", "31.9"), ("lng", "-181")],
                "invalid_location",
                "lng",
            ),
            (&[("radius_km", "5")], "invalid_location", "radius_km"),
            (
                &[("lat", "31.9"), ("lng", "35.9"), ("radius_km", "201")],
                "radius_out_of_range",
                "radius_km",
            ),
            (
                &[("lat", "31.9"), ("lng", "35.9"), ("radius_km", "0")],
                "radius_out_of_range",
                "radius_km",
            ),
            (
                &[("lat", "31.9"), ("lng", "35.9"), ("radius_km", "-3")],
                "radius_out_of_range",
                "radius_km",
            ),
            (
                &[
                    ("from", "2026-12-10T00:00:00Z"),
                    ("to", "2026-12-01T00:00:00Z"),
                ],
                "invalid_date_range",
                "to",
            ),
            (&[("category", "opera")], "unknown_category", "category"),
            (&[("city", "dubai")], "unknown_city", "city"),
            (&[("sort", "popularity")], "unknown_sort", "sort"),
            (&[("sort", "distance")], "sort_needs_location", "sort"),
            (&[("q", long.as_str())], "query_too_long", "q"),
        ];
        for (pairs, code, parameter) in cases {
            let (status, body) = search(&run.app, pairs).await;
            assert_eq!(status, 400, "{}: {pairs:?}: {body}", run.backend());
            assert_eq!(body["code"], *code, "{pairs:?}: {body}");
            assert_eq!(
                body["details"]["parameter"], *parameter,
                "{pairs:?}: {body}"
            );
            assert!(
                !body["message"].as_str().unwrap().starts_with("error-"),
                "{body}"
            );
        }
        let malformed: &[(Pairs, &str)] = &[
            (&[("lat", "north"), ("lng", "35.9")], "lat"),
            (&[("lat", "NaN"), ("lng", "35.9")], "lat"),
            (&[("lat", "31.9"), ("lng", "inf")], "lng"),
            (
                &[("lat", "31.9"), ("lng", "35.9"), ("radius_km", "ten")],
                "radius_km",
            ),
            (&[("max_price", "-1")], "max_price"),
            (&[("max_price", "1.5")], "max_price"),
            (&[("max_price", "99999999999999999999999")], "max_price"),
            (&[("free", "yes")], "free"),
            (&[("limit", "0")], "limit"),
            (&[("limit", "51")], "limit"),
            (&[("limit", "1000000000000")], "limit"),
            (&[("from", "yesterday")], "from"),
            (&[("to", "2026-13-01")], "to"),
            (&[("q", "a"), ("q", "b")], "q"),
            (&[("cursor", "not a cursor")], "cursor"),
            (&[("cursor", "AAAA")], "cursor"),
        ];
        for (pairs, name) in malformed {
            let (status, body) = search(&run.app, pairs).await;
            assert_eq!(status, 400, "{}: {pairs:?}: {body}", run.backend());
            assert_eq!(body["code"], "invalid_parameter", "{pairs:?}: {body}");
            assert!(
                body["message"].as_str().unwrap().contains(name),
                "{pairs:?}: {body}"
            );
        }
        // In Arabic by default.
        let response = reqwest::get(format!("{}/api/v1/events/search?lat=31.9", run.app.url))
            .await
            .unwrap();
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "invalid_location");
        assert!(
            body["message"].as_str().unwrap().contains("خط العرض"),
            "{body}"
        );
    })
    .await;
}

#[tokio::test]
async fn query_syntax_in_the_text_is_searched_as_plain_words() {
    on_both(|run| async move {
        let app = &run.app;
        let everything = titles(app, &[("limit", "50")]).await;
        for q in [
            "\"", "'", "*", "()", "%", "_", "\\", "^", ":", "&", "|", "!", "«»", "؟",
        ] {
            assert_eq!(
                titles(app, &[("q", q), ("limit", "50")]).await,
                everything,
                "{q}"
            );
        }
        for q in [
            "Petra AND",
            "Petra OR Aqaba",
            "NOT Petra",
            "NEAR(Petra Marathon)",
            "title:Petra",
            "Petra*",
            "\"Petra\" 'Half'",
            "Petra%",
            "Petra_",
            "Petra\\",
            "(Petra)",
            "Petra & Half",
            "Petra | Aqaba",
            "!Petra",
            "Petra^2",
        ] {
            let (status, body) = search(app, &[("q", q)]).await;
            assert_eq!(status, 200, "{}: {q}: {body}", run.backend());
        }
        assert_eq!(
            titles(app, &[("q", "\"Petra\" 'Half'")]).await,
            vec!["Petra Half Marathon"]
        );
        assert_eq!(
            titles(app, &[("q", "title:Petra")]).await,
            Vec::<String>::new()
        );
    })
    .await;
}

#[tokio::test]
async fn a_cursor_from_another_search_or_altered_is_refused() {
    on_both(|run| async move {
        let app = &run.app;
        let first = found(app, &[("q", "Amman"), ("limit", "2")]).await;
        let cursor = first.next_cursor.expect("a second page");
        let next = found(app, &[("q", "Amman"), ("limit", "2"), ("cursor", &cursor)]).await;
        assert_eq!(next.events.len(), 2);
        // Another page size is the same search.
        found(app, &[("q", "Amman"), ("limit", "5"), ("cursor", &cursor)]).await;
        let mut altered = cursor.clone().into_bytes();
        altered[10] = if altered[10] == b'A' { b'B' } else { b'A' };
        let altered = String::from_utf8(altered).unwrap();
        for (pairs, why) in [
            (
                vec![("q", "Amman"), ("cursor", altered.as_str())],
                "altered",
            ),
            (
                vec![("q", "Irbid"), ("cursor", cursor.as_str())],
                "other words",
            ),
            (
                vec![
                    ("q", "Amman"),
                    ("sort", "date"),
                    ("cursor", cursor.as_str()),
                ],
                "other order",
            ),
            (
                vec![
                    ("q", "Amman"),
                    ("city", "amman"),
                    ("cursor", cursor.as_str()),
                ],
                "other filter",
            ),
        ] {
            let (status, body) = search(app, &pairs).await;
            assert_eq!(status, 400, "{why}: {body}");
            assert_eq!(body["code"], "invalid_parameter", "{why}");
            assert_eq!(body["details"]["parameter"], "cursor", "{why}");
        }
    })
    .await;
}

/// A GET with these headers only: no compression is asked for or undone behind the test.
async fn get_with(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
    let http = reqwest::Client::builder().no_gzip().build().unwrap();
    let mut request = http.get(format!("{}{path}", app.url));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn catalog_answers_carry_an_etag_and_a_matching_if_none_match_gets_304_without_a_body() {
    let run = on_sqlite().await;
    let app = &run.app;
    for path in [
        "/api/v1/events/search?q=%D8%B9%D9%85%D8%A7%D9%86",
        "/api/v1/events?limit=5",
    ] {
        let first = get_with(app, path, &[]).await;
        assert_eq!(first.status(), 200);
        let headers = first.headers().clone();
        let tag = headers["etag"].to_str().unwrap().to_owned();
        assert!(
            tag.starts_with('"') && tag.ends_with('"'),
            "a strong tag: {tag}"
        );
        assert_eq!(
            headers["cache-control"],
            "public, max-age=30, stale-while-revalidate=60"
        );
        assert_eq!(headers["vary"], "Accept-Language, Accept-Encoding");
        let body = first.bytes().await.unwrap();
        assert!(!body.is_empty());
        // The same answer again has the same tag.
        let again = get_with(app, path, &[]).await;
        assert_eq!(again.headers()["etag"].to_str().unwrap(), tag);
        for if_none_match in [
            tag.clone(),
            format!("W/{tag}"),
            format!("\"other\", {tag}"),
            "*".to_owned(),
        ] {
            let response = get_with(app, path, &[("if-none-match", &if_none_match)]).await;
            assert_eq!(response.status(), 304, "{if_none_match}");
            assert_eq!(response.headers()["etag"].to_str().unwrap(), tag);
            assert!(response.headers().contains_key("cache-control"));
            assert!(response.bytes().await.unwrap().is_empty());
        }
        let stale = get_with(app, path, &[("if-none-match", "\"stale\"")]).await;
        assert_eq!(stale.status(), 200);
        assert_eq!(stale.bytes().await.unwrap(), body);
        // A compressed answer has its own tag, and its 304 has no body either.
        let gzip = get_with(app, path, &[("accept-encoding", "gzip")]).await;
        assert_eq!(gzip.headers()["content-encoding"], "gzip");
        let gzip_tag = gzip.headers()["etag"].to_str().unwrap().to_owned();
        assert_ne!(gzip_tag, tag);
        let not_modified = get_with(
            app,
            path,
            &[("accept-encoding", "gzip"), ("if-none-match", &gzip_tag)],
        )
        .await;
        assert_eq!(not_modified.status(), 304);
        assert!(not_modified.bytes().await.unwrap().is_empty());
    }
    // Errors and other routes are not tagged.
    let error = get_with(app, "/api/v1/events/search?sort=nope", &[]).await;
    assert_eq!(error.status(), 400);
    assert!(!error.headers().contains_key("etag"));
    let openapi = get_with(app, "/api/v1/openapi.json", &[]).await;
    assert!(!openapi.headers().contains_key("etag"));
}

#[tokio::test]
async fn a_catalog_change_changes_the_etag_and_the_next_search_answer() {
    on_both(|run| async move {
        let app = &run.app;
        let path = "/api/v1/events/search?q=Zumurrud";
        let before = get_with(app, path, &[]).await;
        let tag = before.headers()["etag"].to_str().unwrap().to_owned();
        let page: EventSearchPage = before.json().await.unwrap();
        assert!(page.events.is_empty());
        let org = organization();
        let reef = event(
            org.id,
            Bilingual::new("", "Zumurrud Night").unwrap(),
            City::Aqaba,
            2,
        );
        app.store
            .insert_catalog(vec![org], vec![reef])
            .await
            .unwrap();
        let after = wait_until(|| async {
            let response = get_with(app, path, &[("if-none-match", &tag)]).await;
            (response.status() == 200).then_some(response)
        })
        .await
        .unwrap_or_else(|| panic!("{}: the old answer was still served", run.backend()));
        assert_ne!(after.headers()["etag"].to_str().unwrap(), tag);
        let page: EventSearchPage = after.json().await.unwrap();
        assert_eq!(page.events[0].event.title.en, "Zumurrud Night");
    })
    .await;
}

/// Polls `probe` for up to a second.
async fn wait_until<T, F, Fut>(probe: F) -> Option<T>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    for _ in 0..50 {
        if let Some(value) = probe().await {
            return Some(value);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

#[tokio::test]
async fn two_instances_on_one_postgresql_drop_cached_searches_when_either_changes_the_catalog() {
    let database = FreshDatabase::create();
    let connect = || async {
        let store: Arc<dyn Store> = Arc::new(
            PgStore::connect(&database.url(), PgOptions::default())
                .await
                .unwrap(),
        );
        spawn_app_on(store, HashMap::new(), tempfile::tempdir().unwrap()).await
    };
    let a = seeded(connect().await).await;
    let b = connect().await;
    let path = "/api/v1/events/search?q=Petra";
    let count = |body: &Value| body["events"].as_array().unwrap().len();
    // B answers, and keeps the answer in its cache.
    let (_, first) = b.get(path, None).await;
    let before = count(&first);
    assert!(before >= 3, "{first}");
    // A change behind every instance's back is not announced: B answers from memory…
    let gone = first["events"][0]["event"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    database.query(&format!(
        "DELETE FROM ticket_types WHERE event_id = '{gone}'; DELETE FROM events WHERE id = '{gone}'"
    ));
    let (_, cached) = b.get(path, None).await;
    assert_eq!(count(&cached), before, "B's cache answered");
    // …until a catalog change through A is announced to it through PostgreSQL.
    let org = organization();
    let reef = event(
        org.id,
        Bilingual::new("", "Zumurrud Night").unwrap(),
        City::Aqaba,
        2,
    );
    let started = std::time::Instant::now();
    a.store.insert_catalog(vec![org], vec![reef]).await.unwrap();
    let seen = wait_until(|| async {
        let (_, body) = b.get(path, None).await;
        (count(&body) == before - 1).then_some(())
    })
    .await;
    assert!(
        seen.is_some(),
        "B served its cached answer for more than a second"
    );
    assert!(started.elapsed() < Duration::from_secs(1));
}
