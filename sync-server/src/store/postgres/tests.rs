//! Tests against a real PostgreSQL: each on a database of its own, created through
//! `HAFLA_TEST_DATABASE_URL` (scripts/test.sh starts the server and sets it) and dropped at
//! the end, so they run in parallel.

use super::*;
use crate::store::{
    AccountStore, CatalogStore, RefreshOutcome, RefreshRecord, SessionStore, Store, TokenPurpose,
};
use hafla_core::sqlite_migrations::{self, MigrationError};
use sqlx::{AssertSqlSafe, Connection, PgConnection};
use std::path::Path;
use std::sync::{Arc, Mutex};
use uuid::Uuid;

const URL_VAR: &str = "HAFLA_TEST_DATABASE_URL";

fn admin_url() -> String {
    std::env::var(URL_VAR).unwrap_or_else(|_| {
        panic!(
            "{URL_VAR} is not set, so the PostgreSQL store cannot be tested. Run scripts/test.sh \
             (it starts PostgreSQL and sets it), or set it to a database URL whose role may \
             CREATE DATABASE, e.g. postgres://hafla:hafla@127.0.0.1:5432/postgres"
        )
    })
}

/// An empty database of its own, dropped (best effort) when this is dropped.
struct TestDb {
    name: String,
    url: String,
    admin_url: String,
}

impl TestDb {
    async fn create() -> TestDb {
        let admin_url = admin_url();
        let name = format!("hafla_test_{}", Uuid::now_v7().simple());
        let mut admin = PgConnection::connect(&admin_url)
            .await
            .unwrap_or_else(|e| panic!("cannot connect to {}: {e}", redact_url(&admin_url)));
        // The name is made of hex digits only: safe to splice in.
        sqlx::query(AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {e}"));
        let _ = admin.close().await;
        let mut url = url::Url::parse(&admin_url).expect("database URL");
        url.set_path(&name);
        TestDb {
            name,
            url: url.into(),
            admin_url,
        }
    }

    async fn connect(&self) -> PgStore {
        PgStore::connect(&self.url, test_options())
            .await
            .unwrap_or_else(|e| panic!("connect: {e}"))
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        // Drop runs inside the test's runtime, which cannot block on itself.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let mut admin = PgConnection::connect(&admin_url).await.ok()?;
                let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                sqlx::query(AssertSqlSafe(sql))
                    .execute(&mut admin)
                    .await
                    .ok()?;
                admin.close().await.ok()
            })
        })
        .join();
        if !matches!(dropped, Ok(Some(()))) {
            eprintln!("could not drop the test database {}", self.name);
        }
    }
}

fn test_options() -> PgOptions {
    PgOptions {
        max_connections: 4,
        ..PgOptions::default()
    }
}

#[tokio::test]
async fn the_postgres_store_passes_the_conformance_suite() {
    let databases = Arc::new(Mutex::new(Vec::new()));
    crate::store::run_conformance_suite(|| {
        let databases = databases.clone();
        async move {
            let db = TestDb::create().await;
            let store = db.connect().await;
            databases.lock().unwrap().push(db);
            Arc::new(store) as Arc<dyn Store>
        }
    })
    .await;
}

#[test]
fn the_embedded_migrations_match_the_folder() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations/server/postgres");
    let files = sqlite_migrations::files_in(&dir).unwrap();
    assert_eq!(files, sqlite_migrations::file_names(MIGRATIONS));
}

async fn schema_versions(store: &PgStore) -> Vec<i32> {
    sqlx::query_scalar("SELECT version FROM schema_migrations ORDER BY version")
        .fetch_all(store.pool())
        .await
        .unwrap()
}

fn all_versions() -> Vec<i32> {
    MIGRATIONS.iter().map(|m| m.version as i32).collect()
}

#[tokio::test]
async fn a_second_connect_on_a_migrated_database_applies_nothing() {
    let db = TestDb::create().await;
    let first = db.connect().await;
    let applied_at: Vec<i64> = sqlx::query_scalar(
        "SELECT extract(epoch from applied_at)::bigint FROM schema_migrations ORDER BY version",
    )
    .fetch_all(first.pool())
    .await
    .unwrap();
    let second = db.connect().await;
    second.ping().await.expect("ping");
    let applied = migrate::apply(second.pool()).await.expect("migrate");
    assert_eq!(applied, Vec::<u32>::new());
    assert_eq!(schema_versions(&second).await, all_versions());
    let again: Vec<i64> = sqlx::query_scalar(
        "SELECT extract(epoch from applied_at)::bigint FROM schema_migrations ORDER BY version",
    )
    .fetch_all(second.pool())
    .await
    .unwrap();
    assert_eq!(again, applied_at, "no migration ran again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_connects_racing_on_a_fresh_database_both_succeed() {
    let db = TestDb::create().await;
    let (a, b) = tokio::join!(
        PgStore::connect(&db.url, test_options()),
        PgStore::connect(&db.url, test_options())
    );
    let (a, b) = (a.expect("first connect"), b.expect("second connect"));
    a.ping().await.expect("ping a");
    b.ping().await.expect("ping b");
    assert_eq!(schema_versions(&a).await, all_versions());
}

#[tokio::test]
async fn a_database_from_a_newer_build_is_refused() {
    let db = TestDb::create().await;
    let store = db.connect().await;
    sqlx::query("INSERT INTO schema_migrations (version, name) VALUES (99, 'future')")
        .execute(store.pool())
        .await
        .unwrap();
    let err = PgStore::connect(&db.url, test_options())
        .await
        .expect_err("must refuse");
    let known = MIGRATIONS.last().unwrap().version;
    assert!(
        matches!(
            err,
            StoreError::Migration(MigrationError::DatabaseIsNewer { found: 99, known: k }) if k == known
        ),
        "{err}"
    );
    assert!(store.ping().await.is_err(), "ping sees the wrong version");
}

#[tokio::test]
async fn ping_fails_when_the_schema_is_behind() {
    let db = TestDb::create().await;
    let store = db.connect().await;
    store.ping().await.expect("ping");
    let latest = MIGRATIONS.last().unwrap().version as i32;
    sqlx::query("DELETE FROM schema_migrations WHERE version = $1")
        .bind(latest)
        .execute(store.pool())
        .await
        .unwrap();
    let err = store.ping().await.expect_err("behind");
    assert!(matches!(err, StoreError::Corrupt(_)), "{err}");
}

#[tokio::test]
async fn every_connection_has_the_statement_timeout() {
    let db = TestDb::create().await;
    let store = PgStore::connect(
        &db.url,
        PgOptions {
            statement_timeout: std::time::Duration::from_millis(1500),
            ..test_options()
        },
    )
    .await
    .unwrap();
    let shown: String = sqlx::query_scalar("SHOW statement_timeout")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(shown, "1500ms");
    let err = sqlx::query("SELECT pg_sleep(3)")
        .execute(store.pool())
        .await
        .expect_err("cancelled");
    assert!(err.to_string().contains("statement timeout"), "{err}");
}

/// The database URL's `sslmode` decides TLS (the test server is PostgreSQL's default
/// Debian setup: TLS on, with a self-signed certificate for the machine's name).
#[tokio::test]
async fn sslmode_in_the_url_decides_whether_the_connection_is_encrypted() {
    let db = TestDb::create().await;
    let encrypted = |store: PgStore| async move {
        sqlx::query_scalar::<_, bool>("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            .fetch_one(store.pool())
            .await
            .unwrap()
    };
    let required = PgStore::connect(&format!("{}?sslmode=require", db.url), test_options())
        .await
        .unwrap();
    assert!(encrypted(required).await, "sslmode=require gives TLS");
    let plain = PgStore::connect(&format!("{}?sslmode=disable", db.url), test_options())
        .await
        .unwrap();
    assert!(!encrypted(plain).await);
    // verify-full checks the certificate against trusted roots and the host name: a
    // self-signed certificate for another name is refused, with a clear error.
    let quick = PgOptions {
        acquire_timeout: std::time::Duration::from_secs(2),
        ..test_options()
    };
    let err = PgStore::connect(&format!("{}?sslmode=verify-full", db.url), quick)
        .await
        .expect_err("an untrusted certificate");
    assert!(matches!(err, StoreError::Open { .. }), "{err}");
}

#[tokio::test]
async fn connect_errors_name_the_database_without_its_password() {
    let url = "postgres://hafla:s3cret-pw@127.0.0.1:1/hafla?sslmode=disable";
    let err = PgStore::connect(
        url,
        PgOptions {
            acquire_timeout: std::time::Duration::from_secs(2),
            ..PgOptions::default()
        },
    )
    .await
    .expect_err("nothing listens on port 1");
    let shown = err.to_string();
    assert!(matches!(err, StoreError::Open { .. }), "{shown}");
    assert!(shown.contains("postgres://127.0.0.1:1/hafla"), "{shown}");
    assert!(shown.contains("no connection within 2 s"), "{shown}");
    assert!(!shown.contains("s3cret-pw"), "{shown}");
}

#[test]
fn errors_of_a_database_going_away_or_full_are_unavailable_and_others_are_not() {
    for code in [
        "57P01", "57P02", "57P03", "53300", "08006", "08001", "08003",
    ] {
        assert!(unavailable_sqlstate(code), "{code}");
    }
    // Unique violation, statement timeout, deadlock, protocol violation: this request's
    // problem, not the database's absence.
    for code in ["23505", "57014", "40P01", "08P01", "42P01"] {
        assert!(!unavailable_sqlstate(code), "{code}");
    }
    let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
    for e in [
        sqlx::Error::PoolTimedOut,
        sqlx::Error::PoolClosed,
        sqlx::Error::Io(refused),
    ] {
        assert!(matches!(StoreError::from(e), StoreError::Unavailable(_)));
    }
    for e in [
        sqlx::Error::RowNotFound,
        sqlx::Error::Protocol("bad".into()),
    ] {
        assert!(matches!(StoreError::from(e), StoreError::Postgres(_)));
    }
}

#[tokio::test]
async fn an_operation_that_finds_no_free_connection_in_time_is_unavailable() {
    let db = TestDb::create().await;
    let store = PgStore::connect(
        &db.url,
        PgOptions {
            max_connections: 1,
            acquire_timeout: std::time::Duration::from_millis(300),
            ..test_options()
        },
    )
    .await
    .unwrap();
    let held = store.pool().acquire().await.unwrap();
    let err = store
        .count_organizations()
        .await
        .expect_err("no connection");
    assert!(matches!(err, StoreError::Unavailable(_)), "{err}");
    drop(held);
    assert_eq!(store.count_organizations().await.unwrap(), 0);
    store.close().await;
    let err = store.count_organizations().await.expect_err("closed");
    assert!(matches!(err, StoreError::Unavailable(_)), "{err}");
}

/// What a stopping server does to its sessions (`pg_ctl stop -m fast`, a failover):
/// `pg_terminate_backend` ends them with `admin_shutdown`. The query in flight fails as
/// unavailable, and the next operation gets a fresh connection.
#[tokio::test]
async fn a_query_cut_off_by_the_server_is_unavailable_and_the_next_one_reconnects() {
    let db = TestDb::create().await;
    let store = db.connect().await;
    let pool = store.pool().clone();
    let sleeping = tokio::spawn(async move {
        sqlx::query("SELECT pg_sleep(4)")
            .execute(&pool)
            .await
            .map(|_| ())
    });
    let mut admin = PgConnection::connect(&db.url).await.unwrap();
    let mut ended = 0;
    for _ in 0..100 {
        ended = sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE datname = $1 AND pid <> pg_backend_pid() AND query LIKE 'SELECT pg_sleep%'
             ) AS ended",
        )
        .bind(&db.name)
        .fetch_one(&mut admin)
        .await
        .unwrap();
        if ended > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(ended, 1, "the sleeping query was found and ended");
    let err = sleeping.await.unwrap().expect_err("cut off");
    let err = StoreError::from(err);
    assert!(matches!(err, StoreError::Unavailable(_)), "{err}");
    assert_eq!(store.count_organizations().await.unwrap(), 0);
    let _ = admin.close().await;
}

/// The same `db_query_seconds` histogram as SQLite's: one sample per operation, by kind.
#[test]
fn every_operation_is_timed_once_as_a_read_or_a_write() {
    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
    let handle = recorder.handle();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    metrics::with_local_recorder(&recorder, || {
        runtime.block_on(async {
            let db = TestDb::create().await;
            let store = db.connect().await;
            let u = crate::store::conformance::user(Some("timed@example.jo"), None);
            store.create_user(u.clone()).await.unwrap();
            assert!(store.user_by_id(u.id).await.unwrap().is_some());
            assert!(
                store
                    .user_by_email("timed@example.jo")
                    .await
                    .unwrap()
                    .is_some()
            );
            store.set_admin(u.id, true).await.unwrap();
            assert!(
                store
                    .user_by_phone("+962790000000")
                    .await
                    .unwrap()
                    .is_none()
            );
        })
    });
    let rendered = handle.render();
    assert!(
        rendered.contains("db_query_seconds_count{kind=\"read\"} 3"),
        "{rendered}"
    );
    assert!(
        rendered.contains("db_query_seconds_count{kind=\"write\"} 2"),
        "{rendered}"
    );
}

#[test]
fn redacted_urls_keep_scheme_host_port_and_database_only() {
    assert_eq!(
        redact_url("postgres://hafla:pw@db.example:5433/hafla?password=x&sslmode=require"),
        "postgres://db.example:5433/hafla"
    );
    assert_eq!(
        redact_url("postgresql://localhost/hafla"),
        "postgresql://localhost/hafla"
    );
    assert_eq!(redact_url("not a url pw"), "<unparseable database URL>");
}

fn refresh(user_id: Uuid, hash: u8) -> RefreshRecord {
    let now = jiff::Timestamp::from_second(1_800_000_000).unwrap();
    RefreshRecord {
        token_hash: [hash; 32],
        family_id: Uuid::now_v7(),
        user_id,
        created_at: now,
        expires_at: now + jiff::SignedDuration::from_hours(1),
    }
}

/// Unlike SQLite, PostgreSQL runs writes side by side: the row locks must make racing
/// requests behave as if one came after the other. Several rounds, since a race is won or
/// lost by timing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_requests_use_a_token_once() {
    let db = TestDb::create().await;
    let store = Arc::new(db.connect().await);
    let u = crate::store::conformance::user(Some("race@example.jo"), None);
    store.create_user(u.clone()).await.unwrap();
    let now = jiff::Timestamp::from_second(1_800_000_000).unwrap();
    let later = now + jiff::SignedDuration::from_hours(1);
    let verify = TokenPurpose::VerifyEmail;
    for round in 0..10u8 {
        let (token, next_a, next_b) = (3 * round, 3 * round + 1, 3 * round + 2);
        store
            .insert_refresh_token(refresh(u.id, token))
            .await
            .unwrap();
        let (a, b) = tokio::join!(
            store.rotate_refresh_token([token; 32], [next_a; 32], later, now),
            store.rotate_refresh_token([token; 32], [next_b; 32], later, now),
        );
        let mut outcomes = [a.unwrap(), b.unwrap()]
            .map(|o| match o {
                RefreshOutcome::Rotated { .. } => "rotated",
                RefreshOutcome::Reused { .. } => "reused",
                RefreshOutcome::Invalid => "invalid",
            })
            .to_vec();
        outcomes.sort();
        assert_eq!(outcomes, ["reused", "rotated"], "round {round}");

        store
            .insert_one_time_token([token; 32], u.id, verify, later)
            .await
            .unwrap();
        let (a, b) = tokio::join!(
            store.consume_one_time_token([token; 32], verify, now),
            store.consume_one_time_token([token; 32], verify, now),
        );
        let used: Vec<Uuid> = [a.unwrap(), b.unwrap()].into_iter().flatten().collect();
        assert_eq!(used, [u.id], "round {round}");
    }
}

/// The conformance suite leaves the catalog out, so compare it with SQLite's directly:
/// the demo catalog, read back page by page, must be the same from both stores.
#[tokio::test]
async fn the_catalog_reads_back_as_from_sqlite() {
    use crate::store::SqliteStore;
    let today = jiff::civil::date(2026, 11, 25);
    let (organizations, events) =
        crate::demo::build(today, crate::demo::DEMO_GENERATED).expect("demo catalog");
    let db = TestDb::create().await;
    let pg = db.connect().await;
    let dir = tempfile::tempdir().unwrap();
    let sqlite = SqliteStore::open(dir.path()).unwrap();
    pg.insert_catalog(organizations.clone(), events.clone())
        .await
        .unwrap();
    sqlite.insert_catalog(organizations, events).await.unwrap();
    assert_eq!(
        pg.count_organizations().await.unwrap(),
        sqlite.count_organizations().await.unwrap()
    );
    // Noon two days in: the first events have ended.
    let now: jiff::Timestamp = "2026-11-27T10:00:00Z".parse().unwrap();
    let everything = sqlite.list_published_events(now, 0, 1000).await.unwrap();
    assert!(everything.total > 5, "{}", everything.total);
    assert!(everything.events.iter().any(|e| e.price_from.is_some()));
    for (offset, limit) in [(0, 1000), (0, 5), (5, 5), (10, 7), (1000, 5)] {
        assert_eq!(
            pg.list_published_events(now, offset, limit).await.unwrap(),
            sqlite
                .list_published_events(now, offset, limit)
                .await
                .unwrap(),
            "offset {offset} limit {limit}"
        );
    }
}

#[tokio::test]
async fn a_catalog_that_fails_half_way_leaves_nothing_behind() {
    let db = TestDb::create().await;
    let store = db.connect().await;
    let (organizations, mut events) =
        crate::demo::build(jiff::civil::date(2026, 11, 25), 0).expect("demo catalog");
    events[1].organization_id = Uuid::now_v7();
    let err = store
        .insert_catalog(organizations, events)
        .await
        .expect_err("unknown organization");
    assert!(matches!(err, StoreError::Postgres(_)), "{err}");
    assert_eq!(store.count_organizations().await.unwrap(), 0);
}

/// Another instance migrating for longer than the statement timeout: `connect` waits for
/// it instead of failing.
#[tokio::test]
async fn connect_waits_for_a_migration_longer_than_the_statement_timeout() {
    let db = TestDb::create().await;
    let mut other = PgConnection::connect(&db.url).await.unwrap();
    sqlx::query("BEGIN").execute(&mut other).await.unwrap();
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(migrate::LOCK_KEY)
        .execute(&mut other)
        .await
        .unwrap();
    let options = PgOptions {
        statement_timeout: std::time::Duration::from_millis(300),
        ..test_options()
    };
    let url = db.url.clone();
    let connecting = tokio::spawn(async move { PgStore::connect(&url, options).await });
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    assert!(
        !connecting.is_finished(),
        "connect did not wait for the lock"
    );
    sqlx::query("COMMIT").execute(&mut other).await.unwrap();
    let store = connecting
        .await
        .unwrap()
        .expect("connect after the lock is released");
    store.ping().await.expect("ping");
}

#[tokio::test]
async fn a_bulk_catalog_insert_leaves_fresh_planner_statistics() {
    let db = TestDb::create().await;
    let store = db.connect().await;
    let analyzed = |store: PgStore| async move {
        sqlx::query_scalar::<_, bool>(
            "SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE relname = 'events'",
        )
        .fetch_one(store.pool())
        .await
        .unwrap()
    };
    let (organizations, events) =
        crate::demo::build(jiff::civil::date(2026, 11, 25), 1000).expect("demo catalog");
    store.insert_catalog(organizations, events).await.unwrap();
    assert!(
        analyzed(store.clone()).await,
        "ANALYZE ran after 1,041 events"
    );
}

#[tokio::test]
async fn every_row_one_transaction_writes_to_a_scope_shares_one_version_and_pages_whole() {
    use crate::store::sync::{Count, LogPosition, ScopeKey, ScopeKind, SyncStore};
    let db = TestDb::create().await;
    let store = db.connect().await;
    let scope = ScopeKey {
        kind: ScopeKind::Door,
        subject: Uuid::now_v7(),
    };
    for (from, to) in [(1, 1_000), (1_001, 2_500)] {
        let mut tx = store.pool().begin().await.unwrap();
        sqlx::query(
            "SELECT sync_touch('door', $1, 'ticket', n::text, false)
             FROM generate_series($2::int, $3::int) n",
        )
        .bind(scope.subject)
        .bind(from)
        .bind(to)
        .execute(&mut *tx)
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
    let head = store.scope_head(scope).await.unwrap().expect("head");
    assert_eq!(head.version, 2, "one version per transaction");

    let mut after = LogPosition::default();
    let mut keys = Vec::new();
    loop {
        let page = store
            .log_page(scope, &after, 300, Count::AtEnd)
            .await
            .unwrap();
        keys.extend(page.rows.iter().map(|r| (r.version, r.key.clone())));
        match page.rows.last() {
            Some(last) if page.has_more => after = LogPosition::after_row(last),
            _ => {
                assert_eq!(page.live.map(|l| l.count), Some(2_500));
                break;
            }
        }
    }
    assert_eq!(
        keys.len(),
        2_500,
        "pages ending inside a version lose and repeat nothing"
    );
    let mut unique = keys.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 2_500);
    assert_eq!(keys.iter().filter(|(v, _)| *v == 1).count(), 1_000);
}
