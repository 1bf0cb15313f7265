//! Prometheus metrics, served at `/metrics`. Recorded here: requests by route and status
//! and their latency. Recorded where they happen: database timings and errors (`store`),
//! SQLite's writer queue, sync hint delay (`api::sync::hints`), accepted scans
//! (`api::sync::push`), payments by outcome (`checkout`), expired reservations (`jobs`),
//! backups (`backup`). Sampled at each scrape: whether the database answers and how full
//! the PostgreSQL pool is. `deploy/prometheus/hafla-rules.yml` alerts on them and
//! `deploy/grafana/hafla-dashboard.json` charts them; a test keeps every name those use
//! on this page.

use crate::api::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Instant;

/// Latency buckets in seconds: from a cached read to a slow password hash.
const BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// Buckets for backups, which take from a moment to many minutes as the database grows.
const BACKUP_BUCKETS: &[f64] = &[0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0];

/// The process-wide recorder (one per process, however many routers tests build).
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), BUCKETS)
            .and_then(|b| {
                // A full match wins over the suffix.
                b.set_buckets_for_metric(
                    Matcher::Full("hafla_backup_duration_seconds".into()),
                    BACKUP_BUCKETS,
                )
            })
            .expect("constant buckets are valid")
            .build_recorder();
        let handle = recorder.handle();
        // Another recorder may already be installed (tests); then this one just renders empty.
        let _ = metrics::set_global_recorder(recorder);
        // Error counters are on the page from the start, so rates over them are defined.
        for kind in ["read", "write"] {
            for error in ["unavailable", "failed"] {
                metrics::counter!("hafla_db_errors_total", "kind" => kind, "error" => error)
                    .increment(0);
            }
        }
        handle
    })
}

/// Counts and times every request under its route pattern (never the raw path: ids would
/// explode the label set).
pub async fn record(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = request.method().to_string();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    let labels = [("method", method), ("route", route), ("status", status)];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels)
        .record(started.elapsed().as_secs_f64());
    response
}

/// How long a scrape waits for the database to answer before reporting it down.
const PING_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// `GET /metrics` in the Prometheus text format, after sampling the database.
pub async fn render(State(state): State<AppState>) -> String {
    sample_database(&state).await;
    handle().render()
}

/// `hafla_database_up` (1 when the database answers within [`PING_TIMEOUT`] with every
/// migration applied, as `/readyz` asks) and, on PostgreSQL, the pool's connections by
/// state and its size.
async fn sample_database(state: &AppState) {
    let up = matches!(
        tokio::time::timeout(PING_TIMEOUT, state.store.ping()).await,
        Ok(Ok(()))
    );
    metrics::gauge!("hafla_database_up").set(if up { 1.0 } else { 0.0 });
    if let Some(pool) = state.store.pool_status() {
        let in_use = pool.open.saturating_sub(pool.idle);
        metrics::gauge!("hafla_db_pool_connections", "state" => "idle").set(f64::from(pool.idle));
        metrics::gauge!("hafla_db_pool_connections", "state" => "in_use").set(f64::from(in_use));
        metrics::gauge!("hafla_db_pool_max_connections").set(f64::from(pool.max));
    }
}
