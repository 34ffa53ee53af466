use crate::helpers::{TestApp, assert_problem};
use portico::store::api_key;
use sea_orm::EntityTrait;
use serde_json::{Value, json};

#[tokio::test]
async fn key_is_shown_once_and_stored_only_as_a_hash() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.create_practice("smith", "Smith", "555-0100").await;
    let r = app
        .post(
            "/api/v1/practice/api-keys",
            &admin,
            json!({"role": "reception", "label": "Front desk"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.unwrap();
    let key = created["key"].as_str().unwrap();
    assert!(key.starts_with("ptc_") && key.len() == 47, "{key}");

    // The new key works, with its role.
    assert_eq!(
        app.get("/api/v1/practice/patients", key).await.status(),
        200
    );

    // Listing never includes a secret.
    let list = app
        .get("/api/v1/practice/api-keys", &admin)
        .await
        .text()
        .await
        .unwrap();
    assert!(!list.contains(key) && !list.contains(&admin));
    let list: Value = serde_json::from_str(&list).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .all(|k| k.get("key").is_none())
    );

    // The database holds the SHA-256 of the key, never the key.
    let rows = api_key::Entity::find().all(&app.state.db).await.unwrap();
    for row in rows {
        assert_ne!(row.key_hash, key);
        assert_eq!(row.key_hash.len(), 64);
    }
    assert!(rows_contain_hash(&app, &portico::auth::secrets::hash_token(key)).await);
}

async fn rows_contain_hash(app: &TestApp, hash: &str) -> bool {
    api_key::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap()
        .iter()
        .any(|r| r.key_hash == hash)
}

#[tokio::test]
async fn revoked_key_stops_working_at_once() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.create_practice("smith", "Smith", "555-0100").await;
    let key = app.create_key(&admin, "reception").await;
    let list: Value = app
        .get("/api/v1/practice/api-keys", &admin)
        .await
        .json()
        .await
        .unwrap();
    let id = list
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["role"] == "reception")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .delete(&format!("/api/v1/practice/api-keys/{id}"), &admin)
        .await;
    assert_eq!(r.status(), 200);
    assert!(r.json::<Value>().await.unwrap()["revoked_at"].is_string());
    assert_problem(
        app.get("/api/v1/practice/patients", &key).await,
        401,
        "unauthorized",
    )
    .await;
}

#[tokio::test]
async fn last_admin_key_cannot_be_revoked() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.create_practice("smith", "Smith", "555-0100").await;
    let list: Value = app
        .get("/api/v1/practice/api-keys", &admin)
        .await
        .json()
        .await
        .unwrap();
    let id = list[0]["id"].as_str().unwrap().to_owned();
    assert_problem(
        app.delete(&format!("/api/v1/practice/api-keys/{id}"), &admin)
            .await,
        409,
        "conflict",
    )
    .await;
    let second = app.create_key(&admin, "admin").await;
    assert_eq!(
        app.delete(&format!("/api/v1/practice/api-keys/{id}"), &second)
            .await
            .status(),
        200
    );
    assert_problem(
        app.get("/api/v1/practice/settings", &admin).await,
        401,
        "unauthorized",
    )
    .await;
}

#[tokio::test]
async fn bad_keys_are_unauthorized_with_problem_details() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.create_practice("smith", "Smith", "555-0100").await;
    let mut tampered = admin.clone();
    tampered.pop();
    tampered.push(if admin.ends_with('A') { 'B' } else { 'A' });
    for bad in [tampered.as_str(), "ptc_short", "not-a-key", ""] {
        let r = app
            .call(
                reqwest::Method::GET,
                "/api/v1/practice/settings",
                Some(bad),
                None,
            )
            .await;
        assert_eq!(
            r.headers()
                .get("www-authenticate")
                .map(|v| v.to_str().unwrap()),
            Some("Bearer")
        );
        assert_problem(r, 401, "unauthorized").await;
    }
    assert_problem(
        app.call(
            reqwest::Method::GET,
            "/api/v1/practice/settings",
            None,
            None,
        )
        .await,
        401,
        "unauthorized",
    )
    .await;
    let other_practice_key_id = uuid::Uuid::now_v7();
    assert_problem(
        app.delete(
            &format!("/api/v1/practice/api-keys/{other_practice_key_id}"),
            &admin,
        )
        .await,
        404,
        "not_found",
    )
    .await;
}

#[tokio::test]
async fn a_key_cannot_revoke_another_practices_key() {
    let app = TestApp::spawn().await;
    let (_, a) = app.create_practice("alpha", "Alpha", "555-0100").await;
    let (_, b) = app.create_practice("beta", "Beta", "555-0200").await;
    app.create_key(&b, "admin").await;
    let b_keys: Value = app
        .get("/api/v1/practice/api-keys", &b)
        .await
        .json()
        .await
        .unwrap();
    let b_id = b_keys[0]["id"].as_str().unwrap();
    assert_problem(
        app.delete(&format!("/api/v1/practice/api-keys/{b_id}"), &a)
            .await,
        404,
        "not_found",
    )
    .await;
    assert_eq!(app.get("/api/v1/practice/settings", &b).await.status(), 200);
}

#[tokio::test]
async fn two_concurrent_revocations_of_one_key_record_one_revocation() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.create_practice("smith", "Smith", "555-0100").await;
    app.create_key(&admin, "reception").await;
    let list: Value = app
        .get("/api/v1/practice/api-keys", &admin)
        .await
        .json()
        .await
        .unwrap();
    let id = list
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["role"] == "reception")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/v1/practice/api-keys/{id}");
    let (a, b) = tokio::join!(app.delete(&path, &admin), app.delete(&path, &admin));
    assert_eq!((a.status().as_u16(), b.status().as_u16()), (200, 200));
    let a: Value = a.json().await.unwrap();
    let b: Value = b.json().await.unwrap();
    // Both answers show the one revocation that happened.
    assert_eq!(a["revoked_at"], b["revoked_at"]);
    let revoked = app
        .audit_kinds()
        .await
        .into_iter()
        .filter(|k| k == "api_key.revoked")
        .count();
    assert_eq!(revoked, 1);
}
