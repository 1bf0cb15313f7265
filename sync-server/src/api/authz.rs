//! Who may call what: every route and its permission, in one table, enforced in one layer.
//!
//! The router registers handlers; [`ROUTES`] says who may reach each of them; [`authorize`]
//! runs after routing, finds the matched route in the table and refuses the caller before
//! the handler runs. A route missing from the table is refused for everyone (fail closed),
//! and the authorization-matrix test fails.

use super::AppState;
use super::error::ApiError;
use super::extract::Caller;
use crate::auth::tokens::TokenError;
use crate::store::OrgRole;
use axum::extract::{FromRequestParts, MatchedPath, RawPathParams, Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use hafla_core::wire::ErrorCode;
use uuid::Uuid;

/// Who may call a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Permission {
    /// Anyone, signed in or not.
    Public,
    /// Any signed-in person.
    SignedIn,
    /// A member of the organization in the `{org_id}` path segment holding one of these
    /// roles. Platform admins pass too (moderation and support).
    OrgRoles(&'static [OrgRole]),
    /// Platform admins only.
    Admin,
}

/// One route of the API and its permission.
#[derive(Clone, Debug)]
pub struct RouteSpec {
    pub method: Method,
    pub path: &'static str,
    pub permission: Permission,
}

const fn route(method: Method, path: &'static str, permission: Permission) -> RouteSpec {
    RouteSpec {
        method,
        path,
        permission,
    }
}

use OrgRole::{Analyst, DoorStaff, Manager, Owner};
use Permission::{Admin, OrgRoles, Public, SignedIn};

/// Roles that run an organization day to day.
const RUN: &[OrgRole] = &[Owner, Manager];
/// Roles that may see an organization's people.
const SEE_MEMBERS: &[OrgRole] = &[Owner, Manager, Analyst];
/// Every member.
const ANY_MEMBER: &[OrgRole] = &[Owner, Manager, DoorStaff, Analyst];
/// Roles that read sales figures and exports (door staff admit people, nothing more).
const ANALYTICS: &[OrgRole] = &[Owner, Manager, Analyst];
/// Roles that admit people at the doors.
const DOOR: &[OrgRole] = &[Owner, Manager, DoorStaff];

/// Every route of the API. Paths are axum route patterns.
pub const ROUTES: &[RouteSpec] = &[
    route(Method::GET, "/healthz", Public),
    route(Method::GET, "/readyz", Public),
    // No personal data in it; production proxies keep it off the public internet.
    route(Method::GET, "/metrics", Public),
    route(Method::GET, "/api/v1/events", Public),
    // Published events only; anything else is not found.
    route(Method::GET, "/api/v1/events/{event_id}", Public),
    route(
        Method::GET,
        "/api/v1/events/{event_id}/cover/{variant}",
        Public,
    ),
    route(Method::GET, "/api/v1/events/search", Public),
    // The API contract is public: it names routes and shapes, never data.
    route(Method::GET, "/api/v1/openapi.json", Public),
    route(Method::POST, "/api/v1/auth/register", Public),
    route(Method::POST, "/api/v1/auth/login", Public),
    route(Method::POST, "/api/v1/auth/refresh", Public),
    route(Method::POST, "/api/v1/auth/verify-email", Public),
    route(Method::POST, "/api/v1/auth/password-reset", Public),
    route(Method::POST, "/api/v1/auth/password-reset/confirm", Public),
    route(Method::POST, "/api/v1/auth/phone/send", Public),
    route(Method::POST, "/api/v1/auth/phone/verify", Public),
    route(Method::GET, "/api/v1/auth/oidc/providers", Public),
    route(Method::POST, "/api/v1/auth/oidc/{provider}/start", Public),
    route(Method::POST, "/api/v1/auth/oidc/callback", Public),
    route(Method::POST, "/api/v1/auth/logout", SignedIn),
    route(Method::POST, "/api/v1/auth/logout-all", SignedIn),
    route(Method::GET, "/api/v1/me", SignedIn),
    // Orders are their buyer's: the handlers answer `not_found` for anyone else's.
    route(Method::GET, "/api/v1/me/orders", SignedIn),
    route(Method::GET, "/api/v1/me/tickets", SignedIn),
    route(
        Method::POST,
        "/api/v1/tickets/{ticket_id}/transfer",
        SignedIn,
    ),
    route(
        Method::GET,
        "/api/v1/tickets/{ticket_id}/credential",
        SignedIn,
    ),
    route(Method::GET, "/api/v1/tickets/{ticket_id}/qr.svg", SignedIn),
    route(Method::GET, "/api/v1/tickets/{ticket_id}/qr.png", SignedIn),
    route(Method::POST, "/api/v1/orders", SignedIn),
    route(Method::GET, "/api/v1/orders/{order_id}", SignedIn),
    route(Method::POST, "/api/v1/orders/{order_id}/cancel", SignedIn),
    route(Method::POST, "/api/v1/orders/{order_id}/pay", SignedIn),
    // Providers call it; the notification's signature is what is checked.
    route(Method::POST, "/api/v1/payments/{provider}/notify", Public),
    route(Method::PUT, "/api/v1/orgs/{org_id}/cliq", OrgRoles(RUN)),
    route(
        Method::POST,
        "/api/v1/orgs/{org_id}/orders/{order_id}/cliq",
        OrgRoles(RUN),
    ),
    route(
        Method::POST,
        "/api/v1/orgs/{org_id}/orders/{order_id}/refunds",
        OrgRoles(RUN),
    ),
    // The sandbox's own payment page (only when the sandbox is on) and the page providers
    // send browsers back to; neither shows anything of the order.
    route(Method::GET, "/sandbox/pay/{payment_id}", Public),
    route(Method::POST, "/sandbox/pay/{payment_id}", Public),
    route(Method::GET, "/pay/return/{order_id}", Public),
    route(Method::POST, "/api/v1/orgs", SignedIn),
    route(Method::GET, "/api/v1/orgs/{org_id}", OrgRoles(ANY_MEMBER)),
    route(
        Method::GET,
        "/api/v1/orgs/{org_id}/members",
        OrgRoles(SEE_MEMBERS),
    ),
    route(Method::POST, "/api/v1/orgs/{org_id}/invites", OrgRoles(RUN)),
    route(
        Method::PUT,
        "/api/v1/orgs/{org_id}/members/{user_id}/role",
        OrgRoles(RUN),
    ),
    route(
        Method::DELETE,
        "/api/v1/orgs/{org_id}/members/{user_id}",
        OrgRoles(RUN),
    ),
    route(
        Method::POST,
        "/api/v1/orgs/{org_id}/transfer-ownership",
        OrgRoles(&[Owner]),
    ),
    route(
        Method::GET,
        "/api/v1/orgs/{org_id}/events",
        OrgRoles(ANY_MEMBER),
    ),
    route(Method::POST, "/api/v1/orgs/{org_id}/events", OrgRoles(RUN)),
    route(
        Method::GET,
        "/api/v1/orgs/{org_id}/events/{event_id}",
        OrgRoles(ANY_MEMBER),
    ),
    route(
        Method::PUT,
        "/api/v1/orgs/{org_id}/events/{event_id}",
        OrgRoles(RUN),
    ),
    route(
        Method::POST,
        "/api/v1/orgs/{org_id}/events/{event_id}/submit",
        OrgRoles(RUN),
    ),
    route(
        Method::POST,
        "/api/v1/orgs/{org_id}/events/{event_id}/cancel",
        OrgRoles(RUN),
    ),
    route(
        Method::GET,
        "/api/v1/orgs/{org_id}/events/{event_id}/reviews",
        OrgRoles(ANY_MEMBER),
    ),
    route(
        Method::PUT,
        "/api/v1/orgs/{org_id}/events/{event_id}/cover",
        OrgRoles(RUN),
    ),
    route(
        Method::GET,
        "/api/v1/orgs/{org_id}/events/{event_id}/cover/{variant}",
        OrgRoles(ANY_MEMBER),
    ),
    route(
        Method::POST,
        "/api/v1/orgs/{org_id}/events/{event_id}/keys/rotate",
        OrgRoles(RUN),
    ),
    route(Method::GET, "/api/v1/sync/catalog", Public),
    route(Method::GET, "/api/v1/sync/me", SignedIn),
    route(
        Method::GET,
        "/api/v1/sync/orgs/{org_id}",
        OrgRoles(ANY_MEMBER),
    ),
    route(
        Method::GET,
        "/api/v1/sync/orgs/{org_id}/door/{event_id}",
        OrgRoles(DOOR),
    ),
    route(
        Method::GET,
        "/api/v1/sync/orgs/{org_id}/door/{event_id}/scans",
        OrgRoles(DOOR),
    ),
    // Each scan is checked against the caller's door roles for its event.
    route(Method::POST, "/api/v1/sync/push", SignedIn),
    // `catalog` for anyone; each other scope is checked against the caller's roles.
    route(Method::GET, "/api/v1/sync/hints", Public),
    route(Method::PUT, "/api/v1/admin/users/{user_id}/admin", Admin),
    route(Method::GET, "/api/v1/admin/events/review-queue", Admin),
    route(Method::GET, "/api/v1/admin/analytics", Admin),
    route(
        Method::GET,
        "/api/v1/orgs/{org_id}/analytics",
        OrgRoles(ANALYTICS),
    ),
    route(
        Method::GET,
        "/api/v1/orgs/{org_id}/events/{event_id}/analytics",
        OrgRoles(ANALYTICS),
    ),
    route(
        Method::GET,
        "/api/v1/orgs/{org_id}/events/{event_id}/exports/{kind}",
        OrgRoles(ANALYTICS),
    ),
    route(
        Method::POST,
        "/api/v1/admin/events/{event_id}/approve",
        Admin,
    ),
    route(
        Method::POST,
        "/api/v1/admin/events/{event_id}/reject",
        Admin,
    ),
];

/// The permission of a matched route, if the table has it.
pub fn permission_of(method: &Method, path: &str) -> Option<Permission> {
    ROUTES
        .iter()
        .find(|r| r.method == *method && r.path == path)
        .map(|r| r.permission)
}

/// The caller of a request, from its bearer token; `Ok(None)` when there is none.
fn caller_from(state: &AppState, request: &Request) -> Result<Option<Caller>, ApiError> {
    let Some(value) = request.headers().get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(ApiError::unauthenticated)?;
    match state.tokens.check(token.trim()) {
        Ok(claims) => Ok(Some(Caller {
            user_id: claims.sub,
            session_id: claims.sid,
            is_admin: claims.adm,
        })),
        Err(TokenError::Expired) => Err(ApiError::new(
            axum::http::StatusCode::UNAUTHORIZED,
            ErrorCode::TokenExpired,
        )),
        Err(_) => Err(ApiError::unauthenticated()),
    }
}

/// The authorization layer (a `route_layer`, so the matched route is known). The answer
/// carries the route's [`Permission`] as an extension, for layers outside the router
/// (`http_cache` marks only public answers as cacheable by anyone).
pub async fn authorize(State(state): State<AppState>, request: Request, next: Next) -> Response {
    match check(&state, request).await {
        Ok((request, permission)) => {
            let mut response = next.run(request).await;
            response.extensions_mut().insert(permission);
            response
        }
        Err(error) => error.into_response(),
    }
}

async fn check(state: &AppState, request: Request) -> Result<(Request, Permission), ApiError> {
    let path = request
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned());
    let permission = path
        .as_deref()
        .and_then(|p| permission_of(request.method(), p));
    let Some(permission) = permission else {
        tracing::error!(path = ?path, method = %request.method(), "route has no permission entry; refused");
        return Err(ApiError::forbidden());
    };
    let caller = match caller_from(state, &request) {
        Ok(caller) => caller,
        // A stale token does not stop anyone from reading public data.
        Err(_) if permission == Public => None,
        Err(e) => return Err(e),
    };
    let (mut parts, body) = request.into_parts();
    match (permission, caller) {
        (Public, _) => {}
        (_, None) => return Err(ApiError::unauthenticated()),
        (SignedIn, Some(_)) => {}
        (Admin, Some(c)) if c.is_admin => {}
        (Admin, Some(_)) => return Err(ApiError::forbidden()),
        (OrgRoles(_), Some(c)) if c.is_admin => {}
        (OrgRoles(roles), Some(c)) => {
            let params = RawPathParams::from_request_parts(&mut parts, state)
                .await
                .map_err(|_| ApiError::not_found())?;
            let org_id = params
                .iter()
                .find(|(name, _)| *name == "org_id")
                .and_then(|(_, value)| Uuid::parse_str(value).ok())
                .ok_or_else(|| ApiError::invalid_parameter("org_id", "not a UUID"))?;
            match state
                .roles
                .role_in(&*state.store, org_id, c.user_id)
                .await?
            {
                Some(role) if roles.contains(&role) => {}
                _ => return Err(ApiError::forbidden()),
            }
        }
    }
    if let Some(caller) = caller {
        parts.extensions.insert(caller);
    }
    Ok((Request::from_parts(parts, body), permission))
}
