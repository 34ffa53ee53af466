//! `private_key_jwt` (RFC 7523, OpenID Connect Core §9) at the token, introspection and
//! revocation endpoints, with assertions signed by keys the test makes.

use crate::helpers::TestApp;
use crate::helpers_assertions::{ALGS, JWT_BEARER, TestKey, jwks};
use crate::helpers_oidc::{ISSUER, REDIRECT_URI, assert_oauth_error};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

/// Smith Family Clinic with a backend service registered with `keys`; admin key, client id.
async fn backend_world(app: &TestApp, keys: &[&TestKey]) -> (String, String) {
    let (_, admin) = app
        .create_practice("smith-family-clinic", "Smith Family Clinic", "555-0100")
        .await;
    let client_id = app.register_backend(&admin, keys, &["system/*.rs"]).await;
    (admin, client_id)
}

/// A client_credentials request authenticated by `assertion`.
async fn token_with(app: &TestApp, assertion: &str) -> reqwest::Response {
    app.post_with_assertion(
        "token",
        assertion,
        &[
            ("grant_type", "client_credentials"),
            ("scope", "system/Observation.rs"),
        ],
    )
    .await
}

#[tokio::test]
async fn assertions_signed_with_each_algorithm_are_accepted() {
    let app = TestApp::spawn_oidc().await;
    let keys: Vec<TestKey> = ALGS
        .iter()
        .map(|a| TestKey::generate(*a, &format!("key-{a:?}")))
        .collect();
    let refs: Vec<&TestKey> = keys.iter().collect();
    let (_, client_id) = backend_world(&app, &refs).await;
    for key in &keys {
        let r = token_with(&app, &key.sign(&app.assertion_claims(&client_id))).await;
        assert_eq!(
            r.status(),
            200,
            "{:?}: {}",
            key.alg,
            r.text().await.unwrap()
        );
    }
    // The issuer itself is an accepted audience too (RFC 7523 §3).
    let mut claims = app.assertion_claims(&client_id);
    claims["aud"] = json!(ISSUER);
    assert_eq!(token_with(&app, &keys[0].sign(&claims)).await.status(), 200);
}

/// What the refusal of each case in the next test says (a part of its description).
fn why(case: &str) -> &'static str {
    match case {
        "wrong aud" => "aud must be the token endpoint URL or the issuer",
        "expired" => "has expired",
        "exp too far ahead" => "at most 5 minutes ahead",
        "no exp" => "needs iss, sub, aud, exp and jti",
        "no jti" => "needs a jti",
        "sub not the client" => "iss and sub must both be the client id",
        "iss another client" | "unknown kid" => "has no key with kid",
        "iss unknown" => "Client authentication failed",
        "issued in the future" => "not valid yet",
        "bad signature" => "signature does not verify",
        "alg mismatch" => "is not registered for ES384",
        "HS256" => "alg must be RS256, RS384, ES256, ES384 or EdDSA",
        "no kid" => "must name the key (kid)",
        "not a JWT" => "is not a JWT",
        _ => unreachable!("{case}"),
    }
}

#[tokio::test]
async fn bad_assertions_are_refused_as_invalid_client() {
    let app = TestApp::spawn_oidc().await;
    let es = TestKey::generate(Algorithm::ES256, "es");
    let (admin, client_id) = backend_world(&app, &[&es]).await;
    let other = app
        .register_backend(
            &admin,
            &[&TestKey::generate(Algorithm::EdDSA, "ed")],
            &["system/*.rs"],
        )
        .await;
    let now = app.clock_now().timestamp();
    let with = |name: &str, value: Value| {
        let mut c = app.assertion_claims(&client_id);
        c[name] = value;
        c
    };
    let mut cases: Vec<(&str, String)> = vec![
        (
            "wrong aud",
            es.sign(&with("aud", json!("https://evil.example/token"))),
        ),
        ("expired", es.sign(&with("exp", json!(now - 120)))),
        ("exp too far ahead", es.sign(&with("exp", json!(now + 600)))),
        ("no exp", {
            let mut c = app.assertion_claims(&client_id);
            c.as_object_mut().unwrap().remove("exp");
            es.sign(&c)
        }),
        ("no jti", {
            let mut c = app.assertion_claims(&client_id);
            c.as_object_mut().unwrap().remove("jti");
            es.sign(&c)
        }),
        ("sub not the client", es.sign(&with("sub", json!(other)))),
        ("iss another client", {
            let mut c = with("iss", json!(other));
            c["sub"] = json!(other);
            es.sign(&c)
        }),
        ("iss unknown", {
            let mut c = with("iss", json!("ptcc_nobody"));
            c["sub"] = json!("ptcc_nobody");
            es.sign(&c)
        }),
        (
            "issued in the future",
            es.sign(&with("iat", json!(now + 120))),
        ),
    ];
    let claims = app.assertion_claims(&client_id);
    let header = |alg: Algorithm, kid: &str| {
        let mut h = Header::new(alg);
        h.kid = Some(kid.to_owned());
        h
    };
    // Unknown kid; a signature by another key under the registered kid; the registered key's
    // curve pinned to ES256, asserted as ES384 (by a P-384 key under the same kid); HS256
    // with the kid; no kid at all.
    cases.push((
        "unknown kid",
        es.sign_with(header(Algorithm::ES256, "nope"), &claims),
    ));
    let impostor = TestKey::generate(Algorithm::ES256, "es");
    cases.push(("bad signature", impostor.sign(&claims)));
    let p384 = TestKey::generate(Algorithm::ES384, "es");
    cases.push(("alg mismatch", p384.sign(&claims)));
    let hs = jsonwebtoken::encode(
        &header(Algorithm::HS256, "es"),
        &claims,
        &EncodingKey::from_secret(b"a shared secret"),
    )
    .unwrap();
    cases.push(("HS256", hs));
    cases.push((
        "no kid",
        es.sign_with(Header::new(Algorithm::ES256), &claims),
    ));
    cases.push(("not a JWT", "not.a.jwt".to_owned()));
    for (case, assertion) in cases {
        let r = token_with(&app, &assertion).await;
        assert_eq!(r.status(), 401, "{case}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"], "invalid_client", "{case}: {body}");
        let said = body["error_description"].as_str().unwrap();
        assert!(said.contains(why(case)), "{case}: {said}");
    }
    // None of those spent the good assertion's jti; it works once.
    assert_eq!(token_with(&app, &es.sign(&claims)).await.status(), 200);
}

#[tokio::test]
async fn an_alg_none_assertion_is_refused() {
    let app = TestApp::spawn_oidc().await;
    let key = TestKey::generate(Algorithm::EdDSA, "ed");
    let (_, client_id) = backend_world(&app, &[&key]).await;
    let b64 = |v: &Value| {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    };
    let unsigned = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "kid": "ed"})),
        b64(&app.assertion_claims(&client_id))
    );
    assert_oauth_error(token_with(&app, &unsigned).await, 401, "invalid_client").await;
}

#[tokio::test]
async fn a_replayed_assertion_is_refused() {
    let app = TestApp::spawn_oidc().await;
    let key = TestKey::generate(Algorithm::RS384, "rs");
    let (_, client_id) = backend_world(&app, &[&key]).await;
    let assertion = key.sign(&app.assertion_claims(&client_id));
    assert_eq!(token_with(&app, &assertion).await.status(), 200);
    assert_oauth_error(token_with(&app, &assertion).await, 401, "invalid_client").await;
}

#[tokio::test]
async fn the_same_assertion_sent_twice_at_once_succeeds_exactly_once() {
    let app = TestApp::spawn_oidc().await;
    let key = TestKey::generate(Algorithm::ES384, "es");
    let (_, client_id) = backend_world(&app, &[&key]).await;
    for _ in 0..3 {
        let assertion = key.sign(&app.assertion_claims(&client_id));
        let (a, b) = tokio::join!(token_with(&app, &assertion), token_with(&app, &assertion));
        let mut statuses = [a.status().as_u16(), b.status().as_u16()];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 401]);
    }
}

#[tokio::test]
async fn the_assertion_type_must_be_jwt_bearer_and_alone() {
    let app = TestApp::spawn_oidc().await;
    let key = TestKey::generate(Algorithm::EdDSA, "ed");
    let (_, client_id) = backend_world(&app, &[&key]).await;
    let assertion = key.sign(&app.assertion_claims(&client_id));
    let form = |kind: &'static str| {
        vec![
            ("grant_type", "client_credentials"),
            ("scope", "system/Observation.rs"),
            ("client_assertion_type", kind),
        ]
    };
    let mut wrong = form("urn:ietf:params:oauth:client-assertion-type:saml2-bearer");
    wrong.push(("client_assertion", &assertion));
    assert_oauth_error(
        app.oauth_post("token", None, &wrong).await,
        401,
        "invalid_client",
    )
    .await;
    // With a secret besides: two methods.
    let mut two = form(JWT_BEARER);
    two.push(("client_assertion", &assertion));
    two.push(("client_secret", "ptcs_x"));
    assert_oauth_error(
        app.oauth_post("token", None, &two).await,
        400,
        "invalid_request",
    )
    .await;
    // A client_id that is not the assertion's issuer.
    let mut other = form(JWT_BEARER);
    other.push(("client_assertion", &assertion));
    other.push(("client_id", "ptcc_someone_else"));
    assert_oauth_error(
        app.oauth_post("token", None, &other).await,
        401,
        "invalid_client",
    )
    .await;
}

#[tokio::test]
async fn a_client_registered_for_one_method_cannot_use_the_other() {
    let app = TestApp::spawn_oidc().await;
    let world = app.oidc_world(json!({})).await;
    // A secret client signing an assertion (with a key it never registered).
    let key = TestKey::generate(Algorithm::EdDSA, "ed");
    let assertion = key.sign(&app.assertion_claims(&world.client_id));
    assert_oauth_error(token_with(&app, &assertion).await, 401, "invalid_client").await;
    // A private_key_jwt client has no secret to send.
    let created = app
        .register_client(
            &world.admin,
            json!({"token_endpoint_auth_method": "private_key_jwt", "jwks": jwks(&[&key])}),
        )
        .await;
    assert!(created.get("client_secret").is_none(), "{created}");
    assert_eq!(created["jwks"], jwks(&[&key]));
    let backend = created["client_id"].as_str().unwrap();
    let r = app
        .oauth_post(
            "token",
            Some((backend, "ptcs_guess")),
            &[("grant_type", "refresh_token"), ("refresh_token", "x")],
        )
        .await;
    assert_oauth_error(r, 401, "invalid_client").await;
}

#[tokio::test]
async fn an_app_with_private_key_jwt_exchanges_refreshes_introspects_and_revokes() {
    let app = TestApp::spawn_oidc().await;
    let key = TestKey::generate(Algorithm::ES256, "app-2026");
    let world = app
        .oidc_world(json!({"token_endpoint_auth_method": "private_key_jwt", "jwks": jwks(&[&key])}))
        .await;
    assert!(world.client_secret.is_none());
    let cookie = app
        .web_session_cookie(world.ann.account_id, world.practice_id)
        .await;
    let (code, verifier) = app.code_for(&world.client_id, &cookie).await;
    // Every assertion names the token endpoint as its aud, at the introspection and
    // revocation endpoints too (RFC 7523 §3, OpenID Connect Core §9).
    let sign = || key.sign(&app.assertion_claims(&world.client_id));
    let r = app
        .post_with_assertion(
            "token",
            &sign(),
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT_URI),
                ("code_verifier", &verifier),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);
    let tokens: Value = r.json().await.unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    let r = app
        .post_with_assertion(
            "token",
            &sign(),
            &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
        )
        .await;
    assert_eq!(r.status(), 200);
    let refreshed: Value = r.json().await.unwrap();
    let access = refreshed["access_token"].as_str().unwrap();
    let refresh = refreshed["refresh_token"].as_str().unwrap();

    let r = app
        .post_with_assertion("introspect", &sign(), &[("token", access)])
        .await;
    assert_eq!(r.status(), 200);
    let seen: Value = r.json().await.unwrap();
    assert_eq!(seen["active"], true, "{seen}");
    assert_eq!(seen["client_id"], world.client_id.as_str());

    let r = app
        .post_with_assertion("revoke", &sign(), &[("token", refresh)])
        .await;
    assert_eq!(r.status(), 200);
    let r = app
        .post_with_assertion("introspect", &sign(), &[("token", access)])
        .await;
    assert_eq!(r.json::<Value>().await.unwrap()["active"], false);
    // Introspection refuses a replayed assertion like the token endpoint does.
    let once = sign();
    let r = app
        .post_with_assertion("introspect", &once, &[("token", access)])
        .await;
    assert_eq!(r.status(), 200);
    let r = app
        .post_with_assertion("revoke", &once, &[("token", access)])
        .await;
    assert_oauth_error(r, 401, "invalid_client").await;
}

#[tokio::test]
async fn spent_jtis_are_purged_once_their_assertion_has_expired() {
    use portico::store::{client_assertions, oauth_clients};
    let app = TestApp::spawn_oidc().await;
    let key = TestKey::generate(Algorithm::EdDSA, "ed");
    let (_, client_id) = backend_world(&app, &[&key]).await;
    let client = oauth_clients::find_by_client_id(&app.state.db, &client_id)
        .await
        .unwrap()
        .unwrap();
    let old = app.assertion_claims(&client_id);
    assert_eq!(token_with(&app, &key.sign(&old)).await.status(), 200);
    let jti = old["jti"].as_str().unwrap();
    let far = app.clock_now() + chrono::TimeDelta::hours(1);
    // Still recorded: spending it again is refused.
    assert!(
        !client_assertions::spend(&app.state.db, client.id, jti, far, app.clock_now())
            .await
            .unwrap()
    );
    // Past its exp (4 minutes) and the leeway, the next accepted assertion purges it.
    app.clock.advance(chrono::TimeDelta::minutes(5));
    let r = token_with(&app, &key.sign(&app.assertion_claims(&client_id))).await;
    assert_eq!(r.status(), 200);
    assert!(
        client_assertions::spend(&app.state.db, client.id, jti, far, app.clock_now())
            .await
            .unwrap()
    );
}
