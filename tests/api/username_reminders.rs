//! Forgotten usernames: `POST /api/v1/username-reminders` and the `/forgot-username` page. The
//! answer is the same whether or not the address is known; the message lists every username
//! on the address with the first names of the patients each is for (seed 003's shared
//! household address).

use crate::helpers::TestApp;
use crate::helpers_invitations::fast;
use crate::helpers_login::{PASSWORD, patient};
use crate::mailbox;
use chrono::TimeDelta;
use reqwest::{Method, Response};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

impl TestApp {
    /// Anyone: ask for the usernames that use an address.
    pub async fn request_username_reminder(&self, email: &str) -> Response {
        self.call(
            Method::POST,
            "/api/v1/username-reminders",
            None,
            Some(json!({ "email": email })),
        )
        .await
    }

    async fn kind_count(&self, kind: &str) -> usize {
        self.audit_kinds()
            .await
            .iter()
            .filter(|k| *k == kind)
            .count()
    }

    /// Waits (in real time, for the background task) until `kind` was audited `n` times.
    async fn wait_for_audit(&self, kind: &str, n: usize) {
        for _ in 0..200 {
            if self.kind_count(kind).await >= n {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!("{kind} was not audited {n} times");
    }
}

/// The Lees share lee@example.org: Ann and Bob have their own accounts, and their parent's
/// account is for the twins Sam and Mia.
async fn household(app: &TestApp) -> String {
    let (_, key) = app
        .create_practice("smith", "Smith Clinic", "555-0100")
        .await;
    app.seed_portal_account(
        &key,
        patient("Ann", "Lee", "lee@example.org"),
        "ann.lee",
        PASSWORD,
        "self",
    )
    .await;
    app.seed_portal_account(
        &key,
        patient("Bob", "Lee", "lee@example.org"),
        "bob.lee",
        PASSWORD,
        "self",
    )
    .await;
    let pat = app
        .seed_portal_account(
            &key,
            json!({"first_name": "Sam", "last_name": "Lee", "date_of_birth": "2018-03-01"}),
            "pat.lee",
            PASSWORD,
            "parent",
        )
        .await;
    app.seed_portal_account(
        &key,
        json!({"first_name": "Mia", "last_name": "Lee", "date_of_birth": "2018-03-01"}),
        "pat.lee",
        PASSWORD,
        "parent",
    )
    .await;
    use portico::store::entities::account;
    account::Entity::update_many()
        .col_expr(account::Column::Email, Expr::value("lee@example.org"))
        .col_expr(account::Column::EmailFolded, Expr::value("lee@example.org"))
        .filter(account::Column::Id.eq(pat.account_id))
        .exec(&app.state.db)
        .await
        .unwrap();
    key
}

#[tokio::test]
async fn username_reminder_lists_every_username_on_a_shared_household_address() {
    let app = TestApp::spawn_with(fast).await;
    household(&app).await;

    let r = app.request_username_reminder("Lee@Example.org").await;
    assert_eq!(r.status(), 202);
    let mails = mailbox::wait_for_mail(&app.mail_dir(), "lee@example.org", 1).await;
    let text = &mails[0].text;
    assert!(text.contains("ann.lee (for Ann)"), "{text}");
    assert!(text.contains("bob.lee (for Bob)"), "{text}");
    assert!(text.contains("pat.lee (for Sam, Mia)"), "{text}");
    // First names only: no last name, birth date or practice.
    assert!(!text.contains("2018"), "{text}");
    assert!(!text.contains("Smith Clinic"), "{text}");
    assert!(
        !text.contains("Lee,") && !text.contains("Ann Lee"),
        "{text}"
    );

    // The patient follows the link in the message and logs in with a username from it.
    let login_link = mails[0]
        .link(&format!("{}/login", app.state.settings.issuer()))
        .expect("a log-in link");
    let browser = app.browser();
    let page = browser.open(&login_link).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let done = browser.log_in("", "bob.lee", PASSWORD).await;
    assert!(done.status == 303 || done.status == 200, "{}", done.body);
}

#[tokio::test]
async fn username_reminder_for_unknown_email_answers_the_same() {
    let app = TestApp::spawn_with(fast).await;
    household(&app).await;

    let mut known_times = Vec::new();
    let mut unknown_times = Vec::new();
    let mut bodies = Vec::new();
    for _ in 0..3 {
        for (email, times) in [
            ("lee@example.org", &mut known_times),
            ("nobody@example.org", &mut unknown_times),
        ] {
            let started = std::time::Instant::now();
            let r = app.request_username_reminder(email).await;
            times.push(started.elapsed());
            let status = r.status().as_u16();
            bodies.push((status, r.text().await.unwrap()));
        }
    }
    assert!(bodies.iter().all(|b| *b == bodies[0]), "{bodies:?}");
    assert_eq!(bodies[0].0, 202);
    // The work happens after the answer: neither kind of request waits for it.
    for t in known_times.iter().chain(&unknown_times) {
        assert!(t.as_millis() < 1000, "{t:?}");
    }
    app.wait_for_audit("username_reminder.requested", 3).await;
    mailbox::wait_for_mail(&app.mail_dir(), "lee@example.org", 3).await;
    assert!(
        mailbox::all_mail(&app.mail_dir())
            .iter()
            .all(|m| m.to == "lee@example.org"),
        "nothing goes to an address without an account"
    );
}

#[tokio::test]
async fn username_reminders_are_throttled_like_password_resets() {
    let app = TestApp::spawn_with(fast).await;
    household(&app).await;
    for n in 1..=3 {
        app.request_username_reminder("lee@example.org").await;
        mailbox::wait_for_mail(&app.mail_dir(), "lee@example.org", n).await;
    }
    assert_eq!(
        app.request_username_reminder("lee@example.org")
            .await
            .status(),
        202
    );
    // Three accounts on the address: each is throttled.
    app.wait_for_audit("username_reminder.throttled", 3).await;
    assert_eq!(mailbox::all_mail(&app.mail_dir()).len(), 3);
    app.clock.advance(TimeDelta::minutes(61));
    app.request_username_reminder("lee@example.org").await;
    mailbox::wait_for_mail(&app.mail_dir(), "lee@example.org", 4).await;
}

#[tokio::test]
async fn forgot_username_page_is_linked_from_login_and_answers_the_same() {
    let app = TestApp::spawn_with(fast).await;
    household(&app).await;
    let browser = app.browser();
    let login = browser.open("/login").await;
    assert!(
        login.contains("href=\"/forgot-username\""),
        "{}",
        login.body
    );
    assert!(login.contains("href=\"/reset-password\""));

    let form = browser.open("/forgot-username").await;
    assert_eq!(form.status, 200, "{}", form.body);
    assert_eq!(form.h1(), "Find your username");
    let blank = browser
        .fill_and_submit("/forgot-username", &[("email_or_mobile", " ")])
        .await;
    assert_eq!(blank.status, 422, "{}", blank.body);

    let known = browser
        .fill_and_submit(
            "/forgot-username",
            &[("email_or_mobile", "lee@example.org")],
        )
        .await;
    let unknown = browser
        .fill_and_submit(
            "/forgot-username",
            &[("email_or_mobile", "nobody@example.org")],
        )
        .await;
    assert_eq!(known.status, 200, "{}", known.body);
    assert_eq!(known.h1(), "Check your messages");
    assert_eq!((unknown.status, unknown.body), (known.status, known.body));
    let mails = mailbox::wait_for_mail(&app.mail_dir(), "lee@example.org", 1).await;
    assert!(mails[0].text.contains("ann.lee"), "{}", mails[0].text);
}

#[tokio::test]
async fn username_reminder_requests_sent_at_once_send_no_more_than_the_same_requests_in_a_row() {
    let app = TestApp::spawn_with(fast).await;
    household(&app).await;
    futures_util::future::join_all(
        (0..6).map(|_| app.request_username_reminder("lee@example.org")),
    )
    .await;
    // Three accounts on the address, each throttled after three: 3 × 3 refusals.
    app.wait_for_audit("username_reminder.throttled", 9).await;
    app.wait_for_audit("username_reminder.sent", 9).await;
    assert_eq!(app.kind_count("username_reminder.sent").await, 9);
    mailbox::wait_for_mail(&app.mail_dir(), "lee@example.org", 3).await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(mailbox::all_mail(&app.mail_dir()).len(), 3);
}
