//! A real server on a free port with a fresh SQLite file, and a typed client for it.
#![allow(dead_code)]

use hafla_server::api::{AppState, Services, SessionTokens, app};
use hafla_server::auth::oidc::OidcClient;
use hafla_server::auth::tokens::TokenKeys;
use hafla_server::mail::MemoryMailer;
use hafla_server::sms::MemorySms;
use hafla_server::store::{SqliteStore, Store};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;

pub struct TestApp {
    pub url: String,
    pub store: Arc<dyn Store>,
    pub mail: Arc<MemoryMailer>,
    pub sms: Arc<MemorySms>,
    pub http: reqwest::Client,
    _dir: tempfile::TempDir,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(HashMap::new()).await
}

/// A server that also signs in with the given OpenID Connect providers.
pub async fn spawn_app_with(oidc: HashMap<String, Arc<OidcClient>>) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path()).unwrap());
    spawn_app_on(store, oidc, dir).await
}

/// A server on the given store (e.g. PostgreSQL).
pub async fn spawn_app_on(
    store: Arc<dyn Store>,
    oidc: HashMap<String, Arc<OidcClient>>,
    dir: tempfile::TempDir,
) -> TestApp {
    let sms = Arc::new(MemorySms::new());
    let mail = Arc::new(MemoryMailer::new());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let state = AppState::new(
        store.clone(),
        Services {
            tokens: Arc::new(TokenKeys::from_seed(&[7; 32]).unwrap()),
            mailer: mail.clone(),
            public_url: "https://hafla.test".into(),
            sms: sms.clone(),
            otp: Arc::new(hafla_server::auth::otp::OtpHasher::new([5; 32])),
            oidc,
        },
    );
    tokio::spawn(async move {
        axum::serve(
            listener,
            app(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await
    });
    TestApp {
        url,
        store,
        mail,
        sms,
        http: reqwest::Client::new(),
        _dir: dir,
    }
}

impl TestApp {
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.url))
            .header("accept-language", "en");
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> (u16, Value) {
        self.call(reqwest::Method::POST, path, token, Some(body))
            .await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        self.call(reqwest::Method::GET, path, token, None).await
    }

    /// Registers `email` and returns its session.
    pub async fn register(&self, email: &str) -> SessionTokens {
        let (status, body) = self
            .post(
                "/api/v1/auth/register",
                None,
                json!({ "email": email, "password": "a long enough password", "display_name": "Test" }),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        serde_json::from_value(body).unwrap()
    }

    /// The link token in the last email sent to `email`.
    pub fn last_link_token(&self, email: &str) -> String {
        let sent = self.mail.sent();
        let mail = sent
            .iter()
            .rev()
            .find(|m| m.to.as_str().eq_ignore_ascii_case(email))
            .expect("an email was sent");
        let start = mail.text.find("token=").expect("a link") + "token=".len();
        mail.text[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect()
    }
}
