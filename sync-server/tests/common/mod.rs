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
use std::process::Command;
use std::sync::Arc;

pub struct TestApp {
    pub url: String,
    pub store: Arc<dyn Store>,
    pub mail: Arc<MemoryMailer>,
    pub sms: Arc<MemorySms>,
    pub http: reqwest::Client,
    /// The server's checkout service (its sandbox provider is on).
    pub checkout: Arc<hafla_server::checkout::Checkout>,
    /// The server's ticket-signing keys.
    pub issuer: hafla_server::issuance::EventKeys,
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
    let checkout = hafla_server::checkout::CheckoutSettings {
        sandbox: true,
        ..Default::default()
    };
    start(store, oidc, dir, checkout, false).await
}

/// A server with these checkout settings, whose public URL is its own address, so payment
/// providers can call it back.
pub async fn spawn_app_with_checkout(
    checkout: hafla_server::checkout::CheckoutSettings,
) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path()).unwrap());
    start(store, HashMap::new(), dir, checkout, true).await
}

async fn start(
    store: Arc<dyn Store>,
    oidc: HashMap<String, Arc<OidcClient>>,
    dir: tempfile::TempDir,
    checkout: hafla_server::checkout::CheckoutSettings,
    reachable: bool,
) -> TestApp {
    let sms = Arc::new(MemorySms::new());
    let mail = Arc::new(MemoryMailer::new());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let public_url = if reachable {
        url.clone()
    } else {
        "https://hafla.test".to_owned()
    };
    let state = AppState::new(
        store.clone(),
        Services {
            tokens: Arc::new(TokenKeys::from_seed(&[7; 32]).unwrap()),
            mailer: mail.clone(),
            public_url,
            sms: sms.clone(),
            otp: Arc::new(hafla_server::auth::otp::OtpHasher::new([5; 32])),
            oidc,
            trusted_proxies: Default::default(),
            checkout,
            master_key: hafla_server::issuance::MasterKey::generate().unwrap(),
        },
    );
    let checkout = state.checkout.clone();
    let issuer = state.issuer.clone();
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
        checkout,
        issuer,
        _dir: dir,
    }
}

/// One request in English; the answer's status and JSON body (or its text as a string).
pub async fn call(
    http: &reqwest::Client,
    base_url: &str,
    method: reqwest::Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = http
        .request(method, format!("{base_url}{path}"))
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

impl TestApp {
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        call(&self.http, &self.url, method, path, token, body).await
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

/// A fresh PostgreSQL database, dropped when the test ends.
pub struct FreshDatabase {
    admin_url: String,
    name: String,
}

impl FreshDatabase {
    pub fn create() -> FreshDatabase {
        let admin_url = std::env::var("HAFLA_TEST_DATABASE_URL").expect(
            "HAFLA_TEST_DATABASE_URL is not set: run scripts/test.sh, which starts PostgreSQL",
        );
        let name = format!("hafla_api_{}", uuid::Uuid::now_v7().simple());
        let db = FreshDatabase { admin_url, name };
        db.psql(&format!("CREATE DATABASE {}", db.name));
        db
    }

    pub fn url(&self) -> String {
        let (base, _) = self.admin_url.rsplit_once('/').expect("a database URL");
        format!("{base}/{}", self.name)
    }

    /// The rows of a one-column query, as text, in this database.
    pub fn query(&self, sql: &str) -> Vec<String> {
        let output = Command::new("psql")
            .args([self.url().as_str(), "-Atc", sql])
            .output()
            .expect("psql");
        assert!(output.status.success(), "{sql}: {output:?}");
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .map(str::to_owned)
            .collect()
    }

    pub fn psql(&self, sql: &str) {
        let status = Command::new("psql")
            .args([self.admin_url.as_str(), "-qc", sql])
            .status()
            .expect("psql");
        assert!(status.success(), "{sql}");
    }
}

impl Drop for FreshDatabase {
    /// Best effort, a few tries: an autovacuum worker busy in the new database (not ours to
    /// terminate) makes `DROP … WITH (FORCE)` fail until it finishes.
    fn drop(&mut self) {
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        for _ in 0..10 {
            let dropped = Command::new("psql")
                .args([self.admin_url.as_str(), "-qc", &sql])
                .stderr(std::process::Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if dropped {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(300));
        }
        eprintln!("could not drop the test database {}", self.name);
    }
}

/// A real `hafla-server serve` process on a free port, killed when dropped.
pub struct ServerProcess {
    pub child: std::process::Child,
    pub url: String,
    pub data_dir: tempfile::TempDir,
}

impl ServerProcess {
    /// Starts `serve` with `args` and `env` (on top of a data folder of its own and the
    /// port 0) and waits for the line that says where it listens.
    pub fn start(args: &[&str], env: &[(&str, &str)]) -> ServerProcess {
        use std::io::BufRead;
        let data_dir = tempfile::tempdir().unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_hafla-server"))
            .args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir.path())
            .args(args)
            .env_remove("HAFLA_CONFIG")
            .env_remove("RUST_LOG")
            .envs(env.iter().copied())
            .stdout(std::process::Stdio::piped())
            .stderr(std::fs::File::create(data_dir.path().join("server.log")).unwrap())
            .spawn()
            .unwrap();
        let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let Some(url) = line
            .split("listening on ")
            .nth(1)
            .and_then(|r| r.split_whitespace().next())
        else {
            let _ = child.kill();
            let log = std::fs::read_to_string(data_dir.path().join("server.log"));
            panic!(
                "the server did not start: {line}{}",
                log.unwrap_or_default()
            );
        };
        ServerProcess {
            url: url.to_owned(),
            child,
            data_dir,
        }
    }

    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (u16, Value) {
        call(
            &reqwest::Client::new(),
            &self.url,
            method,
            path,
            token,
            body,
        )
        .await
    }

    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Kills the process and returns what it logged.
    pub fn stop_and_read_log(&mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::fs::read_to_string(self.data_dir.path().join("server.log")).unwrap_or_default()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A published event of `organization_id` in Amman, a week from now, selling
/// `ticket_types`: what the order and payment tests sell.
pub fn event_on_sale(
    organization_id: uuid::Uuid,
    title: (&str, &str),
    ticket_types: Vec<hafla_server::store::NewTicketType>,
) -> hafla_server::store::NewEvent {
    use hafla_core::Bilingual;
    use hafla_core::places::City;
    let starts = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * 7);
    hafla_server::store::NewEvent {
        id: uuid::Uuid::now_v7(),
        organization_id,
        status: hafla_core::wire::EventStatus::Published,
        title: Bilingual::new(title.0, title.1).unwrap(),
        description: Bilingual::new("", "An evening in Amman").unwrap(),
        category: hafla_core::wire::Category::Music,
        venue: hafla_core::wire::Venue {
            name: Bilingual::new("المدرج الروماني", "Roman Theatre").unwrap(),
            address: Bilingual::new("وسط البلد", "Downtown").unwrap(),
            city: City::Amman,
            location: City::Amman.centre(),
        },
        starts_at: starts,
        ends_at: starts + jiff::SignedDuration::from_hours(3),
        time_zone: "Asia/Amman".into(),
        tags: vec![],
        ticket_types,
    }
}
