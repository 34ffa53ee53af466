//! The login pages over HTTP: each outcome of `/login` (logged in, wrong password, practice
//! chooser, blocked or deactivated practice, forced password change), `continue`, logout and
//! the account page.

use crate::helpers::TestApp;
use crate::helpers_invitations::ann;
use crate::helpers_login::{PASSWORD, SeededAccount, patient};
use crate::helpers_pages::{Html, assert_page_headers, unescape};
use portico::service::web_sessions;
use serde_json::json;
use uuid::Uuid;

struct Clinics {
    a: Uuid,
    key_a: String,
    b: Uuid,
    key_b: String,
}

async fn clinics(app: &TestApp) -> Clinics {
    let (a, key_a) = app
        .create_practice("a-clinic", "A Clinic", "555-0100")
        .await;
    let (b, key_b) = app
        .create_practice("b-clinic", "B Clinic", "+1 555 0101")
        .await;
    Clinics { a, key_a, b, key_b }
}

async fn ann_at(app: &TestApp, key: &str) -> SeededAccount {
    app.seed_portal_account(key, ann(), "ann.lee", PASSWORD, "self")
        .await
}

/// The live web session behind a response's session cookie.
async fn live_session(app: &TestApp, page: &Html) -> portico::store::web_session::Model {
    let token = page.cookie("portico_session").expect("a session cookie");
    web_sessions::find_live(
        &app.state.db,
        &token,
        web_sessions::Limits::of(&app.state.settings),
        app.clock_now(),
    )
    .await
    .unwrap()
    .expect("a live session")
}

/// The practice of the live web session behind a response's session cookie.
async fn session_practice(app: &TestApp, page: &Html) -> Option<Uuid> {
    live_session(app, page).await.practice_id
}

#[tokio::test]
async fn logging_in_starts_a_session_at_the_practice_and_goes_to_continue() {
    let app = TestApp::spawn().await;
    let c = clinics(&app).await;
    ann_at(&app, &c.key_a).await;
    let browser = app.browser();

    let form = browser
        .open("/login?practice=a-clinic&continue=%2Faccount%3Ftab%3D1")
        .await;
    assert_eq!(form.status, 200, "{}", form.body);
    assert_page_headers(&form);
    assert_eq!(form.h1(), "Log in to A Clinic");
    assert!(form.contains("tel:5550100"), "the practice's contact");
    assert_eq!(
        unescape(&form.input_value("continue").unwrap()),
        "/account?tab=1"
    );

    let done = browser
        .log_in(
            "?practice=a-clinic&continue=%2Faccount%3Ftab%3D1",
            "Ann.Lee",
            PASSWORD,
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(done.location(), "/account?tab=1");
    let cookie = done
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("portico_session="))
        .expect("a session cookie");
    for flag in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(flag), "{flag} in {cookie}");
    }
    let session = live_session(&app, &done).await;
    assert_eq!(session.practice_id, Some(c.a));
    assert_eq!(session.amr, "pwd", "how the person logged in, for OIDC");
    assert_eq!(session.created_at, app.clock_now());

    let account = browser.open("/account").await;
    assert_eq!(account.status, 200, "{}", account.body);
    assert_eq!(account.h1(), "Your account");
    assert!(account.contains("You are logged in to A Clinic."));
    assert!(account.contains("ann.lee") && account.contains("Ann (you)"));
    assert!(account.contains("tag--active"), "{}", account.body);

    let r = app.audit_events(&c.key_a, "kind=login.succeeded").await;
    let events: serde_json::Value = r.json().await.unwrap();
    assert!(
        events.to_string().contains("web_session_id"),
        "the page login is audited like the API's: {events}"
    );
}

#[tokio::test]
async fn continue_is_only_followed_to_a_path_of_this_server() {
    let app = TestApp::spawn().await;
    let c = clinics(&app).await;
    ann_at(&app, &c.key_a).await;
    for bad in [
        "//evil.example/",
        "/\\evil.example",
        "https://evil.example/",
        "/\t/evil.example",
    ] {
        let browser = app.browser();
        let form = browser.open("/login").await;
        let done = browser
            .submit_on(
                &form,
                "/login",
                &[
                    ("username", "ann.lee"),
                    ("password", PASSWORD),
                    ("continue", bad),
                ],
            )
            .await;
        assert_eq!(done.status, 303, "{}", done.body);
        assert_eq!(done.location(), "/account", "{bad:?}");
    }
    let page = app
        .browser()
        .open("/login?continue=%2F%2Fevil.example")
        .await;
    assert!(page.input_value("continue").is_none(), "not even carried");
}

#[tokio::test]
async fn a_wrong_password_gets_one_plain_message_and_keeps_the_username() {
    let app = TestApp::spawn().await;
    let c = clinics(&app).await;
    ann_at(&app, &c.key_a).await;
    let browser = app.browser();
    for (username, password) in [("ann.lee", "not the password at all"), ("nobody", PASSWORD)] {
        let page = browser.log_in("", username, password).await;
        assert_eq!(page.status, 401, "{}", page.body);
        assert_eq!(
            page.count("The username or password is not right."),
            1,
            "{}",
            page.body
        );
        assert_eq!(page.input_value("username").as_deref(), Some(username));
        assert!(!page.contains(password), "never echo a password");
        assert!(page.cookie("portico_session").is_none());
    }
    let elsewhere = browser
        .log_in("?practice=b-clinic", "ann.lee", PASSWORD)
        .await;
    assert_eq!(elsewhere.status, 403, "{}", elsewhere.body);
    assert!(elsewhere.contains(
        "This account has no portal access at B Clinic. If you think it should, please \
         contact the practice on +1 555 0101."
    ));

    let blank = browser.log_in("", "", "").await;
    assert_eq!(blank.status, 422);
    assert!(blank.contains("Enter your username.") && blank.contains("Enter your password."));
    assert!(blank.contains("aria-describedby=\"f-username-error\""));

    let no_csrf = browser
        .submit("/login", &[("username", "ann.lee"), ("password", PASSWORD)])
        .await;
    assert_eq!(no_csrf.status, 403);
    assert!(no_csrf.cookie("portico_session").is_none());
}

#[tokio::test]
async fn several_practices_get_a_chooser_with_their_status_and_the_choice_logs_in() {
    let app = TestApp::spawn().await;
    let c = clinics(&app).await;
    let (_, key_c) = app
        .create_practice("c-clinic", "C Clinic", "555-0102")
        .await;
    ann_at(&app, &c.key_a).await;
    ann_at(&app, &c.key_b).await;
    let at_c = ann_at(&app, &key_c).await;
    app.block_access(&key_c, at_c.access_id, None).await;
    let browser = app.browser();

    let chooser = browser.log_in("", "ann.lee", PASSWORD).await;
    assert_eq!(chooser.status, 200, "{}", chooser.body);
    assert_eq!(chooser.h1(), "Choose a practice");
    assert!(
        chooser.cookie("portico_session").is_none(),
        "no session yet"
    );
    assert!(chooser.contains("value=\"a-clinic\"") && chooser.contains("value=\"b-clinic\""));
    assert!(
        !chooser.contains("value=\"c-clinic\""),
        "a blocked practice is no button"
    );
    assert!(chooser.contains("C Clinic") && chooser.contains("Blocked"));
    assert!(chooser.contains("tel:5550102"));

    let token = chooser.input_value("choice_token").unwrap();
    let fields = [("choice_token", token.as_str()), ("practice", "b-clinic")];
    let done = browser
        .submit_on(&chooser, "/login/practice", &fields)
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(done.location(), "/account");
    assert_eq!(session_practice(&app, &done).await, Some(c.b));

    // The chooser's token works once.
    let again = app.browser();
    let page = again.open("/login").await;
    let reused = again.submit_on(&page, "/login/practice", &fields).await;
    assert_eq!(reused.status, 400);
    assert_eq!(reused.h1(), "Please log in again");
    assert!(reused.cookie("portico_session").is_none());
}

#[tokio::test]
async fn a_blocked_patient_sees_the_practice_phone_and_can_still_use_another_practice() {
    let app = TestApp::spawn().await;
    let c = clinics(&app).await;
    let at_a = ann_at(&app, &c.key_a).await;
    let at_b = ann_at(&app, &c.key_b).await;
    app.block_access(&c.key_a, at_a.access_id, None).await;
    let browser = app.browser();

    let blocked = browser
        .log_in("?practice=a-clinic", "ann.lee", PASSWORD)
        .await;
    assert_eq!(blocked.status, 403, "{}", blocked.body);
    assert_eq!(blocked.h1(), "Your portal access to A Clinic is blocked");
    assert!(blocked.contains(
        "Your portal access to A Clinic is blocked. Please contact the practice on \
         <a href=\"tel:5550100\">555-0100</a>."
    ));
    assert!(blocked.cookie("portico_session").is_none());
    assert!(blocked.contains("Your other practices"));
    assert!(blocked.contains("value=\"b-clinic\""));

    let token = blocked.input_value("choice_token").unwrap();
    // Picking the blocked one again says so again; the token still works for B.
    let same = browser
        .submit_on(
            &blocked,
            "/login/practice",
            &[("choice_token", token.as_str()), ("practice", "a-clinic")],
        )
        .await;
    assert_eq!(same.status, 403);
    let done = browser
        .submit_on(
            &same,
            "/login/practice",
            &[("choice_token", token.as_str()), ("practice", "b-clinic")],
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(session_practice(&app, &done).await, Some(c.b));

    // Revoked at B as well, and logging in without naming a practice: nothing to choose.
    app.revoke_access(&c.key_b, at_b.access_id, None).await;
    let gone = app
        .browser()
        .log_in("?practice=b-clinic", "ann.lee", PASSWORD)
        .await;
    assert_eq!(gone.status, 403, "{}", gone.body);
    assert_eq!(gone.h1(), "Your portal access to B Clinic is deactivated");
    assert!(gone.contains("tel:+15550101"));
    assert!(gone.input_value("choice_token").is_none());
}

#[tokio::test]
async fn a_staff_created_account_chooses_a_password_then_is_logged_in() {
    let app = TestApp::spawn().await;
    let c = clinics(&app).await;
    let bo = app
        .seed_staff_created_account(&c.key_a, patient("Bo", "Park", "bo@example.org"), "bo.park")
        .await;
    let browser = app.browser();

    let change = browser
        .log_in("?continue=%2Faccount", "bo.park", &bo.password)
        .await;
    assert_eq!(change.status, 200, "{}", change.body);
    assert_eq!(change.h1(), "Choose a new password");
    assert!(
        change.contains("Contact A Clinic") && change.contains("tel:5550100"),
        "the practice's contact on the step"
    );
    assert!(change.cookie("portico_session").is_none());
    let token = change.input_value("password_token").unwrap();
    let practice = change
        .input_value("practice")
        .expect("the step carries the practice");
    assert_eq!(practice, "a-clinic");

    let mismatch = browser
        .submit_on(
            &change,
            "/login/password",
            &[
                ("password_token", token.as_str()),
                ("password", PASSWORD),
                ("password_confirm", "something else entirely"),
            ],
        )
        .await;
    assert_eq!(mismatch.status, 422);
    assert!(mismatch.contains("The passwords do not match."));

    let weak = browser
        .submit_on(
            &change,
            "/login/password",
            &[
                ("password_token", token.as_str()),
                ("practice", practice.as_str()),
                ("password", "short"),
                ("password_confirm", "short"),
            ],
        )
        .await;
    assert_eq!(weak.status, 422, "{}", weak.body);
    assert!(
        weak.contains("Contact A Clinic"),
        "still the practice's page"
    );
    assert!(weak.contains("aria-describedby=\"f-password-hint f-password-error\""));
    assert!(!weak.contains("value=\"short\""));

    let done = browser
        .submit_on(
            &weak,
            "/login/password",
            &[
                ("password_token", token.as_str()),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
                ("continue", "/account"),
            ],
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(done.location(), "/account");
    assert_eq!(session_practice(&app, &done).await, Some(c.a));

    // The new password works; the temporary one does not.
    let old = app.browser().log_in("", "bo.park", &bo.password).await;
    assert_eq!(old.status, 401);
    let new = app.browser().log_in("", "bo.park", PASSWORD).await;
    assert_eq!(new.status, 303);
}

#[tokio::test]
async fn logging_out_ends_the_session_and_the_account_page_then_asks_to_log_in() {
    let app = TestApp::spawn().await;
    let c = clinics(&app).await;
    ann_at(&app, &c.key_a).await;

    let anonymous = app.browser().open("/account").await;
    assert_eq!(anonymous.status, 303);
    assert_eq!(anonymous.location(), "/login?continue=%2Faccount");

    let browser = app.browser();
    let done = browser.log_in("", "ann.lee", PASSWORD).await;
    assert_eq!(done.status, 303);
    let token = done.cookie("portico_session").unwrap();
    let account = browser.open("/account").await;
    assert_eq!(account.status, 200);

    let no_csrf = browser.submit("/logout", &[]).await;
    assert_eq!(no_csrf.status, 403);
    assert!(
        web_sessions::find_live(
            &app.state.db,
            &token,
            web_sessions::Limits::of(&app.state.settings),
            app.clock_now()
        )
        .await
        .unwrap()
        .is_some()
    );

    let out = browser.submit_on(&account, "/logout", &[]).await;
    assert_eq!(out.status, 200, "{}", out.body);
    assert_eq!(out.h1(), "You have logged out");
    assert!(
        out.set_cookies()
            .iter()
            .any(|c| c.starts_with("portico_session=") && c.contains("Max-Age=0"))
    );
    assert!(
        web_sessions::find_live(
            &app.state.db,
            &token,
            web_sessions::Limits::of(&app.state.settings),
            app.clock_now()
        )
        .await
        .unwrap()
        .is_none()
    );
    let after = browser.open("/account").await;
    assert_eq!(after.status, 303);
}

#[tokio::test]
async fn the_account_page_lists_every_practice_and_patient_with_status() {
    let app = TestApp::spawn().await;
    let c = clinics(&app).await;
    ann_at(&app, &c.key_a).await;
    // Sam is a child: an adult's parent access would be ended by the ageing-out job, which
    // may run at any moment of the test.
    let kid = app
        .seed_portal_account(
            &c.key_b,
            json!({"first_name": "Sam", "last_name": "Lee", "date_of_birth": "2016-05-20",
                   "email": "sam@example.org"}),
            "ann.lee",
            PASSWORD,
            "parent",
        )
        .await;
    ann_at(&app, &c.key_b).await;
    app.block_access(&c.key_b, kid.access_id, None).await;
    let browser = app.browser();
    let done = browser
        .log_in("?practice=b-clinic", "ann.lee", PASSWORD)
        .await;
    assert_eq!(
        done.status, 303,
        "a parent with one child blocked still logs in"
    );
    let page = browser.open("/account").await;
    assert_eq!(page.status, 200);
    assert!(page.contains("You are logged in to B Clinic."));
    assert!(page.contains("A Clinic") && page.contains("B Clinic"));
    assert!(page.contains("Sam") && page.contains("as their parent"));
    assert!(page.contains("tag--blocked") && page.contains("tag--active"));
    assert_eq!(page.count("Logged in</span>"), 1);
    assert!(page.contains("<span>Name</span>Ann Lee"), "{}", page.body);
    assert!(page.contains("<span>Two-step verification</span>Off"));
}

#[tokio::test]
async fn logging_in_again_in_the_same_browser_ends_the_session_it_had() {
    let app = TestApp::spawn().await;
    let c = clinics(&app).await;
    ann_at(&app, &c.key_a).await;
    ann_at(&app, &c.key_b).await;
    let browser = app.browser();
    let first = browser
        .log_in("?practice=a-clinic", "ann.lee", PASSWORD)
        .await;
    assert_eq!(first.status, 303);
    let old = first.cookie("portico_session").unwrap();
    let account = browser.open("/account").await;
    assert!(
        unescape(&account.body).contains("href=\"/login?continue=%2Faccount&practice=b-clinic\""),
        "a way to the other practice: {}",
        account.body
    );

    let second = browser
        .log_in("?practice=b-clinic", "ann.lee", PASSWORD)
        .await;
    assert_eq!(second.status, 303);
    assert_eq!(session_practice(&app, &second).await, Some(c.b));
    assert!(
        web_sessions::find_live(
            &app.state.db,
            &old,
            web_sessions::Limits::of(&app.state.settings),
            app.clock_now()
        )
        .await
        .unwrap()
        .is_none()
    );
}

/// Whether the browser is still logged in: the account page shows, or asks to log in.
async fn still_logged_in(browser: &crate::helpers_pages::Browser<'_>) -> bool {
    let page = browser.open("/account").await;
    match page.status {
        200 => true,
        303 => {
            assert!(page.location().starts_with("/login"), "{}", page.location());
            false
        }
        other => panic!("/account answered {other}"),
    }
}

/// Issue 17, item 12 (HIPAA automatic logoff): by default a page session ends after 30
/// minutes without a request, and 12 hours after login however busy it is.
#[tokio::test]
async fn page_sessions_end_after_30_idle_minutes_and_12_hours_at_most_by_default() {
    let app = TestApp::spawn().await;
    let c = clinics(&app).await;
    ann_at(&app, &c.key_a).await;
    let minutes = chrono::TimeDelta::minutes;

    let idle = app.browser();
    assert_eq!(idle.log_in("", "ann.lee", PASSWORD).await.status, 303);
    app.clock.advance(minutes(29));
    assert!(still_logged_in(&idle).await);
    app.clock.advance(minutes(29));
    assert!(
        still_logged_in(&idle).await,
        "each request moves the idle limit"
    );
    app.clock.advance(minutes(30));
    assert!(!still_logged_in(&idle).await, "30 idle minutes: logged out");

    let busy = app.browser();
    assert_eq!(busy.log_in("", "ann.lee", PASSWORD).await.status, 303);
    // A request every 25 minutes for 11 h 40 min: still in.
    for _ in 0..28 {
        app.clock.advance(minutes(25));
        assert!(still_logged_in(&busy).await);
    }
    app.clock.advance(minutes(19));
    assert!(still_logged_in(&busy).await, "11 h 59 min");
    app.clock.advance(minutes(1));
    assert!(
        !still_logged_in(&busy).await,
        "12 hours after login: logged out"
    );
}

/// The limits are settings (`PORTICO_WEB_SESSION_IDLE_SECS`, `PORTICO_WEB_SESSION_MAX_SECS`).
#[tokio::test]
async fn page_session_limits_follow_the_settings() {
    let app = TestApp::spawn_with(|s| {
        s.web_session_idle_secs = 600;
        s.web_session_max_secs = 3600;
    })
    .await;
    let c = clinics(&app).await;
    ann_at(&app, &c.key_a).await;
    let minutes = chrono::TimeDelta::minutes;

    let idle = app.browser();
    assert_eq!(idle.log_in("", "ann.lee", PASSWORD).await.status, 303);
    app.clock.advance(minutes(9));
    assert!(still_logged_in(&idle).await);
    app.clock.advance(minutes(10));
    assert!(!still_logged_in(&idle).await, "10 idle minutes");

    let busy = app.browser();
    assert_eq!(busy.log_in("", "ann.lee", PASSWORD).await.status, 303);
    for _ in 0..6 {
        app.clock.advance(minutes(9));
        assert!(still_logged_in(&busy).await);
    }
    app.clock.advance(minutes(6));
    assert!(!still_logged_in(&busy).await, "an hour after login");

    let mut bad = portico::config::Settings {
        web_session_idle_secs: 600,
        web_session_max_secs: 300,
        ..Default::default()
    };
    assert!(bad.validate().is_err(), "the maximum below the idle limit");
    bad.web_session_idle_secs = 10;
    assert!(bad.validate().is_err(), "under a minute");
}
