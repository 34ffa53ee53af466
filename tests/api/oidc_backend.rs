//! SMART Backend Services: `client_credentials` with `private_key_jwt` for a practice's backend
//! service, `system/` scopes, and what the resulting token may and may not do.

use crate::helpers::{TestApp, assert_problem};
use crate::helpers_assertions::{TestKey, jwks};
use crate::helpers_oidc::{ISSUER, REDIRECT_URI, assert_oauth_error};
use base64::Engine;
use jsonwebtoken::Algorithm;
use serde_json::{Value, json};
use uuid::Uuid;

struct Backend {
    admin: String,
    practice_id: Uuid,
    client_id: String,
    key: TestKey,
}

async fn backend(app: &TestApp, scopes: &[&str]) -> Backend {
    let (practice_id, admin) = app
        .create_practice("smith-family-clinic", "Smith Family Clinic", "555-0100")
        .await;
    let key = TestKey::generate(Algorithm::RS384, "lab-sync-1");
    let client_id = app.register_backend(&admin, &[&key], scopes).await;
    Backend {
        admin,
        practice_id,
        client_id,
        key,
    }
}

impl Backend {
    async fn token(&self, app: &TestApp, scope: Option<&str>) -> reqwest::Response {
        let assertion = self.key.sign(&app.assertion_claims(&self.client_id));
        let mut form = vec![("grant_type", "client_credentials")];
        if let Some(s) = scope {
            form.push(("scope", s));
        }
        app.post_with_assertion("token", &assertion, &form).await
    }

    async fn access_token(&self, app: &TestApp, scope: &str) -> String {
        let r = self.token(app, Some(scope)).await;
        assert_eq!(r.status(), 200);
        let body: Value = r.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_owned()
    }

    async fn introspect(&self, app: &TestApp, token: &str) -> Value {
        let assertion = self.key.sign(&app.assertion_claims(&self.client_id));
        let r = app
            .post_with_assertion("introspect", &assertion, &[("token", token)])
            .await;
        assert_eq!(r.status(), 200);
        r.json().await.unwrap()
    }
}

fn payload(jwt: &str) -> Value {
    let part = jwt.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[tokio::test]
async fn client_credentials_gives_a_system_token_for_the_practice_without_refresh_or_id_token() {
    let app = TestApp::spawn_oidc().await;
    let b = backend(&app, &["system/*.rs"]).await;
    let r = b.token(&app, Some("system/Observation.rs")).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["scope"], "system/Observation.rs");
    assert_eq!(body["expires_in"], 300);
    for absent in ["refresh_token", "id_token", "patient", "encounter"] {
        assert!(body.get(absent).is_none(), "{absent}: {body}");
    }
    let claims = payload(body["access_token"].as_str().unwrap());
    assert_eq!(claims["iss"], ISSUER);
    assert_eq!(claims["sub"], b.client_id.as_str());
    assert_eq!(claims["client_id"], b.client_id.as_str());
    assert_eq!(claims["scope"], "system/Observation.rs");
    assert_eq!(
        claims["aud"],
        format!("{ISSUER}/practices/smith-family-clinic")
    );
    assert_eq!(claims["practice"]["id"], b.practice_id.to_string());
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        300
    );
    for absent in ["patient", "patients", "sid", "amr", "act", "fhirUser"] {
        assert!(claims.get(absent).is_none(), "{absent}: {claims}");
    }
}

#[tokio::test]
async fn narrower_system_scopes_are_granted_as_asked_and_v1_read_is_rs() {
    let app = TestApp::spawn_oidc().await;
    let b = backend(&app, &["system/*.rs"]).await;
    let asked = "system/Observation.read system/Patient.r system/*.s";
    let r = b.token(&app, Some(asked)).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["scope"], asked);
}

#[tokio::test]
async fn scopes_beyond_the_registration_are_refused() {
    let app = TestApp::spawn_oidc().await;
    let b = backend(&app, &["system/Observation.rs"]).await;
    for asked in [
        Some("system/Observation.cruds"),
        Some("system/Condition.r"),
        Some("system/*.rs"),
        Some("patient/Observation.rs"),
        Some("openid"),
        Some("user/*.rs"),
        None,
    ] {
        assert_oauth_error(b.token(&app, asked).await, 400, "invalid_scope").await;
    }
}

#[tokio::test]
async fn a_client_that_is_not_a_backend_service_cannot_use_client_credentials() {
    let app = TestApp::spawn_oidc().await;
    let (_, admin) = app.create_practice("smith", "Smith", "555-0100").await;
    let key = TestKey::generate(Algorithm::ES256, "app");
    let created = app
        .register_client(
            &admin,
            json!({"token_endpoint_auth_method": "private_key_jwt", "jwks": jwks(&[&key])}),
        )
        .await;
    let client_id = created["client_id"].as_str().unwrap();
    let assertion = key.sign(&app.assertion_claims(client_id));
    let r = app
        .post_with_assertion(
            "token",
            &assertion,
            &[("grant_type", "client_credentials"), ("scope", "openid")],
        )
        .await;
    assert_oauth_error(r, 400, "unauthorized_client").await;
}

#[tokio::test]
async fn introspection_shows_a_system_token_active_to_its_practice_only() {
    let app = TestApp::spawn_oidc().await;
    let b = backend(&app, &["system/*.rs"]).await;
    let token = b.access_token(&app, "system/Observation.rs").await;
    let seen = b.introspect(&app, &token).await;
    assert_eq!(seen["active"], true, "{seen}");
    assert_eq!(seen["scope"], "system/Observation.rs");
    assert_eq!(seen["client_id"], b.client_id.as_str());
    assert_eq!(seen["sub"], b.client_id.as_str());
    assert_eq!(seen["practice"]["id"], b.practice_id.to_string());
    assert!(seen.get("patient").is_none() && seen.get("username").is_none());

    // Another practice's client sees nothing.
    let (_, other_admin) = app.create_practice("jones", "Jones", "555-0199").await;
    let other_key = TestKey::generate(Algorithm::EdDSA, "other");
    let other = app
        .register_backend(&other_admin, &[&other_key], &["system/*.rs"])
        .await;
    let r = app
        .post_with_assertion(
            "introspect",
            &other_key.sign(&app.assertion_claims(&other)),
            &[("token", &token)],
        )
        .await;
    assert_eq!(r.json::<Value>().await.unwrap(), json!({"active": false}));

    // Past its lifetime it is inactive.
    app.clock.advance(chrono::TimeDelta::seconds(300 + 31));
    assert_eq!(b.introspect(&app, &token).await["active"], false);
    // Once its client is deleted, a fresh one is inactive too (to another client of the
    // practice: the deleted one can no longer authenticate).
    let fresh = b.access_token(&app, "system/Observation.rs").await;
    let auditor_key = TestKey::generate(Algorithm::ES256, "auditor");
    let auditor = app
        .register_backend(&b.admin, &[&auditor_key], &["system/AuditEvent.rs"])
        .await;
    let ask_auditor = async |t: &str| {
        let assertion = auditor_key.sign(&app.assertion_claims(&auditor));
        let r = app
            .post_with_assertion("introspect", &assertion, &[("token", t)])
            .await;
        r.json::<Value>().await.unwrap()["active"].clone()
    };
    assert_eq!(ask_auditor(&fresh).await, true);
    let r = app
        .delete(
            &format!("/api/v1/practice/clients/{}", b.client_id),
            &b.admin,
        )
        .await;
    assert_eq!(r.status(), 204);
    assert_eq!(ask_auditor(&fresh).await, false);
}

#[tokio::test]
async fn userinfo_and_the_patient_api_refuse_a_system_token() {
    let app = TestApp::spawn_oidc().await;
    let b = backend(&app, &["system/*.rs"]).await;
    let token = b.access_token(&app, "system/Patient.rs").await;
    let r = app
        .client
        .get(app.url("/oauth2/userinfo"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_oauth_error(r, 401, "invalid_token").await;
    assert_problem(app.get("/api/v1/me", &token).await, 401, "unauthorized").await;
}

#[tokio::test]
async fn a_system_token_cannot_be_revoked_and_its_client_is_told_so() {
    let app = TestApp::spawn_oidc().await;
    let b = backend(&app, &["system/*.rs"]).await;
    let token = b.access_token(&app, "system/Observation.rs").await;
    let assertion = b.key.sign(&app.assertion_claims(&b.client_id));
    let r = app
        .post_with_assertion("revoke", &assertion, &[("token", &token)])
        .await;
    assert_oauth_error(r, 400, "unsupported_token_type").await;
}

#[tokio::test]
async fn backend_registration_needs_keys_system_scopes_and_no_redirects() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.create_practice("smith", "Smith", "555-0100").await;
    let key = TestKey::generate(Algorithm::ES384, "k");
    let good = json!({
        "name": "Lab sync",
        "backend_service": true,
        "scopes": ["system/*.rs"],
        "jwks": jwks(&[&key]),
    });
    for (field, change) in [
        ("jwks", json!({"jwks": null})),
        ("scopes", json!({"scopes": ["system/*.rs", "openid"]})),
        ("scopes", json!({"scopes": null})),
        ("redirect_uris", json!({"redirect_uris": [REDIRECT_URI]})),
        (
            "token_endpoint_auth_method",
            json!({"token_endpoint_auth_method": "client_secret_basic"}),
        ),
    ] {
        let mut body = good.clone();
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let r = app.post("/api/v1/practice/clients", &admin, body).await;
        let problem = assert_problem(r, 422, "validation_failed").await;
        assert_eq!(problem["field"], field, "{change}: {problem}");
    }
    // A system scope on an ordinary client.
    let r = app
        .post(
            "/api/v1/practice/clients",
            &admin,
            json!({"name": "App", "redirect_uris": [REDIRECT_URI], "scopes": ["system/*.rs"]}),
        )
        .await;
    assert_problem(r, 422, "validation_failed").await;
    let r = app.post("/api/v1/practice/clients", &admin, good).await;
    assert_eq!(r.status(), 201);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["backend_service"], true);
    assert_eq!(body["redirect_uris"], json!([]));
    // Keys can be rotated: the new set replaces the old one.
    let next = TestKey::generate(Algorithm::EdDSA, "k2");
    let path = format!(
        "/api/v1/practice/clients/{}",
        body["client_id"].as_str().unwrap()
    );
    let r = app
        .patch(&path, &admin, json!({"jwks": jwks(&[&key, &next])}))
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<Value>().await.unwrap()["jwks"]["keys"][1]["kid"],
        "k2"
    );
}

#[tokio::test]
async fn registration_checks_the_keys_and_the_method() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.create_practice("smith", "Smith", "555-0100").await;
    let key = TestKey::generate(Algorithm::ES256, "es");
    let mut private = key.jwk.clone();
    private["d"] = json!("c2VjcmV0");
    let mut pinned_wrong = key.jwk.clone();
    pinned_wrong["alg"] = json!("RS256");
    for (field, body) in [
        (
            "jwks",
            json!({"token_endpoint_auth_method": "private_key_jwt"}),
        ),
        ("jwks", json!({"jwks": {"keys": [private]}})),
        ("jwks", json!({"jwks": {"keys": [pinned_wrong]}})),
        (
            "jwks",
            json!({"jwks": {"keys": [{"kty": "oct", "kid": "h", "k": "c2VjcmV0"}]}}),
        ),
        (
            "jwks",
            json!({"token_endpoint_auth_method": "client_secret_basic", "jwks": jwks(&[&key])}),
        ),
        (
            "token_endpoint_auth_method",
            json!({"public": true, "token_endpoint_auth_method": "private_key_jwt", "jwks": jwks(&[&key])}),
        ),
        (
            "token_endpoint_auth_method",
            json!({"token_endpoint_auth_method": "none"}),
        ),
        (
            "token_endpoint_auth_method",
            json!({"token_endpoint_auth_method": "tls_client_auth"}),
        ),
    ] {
        let mut full = json!({
            "name": "Smith app",
            "redirect_uris": [REDIRECT_URI],
            "scopes": ["openid"],
        });
        for (k, v) in body.as_object().unwrap() {
            full[k] = v.clone();
        }
        let r = app.post("/api/v1/practice/clients", &admin, full).await;
        let problem = assert_problem(r, 422, "validation_failed").await;
        assert_eq!(problem["field"], field, "{body}: {problem}");
    }
}
