//! Invitations delivered by email (folder and real SMTP) and SMS, followed and redeemed as a
//! patient would (seeds 001, 004).

use crate::helpers::{TestApp, assert_problem, test_epoch};
use crate::helpers_invitations::{PASSWORD, ann, fast, new_account, token_of};
use crate::mailbox::{self, parse_eml};
use crate::smtp_sink::{Reply, SmtpSink};
use chrono::{DateTime, TimeDelta, Utc};
use portico::config::Secret;
use serde_json::{Value, json};
use std::time::Duration;

fn instant(v: &Value) -> DateTime<Utc> {
    v.as_str().unwrap().parse().unwrap()
}

/// Waits (in real time, for the worker) until the newest invitation shows `delivery`.
async fn wait_for_delivery(app: &TestApp, key: &str, patient_id: &str, delivery: &str) -> Value {
    for _ in 0..200 {
        let list: Vec<Value> = app
            .list_invitations(key, patient_id)
            .await
            .json()
            .await
            .unwrap();
        if list[0]["delivery"] == delivery {
            return list[0].clone();
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("invitation never reached delivery {delivery}");
}

#[tokio::test]
async fn patient_follows_the_emailed_link_and_registers_within_72_hours_seed_004() {
    let app = TestApp::spawn_with(fast).await;
    let (_, key) = app
        .create_practice("smith-family-clinic", "Smith Family Clinic", "555-0100")
        .await;
    let patient = app.create_patient(&key, ann()).await;
    let pid = patient["id"].as_str().unwrap();

    let sent = app.invite_self(&key, pid, "email").await;
    assert_eq!(sent["channel"], "email");
    assert_eq!(sent["relation"], "self");
    assert_eq!(sent["delivery"], "pending", "queued, not sent inline");
    assert_eq!(
        instant(&sent["expires_at"]),
        test_epoch() + TimeDelta::hours(72)
    );
    // Seed 004: "A date and timestamp will display indicating when the registration was sent."
    let access = app.access_of(&key, pid).await;
    assert_eq!(access.len(), 1);
    assert_eq!(access[0]["status"], "invited");
    assert_eq!(instant(&access[0]["invited_at"]), test_epoch());
    assert!(access[0]["account_id"].is_null());

    // What the patient receives.
    let (mail, link) = app.invitation_mail("ann@example.org", 1).await;
    assert!(
        mail.subject.contains("Smith Family Clinic"),
        "{}",
        mail.subject
    );
    assert!(mail.text.contains("Hello Ann,"), "{}", mail.text);
    assert!(mail.text.contains("valid for 72 hours"), "{}", mail.text);
    assert!(mail.html.contains("Smith Family Clinic") && mail.html.contains(&link));
    assert!(
        !mail.text.contains("1990"),
        "no date of birth in the message"
    );

    // The link says what it is for, and nothing more.
    let token = token_of(&link);
    let r = app.open_invitation(&token).await;
    assert_eq!(r.status(), 200);
    let preview: Value = r.json().await.unwrap();
    assert_eq!(
        preview,
        json!({
            "practice": {"slug": "smith-family-clinic", "name": "Smith Family Clinic"},
            "patient_first_name": "Ann",
            "relation": "self",
            "expires_at": sent["expires_at"],
            "account_modes": ["new", "existing"],
        })
    );

    app.clock.advance(TimeDelta::hours(5));
    let r = app
        .redeem_invitation(&token, new_account("ann.lee", "1990-04-01"))
        .await;
    assert_eq!(r.status(), 201);
    let redeemed: Value = r.json().await.unwrap();
    assert_eq!(redeemed["username"], "ann.lee");
    assert_eq!(redeemed["status"], "active");
    assert_eq!(redeemed["relation"], "self");
    assert_eq!(redeemed["practice"]["slug"], "smith-family-clinic");

    // Seed 004: "a message will display indicating the patient has successfully registered".
    let access = app.access_of(&key, pid).await;
    assert_eq!(access.len(), 1, "the invited access became active");
    assert_eq!(access[0]["status"], "active");
    assert_eq!(access[0]["username"], "ann.lee");
    assert_eq!(access[0]["account_id"], redeemed["account_id"]);
    assert_eq!(
        instant(&access[0]["registered_at"]),
        test_epoch() + TimeDelta::hours(5)
    );
    let account = app.account_named("ann.lee").await;
    assert!(account.password_hash.starts_with("$argon2id$"));
    assert_eq!(account.email.as_deref(), Some("ann@example.org"));
    assert!(
        account.email_verified_at.is_some(),
        "following the emailed link proves the address"
    );

    let listed: Vec<Value> = app.list_invitations(&key, pid).await.json().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["status"], "used");
    assert_eq!(listed[0]["delivery"], "sent");
    assert_eq!(listed[0]["sent_to"], "ann@example.org");

    let kinds = app.audit_kinds().await;
    assert!(kinds.contains(&"invitation.sent".to_owned()), "{kinds:?}");
    assert!(
        kinds.contains(&"invitation.redeemed".to_owned()),
        "{kinds:?}"
    );
    let redeemed_row = app
        .audit_rows()
        .await
        .into_iter()
        .find(|r| r.kind == "invitation.redeemed")
        .unwrap();
    assert_eq!(redeemed_row.actor_kind, "account");
    assert_eq!(
        redeemed_row.account_id.map(|a| a.to_string()),
        redeemed["account_id"].as_str().map(str::to_owned)
    );

    // Used once, then never again.
    let again = app
        .redeem_invitation(&token, new_account("someone.else", "1990-04-01"))
        .await;
    assert_problem(again, 410, "invitation_used").await;
}

#[tokio::test]
async fn invitation_delivered_over_real_smtp_is_followed_and_redeemed() {
    let sink = SmtpSink::start().await;
    let url = sink.url();
    let app = TestApp::spawn_with(move |s| {
        fast(s);
        s.smtp_url = Some(Secret::new(url));
    })
    .await;
    let (_, key) = app
        .create_practice("smith", "Smith Family Clinic", "555-0100")
        .await;
    let patient = app.create_patient(&key, ann()).await;
    let pid = patient["id"].as_str().unwrap();
    app.invite_self(&key, pid, "email").await;

    let delivered = wait_for_delivery(&app, &key, pid, "sent").await;
    let got = sink.messages();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].to, ["ann@example.org"]);
    let mail = parse_eml(&got[0].data);
    assert!(mail.subject.contains("Smith Family Clinic"));
    assert!(!mail.html.is_empty(), "an HTML part too");
    let link = mail.link(&app.invite_prefix()).expect("a link to follow");
    assert_eq!(delivered["delivery_error"], Value::Null);

    let token = token_of(&link);
    assert_eq!(app.open_invitation(&token).await.status(), 200);
    let r = app
        .redeem_invitation(&token, new_account("ann.lee", "1990-04-01"))
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    assert_eq!(app.access_of(&key, pid).await[0]["status"], "active");
}

#[tokio::test]
async fn sms_invitation_goes_to_the_mobile_on_file_and_its_link_works_seed_004() {
    let app = TestApp::spawn_with(fast).await;
    let (_, key) = app
        .create_practice("smith", "Smith Family Clinic", "555-0100")
        .await;
    let patient = app.create_patient(&key, ann()).await;
    let pid = patient["id"].as_str().unwrap();
    let sent = app.invite_self(&key, pid, "sms").await;
    assert_eq!(sent["channel"], "sms");

    let texts = mailbox::wait_for_sms(&app.sms_dir(), "+15550100123", 1).await;
    let body = &texts[0].body;
    assert!(body.starts_with("Smith Family Clinic: "), "{body}");
    assert!(body.contains("valid 72 hours"), "{body}");
    let link = mailbox::links(body)
        .into_iter()
        .find(|l| l.starts_with(&app.invite_prefix()))
        .expect("a link in the SMS");
    assert!(
        mailbox::all_mail(&app.mail_dir()).is_empty(),
        "SMS only, no email"
    );

    let token = token_of(&link);
    let preview: Value = app.open_invitation(&token).await.json().await.unwrap();
    assert_eq!(preview["patient_first_name"], "Ann");
    let r = app
        .redeem_invitation(&token, new_account("ann.lee", "1990-04-01"))
        .await;
    assert_eq!(r.status(), 201);
    let account = app.account_named("ann.lee").await;
    assert!(
        account.email_verified_at.is_none(),
        "a text message proves nothing about the email address"
    );
    let listed: Vec<Value> = app.list_invitations(&key, pid).await.json().await.unwrap();
    assert_eq!(listed[0]["sent_to"], "+15550100123");
}

#[tokio::test]
async fn staff_see_an_invitation_the_mail_server_refused_as_failed() {
    let sink = SmtpSink::start().await;
    sink.set_reply(Reply::Permanent);
    let url = sink.url();
    let app = TestApp::spawn_with(move |s| {
        fast(s);
        s.smtp_url = Some(Secret::new(url));
    })
    .await;
    let (_, key) = app.create_practice("smith", "Smith", "555-0100").await;
    let patient = app.create_patient(&key, ann()).await;
    let pid = patient["id"].as_str().unwrap();
    let sent = app.invite_self(&key, pid, "email").await;
    assert_eq!(sent["delivery"], "pending");

    let failed = wait_for_delivery(&app, &key, pid, "failed").await;
    assert!(
        failed["delivery_error"].as_str().unwrap().contains("550"),
        "{failed}"
    );
    assert_eq!(
        failed["status"], "pending",
        "the link itself is still valid"
    );

    // Sending again (after fixing the address) goes out.
    sink.set_reply(Reply::Accept);
    app.invite_self(&key, pid, "email").await;
    wait_for_delivery(&app, &key, pid, "sent").await;
    assert_eq!(sink.messages().len(), 1);
}

#[tokio::test]
async fn password_shorter_than_the_policy_is_refused_and_the_link_still_works() {
    let app = TestApp::spawn_with(fast).await;
    let (_, key) = app.create_practice("smith", "Smith", "555-0100").await;
    let patient = app.create_patient(&key, ann()).await;
    let pid = patient["id"].as_str().unwrap();
    app.invite_self(&key, pid, "email").await;
    let (_, link) = app.invitation_mail("ann@example.org", 1).await;
    let token = token_of(&link);
    let mut body = new_account("ann.lee", "1990-04-01");
    body["password"] = json!("fourteen chars");
    assert_problem(
        app.redeem_invitation(&token, body).await,
        422,
        "weak_password",
    )
    .await;
    assert_eq!(app.account_count().await, 0);
    let mut body = new_account("ann.lee", "1990-04-01");
    body["password"] = json!(PASSWORD);
    assert_eq!(app.redeem_invitation(&token, body).await.status(), 201);
}

#[tokio::test]
async fn invitation_sent_while_the_mail_server_is_down_arrives_once_when_it_is_back() {
    let mut sink = SmtpSink::start().await;
    let port = sink.port;
    sink.stop();
    let url = sink.url();
    let app = TestApp::spawn_with(move |s| {
        fast(s);
        s.smtp_url = Some(Secret::new(url));
    })
    .await;
    let (_, key) = app.create_practice("smith", "Smith", "555-0100").await;
    let patient = app.create_patient(&key, ann()).await;
    let pid = patient["id"].as_str().unwrap();

    // The request never fails because the mail server is down.
    let sent = app.invite_self(&key, pid, "email").await;
    assert_eq!(sent["delivery"], "pending");
    let mut tried = Value::Null;
    for _ in 0..200 {
        let list: Vec<Value> = app.list_invitations(&key, pid).await.json().await.unwrap();
        if list[0]["delivery_error"].is_string() {
            tried = list[0].clone();
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(tried["delivery"], "pending", "delayed, not lost: {tried}");

    let sink = SmtpSink::start_on(port).await;
    app.clock.advance(TimeDelta::minutes(5));
    app.state.outbox_wakeup.notify_one();
    wait_for_delivery(&app, &key, pid, "sent").await;
    app.clock.advance(TimeDelta::hours(6));
    app.state.outbox_wakeup.notify_one();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let got = sink.messages();
    assert_eq!(got.len(), 1, "delivered exactly once");

    let link = parse_eml(&got[0].data).link(&app.invite_prefix()).unwrap();
    let r = app
        .redeem_invitation(&token_of(&link), new_account("ann.lee", "1990-04-01"))
        .await;
    assert_eq!(r.status(), 201, "the link still works after the delay");
}
