//! Buyers reserve tickets over real HTTP: idempotent creation, their own orders only,
//! cancellation, and a specific error (that changes nothing) for every bad request.

mod common;

use common::{TestApp, spawn_app};
use hafla_core::Bilingual;
use hafla_core::money::Money;
use hafla_server::store::{NewOrganization, NewTicketType};
use serde_json::{Value, json};
use uuid::Uuid;

struct Concert {
    event_id: Uuid,
    general: Uuid,
}

/// A published concert with 3 General tickets at 12.500 JOD, 2 per order at most.
async fn concert(app: &TestApp) -> Concert {
    let org = NewOrganization {
        id: Uuid::now_v7(),
        name: Bilingual::new("سهرة لايف", "Sahra Live").unwrap(),
    };
    let general = NewTicketType {
        per_order_limit: 2,
        ..NewTicketType::simple(
            Uuid::now_v7(),
            Bilingual::new("عام", "General").unwrap(),
            Money::jod_fils(12_500),
            3,
        )
    };
    let event = common::event_on_sale(org.id, ("ليلة طرب", "Tarab Night"), vec![general.clone()]);
    let concert = Concert {
        event_id: event.id,
        general: general.id,
    };
    app.store
        .insert_catalog(vec![org], vec![event])
        .await
        .unwrap();
    concert
}

fn body(event_id: Uuid, lines: &[(Uuid, i64)]) -> Value {
    json!({
        "event_id": event_id,
        "lines": lines.iter().map(|(t, q)| json!({"ticket_type_id": t, "quantity": q})).collect::<Vec<_>>(),
    })
}

/// POST /api/v1/orders with optional headers; the status and JSON body.
async fn create(app: &TestApp, token: &str, body: Value, headers: &[(&str, &str)]) -> (u16, Value) {
    let mut request = app
        .http
        .post(format!("{}/api/v1/orders", app.url))
        .bearer_auth(token)
        .header("accept-language", "en")
        .json(&body);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn a_buyer_reserves_tickets_and_a_retry_with_the_same_key_gives_the_same_order() {
    let app = spawn_app().await;
    let c = concert(&app).await;
    let buyer = app.register("rania@example.jo").await.access_token;
    let key = [("idempotency-key", "checkout-1f0c")];
    let (status, first) = create(&app, &buyer, body(c.event_id, &[(c.general, 2)]), &key).await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["status"], "reserved");
    assert_eq!(first["total"], json!({"minor": 25_000, "currency": "JOD"}));
    assert!(first["reference"].as_str().unwrap().starts_with("HF-"));
    assert_eq!(first["lines"][0]["name"]["ar"], "عام");

    let (status, retried) = create(&app, &buyer, body(c.event_id, &[(c.general, 2)]), &key).await;
    assert_eq!((status, &retried["id"]), (200, &first["id"]));
    let (status, reused) = create(&app, &buyer, body(c.event_id, &[(c.general, 1)]), &key).await;
    assert_eq!(
        (status, reused["code"].as_str()),
        (409, Some("idempotency_key_reused"))
    );

    let id = first["id"].as_str().unwrap();
    let (status, read) = app.get(&format!("/api/v1/orders/{id}"), Some(&buyer)).await;
    assert_eq!((status, &read), (200, &first));
    let (_, mine) = app.get("/api/v1/me/orders", Some(&buyer)).await;
    assert_eq!(mine["orders"].as_array().unwrap().len(), 1);

    // Someone else cannot see it or cancel it: it does not exist for them.
    let stranger = app.register("stranger@example.jo").await.access_token;
    let (status, _) = app
        .get(&format!("/api/v1/orders/{id}"), Some(&stranger))
        .await;
    assert_eq!(status, 404);
    let (status, _) = app
        .post(
            &format!("/api/v1/orders/{id}/cancel"),
            Some(&stranger),
            json!({}),
        )
        .await;
    assert_eq!(status, 404);
    let (_, theirs) = app.get("/api/v1/me/orders", Some(&stranger)).await;
    assert_eq!(theirs["orders"], json!([]));

    let (status, cancelled) = app
        .post(
            &format!("/api/v1/orders/{id}/cancel"),
            Some(&buyer),
            json!({}),
        )
        .await;
    assert_eq!(
        (status, cancelled["status"].as_str()),
        (200, Some("cancelled"))
    );
    let (status, again) = app
        .post(
            &format!("/api/v1/orders/{id}/cancel"),
            Some(&buyer),
            json!({}),
        )
        .await;
    assert_eq!(status, 409);
    assert_eq!(again["code"], "order_not_changeable");
    assert_eq!(again["details"]["status"], "cancelled");
}

/// A request, its extra headers, and the status and code it must get.
type Case<'a> = (Value, Vec<(&'a str, &'a str)>, u16, &'a str);

#[tokio::test]
async fn every_bad_order_gets_its_own_error_and_reserves_nothing() {
    let app = spawn_app().await;
    let c = concert(&app).await;
    let buyer = app.register("omar@example.jo").await.access_token;
    let foreign = Uuid::now_v7();
    let long_key = "k".repeat(101);
    let cases: Vec<Case> = vec![
        (
            body(c.event_id, &[(c.general, 0)]),
            vec![],
            422,
            "invalid_quantity",
        ),
        (
            body(c.event_id, &[(c.general, -1)]),
            vec![],
            422,
            "invalid_quantity",
        ),
        (
            body(c.event_id, &[(c.general, 1_000_000_000_000)]),
            vec![],
            422,
            "invalid_quantity",
        ),
        (body(c.event_id, &[]), vec![], 422, "order_empty"),
        (
            body(c.event_id, &[(foreign, 1)]),
            vec![],
            422,
            "unknown_ticket_type",
        ),
        (
            body(c.event_id, &[(c.general, 1), (c.general, 1)]),
            vec![],
            422,
            "duplicate_ticket_type",
        ),
        (
            body(c.event_id, &[(c.general, 3)]),
            vec![],
            422,
            "over_order_limit",
        ),
        (
            body(Uuid::now_v7(), &[(c.general, 1)]),
            vec![],
            404,
            "not_found",
        ),
        (json!({"event_id": c.event_id}), vec![], 422, "invalid_body"),
        (
            json!({"event_id": c.event_id, "lines": [], "coupon": "FREE"}),
            vec![],
            422,
            "invalid_body",
        ),
        (
            body(c.event_id, &[(c.general, 1)]),
            vec![("idempotency-key", "has spaces")],
            400,
            "invalid_idempotency_key",
        ),
        (
            body(c.event_id, &[(c.general, 1)]),
            vec![("idempotency-key", &long_key)],
            400,
            "invalid_idempotency_key",
        ),
    ];
    for (request, headers, status, code) in cases {
        let (got, answer) = create(&app, &buyer, request.clone(), &headers).await;
        assert_eq!(
            (got, answer["code"].as_str()),
            (status, Some(code)),
            "{request} → {answer}"
        );
    }
    let (_, mine) = app.get("/api/v1/me/orders", Some(&buyer)).await;
    assert_eq!(mine["orders"], json!([]), "nothing was reserved");

    // Two of the three tickets taken; asking for two more says how many are left, in the
    // buyer's language.
    let (status, _) = create(&app, &buyer, body(c.event_id, &[(c.general, 2)]), &[]).await;
    assert_eq!(status, 201);
    let (status, sold_out) = create(&app, &buyer, body(c.event_id, &[(c.general, 2)]), &[]).await;
    assert_eq!((status, sold_out["code"].as_str()), (409, Some("sold_out")));
    assert_eq!(sold_out["details"]["left"], 1);
    assert!(
        sold_out["message"].as_str().unwrap().contains("one ticket"),
        "{sold_out}"
    );
    let arabic = app
        .http
        .post(format!("{}/api/v1/orders", app.url))
        .bearer_auth(&buyer)
        .header("accept-language", "ar")
        .json(&body(c.event_id, &[(c.general, 2)]))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert!(
        arabic["message"].as_str().unwrap().contains("تذكرة واحدة"),
        "{arabic}"
    );

    // Signed-out callers cannot reserve.
    let (status, _) = app
        .post("/api/v1/orders", None, body(c.event_id, &[(c.general, 1)]))
        .await;
    assert_eq!(status, 401);
}
