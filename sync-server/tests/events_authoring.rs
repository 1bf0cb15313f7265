//! Organizers author events, admins review them, the public sees what is published: the
//! whole journey through the API, each scenario on SQLite and on PostgreSQL.

mod common;

use common::{FreshDatabase, TestApp, spawn_app, spawn_app_on};
use hafla_server::store::{CoverVariant, PgOptions, PgStore, Store};
use jiff::{SignedDuration, Timestamp};
use reqwest::Method;
use serde_json::{Value, json};
use std::sync::Arc;
use uuid::Uuid;

/// Runs a scenario `fn(&TestApp, Option<&FreshDatabase>)` once per backend.
macro_rules! on_both_backends {
    ($($scenario:ident),* $(,)?) => {$(
        mod $scenario {
            #[tokio::test]
            async fn on_sqlite() {
                let app = super::spawn_app().await;
                super::$scenario(&app, None).await;
            }

            #[tokio::test]
            async fn on_postgresql() {
                let database = super::FreshDatabase::create();
                let app = super::postgres_app(&database).await;
                super::$scenario(&app, Some(&database)).await;
            }
        }
    )*};
}

on_both_backends!(
    an_event_goes_from_draft_through_rejection_and_resubmission_to_the_public_catalog,
    arabic_only_and_english_only_events_are_both_accepted,
    another_organization_never_sees_or_changes_an_event,
    a_price_change_sends_a_published_event_back_to_review_but_a_title_change_does_not,
    every_invalid_event_is_refused_with_its_own_code_and_nothing_is_stored,
    every_invalid_edit_is_refused_with_its_own_code_and_the_event_is_unchanged,
    status_changes_the_event_is_not_ready_for_are_refused,
    a_published_events_cover_is_served_with_its_content_type_and_cached_by_hash,
    an_uploaded_cover_is_reencoded_and_replaces_the_previous_one_and_bad_images_get_their_codes,
);

async fn postgres_app(database: &FreshDatabase) -> TestApp {
    let store: Arc<dyn Store> = Arc::new(
        PgStore::connect(&database.url(), PgOptions::default())
            .await
            .unwrap(),
    );
    spawn_app_on(store, Default::default(), tempfile::tempdir().unwrap()).await
}

/// An organization with its owner, a door staff member, another organization, an admin.
struct World {
    org: Uuid,
    owner: String,
    door_staff: String,
    other_org: Uuid,
    other_owner: String,
    admin: String,
}

async fn user_id(app: &TestApp, token: &str) -> Uuid {
    let (_, me) = app.get("/api/v1/me", Some(token)).await;
    Uuid::parse_str(me["id"].as_str().unwrap()).unwrap()
}

async fn create_org(app: &TestApp, token: &str, name: &str) -> Uuid {
    let (status, org) = app
        .post(
            "/api/v1/orgs",
            Some(token),
            json!({ "name": { "ar": name, "en": "" } }),
        )
        .await;
    assert_eq!(status, 201, "{org}");
    Uuid::parse_str(org["id"].as_str().unwrap()).unwrap()
}

async fn world(app: &TestApp) -> World {
    let owner = app.register("owner@hafla.jo").await.access_token;
    let org = create_org(app, &owner, "مسرح البلد").await;
    let other_owner = app.register("other@hafla.jo").await.access_token;
    let other_org = create_org(app, &other_owner, "منظمة أخرى").await;
    // Invited first: the invitation becomes a membership when the account is made.
    let (status, body) = app
        .post(
            &format!("/api/v1/orgs/{org}/invites"),
            Some(&owner),
            json!({ "email": "door@hafla.jo", "role": "door_staff" }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let door_staff = app.register("door@hafla.jo").await.access_token;
    let admin = app.register("admin@hafla.jo").await.access_token;
    let admin_id = user_id(app, &admin).await;
    app.store.set_admin(admin_id, true).await.unwrap();
    let (_, login) = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({ "email": "admin@hafla.jo", "password": "a long enough password" }),
        )
        .await;
    World {
        org,
        owner,
        door_staff,
        other_org,
        other_owner,
        admin: login["access_token"].as_str().unwrap().to_owned(),
    }
}

fn in_days(days: i64) -> Timestamp {
    Timestamp::from_second(Timestamp::now().as_second() + days * 86_400).unwrap()
}

/// A valid event: Arabic and English title, two ticket types (one free).
fn event_input(title_ar: &str, title_en: &str) -> Value {
    let starts = in_days(30);
    json!({
        "title": { "ar": title_ar, "en": title_en },
        "description": { "ar": "أمسية موسيقية في جبل اللويبدة", "en": "" },
        "category": "music",
        "tags": ["عود", "jazz"],
        "venue": {
            "name": { "ar": "دارة الفنون", "en": "Darat al Funun" },
            "address": { "ar": "جبل اللويبدة", "en": "Jabal al-Luweibdeh" },
            "city": "amman",
            "location": { "lat": 31.9566, "lng": 35.9106 }
        },
        "starts_at": starts,
        "ends_at": starts + SignedDuration::from_hours(3),
        "ticket_types": [
            {
                "name": { "ar": "عادي", "en": "Regular" },
                "price": { "minor": 15000, "currency": "JOD" },
                "capacity": 200,
                "per_order_limit": 6,
                "entry_policy": "in_and_out"
            },
            {
                "name": { "ar": "طلاب", "en": "" },
                "price": { "minor": 0, "currency": "JOD" },
                "capacity": 50
            }
        ]
    })
}

fn events_path(org: Uuid) -> String {
    format!("/api/v1/orgs/{org}/events")
}

fn event_path(org: Uuid, event: &str) -> String {
    format!("/api/v1/orgs/{org}/events/{event}")
}

async fn put(app: &TestApp, path: &str, token: &str, body: Value) -> (u16, Value) {
    app.call(Method::PUT, path, Some(token), Some(body)).await
}

async fn create(app: &TestApp, w: &World, input: Value) -> Value {
    let (status, event) = app.post(&events_path(w.org), Some(&w.owner), input).await;
    assert_eq!(status, 201, "{event}");
    event
}

/// The body of an edit: the event as the organizer sees it, back as input.
fn as_input(event: &Value) -> Value {
    let mut input = json!({});
    for key in [
        "title",
        "description",
        "category",
        "tags",
        "venue",
        "starts_at",
        "ends_at",
        "time_zone",
        "version",
    ] {
        input[key] = event[key].clone();
    }
    input["ticket_types"] = event["ticket_types"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let mut t = t.clone();
            let object = t.as_object_mut().unwrap();
            object.retain(|_, v| !v.is_null());
            t
        })
        .collect();
    input
}

async fn step(app: &TestApp, path: &str, token: &str, body: Value) -> Value {
    let (status, event) = app.post(path, Some(token), body).await;
    assert_eq!(status, 200, "{path}: {event}");
    event
}

async fn publish(app: &TestApp, w: &World, event: &Value) -> Value {
    let id = event["id"].as_str().unwrap();
    step(
        app,
        &format!("{}/submit", event_path(w.org, id)),
        &w.owner,
        json!({}),
    )
    .await;
    step(
        app,
        &format!("/api/v1/admin/events/{id}/approve"),
        &w.admin,
        json!({}),
    )
    .await
}

async fn public_status(app: &TestApp, id: &str) -> u16 {
    app.get(&format!("/api/v1/events/{id}"), None).await.0
}

async fn an_event_goes_from_draft_through_rejection_and_resubmission_to_the_public_catalog(
    app: &TestApp,
    database: Option<&FreshDatabase>,
) {
    let w = world(app).await;
    let draft = create(app, &w, event_input("أمسية عود", "")).await;
    let id = draft["id"].as_str().unwrap().to_owned();
    assert_eq!(draft["status"], "draft");
    assert_eq!(draft["version"], 1);
    assert_eq!(draft["time_zone"], "Asia/Amman", "the default zone");
    assert_eq!(draft["ticket_types"][0]["entry_policy"], "in_and_out");
    assert_eq!(draft["ticket_types"][0]["per_order_limit"], 6);
    assert_eq!(
        draft["ticket_types"][1]["per_order_limit"], 10,
        "the default"
    );
    assert_eq!(draft["ticket_types"][1]["price"]["minor"], 0, "free");
    assert_eq!(public_status(app, &id).await, 404, "a draft is not public");
    let (status, listed) = app.get(&events_path(w.org), Some(&w.door_staff)).await;
    assert_eq!(status, 200, "{listed}");
    assert_eq!(listed[0]["id"], id.as_str(), "any member sees the list");

    let submitted = step(
        app,
        &format!("{}/submit", event_path(w.org, &id)),
        &w.owner,
        json!({}),
    )
    .await;
    assert_eq!(submitted["status"], "pending_review");
    assert_eq!(public_status(app, &id).await, 404, "pending is not public");
    let (_, queue) = app
        .get("/api/v1/admin/events/review-queue", Some(&w.admin))
        .await;
    assert_eq!(queue["total"], 1, "{queue}");
    assert_eq!(queue["events"][0]["id"], id.as_str());

    let reject = format!("/api/v1/admin/events/{id}/reject");
    let (status, body) = app
        .post(&reject, Some(&w.admin), json!({ "reason": "   " }))
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("reason_required"))
    );
    let reason = "صورة الغلاف لا تخص الفعالية";
    let rejected = step(app, &reject, &w.admin, json!({ "reason": reason })).await;
    assert_eq!(rejected["status"], "rejected");
    assert_eq!(public_status(app, &id).await, 404, "rejected is not public");

    // The organizer sees why, on the event and in its trail.
    let (_, seen) = app.get(&event_path(w.org, &id), Some(&w.owner)).await;
    assert_eq!(seen["rejection_reason"], reason);
    let (status, trail) = app
        .get(
            &format!("{}/reviews", event_path(w.org, &id)),
            Some(&w.owner),
        )
        .await;
    assert_eq!(status, 200, "{trail}");
    let actions: Vec<&str> = trail
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["submitted", "rejected"]);
    assert_eq!(trail[1]["reason"], reason);

    let mut edit = as_input(&seen);
    edit["title"]["en"] = json!("Oud night");
    let (status, edited) = put(app, &event_path(w.org, &id), &w.owner, edit).await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(
        (edited["version"].as_u64(), edited["status"].as_str()),
        (Some(2), Some("rejected"))
    );
    step(
        app,
        &format!("{}/submit", event_path(w.org, &id)),
        &w.owner,
        json!({}),
    )
    .await;
    let approved = step(
        app,
        &format!("/api/v1/admin/events/{id}/approve"),
        &w.admin,
        json!({}),
    )
    .await;
    assert_eq!(approved["status"], "published");
    assert_eq!(approved["rejection_reason"], Value::Null);

    let (status, public) = app.get(&format!("/api/v1/events/{id}"), None).await;
    assert_eq!(status, 200, "{public}");
    assert_eq!(
        public["title"],
        json!({ "ar": "أمسية عود", "en": "Oud night" })
    );
    assert_eq!(public["organizer"]["ar"], "مسرح البلد");
    assert_eq!(
        public["price_from"],
        json!({ "minor": 0, "currency": "JOD" })
    );
    assert_eq!(public["ticket_types"].as_array().unwrap().len(), 2);
    assert_eq!(public["tags"], json!(["عود", "jazz"]));
    assert!(public.get("status").is_none() && public.get("version").is_none());
    let (_, catalog) = app.get("/api/v1/events", None).await;
    assert_eq!(catalog["events"][0]["id"], id.as_str(), "listed publicly");

    if let Some(db) = database {
        // The search columns follow the edit: the English title is indexed, the cheapest is free.
        let row = db.query(&format!(
            "SELECT price_min_minor::text || ' ' || search_text FROM events WHERE id = '{id}'"
        ));
        assert!(row[0].starts_with("0 "), "{row:?}");
        assert!(
            row[0].contains("oud") && row[0].contains("night"),
            "{row:?}"
        );
    }
}

async fn arabic_only_and_english_only_events_are_both_accepted(
    app: &TestApp,
    _: Option<&FreshDatabase>,
) {
    let w = world(app).await;
    let arabic = create(app, &w, event_input("ليلة طرب", "")).await;
    assert_eq!(arabic["title"], json!({ "ar": "ليلة طرب", "en": "" }));
    let mut english = event_input("", "Jazz in the Citadel");
    english["description"] = json!({ "ar": "", "en": "Live jazz under the stars" });
    let english = create(app, &w, english).await;
    assert_eq!(
        english["title"],
        json!({ "ar": "", "en": "Jazz in the Citadel" })
    );
    let published = publish(app, &w, &english).await;
    assert_eq!(published["status"], "published");
    let (status, public) = app
        .get(
            &format!("/api/v1/events/{}", english["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(status, 200, "{public}");
    assert_eq!(public["description"]["en"], "Live jazz under the stars");
}

async fn another_organization_never_sees_or_changes_an_event(
    app: &TestApp,
    _: Option<&FreshDatabase>,
) {
    let w = world(app).await;
    let event = create(app, &w, event_input("أمسية عود", "")).await;
    let id = event["id"].as_str().unwrap();
    // Through our organization's path: not a member.
    let (status, _) = app.get(&event_path(w.org, id), Some(&w.other_owner)).await;
    assert_eq!(status, 403);
    // Through their own organization's path: the event does not exist there.
    let theirs = event_path(w.other_org, id);
    let (status, body) = app.get(&theirs, Some(&w.other_owner)).await;
    assert_eq!((status, body["code"].as_str()), (404, Some("not_found")));
    let (status, _) = put(app, &theirs, &w.other_owner, as_input(&event)).await;
    assert_eq!(status, 404);
    for action in ["submit", "cancel"] {
        let (status, _) = app
            .post(
                &format!("{theirs}/{action}"),
                Some(&w.other_owner),
                json!({}),
            )
            .await;
        assert_eq!(status, 404, "{action}");
    }
    let (status, _) = app
        .get(&format!("{theirs}/reviews"), Some(&w.other_owner))
        .await;
    assert_eq!(status, 404);
    let (_, listed) = app
        .get(&events_path(w.other_org), Some(&w.other_owner))
        .await;
    assert_eq!(listed, json!([]));
    // Door staff read but do not write.
    let (status, _) = put(app, &event_path(w.org, id), &w.door_staff, as_input(&event)).await;
    assert_eq!(status, 403);
    let (_, unchanged) = app.get(&event_path(w.org, id), Some(&w.owner)).await;
    assert_eq!(
        (unchanged["version"].as_u64(), unchanged["status"].as_str()),
        (Some(1), Some("draft"))
    );
}

async fn a_price_change_sends_a_published_event_back_to_review_but_a_title_change_does_not(
    app: &TestApp,
    _: Option<&FreshDatabase>,
) {
    let w = world(app).await;
    let event = create(app, &w, event_input("أمسية عود", "Oud evening")).await;
    let id = event["id"].as_str().unwrap().to_owned();
    let published = publish(app, &w, &event).await;

    let mut cosmetic = as_input(&published);
    cosmetic["title"]["en"] = json!("An evening of oud");
    cosmetic["ticket_types"][0]["capacity"] = json!(300);
    cosmetic["tags"] = json!(["طرب"]);
    let (status, edited) = put(app, &event_path(w.org, &id), &w.owner, cosmetic).await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(
        edited["status"], "published",
        "cosmetic edits stay published"
    );
    assert_eq!(public_status(app, &id).await, 200);
    let (_, public) = app.get(&format!("/api/v1/events/{id}"), None).await;
    assert_eq!(public["title"]["en"], "An evening of oud");

    let mut pricier = as_input(&edited);
    pricier["ticket_types"][0]["price"]["minor"] = json!(20_000);
    let (status, edited) = put(app, &event_path(w.org, &id), &w.owner, pricier).await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(
        edited["status"], "pending_review",
        "attendees paid for another price"
    );
    assert_eq!(
        public_status(app, &id).await,
        404,
        "gone from the public catalog"
    );
    let (_, catalog) = app.get("/api/v1/events", None).await;
    assert_eq!(catalog["total"], 0);
    let (_, trail) = app
        .get(
            &format!("{}/reviews", event_path(w.org, &id)),
            Some(&w.owner),
        )
        .await;
    let last = trail.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["action"], "returned_to_review");
    assert!(last["reason"].as_str().unwrap().contains("price"), "{last}");
    let (_, queue) = app
        .get("/api/v1/admin/events/review-queue", Some(&w.admin))
        .await;
    assert_eq!(queue["events"][0]["id"], id.as_str(), "back in the queue");
    step(
        app,
        &format!("/api/v1/admin/events/{id}/approve"),
        &w.admin,
        json!({}),
    )
    .await;
    assert_eq!(
        public_status(app, &id).await,
        200,
        "public again once approved"
    );

    // Moving the event is material too.
    let (_, current) = app.get(&event_path(w.org, &id), Some(&w.owner)).await;
    let mut moved = as_input(&current);
    moved["venue"]["location"] = json!({ "lat": 32.5556, "lng": 35.85 });
    moved["venue"]["city"] = json!("irbid");
    let (_, edited) = put(app, &event_path(w.org, &id), &w.owner, moved).await;
    assert_eq!(edited["status"], "pending_review");
}

/// Applies `change` to a valid input.
fn with(change: impl FnOnce(&mut Value)) -> Value {
    let mut input = event_input("أمسية عود", "Oud night");
    change(&mut input);
    input
}

async fn every_invalid_event_is_refused_with_its_own_code_and_nothing_is_stored(
    app: &TestApp,
    _: Option<&FreshDatabase>,
) {
    let w = world(app).await;
    let starts = in_days(30);
    let long = |n: usize| "ع".repeat(n);
    let cases: Vec<(&str, Value, u16, &str)> = vec![
        (
            "no title",
            with(|e| e["title"] = json!({ "ar": " ", "en": "" })),
            422,
            "title_required",
        ),
        (
            "no description",
            with(|e| e["description"] = json!({ "ar": "", "en": "" })),
            422,
            "description_required",
        ),
        (
            "long title",
            with(|e| e["title"]["en"] = json!(long(201))),
            422,
            "text_too_long",
        ),
        (
            "long description",
            with(|e| e["description"]["ar"] = json!(long(10_001))),
            422,
            "text_too_long",
        ),
        (
            "eleven tags",
            with(|e| e["tags"] = json!((0..11).map(|i| format!("t{i}")).collect::<Vec<_>>())),
            422,
            "too_many_tags",
        ),
        (
            "long tag",
            with(|e| e["tags"] = json!([long(41)])),
            422,
            "text_too_long",
        ),
        (
            "unknown category",
            with(|e| e["category"] = json!("opera")),
            422,
            "invalid_body",
        ),
        (
            "unknown city",
            with(|e| e["venue"]["city"] = json!("paris")),
            422,
            "invalid_body",
        ),
        (
            "latitude out of range",
            with(|e| e["venue"]["location"]["lat"] = json!(95.0)),
            422,
            "invalid_location",
        ),
        (
            "outside Jordan",
            with(|e| e["venue"]["location"] = json!({ "lat": 48.85, "lng": 2.35 })),
            422,
            "location_outside_jordan",
        ),
        (
            "ends at its start",
            with(|e| e["ends_at"] = json!(starts)),
            422,
            "event_ends_before_start",
        ),
        (
            "ends before it starts",
            with(|e| e["ends_at"] = json!(starts - SignedDuration::from_hours(1))),
            422,
            "event_ends_before_start",
        ),
        (
            "starts in the past",
            with(|e| e["starts_at"] = json!(in_days(-1))),
            422,
            "event_starts_in_past",
        ),
        (
            "unknown zone",
            with(|e| e["time_zone"] = json!("Mars/Olympus_Mons")),
            422,
            "unknown_time_zone",
        ),
        (
            "negative price",
            with(|e| e["ticket_types"][0]["price"]["minor"] = json!(-1)),
            422,
            "invalid_price",
        ),
        (
            "price over 10,000 JOD",
            with(|e| e["ticket_types"][0]["price"]["minor"] = json!(10_000_001)),
            422,
            "invalid_price",
        ),
        (
            "priced in dollars",
            with(|e| e["ticket_types"][0]["price"]["currency"] = json!("USD")),
            422,
            "unsupported_currency",
        ),
        (
            "no capacity",
            with(|e| e["ticket_types"][0]["capacity"] = json!(0)),
            422,
            "invalid_capacity",
        ),
        (
            "capacity over 100,000",
            with(|e| e["ticket_types"][0]["capacity"] = json!(100_001)),
            422,
            "invalid_capacity",
        ),
        (
            "sales end before they start",
            with(|e| {
                e["ticket_types"][0]["sales_start"] = json!(in_days(10));
                e["ticket_types"][0]["sales_end"] = json!(in_days(5));
            }),
            422,
            "invalid_sales_window",
        ),
        (
            "sales end after the event",
            with(|e| e["ticket_types"][0]["sales_end"] = json!(in_days(31))),
            422,
            "invalid_sales_window",
        ),
        (
            "per-order limit 0",
            with(|e| e["ticket_types"][0]["per_order_limit"] = json!(0)),
            422,
            "invalid_per_order_limit",
        ),
        (
            "per-order limit 101",
            with(|e| e["ticket_types"][0]["per_order_limit"] = json!(101)),
            422,
            "invalid_per_order_limit",
        ),
        (
            "unnamed ticket type",
            with(|e| e["ticket_types"][0]["name"] = json!({ "ar": "", "en": " " })),
            422,
            "ticket_type_name_required",
        ),
        (
            "ticket type id on create",
            with(|e| e["ticket_types"][0]["id"] = json!(Uuid::now_v7())),
            422,
            "unknown_ticket_type",
        ),
        (
            "version on create",
            with(|e| e["version"] = json!(1)),
            422,
            "invalid_body",
        ),
        (
            "unknown field",
            with(|e| e["colour"] = json!("red")),
            422,
            "invalid_body",
        ),
    ];
    let mut wrong = vec![];
    for (name, input, status, code) in cases {
        let (got, body) = app.post(&events_path(w.org), Some(&w.owner), input).await;
        if (got, body["code"].as_str()) != (status, Some(code)) {
            wrong.push(format!(
                "{name}: expected {status} {code}, got {got} {body}"
            ));
        }
        if code != "invalid_body" && body["details"]["field"].is_null() {
            wrong.push(format!("{name}: no field named in {body}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    let (_, listed) = app.get(&events_path(w.org), Some(&w.owner)).await;
    assert_eq!(listed, json!([]), "nothing was stored");
    // A message in Arabic by default, with the limit in it.
    let response = app
        .http
        .post(format!("{}{}", app.url, events_path(w.org)))
        .bearer_auth(&w.owner)
        .json(&with(|e| e["title"]["en"] = json!(long(201))))
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert!(body["message"].as_str().unwrap().contains("200"), "{body}");
    assert_eq!(body["details"], json!({ "field": "title.en", "max": 200 }));
}

async fn every_invalid_edit_is_refused_with_its_own_code_and_the_event_is_unchanged(
    app: &TestApp,
    _: Option<&FreshDatabase>,
) {
    let w = world(app).await;
    let event = create(app, &w, event_input("أمسية عود", "")).await;
    let id = event["id"].as_str().unwrap().to_owned();
    let path = event_path(w.org, &id);
    let edit = |change: &dyn Fn(&mut Value)| {
        let mut input = as_input(&event);
        change(&mut input);
        input
    };
    let first_type = event["ticket_types"][0]["id"].clone();
    let cases: Vec<(&str, Value, u16, &str)> = vec![
        (
            "stale version",
            edit(&|e| e["version"] = json!(0)),
            409,
            "edit_conflict",
        ),
        (
            "no version",
            edit(&|e| e.as_object_mut().unwrap().retain(|k, _| k != "version")),
            422,
            "invalid_body",
        ),
        (
            "duplicate ticket type",
            edit(&|e| e["ticket_types"][1]["id"] = first_type.clone()),
            422,
            "duplicate_ticket_type",
        ),
        (
            "another event's ticket type",
            edit(&|e| e["ticket_types"][1]["id"] = json!(Uuid::now_v7())),
            422,
            "unknown_ticket_type",
        ),
        (
            "no title",
            edit(&|e| e["title"] = json!({ "ar": "", "en": "" })),
            422,
            "title_required",
        ),
        (
            "price over 10,000 JOD",
            edit(&|e| e["ticket_types"][0]["price"]["minor"] = json!(10_000_001)),
            422,
            "invalid_price",
        ),
        (
            "moved to the past",
            edit(&|e| e["starts_at"] = json!(in_days(-2))),
            422,
            "event_starts_in_past",
        ),
    ];
    let mut wrong = vec![];
    for (name, input, status, code) in cases {
        let (got, body) = put(app, &path, &w.owner, input).await;
        if (got, body["code"].as_str()) != (status, Some(code)) {
            wrong.push(format!(
                "{name}: expected {status} {code}, got {got} {body}"
            ));
        }
        if code == "edit_conflict" && body["details"]["current_version"] != 1 {
            wrong.push(format!("{name}: no current version in {body}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    let (_, after) = app.get(&path, Some(&w.owner)).await;
    assert_eq!(after, event, "the event is unchanged");

    // Two editors on version 1: the second is told, and its edit is not saved.
    let (status, _) = put(app, &path, &w.owner, edit(&|e| e["tags"] = json!(["أول"]))).await;
    assert_eq!(status, 200);
    let (status, body) = put(app, &path, &w.owner, edit(&|e| e["tags"] = json!(["ثانٍ"]))).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("edit_conflict"))
    );
    let (_, after) = app.get(&path, Some(&w.owner)).await;
    assert_eq!(
        (after["tags"].clone(), after["version"].clone()),
        (json!(["أول"]), json!(2))
    );

    // A cancelled event cannot change any more.
    step(app, &format!("{path}/cancel"), &w.owner, json!({})).await;
    let (status, body) = put(app, &path, &w.owner, as_input(&after)).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("event_cancelled"))
    );
}

async fn status_changes_the_event_is_not_ready_for_are_refused(
    app: &TestApp,
    _: Option<&FreshDatabase>,
) {
    let w = world(app).await;
    let empty = create(app, &w, with(|e| e["ticket_types"] = json!([]))).await;
    let empty_id = empty["id"].as_str().unwrap();
    let (status, body) = app
        .post(
            &format!("{}/submit", event_path(w.org, empty_id)),
            Some(&w.owner),
            json!({}),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("ticket_types_required"))
    );

    let event = create(app, &w, event_input("أمسية عود", "")).await;
    let id = event["id"].as_str().unwrap();
    let approve = format!("/api/v1/admin/events/{id}/approve");
    let (status, body) = app.post(&approve, Some(&w.admin), json!({})).await;
    assert_eq!(
        (
            status,
            body["code"].as_str(),
            body["details"]["status"].as_str()
        ),
        (409, Some("invalid_status_transition"), Some("draft"))
    );
    let (status, _) = app
        .post(
            &format!("/api/v1/admin/events/{}/approve", Uuid::now_v7()),
            Some(&w.admin),
            json!({}),
        )
        .await;
    assert_eq!(status, 404);
    let cancel = format!("{}/cancel", event_path(w.org, id));
    step(app, &cancel, &w.owner, json!({})).await;
    let (status, body) = app.post(&cancel, Some(&w.owner), json!({})).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("invalid_status_transition"))
    );
    let (status, body) = app
        .post(
            &format!("/api/v1/admin/events/{id}/reject"),
            Some(&w.admin),
            json!({ "reason": "x".repeat(1001) }),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("text_too_long"))
    );
    let (_, trail) = app
        .get(
            &format!("{}/reviews", event_path(w.org, id)),
            Some(&w.owner),
        )
        .await;
    assert_eq!(
        trail.as_array().unwrap().len(),
        1,
        "only the cancellation: {trail}"
    );
}

async fn a_published_events_cover_is_served_with_its_content_type_and_cached_by_hash(
    app: &TestApp,
    _: Option<&FreshDatabase>,
) {
    let w = world(app).await;
    let event = create(app, &w, event_input("أمسية عود", "")).await;
    let id: Uuid = event["id"].as_str().unwrap().parse().unwrap();
    let variants = ["large", "medium", "thumb"]
        .into_iter()
        .map(|name| CoverVariant {
            variant: name.into(),
            content_type: "image/jpeg".into(),
            width: 800,
            height: 450,
            sha256: format!("{name}-hash"),
            bytes: format!("jpeg bytes of {name}").into_bytes(),
        })
        .collect();
    app.store
        .save_cover(id, w.org, "cover-hash".into(), variants, Timestamp::now())
        .await
        .unwrap();
    let (_, draft) = app
        .get(&event_path(w.org, &id.to_string()), Some(&w.owner))
        .await;
    let preview = draft["cover"]["medium"].as_str().unwrap().to_owned();
    assert_eq!(
        preview,
        format!(
            "/api/v1/orgs/{}/events/{id}/cover/medium?v=cover-hash",
            w.org
        )
    );
    let get = |path: String| {
        let http = app.http.clone();
        let base = app.url.clone();
        async move { http.get(format!("{base}{path}")).send().await.unwrap() }
    };
    // The organization previews its draft's cover; nobody else sees it.
    let previewed = app
        .http
        .get(format!("{}{preview}", app.url))
        .bearer_auth(&w.owner)
        .send()
        .await
        .unwrap();
    assert_eq!(previewed.status(), 200);
    assert_eq!(
        previewed.headers()["cache-control"],
        "private, max-age=31536000, immutable"
    );
    assert_eq!(
        previewed.bytes().await.unwrap().as_ref(),
        b"jpeg bytes of medium"
    );
    assert_eq!(get(preview.clone()).await.status(), 401);
    let url = format!("/api/v1/events/{id}/cover/medium?v=cover-hash");
    assert_eq!(
        get(url.clone()).await.status(),
        404,
        "a draft's cover is not public"
    );
    publish(app, &w, &event).await;
    let response = get(url.clone()).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "image/jpeg");
    assert_eq!(
        response.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(
        response.bytes().await.unwrap().as_ref(),
        b"jpeg bytes of medium"
    );
    let unpinned = get(format!("/api/v1/events/{id}/cover/medium")).await;
    assert_eq!(unpinned.headers()["cache-control"], "public, max-age=300");
    let (_, public) = app.get(&format!("/api/v1/events/{id}"), None).await;
    assert_eq!(
        public["cover"]["thumb"],
        format!("/api/v1/events/{id}/cover/thumb?v=cover-hash")
    );
    assert_eq!(
        get(format!("/api/v1/events/{id}/cover/huge"))
            .await
            .status(),
        404
    );
}

/// A PNG of `width` × `height` pixels; `noisy` makes it large (noise does not compress).
fn png(width: u32, height: u32, noisy: bool) -> Vec<u8> {
    let mut seed: u32 = 0x2545_f491;
    let image = image::RgbImage::from_fn(width, height, |x, y| {
        if noisy {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let [a, b, c, _] = seed.to_le_bytes();
            image::Rgb([a, b, c])
        } else {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 120])
        }
    });
    let mut bytes = std::io::Cursor::new(Vec::new());
    image.write_to(&mut bytes, image::ImageFormat::Png).unwrap();
    bytes.into_inner()
}

async fn upload(app: &TestApp, path: &str, token: &str, bytes: Vec<u8>) -> (u16, Value) {
    let response = app
        .http
        .put(format!("{}{path}/cover", app.url))
        .header("accept-language", "en")
        .header("content-type", "image/png")
        .bearer_auth(token)
        .body(bytes)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// The whole answer to an upload that declares `length` bytes and sends none of them.
async fn declared_upload(app: &TestApp, path: &str, token: &str, length: usize) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = app.url.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let request = format!(
        "PUT {path}/cover HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\n\
         Accept-Language: en\r\nContent-Type: image/png\r\nContent-Length: {length}\r\n\
         Connection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    String::from_utf8_lossy(&answer).into_owned()
}

async fn an_uploaded_cover_is_reencoded_and_replaces_the_previous_one_and_bad_images_get_their_codes(
    app: &TestApp,
    _: Option<&FreshDatabase>,
) {
    let w = world(app).await;
    let event = create(app, &w, event_input("أمسية عود", "")).await;
    let id = event["id"].as_str().unwrap().to_owned();
    let path = event_path(w.org, &id);
    let published = publish(app, &w, &event).await;

    let first = png(640, 360, false);
    let (status, with_cover) = upload(app, &path, &w.owner, first).await;
    assert_eq!(status, 200, "{with_cover}");
    assert_eq!(with_cover["status"], "published", "a new cover is cosmetic");
    assert_eq!(
        with_cover["version"], published["version"],
        "not a content edit"
    );
    let large = with_cover["cover"]["large"].as_str().unwrap().to_owned();
    let response = app
        .http
        .get(format!("{}{large}", app.url))
        .bearer_auth(&w.owner)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "image/jpeg");
    let jpeg = response.bytes().await.unwrap();
    assert_eq!(&jpeg[..2], &[0xff, 0xd8], "re-encoded as JPEG");

    // Bigger than the 1 MiB every JSON body is held to, well under the 10 MiB for images.
    let big = png(720, 540, true);
    assert!(big.len() > 1024 * 1024, "{} bytes", big.len());
    let (status, replaced) = upload(app, &path, &w.owner, big).await;
    assert_eq!(status, 200, "{replaced}");
    let thumb = replaced["cover"]["thumb"].as_str().unwrap().to_owned();
    assert_ne!(
        thumb,
        with_cover["cover"]["thumb"].as_str().unwrap(),
        "a new hash, a new URL"
    );
    let public_large = large.replace(
        &format!("/api/v1/orgs/{}/events/", w.org),
        "/api/v1/events/",
    );
    let response = app
        .http
        .get(format!("{}{public_large}", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()["cache-control"],
        "public, max-age=300",
        "the old URL's hash is no longer the cover's: not cached for good"
    );

    let mut truncated = png(640, 360, true);
    truncated.truncate(truncated.len() / 2);
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        (
            "text",
            b"GIF89a? no, just text".to_vec(),
            415,
            "unsupported_image_type",
        ),
        ("tiny", png(100, 100, false), 422, "image_too_small"),
        // Wider than any cover (8000 px): refused from the header, before decoding.
        (
            "too wide",
            png(8001, 4, false),
            422,
            "image_too_many_pixels",
        ),
        ("truncated", truncated, 422, "image_corrupt"),
    ];
    let mut wrong = vec![];
    for (name, bytes, status, code) in cases {
        let (got, body) = upload(app, &path, &w.owner, bytes).await;
        if (got, body["code"].as_str()) != (status, Some(code)) {
            wrong.push(format!(
                "{name}: expected {status} {code}, got {got} {body}"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // Declared over 10 MiB: refused from the header, before any of it is read.
    let head = declared_upload(app, &path, &w.owner, 11 * 1024 * 1024).await;
    assert!(head.starts_with("HTTP/1.1 413"), "{head}");
    assert!(head.contains("\"code\":\"image_too_large\""), "{head}");
    let (status, _) = upload(app, &path, &w.door_staff, png(640, 360, false)).await;
    assert_eq!(status, 403, "door staff do not change covers");
    let theirs = event_path(w.other_org, &id);
    let (status, _) = upload(app, &theirs, &w.other_owner, png(640, 360, false)).await;
    assert_eq!(status, 404, "not through another organization");
    let (_, after) = app.get(&path, Some(&w.owner)).await;
    assert_eq!(
        after["cover"], replaced["cover"],
        "refused uploads changed nothing"
    );
}
