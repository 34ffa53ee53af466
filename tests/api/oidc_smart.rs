//! SMART App Launch 2.x: the configuration document, and launches with SMART scopes.

use crate::helpers::TestApp;
use crate::helpers_oidc::{ISSUER, OidcWorld, authorize_path, location, pkce, query_param};
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
            "launch-ehr",
            "launch-standalone",
            "client-public",
            "client-confidential-symmetric",
            "client-confidential-asymmetric",
            "sso-openid-connect",
            "context-standalone-patient",
            "context-ehr-patient",
            "context-ehr-encounter",
            "permission-offline",
            "permission-patient",
            "permission-v1",
            "permission-v2",
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
        "token_endpoint_auth_signing_alg_values_supported",
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

/// Ann's browser asks for `scope` (and `extra` parameters); where the server sends her back.
async fn authorize(app: &TestApp, world: &OidcWorld, extra: &[(&str, &str)]) -> (String, String) {
    let cookie = app
        .web_session_cookie(world.ann.account_id, world.practice_id)
        .await;
    let (verifier, challenge) = pkce();
    let path = authorize_path(&world.client_id, &challenge, extra);
    (location(&app.browse(&path, Some(&cookie)).await), verifier)
}

/// The token response for a launch that must succeed.
async fn launch(app: &TestApp, world: &OidcWorld, extra: &[(&str, &str)]) -> Value {
    let (back, verifier) = authorize(app, world, extra).await;
    let code = query_param(&back, "code").unwrap_or_else(|| panic!("no code: {back}"));
    let r = app.exchange(world, &code, &verifier).await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

#[tokio::test]
async fn narrower_v2_scopes_than_the_registered_ones_are_granted_exactly_as_asked() {
    let app = TestApp::spawn_oidc().await;
    let world = app
        .oidc_world(json!({"scopes": ["openid", "launch/patient", "patient/*.rs"]}))
        .await;
    let scope = "openid launch/patient patient/Observation.rs patient/Condition.r patient/*.s";
    let tokens = launch(&app, &world, &[("scope", scope)]).await;
    assert_eq!(tokens["scope"], scope);
    assert_eq!(tokens["patient"], world.ann.patient_id.to_string());
    // The access token and introspection carry the same grant.
    let access = tokens["access_token"].as_str().unwrap();
    let seen = app
        .introspect_as(
            &world.client_id,
            world.client_secret.as_deref().unwrap(),
            access,
        )
        .await;
    assert_eq!(seen["active"], true);
    assert_eq!(seen["scope"], scope);
}

#[tokio::test]
async fn a_v1_read_scope_is_granted_under_a_v2_registration_and_the_other_way_round() {
    let app = TestApp::spawn_oidc().await;
    let world = app
        .oidc_world(json!({"scopes": ["openid", "patient/*.rs", "patient/Observation.read"]}))
        .await;
    let scope = "openid patient/Condition.read patient/Observation.rs";
    let tokens = launch(&app, &world, &[("scope", scope)]).await;
    assert_eq!(tokens["scope"], scope);
}

#[tokio::test]
async fn scopes_wider_than_the_registered_ones_are_refused_with_invalid_scope() {
    let app = TestApp::spawn_oidc().await;
    let world = app
        .oidc_world(json!({"scopes": ["openid", "patient/*.rs", "patient/Observation.cruds"]}))
        .await;
    for scope in [
        "openid patient/*.cruds",
        "openid patient/Condition.u",
        "openid patient/*.write",
        "openid patient/Observation.rs?category=laboratory",
        "openid user/*.rs",
    ] {
        let (back, _) = authorize(&app, &world, &[("scope", scope)]).await;
        assert_eq!(
            query_param(&back, "error").as_deref(),
            Some("invalid_scope"),
            "{scope}"
        );
        assert!(query_param(&back, "code").is_none());
        assert_eq!(query_param(&back, "state").as_deref(), Some("st-123"));
    }
    // The named resource's wider permissions are granted for it alone.
    let tokens = launch(&app, &world, &[("scope", "openid patient/Observation.cud")]).await;
    assert_eq!(tokens["scope"], "openid patient/Observation.cud");
}

const FHIR: &str = "https://fhir.portal.test/r4";

#[tokio::test]
async fn aud_must_be_the_configured_fhir_base_url_for_smart_scopes() {
    let app = TestApp::spawn_with(|s| {
        s.public_url = ISSUER.to_owned();
        s.fhir_base_url = Some(FHIR.to_owned());
    })
    .await;
    let world = app
        .oidc_world(json!({"scopes": ["openid", "launch/patient", "patient/*.rs"]}))
        .await;
    let smart = "openid launch/patient patient/*.rs";
    for aud in ["", "https://evil.example/fhir", ISSUER] {
        let (back, _) = authorize(&app, &world, &[("scope", smart), ("aud", aud)]).await;
        assert_eq!(
            query_param(&back, "error").as_deref(),
            Some("invalid_request"),
            "{aud:?}"
        );
        let why = query_param(&back, "error_description").unwrap();
        assert!(why.contains("aud") && why.contains(FHIR), "{why}");
        assert!(query_param(&back, "code").is_none());
    }
    let tokens = launch(&app, &world, &[("scope", smart), ("aud", FHIR)]).await;
    assert_eq!(tokens["patient"], world.ann.patient_id.to_string());
    // A plain OpenID Connect sign-in names no FHIR server.
    let tokens = launch(&app, &world, &[("scope", "openid")]).await;
    assert!(tokens["id_token"].is_string());
}

#[tokio::test]
async fn without_a_fhir_base_url_aud_may_be_absent_or_the_issuer_and_nothing_else() {
    let app = TestApp::spawn_oidc().await;
    let world = app
        .oidc_world(json!({"scopes": ["openid", "launch/patient", "patient/*.rs"]}))
        .await;
    let smart = "openid launch/patient patient/*.rs";
    launch(&app, &world, &[("scope", smart), ("aud", ISSUER)]).await;
    launch(&app, &world, &[("scope", smart)]).await;
    let (back, _) = authorize(&app, &world, &[("scope", smart), ("aud", FHIR)]).await;
    assert_eq!(
        query_param(&back, "error").as_deref(),
        Some("invalid_request")
    );
}
