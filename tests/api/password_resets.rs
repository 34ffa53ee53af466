//! Password reset by emailed link, and the signed-in account's own password change: same
//! answer for known and unknown names, single-use 30-minute links, one message naming each
//! username on a shared address, sessions ended, notices sent, the policy applied.

use crate::helpers::{TestApp, assert_problem};
use crate::helpers_invitations::fast;
use crate::helpers_login::{PASSWORD, patient};
use crate::helpers_security::{status_and_body, str_of};
use crate::mailbox;
use chrono::TimeDelta;
use serde_json::Value;

const NEW_PASSWORD: &str = "a brand new passphrase for me";

#[tokio::test]
async fn reset_request_answers_the_same_for_known_and_unknown_names_and_addresses() {
    let app = TestApp::spawn_with(fast).await;
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
    let known = status_and_body(app.request_reset("ann.lee").await).await;
    let unknown = status_and_body(app.request_reset("nobody.here").await).await;
    let known_email = status_and_body(app.request_reset("ANN@example.org").await).await;
    let unknown_email = status_and_body(app.request_reset("nobody@example.org").await).await;
    assert_eq!(known.0, 202);
    assert_eq!(known, unknown);
    assert_eq!(known, known_email);
    assert_eq!(known, unknown_email);
    // Both known requests sent a link; nothing went anywhere else.
    app.reset_mail("ann@example.org", 2).await;
    assert!(
        mailbox::all_mail(&app.mail_dir())
            .iter()
            .all(|m| m.to == "ann@example.org")
    );
}

#[tokio::test]
async fn reset_link_sets_the_password_once_ends_sessions_and_sends_a_notice() {
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
    let tokens = app.login_tokens(&ann, None).await;

    assert_eq!(app.request_reset("Ann.Lee").await.status(), 202);
    let (mail, links) = app.reset_mail("ann@example.org", 1).await;
    assert_eq!(links.len(), 1, "{}", mail.text);
    assert!(mail.text.contains("ann.lee"));
    assert!(mail.text.contains("30 minutes"));
    let token = &links[0];

    // The policy applies, and a refused password does not spend the link.
    let weak = assert_problem(
        app.complete_reset(token, "password1234567").await,
        422,
        "weak_password",
    )
    .await;
    assert!(str_of(&weak, "detail").contains("common"), "{weak}");
    assert_problem(
        app.complete_reset(token, "ann.lee is my password").await,
        422,
        "weak_password",
    )
    .await;

    assert_eq!(app.complete_reset(token, NEW_PASSWORD).await.status(), 204);
    assert_problem(
        app.complete_reset(token, "another new passphrase").await,
        410,
        "token_invalid",
    )
    .await;

    // Every session ended: the refresh token and the access token stop working.
    assert_problem(
        app.refresh(&str_of(&tokens, "refresh_token")).await,
        400,
        "invalid_grant",
    )
    .await;
    assert_eq!(app.me(&str_of(&tokens, "access_token")).await.status(), 401);
    // The old password no longer works; the new one does.
    assert_problem(
        app.login("ann.lee", PASSWORD, None).await,
        401,
        "invalid_credentials",
    )
    .await;
    assert_eq!(app.login("ann.lee", NEW_PASSWORD, None).await.status(), 200);

    let notices = mailbox::wait_for_mail(&app.mail_dir(), "ann@example.org", 2).await;
    assert!(
        notices[1].subject.contains("password was changed"),
        "{}",
        notices[1].subject
    );
    assert!(!notices[1].text.contains(NEW_PASSWORD));
    let kinds = app.audit_kinds().await;
    assert!(kinds.contains(&"password_reset.requested".to_owned()));
    assert!(kinds.contains(&"password.changed".to_owned()));
}

#[tokio::test]
async fn reset_link_expires_after_thirty_minutes_and_unknown_links_are_refused() {
    let app = TestApp::spawn_with(fast).await;
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
    app.request_reset("ann.lee").await;
    let (_, links) = app.reset_mail("ann@example.org", 1).await;
    app.clock
        .advance(TimeDelta::minutes(30) + TimeDelta::seconds(1));
    assert_problem(
        app.complete_reset(&links[0], NEW_PASSWORD).await,
        410,
        "token_invalid",
    )
    .await;
    assert_problem(
        app.complete_reset("not-a-token", NEW_PASSWORD).await,
        410,
        "token_invalid",
    )
    .await;
    assert_eq!(app.login("ann.lee", PASSWORD, None).await.status(), 200);
}

#[tokio::test]
async fn a_shared_address_gets_one_message_naming_each_username_with_its_own_link() {
    let app = TestApp::spawn_with(fast).await;
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
    assert_eq!(app.request_reset("lee@example.org").await.status(), 202);
    let (mail, links) = app.reset_mail("lee@example.org", 1).await;
    assert_eq!(links.len(), 2, "{}", mail.text);
    assert_ne!(links[0], links[1]);
    assert!(
        mail.text.contains("ann.lee:") && mail.text.contains("bob.lee:"),
        "{}",
        mail.text
    );
    // Bob's link resets Bob's password only.
    let bob_link = mailbox::links(&mail.text)
        .into_iter()
        .position(|l| mail.text.contains(&format!("bob.lee: {l}")))
        .unwrap();
    assert_eq!(
        app.complete_reset(&links[bob_link], NEW_PASSWORD)
            .await
            .status(),
        204
    );
    assert_eq!(app.login("bob.lee", NEW_PASSWORD, None).await.status(), 200);
    assert_eq!(app.login("ann.lee", PASSWORD, None).await.status(), 200);
}

#[tokio::test]
async fn changing_my_password_needs_the_current_one_and_ends_my_other_sessions() {
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
    let here = app.login_tokens(&ann, None).await;
    let elsewhere = app.login_tokens(&ann, None).await;
    let at = str_of(&here, "access_token");

    assert_problem(
        app.change_my_password(&at, "wrong password here", NEW_PASSWORD)
            .await,
        401,
        "invalid_credentials",
    )
    .await;
    assert_problem(
        app.change_my_password(&at, PASSWORD, "smith clinic password")
            .await,
        422,
        "weak_password",
    )
    .await;
    assert_eq!(
        app.change_my_password(&at, PASSWORD, NEW_PASSWORD)
            .await
            .status(),
        204
    );

    // This session goes on; the other one ended.
    assert_eq!(app.me(&at).await.status(), 200);
    let body: Value = app
        .refresh(&str_of(&here, "refresh_token"))
        .await
        .json()
        .await
        .unwrap();
    assert!(body["access_token"].is_string(), "{body}");
    assert_problem(
        app.refresh(&str_of(&elsewhere, "refresh_token")).await,
        400,
        "invalid_grant",
    )
    .await;
    assert_eq!(app.login("ann.lee", NEW_PASSWORD, None).await.status(), 200);

    let mails = mailbox::wait_for_mail(&app.mail_dir(), "ann@example.org", 1).await;
    assert!(mails[0].subject.contains("password was changed"));
    let kinds = app.audit_kinds().await;
    assert!(kinds.contains(&"password.reauthentication_failed".to_owned()));
}

#[tokio::test]
async fn at_most_three_reset_links_an_hour_go_to_one_account() {
    let app = TestApp::spawn_with(fast).await;
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
    for n in 1..=3 {
        assert_eq!(app.request_reset("ann.lee").await.status(), 202);
        app.reset_mail("ann@example.org", n).await;
    }
    // The next two are answered the same, and audited, but send nothing.
    for n in 1..=2 {
        assert_eq!(app.request_reset("ann.lee").await.status(), 202);
        let mut throttled = 0;
        for _ in 0..200 {
            throttled = app
                .audit_kinds()
                .await
                .iter()
                .filter(|k| *k == "password_reset.throttled")
                .count();
            if throttled == n {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        assert_eq!(throttled, n);
    }
    assert_eq!(mailbox::all_mail(&app.mail_dir()).len(), 3);
    // An hour later a link goes again.
    app.clock.advance(TimeDelta::minutes(61));
    app.request_reset("ann.lee").await;
    app.reset_mail("ann@example.org", 4).await;
}

async fn seeded_ann(app: &TestApp) {
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

/// Waits (in real time, for the background tasks) until `kind` was audited `n` times.
async fn audited(app: &TestApp, kind: &str, n: usize) -> usize {
    let mut seen = 0;
    for _ in 0..400 {
        seen = app
            .audit_kinds()
            .await
            .iter()
            .filter(|k| *k == kind)
            .count();
        if seen >= n {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    seen
}

#[tokio::test]
async fn a_newer_reset_request_makes_older_links_unusable() {
    let app = TestApp::spawn_with(fast).await;
    seeded_ann(&app).await;
    app.request_reset("ann.lee").await;
    let (_, older) = app.reset_mail("ann@example.org", 1).await;
    app.request_reset("ann@example.org").await;
    let (_, newer) = app.reset_mail("ann@example.org", 2).await;
    assert_problem(
        app.complete_reset(&older[0], NEW_PASSWORD).await,
        410,
        "token_invalid",
    )
    .await;
    assert_eq!(
        app.complete_reset(&newer[0], NEW_PASSWORD).await.status(),
        204
    );
}

#[tokio::test]
async fn guessing_reset_links_is_throttled_per_address_even_when_the_guesses_arrive_at_once() {
    let app = TestApp::spawn_with(fast).await;
    seeded_ann(&app).await;
    app.request_reset("ann.lee").await;
    let (_, links) = app.reset_mail("ann@example.org", 1).await;
    let guesses: Vec<String> = (0..15)
        .map(|_| portico::crypto::secrets::new_token())
        .collect();
    let statuses = futures_util::future::join_all(
        guesses
            .iter()
            .map(|g| async { app.complete_reset(g, NEW_PASSWORD).await.status().as_u16() }),
    )
    .await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 410).count(),
        10,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        5,
        "{statuses:?}"
    );
    // The address waits, for the real link and its page too; then the link works.
    assert_problem(
        app.complete_reset(&links[0], NEW_PASSWORD).await,
        429,
        "rate_limited",
    )
    .await;
    let page = app
        .client
        .get(app.url(&format!("/reset-password/{}", links[0])))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 429);
    app.clock.advance(TimeDelta::seconds(1));
    assert_eq!(
        app.complete_reset(&links[0], NEW_PASSWORD).await.status(),
        204
    );
    assert!(
        app.audit_kinds()
            .await
            .contains(&"password_reset.link_throttled".to_owned())
    );
}

#[tokio::test]
async fn reset_requests_sent_at_once_send_no_more_links_than_the_same_requests_in_a_row() {
    let app = TestApp::spawn_with(fast).await;
    seeded_ann(&app).await;
    let statuses = futures_util::future::join_all(
        (0..8).map(|_| async { app.request_reset("ann.lee").await.status().as_u16() }),
    )
    .await;
    assert!(statuses.iter().all(|s| *s == 202));
    assert_eq!(audited(&app, "password_reset.throttled", 5).await, 5);
    assert_eq!(audited(&app, "password_reset.requested", 3).await, 3);
    app.reset_mail("ann@example.org", 3).await;
    assert_eq!(mailbox::all_mail(&app.mail_dir()).len(), 3);
}

#[tokio::test]
async fn the_same_reset_link_used_by_ten_requests_at_once_sets_the_password_once() {
    let app = TestApp::spawn_with(fast).await;
    seeded_ann(&app).await;
    app.request_reset("ann.lee").await;
    let (_, links) = app.reset_mail("ann@example.org", 1).await;
    let passwords: Vec<String> = (0..10)
        .map(|i| format!("a brand new passphrase number {i}"))
        .collect();
    let statuses = futures_util::future::join_all(passwords.iter().map(|p| {
        let link = &links[0];
        let app = &app;
        async move { app.complete_reset(link, p).await.status().as_u16() }
    }))
    .await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 204).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 410).count(),
        9,
        "{statuses:?}"
    );
    let winner = statuses.iter().position(|s| *s == 204).unwrap();
    // The stored password is the winner's, and only one notice went out.
    assert_eq!(
        app.login("ann.lee", &passwords[winner], None)
            .await
            .status(),
        200
    );
    let changed = audited(&app, "password.changed", 1).await;
    assert_eq!(changed, 1);
    mailbox::wait_for_mail(&app.mail_dir(), "ann@example.org", 2).await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(mailbox::all_mail(&app.mail_dir()).len(), 2);
}
