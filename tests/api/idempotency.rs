//! `Idempotency-Key` on the practice API's POSTs: a retry returns the first response without
//! doing the work again; another body with the same key is refused; concurrent requests with
//! one key create one thing; failures are not kept; keys last 24 hours and belong to the
//! credential that sent them.

use crate::helpers::{TestApp, assert_problem};
use chrono::TimeDelta;
use reqwest::Response;
use serde_json::{Value, json};

fn ann() -> Value {
    json!({"first_name": "Ann", "last_name": "Idem", "date_of_birth": "1980-01-02",
           "email": "ann@example.org"})
}

impl TestApp {
    async fn post_once(&self, path: &str, key: &str, idem: &str, body: &Value) -> Response {
        self.client
            .post(self.url(path))
            .bearer_auth(key)
            .header("Idempotency-Key", idem)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    async fn patient_count(&self, key: &str) -> usize {
        let page: Value = self
            .get("/api/v1/practice/patients", key)
            .await
            .json()
            .await
            .unwrap();
        page["items"].as_array().unwrap().len()
    }
}

const PATIENTS: &str = "/api/v1/practice/patients";

#[tokio::test]
async fn a_retried_post_with_the_same_key_returns_the_first_response_and_creates_once() {
    let app = TestApp::spawn().await;
    let (_, key) = app.create_practice("idem", "Idem Clinic", "555-0100").await;
    let first = app.post_once(PATIENTS, &key, "k-1", &ann()).await;
    assert_eq!(first.status(), 201);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first: Value = first.json().await.unwrap();
    let again = app.post_once(PATIENTS, &key, "k-1", &ann()).await;
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(
        again.headers()["content-type"],
        "application/json; charset=utf-8"
    );
    let again: Value = again.json().await.unwrap();
    assert_eq!(again, first);
    assert_eq!(app.patient_count(&key).await, 1);
    // Without a key, or with another one, the work is done again.
    assert_eq!(app.post(PATIENTS, &key, ann()).await.status(), 201);
    assert_eq!(
        app.post_once(PATIENTS, &key, "k-2", &ann()).await.status(),
        201
    );
    assert_eq!(app.patient_count(&key).await, 3);
}

#[tokio::test]
async fn the_same_key_with_another_body_is_refused() {
    let app = TestApp::spawn().await;
    let (_, key) = app.create_practice("idem", "Idem Clinic", "555-0100").await;
    assert_eq!(
        app.post_once(PATIENTS, &key, "k", &ann()).await.status(),
        201
    );
    let mut other = ann();
    other["first_name"] = json!("Bea");
    let r = app.post_once(PATIENTS, &key, "k", &other).await;
    assert_problem(r, 422, "idempotency_key_reused").await;
    assert_eq!(app.patient_count(&key).await, 1);
}

#[tokio::test]
async fn concurrent_requests_with_one_key_create_one_patient() {
    let app = TestApp::spawn().await;
    let (_, key) = app.create_practice("idem", "Idem Clinic", "555-0100").await;
    let body = ann();
    let sends = (0..8).map(|_| app.post_once(PATIENTS, &key, "same", &body));
    let responses = futures_util::future::join_all(sends).await;
    let mut ids = Vec::new();
    for r in responses {
        assert_eq!(r.status(), 201);
        let v: Value = r.json().await.unwrap();
        ids.push(v["id"].as_str().unwrap().to_owned());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(app.patient_count(&key).await, 1);
}

#[tokio::test]
async fn failures_are_not_kept_and_keys_are_forgotten_after_24_hours() {
    let app = TestApp::spawn().await;
    let (_, key) = app.create_practice("idem", "Idem Clinic", "555-0100").await;
    let r = app
        .post_once(PATIENTS, &key, "k", &json!({"first_name": "Ann"}))
        .await;
    assert_problem(r, 422, "validation_failed").await;
    // The refused body did not take the key: a corrected retry with it does the work.
    let r = app
        .post_once(PATIENTS, &key, "k", &json!({"first_name": "Ann"}))
        .await;
    assert_problem(r, 422, "validation_failed").await;
    let first: Value = app
        .post_once(PATIENTS, &key, "k2", &ann())
        .await
        .json()
        .await
        .unwrap();
    app.clock.advance(TimeDelta::hours(23));
    let replay: Value = app
        .post_once(PATIENTS, &key, "k2", &ann())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(replay["id"], first["id"]);
    app.clock.advance(TimeDelta::hours(2));
    let fresh = app.post_once(PATIENTS, &key, "k2", &ann()).await;
    assert_eq!(fresh.status(), 201);
    assert!(fresh.headers().get("idempotent-replayed").is_none());
    let fresh: Value = fresh.json().await.unwrap();
    assert_ne!(fresh["id"], first["id"]);
}

#[tokio::test]
async fn keys_belong_to_the_credential_and_a_secret_shown_once_replays_whole() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.create_practice("idem", "Idem Clinic", "555-0100").await;
    let body = json!({"role": "reception", "label": "Front desk"});
    let first: Value = app
        .post_once("/api/v1/practice/api-keys", &admin, "key-1", &body)
        .await
        .json()
        .await
        .unwrap();
    let again: Value = app
        .post_once("/api/v1/practice/api-keys", &admin, "key-1", &body)
        .await
        .json()
        .await
        .unwrap();
    assert!(first["key"].is_string());
    assert_eq!(again["key"], first["key"]);
    // Another credential's "key-1" is its own.
    let reception = first["key"].as_str().unwrap();
    assert_eq!(
        app.post_once(PATIENTS, reception, "key-1", &ann())
            .await
            .status(),
        201
    );
    // Not for reads, and not outside the practice API.
    let r = app
        .client
        .get(app.url(PATIENTS))
        .bearer_auth(&admin)
        .header("Idempotency-Key", "key-1")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}
