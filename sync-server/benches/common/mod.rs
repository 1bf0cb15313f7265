//! What the benches share: the two backends, a throwaway PostgreSQL database per run, the
//! real server on a socket, and numbers read from the environment.

use hafla_server::api::client_ip::TrustedProxies;
use hafla_server::api::{AppState, Services, app};
use hafla_server::auth::otp::OtpHasher;
use hafla_server::auth::tokens::TokenKeys;
use hafla_server::mail::MemoryMailer;
use hafla_server::sms::MemorySms;
use hafla_server::store::{self, Store};
use sqlx::{AssertSqlSafe, Connection, PgConnection};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::Arc;
use uuid::Uuid;

/// A PostgreSQL URL whose role may CREATE DATABASE; without it PostgreSQL is skipped.
pub const DATABASE_URL_VAR: &str = "HAFLA_TEST_DATABASE_URL";

/// Serves the real application on `store` at a free port of 127.0.0.1 (on the current tokio
/// runtime); returns its base URL. Clients come through a proxy on this machine
/// (`X-Forwarded-For` is trusted from 127.0.0.1), as behind a reverse proxy, so each
/// simulated client may sign in from an address of its own and the production limits
/// apply unchanged.
pub async fn serve(store: Arc<dyn Store>) -> String {
    let state = AppState::new(
        store,
        Services {
            tokens: Arc::new(TokenKeys::from_seed(&[7; 32]).unwrap()),
            mailer: Arc::new(MemoryMailer::new()),
            public_url: "http://127.0.0.1".into(),
            sms: Arc::new(MemorySms::new()),
            otp: Arc::new(OtpHasher::new([5; 32])),
            oidc: HashMap::new(),
            trusted_proxies: TrustedProxies::parse("127.0.0.1").unwrap(),
            checkout: Default::default(),
            master_key: hafla_server::issuance::MasterKey::generate().unwrap(),
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    // As `hafla-server serve` does: with the peer address, which the rate limits key on.
    let service = app(state).into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, service).await.unwrap() });
    base
}

/// `name` from the environment as a number, or `default` when it is unset.
pub fn env_or<T: FromStr>(name: &str, default: T) -> T {
    match std::env::var(name) {
        Ok(value) => value
            .parse()
            .unwrap_or_else(|_| panic!("{name}={value} is not a valid number")),
        Err(_) => default,
    }
}

#[derive(Clone, Copy, PartialEq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }

    /// SQLite always; PostgreSQL when [`DATABASE_URL_VAR`] is set (else a note says how).
    pub fn available() -> Vec<Backend> {
        if std::env::var_os(DATABASE_URL_VAR).is_some() {
            return vec![Backend::Sqlite, Backend::Postgres];
        }
        eprintln!(
            "PostgreSQL skipped: {DATABASE_URL_VAR} is not set. Set it to a URL whose role may \
             CREATE DATABASE (e.g. postgres://hafla:hafla@127.0.0.1:5432/postgres; \
             scripts/setup.sh starts the local server) to measure PostgreSQL too."
        );
        vec![Backend::Sqlite]
    }
}

/// An empty PostgreSQL database of its own, dropped when this is dropped.
pub struct FreshDatabase {
    admin_url: String,
    name: String,
}

impl FreshDatabase {
    /// A database on the server [`DATABASE_URL_VAR`] names.
    pub fn create_from_env() -> FreshDatabase {
        FreshDatabase::create(std::env::var(DATABASE_URL_VAR).unwrap())
    }

    pub fn create(admin_url: String) -> FreshDatabase {
        let name = format!("hafla_bench_{}", Uuid::now_v7().simple());
        // The name is made of hex digits only: safe to splice in.
        admin_sql(&admin_url, format!("CREATE DATABASE {name}"));
        FreshDatabase { admin_url, name }
    }

    pub fn url(&self) -> String {
        let mut url = url::Url::parse(&self.admin_url).expect("a database URL");
        url.set_path(&self.name);
        url.into()
    }
}

impl Drop for FreshDatabase {
    /// Drops the database, trying again a few times: PostgreSQL's autovacuum may be
    /// analyzing the freshly seeded tables, and a non-superuser cannot end its worker.
    fn drop(&mut self) {
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        for attempt in 1..=10 {
            let result = std::panic::catch_unwind(|| admin_sql(&self.admin_url, sql.clone()));
            if result.is_ok() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(500 * attempt));
        }
        eprintln!("could not drop {}; drop it by hand", self.name);
    }
}

/// Runs one statement on the administration database, on a runtime of its own (so it also
/// works while unwinding from a panic, outside any runtime).
fn admin_sql(admin_url: &str, sql: String) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut admin = PgConnection::connect(admin_url).await.unwrap_or_else(|e| {
            panic!(
                "cannot connect to {}: {e}",
                store::postgres::redact_url(admin_url)
            )
        });
        sqlx::query(AssertSqlSafe(sql.clone()))
            .execute(&mut admin)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        let _ = admin.close().await;
    });
}

/// A new account through the API: its token and id.
#[allow(dead_code)] // not every bench signs people up
pub async fn register(http: &reqwest::Client, base: &str, email: &str) -> (String, Uuid) {
    let response = http
        .post(format!("{base}/api/v1/auth/register"))
        .json(&serde_json::json!({ "email": email, "password": "a long enough password" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), reqwest::StatusCode::CREATED);
    let body: serde_json::Value = response.json().await.unwrap();
    let token = body["access_token"].as_str().unwrap().to_owned();
    let me: serde_json::Value = http
        .get(format!("{base}/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (token, Uuid::parse_str(me["id"].as_str().unwrap()).unwrap())
}
