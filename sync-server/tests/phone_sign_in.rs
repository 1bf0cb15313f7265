//! Sign-in by SMS one-time code over real HTTP.

mod common;

use common::spawn_app;
use serde_json::{Value, json};

fn code(body: &Value) -> &str {
    body["code"].as_str().unwrap_or_default()
}

/// The six digits in the last SMS to `e164`.
fn sent_code(app: &common::TestApp, e164: &str) -> String {
    let phone = hafla_server::auth::phone::PhoneNumber::parse(e164).unwrap();
    let sms = app.sms.last_to(&phone).expect("an SMS was sent");
    sms.body
        .chars()
        .filter(|c| c.is_ascii_digit())
        .take(6)
        .collect()
}

#[tokio::test]
async fn a_code_texted_to_a_local_number_signs_in_and_creates_the_account_once() {
    let app = spawn_app().await;
    let (status, body) = app
        .post(
            "/api/v1/auth/phone/send",
            None,
            json!({ "phone": "079 123 4567" }),
        )
        .await;
    assert_eq!(status, 202, "{body}");
    let sms = app.sms.sent();
    assert!(
        sms[0].body.contains("حفلة"),
        "Arabic by default: {}",
        sms[0].body
    );
    let otp = sent_code(&app, "+962791234567");
    let (status, session) = app
        .post(
            "/api/v1/auth/phone/verify",
            None,
            json!({ "phone": "+962 79 123 4567", "code": otp }),
        )
        .await;
    assert_eq!(status, 200, "{session}");
    let (_, me) = app
        .get("/api/v1/me", session["access_token"].as_str())
        .await;
    assert_eq!(me["phone"], "+962791234567");
    let (status, body) = app
        .post(
            "/api/v1/auth/phone/verify",
            None,
            json!({ "phone": "0791234567", "code": otp }),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (400, "otp_expired"),
        "a code works once"
    );
    let user = app
        .store
        .user_by_phone("+962791234567")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(me["id"], user.id.to_string());
}

#[tokio::test]
async fn wrong_codes_count_down_and_then_lock_the_code() {
    let app = spawn_app().await;
    app.post(
        "/api/v1/auth/phone/send",
        None,
        json!({ "phone": "0781234567", "lang": "en" }),
    )
    .await;
    let right = sent_code(&app, "+962781234567");
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    for left in (0..5).rev() {
        let (status, body) = app
            .post(
                "/api/v1/auth/phone/verify",
                None,
                json!({ "phone": "0781234567", "code": wrong }),
            )
            .await;
        if left > 0 {
            assert_eq!((status, code(&body)), (400, "otp_wrong"), "{body}");
            assert_eq!(body["details"]["attempts_left"], left);
        } else {
            assert_eq!((status, code(&body)), (400, "otp_locked"), "{body}");
        }
    }
    let (status, body) = app
        .post(
            "/api/v1/auth/phone/verify",
            None,
            json!({ "phone": "0781234567", "code": right }),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (400, "otp_locked"),
        "even the right code, once locked"
    );
}

#[tokio::test]
async fn a_second_code_within_a_minute_must_wait_and_landlines_are_refused() {
    let app = spawn_app().await;
    assert_eq!(
        app.post(
            "/api/v1/auth/phone/send",
            None,
            json!({ "phone": "0771234567" })
        )
        .await
        .0,
        202
    );
    let (status, body) = app
        .post(
            "/api/v1/auth/phone/send",
            None,
            json!({ "phone": "0771234567" }),
        )
        .await;
    assert_eq!((status, code(&body)), (429, "rate_limited"), "{body}");
    let (status, body) = app
        .post(
            "/api/v1/auth/phone/send",
            None,
            json!({ "phone": "06 512 3456" }),
        )
        .await;
    assert_eq!((status, code(&body)), (400, "invalid_phone"));
    assert_eq!(body["details"]["reason"], "not_mobile");
    let (status, body) = app
        .post("/api/v1/auth/phone/send", None, json!({ "phone": "hello" }))
        .await;
    assert_eq!((status, code(&body)), (400, "invalid_phone"));
    assert_eq!(app.sms.sent().len(), 1, "refused requests send nothing");
}
