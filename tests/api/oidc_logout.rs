//! RP-initiated logout (issue 17, items 5 and 6): only an ID token Portico issued to a
//! registered client is an `id_token_hint`, and without a valid hint for the person signed in
//! nothing ends until they confirm on Portico's page (its form, with the CSRF token).

use crate::helpers::TestApp;
use crate::helpers_login::{PASSWORD, patient};
use crate::helpers_oidc::{
    LOGOUT_URI, OidcWorld, REDIRECT_URI, authorize_path, location, pkce, set_cookie,
};
use crate::helpers_pages::{Html, unescape};
use serde_json::{Value, json};

/// Whether the browser with `cookie` is still signed in: authorize answers with a code.
async fn signed_in(app: &TestApp, world: &OidcWorld, cookie: &str) -> bool {
    let (_, challenge) = pkce();
    let r = app
        .browse(
            &authorize_path(&world.client_id, &challenge, &[]),
            Some(cookie),
        )
        .await;
    location(&r).starts_with(REDIRECT_URI)
}

/// A signed-in browser and the tokens (with an ID token) a code exchange gave its client.
async fn signed_in_with_tokens(app: &TestApp, world: &OidcWorld) -> (String, Value) {
    let cookie = app
        .web_session_cookie(world.ann.account_id, world.practice_id)
        .await;
    let (code, verifier) = app.code_for(&world.client_id, &cookie).await;
    let tokens: Value = app
        .exchange(world, &code, &verifier)
        .await
        .json()
        .await
        .unwrap();
    assert!(tokens["id_token"].is_string(), "{tokens}");
    (cookie, tokens)
}

async fn grant_active(app: &TestApp, world: &OidcWorld, tokens: &Value) -> bool {
    let secret = world.client_secret.as_deref().unwrap();
    let token = tokens["access_token"].as_str().unwrap();
    app.introspect_as(&world.client_id, secret, token).await["active"] == true
}

async fn html(resp: reqwest::Response) -> Html {
    Html {
        status: resp.status().as_u16(),
        headers: resp.headers().clone(),
        body: resp.text().await.unwrap(),
    }
}

fn logout_path(params: &[(&str, &str)]) -> String {
    format!(
        "/oauth2/logout?{}",
        serde_urlencoded::to_string(params).unwrap()
    )
}

#[tokio::test]
async fn only_an_id_token_issued_to_a_registered_client_is_a_logout_hint() {
    let app = TestApp::spawn_oidc().await;
    let world = app.oidc_world(json!({})).await;
    let (cookie, tokens) = signed_in_with_tokens(&app, &world).await;
    let access_token = tokens["access_token"].as_str().unwrap();
    // Portico's own API token (client `portico`, `at+jwt`) and the client's access token are
    // signed by Portico too, and name a session: neither is an ID token.
    let api_token = app.login_tokens(&world.ann, None).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let id_token = tokens["id_token"].as_str().unwrap();
    let mut tampered: Vec<&str> = id_token.split('.').collect();
    let other_payload = access_token.split('.').nth(1).unwrap();
    tampered[1] = other_payload;
    let tampered = tampered.join(".");

    for hint in [
        access_token,
        api_token.as_str(),
        tampered.as_str(),
        "not-a-jwt",
    ] {
        for with_return in [false, true] {
            let mut params = vec![("id_token_hint", hint)];
            if with_return {
                params.push(("post_logout_redirect_uri", LOGOUT_URI));
                params.push(("state", "s1"));
            }
            let r = html(app.browse(&logout_path(&params), Some(&cookie)).await).await;
            assert_eq!(r.status, 400, "{}", r.body);
            assert!(r.location().is_empty(), "never sent anywhere");
            assert!(
                r.cookie(&app.cookie_name("portico_session")).is_none(),
                "the cookie is kept"
            );
        }
    }
    assert!(
        signed_in(&app, &world, &cookie).await,
        "the web session lives on"
    );
    assert!(
        grant_active(&app, &world, &tokens).await,
        "the grant lives on"
    );

    // An ID token of a client that is no longer registered is no hint either.
    let second = app
        .register_client(&world.admin, json!({"name": "Old app"}))
        .await;
    let old_id = second["client_id"].as_str().unwrap();
    let old_world = OidcWorld {
        admin: world.admin.clone(),
        practice_id: world.practice_id,
        ann: world.ann.clone(),
        client_id: old_id.to_owned(),
        client_secret: second["client_secret"].as_str().map(str::to_owned),
    };
    let (_, old_tokens) = signed_in_with_tokens(&app, &old_world).await;
    let deleted = app
        .delete(&format!("/api/v1/practice/clients/{old_id}"), &world.admin)
        .await;
    assert_eq!(deleted.status(), 204);
    let hint = old_tokens["id_token"].as_str().unwrap();
    let r = app
        .browse(&logout_path(&[("id_token_hint", hint)]), Some(&cookie))
        .await;
    assert_eq!(r.status(), 400);
    assert!(signed_in(&app, &world, &cookie).await);

    // The real ID token is a hint: the sessions end and the browser returns.
    let r = app
        .browse(
            &logout_path(&[
                ("id_token_hint", id_token),
                ("post_logout_redirect_uri", LOGOUT_URI),
                ("state", "s2"),
            ]),
            Some(&cookie),
        )
        .await;
    assert_eq!(location(&r), format!("{LOGOUT_URI}?state=s2"));
    assert!(!signed_in(&app, &world, &cookie).await);
    assert!(!grant_active(&app, &world, &tokens).await);
}

#[tokio::test]
async fn logout_without_a_valid_hint_asks_first_and_ends_the_session_only_on_its_form() {
    let app = TestApp::spawn_oidc().await;
    let world = app.oidc_world(json!({})).await;
    let (cookie, tokens) = signed_in_with_tokens(&app, &world).await;

    // A link or image on any site: a page that asks, and nothing ends.
    for params in [
        vec![],
        vec![
            ("client_id", world.client_id.as_str()),
            ("post_logout_redirect_uri", LOGOUT_URI),
            ("state", "s1"),
        ],
    ] {
        let page = html(app.browse(&logout_path(&params), Some(&cookie)).await).await;
        assert_eq!(page.status, 200);
        assert_eq!(page.h1(), "Do you want to log out?");
        assert!(page.location().is_empty());
        assert!(page.cookie(&app.cookie_name("portico_session")).is_none());
        assert!(signed_in(&app, &world, &cookie).await);
    }

    // Bob's own ID token as the hint, sent to Ann's browser: also only the question.
    let bob = app
        .seed_portal_account(
            &world.admin,
            patient("Bob", "Smith", "bob@example.com"),
            "bob",
            PASSWORD,
            "self",
        )
        .await;
    let bob_cookie = app
        .web_session_cookie(bob.account_id, world.practice_id)
        .await;
    let (code, verifier) = app.code_for(&world.client_id, &bob_cookie).await;
    let bob_tokens: Value = app
        .exchange(&world, &code, &verifier)
        .await
        .json()
        .await
        .unwrap();
    let bob_hint = bob_tokens["id_token"].as_str().unwrap();
    let page = html(
        app.browse(&logout_path(&[("id_token_hint", bob_hint)]), Some(&cookie))
            .await,
    )
    .await;
    assert_eq!(page.h1(), "Do you want to log out?");
    assert!(signed_in(&app, &world, &cookie).await);

    // A cross-site form post (the cookie, but not the page's CSRF token): the question again.
    let post = |body: String| {
        app.client
            .post(app.url("/oauth2/logout"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cookie", &cookie)
            .body(body)
            .send()
    };
    for csrf in ["", "forged-token"] {
        let r = html(
            post(serde_urlencoded::to_string([("csrf_token", csrf)]).unwrap())
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(r.status, 200);
        assert_eq!(r.h1(), "Do you want to log out?");
        assert!(signed_in(&app, &world, &cookie).await);
    }

    // The page's own form: the session ends and the browser goes back to the app, by a page
    // (a refresh and a link: a redirect after a form would break the pages' form-action).
    let page = html(
        app.browse(
            &logout_path(&[
                ("client_id", world.client_id.as_str()),
                ("post_logout_redirect_uri", LOGOUT_URI),
                ("state", "s1"),
            ]),
            Some(&cookie),
        )
        .await,
    )
    .await;
    let field = |name: &str| page.input_value(name).map(|v| unescape(&v)).unwrap();
    let body = serde_urlencoded::to_string([
        ("csrf_token", field("csrf_token")),
        ("client_id", field("client_id")),
        (
            "post_logout_redirect_uri",
            field("post_logout_redirect_uri"),
        ),
        ("state", field("state")),
    ])
    .unwrap();
    let done = post(body).await.unwrap();
    assert_eq!(done.status(), 200);
    assert!(
        set_cookie(&done, &app.cookie_name("portico_session")).is_some(),
        "the cookie is cleared"
    );
    let done = html(done).await;
    assert_eq!(done.h1(), "You have signed out");
    let back = format!("{LOGOUT_URI}?state=s1");
    assert!(
        unescape(&done.body).contains(&format!("content=\"0; url={back}\"")),
        "{}",
        done.body
    );
    assert!(unescape(&done.body).contains(&format!("href=\"{back}\"")));
    assert!(
        !signed_in(&app, &world, &cookie).await,
        "the session has ended"
    );
    // Without a hint, the browser's session ends; the client's grant is the client's to end.
    assert!(grant_active(&app, &world, &tokens).await);
    assert!(
        signed_in(&app, &world, &bob_cookie).await,
        "Bob's session is his"
    );
}
