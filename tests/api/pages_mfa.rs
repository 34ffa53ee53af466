//! The two-step steps of a login on the pages: the code (`/login/mfa`) for an account with
//! two-step verification on, a recovery code, wrong and throttled codes, and the set-up
//! (`/login/mfa-setup`) when the practice requires it.

use crate::helpers::TestApp;
use crate::helpers_invitations::fast;
use crate::helpers_login::{PASSWORD, SeededAccount, patient};
use crate::helpers_pages::{Browser, Html, unescape};
use crate::helpers_security::{Enrolled, str_of, totp_code};
use chrono::TimeDelta;
use portico::service::sessions::browser;
use serde_json::json;

async fn ann(app: &TestApp) -> (String, SeededAccount) {
    let (_, key) = app
        .create_practice("smith", "Smith Clinic", "555-0100")
        .await;
    let ann = app
        .seed_portal_account(
            &key,
            patient("Ann", "Lee", "ann@example.org"),
            "ann.lee",
            PASSWORD,
            "self",
        )
        .await;
    (key, ann)
}

/// Ann with two-step verification on (through the API), past the code used to turn it on.
async fn ann_enrolled(app: &TestApp) -> Enrolled {
    let (_, ann) = ann(app).await;
    let at = str_of(&app.login_tokens(&ann, None).await, "access_token");
    let enrolled = app.enrol_totp(&at).await;
    app.clock.advance(TimeDelta::seconds(60));
    enrolled
}

/// The code form's fields to post again: its token and what it carries.
fn step_fields(page: &Html, token_field: &str) -> Vec<(String, String)> {
    let mut fields = Vec::new();
    for name in [token_field, "continue", "practice"] {
        if let Some(v) = page.input_value(name) {
            fields.push((name.to_owned(), unescape(&v)));
        }
    }
    fields
}

async fn post_code(browser: &Browser<'_>, page: &Html, action: &str, code: &str) -> Html {
    let token_field = match action {
        "/login/mfa" => "mfa_token",
        _ => "enrolment_token",
    };
    let owned = step_fields(page, token_field);
    let mut fields: Vec<(&str, &str)> = owned
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    fields.push(("code", code));
    browser.submit_on(page, action, &fields).await
}

async fn session_amr(app: &TestApp, page: &Html) -> String {
    let token = page.cookie("portico_session").expect("a session cookie");
    browser::find_live(
        &app.state.db,
        &token,
        browser::Limits::of(&app.state.settings),
        app.clock_now(),
    )
    .await
    .unwrap()
    .expect("a live session")
    .amr
}

#[tokio::test]
async fn a_login_with_two_step_verification_asks_for_the_code_then_goes_to_continue() {
    let app = TestApp::spawn_with(fast).await;
    let enrolled = ann_enrolled(&app).await;
    let browser = app.browser();

    let ask = browser
        .log_in("?continue=%2Faccount%3Ftab%3D1", "ann.lee", PASSWORD)
        .await;
    assert_eq!(ask.status, 200, "{}", ask.body);
    assert_eq!(ask.h1(), "Enter your code");
    assert!(ask.cookie("portico_session").is_none(), "no session yet");
    assert!(ask.contains("action=\"/login/mfa\""));

    let code = totp_code(&enrolled.secret, app.clock_now());
    let done = post_code(&browser, &ask, "/login/mfa", &code).await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(done.location(), "/account?tab=1");
    assert_eq!(session_amr(&app, &done).await, "pwd otp mfa");
    assert_eq!(browser.open("/account").await.status, 200);

    // The step's token is spent: posting it again starts the login over.
    let other = app.browser();
    let page = other.open("/login").await;
    let token = unescape(&ask.input_value("mfa_token").unwrap());
    let again = other
        .submit_on(
            &page,
            "/login/mfa",
            &[("mfa_token", &token), ("code", &code)],
        )
        .await;
    assert_eq!(again.status, 400, "{}", again.body);
    assert_eq!(again.h1(), "Please log in again");
}

#[tokio::test]
async fn a_wrong_code_is_a_message_on_the_field_and_the_form_still_works() {
    let app = TestApp::spawn_with(fast).await;
    let enrolled = ann_enrolled(&app).await;
    let browser = app.browser();
    let ask = browser.log_in("", "ann.lee", PASSWORD).await;

    let blank = post_code(&browser, &ask, "/login/mfa", " ").await;
    assert_eq!(blank.status, 422, "{}", blank.body);
    assert!(blank.contains("Enter the code from your app."));

    let wrong = post_code(&browser, &ask, "/login/mfa", "000000").await;
    assert_eq!(wrong.status, 401, "{}", wrong.body);
    assert!(wrong.contains("That code is not right."), "{}", wrong.body);
    assert!(wrong.contains("id=\"f-code-error\""));
    assert!(wrong.contains("aria-invalid=\"true\""));
    assert!(wrong.cookie("portico_session").is_none());

    let code = totp_code(&enrolled.secret, app.clock_now());
    let done = post_code(&browser, &wrong, "/login/mfa", &code).await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(done.location(), "/account");
}

#[tokio::test]
async fn a_recovery_code_logs_in_once_on_the_pages() {
    let app = TestApp::spawn_with(fast).await;
    let enrolled = ann_enrolled(&app).await;
    let recovery = enrolled.recovery_codes[2].clone();

    let browser = app.browser();
    let ask = browser.log_in("", "ann.lee", PASSWORD).await;
    let done = post_code(&browser, &ask, "/login/mfa", &recovery).await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(session_amr(&app, &done).await, "pwd mfa");

    let other = app.browser();
    let ask = other.log_in("", "ann.lee", PASSWORD).await;
    let replay = post_code(&other, &ask, "/login/mfa", &recovery).await;
    assert_eq!(replay.status, 401, "{}", replay.body);
    assert!(replay.contains("That code is not right."));
}

#[tokio::test]
async fn guessing_codes_is_throttled_in_plain_words() {
    let app = TestApp::spawn_with(fast).await;
    ann_enrolled(&app).await;
    let browser = app.browser();
    let ask = browser.log_in("", "ann.lee", PASSWORD).await;

    let mut last = None;
    for _ in 0..12 {
        let page = post_code(&browser, &ask, "/login/mfa", "000000").await;
        if page.status == 429 {
            last = Some(page);
            break;
        }
        assert_eq!(page.status, 401, "{}", page.body);
    }
    let throttled = last.expect("wrong codes are throttled");
    assert!(
        throttled.contains("There have been too many wrong attempts."),
        "{}",
        throttled.body
    );
    assert!(throttled.contains("please wait"));
    assert_eq!(throttled.h1(), "Enter your code");
}

#[tokio::test]
async fn a_practice_that_requires_two_step_verification_sets_it_up_at_login() {
    let app = TestApp::spawn_with(fast).await;
    let (key, _) = ann(&app).await;
    app.set_settings(&key, json!({"mfa_required": true})).await;
    let browser = app.browser();

    let setup = browser
        .log_in(
            "?practice=smith&continue=%2Faccount%3Ftab%3D2",
            "ann.lee",
            PASSWORD,
        )
        .await;
    assert_eq!(setup.status, 200, "{}", setup.body);
    assert_eq!(setup.h1(), "Set up two-step verification");
    assert!(setup.cookie("portico_session").is_none());
    assert!(
        setup.contains("<img class=\"qr\" src=\"data:image"),
        "{}",
        setup.body
    );
    assert!(setup.contains("Smith Clinic asks every patient"));
    let secret = secret_on(&setup);

    // A wrong code keeps the same key on the page (nothing to scan again).
    let wrong = post_code(&browser, &setup, "/login/mfa-setup", "000000").await;
    assert_eq!(wrong.status, 401, "{}", wrong.body);
    assert!(wrong.contains("That code is not right."));
    assert_eq!(secret_on(&wrong), secret);

    let code = totp_code(&secret, app.clock_now());
    let done = post_code(&browser, &wrong, "/login/mfa-setup", &code).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(done.h1(), "Keep your recovery codes");
    assert_eq!(done.count("<li><code>"), 10);
    assert!(
        done.contains("href=\"&#x2f;account?tab=2\""),
        "{}",
        done.body
    );
    assert_eq!(session_amr(&app, &done).await, "pwd otp mfa");
    assert_eq!(browser.open("/account").await.status, 200);

    // From now on the login asks for a code.
    app.clock.advance(TimeDelta::seconds(30));
    let next = app.browser().log_in("", "ann.lee", PASSWORD).await;
    assert_eq!(next.h1(), "Enter your code");
}

fn secret_on(page: &Html) -> String {
    let at = page.body.find("class=\"secret\">").expect("the key") + 15;
    page.body[at..at + page.body[at..].find('<').unwrap()].to_owned()
}

#[tokio::test]
async fn the_account_page_asks_for_the_password_then_turns_two_step_verification_on_and_shows_the_codes_once()
 {
    let app = TestApp::spawn_with(fast).await;
    ann(&app).await;
    let anonymous = app.browser().open("/account/two-step").await;
    assert_eq!(anonymous.status, 303);
    assert_eq!(
        anonymous.location(),
        "/login?continue=%2Faccount%2Ftwo-step"
    );

    let browser = app.browser();
    assert_eq!(browser.log_in("", "ann.lee", PASSWORD).await.status, 303);
    let account = browser.open("/account").await;
    assert!(
        account.contains("href=\"/account/two-step\""),
        "{}",
        account.body
    );

    // The current password first: no key is shown before it.
    let confirm = browser.open("/account/two-step").await;
    assert_eq!(confirm.status, 200, "{}", confirm.body);
    assert_eq!(confirm.h1(), "Set up two-step verification");
    assert!(!confirm.contains("class=\"secret\""), "{}", confirm.body);
    let refused = browser
        .submit_on(
            &confirm,
            "/account/two-step",
            &[("current_password", "not my password at all")],
        )
        .await;
    assert_eq!(refused.status, 401, "{}", refused.body);
    assert!(refused.contains("Your current password is not right."));
    assert!(!refused.contains("class=\"secret\""));
    let setup = browser
        .submit_on(
            &refused,
            "/account/two-step",
            &[("current_password", PASSWORD)],
        )
        .await;
    assert_eq!(setup.status, 200, "{}", setup.body);
    let secret = secret_on(&setup);

    let wrong = browser
        .submit_on(&setup, "/account/two-step", &[("code", "000000")])
        .await;
    assert_eq!(wrong.status, 401, "{}", wrong.body);
    assert!(wrong.contains("That code is not right."));
    assert_eq!(secret_on(&wrong), secret);

    let code = totp_code(&secret, app.clock_now());
    let done = browser
        .submit_on(&wrong, "/account/two-step", &[("code", &code)])
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(done.h1(), "Keep your recovery codes");
    assert_eq!(done.count("<li><code>"), 10);

    assert!(browser.open("/account").await.contains("On since"));
    let again = browser.open("/account/two-step").await;
    assert_eq!(again.status, 303, "already on: nothing to set up");
    app.clock.advance(TimeDelta::seconds(30));
    assert_eq!(
        app.browser().log_in("", "ann.lee", PASSWORD).await.h1(),
        "Enter your code"
    );
}

/// Signs in to a client from this browser (already logged in): the ID token's `amr`.
async fn app_sign_in_amr(
    app: &TestApp,
    browser: &Browser<'_>,
    client: &serde_json::Value,
) -> Vec<String> {
    use crate::helpers_oidc::{REDIRECT_URI, authorize_path, pkce, query_param};
    let client_id = str_of(client, "client_id");
    let (verifier, challenge) = pkce();
    let back = browser
        .open(&authorize_path(&client_id, &challenge, &[]))
        .await;
    assert!(
        back.location().starts_with(REDIRECT_URI),
        "{}",
        back.location()
    );
    let code = query_param(back.location(), "code").unwrap();
    let secret = str_of(client, "client_secret");
    let tokens: serde_json::Value = app
        .oauth_post(
            "token",
            Some((&client_id, &secret)),
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT_URI),
                ("code_verifier", &verifier),
            ],
        )
        .await
        .json()
        .await
        .unwrap();
    let claims = crate::helpers_login::claims_of(&str_of(&tokens, "id_token"));
    serde_json::from_value(claims["amr"].clone()).unwrap()
}

/// Issue 17, item 11: the ID token says how the person really logged in on the pages (the web
/// session's `amr`), not always a password.
#[tokio::test]
async fn authorize_copies_the_amr_of_the_web_session() {
    let app = TestApp::spawn_with(fast).await;
    let (key, ann) = ann(&app).await;
    let client = app.register_client(&key, json!({})).await;

    let password_only = app.browser();
    let done = password_only.log_in("", "ann.lee", PASSWORD).await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(
        app_sign_in_amr(&app, &password_only, &client).await,
        ["pwd"]
    );

    let at = str_of(&app.login_tokens(&ann, None).await, "access_token");
    let enrolled = app.enrol_totp(&at).await;
    app.clock.advance(TimeDelta::seconds(60));
    let two_step = app.browser();
    let ask = two_step.log_in("", "ann.lee", PASSWORD).await;
    assert_eq!(ask.h1(), "Enter your code");
    let code = totp_code(&enrolled.secret, app.clock_now());
    let done = post_code(&two_step, &ask, "/login/mfa", &code).await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(
        app_sign_in_amr(&app, &two_step, &client).await,
        ["pwd", "otp", "mfa"]
    );

    let recovery = app.browser();
    let ask = recovery.log_in("", "ann.lee", PASSWORD).await;
    let done = post_code(&recovery, &ask, "/login/mfa", &enrolled.recovery_codes[0]).await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(
        app_sign_in_amr(&app, &recovery, &client).await,
        ["pwd", "mfa"]
    );
}
