//! SMART App Launch 2.x: the configuration document, and launches with SMART scopes.

use crate::helpers::TestApp;
use crate::helpers_oidc::{ISSUER, authorize_path, location, pkce, query_param};
use serde_json::{Value, json};

/// The SMART document and the OpenID Connect one, as the server answers them.
async fn both_documents(app: &TestApp) -> (Value, Value) {
    let smart = app.browse("/.well-known/smart-configuration", None).await;
    assert_eq!(smart.status(), 200);
    assert_eq!(smart.headers()["content-type"], "application/json");
    let oidc = app.browse("/.well-known/openid-configuration", None).await;
    (smart.json().await.unwrap(), oidc.json().await.unwrap())
}

#[tokio::test]
async fn smart_configuration_lists_the_endpoints_and_only_tested_capabilities() {
    let app = TestApp::spawn_oidc().await;
    let (smart, oidc) = both_documents(&app).await;
    assert_eq!(smart["issuer"], ISSUER);
    assert_eq!(
        smart["authorization_endpoint"],
        format!("{ISSUER}/oauth2/authorize")
    );
    assert_eq!(smart["token_endpoint"], format!("{ISSUER}/oauth2/token"));
    // SMART 2: S256 is required and `plain` must not be offered.
    assert_eq!(smart["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(
        smart["capabilities"],
        json!([
            "launch-standalone",
            "client-public",
            "client-confidential-symmetric",
            "sso-openid-connect",
            "context-standalone-patient",
            "permission-offline",
            "permission-patient",
            "permission-v1",
        ])
    );
    // Both documents describe the same server.
    for key in [
        "issuer",
        "jwks_uri",
        "authorization_endpoint",
        "token_endpoint",
        "introspection_endpoint",
        "revocation_endpoint",
        "userinfo_endpoint",
        "grant_types_supported",
        "scopes_supported",
        "response_types_supported",
        "code_challenge_methods_supported",
        "token_endpoint_auth_methods_supported",
    ] {
        assert!(!smart[key].is_null(), "{key}");
        assert_eq!(smart[key], oidc[key], "{key}");
    }
    // Every endpoint it names answers (not 404).
    for key in [
        "authorization_endpoint",
        "token_endpoint",
        "jwks_uri",
        "introspection_endpoint",
        "revocation_endpoint",
        "userinfo_endpoint",
    ] {
        let r = app.browse(smart[key].as_str().unwrap(), None).await;
        assert_ne!(r.status(), 404, "{key}");
    }
}

#[tokio::test]
async fn smart_configuration_answers_only_get() {
    let app = TestApp::spawn_oidc().await;
    let r = app
        .client
        .post(app.url("/.well-known/smart-configuration"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(r.headers()["allow"], "GET, HEAD");
}

#[tokio::test]
async fn a_standalone_launch_with_a_v1_read_scope_gets_the_patient_and_that_scope() {
    let app = TestApp::spawn_oidc().await;
    let world = app
        .oidc_world(json!({"scopes": ["openid", "launch/patient", "patient/*.read"]}))
        .await;
    let cookie = app
        .web_session_cookie(world.ann.account_id, world.practice_id)
        .await;
    let (verifier, challenge) = pkce();
    let path = authorize_path(
        &world.client_id,
        &challenge,
        &[("scope", "openid launch/patient patient/*.read")],
    );
    let back = location(&app.browse(&path, Some(&cookie)).await);
    let code = query_param(&back, "code").expect(&back);
    let tokens: Value = app
        .exchange(&world, &code, &verifier)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(tokens["scope"], "openid launch/patient patient/*.read");
    assert_eq!(tokens["patient"], world.ann.patient_id.to_string());
}
