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
    assert!(rows_contain_hash(&app, &portico::crypto::secrets::hash_token(key)).await);
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

#[tokio::test]
async fn of_two_concurrent_revocations_of_the_last_two_admin_keys_one_is_refused() {
    let app = TestApp::spawn().await;
    // Several practices, each with two admin keys, all revoked at once: each practice's pair
    // races on its own "last admin key" guard.
    let mut practices = Vec::new();
    for slug in ["alpha", "beta", "gamma"] {
        let (_, first) = app.create_practice(slug, slug, "555-0100").await;
        let second = app.create_key(&first, "admin").await;
        let ids: Value = app
            .get("/api/v1/practice/api-keys", &first)
            .await
            .json()
            .await
            .unwrap();
        let ids: [String; 2] = ids
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["id"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
            .try_into()
            .unwrap();
        let paths = ids.map(|id| format!("/api/v1/practice/api-keys/{id}"));
        practices.push((first, second, paths));
    }
    let requests = practices
        .iter()
        .flat_map(|(first, second, [path0, path1])| {
            // Each key revokes the other one.
            [app.delete(path0, second), app.delete(path1, first)]
        });
    let answers = futures_util::future::join_all(requests).await;
    let mut answers = answers.into_iter();
    for (first, second, _) in &practices {
        let pair = [answers.next().unwrap(), answers.next().unwrap()];
        let statuses: Vec<u16> = pair.iter().map(|r| r.status().as_u16()).collect();
        assert_eq!(
            statuses.iter().filter(|s| **s == 200).count(),
            1,
            "exactly one revocation succeeds: {statuses:?}"
        );
        for r in pair {
            if r.status() != 200 {
                // The loser is refused as the last admin key; or, when it started after the
                // winner committed, its own key had just been revoked.
                let status = r.status().as_u16();
                let code = match status {
                    409 => "conflict",
                    401 => "unauthorized",
                    other => panic!("unexpected status {other}"),
                };
                let body = assert_problem(r, status, code).await;
                if status == 409 {
                    assert!(
                        body["detail"].as_str().unwrap().contains("last admin key"),
                        "{body}"
                    );
                }
            }
        }
        // The practice kept exactly one working admin key.
        let working = [first, second];
        let mut ok = 0;
        for key in working {
            if app.get("/api/v1/practice/settings", key).await.status() == 200 {
                ok += 1;
            }
        }
        assert_eq!(ok, 1);
    }
}
