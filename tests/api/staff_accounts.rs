//! Seed 001, "Create an Account Manually": the front desk creates a login for a patient with
//! a temporary password, which the patient changes at first login.

use crate::helpers::{TestApp, assert_problem};
use crate::helpers_invitations::{ann, new_account, token_of};
use portico::auth::password::Verification;
use serde_json::{Value, json};

#[tokio::test]
async fn front_desk_creates_an_account_with_a_temporary_password_shown_once_seed_001() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.create_practice("smith", "Smith", "555-0100").await;
    let reception = app.create_key(&admin, "reception").await;
    let patient = app.create_patient(&reception, ann()).await;
    let pid = patient["id"].as_str().unwrap();

    // Seed 001: "Use the patient's email address as the Username in the event you want to be
    // able to obtain a forgotten password."
    let r = app
        .create_patient_account(&reception, pid, "ann@example.org")
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let created: Value = r.json().await.unwrap();
    let temporary = created["temporary_password"].as_str().unwrap().to_owned();
    assert_eq!(temporary.chars().count(), 20);
    assert_eq!(created["must_change_password"], true);
    assert_eq!(created["username"], "ann@example.org");
    assert_eq!(created["access"]["status"], "active", "access at once");
    assert_eq!(created["access"]["relation"], "self");
    assert!(!created["access"]["registered_at"].is_null());

    // Stored only as argon2id; the temporary password verifies against it.
    let account = app.account_named("ann@example.org").await;
    assert!(account.must_change_password);
    assert!(account.password_hash.starts_with("$argon2id$"));
    assert!(!account.password_hash.contains(&temporary));
    assert!(matches!(
        app.state
            .hasher
            .verify(&temporary, Some(&account.password_hash))
            .await
            .unwrap(),
        Verification::Valid { .. }
    ));
    // Never emailed (SECURITY D1: no system-generated password in a message).
    assert!(app.outbox_rows().await.is_empty());
    // Shown once: nothing staff can read later carries it.
    let access = app
        .get(
            &format!("/api/v1/practice/patients/{pid}/access"),
            &reception,
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(!access.contains(&temporary));
    let row = app
        .audit_rows()
        .await
        .into_iter()
        .find(|r| r.kind == "account.created_by_staff")
        .expect("audited");
    assert_eq!(
        row.actor_id.as_deref(),
        Some(app.key_id(&admin, &reception).await.as_str())
    );
    assert!(!format!("{row:?}").contains(&temporary));
}

#[tokio::test]
async fn a_second_manual_account_or_a_taken_username_is_refused() {
    let app = TestApp::spawn().await;
    let (_, key) = app.create_practice("smith", "Smith", "555-0100").await;
    let ann_id = app.create_patient(&key, ann()).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let bo_id = app
        .create_patient(
            &key,
            json!({"first_name": "Bo", "last_name": "Ng", "date_of_birth": "1980-01-01",
                   "email": "bo@example.org"}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        app.create_patient_account(&key, &ann_id, "ann.lee")
            .await
            .status(),
        201
    );
    assert_problem(
        app.create_patient_account(&key, &ann_id, "ann.lee2").await,
        409,
        "conflict",
    )
    .await;
    assert_problem(
        app.create_patient_account(&key, &bo_id, "Ann.Lee").await,
        409,
        "username_taken",
    )
    .await;
    let p = assert_problem(
        app.create_patient_account(&key, &bo_id, "b").await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(p["field"], "username");
    assert_eq!(app.account_count().await, 1);
}

#[tokio::test]
async fn manual_account_replaces_a_pending_invitation() {
    let app = TestApp::spawn().await;
    let (_, key) = app.create_practice("smith", "Smith", "555-0100").await;
    let pid = app.create_patient(&key, ann()).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.invite_self(&key, &pid, "email").await;
    let (_, link) = app.invitation_mail("ann@example.org", 1).await;
    assert_eq!(
        app.create_patient_account(&key, &pid, "ann.lee")
            .await
            .status(),
        201
    );
    let access = app.access_of(&key, &pid).await;
    assert_eq!(access.len(), 1, "the invited access now has the account");
    assert_eq!(access[0]["status"], "active");
    assert_problem(
        app.redeem_invitation(&token_of(&link), new_account("other", "1990-04-01"))
            .await,
        410,
        "invitation_used",
    )
    .await;
}

#[tokio::test]
async fn manual_account_needs_the_practices_required_fields_seed_003() {
    let app = TestApp::spawn().await;
    let (_, key) = app.create_practice("smith", "Smith", "555-0100").await;
    app.set_settings(&key, json!({"required_fields": ["email", "postal_code"]}))
        .await;
    let pid = app
        .create_patient(
            &key,
            json!({"first_name": "Bo", "last_name": "Ng", "date_of_birth": "1980-01-01",
                   "email": "bo@example.org"}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let p = assert_problem(
        app.create_patient_account(&key, &pid, "bo.ng").await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(p["field"], "postal_code");
}
