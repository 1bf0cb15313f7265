//! Sign-up, sign-in, sessions and password reset over real HTTP, with bad input refused.

mod common;

use common::spawn_app;
use hafla_server::auth::tokens::TokenKeys;
use serde_json::{Value, json};

fn code(body: &Value) -> &str {
    body["code"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn a_new_account_gets_a_session_and_a_verification_link_that_works_once() {
    let app = spawn_app().await;
    let session = app.register("Layla@Example.JO").await;
    let (status, me) = app.get("/api/v1/me", Some(&session.access_token)).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["email"], "layla@example.jo");
    assert_eq!(me["email_verified"], false);
    let token = app.last_link_token("layla@example.jo");
    assert_eq!(
        app.post("/api/v1/auth/verify-email", None, json!({ "token": token }))
            .await
            .0,
        204
    );
    let (_, me) = app.get("/api/v1/me", Some(&session.access_token)).await;
    assert_eq!(me["email_verified"], true);
    let (status, body) = app
        .post("/api/v1/auth/verify-email", None, json!({ "token": token }))
        .await;
    assert_eq!((status, code(&body)), (400, "invalid_token"));
}

#[tokio::test]
async fn a_taken_email_a_weak_password_and_a_bad_address_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    app.register("omar@example.jo").await;
    let register = |email: &str, password: &str| json!({ "email": email, "password": password });
    let (status, body) = app
        .post(
            "/api/v1/auth/register",
            None,
            register("OMAR@example.jo", "another long password"),
        )
        .await;
    assert_eq!((status, code(&body)), (409, "email_taken"));
    let (status, body) = app
        .post(
            "/api/v1/auth/register",
            None,
            register("new@example.jo", "short"),
        )
        .await;
    assert_eq!((status, code(&body)), (400, "weak_password"));
    assert_eq!(body["details"]["rule"], "too_short");
    let (status, body) = app
        .post(
            "/api/v1/auth/register",
            None,
            register("not-an-email", "a long enough password"),
        )
        .await;
    assert_eq!((status, code(&body)), (400, "invalid_email"));
    assert!(
        app.store
            .user_by_email("new@example.jo")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(app.mail.sent().len(), 1, "only the first sign-up sent mail");
}

#[tokio::test]
async fn signing_in_needs_the_right_password_and_says_nothing_about_which_part_was_wrong() {
    let app = spawn_app().await;
    app.register("rana@example.jo").await;
    let login = |email: &str, password: &str| json!({ "email": email, "password": password });
    let (status, body) = app
        .post(
            "/api/v1/auth/login",
            None,
            login("rana@example.jo", "a long enough password"),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    for (email, password) in [
        ("rana@example.jo", "wrong password!"),
        ("nobody@example.jo", "a long enough password"),
    ] {
        let (status, body) = app
            .post("/api/v1/auth/login", None, login(email, password))
            .await;
        assert_eq!((status, code(&body)), (401, "invalid_credentials"));
    }
}

#[tokio::test]
async fn a_refresh_token_rotates_and_a_reused_one_ends_the_whole_sign_in() {
    let app = spawn_app().await;
    let first = app.register("hadi@example.jo").await;
    let (status, second) = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({ "refresh_token": first.refresh_token }),
        )
        .await;
    assert_eq!(status, 200, "{second}");
    assert_ne!(second["refresh_token"], first.refresh_token.as_str());
    let (status, body) = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({ "refresh_token": first.refresh_token }),
        )
        .await;
    assert_eq!((status, code(&body)), (401, "token_reused"));
    let (status, body) = app
        .post(
            "/api/v1/auth/refresh",
            None,
            json!({ "refresh_token": second["refresh_token"] }),
        )
        .await;
    assert_eq!(
        (status, code(&body)),
        (401, "invalid_token"),
        "the thief's copy died with the family"
    );
}

#[tokio::test]
async fn logging_out_ends_this_sign_in_and_logging_out_everywhere_ends_all() {
    let app = spawn_app().await;
    let phone = app.register("lina@example.jo").await;
    let (_, laptop) = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({ "email": "lina@example.jo", "password": "a long enough password" }),
        )
        .await;
    assert_eq!(
        app.post("/api/v1/auth/logout", Some(&phone.access_token), json!({}))
            .await
            .0,
        204
    );
    let refresh = |token: &Value| json!({ "refresh_token": token });
    assert_eq!(
        app.post(
            "/api/v1/auth/refresh",
            None,
            refresh(&json!(phone.refresh_token))
        )
        .await
        .0,
        401
    );
    let (status, rotated) = app
        .post(
            "/api/v1/auth/refresh",
            None,
            refresh(&laptop["refresh_token"]),
        )
        .await;
    assert_eq!(status, 200);
    let access = rotated["access_token"].as_str().unwrap();
    assert_eq!(
        app.post("/api/v1/auth/logout-all", Some(access), json!({}))
            .await
            .0,
        204
    );
    assert_eq!(
        app.post(
            "/api/v1/auth/refresh",
            None,
            refresh(&rotated["refresh_token"])
        )
        .await
        .0,
        401
    );
}

#[tokio::test]
async fn a_password_reset_link_sets_a_new_password_once_and_ends_every_session() {
    let app = spawn_app().await;
    let session = app.register("salma@example.jo").await;
    assert_eq!(
        app.post(
            "/api/v1/auth/password-reset",
            None,
            json!({ "email": "ghost@example.jo" })
        )
        .await
        .0,
        202
    );
    assert_eq!(app.mail.sent().len(), 1, "no mail for an unknown address");
    assert_eq!(
        app.post(
            "/api/v1/auth/password-reset",
            None,
            json!({ "email": "salma@example.jo" })
        )
        .await
        .0,
        202
    );
    let token = app.last_link_token("salma@example.jo");
    let confirm = |password: &str| json!({ "token": token, "new_password": password });
    let (status, body) = app
        .post(
            "/api/v1/auth/password-reset/confirm",
            None,
            confirm("short"),
        )
        .await;
    assert_eq!((status, code(&body)), (400, "weak_password"));
    let token = {
        // The weak attempt used the link; ask for another, as a person would.
        app.post(
            "/api/v1/auth/password-reset",
            None,
            json!({ "email": "salma@example.jo" }),
        )
        .await;
        app.last_link_token("salma@example.jo")
    };
    let confirm = json!({ "token": token, "new_password": "a brand new passphrase" });
    assert_eq!(
        app.post("/api/v1/auth/password-reset/confirm", None, confirm.clone())
            .await
            .0,
        204
    );
    let (status, body) = app
        .post("/api/v1/auth/password-reset/confirm", None, confirm)
        .await;
    assert_eq!((status, code(&body)), (400, "invalid_token"));
    let refresh = json!({ "refresh_token": session.refresh_token });
    assert_eq!(app.post("/api/v1/auth/refresh", None, refresh).await.0, 401);
    let login = json!({ "email": "salma@example.jo", "password": "a brand new passphrase" });
    assert_eq!(app.post("/api/v1/auth/login", None, login).await.0, 200);
}

#[tokio::test]
async fn malformed_bodies_get_specific_codes_never_a_500() {
    let app = spawn_app().await;
    let url = format!("{}/api/v1/auth/login", app.url);
    let send = |content_type: &'static str, body: Vec<u8>| {
        let request = app
            .http
            .post(&url)
            .header("content-type", content_type)
            .body(body);
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        (
            "application/json",
            b"{\"email\": ".to_vec(),
            400,
            "malformed_json",
        ),
        (
            "application/json",
            b"{\"email\": \"\xff\xfe\", \"password\": \"x\"}".to_vec(),
            400,
            "malformed_json",
        ),
        (
            "application/json",
            b"{\"email\": 42, \"password\": \"x\"}".to_vec(),
            422,
            "invalid_body",
        ),
        (
            "application/json",
            b"{\"password\": \"x\"}".to_vec(),
            422,
            "invalid_body",
        ),
        (
            "application/json",
            b"{\"email\": \"a@b.jo\", \"password\": \"x\", \"admin\": true}".to_vec(),
            422,
            "invalid_body",
        ),
        (
            "text/plain",
            b"email=a@b.jo".to_vec(),
            415,
            "unsupported_media_type",
        ),
        (
            "application/json",
            vec![b' '; 2 * 1024 * 1024],
            413,
            "payload_too_large",
        ),
    ];
    for (content_type, body, status, expected) in cases {
        let (got, response) = send(content_type, body).await;
        assert_eq!((got, code(&response)), (status, expected), "{response}");
    }
}

#[tokio::test]
async fn forged_tampered_and_expired_access_tokens_are_refused() {
    let app = spawn_app().await;
    let session = app.register("fadi@example.jo").await;
    let forged = TokenKeys::from_seed(&[9; 32]).unwrap();
    let user = uuid::Uuid::now_v7();
    let forged_token = forged
        .issue(user, user, true, jiff::Timestamp::now())
        .unwrap();
    let tampered = format!("{}x", session.access_token);
    for token in [forged_token.as_str(), tampered.as_str(), "garbage"] {
        let (status, body) = app.get("/api/v1/me", Some(token)).await;
        assert_eq!((status, code(&body)), (401, "unauthenticated"), "{token}");
    }
    let ours = TokenKeys::from_seed(&[7; 32]).unwrap();
    let old = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(2);
    let expired = ours.issue(user, user, false, old).unwrap();
    let (status, body) = app.get("/api/v1/me", Some(&expired)).await;
    assert_eq!((status, code(&body)), (401, "token_expired"));
    let (status, _) = app.get("/api/v1/events", Some(&expired)).await;
    assert_eq!(status, 200, "a stale token does not block public data");
}

#[tokio::test]
async fn repeated_sign_in_attempts_for_one_account_are_slowed_with_retry_after() {
    let app = spawn_app().await;
    app.register("target@example.jo").await;
    let wrong = json!({ "email": "target@example.jo", "password": "guess guess guess" });
    for _ in 0..10 {
        assert_eq!(
            app.post("/api/v1/auth/login", None, wrong.clone()).await.0,
            401
        );
    }
    let response = app
        .http
        .post(format!("{}/api/v1/auth/login", app.url))
        .header("accept-language", "ar")
        .json(&wrong)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    let retry_after: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry_after >= 1);
    let body: Value = response.json().await.unwrap();
    assert_eq!(code(&body), "rate_limited");
    assert!(
        body["message"].as_str().unwrap().contains("حاول مجدداً"),
        "{body}"
    );
    let right = json!({ "email": "target@example.jo", "password": "a long enough password" });
    assert_eq!(
        app.post("/api/v1/auth/login", None, right).await.0,
        429,
        "even the right password waits"
    );
}
