//! Seed 003's privacy note: changing the email of a patient whose portal access is enabled
//! tells the old address, stops links sent there, and records who did it.

use crate::helpers::{TestApp, assert_problem};
use crate::helpers_invitations::{ann, new_account, token_of};
use serde_json::json;

#[tokio::test]
async fn changing_the_email_of_a_patient_with_active_access_tells_the_old_address_seed_003() {
    let app = TestApp::spawn().await;
    let (_, admin) = app
        .create_practice("smith", "Smith Family Clinic", "555-0100")
        .await;
    let reception = app.create_key(&admin, "reception").await;
    let pid = app.create_patient(&admin, ann()).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.invite_self(&admin, &pid, "email").await;
    let (_, link) = app.invitation_mail("ann@example.org", 1).await;
    app.redeem_invitation(&token_of(&link), new_account("ann.lee", "1990-04-01"))
        .await;

    let r = app
        .patch(
            &format!("/api/v1/practice/patients/{pid}"),
            &reception,
            json!({"email": "someone.else@example.net"}),
        )
        .await;
    assert_eq!(r.status(), 200);

    let mails = crate::mailbox::wait_for_mail(&app.mail_dir(), "ann@example.org", 2).await;
    let notice = &mails[1];
    assert!(notice.subject.contains("was changed"), "{}", notice.subject);
    assert!(notice.text.contains("Smith Family Clinic"));
    assert!(notice.text.contains("555-0100"), "whom to call");
    assert!(
        !notice.text.contains("someone.else") && !notice.html.contains("someone.else"),
        "the new address is not revealed"
    );
    assert!(!notice.text.contains("1990"), "no PHI");

    let row = app
        .audit_rows()
        .await
        .into_iter()
        .find(|r| r.kind == "patient.email_changed")
        .expect("audited");
    assert_eq!(row.actor_kind, "api_key");
    assert_eq!(
        row.actor_id.as_deref(),
        Some(app.key_id(&admin, &reception).await.as_str())
    );
    assert_eq!(row.patient_id.unwrap().to_string(), pid);
    assert!(!row.detail.contains("someone.else"), "{}", row.detail);

    // Letter case alone is not a change.
    app.patch(
        &format!("/api/v1/practice/patients/{pid}"),
        &reception,
        json!({"email": "Someone.Else@example.net"}),
    )
    .await;
    let changes = app
        .audit_kinds()
        .await
        .iter()
        .filter(|k| *k == "patient.email_changed")
        .count();
    assert_eq!(changes, 1);
}

#[tokio::test]
async fn changing_the_email_kills_the_invitation_sent_to_the_old_address_seed_003() {
    let app = TestApp::spawn().await;
    let (_, key) = app.create_practice("smith", "Smith", "555-0100").await;
    let pid = app.create_patient(&key, ann()).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.invite_self(&key, &pid, "email").await;
    let (_, old_link) = app.invitation_mail("ann@example.org", 1).await;

    app.patch(
        &format!("/api/v1/practice/patients/{pid}"),
        &key,
        json!({"email": "ann.lee@example.net"}),
    )
    .await;
    let token = token_of(&old_link);
    assert_problem(app.open_invitation(&token).await, 410, "invitation_used").await;
    assert_problem(
        app.redeem_invitation(&token, new_account("intruder", "1990-04-01"))
            .await,
        410,
        "invitation_used",
    )
    .await;
    assert_eq!(app.account_count().await, 0);
    let listed: Vec<serde_json::Value> =
        app.list_invitations(&key, &pid).await.json().await.unwrap();
    assert_eq!(listed[0]["status"], "revoked");
    // No access was active, so there was no one to warn: only the invitation was queued.
    assert_eq!(app.outbox_rows().await.len(), 1);

    // A new invitation goes to the new address and works.
    app.invite_self(&key, &pid, "email").await;
    let (_, link) = app.invitation_mail("ann.lee@example.net", 1).await;
    let r = app
        .redeem_invitation(&token_of(&link), new_account("ann.lee", "1990-04-01"))
        .await;
    assert_eq!(r.status(), 201);
}
