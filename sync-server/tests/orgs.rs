//! Organizations and their people over real HTTP.

mod common;

use common::spawn_app;
use serde_json::{Value, json};

fn code(body: &Value) -> &str {
    body["code"].as_str().unwrap_or_default()
}

#[tokio::test]
async fn an_owner_invites_staff_who_join_when_they_sign_up_and_roles_follow_the_rules() {
    let app = spawn_app().await;
    let owner = app.register("owner@balad.jo").await.access_token;
    let (status, org) = app
        .post(
            "/api/v1/orgs",
            Some(&owner),
            json!({ "name": { "ar": "مسرح البلد", "en": "Al Balad Theatre" } }),
        )
        .await;
    assert_eq!(status, 201, "{org}");
    let org_id = org["id"].as_str().unwrap().to_owned();
    let path = |rest: &str| format!("/api/v1/orgs/{org_id}{rest}");

    let invite = |email: &str, role: &str| json!({ "email": email, "role": role });
    assert_eq!(
        app.post(
            &path("/invites"),
            Some(&owner),
            invite("Manager@Balad.jo", "manager")
        )
        .await
        .0,
        201
    );
    let manager = app.register("manager@balad.jo").await.access_token;
    let (_, me) = app.get("/api/v1/me", Some(&manager)).await;
    assert_eq!(me["organizations"][0]["role"], "manager", "{me}");

    // A manager may add door staff, not other managers or owners.
    assert_eq!(
        app.post(
            &path("/invites"),
            Some(&manager),
            invite("door@balad.jo", "door_staff")
        )
        .await
        .0,
        201
    );
    let (status, body) = app
        .post(
            &path("/invites"),
            Some(&manager),
            invite("boss2@balad.jo", "manager"),
        )
        .await;
    assert_eq!((status, code(&body)), (403, "forbidden"));
    let (status, body) = app
        .post(
            &path("/invites"),
            Some(&owner),
            invite("x@balad.jo", "owner"),
        )
        .await;
    assert_eq!((status, code(&body)), (409, "owner_required"));
    let (status, body) = app
        .post(
            &path("/invites"),
            Some(&owner),
            json!({ "role": "analyst" }),
        )
        .await;
    assert_eq!((status, code(&body)), (422, "invalid_body"));
    let (status, body) = app
        .post(
            &path("/invites"),
            Some(&owner),
            json!({ "phone": "06 512 3456", "role": "analyst" }),
        )
        .await;
    assert_eq!((status, code(&body)), (400, "invalid_phone"));

    let door = app.register("door@balad.jo").await.access_token;
    let (status, members) = app.get(&path("/members"), Some(&owner)).await;
    assert_eq!(status, 200);
    let roles: Vec<&str> = members
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["owner", "manager", "door_staff"]);
    let (status, _) = app.get(&path("/members"), Some(&door)).await;
    assert_eq!(status, 403, "door staff do not see the people list");

    let id_of = |email: &str| {
        members
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["email"] == email)
            .map(|m| m["user_id"].as_str().unwrap().to_owned())
            .unwrap()
    };
    let (owner_id, manager_id) = (id_of("owner@balad.jo"), id_of("manager@balad.jo"));
    let (status, body) = app
        .call(
            reqwest::Method::DELETE,
            &path(&format!("/members/{owner_id}")),
            Some(&manager),
            None,
        )
        .await;
    assert_eq!((status, code(&body)), (409, "owner_required"));
    let (status, _) = app
        .post(
            &path("/transfer-ownership"),
            Some(&owner),
            json!({ "user_id": manager_id }),
        )
        .await;
    assert_eq!(status, 204);
    let (_, members) = app.get(&path("/members"), Some(&owner)).await;
    let role_of = |id: &str| {
        members
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["user_id"] == id)
            .map(|m| m["role"].clone())
            .unwrap()
    };
    assert_eq!(
        (role_of(&owner_id), role_of(&manager_id)),
        (json!("manager"), json!("owner"))
    );
}

#[tokio::test]
async fn an_organization_needs_a_name_in_arabic_or_english() {
    let app = spawn_app().await;
    let token = app.register("someone@x.jo").await.access_token;
    let (status, body) = app
        .post(
            "/api/v1/orgs",
            Some(&token),
            json!({ "name": { "ar": " ", "en": "" } }),
        )
        .await;
    assert_eq!((status, code(&body)), (422, "invalid_body"));
}

#[tokio::test]
async fn a_malformed_id_in_the_path_is_a_specific_error_not_plain_text() {
    let app = spawn_app().await;
    let owner = app.register("owner2@x.jo").await.access_token;
    let (_, org) = app
        .post(
            "/api/v1/orgs",
            Some(&owner),
            json!({ "name": { "ar": "منظمة", "en": "" } }),
        )
        .await;
    let path = format!(
        "/api/v1/orgs/{}/members/not-a-uuid",
        org["id"].as_str().unwrap()
    );
    let (status, body) = app
        .call(reqwest::Method::DELETE, &path, Some(&owner), None)
        .await;
    assert_eq!((status, code(&body)), (400, "invalid_parameter"), "{body}");
}
