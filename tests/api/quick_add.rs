//! Quick add (seed 004): a new patient and their portal invitation in one call, one
//! transaction, with the refusals of the two separate calls.

use crate::helpers::{TestApp, assert_problem};
use crate::helpers_invitations::{PASSWORD, fast, new_account, token_of};
use serde_json::{Value, json};

fn quick(email: &str, channel: &str) -> Value {
    json!({"first_name": "Kai", "last_name": "Moss", "date_of_birth": "1988-02-03",
           "email": email, "mobile": "+15550100177", "channel": channel})
}

async fn patient_count(app: &TestApp, key: &str) -> usize {
    let page: Value = app
        .get("/api/v1/practice/patients", key)
        .await
        .json()
        .await
        .unwrap();
    page["items"].as_array().unwrap().len()
}

#[tokio::test]
async fn quick_add_creates_patient_and_sends_invitation_in_one_call() {
    let app = TestApp::spawn_with(fast).await;
    let (_, admin) = app
        .create_practice("smith", "Smith Family Clinic", "555-0100")
        .await;
    // Seed 004: the scheduling application has Quick Add too.
    let scheduling = app.create_key(&admin, "scheduling").await;

    let r = app
        .post(
            "/api/v1/practice/quick-add",
            &scheduling,
            quick("kai@example.org", "email"),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let body: Value = r.json().await.unwrap();
    let patient_id = body["patient"]["id"].as_str().unwrap().to_owned();
    assert_eq!(body["patient"]["first_name"], "Kai");
    assert_eq!(body["invitation"]["relation"], "self");
    assert_eq!(body["invitation"]["channel"], "email");
    assert_eq!(body["invitation"]["sent_to"], "kai@example.org");
    assert!(body["invitation"]["id"].is_string());

    // The practice sees the invitation on the new record, as after the two separate calls.
    let listed: Value = app
        .list_invitations(&admin, &patient_id)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed[0]["id"], body["invitation"]["id"]);

    // The patient follows the link and registers.
    let (_, link) = app.invitation_mail("kai@example.org", 1).await;
    let r = app
        .redeem_invitation(&token_of(&link), new_account("kai.moss", "1988-02-03"))
        .await;
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());
    let login = app.login("kai.moss", PASSWORD, Some("smith")).await;
    assert_eq!(login.status(), 200);
    let kinds = app.audit_kinds().await;
    assert!(kinds.contains(&"patient.created".to_owned()), "{kinds:?}");
    assert!(kinds.contains(&"invitation.sent".to_owned()), "{kinds:?}");
}

#[tokio::test]
async fn quick_add_by_sms_texts_the_link_to_the_mobile() {
    let app = TestApp::spawn_with(fast).await;
    let (_, admin) = app
        .create_practice("smith", "Smith Family Clinic", "555-0100")
        .await;
    let r = app
        .post(
            "/api/v1/practice/quick-add",
            &admin,
            quick("kai@example.org", "sms"),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let sms = crate::mailbox::wait_for_sms(&app.sms_dir(), "+15550100177", 1).await;
    assert!(
        sms[0].body.contains(&app.invite_prefix()),
        "{}",
        sms[0].body
    );
}

#[tokio::test]
async fn quick_add_with_bad_email_creates_nothing() {
    let app = TestApp::spawn().await;
    let (_, admin) = app
        .create_practice("smith", "Smith Family Clinic", "555-0100")
        .await;
    let r = app
        .post(
            "/api/v1/practice/quick-add",
            &admin,
            quick("not-an-address", "email"),
        )
        .await;
    let p = assert_problem(r, 422, "validation_failed").await;
    // The same refusal as creating the patient alone with that address.
    let alone = app
        .post(
            "/api/v1/practice/patients",
            &admin,
            json!({"first_name": "Kai", "last_name": "Moss", "date_of_birth": "1988-02-03",
                   "email": "not-an-address"}),
        )
        .await;
    let alone = assert_problem(alone, 422, "validation_failed").await;
    assert_eq!(p["errors"], alone["errors"]);
    assert_eq!(patient_count(&app, &admin).await, 0);
    assert!(app.outbox_rows().await.is_empty());
}

#[tokio::test]
async fn quick_add_refused_by_the_invitation_rules_rolls_the_patient_back() {
    let app = TestApp::spawn().await;
    let (_, admin) = app
        .create_practice("smith", "Smith Family Clinic", "555-0100")
        .await;
    // No email on file, at a practice that asks for one: the invitation alone would be
    // refused the same way. (By default a cell number alone will do: `phone_first`.)
    app.set_settings(&admin, json!({"required_fields": ["email"]}))
        .await;
    let r = app
        .post(
            "/api/v1/practice/quick-add",
            &admin,
            json!({"first_name": "Kai", "last_name": "Moss", "date_of_birth": "1988-02-03",
                   "mobile": "+15550100177", "channel": "sms"}),
        )
        .await;
    let p = assert_problem(r, 422, "validation_failed").await;
    assert!(p.to_string().contains("email"), "{p}");
    assert_eq!(patient_count(&app, &admin).await, 0);
    assert!(app.outbox_rows().await.is_empty());
    assert!(
        !app.audit_kinds()
            .await
            .contains(&"patient.created".to_owned())
    );
}
