//! Seed 004: demographic information a patient completes on the portal goes to the practice
//! to review, and accept or decline.

use crate::helpers::{TestApp, assert_problem};
use crate::helpers_login::{PASSWORD, SeededAccount, patient};
use serde_json::{Value, json};

async fn practice_with_patient(app: &TestApp) -> (String, SeededAccount, String) {
    let (_, admin) = app
        .create_practice("smith", "Smith Family Clinic", "555-0100")
        .await;
    let ann = app
        .seed_portal_account(
            &admin,
            patient("Ann", "Lee", "ann@example.org"),
            "ann.lee",
            PASSWORD,
            "self",
        )
        .await;
    let token = app.login_tokens(&ann, None).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    (admin, ann, token)
}

async fn request_change(app: &TestApp, token: &str, patient_id: &str, changes: Value) -> Value {
    let r = app
        .post(
            "/api/v1/me/demographic-changes",
            token,
            json!({"patient_id": patient_id, "changes": changes}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    r.json().await.unwrap()
}

fn templates_to(rows: &[portico::store::entities::outbox::Model], to: &str) -> Vec<String> {
    rows.iter()
        .filter(|r| r.recipient == to)
        .map(|r| r.template.clone())
        .collect()
}

#[tokio::test]
async fn an_accepted_request_updates_the_record_and_tells_the_requester() {
    let app = TestApp::spawn().await;
    let (admin, ann, token) = practice_with_patient(&app).await;
    let pid = ann.patient_id.to_string();
    let req = request_change(
        &app,
        &token,
        &pid,
        json!({"last_name": "Rivera", "mobile": "+1 555 010 0199", "address": "1 Elm St"}),
    )
    .await;
    assert_eq!(req["status"], "pending");
    assert_eq!(req["changes"]["last_name"], "Rivera");
    assert_eq!(req["changes"]["mobile"], "+15550100199");
    assert!(req["changes"]["email"].is_null(), "only the fields given");

    // Nothing changes until the practice accepts.
    let record: Value = app
        .get(&format!("/api/v1/practice/patients/{pid}"), &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(record["last_name"], "Lee");

    let scheduling = app.create_key(&admin, "scheduling").await;
    let pending: Value = app
        .get(
            "/api/v1/practice/demographic-changes?status=pending",
            &scheduling,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(pending["items"].as_array().unwrap().len(), 1);
    assert_eq!(pending["items"][0]["id"], req["id"]);

    let id = req["id"].as_str().unwrap();
    let r = app
        .post(
            &format!("/api/v1/practice/demographic-changes/{id}/accept"),
            &scheduling,
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let accepted: Value = r.json().await.unwrap();
    assert_eq!(accepted["status"], "accepted");
    assert!(accepted["decided_at"].is_string());

    let record: Value = app
        .get(&format!("/api/v1/practice/patients/{pid}"), &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(record["last_name"], "Rivera");
    assert_eq!(record["first_name"], "Ann", "untouched");
    assert_eq!(record["mobile"], "+15550100199");
    assert_eq!(record["address"], "1 Elm St");

    assert_eq!(
        templates_to(&app.outbox_rows().await, "ann@example.org"),
        vec!["demographic_change_accepted"]
    );
    // Deciding twice is a conflict, and the list filters by status.
    let again = app
        .post(
            &format!("/api/v1/practice/demographic-changes/{id}/decline"),
            &admin,
            json!({"reason": "changed my mind"}),
        )
        .await;
    assert_problem(again, 409, "conflict").await;
    let pending: Value = app
        .get(
            "/api/v1/practice/demographic-changes?status=pending",
            &admin,
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(pending["items"].as_array().unwrap().is_empty());
    let accepted: Value = app
        .get(
            "/api/v1/practice/demographic-changes?status=accepted",
            &admin,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(accepted["items"].as_array().unwrap().len(), 1);

    let kinds = app.audit_kinds().await;
    for k in [
        "demographic_change.requested",
        "patient.updated",
        "demographic_change.accepted",
    ] {
        assert!(kinds.iter().any(|x| x == k), "{k} audited: {kinds:?}");
    }
    let rows = app.audit_rows().await;
    let requested = rows
        .iter()
        .find(|r| r.kind == "demographic_change.requested")
        .unwrap();
    assert!(
        !requested.detail.contains("Rivera"),
        "no values in the trail"
    );
}

#[tokio::test]
async fn a_declined_request_keeps_the_record_and_sends_the_reason() {
    let app = TestApp::spawn().await;
    let (admin, ann, token) = practice_with_patient(&app).await;
    let pid = ann.patient_id.to_string();
    let req = request_change(&app, &token, &pid, json!({"date_of_birth": "1991-04-01"})).await;
    let id = req["id"].as_str().unwrap();

    let empty = app
        .post(
            &format!("/api/v1/practice/demographic-changes/{id}/decline"),
            &admin,
            json!({"reason": "  "}),
        )
        .await;
    assert_problem(empty, 422, "validation_failed").await;

    let r = app
        .post(
            &format!("/api/v1/practice/demographic-changes/{id}/decline"),
            &admin,
            json!({"reason": "Please bring a photo ID to your next visit."}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let declined: Value = r.json().await.unwrap();
    assert_eq!(declined["status"], "declined");
    assert_eq!(
        declined["reason"],
        "Please bring a photo ID to your next visit."
    );
    let record: Value = app
        .get(&format!("/api/v1/practice/patients/{pid}"), &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(record["date_of_birth"], "1990-04-01");
    let outbox = app.outbox_rows().await;
    let notice = outbox
        .iter()
        .find(|r| r.template == "demographic_change_declined")
        .expect("requester told");
    assert_eq!(notice.recipient, "ann@example.org");
    assert!(
        app.audit_kinds()
            .await
            .contains(&"demographic_change.declined".to_owned())
    );
}

#[tokio::test]
async fn an_accepted_email_change_follows_the_email_change_rules() {
    let app = TestApp::spawn().await;
    let (admin, ann, token) = practice_with_patient(&app).await;
    let pid = ann.patient_id.to_string();
    let req = request_change(&app, &token, &pid, json!({"email": "ann.new@example.org"})).await;
    let id = req["id"].as_str().unwrap();
    let r = app
        .post(
            &format!("/api/v1/practice/demographic-changes/{id}/accept"),
            &admin,
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let outbox = app.outbox_rows().await;
    assert!(
        templates_to(&outbox, "ann@example.org").contains(&"email_changed".to_owned()),
        "the old address hears of it: {:?}",
        outbox.iter().map(|r| &r.template).collect::<Vec<_>>()
    );
    assert!(
        app.audit_kinds()
            .await
            .contains(&"patient.email_changed".to_owned())
    );
}

#[tokio::test]
async fn only_patients_the_token_acts_for_can_be_changed() {
    let app = TestApp::spawn().await;
    let (admin, _ann, token) = practice_with_patient(&app).await;
    let other = app
        .create_patient(&admin, patient("Bob", "Ray", "bob@example.org"))
        .await;
    let r = app
        .post(
            "/api/v1/me/demographic-changes",
            &token,
            json!({"patient_id": other["id"], "changes": {"last_name": "X"}}),
        )
        .await;
    assert_problem(r, 404, "not_found").await;

    let r = app
        .post(
            "/api/v1/me/demographic-changes",
            &admin,
            json!({"patient_id": other["id"], "changes": {"last_name": "X"}}),
        )
        .await;
    assert_problem(r, 401, "unauthorized").await;
}

#[tokio::test]
async fn an_empty_or_invalid_request_is_refused() {
    let app = TestApp::spawn().await;
    let (_admin, ann, token) = practice_with_patient(&app).await;
    for changes in [
        json!({}),
        json!({"email": "not an email"}),
        json!({"date_of_birth": "2999-01-01"}),
    ] {
        let r = app
            .post(
                "/api/v1/me/demographic-changes",
                &token,
                json!({"patient_id": ann.patient_id, "changes": changes}),
            )
            .await;
        assert_problem(r, 422, "validation_failed").await;
    }
    let r = app
        .post(
            "/api/v1/me/demographic-changes",
            &token,
            json!({"patient_id": ann.patient_id, "changes": {"ssn": "123"}}),
        )
        .await;
    assert_eq!(r.status(), 422, "unknown fields are refused");
}

#[tokio::test]
async fn another_practices_requests_are_not_found() {
    let app = TestApp::spawn().await;
    let (_admin, ann, token) = practice_with_patient(&app).await;
    let req = request_change(
        &app,
        &token,
        &ann.patient_id.to_string(),
        json!({"first_name": "Annie"}),
    )
    .await;
    let (_, other_admin) = app
        .create_practice("jones", "Jones Clinic", "555-0199")
        .await;
    let id = req["id"].as_str().unwrap();
    let r = app
        .post(
            &format!("/api/v1/practice/demographic-changes/{id}/accept"),
            &other_admin,
            json!({}),
        )
        .await;
    assert_problem(r, 404, "not_found").await;
    let list: Value = app
        .get("/api/v1/practice/demographic-changes", &other_admin)
        .await
        .json()
        .await
        .unwrap();
    assert!(list["items"].as_array().unwrap().is_empty());
}
