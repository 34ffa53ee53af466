//! The patient's own email change: the password first, the new address confirmed by link
//! before it takes effect, the old address told.

use crate::helpers::{TestApp, assert_problem};
use crate::helpers_invitations::fast;
use crate::helpers_login::{PASSWORD, patient};
use crate::helpers_security::str_of;
use crate::mailbox;
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn an_email_change_needs_the_password_and_takes_effect_only_after_the_new_address_confirms() {
    let app = TestApp::spawn_with(fast).await;
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
    let at = str_of(&app.login_tokens(&ann, None).await, "access_token");
    let patch = |body: Value| app.call(Method::PATCH, "/api/v1/me", Some(&at), Some(body));

    let wrong =
        patch(json!({"email": "ann.new@example.org", "current_password": "wrong password here"}))
            .await;
    assert_problem(wrong, 401, "invalid_credentials").await;
    // Nothing else can be set here.
    let extra = patch(
        json!({"email": "ann.new@example.org", "current_password": PASSWORD, "role": "admin"}),
    )
    .await;
    let p = assert_problem(extra, 422, "validation_failed").await;
    assert_eq!(p["field"], "role", "{p}");

    let r = patch(json!({"email": "Ann.New@example.org", "current_password": PASSWORD})).await;
    assert_eq!(r.status(), 202);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["pending_email"], "Ann.New@example.org");
    // Not yet.
    let me: Value = app.me(&at).await.json().await.unwrap();
    assert_eq!(me["email"], "ann@example.org");

    let old = mailbox::wait_for_mail(&app.mail_dir(), "ann@example.org", 1).await;
    assert!(
        old[0].subject.contains("being changed"),
        "{}",
        old[0].subject
    );
    assert!(
        !old[0].text.contains("Ann.New@example.org"),
        "the old address is not told the new one"
    );
    let new = mailbox::wait_for_mail(&app.mail_dir(), "Ann.New@example.org", 1).await;
    let prefix = format!("{}/confirm-email/", app.state.settings.issuer());
    let link = new[0].link(&prefix).expect("a confirmation link");
    let token = link.strip_prefix(&prefix).unwrap();

    let path = format!("/api/v1/email-changes/{token}");
    let confirm = || app.call(Method::POST, &path, None, None);
    assert_eq!(confirm().await.status(), 204);
    assert_problem(confirm().await, 410, "token_invalid").await;
    let me: Value = app.me(&at).await.json().await.unwrap();
    assert_eq!(me["email"], "Ann.New@example.org");
    let account = app.account_named("ann.lee").await;
    assert!(account.email_verified_at.is_some());
    let kinds = app.audit_kinds().await;
    assert!(kinds.contains(&"account.email_change_requested".to_owned()));
    assert!(kinds.contains(&"account.email_changed".to_owned()));
}
