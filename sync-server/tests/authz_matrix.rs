//! Every route × every kind of caller: allowed or refused, as the permission table says.
//! The table below is written out by hand on purpose: a route added to the server without
//! an entry here fails `every_route_has_a_matrix_entry`.

mod common;

use common::{TestApp, spawn_app};
use hafla_core::Bilingual;
use hafla_server::api::authz::ROUTES;
use hafla_server::store::{Invite, NewOrganization, OrgRole};
use reqwest::Method;
use serde_json::json;
use uuid::Uuid;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
    Anonymous,
    User,
    Owner,
    Manager,
    DoorStaff,
    Analyst,
    OtherOrgOwner,
    Admin,
}

const EVERYONE: &[Who] = &[
    Who::Anonymous,
    Who::User,
    Who::Owner,
    Who::Manager,
    Who::DoorStaff,
    Who::Analyst,
    Who::OtherOrgOwner,
    Who::Admin,
];
const SIGNED_IN: &[Who] = &[
    Who::User,
    Who::Owner,
    Who::Manager,
    Who::DoorStaff,
    Who::Analyst,
    Who::OtherOrgOwner,
    Who::Admin,
];
const MEMBERS: &[Who] = &[
    Who::Owner,
    Who::Manager,
    Who::DoorStaff,
    Who::Analyst,
    Who::Admin,
];
const SEE_MEMBERS: &[Who] = &[Who::Owner, Who::Manager, Who::Analyst, Who::Admin];
const RUN: &[Who] = &[Who::Owner, Who::Manager, Who::Admin];
const OWNER: &[Who] = &[Who::Owner, Who::Admin];
const ADMIN: &[Who] = &[Who::Admin];
const DOOR: &[Who] = &[Who::Owner, Who::Manager, Who::DoorStaff, Who::Admin];
/// Sales figures and exports: not door staff, not other organizations.
const ANALYTICS: &[Who] = &[Who::Owner, Who::Manager, Who::Analyst, Who::Admin];

/// (method, path, who may call it)
fn matrix() -> Vec<(Method, &'static str, &'static [Who])> {
    vec![
        (Method::GET, "/healthz", EVERYONE),
        (Method::GET, "/readyz", EVERYONE),
        (Method::GET, "/metrics", EVERYONE),
        (Method::GET, "/api/v1/events", EVERYONE),
        (Method::GET, "/api/v1/events/{event_id}", EVERYONE),
        (
            Method::GET,
            "/api/v1/events/{event_id}/cover/{variant}",
            EVERYONE,
        ),
        (Method::GET, "/api/v1/events/search", EVERYONE),
        (Method::GET, "/api/v1/openapi.json", EVERYONE),
        (Method::POST, "/api/v1/auth/register", EVERYONE),
        (Method::POST, "/api/v1/auth/login", EVERYONE),
        (Method::POST, "/api/v1/auth/refresh", EVERYONE),
        (Method::POST, "/api/v1/auth/verify-email", EVERYONE),
        (Method::POST, "/api/v1/auth/password-reset", EVERYONE),
        (
            Method::POST,
            "/api/v1/auth/password-reset/confirm",
            EVERYONE,
        ),
        (Method::POST, "/api/v1/auth/phone/send", EVERYONE),
        (Method::POST, "/api/v1/auth/phone/verify", EVERYONE),
        (Method::GET, "/api/v1/auth/oidc/providers", EVERYONE),
        (Method::POST, "/api/v1/auth/oidc/{provider}/start", EVERYONE),
        (Method::POST, "/api/v1/auth/oidc/callback", EVERYONE),
        (Method::POST, "/api/v1/auth/logout", SIGNED_IN),
        (Method::POST, "/api/v1/auth/logout-all", SIGNED_IN),
        (Method::GET, "/api/v1/me", SIGNED_IN),
        (Method::GET, "/api/v1/me/orders", SIGNED_IN),
        (Method::GET, "/api/v1/me/tickets", SIGNED_IN),
        (
            Method::POST,
            "/api/v1/tickets/{ticket_id}/transfer",
            SIGNED_IN,
        ),
        (
            Method::GET,
            "/api/v1/tickets/{ticket_id}/credential",
            SIGNED_IN,
        ),
        (Method::GET, "/api/v1/tickets/{ticket_id}/qr.svg", SIGNED_IN),
        (Method::GET, "/api/v1/tickets/{ticket_id}/qr.png", SIGNED_IN),
        (Method::POST, "/api/v1/orders", SIGNED_IN),
        (Method::GET, "/api/v1/orders/{order_id}", SIGNED_IN),
        (Method::POST, "/api/v1/orders/{order_id}/cancel", SIGNED_IN),
        (Method::POST, "/api/v1/orders/{order_id}/pay", SIGNED_IN),
        (Method::POST, "/api/v1/payments/{provider}/notify", EVERYONE),
        (Method::PUT, "/api/v1/orgs/{org_id}/cliq", RUN),
        (
            Method::POST,
            "/api/v1/orgs/{org_id}/orders/{order_id}/cliq",
            RUN,
        ),
        (
            Method::POST,
            "/api/v1/orgs/{org_id}/orders/{order_id}/refunds",
            RUN,
        ),
        (Method::GET, "/sandbox/pay/{payment_id}", EVERYONE),
        (Method::POST, "/sandbox/pay/{payment_id}", EVERYONE),
        (Method::GET, "/pay/return/{order_id}", EVERYONE),
        (Method::POST, "/api/v1/orgs", SIGNED_IN),
        (Method::GET, "/api/v1/orgs/{org_id}", MEMBERS),
        (Method::GET, "/api/v1/orgs/{org_id}/members", SEE_MEMBERS),
        (Method::POST, "/api/v1/orgs/{org_id}/invites", RUN),
        (
            Method::PUT,
            "/api/v1/orgs/{org_id}/members/{user_id}/role",
            RUN,
        ),
        (
            Method::DELETE,
            "/api/v1/orgs/{org_id}/members/{user_id}",
            RUN,
        ),
        (
            Method::POST,
            "/api/v1/orgs/{org_id}/transfer-ownership",
            OWNER,
        ),
        (Method::GET, "/api/v1/orgs/{org_id}/events", MEMBERS),
        (Method::POST, "/api/v1/orgs/{org_id}/events", RUN),
        (
            Method::GET,
            "/api/v1/orgs/{org_id}/events/{event_id}",
            MEMBERS,
        ),
        (Method::PUT, "/api/v1/orgs/{org_id}/events/{event_id}", RUN),
        (
            Method::POST,
            "/api/v1/orgs/{org_id}/events/{event_id}/submit",
            RUN,
        ),
        (
            Method::POST,
            "/api/v1/orgs/{org_id}/events/{event_id}/cancel",
            RUN,
        ),
        (
            Method::GET,
            "/api/v1/orgs/{org_id}/events/{event_id}/reviews",
            MEMBERS,
        ),
        (
            Method::PUT,
            "/api/v1/orgs/{org_id}/events/{event_id}/cover",
            RUN,
        ),
        (
            Method::GET,
            "/api/v1/orgs/{org_id}/events/{event_id}/cover/{variant}",
            MEMBERS,
        ),
        (
            Method::POST,
            "/api/v1/orgs/{org_id}/events/{event_id}/keys/rotate",
            RUN,
        ),
        (Method::GET, "/api/v1/sync/catalog", EVERYONE),
        (Method::GET, "/api/v1/sync/me", SIGNED_IN),
        (Method::GET, "/api/v1/sync/orgs/{org_id}", MEMBERS),
        (
            Method::GET,
            "/api/v1/sync/orgs/{org_id}/door/{event_id}",
            DOOR,
        ),
        (
            Method::GET,
            "/api/v1/sync/orgs/{org_id}/door/{event_id}/scans",
            DOOR,
        ),
        (Method::POST, "/api/v1/sync/push", SIGNED_IN),
        (Method::GET, "/api/v1/sync/hints", EVERYONE),
        (Method::PUT, "/api/v1/admin/users/{user_id}/admin", ADMIN),
        (Method::GET, "/api/v1/admin/events/review-queue", ADMIN),
        (Method::GET, "/api/v1/admin/analytics", ADMIN),
        (Method::GET, "/api/v1/orgs/{org_id}/analytics", ANALYTICS),
        (
            Method::GET,
            "/api/v1/orgs/{org_id}/events/{event_id}/analytics",
            ANALYTICS,
        ),
        (
            Method::GET,
            "/api/v1/orgs/{org_id}/events/{event_id}/exports/{kind}",
            ANALYTICS,
        ),
        (
            Method::POST,
            "/api/v1/admin/events/{event_id}/approve",
            ADMIN,
        ),
        (
            Method::POST,
            "/api/v1/admin/events/{event_id}/reject",
            ADMIN,
        ),
    ]
}

#[test]
fn every_route_has_a_matrix_entry() {
    let mut routes: Vec<(String, &str)> = ROUTES
        .iter()
        .map(|r| (r.method.to_string(), r.path))
        .collect();
    let mut entries: Vec<(String, &str)> = matrix()
        .iter()
        .map(|(m, p, _)| (m.to_string(), *p))
        .collect();
    routes.sort();
    entries.sort();
    assert_eq!(routes, entries);
}

struct World {
    app: TestApp,
    org: Uuid,
    tokens: Vec<(Who, Option<String>)>,
}

async fn world() -> World {
    let app = spawn_app().await;
    let mut tokens = vec![(Who::Anonymous, None)];
    let mut ids = vec![];
    for (who, email) in [
        (Who::User, "user@x.jo"),
        (Who::Owner, "owner@x.jo"),
        (Who::Manager, "manager@x.jo"),
        (Who::DoorStaff, "door@x.jo"),
        (Who::Analyst, "analyst@x.jo"),
        (Who::OtherOrgOwner, "other@x.jo"),
        (Who::Admin, "admin@x.jo"),
    ] {
        let session = app.register(email).await;
        let (_, me) = app.get("/api/v1/me", Some(&session.access_token)).await;
        ids.push((who, Uuid::parse_str(me["id"].as_str().unwrap()).unwrap()));
        tokens.push((who, Some(session.access_token)));
    }
    let id = |who: Who| ids.iter().find(|(w, _)| *w == who).unwrap().1;
    let now = jiff::Timestamp::now();
    let org = Uuid::now_v7();
    let name = Bilingual::new("منظمة", "Org").unwrap();
    app.store
        .create_organization(
            NewOrganization {
                id: org,
                name: name.clone(),
            },
            id(Who::Owner),
            now,
        )
        .await
        .unwrap();
    let other = NewOrganization {
        id: Uuid::now_v7(),
        name,
    };
    app.store
        .create_organization(other, id(Who::OtherOrgOwner), now)
        .await
        .unwrap();
    for (who, role, email) in [
        (Who::Manager, OrgRole::Manager, "manager@x.jo"),
        (Who::DoorStaff, OrgRole::DoorStaff, "door@x.jo"),
        (Who::Analyst, OrgRole::Analyst, "analyst@x.jo"),
    ] {
        let invite = Invite {
            id: Uuid::now_v7(),
            organization_id: org,
            email: Some(email.into()),
            phone: None,
            role,
            invited_by: id(Who::Owner),
            created_at: now,
        };
        app.store.create_invite(invite).await.unwrap();
        app.store
            .accept_invites(id(who), Some(email), None, now)
            .await
            .unwrap();
    }
    // Admin rights ride in the access token: make the admin, then sign in again.
    app.store.set_admin(id(Who::Admin), true).await.unwrap();
    let (_, login) = app
        .post(
            "/api/v1/auth/login",
            None,
            json!({"email": "admin@x.jo", "password": "a long enough password"}),
        )
        .await;
    let admin_token = login["access_token"].as_str().unwrap().to_owned();
    tokens.retain(|(w, _)| *w != Who::Admin);
    tokens.push((Who::Admin, Some(admin_token)));
    World { app, org, tokens }
}

#[tokio::test]
async fn every_route_admits_exactly_the_callers_its_permission_names() {
    let w = world().await;
    let mut failures = vec![];
    for (method, pattern, allowed) in matrix() {
        let path = pattern
            .replace("{org_id}", &w.org.to_string())
            .replace("{user_id}", &Uuid::now_v7().to_string())
            .replace("{provider}", "nowhere")
            .replace("{event_id}", &Uuid::now_v7().to_string())
            .replace("{variant}", "large")
            .replace("{kind}", "orders")
            .replace("{order_id}", &Uuid::now_v7().to_string())
            .replace("{payment_id}", &Uuid::now_v7().to_string())
            .replace("{ticket_id}", &Uuid::now_v7().to_string());
        for (who, token) in &w.tokens {
            let body = (method != Method::GET).then(|| json!({}));
            let (status, response) = w
                .app
                .call(method.clone(), &path, token.as_deref(), body)
                .await;
            let expected_allowed = allowed.contains(who);
            let refused = status == 401 || status == 403;
            let ok = if expected_allowed {
                !refused
            } else {
                status == if *who == Who::Anonymous { 401 } else { 403 }
            };
            if !ok {
                failures.push(format!(
                    "{method} {pattern} as {who:?}: {status} {response}"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
