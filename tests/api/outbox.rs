//! Delivery through the outbox: to a folder, over real SMTP, through outages.

use crate::helpers::TestApp;
use crate::smtp_sink::{Reply, SmtpSink};
use chrono::TimeDelta;
use portico::config::Secret;
use portico::mail::compose::{Email, sms};
use portico::store::entities::outbox as row;
use portico::store::outbox::{self, FAILED, SENT};
use sea_orm::EntityTrait;
use std::time::Duration;
use uuid::Uuid;

async fn queue_email(app: &TestApp, to: &str) -> Uuid {
    let (practice_id, _) = app
        .create_practice(
            &format!("p{}", Uuid::new_v4().simple()),
            "Smith Family Clinic",
            "555-0100",
        )
        .await;
    let msg = Email::new("Hello")
        .para("Hello Ann,")
        .action(
            "Open the portal",
            format!("{}/login", app.state.settings.issuer()),
        )
        .render("test", to, Some("Smith Family Clinic"));
    let id = outbox::enqueue(&app.state.db, Some(practice_id), msg, app.clock_now())
        .await
        .unwrap();
    app.state.outbox_wakeup.notify_one();
    id
}

async fn status_of(app: &TestApp, id: Uuid) -> row::Model {
    row::Entity::find_by_id(id)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
}

/// Waits (in real time, for the worker) until the row reaches `status`.
async fn wait_for_status(app: &TestApp, id: Uuid, status: &str) -> row::Model {
    for _ in 0..200 {
        let r = status_of(app, id).await;
        if r.status == status {
            return r;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!(
        "outbox row {id} never reached {status}: {:?}",
        status_of(app, id).await
    );
}

/// Waits until the worker has recorded a failed attempt whose error mentions `needle`.
async fn wait_for_error(app: &TestApp, id: Uuid, attempts: i32, needle: &str) -> row::Model {
    for _ in 0..200 {
        let r = status_of(app, id).await;
        if r.attempts == attempts && r.last_error.as_deref().is_some_and(|e| e.contains(needle)) {
            return r;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!(
        "outbox row {id} never failed attempt {attempts} with {needle}: {:?}",
        status_of(app, id).await
    );
}

fn fast(s: &mut portico::config::Settings) {
    s.outbox_poll_ms = 20;
}

#[tokio::test]
async fn email_goes_to_the_mail_folder_with_text_and_html_parts() {
    let app = TestApp::spawn_with(fast).await;
    let id = queue_email(&app, "ann@example.org").await;
    let sent = wait_for_status(&app, id, SENT).await;
    assert_eq!(sent.body_text, "", "bodies are wiped once sent");
    assert!(sent.body_html.is_none());
    let mails = crate::mailbox::wait_for_mail(&app.mail_dir(), "ann@example.org", 1).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].subject, "Hello");
    assert!(mails[0].text.contains("Hello Ann,") && mails[0].html.contains("<p"));
    assert!(
        mails[0]
            .link(&format!("{}/login", app.state.settings.issuer()))
            .is_some()
    );
    let eml = mails[0].raw.clone();
    assert!(eml.contains("To: ann@example.org"), "{eml}");
    assert!(
        eml.contains("From: \"Smith Family Clinic\" <no-reply@localhost>")
            || eml.contains("From: Smith Family Clinic <no-reply@localhost>"),
        "{eml}"
    );
    assert!(eml.contains("multipart/alternative"));
    assert!(eml.contains("text/plain") && eml.contains("text/html"));
    assert!(
        eml.contains(&format!("Message-ID: <{id}@localhost>")),
        "{eml}"
    );
}

#[tokio::test]
async fn sms_goes_to_the_sms_folder() {
    let app = TestApp::spawn_with(fast).await;
    let msg = sms(
        "test",
        "+15550100123",
        "Smith Family Clinic",
        "Your code is ready.",
    );
    let id = outbox::enqueue(&app.state.db, None, msg, app.clock_now())
        .await
        .unwrap();
    wait_for_status(&app, id, SENT).await;
    let body: serde_json::Value = serde_json::from_slice(
        &std::fs::read(app.dir.path().join("sms").join(format!("{id}.json"))).unwrap(),
    )
    .unwrap();
    assert_eq!(body["to"], "+15550100123");
    assert_eq!(body["body"], "Smith Family Clinic: Your code is ready.");
}

#[tokio::test]
async fn email_is_delivered_over_real_smtp() {
    let sink = SmtpSink::start().await;
    let url = sink.url();
    let app = TestApp::spawn_with(move |s| {
        fast(s);
        s.smtp_url = Some(Secret::new(url));
    })
    .await;
    let id = queue_email(&app, "ann@example.org").await;
    wait_for_status(&app, id, SENT).await;
    let got = sink.messages();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].to, ["ann@example.org"]);
    assert!(got[0].data.contains("Subject: Hello"));
    assert!(
        !std::path::Path::new(&app.mail_dir()).exists(),
        "SMTP replaces the folder"
    );
}

#[tokio::test]
async fn smtp_down_then_up_delivers_exactly_once_and_loses_nothing() {
    let mut sink = SmtpSink::start().await;
    let port = sink.port;
    sink.stop();
    let url = sink.url();
    let app = TestApp::spawn_with(move |s| {
        fast(s);
        s.smtp_url = Some(Secret::new(url));
    })
    .await;
    let id = queue_email(&app, "ann@example.org").await;

    // The server is down: the attempt fails, the row stays pending with the error recorded.
    let failed = wait_for_error(&app, id, 1, "SMTP").await;
    assert_eq!(failed.status, "pending");
    assert!(
        failed.next_attempt_at > app.clock_now(),
        "retry is scheduled later"
    );

    // A temporary refusal is also retried.
    let sink = SmtpSink::start_on(port).await;
    sink.set_reply(Reply::Temporary);
    app.clock.advance(TimeDelta::minutes(5));
    app.state.outbox_wakeup.notify_one();
    wait_for_error(&app, id, 2, "451").await;
    assert_eq!(status_of(&app, id).await.status, "pending");
    assert!(sink.messages().is_empty());

    // Back up: delivered once, and never again.
    sink.set_reply(Reply::Accept);
    app.clock.advance(TimeDelta::minutes(10));
    app.state.outbox_wakeup.notify_one();
    let sent = wait_for_status(&app, id, SENT).await;
    assert_eq!(sent.attempts, 3);
    app.clock.advance(TimeDelta::hours(6));
    app.state.outbox_wakeup.notify_one();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(sink.messages().len(), 1, "exactly once");
}

#[tokio::test]
async fn permanent_refusal_marks_the_message_failed_and_visible() {
    let sink = SmtpSink::start().await;
    sink.set_reply(Reply::Permanent);
    let url = sink.url();
    let app = TestApp::spawn_with(move |s| {
        fast(s);
        s.smtp_url = Some(Secret::new(url));
    })
    .await;
    let id = queue_email(&app, "nobody@example.org").await;
    let failed = wait_for_status(&app, id, FAILED).await;
    assert_eq!(failed.attempts, 1, "a 5xx is not retried");
    assert!(failed.last_error.unwrap().contains("550"));
    let listed = outbox::list(&app.state.db, Some(FAILED), 10).await.unwrap();
    assert_eq!(listed.len(), 1);

    // An operator retries it once the address is fixed upstream.
    sink.set_reply(Reply::Accept);
    assert!(
        outbox::retry(&app.state.db, id, app.clock_now())
            .await
            .unwrap()
    );
    app.state.outbox_wakeup.notify_one();
    wait_for_status(&app, id, SENT).await;
    assert_eq!(sink.messages().len(), 1);
}
