//! The rest of what discovery advertises: public clients with PKCE alone, EdDSA ID tokens,
//! SMART patient context with the chooser, prompt and max_age, RP-initiated logout, and the
//! discovery document itself.

use crate::helpers::TestApp;
use crate::helpers_login::PASSWORD;
use crate::helpers_oidc::{
    ISSUER, LOGOUT_URI, REDIRECT_URI, authorize_path, location, pkce, query_param, rp_http,
};
use openidconnect::core::{CoreAuthenticationFlow, CoreJwsSigningAlgorithm};
use openidconnect::{
    AuthorizationCode, CsrfToken, Nonce, OAuth2TokenResponse, PkceCodeChallenge, TokenResponse,
};
use serde_json::{Value, json};

#[tokio::test]
async fn discovery_advertises_only_what_works() {
    let app = TestApp::spawn_oidc().await;
    let r = app.browse("/.well-known/openid-configuration", None).await;
    assert_eq!(r.status(), 200);
    let doc: Value = r.json().await.unwrap();
    assert_eq!(doc["issuer"], ISSUER);
    assert_eq!(doc["jwks_uri"], format!("{ISSUER}/oauth2/jwks"));
    assert_eq!(doc["response_types_supported"], json!(["code"]));
    assert_eq!(doc["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(
        doc["grant_types_supported"],
        json!(["authorization_code", "refresh_token", "client_credentials"])
    );
    for endpoint in ["token", "introspection", "revocation"] {
        let methods = &doc[format!("{endpoint}_endpoint_auth_methods_supported")];
        assert!(
            methods
                .as_array()
                .unwrap()
                .contains(&json!("private_key_jwt")),
            "{endpoint}: {methods}"
        );
        assert_eq!(
            doc[format!("{endpoint}_endpoint_auth_signing_alg_values_supported")],
            json!(["RS256", "RS384", "ES256", "ES384", "EdDSA"]),
            "{endpoint}"
        );
    }
    assert_eq!(
        doc["id_token_signing_alg_values_supported"],
        json!(["RS256", "EdDSA"])
    );
    assert_eq!(doc["authorization_response_iss_parameter_supported"], true);
    // Every advertised endpoint answers (not 404).
    for key in [
        "authorization_endpoint",
        "token_endpoint",
        "userinfo_endpoint",
        "jwks_uri",
        "introspection_endpoint",
        "revocation_endpoint",
        "end_session_endpoint",
    ] {
        let r = app.browse(doc[key].as_str().unwrap(), None).await;
        assert_ne!(r.status(), 404, "{key}");
    }
    // The JWKS holds an RS256 key for ID tokens.
    let jwks: Value = app.browse("/oauth2/jwks", None).await.json().await.unwrap();
    assert!(
        jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k["alg"] == "RS256" && k["kty"] == "RSA")
    );
}

#[tokio::test]
async fn a_public_client_with_pkce_gets_eddsa_id_tokens_when_it_asks_for_them() {
    let app = TestApp::spawn_oidc().await;
    let world = app
        .oidc_world(
            json!({"public": true, "id_token_signed_response_alg": "EdDSA", "scopes": ["openid"]}),
        )
        .await;
    assert!(world.client_secret.is_none());
    let rp = app.relying_party(&world.client_id, None).await;
    let http = rp_http(&app);
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, _, nonce) = rp
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .set_pkce_challenge(challenge)
        .url();
    let cookie = app
        .web_session_cookie(world.ann.account_id, world.practice_id)
        .await;
    let back = location(&app.browse(url.as_str(), Some(&cookie)).await);
    let tokens = rp
        .exchange_code(AuthorizationCode::new(query_param(&back, "code").unwrap()))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("a public client exchanges with PKCE alone");
    assert!(tokens.refresh_token().is_none(), "no offline_access");
    let now = app.clock_now();
    let verifier = rp
        .id_token_verifier()
        .set_allowed_algs(vec![CoreJwsSigningAlgorithm::EdDsa])
        .set_time_fn(move || now);
    let id_token = tokens.id_token().unwrap();
    id_token
        .claims(&verifier, &nonce)
        .expect("the EdDSA ID token verifies");
    assert_eq!(
        id_token.signing_alg().unwrap(),
        &CoreJwsSigningAlgorithm::EdDsa
    );
}

/// A patient under 12 (the test clock starts on 2026-11-23).
fn child(first: &str, email: &str) -> Value {
    json!({"first_name": first, "last_name": "Smith", "date_of_birth": "2018-04-01", "email": email})
}

#[tokio::test]
async fn a_representative_of_two_chooses_the_patient_and_the_token_names_it() {
    let app = TestApp::spawn_oidc().await;
    let world = app
        .oidc_world(json!({"scopes": ["openid", "launch/patient", "patient/*.rs"]}))
        .await;
    let kid1 = app
        .seed_portal_account(
            &world.admin,
            // Children under 12: a parent's access is full (issue 11 age bands).
            child("Tom", "tom@example.com"),
            "dad",
            PASSWORD,
            "parent",
        )
        .await;
    let kid2 = app
        .seed_portal_account(
            &world.admin,
            child("Lily", "lily@example.com"),
            "dad",
            PASSWORD,
            "parent",
        )
        .await;
    let cookie = app
        .web_session_cookie(kid1.account_id, world.practice_id)
        .await;
    let (verifier, challenge) = pkce();
    let path = authorize_path(
        &world.client_id,
        &challenge,
        &[("scope", "openid launch/patient patient/*.rs")],
    );
    let chooser = app.browse(&path, Some(&cookie)).await;
    assert_eq!(chooser.status(), 200);
    let html = chooser.text().await.unwrap();
    assert!(html.contains("Tom") && html.contains("Lily"), "{html}");
    // Links, not a form: a form's redirect to the app would break the pages' form-action.
    assert!(!html.contains("<form"), "{html}");
    let html = html.replace("&amp;", "&").replace("&#x2f;", "/");
    assert!(
        html.contains(&format!("patient={}", kid2.patient_id)),
        "{html}"
    );

    let chosen = format!("{path}&patient={}", kid2.patient_id);
    let back = location(&app.browse(&chosen, Some(&cookie)).await);
    let code = query_param(&back, "code").unwrap();
    let tokens: Value = app
        .exchange(&world, &code, &verifier)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(tokens["patient"], kid2.patient_id.to_string());
    assert_eq!(tokens["scope"], "openid launch/patient patient/*.rs");

    // A patient the account does not act for is not accepted: the chooser again.
    let wrong = format!("{path}&patient={}", world.ann.patient_id);
    assert_eq!(app.browse(&wrong, Some(&cookie)).await.status(), 200);
}

#[tokio::test]
async fn prompt_login_and_max_age_send_a_signed_in_person_back_to_the_login_page() {
    let app = TestApp::spawn_oidc().await;
    let world = app.oidc_world(json!({})).await;
    let cookie = app
        .web_session_cookie(world.ann.account_id, world.practice_id)
        .await;
    let (_, challenge) = pkce();
    let r = app
        .browse(
            &authorize_path(&world.client_id, &challenge, &[("prompt", "login")]),
            Some(&cookie),
        )
        .await;
    let to = location(&r);
    assert!(to.starts_with("/login?"), "{to}");
    assert!(!query_param(&to, "continue").unwrap().contains("prompt"));
    // That session has ended: it cannot be used without logging in.
    let again = app
        .browse(
            &authorize_path(&world.client_id, &challenge, &[]),
            Some(&cookie),
        )
        .await;
    assert!(location(&again).starts_with("/login?"));

    let cookie = app
        .web_session_cookie(world.ann.account_id, world.practice_id)
        .await;
    app.clock.advance(chrono::TimeDelta::seconds(120));
    let fresh_enough = authorize_path(&world.client_id, &challenge, &[("max_age", "600")]);
    assert!(location(&app.browse(&fresh_enough, Some(&cookie)).await).starts_with(REDIRECT_URI));
    let too_old = authorize_path(&world.client_id, &challenge, &[("max_age", "60")]);
    assert!(location(&app.browse(&too_old, Some(&cookie)).await).starts_with("/login?"));
}

#[tokio::test]
async fn rp_initiated_logout_ends_the_sessions_and_returns_with_state() {
    let app = TestApp::spawn_oidc().await;
    let world = app.oidc_world(json!({})).await;
    let cookie = app
        .web_session_cookie(world.ann.account_id, world.practice_id)
        .await;
    let (code, verifier) = app.code_for(&world.client_id, &cookie).await;
    let tokens: Value = app
        .exchange(&world, &code, &verifier)
        .await
        .json()
        .await
        .unwrap();
    let id_token = tokens["id_token"].as_str().unwrap();

    // An unregistered return address is refused, and nothing ends.
    let bad = format!(
        "/oauth2/logout?{}",
        serde_urlencoded::to_string([
            ("id_token_hint", id_token),
            ("post_logout_redirect_uri", "https://evil.example/"),
        ])
        .unwrap()
    );
    let r = app.browse(&bad, Some(&cookie)).await;
    assert_eq!(r.status(), 400);
    assert!(r.headers().get("location").is_none());

    let good = format!(
        "/oauth2/logout?{}",
        serde_urlencoded::to_string([
            ("id_token_hint", id_token),
            ("post_logout_redirect_uri", LOGOUT_URI),
            ("state", "bye-1"),
        ])
        .unwrap()
    );
    let r = app.browse(&good, Some(&cookie)).await;
    let to = location(&r);
    assert_eq!(to, format!("{LOGOUT_URI}?state=bye-1"));
    // The browser session has ended: authorize asks for a login again.
    let (_, challenge) = pkce();
    let again = app
        .browse(
            &authorize_path(&world.client_id, &challenge, &[]),
            Some(&cookie),
        )
        .await;
    assert!(location(&again).starts_with("/login?"));
    // And the grant the ID token came from has ended.
    let secret = world.client_secret.as_deref().unwrap();
    assert_eq!(
        app.introspect_as(
            &world.client_id,
            secret,
            tokens["access_token"].as_str().unwrap()
        )
        .await["active"],
        false
    );

    // Without a return address: a signed-out page.
    let page = app.browse("/oauth2/logout", None).await;
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("signed out"));
}
