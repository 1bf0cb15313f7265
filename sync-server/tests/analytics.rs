//! Organizer and admin analytics over real HTTP: the dashboards' figures after real sales,
//! page views and refunds; every bad parameter's own error; one organization's people
//! never reading another's figures; CSV exports that spreadsheets open safely.

mod common;

use common::{FreshDatabase, TestApp, spawn_app, spawn_app_on};
use hafla_core::Bilingual;
use hafla_core::money::Money;
use hafla_server::checkout::sandbox::{self, Choice};
use hafla_server::store::{Invite, NewTicketType, OrgRole, PgOptions, PgStore, Store};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use uuid::Uuid;

fn id(value: &Value) -> Uuid {
    value["id"].as_str().unwrap().parse().unwrap()
}

/// An organization made through the API, its owner's token, and a published show of it
/// (General at 12.500 JOD, 10 places) with its General ticket type.
async fn show(app: &TestApp, owner_email: &str) -> (Uuid, String, Uuid, Uuid) {
    let owner = app.register(owner_email).await.access_token;
    let (status, org) = app
        .post(
            "/api/v1/orgs",
            Some(&owner),
            json!({"name": {"ar": "سهرة لايف", "en": "Sahra Live"}}),
        )
        .await;
    assert_eq!(status, 201, "{org}");
    let org_id = id(&org);
    let general = NewTicketType::simple(
        Uuid::now_v7(),
        Bilingual::new("عام", "General").unwrap(),
        Money::jod_fils(12_500),
        10,
    );
    let event = common::event_on_sale(org_id, ("حكايا", "Hakaya"), vec![general.clone()]);
    let event_id = event.id;
    app.store.insert_catalog(vec![], vec![event]).await.unwrap();
    (org_id, owner, event_id, general.id)
}

/// `email` joins the organization as `role`; their token.
async fn member(app: &TestApp, org_id: Uuid, owner: &str, email: &str, role: OrgRole) -> String {
    let token = app.register(email).await.access_token;
    let (_, me) = app.get("/api/v1/me", Some(owner)).await;
    let invite = Invite {
        id: Uuid::now_v7(),
        organization_id: org_id,
        email: Some(email.into()),
        phone: None,
        role,
        invited_by: id(&me),
        created_at: jiff::Timestamp::now(),
    };
    app.store.create_invite(invite).await.unwrap();
    let (_, them) = app.get("/api/v1/me", Some(&token)).await;
    app.store
        .accept_invites(id(&them), Some(email), None, jiff::Timestamp::now())
        .await
        .unwrap();
    token
}

/// Reserves `n` tickets as `token` and pays them on the sandbox page.
async fn buy(app: &TestApp, token: &str, event_id: Uuid, ticket_type: Uuid, n: u32) -> Uuid {
    let (status, order) = app
        .post(
            "/api/v1/orders",
            Some(token),
            json!({"event_id": event_id, "lines": [{"ticket_type_id": ticket_type, "quantity": n}]}),
        )
        .await;
    assert_eq!(status, 201, "{order}");
    let (status, started) = app
        .post(
            &format!("/api/v1/orders/{}/pay", id(&order)),
            Some(token),
            json!({ "method": "sandbox" }),
        )
        .await;
    assert_eq!(status, 200, "{started}");
    let payment: Uuid = started["redirect_url"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let (body, signature) = app
        .checkout
        .sandbox()
        .unwrap()
        .choose(payment, Choice::Approve)
        .unwrap();
    let mut headers = axum::http::HeaderMap::new();
    headers.insert(sandbox::SIGNATURE_HEADER, signature.parse().unwrap());
    app.checkout
        .notification("sandbox", &headers, &body, jiff::Timestamp::now())
        .await
        .unwrap();
    id(&order)
}

/// A buyer with this display name; their token.
async fn buyer(app: &TestApp, email: &str, name: &str) -> String {
    let (status, body) = app
        .post(
            "/api/v1/auth/register",
            None,
            json!({ "email": email, "password": "a long enough password", "display_name": name }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body["access_token"].as_str().unwrap().to_owned()
}

async fn sales_views_and_refunds_reach_the_event_dashboard(app: TestApp) {
    let (org_id, owner, event_id, general) = show(&app, "owner@sahra.jo").await;
    let analyst = member(&app, org_id, &owner, "analyst@sahra.jo", OrgRole::Analyst).await;
    for _ in 0..3 {
        let (status, _) = app.get(&format!("/api/v1/events/{event_id}"), None).await;
        assert_eq!(status, 200);
    }
    let rania = buyer(&app, "rania@example.jo", "رانيا").await;
    let order = buy(&app, &rania, event_id, general, 2).await;
    let first = app.store.order_tickets(order).await.unwrap()[0].id;
    let (status, refund) = app
        .post(
            &format!("/api/v1/orgs/{org_id}/orders/{order}/refunds"),
            Some(&owner),
            json!({ "reason": "asked by the buyer", "ticket_ids": [first] }),
        )
        .await;
    assert!(status < 300, "{status} {refund}");

    let path = format!("/api/v1/orgs/{org_id}/events/{event_id}/analytics");
    let (status, dash) = app.get(&path, Some(&analyst)).await;
    assert_eq!(status, 200, "{dash}");
    assert_eq!(dash["time_zone"], "Asia/Amman");
    assert_eq!(dash["bucket"], "day");
    assert_eq!(dash["totals"]["sold"], 2);
    assert_eq!(dash["totals"]["revenue_fils"], 25_000);
    assert_eq!(dash["totals"]["refunded"], 1);
    assert_eq!(dash["totals"]["refund_fils"], 12_500, "{dash}");
    assert_eq!(dash["totals"]["net_fils"], 12_500);
    assert_eq!(dash["capacity"]["left"], 9);
    assert_eq!(dash["payment_methods"][0]["method"], "sandbox");
    assert_eq!(dash["ticket_types"][0]["capacity"], 10);
    assert_eq!(dash["funnel"]["views"], 3);
    assert_eq!(dash["funnel"]["checkouts_started"], 1);
    assert_eq!(dash["funnel"]["paid"], 1);
    assert_eq!(dash["no_show"]["pending"], "event_not_ended");
    assert_eq!(dash["no_show"]["rate_basis_points"], Value::Null);
    assert_eq!(dash["sales"].as_array().unwrap().len(), 30);
    let today = &dash["sales"][29];
    assert_eq!(today["sales"]["sold"], 2, "{today}");
    let by_hour = format!("{path}?bucket=hour");
    let (status, hourly) = app.get(&by_hour, Some(&analyst)).await;
    assert_eq!(status, 200, "{hourly}");
    assert_eq!(hourly["sales"].as_array().unwrap().len(), 48);
    let sold: u64 = hourly["sales"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["sales"]["sold"].as_u64().unwrap())
        .sum();
    assert_eq!(sold, 2);

    let (status, org) = app
        .get(&format!("/api/v1/orgs/{org_id}/analytics"), Some(&analyst))
        .await;
    assert_eq!(status, 200, "{org}");
    assert_eq!(org["events"][0]["event_id"], event_id.to_string());
    assert_eq!(org["totals"]["sold"], 2);
}

#[tokio::test]
async fn sales_views_and_refunds_reach_the_event_dashboard_on_sqlite() {
    sales_views_and_refunds_reach_the_event_dashboard(spawn_app().await).await;
}

#[tokio::test]
async fn sales_views_and_refunds_reach_the_event_dashboard_on_postgresql() {
    if std::env::var("HAFLA_TEST_DATABASE_URL").is_err() {
        eprintln!("HAFLA_TEST_DATABASE_URL is not set: skipped");
        return;
    }
    let db = FreshDatabase::create();
    let store = PgStore::connect(&db.url(), PgOptions::default())
        .await
        .unwrap();
    let app = spawn_app_on(
        Arc::new(store) as Arc<dyn Store>,
        HashMap::new(),
        tempfile::tempdir().unwrap(),
    )
    .await;
    sales_views_and_refunds_reach_the_event_dashboard(app).await;
}

#[tokio::test]
async fn every_bad_parameter_gets_its_own_code_and_never_a_server_error() {
    let app = spawn_app().await;
    let (org_id, owner, event_id, _) = show(&app, "owner@sahra.jo").await;
    let base = format!("/api/v1/orgs/{org_id}/events/{event_id}");
    for (query, status, code) in [
        ("?from=2026-12-08&to=2026-12-01", 400, "invalid_date_range"),
        ("?from=2024-01-01&to=2026-12-01", 400, "date_range_too_long"),
        (
            "?bucket=hour&from=2026-10-01&to=2026-12-01",
            400,
            "date_range_too_long",
        ),
        ("?bucket=week", 400, "unknown_bucket"),
        ("?from=yesterday", 400, "invalid_parameter"),
        ("?from=2026-02-30", 400, "invalid_parameter"),
        ("?to=2026-12-01&to=2026-12-02", 400, "invalid_parameter"),
    ] {
        let (got, body) = app
            .get(&format!("{base}/analytics{query}"), Some(&owner))
            .await;
        assert_eq!(
            (got, body["code"].as_str()),
            (status, Some(code)),
            "{query}: {body}"
        );
        let (got, body) = app
            .get(
                &format!("/api/v1/orgs/{org_id}/analytics{query}"),
                Some(&owner),
            )
            .await;
        assert_eq!(
            (got, body["code"].as_str()),
            (status, Some(code)),
            "{query}: {body}"
        );
    }
    let (status, body) = app
        .get(&format!("{base}/exports/invoices"), Some(&owner))
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("unknown_export"))
    );
    let (status, body) = app
        .get(
            &format!("/api/v1/orgs/{org_id}/events/not-a-uuid/analytics"),
            Some(&owner),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (400, Some("invalid_parameter"))
    );
    let (status, body) = app
        .get(
            &format!("/api/v1/orgs/{org_id}/events/{}/analytics", Uuid::now_v7()),
            Some(&owner),
        )
        .await;
    assert_eq!((status, body["code"].as_str()), (404, Some("not_found")));
}

#[tokio::test]
async fn one_organizations_people_never_read_anothers_figures() {
    let app = spawn_app().await;
    let (org_a, owner_a, event_a, general) = show(&app, "owner@a.jo").await;
    let (org_b, owner_b, _, _) = show(&app, "owner@b.jo").await;
    let analyst_b = member(&app, org_b, &owner_b, "analyst@b.jo", OrgRole::Analyst).await;
    let door_a = member(&app, org_a, &owner_a, "door@a.jo", OrgRole::DoorStaff).await;
    let rania = buyer(&app, "rania@example.jo", "رانيا").await;
    buy(&app, &rania, event_a, general, 1).await;

    // Org A's event through org B's path: as if it did not exist.
    for path in [
        format!("/api/v1/orgs/{org_b}/events/{event_a}/analytics"),
        format!("/api/v1/orgs/{org_b}/events/{event_a}/exports/orders"),
    ] {
        let (status, body) = app.get(&path, Some(&analyst_b)).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (404, Some("not_found")),
            "{path}"
        );
    }
    // Through org A's path: not a member.
    for path in [
        format!("/api/v1/orgs/{org_a}/events/{event_a}/analytics"),
        format!("/api/v1/orgs/{org_a}/analytics"),
        format!("/api/v1/orgs/{org_a}/events/{event_a}/exports/attendees"),
    ] {
        let (status, _) = app.get(&path, Some(&analyst_b)).await;
        assert_eq!(status, 403, "{path}");
        // Door staff admit people; they do not read sales.
        let (status, _) = app.get(&path, Some(&door_a)).await;
        assert_eq!(status, 403, "{path}");
    }
    // Org B's own dashboard holds none of org A's sales.
    let (status, dash) = app
        .get(&format!("/api/v1/orgs/{org_b}/analytics"), Some(&analyst_b))
        .await;
    assert_eq!(status, 200, "{dash}");
    assert_eq!(dash["totals"]["sold"], 0);
    assert!(
        dash["events"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["event_id"] != event_a.to_string())
    );
    // And the platform view is for platform admins only.
    let (status, _) = app.get("/api/v1/admin/analytics", Some(&owner_a)).await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn admins_see_accounts_by_sign_up_method_sales_by_organization_and_the_review_backlog() {
    let app = spawn_app().await;
    let (org_a, _, event_a, general) = show(&app, "owner@a.jo").await;
    let rania = buyer(&app, "rania@example.jo", "رانيا").await;
    buy(&app, &rania, event_a, general, 3).await;
    let admin = app.register("admin@hafla.jo").await;
    let (_, me) = app.get("/api/v1/me", Some(&admin.access_token)).await;
    app.store.set_admin(id(&me), true).await.unwrap();
    let (_, login) = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({"email": "admin@hafla.jo", "password": "a long enough password"}),
        )
        .await;
    let token = login["access_token"].as_str().unwrap();
    let (status, figures) = app.get("/api/v1/admin/analytics", Some(token)).await;
    assert_eq!(status, 200, "{figures}");
    assert_eq!(figures["users"], 3);
    assert_eq!(figures["signups"], json!([{"method": "email", "users": 3}]));
    assert_eq!(figures["organizations"], 1);
    assert_eq!(
        figures["events_by_status"],
        json!([{"status": "published", "events": 1}])
    );
    assert_eq!(
        figures["revenue_by_organization"][0]["organization_id"],
        org_a.to_string()
    );
    assert_eq!(figures["totals"]["revenue_fils"], 37_500);
    assert_eq!(figures["review_backlog"], 0);
}

/// The raw bytes of a CSV export in `lang`.
async fn csv(app: &TestApp, path: &str, token: &str, lang: &str) -> (u16, String, Vec<u8>) {
    let response = app
        .http
        .get(format!("{}{path}", app.url))
        .bearer_auth(token)
        .header("accept-language", lang)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let kind = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, kind, response.bytes().await.unwrap().to_vec())
}

#[tokio::test]
async fn csv_exports_open_safely_in_spreadsheets_in_the_callers_language() {
    let app = spawn_app().await;
    let (org_id, owner, event_id, general) = show(&app, "owner@sahra.jo").await;
    let mallory = buyer(&app, "mallory@example.jo", "=HYPERLINK(\"http://evil\")").await;
    buy(&app, &mallory, event_id, general, 1).await;
    let sara = buyer(&app, "sara@example.jo", "Sara, \"the\" fan").await;
    buy(&app, &sara, event_id, general, 2).await;
    let base = format!("/api/v1/orgs/{org_id}/events/{event_id}/exports");

    let (status, kind, bytes) = csv(&app, &format!("{base}/attendees"), &owner, "ar").await;
    assert_eq!(status, 200);
    assert_eq!(kind, "text/csv; charset=utf-8");
    assert_eq!(&bytes[..3], &[0xEF, 0xBB, 0xBF], "a byte-order mark first");
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().unwrap().clone();
    assert_eq!(&headers[0], "رقم التذكرة");
    assert_eq!(&headers[1], "نوع التذكرة");
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 3);
    assert_eq!(&rows[0][2], "'=HYPERLINK(\"http://evil\")");
    assert_eq!(&rows[0][1], "عام");
    assert_eq!(&rows[0][5], "صالحة");
    assert_eq!(&rows[1][2], "Sara, \"the\" fan");
    assert!(
        text.contains("\"Sara, \"\"the\"\" fan\""),
        "quoted as CSV: {text}"
    );

    let (status, _, bytes) = csv(&app, &format!("{base}/orders"), &owner, "en").await;
    assert_eq!(status, 200);
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    assert_eq!(&reader.headers().unwrap()[0], "Order");
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(&rows[0][2], "Paid");
    assert_eq!(&rows[0][3], "Sandbox");
    assert_eq!(&rows[0][5], "12.500");
    assert_eq!(&rows[1][5], "25.000");

    let (status, _, bytes) = csv(&app, &format!("{base}/checkins"), &owner, "en").await;
    assert_eq!(status, 200);
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    assert_eq!(&reader.headers().unwrap()[1], "Gate");
    assert_eq!(reader.records().count(), 0);
}

#[tokio::test]
async fn an_export_longer_than_one_page_lists_every_row_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = hafla_server::store::SqliteStore::open(dir.path()).unwrap();
    let path = store.path().to_owned();
    let app = spawn_app_on(
        Arc::new(store) as Arc<dyn Store>,
        HashMap::new(),
        tempfile::tempdir().unwrap(),
    )
    .await;
    let (org_id, owner, event_id, general) = show(&app, "owner@sahra.jo").await;
    let rania = buyer(&app, "rania@example.jo", "رانيا").await;
    buy(&app, &rania, event_id, general, 1).await;
    // 2,500 more tickets like the first: three pages of the export.
    let c = rusqlite::Connection::open(&path).unwrap();
    c.execute(
        "WITH RECURSIVE n (serial) AS (SELECT 2 UNION ALL SELECT serial + 1 FROM n WHERE serial < 2501)
         INSERT INTO tickets (id, order_id, event_id, ticket_type_id, serial, holder_id, status,
             issued_at)
         SELECT randomblob(16), t.order_id, t.event_id, t.ticket_type_id, n.serial, t.holder_id,
             'valid', t.issued_at
         FROM tickets t, n WHERE t.event_id = ?1 AND t.serial = 1",
        [event_id],
    )
    .unwrap();
    let (status, _, bytes) = csv(
        &app,
        &format!("/api/v1/orgs/{org_id}/events/{event_id}/exports/attendees"),
        &owner,
        "en",
    )
    .await;
    assert_eq!(status, 200);
    let mut reader = csv::Reader::from_reader(&bytes[3..]);
    let serials: Vec<u32> = reader
        .records()
        .map(|r| r.unwrap()[0].parse().unwrap())
        .collect();
    assert_eq!(serials, (1..=2501).collect::<Vec<u32>>());
}
