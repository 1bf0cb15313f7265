//! The HTTP API: routes, middleware and the state they share.
//!
//! Every route states who may call it next to its registration.

mod error;
mod events;

pub use error::ApiError;

use crate::store::Store;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Router, middleware};
use std::sync::Arc;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::trace::TraceLayer;

/// Largest request body accepted anywhere (image uploads will get their own limit).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
}

/// The whole application, without a socket: `main` serves it, tests drive it directly.
pub fn app(state: AppState) -> Router {
    let api_v1 = Router::new()
        // public
        .route("/events", get(events::list));
    Router::new()
        // public: liveness, no database access
        .route("/healthz", get(|| async { "ok" }))
        // public: readiness, the database answers
        .route("/readyz", get(readyz))
        .nest("/api/v1", api_v1)
        .fallback(|| async { ApiError::not_found() })
        .with_state(state)
        // Inside localize_errors, so its bare 413 is rendered as an ErrorBody too.
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(middleware::from_fn(error::localize_errors))
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http())
}

async fn readyz(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> Result<&'static str, ApiError> {
    state.store.ping().await.map_err(|e| {
        tracing::warn!(error = %e, "not ready");
        ApiError {
            status: StatusCode::SERVICE_UNAVAILABLE,
            ..ApiError::internal()
        }
    })?;
    Ok("ready")
}
