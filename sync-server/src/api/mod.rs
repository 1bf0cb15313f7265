//! The HTTP API: routes, middleware and the state they share.
//!
//! Who may call each route is declared once, in `authz::ROUTES`, and enforced by the
//! `authz::authorize` route layer before any handler runs.

mod accounts;
pub mod analytics;
pub mod authz;
pub mod client_ip;
mod error;
mod events;
mod extract;
pub mod http_cache;
mod metrics;
mod moderation;
mod oidc;
mod openapi;
pub mod orders;
mod organizer;
mod orgs;
mod payments;
mod phone;
pub mod ratelimit;
pub mod search;
mod sync;
mod tickets;

pub use error::ApiError;
pub use hafla_core::wire::accounts::{MeView, SessionTokens};

use crate::auth::oidc::OidcClient;
use crate::auth::otp::OtpHasher;
use crate::auth::tokens::TokenKeys;
use crate::mail::Mailer;
use crate::sms::SmsSender;
use crate::store::Store;
use axum::http::StatusCode;
use axum::routing::{delete, get, post, put};
use axum::{Router, middleware};
use std::collections::HashMap;
use std::sync::Arc;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

/// Largest request body accepted, but for image uploads (`media::MAX_UPLOAD_BYTES`).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub tokens: Arc<TokenKeys>,
    pub mailer: Arc<dyn Mailer>,
    /// Where links in emails point, e.g. `https://hafla.jo`.
    pub public_url: String,
    pub limits: Arc<ratelimit::RateLimits>,
    /// Roles in organizations, as authorization reads them.
    pub roles: Arc<crate::cache::RoleCache>,
    /// The events that credential numbers name, as door pushes look them up.
    pub event_refs: Arc<crate::cache::EventRefCache>,
    /// Answers to catalog searches, dropped on every announced catalog change.
    pub catalog: Arc<crate::cache::CatalogCache<hafla_core::wire::EventSearchPage>>,
    /// Proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Arc<client_ip::TrustedProxies>,
    pub sms: Arc<dyn SmsSender>,
    /// Hashes one-time codes with the server's OTP key.
    pub otp: Arc<OtpHasher>,
    /// Configured OpenID Connect providers by name (e.g. "google").
    pub oidc: Arc<HashMap<String, Arc<OidcClient>>>,
    /// Payments: providers, the sandbox page, CliQ, reconciliation.
    pub checkout: Arc<crate::checkout::Checkout>,
    /// The events' ticket-signing keys.
    pub issuer: crate::issuance::EventKeys,
    /// Views of public event pages counted in memory until they are written out.
    pub views: Arc<analytics::ViewCounter>,
}

/// The services a server is made of; [`AppState::new`] adds what derives from the store.
pub struct Services {
    pub tokens: Arc<TokenKeys>,
    pub mailer: Arc<dyn Mailer>,
    pub public_url: String,
    pub sms: Arc<dyn SmsSender>,
    pub otp: Arc<OtpHasher>,
    pub oidc: HashMap<String, Arc<OidcClient>>,
    pub trusted_proxies: client_ip::TrustedProxies,
    pub checkout: crate::checkout::CheckoutSettings,
    /// Seals the events' ticket-signing keys in the database.
    pub master_key: crate::issuance::MasterKey,
}

impl AppState {
    /// The state on `store`, with the rate limits and caches that live in or listen to it.
    pub fn new(store: Arc<dyn Store>, services: Services) -> AppState {
        // The recorder first, so what the services register at start reaches /metrics.
        metrics::handle();
        let issuer = crate::issuance::EventKeys::new(store.clone(), services.master_key);
        let checkout = Arc::new(crate::checkout::Checkout::new(
            store.clone(),
            services.checkout,
            services.public_url.clone(),
            issuer.clone(),
            services.mailer.clone(),
        ));
        AppState {
            limits: Arc::new(ratelimit::RateLimits::new(store.clone())),
            roles: crate::cache::RoleCache::new(store.subscribe_changes()),
            event_refs: Arc::default(),
            catalog: Arc::new(crate::cache::CatalogCache::new(store.subscribe_changes())),
            store,
            tokens: services.tokens,
            mailer: services.mailer,
            public_url: services.public_url,
            sms: services.sms,
            otp: services.otp,
            oidc: Arc::new(services.oidc),
            trusted_proxies: Arc::new(services.trusted_proxies),
            checkout,
            issuer,
            views: Arc::new(analytics::ViewCounter::default()),
        }
    }
}

/// The whole application, without a socket: `main` serves it, tests drive it directly.
pub fn app(state: AppState) -> Router {
    let api_v1 = Router::new()
        .route("/events", get(events::list))
        .route("/events/{event_id}", get(events::detail))
        .route("/events/{event_id}/cover/{variant}", get(events::cover))
        .route("/events/search", get(search::search))
        .route("/openapi.json", get(openapi::document))
        .route("/auth/register", post(accounts::register))
        .route("/auth/login", post(accounts::login))
        .route("/auth/refresh", post(accounts::refresh))
        .route("/auth/verify-email", post(accounts::verify_email))
        .route(
            "/auth/password-reset",
            post(accounts::request_password_reset),
        )
        .route(
            "/auth/password-reset/confirm",
            post(accounts::confirm_password_reset),
        )
        .route("/auth/phone/send", post(phone::send_code))
        .route("/auth/phone/verify", post(phone::verify_code))
        .route("/auth/oidc/providers", get(oidc::providers))
        .route("/auth/oidc/{provider}/start", post(oidc::start))
        .route("/auth/oidc/callback", post(oidc::callback))
        .route("/auth/logout", post(accounts::logout))
        .route("/auth/logout-all", post(accounts::logout_all))
        .route("/me", get(accounts::me))
        .route("/me/orders", get(orders::mine))
        .route("/me/tickets", get(tickets::mine))
        .route("/tickets/{ticket_id}/transfer", post(tickets::transfer))
        .route("/tickets/{ticket_id}/credential", get(tickets::credential))
        .route("/tickets/{ticket_id}/qr.svg", get(tickets::qr_svg))
        .route("/tickets/{ticket_id}/qr.png", get(tickets::qr_png))
        .route("/orders", post(orders::create))
        .route("/orders/{order_id}", get(orders::get))
        .route("/orders/{order_id}/cancel", post(orders::cancel))
        .route("/orders/{order_id}/pay", post(payments::pay))
        .route("/payments/{provider}/notify", post(payments::notify))
        .route("/orgs/{org_id}/cliq", put(payments::set_cliq))
        .route(
            "/orgs/{org_id}/orders/{order_id}/cliq",
            post(payments::decide_cliq),
        )
        .route(
            "/orgs/{org_id}/orders/{order_id}/refunds",
            post(payments::refund),
        )
        .route("/orgs", post(orgs::create))
        .route("/orgs/{org_id}", get(orgs::get))
        .route("/orgs/{org_id}/members", get(orgs::members))
        .route("/orgs/{org_id}/invites", post(orgs::invite))
        .route("/orgs/{org_id}/members/{user_id}/role", put(orgs::set_role))
        .route("/orgs/{org_id}/members/{user_id}", delete(orgs::remove))
        .route("/orgs/{org_id}/transfer-ownership", post(orgs::transfer))
        .route(
            "/orgs/{org_id}/events",
            get(organizer::list).post(organizer::create),
        )
        .route(
            "/orgs/{org_id}/events/{event_id}",
            get(organizer::get).put(organizer::update),
        )
        .route(
            "/orgs/{org_id}/events/{event_id}/submit",
            post(organizer::submit),
        )
        .route(
            "/orgs/{org_id}/events/{event_id}/cancel",
            post(organizer::cancel),
        )
        .route(
            "/orgs/{org_id}/events/{event_id}/reviews",
            get(organizer::reviews),
        )
        .route("/admin/events/review-queue", get(moderation::queue))
        .route(
            "/admin/events/{event_id}/approve",
            post(moderation::approve),
        )
        .route("/admin/events/{event_id}/reject", post(moderation::reject))
        .route("/admin/users/{user_id}/admin", put(orgs::set_admin))
        .route("/admin/analytics", get(analytics::platform))
        .route("/orgs/{org_id}/analytics", get(analytics::organization))
        .route(
            "/orgs/{org_id}/events/{event_id}/analytics",
            get(analytics::event),
        )
        .route(
            "/orgs/{org_id}/events/{event_id}/exports/{kind}",
            get(analytics::export),
        )
        .route(
            "/orgs/{org_id}/events/{event_id}/cover",
            put(organizer::upload_cover),
        )
        .route(
            "/orgs/{org_id}/events/{event_id}/cover/{variant}",
            get(organizer::cover_preview),
        )
        .route(
            "/orgs/{org_id}/events/{event_id}/keys/rotate",
            post(tickets::rotate_key),
        )
        .route("/sync/catalog", get(sync::catalog))
        .route("/sync/me", get(sync::me))
        .route("/sync/orgs/{org_id}", get(sync::org))
        .route("/sync/orgs/{org_id}/door/{event_id}", get(sync::door))
        .route(
            "/sync/orgs/{org_id}/door/{event_id}/scans",
            get(sync::door_scans),
        )
        .route("/sync/push", post(sync::push))
        .route("/sync/hints", get(sync::hints));
    metrics::handle();
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route(
            "/sandbox/pay/{payment_id}",
            get(payments::sandbox_page).post(payments::sandbox_choose),
        )
        .route("/pay/return/{order_id}", get(payments::payment_return))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics::render))
        .nest("/api/v1", api_v1)
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            authz::authorize,
        ))
        // Outside authorization, so refused requests are counted too.
        .route_layer(middleware::from_fn(metrics::record))
        .fallback(|| async { ApiError::not_found() })
        .with_state(state)
        // Inside localize_errors, so its 413 is rendered in the caller's language too.
        .layer(middleware::from_fn(limit_body))
        .layer(middleware::from_fn(error::localize_errors))
        .layer(CompressionLayer::new())
        // Outside compression, so each encoding has its own ETag.
        .layer(middleware::from_fn(http_cache::conditional))
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
}

/// Whether a request uploads an event's cover image (`PUT …/events/{event_id}/cover`).
fn is_cover_upload(request: &axum::extract::Request) -> bool {
    request.method() == axum::http::Method::PUT
        && request.uri().path().starts_with("/api/v1/orgs/")
        && request.uri().path().ends_with("/cover")
}

/// Caps every request body: [`MAX_BODY_BYTES`], or `media::MAX_UPLOAD_BYTES` for cover
/// uploads. A declared length over the cap is refused before anything is read (413
/// `payload_too_large`, or `image_too_large` for uploads); a body that grows past it while
/// being read fails the handler's read, which answers the same.
async fn limit_body(
    request: axum::extract::Request,
    next: middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let upload = is_cover_upload(&request);
    let limit = if upload {
        crate::media::MAX_UPLOAD_BYTES
    } else {
        MAX_BODY_BYTES
    };
    let declared = request
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        let code = if upload {
            hafla_core::wire::ErrorCode::ImageTooLarge
        } else {
            hafla_core::wire::ErrorCode::PayloadTooLarge
        };
        let mut error = ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, code);
        if upload {
            error = error.with_arg("megabytes", (limit / (1024 * 1024)).to_string());
        }
        return error.into_response();
    }
    let (parts, body) = request.into_parts();
    let body = axum::body::Body::new(http_body_util::Limited::new(body, limit));
    next.run(axum::extract::Request::from_parts(parts, body))
        .await
}

/// One log span per request, carrying its id (never its body or credentials).
fn request_span(request: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    let id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!("request", id = %id, method = %request.method(), path = %request.uri().path())
}

/// Ready when the database answers with every migration applied. Not ready is a 503:
/// `database_unavailable` (with `Retry-After`) when the database does not answer, else
/// `internal` (e.g. a schema from another build).
async fn readyz(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> Result<&'static str, ApiError> {
    state.store.ping().await.map_err(|e| match e {
        e @ crate::store::StoreError::Unavailable(_) => ApiError::from(e),
        e => {
            tracing::warn!(error = %e, "not ready");
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                hafla_core::wire::ErrorCode::Internal,
            )
        }
    })?;
    Ok("ready")
}
