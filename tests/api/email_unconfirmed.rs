//! Pending states say what to do (issue 22, item 5): a login whose sign-up waits for its
//! emailed confirmation answers `email_unconfirmed` (after a correct password only; a wrong
//! one is the usual `invalid_credentials`), and the link can be sent again (throttled, the same
//! `202` whatever was named). The login page says the same and offers the resend.

use crate::helpers::{TestApp, assert_problem};
use crate::helpers_invitations::{PASSWORD, fast, token_of};
use crate::helpers_security::status_and_body;
use crate::mailbox;
use reqwest::Method;
use serde_json::json;

const ZOE: &str = "zoe@example.org";

impl TestApp {
    /// `POST /api/v1/email-verifications/resend`.
    async fn resend_confirmation(&self, username_or_email: &str) -> reqwest::Response {
        self.call(
            Method::POST,
            "/api/v1/email-verifications/resend",
            None,
            Some(json!({ "username_or_email": username_or_email })),
        )
        .await
    }

    /// The confirmation links in the mail to Zoe, oldest first, once `n` have arrived.
    async fn confirmation_links(&self, n: usize) -> Vec<String> {
        let prefix = format!("{}/verify-email/", self.state.settings.issuer());
        mailbox::wait_for_mail(&self.mail_dir(), ZOE, n)
            .await
            .iter()
            .filter_map(|m| m.link(&prefix))
            .collect()
    }
}

/// Zoe signs up at a `verify_email` practice and does not follow the link.
async fn zoe_waiting(app: &TestApp) -> String {
    let (_, key) = app
        .create_practice("smith", "Smith Family Clinic", "555-0100")
        .await;
    app.set_settings(&key, json!({"self_registration": "verify_email"}))
        .await;
    let r = app
        .register(
            json!({"practice": "smith", "first_name": "Zoe", "last_name": "Park",
                         "date_of_birth": "1995-06-15", "email": ZOE,
                         "username": "zoe.park", "password": PASSWORD}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    app.confirmation_links(1).await;
    key
}

#[tokio::test]
async fn a_login_waiting_for_email_confirmation_is_told_so_only_after_the_right_password() {
    let app = TestApp::spawn_with(fast).await;
    zoe_waiting(&app).await;
    let wrong = app
        .login("zoe.park", "not the password at all!", None)
        .await;
    let unknown = app
        .login("nobody.here", "not the password at all!", None)
        .await;
    let (wrong, unknown) = (status_and_body(wrong).await, status_and_body(unknown).await);
    assert_eq!(wrong.0, 401);
    let strip = |b: &str| {
        let mut v: serde_json::Value = serde_json::from_str(b).unwrap();
        v.as_object_mut().unwrap().remove("request_id");
        v.as_object_mut().unwrap().remove("instance");
        v
    };
    assert_eq!(strip(&wrong.1), strip(&unknown.1));

    let r = app.login("zoe.park", PASSWORD, Some("smith")).await;
    let p = assert_problem(r, 403, "email_unconfirmed").await;
    assert_eq!(p["practice"]["slug"], "smith");
    assert_eq!(p["practice"]["phone"], "555-0100");
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("/api/v1/email-verifications/resend"),
        "{p}"
    );
    // Without naming the practice too.
    let r = app.login("zoe.park", PASSWORD, None).await;
    assert_problem(r, 403, "email_unconfirmed").await;
}

#[tokio::test]
async fn the_confirmation_link_can_be_sent_again_and_only_the_newest_works() {
    let app = TestApp::spawn_with(fast).await;
    zoe_waiting(&app).await;
    let known = status_and_body(app.resend_confirmation("Zoe.Park").await).await;
    let unknown = status_and_body(app.resend_confirmation("nobody.here").await).await;
    assert_eq!(known.0, 202);
    assert_eq!(known, unknown, "the answer says nothing about the account");

    let links = app.confirmation_links(2).await;
    assert_eq!(links.len(), 2);
    assert_problem(
        app.verify_email(&token_of(&links[0])).await,
        410,
        "token_invalid",
    )
    .await;
    let r = app.verify_email(&token_of(&links[1])).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    assert_eq!(
        app.login("zoe.park", PASSWORD, Some("smith"))
            .await
            .status(),
        200
    );
    // Nothing waits any more: asking again sends nothing.
    assert_eq!(app.resend_confirmation(ZOE).await.status(), 202);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(mailbox::all_mail(&app.mail_dir()).len(), 2);
}

#[tokio::test]
async fn confirmation_resends_are_throttled_to_three_an_hour() {
    let app = TestApp::spawn_with(fast).await;
    zoe_waiting(&app).await;
    futures_util::future::join_all((0..6).map(|_| app.resend_confirmation(ZOE))).await;
    mailbox::wait_for_mail(&app.mail_dir(), ZOE, 4).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(mailbox::all_mail(&app.mail_dir()).len(), 4);
    assert!(
        app.audit_kinds()
            .await
            .contains(&"email_verification.throttled".to_owned())
    );
}

#[tokio::test]
async fn the_login_page_says_to_confirm_the_email_and_sends_the_link_again() {
    let app = TestApp::spawn_with(fast).await;
    zoe_waiting(&app).await;
    let browser = app.browser();
    // The way in for an app (OpenID Connect sends the browser here with `continue`).
    let query = "?continue=%2Foauth2%2Fauthorize%3Fclient_id%3Dx";
    let wrong = browser
        .log_in(query, "zoe.park", "not the password at all!")
        .await;
    assert!(!wrong.contains("confirm your email"), "{}", wrong.body);
    assert!(!wrong.contains("Smith Family Clinic"), "{}", wrong.body);

    let page = browser.log_in(query, "zoe.park", PASSWORD).await;
    assert_eq!(page.status, 403, "{}", page.body);
    assert_eq!(
        page.h1(),
        "Your portal access to Smith Family Clinic is waiting for you to confirm your email address"
    );
    assert!(page.contains("action=\"/verify-email\""), "{}", page.body);
    let sent = browser
        .submit_on(&page, "/verify-email", &[("username_or_email", "zoe.park")])
        .await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    assert_eq!(sent.h1(), "Check your email");
    let links = app.confirmation_links(2).await;
    let confirm = browser.open(&links[1]).await;
    assert_eq!(confirm.status, 200, "{}", confirm.body);

    // The form on its own page says the same whatever was typed.
    let blank = browser
        .fill_and_submit("/verify-email", &[("username_or_email", " ")])
        .await;
    assert_eq!(blank.status, 422);
    let unknown = browser
        .fill_and_submit("/verify-email", &[("username_or_email", "nobody.here")])
        .await;
    assert_eq!(unknown.h1(), "Check your email");
}
