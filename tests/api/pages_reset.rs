//! The password reset pages: asking for a link (`/reset-password`, the same answer whether or
//! not an account matched) and the emailed link (`/reset-password/{token}`).

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
async fn asking_for_a_link_answers_the_same_whether_or_not_an_account_matches() {
    let app = TestApp::spawn_with(fast).await;
    ann(&app).await;
    let browser = app.browser();

    let login = browser.open("/login").await;
    assert!(
        login.contains("href=\"/reset-password\""),
        "linked from the login page"
    );
    let form = browser.open("/reset-password").await;
    assert_eq!(form.status, 200, "{}", form.body);
    assert_eq!(form.h1(), "Reset your password");

    let blank = browser
        .fill_and_submit("/reset-password", &[("identifier", "  ")])
        .await;
    assert_eq!(blank.status, 422, "{}", blank.body);
    assert!(blank.contains("Enter your username, email address or mobile number."));

    let known = browser
        .fill_and_submit("/reset-password", &[("identifier", "Ann.Lee")])
        .await;
    let unknown = browser
        .fill_and_submit("/reset-password", &[("identifier", "nobody@example.org")])
        .await;
    assert_eq!(known.status, 200, "{}", known.body);
    assert_eq!(known.h1(), "Check your messages");
    assert_eq!((unknown.status, unknown.body), (known.status, known.body));

    let mails = mailbox::wait_for_mail(&app.mail_dir(), "ann@example.org", 1).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(
        mailbox::all_mail(&app.mail_dir()).len(),
        1,
        "none for nobody"
    );
}

#[tokio::test]
async fn the_emailed_link_sets_a_new_password_once_and_logs_out_everywhere() {
    let app = TestApp::spawn_with(fast).await;
    ann(&app).await;
    let logged_in = app.browser();
    assert_eq!(logged_in.log_in("", "ann.lee", PASSWORD).await.status, 303);

    let browser = app.browser();
    browser
        .fill_and_submit("/reset-password", &[("identifier", "ann@example.org")])
        .await;
    let (_, tokens) = app.reset_mail("ann@example.org", 1).await;
    let path = format!("/reset-password/{}", tokens[0]);

    let form = browser.open(&path).await;
    assert_eq!(form.status, 200, "{}", form.body);
    assert_eq!(form.h1(), "Choose a new password");

    let mismatch = browser
        .fill_and_submit(
            &path,
            &[("password", NEW_PASSWORD), ("password_confirm", "other")],
        )
        .await;
    assert_eq!(mismatch.status, 422, "{}", mismatch.body);
    assert!(mismatch.contains("The passwords do not match."));

    // The policy's message is tied to the field, and the link still works after it.
    let weak = browser
        .fill_and_submit(
            &path,
            &[
                ("password", "password1234567"),
                ("password_confirm", "password1234567"),
            ],
        )
        .await;
    assert_eq!(weak.status, 422, "{}", weak.body);
    assert!(weak.contains("id=\"f-password-error\""), "{}", weak.body);

    let done = browser
        .fill_and_submit(
            &path,
            &[
                ("password", NEW_PASSWORD),
                ("password_confirm", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(done.h1(), "You can log in with your new password");

    // The other browser's session ended; the link is spent; the new password works.
    assert_eq!(logged_in.open("/account").await.status, 303);
    let again = browser.open(&path).await;
    assert_eq!(again.status, 410, "{}", again.body);
    assert_eq!(again.h1(), "This link does not work any more");
    assert_eq!(browser.log_in("", "ann.lee", PASSWORD).await.status, 401);
    assert_eq!(
        browser.log_in("", "ann.lee", NEW_PASSWORD).await.status,
        303
    );
}

#[tokio::test]
async fn an_unknown_link_says_to_ask_for_a_new_one() {
    let app = TestApp::spawn().await;
    let page = app.browser().open("/reset-password/not-a-token").await;
    assert_eq!(page.status, 410, "{}", page.body);
    assert!(
        page.contains("href=\"&#x2f;reset-password\""),
        "{}",
        page.body
    );
}
