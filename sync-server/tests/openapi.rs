//! The OpenAPI document served at `/api/v1/openapi.json` matches the routes the server has:
//! every route of `authz::ROUTES` under `/api/v1` is documented with its method, nothing else
//! is, signed-in routes name the `bearer` scheme, and every error answer is an `ErrorBody`.

mod common;

use common::spawn_app;
use hafla_server::api::authz::{Permission, ROUTES, RouteSpec};
use serde_json::Value;
use std::collections::BTreeSet;

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

async fn document() -> Value {
    let app = spawn_app().await;
    let (status, doc) = app.get("/api/v1/openapi.json", None).await;
    assert_eq!(status, 200, "{doc}");
    assert_eq!(doc["openapi"].as_str().map(|v| &v[..4]), Some("3.1."));
    doc
}

fn api_routes() -> impl Iterator<Item = &'static RouteSpec> {
    ROUTES.iter().filter(|r| r.path.starts_with("/api/v1"))
}

/// The operation of `route` in the document.
fn operation<'a>(doc: &'a Value, route: &RouteSpec) -> &'a Value {
    &doc["paths"][route.path][route.method.as_str().to_lowercase()]
}

/// Every (method, path) the document describes.
fn documented(doc: &Value) -> BTreeSet<(String, String)> {
    let paths = doc["paths"].as_object().expect("paths");
    paths
        .iter()
        .flat_map(|(path, item)| {
            METHODS
                .iter()
                .filter(|m| item.get(**m).is_some())
                .map(move |m| (m.to_string(), path.clone()))
        })
        .collect()
}

#[tokio::test]
async fn the_document_lists_every_route_with_its_method() {
    let doc = document().await;
    assert_eq!(doc["info"]["title"], "Hafla API");
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));

    let missing: Vec<String> = api_routes()
        .filter(|r| !operation(&doc, r).is_object())
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert!(
        missing.is_empty(),
        "routes missing from the OpenAPI document:\n{}",
        missing.join("\n")
    );

    let routed: BTreeSet<(String, String)> = api_routes()
        .map(|r| (r.method.as_str().to_lowercase(), r.path.to_owned()))
        .collect();
    let extra: Vec<_> = documented(&doc).difference(&routed).cloned().collect();
    assert!(
        extra.is_empty(),
        "documented but not in authz::ROUTES: {extra:?}"
    );
}

#[tokio::test]
async fn routes_that_need_a_caller_declare_bearer_security() {
    let doc = document().await;
    let scheme = &doc["components"]["securitySchemes"]["bearer"];
    assert_eq!(scheme["type"], "http", "{scheme}");
    assert_eq!(scheme["scheme"], "bearer", "{scheme}");
    assert_eq!(scheme["bearerFormat"], "JWT", "{scheme}");
    assert!(
        doc.get("security").is_none(),
        "no document-wide security: public routes must stay public"
    );

    let mut wrong = vec![];
    for route in api_routes() {
        let security = &operation(&doc, route)["security"];
        let names_bearer = security
            .as_array()
            .is_some_and(|reqs| reqs.iter().any(|req| req.get("bearer").is_some()));
        match route.permission {
            Permission::Public if !security.is_null() => wrong.push(format!(
                "{} {} is public but declares security {security}",
                route.method, route.path
            )),
            Permission::Public => {}
            _ if !names_bearer => wrong.push(format!(
                "{} {} needs a caller but does not declare bearer security",
                route.method, route.path
            )),
            _ => {}
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[tokio::test]
async fn every_error_response_uses_the_error_body_schema() {
    let doc = document().await;
    let error_body = &doc["components"]["schemas"]["ErrorBody"];
    assert_eq!(
        error_body["required"],
        serde_json::json!(["code", "message"]),
        "{error_body}"
    );
    assert_eq!(
        doc["components"]["schemas"]["ErrorCode"]["type"], "string",
        "error codes are a string enum"
    );

    let mut wrong = vec![];
    for route in api_routes() {
        let responses = operation(&doc, route)["responses"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        for (status, response) in &responses {
            let code: u16 = status.parse().expect("numeric status");
            if code < 400 {
                continue;
            }
            let schema = &response["content"]["application/json"]["schema"]["$ref"];
            if schema != "#/components/schemas/ErrorBody" {
                wrong.push(format!(
                    "{} {} answers {status} with {}",
                    route.method, route.path, response["content"]
                ));
            }
        }
        // A JSON body can be malformed, of the wrong shape, too big or not JSON at all.
        if operation(&doc, route).get("requestBody").is_some() {
            for status in ["400", "413", "415", "422"] {
                if !responses.contains_key(status) {
                    wrong.push(format!(
                        "{} {} takes a JSON body but documents no {status}",
                        route.method, route.path
                    ));
                }
            }
        }
        let needs_caller = route.permission != Permission::Public;
        if needs_caller && !responses.contains_key("401") {
            wrong.push(format!(
                "{} {} needs a caller but documents no 401",
                route.method, route.path
            ));
        }
        if matches!(
            route.permission,
            Permission::OrgRoles(_) | Permission::Admin
        ) && !responses.contains_key("403")
        {
            wrong.push(format!(
                "{} {} checks roles but documents no 403",
                route.method, route.path
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[tokio::test]
async fn every_route_that_uses_the_database_documents_503_with_retry_after() {
    let doc = document().await;
    let mut wrong = vec![];
    for route in api_routes() {
        let answer = &operation(&doc, route)["responses"]["503"];
        let uses_database = route.path != "/api/v1/openapi.json";
        let documented = answer["description"]
            .as_str()
            .is_some_and(|d| d.contains("database_unavailable"))
            && answer["headers"]["Retry-After"].is_object();
        if uses_database != documented {
            wrong.push(format!("{} {}: 503 {answer}", route.method, route.path));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
