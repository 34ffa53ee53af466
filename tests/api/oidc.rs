//! The OpenID Connect provider, driven by a stock relying party (the `openidconnect` crate):
//! discovery → authorize with PKCE → login → code → token → ID token verified against the
//! JWKS → userinfo → refresh → revoke → introspection inactive; and what must fail.

use crate::helpers::TestApp;
use crate::helpers_oidc::{REDIRECT_URI, location, query_param, rp_http};
use openidconnect::core::{
    CoreAuthenticationFlow, CoreJwsSigningAlgorithm, CoreRevocableToken, CoreUserInfoClaims,
};
use openidconnect::{
    AccessTokenHash, AuthorizationCode, CsrfToken, Nonce, OAuth2TokenResponse, PkceCodeChallenge,
    RequestTokenError, Scope, TokenIntrospectionResponse, TokenResponse,
};
use serde_json::json;

#[tokio::test]
async fn a_stock_relying_party_logs_a_patient_in_end_to_end() {
    let app = TestApp::spawn_oidc().await;
    let world = app.oidc_world(json!({})).await;
    let rp = app
        .relying_party(&world.client_id, world.client_secret.as_deref())
        .await;
    let http = rp_http(&app);

    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (auth_url, csrf, nonce) = rp
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("profile".into()))
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("offline_access".into()))
        .set_pkce_challenge(challenge)
        .url();

    // Not signed in: the login page for the client's practice, coming back here afterwards.
    let to_login = location(&app.browse(auth_url.as_str(), None).await);
    assert!(to_login.starts_with("/login?"), "{to_login}");
    assert_eq!(
        query_param(&to_login, "practice").as_deref(),
        Some("smith-family-clinic")
    );
    let continue_to = query_param(&to_login, "continue").unwrap();
    assert!(
        continue_to.starts_with("/oauth2/authorize?"),
        "{continue_to}"
    );

    // Ann logs in on Portico's login page, which continues to the authorize request.
    let (next, cookie) = app
        .log_in_on_page(&to_login, "ann", crate::helpers_login::PASSWORD)
        .await;
    assert_eq!(next, continue_to);
    let back = location(&app.browse(&next, Some(&cookie)).await);
    assert!(back.starts_with(REDIRECT_URI), "{back}");
    assert_eq!(
        query_param(&back, "state").as_deref(),
        Some(csrf.secret().as_str())
    );
    assert_eq!(query_param(&back, "iss"), Some(app.issuer()), "RFC 9207");
    let code = query_param(&back, "code").unwrap();

    let tokens = rp
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("code exchange");
    let id_token = tokens.id_token().expect("an ID token");
    // The server's clock is the test's, not the wall clock.
    let server_now = app.clock_now();
    let verifier = rp.id_token_verifier().set_time_fn(move || server_now);
    let claims = id_token
        .claims(&verifier, &nonce)
        .expect("the ID token verifies against the JWKS");
    assert_eq!(claims.subject().as_str(), world.ann.account_id.to_string());
    assert_eq!(
        id_token.signing_alg().unwrap(),
        &CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256
    );
    let at_hash = AccessTokenHash::from_token(
        tokens.access_token(),
        id_token.signing_alg().unwrap(),
        id_token.signing_key(&verifier).unwrap(),
    )
    .unwrap();
    assert_eq!(claims.access_token_hash(), Some(&at_hash));
    assert!(claims.auth_time().is_some());
    assert_eq!(
        claims.authorized_party().map(|a| a.as_str()),
        Some(world.client_id.as_str())
    );
    let refresh = tokens.refresh_token().expect("offline_access").clone();

    let info: CoreUserInfoClaims = rp
        .user_info(
            tokens.access_token().clone(),
            Some(claims.subject().clone()),
        )
        .unwrap()
        .request_async(&http)
        .await
        .expect("userinfo");
    assert_eq!(info.email().map(|e| e.as_str()), Some("ann@example.com"));
    assert_eq!(info.email_verified(), Some(true));
    assert_eq!(
        info.given_name()
            .and_then(|n| n.get(None))
            .map(|n| n.as_str()),
        Some("Ann")
    );

    // Refresh rotates; the spent token then fails.
    let refreshed = rp
        .exchange_refresh_token(&refresh)
        .unwrap()
        .request_async(&http)
        .await
        .expect("refresh");
    let refresh2 = refreshed.refresh_token().unwrap().clone();
    assert_ne!(refresh2.secret(), refresh.secret());
    let introspected = rp
        .introspect(refreshed.access_token())
        .set_token_type_hint("access_token")
        .request_async(&http)
        .await
        .unwrap();
    assert!(introspected.active());
    assert_eq!(
        introspected.client_id().map(|c| c.as_str()),
        Some(world.client_id.as_str())
    );

    // Revoking the refresh token ends the grant: the access token is inactive at once.
    rp.revoke_token(CoreRevocableToken::RefreshToken(refresh2.clone()))
        .unwrap()
        .request_async(&http)
        .await
        .expect("revocation");
    let after = rp
        .introspect(refreshed.access_token())
        .request_async(&http)
        .await
        .unwrap();
    assert!(!after.active());
    let err = rp
        .exchange_refresh_token(&refresh2)
        .unwrap()
        .request_async(&http)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, RequestTokenError::ServerResponse(r) if r.error().as_ref() == "invalid_grant"),
        "{err:?}"
    );
}

/// Issue 17, item 0: browsers apply the pages' `form-action 'self'` to every redirect that
/// follows a form, so a login form for an app must never answer with a redirect that leads
/// off Portico: it ends on Portico's continue page, which goes on to the authorize request by
/// a plain navigation (a refresh and a link), and only that request sends the browser to the
/// app. (The real browser runs this in `tests/browser/oidc.test.mjs`.)
#[tokio::test]
async fn a_login_form_for_an_app_ends_on_a_portico_page_that_continues_by_navigation() {
    let app = TestApp::spawn_oidc().await;
    let world = app.oidc_world(json!({})).await;
    let (_, challenge) = crate::helpers_oidc::pkce();
    let authorize = crate::helpers_oidc::authorize_path(&world.client_id, &challenge, &[]);
    let to_login = location(&app.browse(&authorize, None).await);
    assert!(to_login.starts_with("/login?"), "{to_login}");

    let sent = app
        .submit_login_page(&to_login, "ann", crate::helpers_login::PASSWORD)
        .await;
    assert_eq!(sent.status(), 303);
    let to = location(&sent);
    assert!(to.starts_with("/login/continue?"), "{to}");
    let cookie =
        crate::helpers_oidc::set_cookie(&sent, &app.cookie_name("portico_session")).unwrap();
    let next = app.continue_page_target(&to, &cookie).await;
    assert_eq!(Some(next.clone()), query_param(&to_login, "continue"));
    assert!(next.starts_with("/oauth2/authorize?"), "{next}");
    let back = location(&app.browse(&next, Some(&cookie)).await);
    assert!(back.starts_with(REDIRECT_URI), "{back}");
    assert!(query_param(&back, "code").is_some());

    // The continue page only ever goes to a path of Portico's.
    for bad in [
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
    ] {
        let path = format!(
            "/login/continue?{}",
            serde_urlencoded::to_string([("continue", bad)]).unwrap()
        );
        assert_eq!(app.continue_page_target(&path, "").await, "/account");
    }
}
