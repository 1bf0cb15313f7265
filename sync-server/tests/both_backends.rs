//! The same API calls give the same answers on SQLite and on PostgreSQL.

mod common;

use common::{FreshDatabase, TestApp, spawn_app, spawn_app_on};
use hafla_server::store::{PgOptions, PgStore, Store};
use serde_json::{Value, json};
use std::sync::Arc;

/// Replaces what differs by nature between two runs (ids, tokens, times) with its kind.
fn normalize(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let v = match k.as_str() {
                        "id" | "user_id" | "organization_id" | "access_token" | "refresh_token"
                        | "starts_at" | "ends_at" => Value::String(format!("<{k}>")),
                        _ => normalize(v),
                    };
                    (k, v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(normalize).collect()),
        other => other,
    }
}

/// One person's afternoon with the API; every answer, normalized.
async fn journey(app: &TestApp) -> Vec<(u16, Value)> {
    let mut answers = vec![];
    let mut record = |answer: (u16, Value)| {
        let token = answer.1["access_token"].as_str().map(str::to_owned);
        answers.push((answer.0, normalize(answer.1)));
        token
    };
    let register = json!({ "email": "Rania@Example.jo", "password": "a long enough password", "display_name": "رانيا" });
    let token = record(
        app.post("/api/v1/auth/register", None, register.clone())
            .await,
    )
    .unwrap();
    record(app.post("/api/v1/auth/register", None, register).await);
    record(
        app.post(
            "/api/v1/auth/login",
            None,
            json!({ "email": "rania@example.jo", "password": "nope nope nope" }),
        )
        .await,
    );
    record(
        app.post(
            "/api/v1/orgs",
            Some(&token),
            json!({ "name": { "ar": "فرقة", "en": "Band" } }),
        )
        .await,
    );
    let (_, me) = app.get("/api/v1/me", Some(&token)).await;
    let org = me["organizations"][0]["organization_id"]
        .as_str()
        .unwrap()
        .to_owned();
    record((200, me));
    let invite = json!({ "email": "drummer@example.jo", "role": "door_staff" });
    record(
        app.post(&format!("/api/v1/orgs/{org}/invites"), Some(&token), invite)
            .await,
    );
    record(
        app.get(&format!("/api/v1/orgs/{org}/members"), Some(&token))
            .await,
    );
    record(app.get(&format!("/api/v1/orgs/{org}"), Some(&token)).await);
    record(app.get("/api/v1/events?limit=3", None).await);
    record(app.get("/api/v1/events?limit=nope", None).await);
    answers
}

#[tokio::test]
async fn the_same_calls_answer_the_same_on_sqlite_and_postgresql() {
    let database = FreshDatabase::create();
    let pg: Arc<dyn Store> = Arc::new(
        PgStore::connect(&database.url(), PgOptions::default())
            .await
            .unwrap(),
    );
    let on_postgres = spawn_app_on(pg, Default::default(), tempfile::tempdir().unwrap()).await;
    let on_sqlite = spawn_app().await;
    let today = hafla_server::demo::today_in_amman().unwrap();
    for app in [&on_sqlite, &on_postgres] {
        hafla_server::demo::seed(&*app.store, today).await.unwrap();
    }
    let sqlite_answers = journey(&on_sqlite).await;
    let postgres_answers = journey(&on_postgres).await;
    assert_eq!(sqlite_answers.len(), postgres_answers.len());
    let events = &sqlite_answers[sqlite_answers.len() - 2].1["events"];
    assert_eq!(
        events.as_array().map(Vec::len),
        Some(3),
        "the demo catalog is compared too"
    );
    for (i, (s, p)) in sqlite_answers.iter().zip(&postgres_answers).enumerate() {
        assert_eq!(s, p, "answer {i} differs");
    }
}
