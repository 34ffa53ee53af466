//! Self sign-up in each of the practice's modes, the emailed confirmation link, and staff
//! enabling a sign-up that was never confirmed (seed 003).

use crate::helpers::{TestApp, assert_problem};
use crate::helpers_invitations::{PASSWORD, token_of};
use chrono::TimeDelta;
use reqwest::Method;
use serde_json::{Value, json};

fn zoe() -> Value {
    json!({"practice": "smith", "first_name": "Zoe", "last_name": "Park",
           "date_of_birth": "1995-06-15", "email": "zoe@example.org",
           "username": "zoe.park", "password": PASSWORD})
}

async fn practice(app: &TestApp, mode: &str) -> String {
    let (_, key) = app
        .create_practice("smith", "Smith Family Clinic", "555-0100")
        .await;
    app.set_settings(&key, json!({ "self_registration": mode }))
        .await;
    key
}

/// The practice's view of the self-registered patient: their record and their access.
async fn zoe_at_practice(app: &TestApp, key: &str) -> (Value, Value) {
    let page: Value = app
        .get("/api/v1/practice/patients?name=zoe", key)
        .await
        .json()
        .await
        .unwrap();
    let patient = page["items"][0].clone();
    let access = app
        .access_of(key, patient["id"].as_str().unwrap())
        .await
        .remove(0);
    (patient, access)
}

async fn verification_link(app: &TestApp, to: &str) -> String {
    let mails = crate::mailbox::wait_for_mail(&app.mail_dir(), to, 1).await;
    let prefix = format!("{}/verify-email/", app.state.settings.issuer());
    assert!(mails[0].subject.contains("Smith Family Clinic"));
    mails[0]
        .link(&prefix)
        .unwrap_or_else(|| panic!("no link in {}", mails[0].text))
}

#[tokio::test]
async fn sign_up_is_refused_with_the_practice_phone_when_the_practice_does_not_offer_it() {
    let app = TestApp::spawn().await;
    let _key = practice(&app, "off").await;
    let p = assert_problem(app.register(zoe()).await, 403, "not_allowed").await;
    let detail = p["detail"].as_str().unwrap();
    assert!(
        detail.contains("Smith Family Clinic") && detail.contains("555-0100"),
        "{detail}"
    );
    assert_eq!(app.account_count().await, 0);
}

#[tokio::test]
async fn sign_up_stays_off_until_the_emailed_link_is_followed_seed_003() {
    let app = TestApp::spawn().await;
    let key = practice(&app, "verify_email").await;
    let r = app.register(zoe()).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let registered: Value = r.json().await.unwrap();
    assert_eq!(registered["status"], "pending_verification");
    assert_eq!(registered["practice"]["slug"], "smith");

    // "A self-registered patient record is marked so the practice can review it."
    let (patient, access) = zoe_at_practice(&app, &key).await;
    assert_eq!(patient["self_registered"], true);
    assert_eq!(access["status"], "pending_verification");
    assert_eq!(access["username"], "zoe.park");

    let link = verification_link(&app, "zoe@example.org").await;
    let token = token_of(&link);
    app.clock.advance(TimeDelta::hours(3));
    let r = app.verify_email(&token).await;
    assert_eq!(r.status(), 200);
    let verified: Value = r.json().await.unwrap();
    assert_eq!(verified["status"], "active");
    assert_eq!(verified["practice"]["name"], "Smith Family Clinic");

    let (_, access) = zoe_at_practice(&app, &key).await;
    assert_eq!(access["status"], "active");
    assert!(
        app.account_named("zoe.park")
            .await
            .email_verified_at
            .is_some()
    );
    let kinds = app.audit_kinds().await;
    assert!(kinds.contains(&"registration.created".to_owned()));
    assert!(kinds.contains(&"registration.verified".to_owned()));

    // The link works once.
    assert_problem(app.verify_email(&token).await, 410, "token_invalid").await;
}

#[tokio::test]
async fn unconfirmed_sign_up_is_enabled_by_staff_seed_003() {
    let app = TestApp::spawn().await;
    let key = practice(&app, "verify_email").await;
    let reception = app.create_key(&key, "reception").await;
    app.register(zoe()).await;
    let (_, access) = zoe_at_practice(&app, &key).await;
    let id = access["id"].as_str().unwrap();

    // "you will need to manually enable the patient's Portal account"
    let r = app.activate_access(&reception, id).await;
    assert_eq!(r.status(), 200);
    let activated: Value = r.json().await.unwrap();
    assert_eq!(activated["status"], "active");
    assert_eq!(activated["username"], "zoe.park");
    let row = app
        .audit_rows()
        .await
        .into_iter()
        .find(|r| r.kind == "access.activated")
        .expect("audited");
    assert_eq!(
        row.actor_id.as_deref(),
        Some(app.key_id(&key, &reception).await.as_str())
    );

    // Only a sign-up waiting for confirmation can be switched on this way.
    let again = app.activate_access(&reception, id).await;
    assert_eq!(again.status(), 200, "already active: unchanged");
    let count = app
        .audit_kinds()
        .await
        .iter()
        .filter(|k| *k == "access.activated")
        .count();
    assert_eq!(count, 1);
}

#[tokio::test]
async fn invited_access_cannot_be_activated_without_its_invitation() {
    let app = TestApp::spawn().await;
    let (_, key) = app.create_practice("smith", "Smith", "555-0100").await;
    let p = app
        .create_patient(&key, crate::helpers_invitations::ann())
        .await;
    let pid = p["id"].as_str().unwrap();
    app.invite_self(&key, pid, "email").await;
    let access_id = app.access_of(&key, pid).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_problem(app.activate_access(&key, &access_id).await, 409, "conflict").await;
}

#[tokio::test]
async fn sign_up_with_auto_activate_is_on_at_once() {
    let app = TestApp::spawn().await;
    let key = practice(&app, "auto_activate").await;
    let r = app.register(zoe()).await;
    assert_eq!(r.status(), 201);
    let registered: Value = r.json().await.unwrap();
    assert_eq!(registered["status"], "active");
    let (patient, access) = zoe_at_practice(&app, &key).await;
    assert_eq!(patient["self_registered"], true);
    assert_eq!(access["status"], "active");
    assert!(!access["registered_at"].is_null());
    assert!(
        app.outbox_rows().await.is_empty(),
        "no confirmation link to send"
    );
}

#[tokio::test]
async fn sign_up_asks_for_the_practices_fields_a_strong_password_and_a_free_username() {
    let app = TestApp::spawn().await;
    let key = practice(&app, "auto_activate").await;
    app.set_settings(&key, json!({"required_fields": ["email", "postal_code"]}))
        .await;
    let p = assert_problem(app.register(zoe()).await, 422, "validation_failed").await;
    assert_eq!(p["field"], "postal_code");

    let mut body = zoe();
    body["postal_code"] = json!("97201");
    body["password"] = json!("zoe.park-is-my-password");
    assert_problem(app.register(body.clone()).await, 422, "weak_password").await;

    body["password"] = json!(PASSWORD);
    assert_eq!(app.register(body.clone()).await.status(), 201);

    // Someone else with the same email (seed 003) but the same username in other case.
    body["first_name"] = json!("Yan");
    body["username"] = json!("Zoe.Park");
    assert_problem(app.register(body.clone()).await, 409, "username_taken").await;
    body["username"] = json!("yan.park");
    assert_eq!(
        app.register(body).await.status(),
        201,
        "a shared email is fine"
    );

    // Unknown fields, like trying to set access status, are refused.
    let mut sneaky = zoe();
    sneaky["status"] = json!("active");
    let p = assert_problem(app.register(sneaky).await, 422, "validation_failed").await;
    assert_eq!(p["field"], "status");
}

#[tokio::test]
async fn verify_email_sign_up_needs_an_email_and_its_link_lasts_24_hours() {
    let app = TestApp::spawn().await;
    let key = practice(&app, "verify_email").await;
    app.set_settings(&key, json!({"required_fields": []})).await;
    let mut body = zoe();
    body.as_object_mut().unwrap().remove("email");
    let p = assert_problem(app.register(body).await, 422, "validation_failed").await;
    assert_eq!(p["field"], "email");

    app.register(zoe()).await;
    let token = token_of(&verification_link(&app, "zoe@example.org").await);
    app.clock
        .advance(TimeDelta::hours(24) + TimeDelta::seconds(1));
    assert_problem(app.verify_email(&token).await, 410, "token_invalid").await;
    let (_, access) = zoe_at_practice(&app, &key).await;
    assert_eq!(access["status"], "pending_verification");
    let junk = app
        .call(
            Method::POST,
            "/api/v1/email-verifications",
            None,
            Some(json!({"token": "x"})),
        )
        .await;
    assert_problem(junk, 410, "token_invalid").await;
}

/// Turning a sign-up on is one UPDATE guarded on `pending_verification`: the person following
/// the link twice at once, and two staff enabling it at once, each turn it on once.
#[tokio::test]
async fn concurrent_confirmations_and_enables_turn_a_sign_up_on_once() {
    let app = TestApp::spawn().await;
    let key = practice(&app, "verify_email").await;
    app.register(zoe()).await;
    let token = token_of(&verification_link(&app, "zoe@example.org").await);
    let (a, b) = tokio::join!(app.verify_email(&token), app.verify_email(&token));
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, [200, 410]);
    let (_, access) = zoe_at_practice(&app, &key).await;
    assert_eq!(access["status"], "active");
    let kinds = app.audit_kinds().await;
    assert_eq!(
        kinds
            .iter()
            .filter(|k| *k == "registration.verified")
            .count(),
        1
    );

    let mut second = zoe();
    second["first_name"] = json!("Yan");
    second["last_name"] = json!("Ito");
    second["email"] = json!("yan@example.org");
    second["username"] = json!("yan.ito");
    app.register(second).await;
    let page: Value = app
        .get("/api/v1/practice/patients?name=yan", &key)
        .await
        .json()
        .await
        .unwrap();
    let yan = app
        .access_of(&key, page["items"][0]["id"].as_str().unwrap())
        .await
        .remove(0);
    let id = yan["id"].as_str().unwrap();
    let results =
        futures_util::future::join_all((0..6).map(|_| app.activate_access(&key, id))).await;
    for r in results {
        let status = r.status().as_u16();
        assert!(status == 200 || status == 409, "{status}");
    }
    let kinds = app.audit_kinds().await;
    assert_eq!(
        kinds.iter().filter(|k| *k == "access.activated").count(),
        1,
        "{kinds:?}"
    );
}
