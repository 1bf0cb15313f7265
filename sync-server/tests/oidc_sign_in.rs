//! Sign-in with a real OpenID Connect provider (oauth2-mock-server) through the API.

mod common;

use common::spawn_app_with;
use hafla_server::auth::oidc::{OidcClient, OidcProviderConfig};
use hafla_server::test_support::start_oidc_mock;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;

const APP_REDIRECT: &str = "hafla://auth/callback";

/// Plays the system browser: opens the provider's page and returns the app redirect's query.
async fn browse(authorization_url: &str) -> HashMap<String, String> {
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = browser.get(authorization_url).send().await.unwrap();
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with(APP_REDIRECT), "{location}");
    url::Url::parse(&location)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

#[tokio::test]
async fn a_provider_sign_in_creates_a_verified_account_and_the_state_works_once() {
    let mock = start_oidc_mock("RS256").await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let config = OidcProviderConfig::new(
        "mock",
        mock.issuer.clone(),
        "hafla-app",
        APP_REDIRECT.parse().unwrap(),
    );
    let client = OidcClient::discover(config, http).await.expect("discovery");
    let app = spawn_app_with(HashMap::from([("mock".to_owned(), Arc::new(client))])).await;

    let (status, start) = app
        .post("/api/v1/auth/oidc/mock/start", None, json!({}))
        .await;
    assert_eq!(status, 200, "{start}");
    let query = browse(start["authorization_url"].as_str().unwrap()).await;
    assert_eq!(query["state"], start["state"].as_str().unwrap());
    let callback = json!({ "state": query["state"], "code": query["code"] });
    let (status, session) = app
        .post("/api/v1/auth/oidc/callback", None, callback.clone())
        .await;
    assert_eq!(status, 200, "{session}");
    let (_, me) = app
        .get("/api/v1/me", session["access_token"].as_str())
        .await;
    assert_eq!(me["email"], "layla@example.jo");
    assert_eq!(me["email_verified"], true);
    assert_eq!(me["display_name"], "ليلى");

    let (status, body): (u16, Value) = app.post("/api/v1/auth/oidc/callback", None, callback).await;
    assert_eq!(
        (status, body["code"].as_str().unwrap()),
        (400, "invalid_token"),
        "a state is single-use"
    );

    // A second sign-in reaches the same account, linked by the provider's subject.
    let (_, start) = app
        .post("/api/v1/auth/oidc/mock/start", None, json!({}))
        .await;
    let query = browse(start["authorization_url"].as_str().unwrap()).await;
    let (_, again) = app
        .post(
            "/api/v1/auth/oidc/callback",
            None,
            json!({ "state": query["state"], "code": query["code"] }),
        )
        .await;
    let (_, me_again) = app.get("/api/v1/me", again["access_token"].as_str()).await;
    assert_eq!(me_again["id"], me["id"]);
}

#[tokio::test]
async fn an_unknown_provider_and_a_forged_state_are_refused() {
    let app = common::spawn_app().await;
    let (status, body) = app
        .post("/api/v1/auth/oidc/nowhere/start", None, json!({}))
        .await;
    assert_eq!(
        (status, body["code"].as_str().unwrap()),
        (404, "unknown_provider")
    );
    let (status, body) = app
        .post(
            "/api/v1/auth/oidc/callback",
            None,
            json!({ "state": "made-up", "code": "x" }),
        )
        .await;
    assert_eq!(
        (status, body["code"].as_str().unwrap()),
        (400, "invalid_token")
    );
}
