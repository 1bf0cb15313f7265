//! The adapter against the fake PayTabs over real HTTP, with a small axum listener standing
//! in for Hafla's notification route.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode as AxumStatus};
use axum::routing::post;
use hafla_core::Lang;
use hafla_core::money::Money;
use serde_json::json;
use tokio::sync::mpsc;
use uuid::Uuid;

use super::fake::{FakeOutcome, FakePayTabs};
use super::*;
use crate::payments::Customer;

const PROFILE: u64 = 148_214;
const KEY: &str = "SJJN9MLKHZ-JDGNKNBJ6N-LBNBLTM2JT";

type Received = (HeaderMap, Bytes);

/// Hafla's notification route, reduced to keeping what arrives.
struct Callbacks {
    url: String,
    rx: mpsc::UnboundedReceiver<Received>,
}

impl Callbacks {
    async fn start() -> Callbacks {
        let (tx, rx) = mpsc::unbounded_channel::<Received>();
        let app = axum::Router::new()
            .route(
                "/api/v1/payments/paytabs/notify",
                post(
                    |State(tx): State<mpsc::UnboundedSender<Received>>,
                     headers: HeaderMap,
                     body: Bytes| async move {
                        let _ = tx.send((headers, body));
                        AxumStatus::OK
                    },
                ),
            )
            .with_state(tx);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Callbacks {
            url: format!("http://{addr}/api/v1/payments/paytabs/notify"),
            rx,
        }
    }

    async fn next(&mut self) -> Received {
        tokio::time::timeout(Duration::from_secs(5), self.rx.recv())
            .await
            .expect("a notification within 5 s")
            .expect("the listener is running")
    }
}

struct Shop {
    fake: FakePayTabs,
    paytabs: PayTabs,
    callbacks: Callbacks,
}

async fn shop() -> Shop {
    let fake = FakePayTabs::start(PROFILE, KEY).await.unwrap();
    let paytabs = PayTabs::new(config(fake.base_url(), KEY)).unwrap();
    let callbacks = Callbacks::start().await;
    Shop {
        fake,
        paytabs,
        callbacks,
    }
}

fn config(base_url: Url, key: &str) -> PayTabsConfig {
    PayTabsConfig {
        base_url,
        profile_id: PROFILE,
        server_key: ServerKey::new(key),
    }
}

fn request(fils: i64, notify_url: &str) -> PaymentRequest {
    PaymentRequest {
        payment_id: Uuid::now_v7(),
        order_id: Uuid::now_v7(),
        amount: Money::jod_fils(fils),
        description: "2 × General — Jazz Night".to_owned(),
        customer: Customer {
            name: "Lina Haddad".to_owned(),
            email: Some("lina@example.jo".to_owned()),
            phone: Some("+962791234567".to_owned()),
        },
        lang: Lang::Ar,
        return_url: "https://hafla.example/checkout/done".to_owned(),
        notify_url: notify_url.to_owned(),
    }
}

fn refund_of(payment: &PaymentRequest, tran_ref: &str, fils: i64) -> RefundRequest {
    RefundRequest {
        refund_id: Uuid::now_v7(),
        payment_id: payment.payment_id,
        provider_ref: tran_ref.to_owned(),
        amount: Money::jod_fils(fils),
        reason: "Event cancelled".to_owned(),
    }
}

fn signed_headers(signature: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert("signature", HeaderValue::from_str(signature).unwrap());
    headers
}

/// A notification body as PayTabs writes one, for the signature and parsing tests.
fn ipn_body(payment_id: Uuid, changes: serde_json::Value) -> Vec<u8> {
    let mut body = json!({
        "tran_ref": "TST2633000000042",
        "merchant_id": 7714,
        "profile_id": PROFILE,
        "cart_id": payment_id.to_string(),
        "cart_description": "2 × General — Jazz Night",
        "cart_currency": "JOD",
        "cart_amount": "12.500",
        "tran_currency": "JOD",
        "tran_total": "12.500",
        "tran_type": "Sale",
        "tran_class": "ECom",
        "payment_result": {
            "response_status": "A",
            "response_code": "G12345",
            "response_message": "Authorised",
            "transaction_time": "2026-11-25T16:40:00Z"
        },
        "ipn_trace": "IPNS0101.FA4E0000.00000001"
    });
    if let (Some(body), Some(changes)) = (body.as_object_mut(), changes.as_object()) {
        for (k, v) in changes {
            body.insert(k.clone(), v.clone());
        }
    }
    serde_json::to_vec(&body).unwrap()
}

fn verify_signed(paytabs: &PayTabs, body: &[u8]) -> Result<Notification, PaymentError> {
    let signature = sign(&ServerKey::new(KEY), body);
    paytabs.verify_notification(&signed_headers(&signature), body)
}

#[tokio::test]
async fn a_payment_paid_on_the_hosted_page_notifies_paid_with_the_exact_amount() {
    let mut shop = shop().await;
    let payment = request(12_500, &shop.callbacks.url);

    let created = shop.paytabs.create_payment(&payment).await.unwrap();
    assert!(created.provider_ref.starts_with("TST"), "{created:?}");
    let page = format!("{}paypage/{}", shop.fake.base_url(), created.provider_ref);
    assert_eq!(created.redirect_url, page);

    // The buyer's browser opens the hosted page and pays there.
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let html = browser
        .get(&created.redirect_url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("12.500 JOD"), "{html}");
    let back = browser
        .post(format!("{}/pay", created.redirect_url))
        .send()
        .await
        .unwrap();
    assert_eq!(back.status(), reqwest::StatusCode::SEE_OTHER);
    let location = back.headers()["location"].to_str().unwrap();
    assert!(
        location.starts_with("https://hafla.example/checkout/done?"),
        "{location}"
    );

    let (headers, body) = shop.callbacks.next().await;
    let notification = shop.paytabs.verify_notification(&headers, &body).unwrap();
    assert_eq!(
        notification,
        Notification {
            payment_id: payment.payment_id,
            provider_ref: created.provider_ref.clone(),
            state: PaymentState::Paid {
                amount: Money::jod_fils(12_500)
            },
            dedupe_key: format!("paytabs:{}:A", created.provider_ref),
        }
    );
}

#[tokio::test]
async fn the_payment_request_carries_the_documented_fields() {
    let shop = shop().await;
    let payment = request(12_500, &shop.callbacks.url);
    let created = shop.paytabs.create_payment(&payment).await.unwrap();

    let calls = shop.fake.calls();
    assert_eq!(calls.len(), 1);
    let call = &calls[0];
    assert_eq!(call.path, "/payment/request");
    assert!(call.authorized);
    // The amount is a JSON number with every fils digit, never a float's rounding.
    assert!(
        call.body.contains(r#""cart_amount":12.500"#),
        "{}",
        call.body
    );
    let sent: serde_json::Value = serde_json::from_str(&call.body).unwrap();
    assert_eq!(sent["profile_id"], json!(PROFILE));
    assert_eq!(sent["tran_type"], "sale");
    assert_eq!(sent["tran_class"], "ecom");
    assert_eq!(sent["cart_id"], payment.payment_id.to_string());
    assert_eq!(sent["cart_currency"], "JOD");
    assert_eq!(sent["cart_description"], "2 × General — Jazz Night");
    assert_eq!(sent["paypage_lang"], "ar");
    assert_eq!(
        sent["customer_details"],
        json!({"name": "Lina Haddad", "email": "lina@example.jo", "phone": "+962791234567"})
    );
    assert_eq!(sent["callback"], shop.callbacks.url.as_str());
    assert_eq!(sent["return"], "https://hafla.example/checkout/done");
    assert_eq!(sent["hide_shipping"], true);

    let sale = shop.fake.transaction(&created.provider_ref).unwrap();
    assert_eq!(sale.amount, Money::jod_fils(12_500));
    assert_eq!(sale.outcome, None);
}

#[tokio::test]
async fn a_declined_card_notifies_declined_with_paytabs_message() {
    let mut shop = shop().await;
    let payment = request(30_000, &shop.callbacks.url);
    let created = shop.paytabs.create_payment(&payment).await.unwrap();

    let delivery = shop.fake.decline(&created.provider_ref).await.unwrap();
    assert_eq!(delivery.status, 200);

    let (headers, body) = shop.callbacks.next().await;
    let notification = shop.paytabs.verify_notification(&headers, &body).unwrap();
    assert_eq!(
        notification.state,
        PaymentState::Declined {
            reason: "Insufficient funds".to_owned()
        }
    );
    assert_eq!(notification.payment_id, payment.payment_id);
    assert_eq!(
        notification.dedupe_key,
        format!("paytabs:{}:D", created.provider_ref)
    );
}

#[tokio::test]
async fn a_payment_cancelled_on_the_page_notifies_cancelled() {
    let mut shop = shop().await;
    let payment = request(5_000, &shop.callbacks.url);
    let created = shop.paytabs.create_payment(&payment).await.unwrap();

    shop.fake.cancel(&created.provider_ref).await.unwrap();

    let (headers, body) = shop.callbacks.next().await;
    let notification = shop.paytabs.verify_notification(&headers, &body).unwrap();
    assert_eq!(notification.state, PaymentState::Cancelled);
    assert_eq!(
        notification.dedupe_key,
        format!("paytabs:{}:C", created.provider_ref)
    );
}

#[tokio::test]
async fn a_replayed_notification_reads_the_same_with_the_same_dedupe_key() {
    let mut shop = shop().await;
    let payment = request(12_500, &shop.callbacks.url);
    let created = shop.paytabs.create_payment(&payment).await.unwrap();
    shop.fake.pay(&created.provider_ref).await.unwrap();
    shop.fake.resend_ipn(&created.provider_ref).await.unwrap();

    let (h1, b1) = shop.callbacks.next().await;
    let (h2, b2) = shop.callbacks.next().await;
    assert_eq!(b1, b2);
    let first = shop.paytabs.verify_notification(&h1, &b1).unwrap();
    let second = shop.paytabs.verify_notification(&h2, &b2).unwrap();
    assert_eq!(first, second);
}

#[tokio::test]
async fn a_tampered_notification_is_refused() {
    let mut shop = shop().await;
    let payment = request(12_500, &shop.callbacks.url);
    let created = shop.paytabs.create_payment(&payment).await.unwrap();
    shop.fake.pay(&created.provider_ref).await.unwrap();
    let (headers, body) = shop.callbacks.next().await;
    shop.paytabs.verify_notification(&headers, &body).unwrap();

    // The amount lowered to 0.001 JOD under the original signature.
    shop.fake
        .send_tampered_ipn(&created.provider_ref)
        .await
        .unwrap();
    let (headers, tampered) = shop.callbacks.next().await;
    assert_ne!(tampered, body);
    let err = shop
        .paytabs
        .verify_notification(&headers, &tampered)
        .unwrap_err();
    assert!(
        matches!(&err, PaymentError::BadNotification(m) if m.contains("does not match")),
        "{err:?}"
    );

    // One byte changed anywhere is enough.
    let mut flipped = body.to_vec();
    let last = flipped.len() - 2;
    flipped[last] ^= 0x01;
    assert!(matches!(
        shop.paytabs.verify_notification(&headers, &flipped),
        Err(PaymentError::BadNotification(_))
    ));
}

#[tokio::test]
async fn notifications_without_a_valid_signature_are_refused() {
    let mut shop = shop().await;
    let payment = request(12_500, &shop.callbacks.url);
    let created = shop.paytabs.create_payment(&payment).await.unwrap();
    shop.fake.pay(&created.provider_ref).await.unwrap();
    let (headers, body) = shop.callbacks.next().await;
    let good = headers["signature"].to_str().unwrap().to_owned();
    let paytabs = &shop.paytabs;

    let unsigned = paytabs.verify_notification(&HeaderMap::new(), &body);
    assert_eq!(
        unsigned,
        Err(PaymentError::BadNotification("no signature header".into()))
    );
    let other_key = sign(&ServerKey::new("ANOTHER-PROFILES-KEY"), &body);
    for signature in [
        other_key.as_str(),
        "not hex at all",
        &good[..62],
        &format!("{good}00"),
        "",
    ] {
        assert!(
            matches!(
                paytabs.verify_notification(&signed_headers(signature), &body),
                Err(PaymentError::BadNotification(_))
            ),
            "{signature:?}"
        );
    }
    // Hex is hex in either case.
    paytabs
        .verify_notification(&signed_headers(&good.to_ascii_uppercase()), &body)
        .unwrap();
    // The fake signs exactly like the adapter checks.
    assert_eq!(shop.fake.sign(&body), good);
}

#[tokio::test]
async fn a_signed_notification_that_is_not_ours_is_refused() {
    let shop = shop().await;
    let payment_id = Uuid::now_v7();
    verify_signed(&shop.paytabs, &ipn_body(payment_id, json!({}))).unwrap();

    let not_ours = [
        ("another profile", json!({"profile_id": 99_999})),
        ("a refund", json!({"tran_type": "Refund"})),
        (
            "a cart that is not a payment id",
            json!({"cart_id": "cart_11111"}),
        ),
        ("no tran_ref", json!({"tran_ref": null})),
        (
            "a tran_ref with odd characters",
            json!({"tran_ref": "TST 1\n2"}),
        ),
        (
            "an unknown status",
            json!({"payment_result": {"response_status": "Q"}}),
        ),
        (
            "an unknown currency",
            json!({"cart_currency": "XXX", "tran_currency": "XXX"}),
        ),
        (
            "four decimals",
            json!({"cart_amount": "12.5001", "tran_total": "12.5001"}),
        ),
        (
            "a negative amount",
            json!({"cart_amount": "-12.500", "tran_total": "-12.500"}),
        ),
        (
            "an amount that is no number",
            json!({"cart_amount": true, "tran_total": null}),
        ),
    ];
    for (what, changes) in not_ours {
        let result = verify_signed(&shop.paytabs, &ipn_body(payment_id, changes));
        assert!(
            matches!(result, Err(PaymentError::BadNotification(_))),
            "{what}: {result:?}"
        );
    }
    let result = verify_signed(&shop.paytabs, b"{\"tran_ref\": ");
    assert!(matches!(result, Err(PaymentError::BadNotification(_))));
    let result = verify_signed(&shop.paytabs, b"");
    assert!(matches!(result, Err(PaymentError::BadNotification(_))));
}

#[tokio::test]
async fn a_notification_reads_what_was_taken_and_numbers_exactly() {
    let shop = shop().await;
    let payment_id = Uuid::now_v7();
    let read = |changes| {
        verify_signed(&shop.paytabs, &ipn_body(payment_id, changes))
            .unwrap()
            .state
    };
    let paid = |fils| PaymentState::Paid {
        amount: Money::jod_fils(fils),
    };
    // A PayTabs discount: the card was charged less than the cart.
    assert_eq!(read(json!({"tran_total": "11.250"})), paid(11_250));
    // Amounts written as JSON numbers keep their exact text.
    assert_eq!(
        read(json!({"cart_amount": 12.005, "tran_total": null})),
        paid(12_005)
    );
    // A charge in another currency: the cart's amount is what Hafla asked for.
    assert_eq!(
        read(json!({"tran_currency": "USD", "tran_total": "17.63"})),
        paid(12_500)
    );
    assert_eq!(
        read(json!({"payment_result": {"response_status": "H"}})),
        PaymentState::Pending
    );
    assert_eq!(
        read(
            json!({"payment_result": {"response_status": "X", "response_message": "Transaction expired"}})
        ),
        PaymentState::Cancelled
    );
    assert_eq!(
        read(
            json!({"payment_result": {"response_status": "E", "response_message": "Issuer\nunavailable"}})
        ),
        PaymentState::Declined {
            reason: "Issuer unavailable".to_owned()
        }
    );
}

#[tokio::test]
async fn a_wrong_server_key_is_refused_with_a_message_naming_the_credentials() {
    let shop = shop().await;
    let wrong = PayTabs::new(config(shop.fake.base_url(), "WRONG-KEY-0000")).unwrap();
    let err = wrong
        .create_payment(&request(12_500, &shop.callbacks.url))
        .await
        .unwrap_err();
    let PaymentError::Refused(message) = &err else {
        panic!("expected a refusal, got {err:?}");
    };
    assert!(message.contains("HTTP 401 (code 1)"), "{message}");
    assert!(
        message.contains("Authentication failed. Check authentication header."),
        "{message}"
    );
    assert!(message.contains("server key"), "{message}");
    assert!(!message.contains("WRONG-KEY-0000"), "{message}");

    let other_profile = PayTabs::new(PayTabsConfig {
        profile_id: PROFILE + 1,
        ..config(shop.fake.base_url(), KEY)
    })
    .unwrap();
    let err = other_profile
        .query(Uuid::now_v7(), "TST2633000000001")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, PaymentError::Refused(m) if m.contains("code 1")),
        "{err:?}"
    );
    assert!(shop.fake.transactions().is_empty());
}

#[tokio::test]
async fn a_payment_whose_notification_was_missed_is_found_by_query() {
    let shop = shop().await;
    let payment = request(12_500, &shop.callbacks.url);
    let created = shop.paytabs.create_payment(&payment).await.unwrap();
    assert_eq!(
        shop.paytabs
            .query(payment.payment_id, &created.provider_ref)
            .await
            .unwrap(),
        PaymentState::Pending
    );

    // Paid, and every notification lost.
    shop.fake
        .set_outcome(&created.provider_ref, FakeOutcome::Paid)
        .unwrap();
    assert_eq!(
        shop.paytabs
            .query(payment.payment_id, &created.provider_ref)
            .await
            .unwrap(),
        PaymentState::Paid {
            amount: Money::jod_fils(12_500)
        }
    );
    let last = shop.fake.calls().pop().unwrap();
    assert_eq!(last.path, "/payment/query");
    let sent: serde_json::Value = serde_json::from_str(&last.body).unwrap();
    assert_eq!(
        sent,
        json!({"profile_id": PROFILE, "tran_ref": created.provider_ref})
    );
}

#[tokio::test]
async fn query_reads_every_outcome_of_the_page() {
    let shop = shop().await;
    let cases = [
        (
            FakeOutcome::Declined,
            PaymentState::Declined {
                reason: "Insufficient funds".into(),
            },
        ),
        (
            FakeOutcome::Failed,
            PaymentState::Declined {
                reason: "Issuer unavailable".into(),
            },
        ),
        (FakeOutcome::Cancelled, PaymentState::Cancelled),
        (FakeOutcome::Expired, PaymentState::Cancelled),
        (FakeOutcome::OnHold, PaymentState::Pending),
    ];
    for (outcome, expected) in cases {
        let payment = request(7_250, &shop.callbacks.url);
        let created = shop.paytabs.create_payment(&payment).await.unwrap();
        shop.fake
            .set_outcome(&created.provider_ref, outcome)
            .unwrap();
        let state = shop
            .paytabs
            .query(payment.payment_id, &created.provider_ref)
            .await
            .unwrap();
        assert_eq!(state, expected, "{outcome:?}");
    }
}

#[tokio::test]
async fn query_refuses_a_transaction_of_another_payment_or_none_at_all() {
    let shop = shop().await;
    let payment = request(12_500, &shop.callbacks.url);
    let created = shop.paytabs.create_payment(&payment).await.unwrap();

    let err = shop
        .paytabs
        .query(Uuid::now_v7(), &created.provider_ref)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, PaymentError::Refused(m) if m.contains("another cart")),
        "{err:?}"
    );

    let err = shop
        .paytabs
        .query(payment.payment_id, "TST9999999999999")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, PaymentError::Refused(m) if m.contains("Invalid transaction reference")),
        "{err:?}"
    );
    let err = shop
        .paytabs
        .query(payment.payment_id, "../../etc")
        .await
        .unwrap_err();
    assert!(matches!(err, PaymentError::Refused(_)), "{err:?}");
}

#[tokio::test]
async fn refunds_within_the_paid_amount_are_accepted_and_recorded() {
    let shop = shop().await;
    let payment = request(12_500, &shop.callbacks.url);
    let created = shop.paytabs.create_payment(&payment).await.unwrap();
    shop.fake
        .set_outcome(&created.provider_ref, FakeOutcome::Paid)
        .unwrap();

    let first = refund_of(&payment, &created.provider_ref, 5_000);
    let receipt = shop.paytabs.refund(&first).await.unwrap();
    assert!(receipt.provider_ref.starts_with("TST"));
    assert_ne!(receipt.provider_ref, created.provider_ref);
    // The rest, to the last fils.
    let second = refund_of(&payment, &created.provider_ref, 7_500);
    shop.paytabs.refund(&second).await.unwrap();

    let refunds = shop.fake.refunds();
    assert_eq!(refunds.len(), 2);
    assert_eq!(refunds[0].tran_ref, receipt.provider_ref);
    assert_eq!(refunds[0].previous_tran_ref, created.provider_ref);
    assert_eq!(refunds[0].cart_id, first.refund_id.to_string());
    assert_eq!(refunds[0].amount, Money::jod_fils(5_000));
    assert_eq!(refunds[0].reason, "Event cancelled");
    assert_eq!(refunds[1].amount, Money::jod_fils(7_500));

    let call = shop.fake.calls().pop().unwrap();
    let sent: serde_json::Value = serde_json::from_str(&call.body).unwrap();
    assert_eq!(sent["tran_type"], "refund");
    assert_eq!(sent["tran_class"], "ecom");
    assert_eq!(sent["tran_ref"], created.provider_ref.as_str());
    assert!(
        call.body.contains(r#""cart_amount":7.500"#),
        "{}",
        call.body
    );
}

#[tokio::test]
async fn a_refund_above_the_paid_amount_is_refused() {
    let shop = shop().await;
    let payment = request(12_500, &shop.callbacks.url);
    let created = shop.paytabs.create_payment(&payment).await.unwrap();
    shop.fake
        .set_outcome(&created.provider_ref, FakeOutcome::Paid)
        .unwrap();

    let err = shop
        .paytabs
        .refund(&refund_of(&payment, &created.provider_ref, 12_501))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, PaymentError::Refused(m) if m.contains("exceeds")),
        "{err:?}"
    );
    shop.paytabs
        .refund(&refund_of(&payment, &created.provider_ref, 10_000))
        .await
        .unwrap();
    let err = shop
        .paytabs
        .refund(&refund_of(&payment, &created.provider_ref, 2_501))
        .await
        .unwrap_err();
    assert!(matches!(err, PaymentError::Refused(_)), "{err:?}");
    assert_eq!(shop.fake.refunds().len(), 1);
}

#[tokio::test]
async fn a_refund_sent_twice_with_the_same_id_is_paid_once() {
    let shop = shop().await;
    let payment = request(12_500, &shop.callbacks.url);
    let created = shop.paytabs.create_payment(&payment).await.unwrap();
    shop.fake
        .set_outcome(&created.provider_ref, FakeOutcome::Paid)
        .unwrap();
    let refund = refund_of(&payment, &created.provider_ref, 2_000);

    shop.paytabs.refund(&refund).await.unwrap();
    let err = shop.paytabs.refund(&refund).await.unwrap_err();
    assert!(
        matches!(&err, PaymentError::Refused(m) if m.contains("Duplicate Request")),
        "{err:?}"
    );
    assert_eq!(shop.fake.refunds().len(), 1);
}

#[tokio::test]
async fn a_refund_of_an_unpaid_payment_is_refused() {
    let shop = shop().await;
    let payment = request(12_500, &shop.callbacks.url);
    let created = shop.paytabs.create_payment(&payment).await.unwrap();
    let err = shop
        .paytabs
        .refund(&refund_of(&payment, &created.provider_ref, 1_000))
        .await
        .unwrap_err();
    assert!(matches!(err, PaymentError::Refused(_)), "{err:?}");
    assert!(shop.fake.refunds().is_empty());
}

#[tokio::test]
async fn amounts_like_12_500_jod_round_trip_exactly_through_paytabs() {
    let mut shop = shop().await;
    for fils in [1, 999, 12_500, 100_001, 1_000_000_001, 123_456_789_012] {
        let payment = request(fils, &shop.callbacks.url);
        let created = shop.paytabs.create_payment(&payment).await.unwrap();
        let text = amount_to_decimal(Money::jod_fils(fils)).unwrap();
        let call = shop.fake.calls().pop().unwrap();
        assert!(
            call.body.contains(&format!(r#""cart_amount":{text}"#)),
            "{}",
            call.body
        );
        shop.fake.pay(&created.provider_ref).await.unwrap();
        let (headers, body) = shop.callbacks.next().await;
        assert_eq!(
            shop.paytabs
                .verify_notification(&headers, &body)
                .unwrap()
                .state,
            PaymentState::Paid {
                amount: Money::jod_fils(fils)
            },
            "{text}"
        );
    }
}

#[tokio::test]
async fn zero_and_negative_amounts_are_refused_before_calling_paytabs() {
    let shop = shop().await;
    for fils in [0, -1, -12_500] {
        let err = shop
            .paytabs
            .create_payment(&request(fils, &shop.callbacks.url))
            .await
            .unwrap_err();
        assert!(matches!(err, PaymentError::Refused(_)), "{fils}: {err:?}");
    }
    assert!(shop.fake.calls().is_empty());
}

#[tokio::test]
async fn real_paytabs_is_never_given_an_http_notify_url() {
    let paytabs = PayTabs::new(PayTabsConfig::jordan(PROFILE, ServerKey::new(KEY))).unwrap();
    let err = paytabs
        .create_payment(&request(12_500, "http://hafla.example/notify"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, PaymentError::Refused(m) if m.contains("https")),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_server_that_is_down_is_unavailable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let base = Url::parse(&format!("http://{addr}")).unwrap();
    let paytabs = PayTabs::new(config(base, KEY)).unwrap();
    let err = paytabs
        .create_payment(&request(12_500, "http://127.0.0.1:9/notify"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, PaymentError::Unavailable(m) if m.contains("could not connect")),
        "{err:?}"
    );
}

/// A stand-in for PayTabs having a bad day.
async fn broken_paytabs(status: u16, body: &'static str, delay: Duration) -> Url {
    let app = axum::Router::new().fallback(move || async move {
        tokio::time::sleep(delay).await;
        (AxumStatus::from_u16(status).unwrap(), body)
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    Url::parse(&format!("http://{addr}")).unwrap()
}

#[tokio::test]
async fn outages_and_garbage_are_unavailable_not_refused() {
    let cases = [
        (502, "<html>Bad Gateway</html>", "HTTP 502"),
        (
            503,
            r#"{"code": 500, "message": "Service down"}"#,
            "Service down",
        ),
        (429, "", "HTTP 429"),
        (200, "not json", "no readable JSON"),
        (200, r#"{"tran_ref": "TST2633000000001"}"#, "redirect_url"),
        (
            200,
            r#"{"redirect_url": "https://x.example/p"}"#,
            "without a tran_ref",
        ),
    ];
    for (status, body, expected) in cases {
        let base = broken_paytabs(status, body, Duration::ZERO).await;
        let err = PayTabs::new(config(base, KEY))
            .unwrap()
            .create_payment(&request(12_500, "http://127.0.0.1:9/notify"))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, PaymentError::Unavailable(m) if m.contains(expected)),
            "{status} {body}: {err:?}"
        );
    }
}

#[tokio::test]
async fn an_answer_slower_than_the_timeout_is_unavailable() {
    let base = broken_paytabs(200, "{}", Duration::from_secs(5)).await;
    let paytabs = PayTabs::with_timeout(config(base, KEY), Duration::from_millis(200)).unwrap();
    let err = paytabs
        .query(Uuid::now_v7(), "TST2633000000001")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, PaymentError::Unavailable(m) if m.contains("timed out")),
        "{err:?}"
    );
}

#[test]
fn http_is_allowed_only_for_a_local_fake() {
    let with = |url: &str| PayTabs::new(config(Url::parse(url).unwrap(), KEY));
    for good in [
        "https://secure-jordan.paytabs.com",
        "https://secure-jordan.paytabs.com/",
        "http://127.0.0.1:8080",
        "http://localhost:8080",
        "http://[::1]:8080",
    ] {
        assert!(with(good).is_ok(), "{good}");
    }
    for bad in [
        "http://secure-jordan.paytabs.com",
        "http://10.0.0.5:8080",
        "ftp://secure-jordan.paytabs.com",
        "https://user:pw@secure-jordan.paytabs.com",
        "https://secure-jordan.paytabs.com/?x=1",
    ] {
        assert!(matches!(with(bad), Err(PayTabsError::Config(_))), "{bad}");
    }
}

#[test]
fn bad_profiles_and_keys_are_configuration_errors() {
    let base = Url::parse(PayTabsConfig::JORDAN).unwrap();
    for key in ["", "has space", "line\nbreak", "مفتاح"] {
        assert!(
            matches!(
                PayTabs::new(config(base.clone(), key)),
                Err(PayTabsError::Config(_))
            ),
            "{key:?}"
        );
    }
    let no_profile = PayTabsConfig {
        profile_id: 0,
        ..config(base.clone(), KEY)
    };
    assert!(matches!(
        PayTabs::new(no_profile),
        Err(PayTabsError::Config(_))
    ));
    let endpoints = PayTabs::new(config(base, KEY)).unwrap();
    assert_eq!(
        endpoints.request_url.as_str(),
        "https://secure-jordan.paytabs.com/payment/request"
    );
    assert_eq!(
        endpoints.query_url.as_str(),
        "https://secure-jordan.paytabs.com/payment/query"
    );
}

#[test]
fn debug_output_never_shows_the_server_key() {
    let config = PayTabsConfig::jordan(PROFILE, ServerKey::new(KEY));
    let printed = format!("{config:?}");
    assert!(!printed.contains(KEY), "{printed}");
    assert!(printed.contains("ServerKey(***)"), "{printed}");
    let paytabs = PayTabs::new(config).unwrap();
    let printed = format!("{paytabs:?}");
    assert!(!printed.contains(KEY), "{printed}");
    assert!(printed.contains("148214"), "{printed}");
}

#[test]
fn an_echoed_key_is_scrubbed_from_messages() {
    let text = scrub(&format!("bad key {KEY}\r\nagain"), KEY);
    assert_eq!(text, "bad key ***  again");
    assert_eq!(scrub(&"x".repeat(1_000), KEY).chars().count(), 301);
}

#[test]
fn signatures_are_hex_hmac_sha256() {
    // RFC 4231, test case 2.
    assert_eq!(
        sign(&ServerKey::new("Jefe"), b"what do ya want for nothing?"),
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
    let bytes =
        decode_hex("5BDCC146BF60754E6A042426089575C75A003F089D2739839DEC58B964EC3843").unwrap();
    assert_eq!(
        encode_hex(&bytes),
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
    assert_eq!(decode_hex("zz"), None);
}

#[tokio::test]
async fn a_profile_id_written_as_text_is_read_too() {
    let shop = shop().await;
    let body = ipn_body(Uuid::now_v7(), json!({"profile_id": "148214"}));
    verify_signed(&shop.paytabs, &body).unwrap();
    let body = ipn_body(Uuid::now_v7(), json!({"profile_id": "148215"}));
    assert!(matches!(
        verify_signed(&shop.paytabs, &body),
        Err(PaymentError::BadNotification(_))
    ));
}
