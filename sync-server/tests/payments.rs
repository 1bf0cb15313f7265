//! Paying over real HTTP: the sandbox's hosted page and its signed notifications, replays,
//! reconciliation of a lost notification, late money (honoured or refunded), CliQ transfers
//! confirmed by the organizer, free orders, and the errors of each.

mod common;

use common::{TestApp, spawn_app};
use hafla_core::Bilingual;
use hafla_core::money::Money;
use hafla_server::checkout::sandbox::{self, Choice};
use hafla_server::store::orders::{LineRequest, NewOrder, new_reference};
use hafla_server::store::{NewOrganization, NewTicketType};
use serde_json::{Value, json};
use uuid::Uuid;

struct Show {
    org_id: Uuid,
    event_id: Uuid,
    paid_type: Uuid,
    free_type: Uuid,
}

/// A published show of `organization` (created when `None`): 2 tickets at 12.500 JOD and
/// free ones.
async fn show(app: &TestApp, organization: Option<Uuid>) -> Show {
    let org_id = organization.unwrap_or_else(Uuid::now_v7);
    let orgs = if organization.is_some() {
        vec![]
    } else {
        vec![NewOrganization {
            id: org_id,
            name: Bilingual::new("مسرح البلد", "Al Balad Theatre").unwrap(),
        }]
    };
    let paid = NewTicketType::simple(
        Uuid::now_v7(),
        Bilingual::new("عام", "General").unwrap(),
        Money::jod_fils(12_500),
        2,
    );
    let free = NewTicketType::simple(
        Uuid::now_v7(),
        Bilingual::new("دعوة", "Invitation").unwrap(),
        Money::jod_fils(0),
        50,
    );
    let event = common::event_on_sale(
        org_id,
        ("حكايا", "Hakaya"),
        vec![paid.clone(), free.clone()],
    );
    let show = Show {
        org_id,
        event_id: event.id,
        paid_type: paid.id,
        free_type: free.id,
    };
    app.store.insert_catalog(orgs, vec![event]).await.unwrap();
    show
}

async fn reserve(app: &TestApp, token: &str, event_id: Uuid, ticket_type: Uuid, n: u32) -> Value {
    let (status, order) = app
        .post(
            "/api/v1/orders",
            Some(token),
            json!({"event_id": event_id, "lines": [{"ticket_type_id": ticket_type, "quantity": n}]}),
        )
        .await;
    assert_eq!(status, 201, "{order}");
    order
}

async fn pay(app: &TestApp, token: &str, order: &Value, method: &str) -> (u16, Value) {
    app.post(
        &format!("/api/v1/orders/{}/pay", order["id"].as_str().unwrap()),
        Some(token),
        json!({ "method": method }),
    )
    .await
}

fn id(value: &Value) -> Uuid {
    value["id"].as_str().unwrap().parse().unwrap()
}

/// The payment id at the end of a sandbox page URL.
fn payment_of(redirect_url: &str) -> Uuid {
    redirect_url.rsplit('/').next().unwrap().parse().unwrap()
}

#[tokio::test]
async fn a_buyer_pays_on_the_sandbox_page_and_replayed_notifications_change_nothing() {
    let app = spawn_app().await;
    let s = show(&app, None).await;
    let buyer = app.register("lina@example.jo").await.access_token;
    let order = reserve(&app, &buyer, s.event_id, s.paid_type, 2).await;
    let (status, started) = pay(&app, &buyer, &order, "sandbox").await;
    assert_eq!(status, 200, "{started}");
    assert_eq!(started["order"]["status"], "awaiting_payment");
    let redirect = started["redirect_url"].as_str().unwrap();
    assert!(
        redirect.starts_with("https://hafla.test/sandbox/pay/"),
        "{redirect}"
    );
    let payment_id = payment_of(redirect);

    // The hosted page shows the amount with its three decimals, in the buyer's language.
    let page = app
        .http
        .get(format!("{}/sandbox/pay/{payment_id}", app.url))
        .header("accept-language", "ar")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("25.000 JOD") && page.contains("dir=\"rtl\""),
        "{page}"
    );

    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let answer = no_redirects
        .post(format!("{}/sandbox/pay/{payment_id}", app.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("choice=approve")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 303);
    let back = answer.headers()["location"].to_str().unwrap();
    assert_eq!(
        back,
        format!("https://hafla.test/pay/return/{}", id(&order))
    );
    let (_, paid) = app
        .get(&format!("/api/v1/orders/{}", id(&order)), Some(&buyer))
        .await;
    assert_eq!(paid["status"], "paid");
    assert_eq!(app.store.order_tickets(id(&order)).await.unwrap().len(), 2);

    // The provider sends the same notification ten more times: acknowledged, nothing new.
    let (body, signature) = app
        .checkout
        .sandbox()
        .unwrap()
        .payment(payment_id)
        .unwrap()
        .notification
        .unwrap();
    for _ in 0..10 {
        let answer = app
            .http
            .post(format!("{}/api/v1/payments/sandbox/notify", app.url))
            .header(sandbox::SIGNATURE_HEADER, &signature)
            .body(body.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status().as_u16(), 200);
    }
    assert_eq!(app.store.order_tickets(id(&order)).await.unwrap().len(), 2);

    // A tampered or unsigned notification is refused; an unknown provider too.
    let mut tampered = body.clone();
    let at = tampered.iter().position(|b| b.is_ascii_digit()).unwrap();
    tampered[at] = if tampered[at] == b'9' { b'8' } else { b'9' };
    for (path, signature, body) in [
        ("sandbox", signature.as_str(), tampered),
        ("sandbox", "", body.clone()),
        ("bitpay", signature.as_str(), body.clone()),
    ] {
        let answer = app
            .http
            .post(format!("{}/api/v1/payments/{path}/notify", app.url))
            .header(sandbox::SIGNATURE_HEADER, signature)
            .header("accept-language", "en")
            .body(body)
            .send()
            .await
            .unwrap();
        let status = answer.status().as_u16();
        let error: Value = answer.json().await.unwrap();
        let expected = if path == "sandbox" {
            (400, "invalid_notification")
        } else {
            (422, "payment_method_unavailable")
        };
        assert_eq!((status, error["code"].as_str().unwrap()), expected);
    }

    // Paying a paid order again is refused.
    let (status, again) = pay(&app, &buyer, &order, "sandbox").await;
    assert_eq!(
        (status, again["code"].as_str()),
        (409, Some("order_not_changeable"))
    );
}

#[tokio::test]
async fn a_declined_card_leaves_the_tickets_held_for_another_try() {
    let app = spawn_app().await;
    let s = show(&app, None).await;
    let buyer = app.register("sami@example.jo").await.access_token;
    let order = reserve(&app, &buyer, s.event_id, s.paid_type, 1).await;
    let (_, first) = pay(&app, &buyer, &order, "sandbox").await;
    let first_payment = payment_of(first["redirect_url"].as_str().unwrap());
    choose_on_sandbox(&app, first_payment, Choice::Decline).await;
    let (_, held) = app
        .get(&format!("/api/v1/orders/{}", id(&order)), Some(&buyer))
        .await;
    assert_eq!(held["status"], "awaiting_payment");
    let (_, second) = pay(&app, &buyer, &order, "sandbox").await;
    let second_payment = payment_of(second["redirect_url"].as_str().unwrap());
    assert_ne!(first_payment, second_payment);
    choose_on_sandbox(&app, second_payment, Choice::Approve).await;
    let (_, paid) = app
        .get(&format!("/api/v1/orders/{}", id(&order)), Some(&buyer))
        .await;
    assert_eq!(paid["status"], "paid");
}

#[tokio::test]
async fn reconciliation_settles_a_lost_notification_and_refunds_money_that_came_too_late() {
    let app = spawn_app().await;
    let s = show(&app, None).await;
    let sandbox = app.checkout.sandbox().unwrap();

    // Paid at the provider, notification lost: the status query settles it.
    let buyer = app.register("huda@example.jo").await.access_token;
    let on_time = reserve(&app, &buyer, s.event_id, s.paid_type, 1).await;
    let (_, started) = pay(&app, &buyer, &on_time, "sandbox").await;
    let on_time_payment = payment_of(started["redirect_url"].as_str().unwrap());
    assert!(sandbox.decide_silently(on_time_payment, Choice::Approve));
    let soon = jiff::Timestamp::now() + jiff::SignedDuration::from_mins(3);
    assert_eq!(app.checkout.reconcile(soon).await.unwrap(), 1);
    assert_eq!(app.checkout.reconcile(soon).await.unwrap(), 0, "once");
    let (_, paid) = app
        .get(&format!("/api/v1/orders/{}", id(&on_time)), Some(&buyer))
        .await;
    assert_eq!(paid["status"], "paid");

    // Paid after its hold lapsed and the last ticket went to someone else: refunded.
    let slow = app.register("slow@example.jo").await.access_token;
    let late = reserve(&app, &slow, s.event_id, s.paid_type, 1).await;
    let (_, started) = pay(&app, &slow, &late, "sandbox").await;
    let late_payment = payment_of(started["redirect_url"].as_str().unwrap());
    let later = jiff::Timestamp::now() + jiff::SignedDuration::from_mins(15);
    let (_, quick_user) = app.get("/api/v1/me", Some(&buyer)).await;
    app.store
        .reserve_order(
            NewOrder {
                id: Uuid::now_v7(),
                reference: new_reference(),
                buyer_id: id(&quick_user),
                event_id: s.event_id,
                lines: vec![LineRequest {
                    ticket_type_id: s.paid_type,
                    quantity: 1,
                }],
                lang: hafla_core::Lang::Ar,
                idempotency_key: None,
                hold: jiff::SignedDuration::from_mins(10),
            },
            later,
        )
        .await
        .expect("the lapsed ticket went back on sale");
    assert!(sandbox.decide_silently(late_payment, Choice::Approve));
    app.checkout.reconcile(later).await.unwrap();
    assert_eq!(
        sandbox.payment(late_payment).unwrap().refunded_minor,
        12_500,
        "the money went back through the provider"
    );
    let (_, expired) = app
        .get(&format!("/api/v1/orders/{}", id(&late)), Some(&slow))
        .await;
    assert_eq!(expired["status"], "expired");
    assert!(app.store.order_tickets(id(&late)).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_cliq_transfer_is_paid_when_the_organizer_confirms_it() {
    let app = spawn_app().await;
    let owner = app.register("owner@sahra.jo").await.access_token;
    let (status, org) = app
        .post(
            "/api/v1/orgs",
            Some(&owner),
            json!({"name": {"ar": "سهرة لايف", "en": "Sahra Live"}}),
        )
        .await;
    assert_eq!(status, 201, "{org}");
    let s = show(&app, Some(id(&org))).await;
    let buyer = app.register("yousef@example.jo").await.access_token;
    let order = reserve(&app, &buyer, s.event_id, s.paid_type, 1).await;

    // No alias yet: CliQ is not offered.
    let (status, refused) = pay(&app, &buyer, &order, "cliq").await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (422, Some("payment_method_unavailable"))
    );
    assert!(
        refused["details"]["available"]
            .as_array()
            .unwrap()
            .contains(&json!("cliq"))
    );

    let cliq = format!("/api/v1/orgs/{}/cliq", s.org_id);
    let (status, bad) = app
        .call(
            reqwest::Method::PUT,
            &cliq,
            Some(&owner),
            Some(json!({"alias": "sahra live!"})),
        )
        .await;
    assert_eq!(
        (status, bad["code"].as_str()),
        (422, Some("invalid_cliq_alias"))
    );
    let (status, set) = app
        .call(
            reqwest::Method::PUT,
            &cliq,
            Some(&owner),
            Some(json!({"alias": "sahralive"})),
        )
        .await;
    assert_eq!((status, set["alias"].as_str()), (200, Some("SAHRALIVE")));
    let (status, _) = app
        .call(
            reqwest::Method::PUT,
            &cliq,
            Some(&buyer),
            Some(json!({"alias": "MINE"})),
        )
        .await;
    assert_eq!(status, 403, "only the organization sets where it is paid");

    let (status, started) = pay(&app, &buyer, &order, "cliq").await;
    assert_eq!(status, 200, "{started}");
    assert_eq!(started["cliq"]["alias"], "SAHRALIVE");
    assert_eq!(started["cliq"]["reference"], order["reference"]);
    assert_eq!(
        started["cliq"]["amount"],
        json!({"minor": 12_500, "currency": "JOD"})
    );
    let pay_by: jiff::Timestamp = started["cliq"]["pay_by"].as_str().unwrap().parse().unwrap();
    assert!(
        pay_by > jiff::Timestamp::now() + jiff::SignedDuration::from_hours(23),
        "held a day"
    );

    let decide = format!("/api/v1/orgs/{}/orders/{}/cliq", s.org_id, id(&order));
    let (status, _) = app
        .post(&decide, Some(&buyer), json!({"received": true}))
        .await;
    assert_eq!(status, 403, "the buyer cannot confirm their own transfer");
    let (status, confirmed) = app
        .post(&decide, Some(&owner), json!({"received": true}))
        .await;
    assert_eq!(
        (status, confirmed["status"].as_str()),
        (200, Some("paid")),
        "{confirmed}"
    );
    assert_eq!(app.store.order_tickets(id(&order)).await.unwrap().len(), 1);
    // Confirming twice changes nothing.
    let (status, again) = app
        .post(&decide, Some(&owner), json!({"received": true}))
        .await;
    assert_eq!((status, again["status"].as_str()), (200, Some("paid")));
    assert_eq!(app.store.order_tickets(id(&order)).await.unwrap().len(), 1);
}

#[tokio::test]
async fn free_orders_are_paid_at_once_and_bad_payment_requests_get_their_own_errors() {
    let app = spawn_app().await;
    let s = show(&app, None).await;
    let buyer = app.register("noor@example.jo").await.access_token;
    let free = reserve(&app, &buyer, s.event_id, s.free_type, 2).await;
    let (status, paid) = pay(&app, &buyer, &free, "sandbox").await;
    assert_eq!(status, 200, "{paid}");
    assert_eq!(paid["order"]["status"], "paid");
    assert_eq!(paid["order"]["payment_method"], "free");
    assert_eq!(paid["redirect_url"], Value::Null);
    assert_eq!(app.store.order_tickets(id(&free)).await.unwrap().len(), 2);

    let order = reserve(&app, &buyer, s.event_id, s.paid_type, 1).await;
    let (status, unknown) = pay(&app, &buyer, &order, "bitcoin").await;
    assert_eq!(
        (status, unknown["code"].as_str()),
        (422, Some("payment_method_unavailable"))
    );
    assert!(
        unknown["details"]["available"]
            .as_array()
            .unwrap()
            .contains(&json!("sandbox"))
    );
    let stranger = app.register("stranger@example.jo").await.access_token;
    let (status, _) = pay(&app, &stranger, &order, "sandbox").await;
    assert_eq!(status, 404, "someone else's order does not exist for them");
    let (status, _) = app
        .post(
            &format!("/api/v1/orders/{}/pay", id(&order)),
            Some(&buyer),
            json!({"how": "card"}),
        )
        .await;
    assert_eq!(status, 422);
    app.post(
        &format!("/api/v1/orders/{}/cancel", id(&order)),
        Some(&buyer),
        json!({}),
    )
    .await;
    let (status, cancelled) = pay(&app, &buyer, &order, "sandbox").await;
    assert_eq!(
        (status, cancelled["code"].as_str()),
        (409, Some("order_not_changeable"))
    );
    let (status, _) = app
        .http
        .get(format!("{}/sandbox/pay/{}", app.url, Uuid::now_v7()))
        .send()
        .await
        .map(|r| (r.status().as_u16(), ()))
        .unwrap();
    assert_eq!(status, 404);
}

/// An organization made through the API (so it has an owner) and its owner's token.
async fn organization(app: &TestApp, owner_email: &str) -> (Uuid, String) {
    let owner = app.register(owner_email).await.access_token;
    let (status, org) = app
        .post(
            "/api/v1/orgs",
            Some(&owner),
            json!({"name": {"ar": "سهرة لايف", "en": "Sahra Live"}}),
        )
        .await;
    assert_eq!(status, 201, "{org}");
    (id(&org), owner)
}

/// The buyer's choice on the sandbox page, handed to checkout as the sandbox's signed
/// notification.
async fn choose_on_sandbox(app: &TestApp, payment: Uuid, choice: Choice) {
    let (body, signature) = app
        .checkout
        .sandbox()
        .unwrap()
        .choose(payment, choice)
        .unwrap();
    let mut headers = axum::http::HeaderMap::new();
    headers.insert(sandbox::SIGNATURE_HEADER, signature.parse().unwrap());
    app.checkout
        .notification("sandbox", &headers, &body, jiff::Timestamp::now())
        .await
        .unwrap();
}

/// Reserves `n` paid tickets and pays them on the sandbox page; the order id and the
/// sandbox payment.
async fn bought(app: &TestApp, token: &str, s: &Show, n: u32) -> (Uuid, Uuid) {
    let order = reserve(app, token, s.event_id, s.paid_type, n).await;
    let (_, started) = pay(app, token, &order, "sandbox").await;
    let payment = payment_of(started["redirect_url"].as_str().unwrap());
    choose_on_sandbox(app, payment, Choice::Approve).await;
    (id(&order), payment)
}

#[tokio::test]
async fn organizers_refund_tickets_through_the_provider_and_a_cancelled_event_refunds_everyone() {
    let app = spawn_app().await;
    let (org, owner) = organization(&app, "owner@balad.jo").await;
    let s = show(&app, Some(org)).await;
    let buyer = app.register("maha@example.jo").await.access_token;
    let (order, payment) = bought(&app, &buyer, &s, 2).await;
    let tickets = app.store.order_tickets(order).await.unwrap();
    let refunds = format!("/api/v1/orgs/{org}/orders/{order}/refunds");

    let (status, refused) = app
        .post(
            &refunds,
            Some(&owner),
            json!({"amount": 25_001, "reason": "goodwill"}),
        )
        .await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (422, Some("refund_exceeds_paid"))
    );
    assert_eq!(
        refused["details"]["refundable"],
        json!({"minor": 25_000, "currency": "JOD"})
    );
    let (status, refused) = app
        .post(&refunds, Some(&owner), json!({"reason": "  "}))
        .await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (422, Some("reason_required"))
    );
    let (status, _) = app
        .post(&refunds, Some(&buyer), json!({"reason": "I want my money"}))
        .await;
    assert_eq!(
        status, 403,
        "buyers ask the organizer; they cannot refund themselves"
    );

    let (status, one) = app
        .post(
            &refunds,
            Some(&owner),
            json!({"ticket_ids": [tickets[0].id], "reason": "cannot come"}),
        )
        .await;
    assert_eq!(status, 200, "{one}");
    assert_eq!(one["order"]["status"], "partly_refunded");
    assert_eq!(one["amount"], json!({"minor": 12_500, "currency": "JOD"}));
    let sandbox = app.checkout.sandbox().unwrap();
    assert_eq!(sandbox.payment(payment).unwrap().refunded_minor, 12_500);
    let (status, again) = app
        .post(
            &refunds,
            Some(&owner),
            json!({"ticket_ids": [tickets[0].id], "reason": "twice"}),
        )
        .await;
    assert_eq!(
        (status, again["code"].as_str()),
        (409, Some("ticket_not_valid"))
    );

    // Calling the event off refunds what is left, and cancels unpaid orders.
    let other = app.register("karim@example.jo").await.access_token;
    let unpaid = reserve(&app, &other, s.event_id, s.free_type, 1).await;
    let (status, _) = app
        .post(
            &format!("/api/v1/orgs/{org}/events/{}/cancel", s.event_id),
            Some(&owner),
            json!({}),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(sandbox.payment(payment).unwrap().refunded_minor, 25_000);
    let (_, refunded) = app
        .get(&format!("/api/v1/orders/{order}"), Some(&buyer))
        .await;
    assert_eq!(refunded["status"], "refunded");
    assert!(
        app.store
            .order_tickets(order)
            .await
            .unwrap()
            .iter()
            .all(|t| !t.valid)
    );
    let (_, cancelled) = app
        .get(&format!("/api/v1/orders/{}", id(&unpaid)), Some(&other))
        .await;
    assert_eq!(cancelled["status"], "cancelled");
}

#[tokio::test]
async fn a_holder_gives_a_ticket_to_a_friend_by_email_and_it_moves_to_their_list() {
    let app = spawn_app().await;
    let s = show(&app, None).await;
    let buyer = app.register("rami@example.jo").await.access_token;
    let friend = app.register("dana@example.jo").await.access_token;
    let (order, _) = bought(&app, &buyer, &s, 2).await;
    let (_, mine) = app.get("/api/v1/me/tickets", Some(&buyer)).await;
    let mine = mine["tickets"].as_array().unwrap().clone();
    assert_eq!(mine.len(), 2);
    assert!(
        mine.iter()
            .all(|t| t["valid"] == true && t["order_id"] == json!(order))
    );
    let ticket = mine[0]["id"].as_str().unwrap();
    let transfer = format!("/api/v1/tickets/{ticket}/transfer");

    let cases: Vec<(Value, u16, &str)> = vec![
        (
            json!({"email": "nobody@example.jo"}),
            404,
            "recipient_not_found",
        ),
        (json!({"email": "not an email"}), 422, "invalid_email"),
        (json!({"phone": "12"}), 422, "invalid_phone"),
        (json!({}), 422, "invalid_body"),
        (
            json!({"email": "rami@example.jo"}),
            409,
            "ticket_not_transferable",
        ),
    ];
    for (body, status, code) in cases {
        let (got, answer) = app.post(&transfer, Some(&buyer), body.clone()).await;
        assert_eq!(
            (got, answer["code"].as_str()),
            (status, Some(code)),
            "{body} → {answer}"
        );
    }
    let (status, _) = app
        .post(
            &transfer,
            Some(&friend),
            json!({"email": "dana@example.jo"}),
        )
        .await;
    assert_eq!(status, 404, "only the holder can give it away");

    let (status, given) = app
        .post(&transfer, Some(&buyer), json!({"email": "DANA@example.jo"}))
        .await;
    assert_eq!(status, 200, "{given}");
    assert_eq!(given["valid"], true);
    let (_, theirs) = app.get("/api/v1/me/tickets", Some(&friend)).await;
    assert_eq!(theirs["tickets"][0]["id"], given["id"]);
    let (_, mine) = app.get("/api/v1/me/tickets", Some(&buyer)).await;
    let old = mine["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == json!(ticket))
        .unwrap()
        .clone();
    assert_eq!(old["valid"], false);
    let (status, again) = app
        .post(&transfer, Some(&buyer), json!({"email": "dana@example.jo"}))
        .await;
    assert_eq!(
        (status, again["details"]["reason"].as_str()),
        (409, Some("not_valid"))
    );
}

#[tokio::test]
async fn a_retried_payment_with_the_same_key_gives_back_the_same_page() {
    let app = spawn_app().await;
    let s = show(&app, None).await;
    let buyer = app.register("tala@example.jo").await.access_token;
    let order = reserve(&app, &buyer, s.event_id, s.paid_type, 1).await;
    let pay_with = |key: &'static str| {
        let request = app
            .http
            .post(format!("{}/api/v1/orders/{}/pay", app.url, id(&order)))
            .bearer_auth(&buyer)
            .header("idempotency-key", key)
            .json(&json!({"method": "sandbox"}));
        async move {
            let answer = request.send().await.unwrap();
            (
                answer.status().as_u16(),
                answer.json::<Value>().await.unwrap(),
            )
        }
    };
    let (status, first) = pay_with("pay-1").await;
    assert_eq!(status, 200, "{first}");
    let (_, retried) = pay_with("pay-1").await;
    assert_eq!(retried["redirect_url"], first["redirect_url"]);
    let (_, other) = pay_with("pay-2").await;
    assert_ne!(
        other["redirect_url"], first["redirect_url"],
        "a new key, a new attempt"
    );
    let (status, bad) = pay_with("has space").await;
    assert_eq!(
        (status, bad["code"].as_str()),
        (400, Some("invalid_idempotency_key"))
    );
}

#[tokio::test]
async fn a_card_payment_goes_through_paytabs_hosted_page_and_its_signed_callback() {
    use hafla_server::payments::paytabs::fake::{FakeOutcome, FakePayTabs};
    use hafla_server::payments::paytabs::{PayTabsConfig, ServerKey};
    let fake = FakePayTabs::start(86_123, "SJNLKM-test-server-key")
        .await
        .unwrap();
    let app = common::spawn_app_with_checkout(hafla_server::checkout::CheckoutSettings {
        paytabs: Some(PayTabsConfig {
            base_url: fake.base_url(),
            profile_id: 86_123,
            server_key: ServerKey::new("SJNLKM-test-server-key"),
        }),
        ..Default::default()
    })
    .await;
    let (org, owner) = organization(&app, "owner@amman-jazz.jo").await;
    let s = show(&app, Some(org)).await;
    let buyer = app.register("ahmad@example.jo").await.access_token;

    // Paid on PayTabs' page: PayTabs calls the server back over HTTP, signed.
    let order = reserve(&app, &buyer, s.event_id, s.paid_type, 2).await;
    let (status, started) = pay(&app, &buyer, &order, "paytabs").await;
    assert_eq!(status, 200, "{started}");
    let redirect = started["redirect_url"].as_str().unwrap();
    assert!(redirect.starts_with(fake.base_url().as_str()), "{redirect}");
    let payment = app
        .store
        .order_payments(id(&order))
        .await
        .unwrap()
        .pop()
        .unwrap();
    let tran_ref = payment.provider_ref.clone().unwrap();
    let sale = fake.transaction(&tran_ref).unwrap();
    assert_eq!(sale.amount, Money::jod_fils(25_000));
    assert_eq!(sale.cart_id, payment.id.to_string());
    let delivery = fake.pay(&tran_ref).await.unwrap();
    assert_eq!(delivery.status, 200);
    let (_, paid) = app
        .get(&format!("/api/v1/orders/{}", id(&order)), Some(&buyer))
        .await;
    assert_eq!(paid["status"], "paid");
    assert_eq!(app.store.order_tickets(id(&order)).await.unwrap().len(), 2);

    // The same callback again, and a tampered one: nothing more happens.
    assert_eq!(fake.resend_ipn(&tran_ref).await.unwrap().status, 200);
    assert_eq!(fake.send_tampered_ipn(&tran_ref).await.unwrap().status, 400);
    assert_eq!(app.store.order_tickets(id(&order)).await.unwrap().len(), 2);

    // A callback that never came: the status query settles the order.
    let other = app.register("lost@example.jo").await.access_token;
    let second_show = show(&app, Some(org)).await;
    let paid_type_order =
        reserve(&app, &other, second_show.event_id, second_show.paid_type, 1).await;
    pay(&app, &other, &paid_type_order, "paytabs").await;
    let lost_ref = app
        .store
        .order_payments(id(&paid_type_order))
        .await
        .unwrap()
        .pop()
        .unwrap()
        .provider_ref
        .unwrap();
    fake.set_outcome(&lost_ref, FakeOutcome::Paid).unwrap();
    let soon = jiff::Timestamp::now() + jiff::SignedDuration::from_mins(3);
    assert_eq!(app.checkout.reconcile(soon).await.unwrap(), 1);
    let (_, settled) = app
        .get(
            &format!("/api/v1/orders/{}", id(&paid_type_order)),
            Some(&other),
        )
        .await;
    assert_eq!(settled["status"], "paid");

    // The organizer refunds a ticket: PayTabs returns it against the sale.
    let first = app.store.order_tickets(id(&order)).await.unwrap()[0].id;
    let (status, refunded) = app
        .post(
            &format!("/api/v1/orgs/{org}/orders/{}/refunds", id(&order)),
            Some(&owner),
            json!({"ticket_ids": [first], "reason": "cannot come"}),
        )
        .await;
    assert_eq!(status, 200, "{refunded}");
    let refunds = fake.refunds();
    assert_eq!(refunds.len(), 1);
    assert_eq!(refunds[0].previous_tran_ref, tran_ref);
    assert_eq!(refunds[0].amount, Money::jod_fils(12_500));
}

#[tokio::test]
async fn a_paid_tickets_holder_gets_its_signed_credential_qr_and_a_receipt_by_mail() {
    use hafla_core::credential::Credential;
    let app = spawn_app().await;
    let s = show(&app, None).await;
    let buyer = app.register("nadia@example.jo").await.access_token;
    let (order, _) = bought(&app, &buyer, &s, 2).await;
    let tickets = app.store.order_tickets(order).await.unwrap();

    let (status, credential) = app
        .get(
            &format!("/api/v1/tickets/{}/credential", tickets[0].id),
            Some(&buyer),
        )
        .await;
    assert_eq!(status, 200, "{credential}");
    let text = credential["text"].as_str().unwrap();
    assert!(text.starts_with("HF:"), "{text}");
    let parsed = Credential::parse(text).unwrap();
    assert_eq!(parsed.claims.ticket_serial, tickets[0].serial);
    assert_eq!(parsed.claims.event_ref, tickets[0].event_ref);
    let ring = app.issuer.key_ring(s.event_id).await.unwrap();
    assert_eq!(
        parsed.signature_is_valid(&ring),
        Some(true),
        "signed with the event's key"
    );

    // The QR image carries exactly that text.
    let png = app
        .http
        .get(format!(
            "{}/api/v1/tickets/{}/qr.png",
            app.url, tickets[0].id
        ))
        .bearer_auth(&buyer)
        .send()
        .await
        .unwrap();
    assert_eq!(png.headers()["content-type"], "image/png");
    assert_eq!(png.headers()["cache-control"], "private, no-store");
    let decoded = hafla_core::qr::decode_png(&png.bytes().await.unwrap()).unwrap();
    assert_eq!(decoded, vec![text.to_owned()]);
    let svg = app
        .http
        .get(format!(
            "{}/api/v1/tickets/{}/qr.svg",
            app.url, tickets[0].id
        ))
        .bearer_auth(&buyer)
        .send()
        .await
        .unwrap();
    assert_eq!(svg.headers()["content-type"], "image/svg+xml");
    let (status, _) = app
        .get(
            &format!("/api/v1/tickets/{}/qr.png?size=5", tickets[0].id),
            Some(&buyer),
        )
        .await;
    assert_eq!(status, 400);

    // Only the holder gets it, and only while it is valid.
    let stranger = app.register("stranger@example.jo").await.access_token;
    let (status, _) = app
        .get(
            &format!("/api/v1/tickets/{}/credential", tickets[0].id),
            Some(&stranger),
        )
        .await;
    assert_eq!(status, 404);
    let (_, given) = app
        .post(
            &format!("/api/v1/tickets/{}/transfer", tickets[1].id),
            Some(&buyer),
            json!({"email": "stranger@example.jo"}),
        )
        .await;
    let (status, revoked) = app
        .get(
            &format!("/api/v1/tickets/{}/credential", tickets[1].id),
            Some(&buyer),
        )
        .await;
    assert_eq!(
        (status, revoked["code"].as_str()),
        (409, Some("ticket_not_valid"))
    );
    let (status, theirs) = app
        .get(
            &format!(
                "/api/v1/tickets/{}/credential",
                given["id"].as_str().unwrap()
            ),
            Some(&stranger),
        )
        .await;
    assert_eq!(status, 200);
    let theirs = Credential::parse(theirs["text"].as_str().unwrap()).unwrap();
    assert_ne!(
        theirs.claims.ticket_serial, tickets[1].serial,
        "a new serial"
    );

    // After a key rotation, new credentials use the new key; old ones still verify.
    let (org, owner) = organization(&app, "owner@rotate.jo").await;
    let other_show = show(&app, Some(org)).await;
    let (other_order, _) = bought(&app, &buyer, &other_show, 1).await;
    let ticket = app.store.order_tickets(other_order).await.unwrap()[0].id;
    let fetch = |ticket: Uuid| {
        let app = &app;
        let buyer = buyer.clone();
        async move {
            let (_, c) = app
                .get(
                    &format!("/api/v1/tickets/{ticket}/credential"),
                    Some(&buyer),
                )
                .await;
            Credential::parse(c["text"].as_str().unwrap()).unwrap()
        }
    };
    let before = fetch(ticket).await;
    let rotate = format!(
        "/api/v1/orgs/{org}/events/{}/keys/rotate",
        other_show.event_id
    );
    let (status, rotated) = app.post(&rotate, Some(&owner), json!({})).await;
    assert_eq!(status, 200, "{rotated}");
    let after = fetch(ticket).await;
    assert_eq!(
        u64::from(after.claims.key_id),
        rotated["key_id"].as_u64().unwrap()
    );
    assert_ne!(after.claims.key_id, before.claims.key_id);
    let ring = app.issuer.key_ring(other_show.event_id).await.unwrap();
    assert_eq!(before.signature_is_valid(&ring), Some(true));
    assert_eq!(after.signature_is_valid(&ring), Some(true));
    let (status, _) = app.post(&rotate, Some(&buyer), json!({})).await;
    assert_eq!(status, 403);

    // The buyer got the receipt: one QR per ticket and the calendar entry.
    let receipts: Vec<_> = app
        .mail
        .sent()
        .into_iter()
        .filter(|m| m.to.as_str() == "nadia@example.jo" && !m.attachments.is_empty())
        .collect();
    assert_eq!(receipts.len(), 2, "one per paid order");
    let names: Vec<&str> = receipts[0]
        .attachments
        .iter()
        .filter(|a| a.inline_content_id.is_none())
        .map(|a| a.filename.as_str())
        .collect();
    assert_eq!(names, vec!["ticket-1.png", "ticket-2.png", "event.ics"]);
}

#[tokio::test]
async fn a_cliq_transfer_confirmed_after_the_seats_went_to_others_is_recorded_as_returned() {
    let app = spawn_app().await;
    let (org, owner) = organization(&app, "owner@late-cliq.jo").await;
    let s = show(&app, Some(org)).await;
    app.call(
        reqwest::Method::PUT,
        &format!("/api/v1/orgs/{org}/cliq"),
        Some(&owner),
        Some(json!({"alias": "LATECLIQ"})),
    )
    .await;
    let buyer = app.register("slowbank@example.jo").await.access_token;
    let order = reserve(&app, &buyer, s.event_id, s.paid_type, 2).await;
    pay(&app, &buyer, &order, "cliq").await;
    // Two days later the hold has lapsed and someone else bought both seats.
    let later = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(48);
    let (_, someone) = app.get("/api/v1/me", Some(&owner)).await;
    app.store
        .reserve_order(
            NewOrder {
                id: Uuid::now_v7(),
                reference: new_reference(),
                buyer_id: id(&someone),
                event_id: s.event_id,
                lines: vec![LineRequest {
                    ticket_type_id: s.paid_type,
                    quantity: 2,
                }],
                lang: hafla_core::Lang::Ar,
                idempotency_key: None,
                hold: jiff::SignedDuration::from_mins(10),
            },
            later,
        )
        .await
        .expect("the lapsed seats went back on sale");
    let payment = app
        .store
        .order_payments(id(&order))
        .await
        .unwrap()
        .pop()
        .unwrap();
    let applied = app
        .checkout
        .confirm_cliq(&payment, true, later)
        .await
        .unwrap();
    assert!(
        matches!(
            applied,
            hafla_server::store::payments::Applied::MustRefund { .. }
        ),
        "{applied:?}"
    );
    assert_eq!(
        app.store.order_refunded_minor(id(&order)).await.unwrap(),
        25_000,
        "the organizer owes the transfer back, and it is on record"
    );
    assert!(
        app.store
            .order_tickets(id(&order))
            .await
            .unwrap()
            .is_empty()
    );
}
