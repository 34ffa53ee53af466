//! `/api/v1/practice/clients`: registering and managing OpenID Connect clients.

use crate::helpers::{TestApp, assert_problem};
use portico::store::oauth_client;
use sea_orm::EntityTrait;
use serde_json::{Value, json};

fn confidential() -> Value {
    json!({
        "name": "Smith portal",
        "redirect_uris": ["https://portal.smith.example/callback"],
        "scopes": ["openid", "profile", "email", "offline_access"],
        "post_logout_redirect_uris": ["https://portal.smith.example/"],
    })
}

#[tokio::test]
async fn a_confidential_client_gets_a_secret_once_stored_only_as_a_hash() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.create_practice("smith", "Smith", "555-0100").await;
    let r = app
        .post("/api/v1/practice/clients", &admin, confidential())
        .await;
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.unwrap();
    let client_id = created["client_id"].as_str().unwrap();
    let secret = created["client_secret"].as_str().unwrap();
    assert!(secret.starts_with("ptcs_"), "{secret}");
    assert_eq!(created["public"], false);
    assert_eq!(created["id_token_signed_response_alg"], "RS256");
    assert_eq!(
        created["redirect_uris"],
        json!(["https://portal.smith.example/callback"])
    );

    let listed = app
        .get("/api/v1/practice/clients", &admin)
        .await
        .text()
        .await
        .unwrap();
    assert!(!listed.contains(secret) && listed.contains(client_id));
    let one: Value = app
        .get(&format!("/api/v1/practice/clients/{client_id}"), &admin)
        .await
        .json()
        .await
        .unwrap();
    assert!(one.get("client_secret").is_none());
    assert_eq!(one["name"], "Smith portal");

    let rows = oauth_client::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        rows[0].secret_hash.as_deref(),
        Some(portico::crypto::secrets::hash_token(secret).as_str())
    );
}

#[tokio::test]
async fn a_public_client_has_no_secret_and_eddsa_can_be_chosen() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.create_practice("smith", "Smith", "555-0100").await;
    let mut body = confidential();
    body["public"] = json!(true);
    body["id_token_signed_response_alg"] = json!("EdDSA");
    body["redirect_uris"] = json!(["http://127.0.0.1:8123/cb"]);
    let created: Value = app
        .post("/api/v1/practice/clients", &admin, body)
        .await
        .json()
        .await
        .unwrap();
    assert!(created["client_secret"].is_null(), "{created}");
    assert_eq!(created["public"], true);
    assert_eq!(created["id_token_signed_response_alg"], "EdDSA");
}

#[tokio::test]
async fn bad_redirect_uris_scopes_and_algorithms_are_refused() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.create_practice("smith", "Smith", "555-0100").await;
    for (field, value) in [
        ("redirect_uris", json!(["http://evil.example/cb"])),
        ("redirect_uris", json!(["https://app.example/cb#frag"])),
        ("redirect_uris", json!([])),
        ("redirect_uris", json!(["/relative"])),
        ("scopes", json!(["openid", "admin"])),
        ("id_token_signed_response_alg", json!("HS256")),
        ("post_logout_redirect_uris", json!(["ftp://x.example/"])),
    ] {
        let mut body = confidential();
        body[field] = value;
        let r = app.post("/api/v1/practice/clients", &admin, body).await;
        let problem = assert_problem(r, 422, "validation_failed").await;
        assert_eq!(problem["field"], field, "{problem}");
    }
}

#[tokio::test]
async fn clients_are_changed_deleted_and_private_to_their_practice() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.create_practice("smith", "Smith", "555-0100").await;
    let (_, other) = app.create_practice("jones", "Jones", "555-0200").await;
    let created: Value = app
        .post("/api/v1/practice/clients", &admin, confidential())
        .await
        .json()
        .await
        .unwrap();
    let path = format!(
        "/api/v1/practice/clients/{}",
        created["client_id"].as_str().unwrap()
    );
    assert_problem(app.get(&path, &other).await, 404, "not_found").await;

    let r = app
        .patch(
            &path,
            &admin,
            json!({"name": "Renamed", "scopes": ["openid", "launch/patient", "patient/*.rs"]}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let changed: Value = r.json().await.unwrap();
    assert_eq!(changed["name"], "Renamed");
    assert_eq!(
        changed["scopes"],
        json!(["openid", "launch/patient", "patient/*.rs"])
    );
    assert_eq!(
        changed["redirect_uris"], created["redirect_uris"],
        "unchanged"
    );

    assert_problem(app.delete(&path, &other).await, 404, "not_found").await;
    assert_eq!(app.delete(&path, &admin).await.status(), 204);
    assert_problem(app.get(&path, &admin).await, 404, "not_found").await;
}

#[tokio::test]
async fn only_admin_keys_manage_clients() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.create_practice("smith", "Smith", "555-0100").await;
    let reception: Value = app
        .post(
            "/api/v1/practice/api-keys",
            &admin,
            json!({"role": "reception", "label": "Front desk"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let key = reception["key"].as_str().unwrap();
    assert_problem(
        app.post("/api/v1/practice/clients", key, confidential())
            .await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(
        app.get("/api/v1/practice/clients", key).await,
        403,
        "forbidden",
    )
    .await;
}
