//! Bad input of every kind gets an RFC 9457 problem with a stable code, never a 500.

use crate::helpers::{TestApp, assert_problem};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn unknown_route_is_a_404_problem() {
    let app = TestApp::spawn().await;
    let r = app
        .client
        .get(app.url("/no/such/thing"))
        .send()
        .await
        .unwrap();
    assert_problem(r, 404, "not_found").await;
}

#[tokio::test]
async fn wrong_method_is_405_with_allow_header() {
    let app = TestApp::spawn().await;
    let (_, key) = app.create_practice("smith", "Smith", "555-0100").await;
    let r = app
        .call(Method::PUT, "/api/v1/practice/patients", Some(&key), None)
        .await;
    assert_eq!(r.headers().get("allow").unwrap(), "GET, HEAD, POST");
    assert_problem(r, 405, "method_not_allowed").await;
    let r = app
        .call(
            Method::DELETE,
            "/api/v1/practice/settings",
            Some(&key),
            None,
        )
        .await;
    assert_eq!(r.headers().get("allow").unwrap(), "GET, HEAD, PATCH");
    assert_problem(r, 405, "method_not_allowed").await;
}

#[tokio::test]
async fn malformed_json_is_400_and_creates_nothing() {
    let app = TestApp::spawn().await;
    let (_, key) = app.create_practice("smith", "Smith", "555-0100").await;
    for body in [
        "{\"first_name\": \"Ann\",",
        "not json",
        "",
        "[1,2",
        "{} trailing",
    ] {
        let r = app
            .client
            .post(app.url("/api/v1/practice/patients"))
            .bearer_auth(&key)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_problem(r, 400, "malformed_request").await;
    }
    let list: serde_json::Value = app
        .get("/api/v1/practice/patients", &key)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"], json!([]));
}

#[tokio::test]
async fn wrong_content_type_is_415() {
    let app = TestApp::spawn().await;
    let (_, key) = app.create_practice("smith", "Smith", "555-0100").await;
    for ct in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        None,
    ] {
        let mut req = app
            .client
            .post(app.url("/api/v1/practice/patients"))
            .bearer_auth(&key)
            .body("{}");
        if let Some(ct) = ct {
            req = req.header("content-type", ct);
        }
        assert_problem(req.send().await.unwrap(), 415, "unsupported_media_type").await;
    }
    // Parameters and +json types are fine.
    let r = app
        .client
        .post(app.url("/api/v1/practice/patients"))
        .bearer_auth(&key)
        .header("content-type", "application/json; charset=utf-8")
        .body(r#"{"first_name":"A","last_name":"B","date_of_birth":"2000-01-01"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
}

#[tokio::test]
async fn oversized_bodies_are_413_whether_declared_or_streamed() {
    let app = TestApp::spawn_with(|s| s.max_body_bytes = 4096).await;
    let (_, key) = app.create_practice("smith", "Smith", "555-0100").await;
    let big = format!(
        r#"{{"first_name":"{}","last_name":"B","date_of_birth":"2000-01-01"}}"#,
        "a".repeat(10_000)
    );
    let r = app
        .client
        .post(app.url("/api/v1/practice/patients"))
        .bearer_auth(&key)
        .header("content-type", "application/json")
        .body(big.clone())
        .send()
        .await
        .unwrap();
    assert_problem(r, 413, "payload_too_large").await;

    // Chunked, with no Content-Length.
    let stream = futures_stream(big.into_bytes());
    let r = app
        .client
        .post(app.url("/api/v1/practice/patients"))
        .bearer_auth(&key)
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await
        .unwrap();
    assert_problem(r, 413, "payload_too_large").await;
}

fn futures_stream(
    data: Vec<u8>,
) -> impl futures_util::Stream<Item = Result<Vec<u8>, std::io::Error>> {
    futures_util::stream::iter(
        data.chunks(1000)
            .map(|c| Ok(c.to_vec()))
            .collect::<Vec<_>>(),
    )
}

#[tokio::test]
async fn wrong_types_and_unknown_fields_are_422_naming_the_field() {
    let app = TestApp::spawn().await;
    let (_, key) = app.create_practice("smith", "Smith", "555-0100").await;
    for (body, field) in [
        (
            json!({"first_name": 1, "last_name": "B", "date_of_birth": "2000-01-01"}),
            "first_name",
        ),
        (
            json!({"last_name": "B", "date_of_birth": "2000-01-01"}),
            "first_name",
        ),
        (
            json!({"first_name": "A", "last_name": "B", "date_of_birth": 20000101}),
            "date_of_birth",
        ),
        (
            json!({"first_name": "A", "last_name": "B", "date_of_birth": "2000-01-01", "practice_id": "x"}),
            "practice_id",
        ),
        (json!([1, 2]), "body"),
    ] {
        let p = assert_problem(
            app.post("/api/v1/practice/patients", &key, body.clone())
                .await,
            422,
            "validation_failed",
        )
        .await;
        assert_eq!(p["field"], field, "for {body}");
    }
    let p = assert_problem(
        app.post(
            "/api/v1/practice/api-keys",
            &key,
            json!({"role": "superuser", "label": "x"}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(p["field"], "role");
}

#[tokio::test]
async fn malformed_path_ids_are_404_not_500() {
    let app = TestApp::spawn().await;
    let (_, key) = app.create_practice("smith", "Smith", "555-0100").await;
    for path in [
        "/api/v1/practice/patients/not-a-uuid",
        "/api/v1/practice/patients/%00",
        "/api/v1/practice/patients/'%20OR%201=1",
    ] {
        assert_problem(app.get(path, &key).await, 404, "not_found").await;
    }
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_no_store_on_the_api() {
    let app = TestApp::spawn().await;
    let (_, key) = app.create_practice("smith", "Smith", "555-0100").await;
    let r = app.get("/api/v1/practice/settings", &key).await;
    assert!(r.headers().get("x-request-id").is_some());
    assert_eq!(r.headers().get("cache-control").unwrap(), "no-store");
    assert_eq!(
        r.headers().get("x-content-type-options").unwrap(),
        "nosniff"
    );
    let r = app
        .get(
            "/api/v1/practice/patients/00000000-0000-0000-0000-000000000000",
            &key,
        )
        .await;
    let id = r
        .headers()
        .get("x-request-id")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let p = assert_problem(r, 404, "not_found").await;
    assert_eq!(p["request_id"], id);
    assert_eq!(p["instance"], format!("urn:uuid:{id}"));
}
