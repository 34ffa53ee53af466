//! What the OpenID Connect provider refuses: unregistered redirect URIs, reused codes, PKCE
//! mismatches and downgrades, bad client credentials, blocked patients, other practices'
//! tokens, and grants and response types it does not offer.

use crate::helpers::TestApp;
use crate::helpers_oidc::{
    ISSUER, REDIRECT_URI, assert_oauth_error, authorize_path, location, pkce, query_param,
};
use serde_json::{Value, json};

#[tokio::test]
async fn unregistered_redirect_uris_and_unknown_clients_get_a_page_and_no_redirect() {
    let app = TestApp::spawn_oidc().await;
    let world = app.oidc_world(json!({})).await;
    let (_, challenge) = pkce();
    for bad in [
        "https://portal.smith.example/callback/",
        "https://portal.smith.example/callback?x=1",
        "https://PORTAL.smith.example/callback",
        "https://portal.smith.example.evil/callback",
    ] {
        let path = authorize_path(&world.client_id, &challenge, &[("redirect_uri", bad)]);
        let r = app.browse(&path, None).await;
        assert_eq!(r.status(), 400, "{bad}");
        assert!(r.headers().get("location").is_none(), "{bad}");
        assert!(r.text().await.unwrap().contains("not registered"), "{bad}");
    }
    let r = app
        .browse(&authorize_path("ptcc_unknown", &challenge, &[]), None)
        .await;
    assert_eq!(r.status(), 400);
    assert!(r.headers().get("location").is_none());
}

#[tokio::test]
async fn pkce_is_required_with_s256_and_errors_go_back_to_the_client() {
    let app = TestApp::spawn_oidc().await;
    let world = app.oidc_world(json!({})).await;
    let (verifier, challenge) = pkce();
    for (extra, error) in [
        (vec![("code_challenge_method", "plain")], "invalid_request"),
        (vec![("code_challenge", "")], "invalid_request"),
        (vec![("code_challenge_method", "")], "invalid_request"),
        (
            vec![
                ("code_challenge", verifier.as_str()),
                ("code_challenge_method", "plain"),
            ],
            "invalid_request",
        ),
        (
            vec![("response_type", "token")],
            "unsupported_response_type",
        ),
        (vec![("scope", "openid admin")], "invalid_scope"),
        (vec![("prompt", "none")], "login_required"),
    ] {
        let back = location(
            &app.browse(&authorize_path(&world.client_id, &challenge, &extra), None)
                .await,
        );
        assert!(back.starts_with(REDIRECT_URI), "{back}");
        assert_eq!(
            query_param(&back, "error").as_deref(),
            Some(error),
            "{extra:?}"
        );
        assert_eq!(query_param(&back, "state").as_deref(), Some("st-123"));
        assert_eq!(query_param(&back, "iss").as_deref(), Some(ISSUER));
        assert!(query_param(&back, "code").is_none());
    }
}

#[tokio::test]
async fn a_code_works_once_and_its_reuse_revokes_what_it_issued() {
    let app = TestApp::spawn_oidc().await;
    let world = app.oidc_world(json!({})).await;
    let cookie = app
        .web_session_cookie(world.ann.account_id, world.practice_id)
        .await;
    let (code, verifier) = app.code_for(&world.client_id, &cookie).await;
    let r = app.exchange(&world, &code, &verifier).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let tokens: Value = r.json().await.unwrap();
    let access = tokens["access_token"].as_str().unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let secret = world.client_secret.as_deref().unwrap();
    assert_eq!(
        app.introspect_as(&world.client_id, secret, access).await["active"],
        true
    );

    app.clock.advance(chrono::TimeDelta::seconds(30));
    assert_oauth_error(
        app.exchange(&world, &code, &verifier).await,
        400,
        "invalid_grant",
    )
    .await;
    assert_eq!(
        app.introspect_as(&world.client_id, secret, access).await["active"],
        false,
        "the first exchange's access token ends"
    );
    let r = app
        .oauth_post(
            "token",
            Some((&world.client_id, secret)),
            &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
        )
        .await;
    assert_oauth_error(r, 400, "invalid_grant").await;
    let userinfo = app
        .client
        .get(app.url("/oauth2/userinfo"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(userinfo.status(), 401);
    assert!(
        userinfo.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("invalid_token")
    );
}

/// RFC 6749 §4.1.2: a code used twice revokes what it issued. Under concurrency too (issue
/// 17, item 10): on PostgreSQL a losing exchange waits for the winner's row lock and must read
/// the session the winner started after its guarded update, not before, or the winner's
/// tokens would survive the replay. Several codes, each exchanged by four requests at once:
/// at most one wins, and every token any of them got ends up revoked.
#[tokio::test]
async fn a_code_exchanged_concurrently_revokes_every_token_it_issued() {
    let app = TestApp::spawn_oidc().await;
    let world = app.oidc_world(json!({})).await;
    let secret = world.client_secret.clone().unwrap();
    let cookie = app
        .web_session_cookie(world.ann.account_id, world.practice_id)
        .await;
    for round in 0..8 {
        let (code, verifier) = app.code_for(&world.client_id, &cookie).await;
        let answers =
            futures_util::future::join_all((0..4).map(|_| app.exchange(&world, &code, &verifier)))
                .await;
        let mut issued = Vec::new();
        for r in answers {
            match r.status().as_u16() {
                200 => issued.push(r.json::<Value>().await.unwrap()),
                _ => assert_oauth_error(r, 400, "invalid_grant").await,
            }
        }
        assert!(issued.len() <= 1, "round {round}: {} winners", issued.len());
        for tokens in &issued {
            let access = tokens["access_token"].as_str().unwrap();
            assert_eq!(
                app.introspect_as(&world.client_id, &secret, access).await["active"],
                false,
                "round {round}: the winner's access token outlived the replay"
            );
            let r = app
                .oauth_post(
                    "token",
                    Some((&world.client_id, &secret)),
                    &[
                        ("grant_type", "refresh_token"),
                        ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
                    ],
                )
                .await;
            assert_oauth_error(r, 400, "invalid_grant").await;
        }
    }
}

#[tokio::test]
async fn a_wrong_verifier_or_redirect_uri_fails_and_spends_the_code() {
    let app = TestApp::spawn_oidc().await;
    let world = app.oidc_world(json!({})).await;
    let cookie = app
        .web_session_cookie(world.ann.account_id, world.practice_id)
        .await;
    let (code, verifier) = app.code_for(&world.client_id, &cookie).await;
    let (other_verifier, _) = pkce();
    assert_oauth_error(
        app.exchange(&world, &code, &other_verifier).await,
        400,
        "invalid_grant",
    )
    .await;
    // Spent by the failed attempt: the right verifier no longer helps.
    assert_oauth_error(
        app.exchange(&world, &code, &verifier).await,
        400,
        "invalid_grant",
    )
    .await;

    let (code, verifier) = app.code_for(&world.client_id, &cookie).await;
    let secret = world.client_secret.as_deref().unwrap();
    let r = app
        .oauth_post(
            "token",
            Some((&world.client_id, secret)),
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", "https://portal.smith.example/other"),
                ("code_verifier", &verifier),
            ],
        )
        .await;
    assert_oauth_error(r, 400, "invalid_grant").await;
}

#[tokio::test]
async fn missing_or_wrong_client_secrets_are_invalid_client() {
    let app = TestApp::spawn_oidc().await;
    let world = app.oidc_world(json!({})).await;
    let cookie = app
        .web_session_cookie(world.ann.account_id, world.practice_id)
        .await;
    let (code, verifier) = app.code_for(&world.client_id, &cookie).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT_URI),
        ("code_verifier", verifier.as_str()),
    ];
    let r = app
        .oauth_post("token", Some((&world.client_id, "ptcs_wrong")), &form)
        .await;
    assert!(
        r.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Basic")
    );
    assert_oauth_error(r, 401, "invalid_client").await;
    let mut without = form.to_vec();
    without.push(("client_id", &world.client_id));
    assert_oauth_error(
        app.oauth_post("token", None, &without).await,
        401,
        "invalid_client",
    )
    .await;

    // client_secret_post works; the code was not spent by the refused attempts.
    let secret = world.client_secret.clone().unwrap();
    without.push(("client_secret", &secret));
    assert_eq!(app.oauth_post("token", None, &without).await.status(), 200);
}

#[tokio::test]
async fn password_and_unknown_grants_are_unsupported() {
    let app = TestApp::spawn_oidc().await;
    let world = app.oidc_world(json!({})).await;
    let secret = world.client_secret.as_deref().unwrap();
    for grant in [
        "password",
        "implicit",
        "urn:ietf:params:oauth:grant-type:device_code",
    ] {
        let r = app
            .oauth_post(
                "token",
                Some((&world.client_id, secret)),
                &[
                    ("grant_type", grant),
                    ("username", "ann"),
                    ("password", "x"),
                ],
            )
            .await;
        assert_oauth_error(r, 400, "unsupported_grant_type").await;
    }
    // client_credentials exists, for backend services only (tests/api/oidc_backend.rs).
    let r = app
        .oauth_post(
            "token",
            Some((&world.client_id, secret)),
            &[("grant_type", "client_credentials")],
        )
        .await;
    assert_oauth_error(r, 400, "unauthorized_client").await;
}

#[tokio::test]
async fn a_blocked_patient_sees_the_practice_message_and_gets_no_code() {
    let app = TestApp::spawn_oidc().await;
    let world = app.oidc_world(json!({})).await;
    let cookie = app
        .web_session_cookie(world.ann.account_id, world.practice_id)
        .await;
    // The block ends the web session too; a session started afterwards (say on another
    // tab's login) still gets no code.
    assert_eq!(
        app.block_access(&world.admin, world.ann.access_id, Some("Unpaid bills"))
            .await
            .status(),
        200
    );
    let (_, challenge) = pkce();
    let path = authorize_path(&world.client_id, &challenge, &[]);
    let r = app.browse(&path, Some(&cookie)).await;
    assert!(
        location(&r).starts_with("/login?"),
        "the old session has ended"
    );

    let cookie = app
        .web_session_cookie(world.ann.account_id, world.practice_id)
        .await;
    let r = app.browse(&path, Some(&cookie)).await;
    assert_eq!(r.status(), 403);
    assert!(r.headers().get("location").is_none());
    let html = r.text().await.unwrap();
    assert!(
        html.contains("blocked") && html.contains("555-0100"),
        "{html}"
    );
}

#[tokio::test]
async fn a_token_from_practice_a_is_inactive_for_practice_b() {
    let app = TestApp::spawn_oidc().await;
    let world = app.oidc_world(json!({})).await;
    let (_, jones_admin) = app
        .create_practice("jones", "Jones Clinic", "555-0200")
        .await;
    let jones = app.register_client(&jones_admin, json!({})).await;
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
    let access = tokens["access_token"].as_str().unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let (jones_id, jones_secret) = (
        jones["client_id"].as_str().unwrap(),
        jones["client_secret"].as_str().unwrap(),
    );
    assert_eq!(
        app.introspect_as(jones_id, jones_secret, access).await,
        json!({"active": false})
    );
    assert_eq!(
        app.introspect_as(jones_id, jones_secret, refresh).await,
        json!({"active": false})
    );
    // Nor can practice B's client refresh it, and trying spends nothing.
    let r = app
        .oauth_post(
            "token",
            Some((jones_id, jones_secret)),
            &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
        )
        .await;
    assert_oauth_error(r, 400, "invalid_grant").await;
    let secret = world.client_secret.as_deref().unwrap();
    assert_eq!(
        app.introspect_as(&world.client_id, secret, refresh).await["active"],
        true
    );
    // And Ann's code for practice A cannot be exchanged by B's client.
    let (code, verifier) = app.code_for(&world.client_id, &cookie).await;
    let r = app
        .oauth_post(
            "token",
            Some((jones_id, jones_secret)),
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT_URI),
                ("code_verifier", &verifier),
            ],
        )
        .await;
    assert_oauth_error(r, 400, "invalid_grant").await;
}

#[tokio::test]
async fn a_blocked_patients_tokens_are_inactive_at_once() {
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
    let secret = world.client_secret.as_deref().unwrap();
    app.block_access(&world.admin, world.ann.access_id, None)
        .await;
    for t in ["access_token", "refresh_token"] {
        assert_eq!(
            app.introspect_as(&world.client_id, secret, tokens[t].as_str().unwrap())
                .await,
            json!({"active": false}),
            "{t}"
        );
    }
}

#[tokio::test]
async fn an_oidc_clients_access_token_does_not_open_the_patient_api() {
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
    let access = tokens["access_token"].as_str().unwrap();
    // Userinfo takes it; the first-party patient API (scope `portal`) does not.
    let info = app
        .client
        .get(app.url("/oauth2/userinfo"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(info.status(), 200);
    assert_eq!(app.me(access).await.status(), 401);
}
