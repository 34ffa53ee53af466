//! Changing the password from the account page (`/account/password`).

use crate::helpers::TestApp;
use crate::helpers_invitations::fast;
use crate::helpers_login::{PASSWORD, patient};
use crate::mailbox;

const NEW_PASSWORD: &str = "a brand new river stone passphrase";

async fn ann(app: &TestApp) {
    let (_, key) = app
        .create_practice("smith", "Smith Clinic", "555-0100")
        .await;
    app.seed_portal_account(
        &key,
        patient("Ann", "Lee", "ann@example.org"),
        "ann.lee",
        PASSWORD,
        "self",
    )
    .await;
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one_and_logs_out_the_other_devices() {
    let app = TestApp::spawn_with(fast).await;
    ann(&app).await;
    let anonymous = app.browser().open("/account/password").await;
    assert_eq!(anonymous.status, 303);
    assert_eq!(
        anonymous.location(),
        "/login?continue=%2Faccount%2Fpassword"
    );

    let other_device = app.browser();
    assert_eq!(
        other_device.log_in("", "ann.lee", PASSWORD).await.status,
        303
    );
    let browser = app.browser();
    assert_eq!(browser.log_in("", "ann.lee", PASSWORD).await.status, 303);
    assert!(
        browser
            .open("/account")
            .await
            .contains("href=\"/account/password\"")
    );

    let form = browser.open("/account/password").await;
    assert_eq!(form.status, 200, "{}", form.body);
    assert_eq!(form.h1(), "Change your password");

    let wrong = browser
        .submit_on(
            &form,
            "/account/password",
            &[
                ("current_password", "not my password"),
                ("password", NEW_PASSWORD),
                ("password_confirm", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(wrong.status, 401, "{}", wrong.body);
    assert!(wrong.contains("Your current password is not right."));
    assert!(wrong.contains("id=\"f-current_password-error\""));

    let weak = browser
        .submit_on(
            &form,
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("password", "password1234567"),
                ("password_confirm", "password1234567"),
            ],
        )
        .await;
    assert_eq!(weak.status, 422, "{}", weak.body);
    assert!(weak.contains("id=\"f-password-error\""), "{}", weak.body);

    let done = browser
        .submit_on(
            &form,
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("password", NEW_PASSWORD),
                ("password_confirm", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(done.h1(), "Your password has been changed");

    assert_eq!(browser.open("/account").await.status, 200, "this one stays");
    assert_eq!(
        other_device.open("/account").await.status,
        303,
        "others end"
    );
    assert_eq!(
        app.browser().log_in("", "ann.lee", PASSWORD).await.status,
        401
    );
    assert_eq!(
        app.browser()
            .log_in("", "ann.lee", NEW_PASSWORD)
            .await
            .status,
        303
    );
    let mails = mailbox::wait_for_mail(&app.mail_dir(), "ann@example.org", 1).await;
    assert!(!mails.is_empty(), "a notice");
}

#[tokio::test]
async fn changing_the_email_needs_the_password_and_takes_effect_from_the_link() {
    let app = TestApp::spawn_with(fast).await;
    ann(&app).await;
    let browser = app.browser();
    assert_eq!(browser.log_in("", "ann.lee", PASSWORD).await.status, 303);
    assert!(
        browser
            .open("/account")
            .await
            .contains("href=\"/account/email\"")
    );
    let form = browser.open("/account/email").await;
    assert_eq!(form.status, 200, "{}", form.body);
    assert_eq!(form.h1(), "Change your email address");

    let wrong = browser
        .submit_on(
            &form,
            "/account/email",
            &[
                ("email", "ann@new.example"),
                ("current_password", "nope nope"),
            ],
        )
        .await;
    assert_eq!(wrong.status, 401, "{}", wrong.body);
    assert!(wrong.contains("Your password is not right."));
    assert_eq!(
        wrong.input_value("email").as_deref(),
        Some("ann@new.example")
    );

    let bad = browser
        .submit_on(
            &form,
            "/account/email",
            &[("email", "not an address"), ("current_password", PASSWORD)],
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert!(bad.contains("id=\"f-email-error\""), "{}", bad.body);

    let sent = browser
        .submit_on(
            &form,
            "/account/email",
            &[("email", "ann@new.example"), ("current_password", PASSWORD)],
        )
        .await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    assert_eq!(sent.h1(), "Check your new inbox");

    let mails = mailbox::wait_for_mail(&app.mail_dir(), "ann@new.example", 1).await;
    let prefix = format!("{}/confirm-email/", app.state.settings.issuer());
    let link = mails[0].link(&prefix).expect("a confirmation link");
    let reader = app.browser();
    let confirm = reader.open(&link).await;
    assert_eq!(confirm.status, 200, "{}", confirm.body);
    assert_eq!(confirm.h1(), "Confirm your new email address");
    assert!(
        app.account_named("ann.lee").await.email.as_deref() == Some("ann@example.org"),
        "opening the link alone changes nothing"
    );
    let path = link.replace(app.state.settings.issuer(), "");
    let done = reader.submit_on(&confirm, &path, &[]).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(done.h1(), "Email address changed");
    assert_eq!(
        app.account_named("ann.lee").await.email.as_deref(),
        Some("ann@new.example")
    );
    let again = reader.submit_on(&confirm, &path, &[]).await;
    assert_eq!(again.status, 410, "{}", again.body);
}
