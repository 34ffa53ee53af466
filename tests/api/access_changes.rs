//! Block, unblock and revoke from the practice's side (seeds 000, 001, 004).

use crate::helpers::{TestApp, assert_problem};
use crate::helpers_invitations::{new_account, token_of};
use crate::helpers_login::{PASSWORD, epoch_plus, instant, patient};
use crate::mailbox::wait_for_mail;
use serde_json::{Value, json};
use uuid::Uuid;

/// Seed 004: "Doing so will make any emailed links inactive and remove existing portal access
/// from a patient. The patient will receive an email indicating their portal was deactivated."
#[tokio::test]
async fn revoke_ends_sessions_at_once_emails_the_patient_and_login_then_says_access_revoked() {
    let app = TestApp::spawn_with(|s| s.outbox_poll_ms = 20).await;
    let (_, smith) = app
        .create_practice("smith-family-clinic", "Smith Family Clinic", "555-0100")
        .await;
    let (_, jones) = app
        .create_practice("jones-dental", "Jones Dental", "555-0199")
        .await;
    let ann = app
        .seed_portal_account(
            &smith,
            patient("Ann", "Lee", "ann@example.org"),
            "ann.lee",
            PASSWORD,
            "self",
        )
        .await;
    let at_jones = app
        .seed_portal_account(
            &jones,
            patient("Ann", "Lee", "ann@example.org"),
            "ann.lee",
            PASSWORD,
            "self",
        )
        .await;
    let smith_tokens = app.login_tokens(&ann, Some("smith-family-clinic")).await;
    let jones_tokens = app.login_tokens(&at_jones, Some("jones-dental")).await;
    let r = app
        .revoke_access(&smith, ann.access_id, Some("left the practice"))
        .await;
    assert_eq!(r.status(), 200);
    let view: Value = r.json().await.unwrap();
    assert_eq!(view["status"], "revoked");
    assert_eq!(view["revoked_at"], view["updated_at"]);

    // Refresh tokens and access tokens for this practice die at once.
    assert_problem(
        app.refresh(smith_tokens["refresh_token"].as_str().unwrap())
            .await,
        403,
        "access_revoked",
    )
    .await;
    assert_problem(
        app.me(smith_tokens["access_token"].as_str().unwrap()).await,
        403,
        "access_revoked",
    )
    .await;
    // The patient is told, with the practice's name and phone.
    let mail = wait_for_mail(&app.mail_dir(), "ann@example.org", 1).await;
    let m = &mail[0];
    assert!(m.subject.contains("Smith Family Clinic"), "{}", m.subject);
    assert!(m.subject.contains("deactivated"), "{}", m.subject);
    assert!(
        m.text
            .contains("has deactivated your access to its patient portal"),
        "{}",
        m.text
    );
    assert!(m.text.contains("555-0100"), "{}", m.text);
    assert!(
        !m.text.contains("left the practice"),
        "the staff reason stays internal"
    );

    // Login to that practice now says so; the other practice is untouched.
    let body = assert_problem(
        app.login("ann.lee", PASSWORD, Some("smith-family-clinic"))
            .await,
        403,
        "access_revoked",
    )
    .await;
    assert_eq!(
        body["detail"],
        "Your portal access to Smith Family Clinic has been deactivated. Please contact the practice on 555-0100."
    );
    assert_eq!(
        app.me(jones_tokens["access_token"].as_str().unwrap())
            .await
            .status(),
        200
    );
    assert_eq!(
        app.refresh(jones_tokens["refresh_token"].as_str().unwrap())
            .await
            .status(),
        200
    );
    let tokens = app.login_tokens(&ann, None).await;
    assert_eq!(tokens["practice"]["slug"], "jones-dental");

    // A revoked access is not blocked or unblocked; a new invitation grants it again.
    assert_problem(
        app.block_access(&smith, ann.access_id, None).await,
        409,
        "conflict",
    )
    .await;
    assert_problem(
        app.unblock_access(&smith, ann.access_id, None).await,
        409,
        "conflict",
    )
    .await;
}

/// Seed 004: "The patient or representative may use the same login credentials they
/// initially had prior to their access being revoked." Through issue 4's invitation API.
#[tokio::test]
async fn regrant_after_revoke_keeps_the_same_username_and_password_and_the_history() {
    let app = TestApp::spawn_with(|s| s.outbox_poll_ms = 20).await;
    let (_, smith) = app
        .create_practice("smith-family-clinic", "Smith Family Clinic", "555-0100")
        .await;
    let ann = app
        .seed_portal_account(
            &smith,
            patient("Ann", "Lee", "ann@example.org"),
            "ann.lee",
            PASSWORD,
            "self",
        )
        .await;
    app.login_tokens(&ann, None).await;
    app.revoke_access(&smith, ann.access_id, None).await;
    assert_problem(
        app.login("ann.lee", PASSWORD, None).await,
        403,
        "access_revoked",
    )
    .await;
    // The revocation notice is the first mail; the invitation the second.
    wait_for_mail(&app.mail_dir(), "ann@example.org", 1).await;

    let r = app
        .post(
            &format!("/api/v1/practice/patients/{}/invitations", ann.patient_id),
            &smith,
            serde_json::json!({"channel": "email", "relation": "self"}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let mail = wait_for_mail(&app.mail_dir(), "ann@example.org", 2).await;
    let prefix = format!("{}/invite/", app.issuer());
    let link = mail
        .iter()
        .find_map(|m| m.link(&prefix))
        .expect("an invitation link");
    let token = link.trim_start_matches(&prefix);
    let r = app
        .call(
            reqwest::Method::POST,
            &format!("/api/v1/invitations/{token}/redeem"),
            None,
            Some(serde_json::json!({
                "account": "existing",
                "username": "ann.lee",
                "password": PASSWORD,
                "date_of_birth": "1990-04-01",
            })),
        )
        .await;
    assert!(r.status().is_success(), "{}", r.text().await.unwrap());

    // Same username and password, at the same practice, and the history keeps the revocation.
    let tokens = app.login_tokens(&ann, Some("smith-family-clinic")).await;
    assert_eq!(tokens["patients"][0]["id"], ann.patient_id.to_string());
    let access: Vec<Value> = app
        .get(
            &format!("/api/v1/practice/patients/{}/access", ann.patient_id),
            &smith,
        )
        .await
        .json()
        .await
        .unwrap();
    assert!(
        access
            .iter()
            .any(|a| a["status"] == "active" && a["username"] == "ann.lee")
    );
    assert!(
        access.iter().any(|a| a["revoked_at"].is_string()),
        "{access:?}"
    );
    let events: Value = app
        .audit_events(
            &smith,
            &format!("patient_id={}&kind=access.revoked", ann.patient_id),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(events["items"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn block_unblock_and_revoke_are_stamped_and_audited_with_the_acting_key() {
    let app = TestApp::spawn().await;
    let (_, smith) = app
        .create_practice("smith-family-clinic", "Smith Family Clinic", "555-0100")
        .await;
    let reception = app.create_key(&smith, "reception").await;
    let keys: Value = app
        .get("/api/v1/practice/api-keys", &smith)
        .await
        .json()
        .await
        .unwrap();
    let reception_id = keys
        .as_array()
        .unwrap()
        .iter()
        .find(|k| reception.starts_with(k["key_prefix"].as_str().unwrap()))
        .unwrap()["id"]
        .clone();
    let ann = app
        .seed_portal_account(
            &smith,
            patient("Ann", "Lee", "ann@example.org"),
            "ann.lee",
            PASSWORD,
            "self",
        )
        .await;

    app.clock.advance(chrono::TimeDelta::minutes(1));
    let blocked: Value = app
        .block_access(&reception, ann.access_id, Some("abusive messages"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(blocked["status"], "blocked");
    assert_eq!(instant(&blocked["blocked_at"]), epoch_plus(0, 1));
    assert_eq!(blocked["block_reason"], "abusive messages");

    // Blocking again changes nothing and records nothing.
    app.clock.advance(chrono::TimeDelta::minutes(1));
    let again: Value = app
        .block_access(&reception, ann.access_id, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again, blocked);

    let unblocked: Value = app
        .unblock_access(&reception, ann.access_id, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(unblocked["status"], "active");
    assert_eq!(instant(&unblocked["unblocked_at"]), epoch_plus(0, 2));
    assert_eq!(
        unblocked["blocked_at"], blocked["blocked_at"],
        "history is kept"
    );

    app.clock.advance(chrono::TimeDelta::minutes(1));
    let revoked: Value = app
        .revoke_access(&smith, ann.access_id, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(revoked["status"], "revoked");
    assert_eq!(instant(&revoked["revoked_at"]), epoch_plus(0, 3));

    let events: Value = app
        .audit_events(
            &smith,
            &format!("patient_id={}&kind=access.", ann.patient_id),
        )
        .await
        .json()
        .await
        .unwrap();
    let got: Vec<(String, String, String)> = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            assert_eq!(e["access_id"], ann.access_id.to_string());
            assert_eq!(e["account_id"], ann.account_id.to_string());
            assert_eq!(e["actor_kind"], "api_key");
            (
                e["kind"].as_str().unwrap().to_owned(),
                e["actor_id"].as_str().unwrap().to_owned(),
                e["detail"]["reason"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    let admin_id = events["items"][0]["actor_id"].as_str().unwrap().to_owned();
    assert_ne!(Value::String(admin_id.clone()), reception_id);
    assert_eq!(
        got,
        [
            ("access.revoked".to_owned(), admin_id, String::new()),
            (
                "access.unblocked".to_owned(),
                reception_id.as_str().unwrap().to_owned(),
                String::new()
            ),
            (
                "access.blocked".to_owned(),
                reception_id.as_str().unwrap().to_owned(),
                "abusive messages".to_owned()
            ),
        ],
        "newest first, one event per change"
    );
}

#[tokio::test]
async fn another_practices_access_is_not_found_and_unknown_ids_too() {
    let app = TestApp::spawn().await;
    let (_, smith) = app
        .create_practice("smith-family-clinic", "Smith Family Clinic", "555-0100")
        .await;
    let (_, jones) = app
        .create_practice("jones-dental", "Jones Dental", "555-0199")
        .await;
    let ann = app
        .seed_portal_account(
            &smith,
            patient("Ann", "Lee", "ann@example.org"),
            "ann.lee",
            PASSWORD,
            "self",
        )
        .await;
    assert_problem(
        app.block_access(&jones, ann.access_id, None).await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.revoke_access(&jones, ann.access_id, None).await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.block_access(&smith, Uuid::now_v7(), None).await,
        404,
        "not_found",
    )
    .await;
    // Nothing changed at Smith.
    assert_eq!(app.access_view(&smith, &ann).await["status"], "active");
    assert_eq!(app.login("ann.lee", PASSWORD, None).await.status(), 200);
}

#[tokio::test]
async fn reasons_are_checked_and_bodies_are_optional() {
    let app = TestApp::spawn().await;
    let (_, smith) = app
        .create_practice("smith-family-clinic", "Smith Family Clinic", "555-0100")
        .await;
    let ann = app
        .seed_portal_account(
            &smith,
            patient("Ann", "Lee", "ann@example.org"),
            "ann.lee",
            PASSWORD,
            "self",
        )
        .await;
    let long = "x".repeat(501);
    let body = assert_problem(
        app.block_access(&smith, ann.access_id, Some(&long)).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(body["field"], "reason");
    let r = app
        .post(
            &format!("/api/v1/practice/access/{}/block", ann.access_id),
            &smith,
            serde_json::json!({"reason": "x", "status": "active"}),
        )
        .await;
    assert_problem(r, 422, "validation_failed").await;
    assert_eq!(app.access_view(&smith, &ann).await["status"], "active");
    // No body at all is fine.
    assert_eq!(
        app.block_access(&smith, ann.access_id, None).await.status(),
        200
    );
}

/// Seed 004: revoking "will make any emailed links inactive": an invitation not yet redeemed
/// stops working, and the patient is told.
#[tokio::test]
async fn revoking_an_invitation_kills_the_emailed_link_and_tells_the_patient() {
    let app = TestApp::spawn_with(|s| s.outbox_poll_ms = 20).await;
    let (_, smith) = app
        .create_practice("smith-family-clinic", "Smith Family Clinic", "555-0100")
        .await;
    let bo = app
        .create_patient(&smith, patient("Bo", "Ng", "bo@example.org"))
        .await;
    let bo_id = bo["id"].as_str().unwrap();
    app.invite_self(&smith, bo_id, "email").await;
    let (_, link) = app.invitation_mail("bo@example.org", 1).await;
    let token = token_of(&link);
    assert_eq!(app.open_invitation(&token).await.status(), 200);
    let access = app.access_of(&smith, bo_id).await;
    assert_eq!(access[0]["status"], "invited");
    let access_id: Uuid = access[0]["id"].as_str().unwrap().parse().unwrap();

    let view: Value = app
        .revoke_access(&smith, access_id, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["status"], "revoked");

    assert_problem(app.open_invitation(&token).await, 410, "invitation_used").await;
    let r = app
        .redeem_invitation(&token, new_account("bo.ng", "1990-04-01"))
        .await;
    assert_problem(r, 410, "invitation_used").await;
    let invitations: Vec<Value> = app
        .list_invitations(&smith, bo_id)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(invitations[0]["status"], "revoked", "{invitations:?}");
    let events: Value = app
        .audit_events(&smith, &format!("patient_id={bo_id}&kind=access.revoked"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(events["items"][0]["detail"]["invitations_revoked"], 1);

    let mail = wait_for_mail(&app.mail_dir(), "bo@example.org", 2).await;
    let notice = &mail[1];
    assert!(notice.subject.contains("deactivated"), "{}", notice.subject);
    assert!(notice.text.contains("Hello Bo,"), "{}", notice.text);
    assert!(notice.text.contains("555-0100"), "{}", notice.text);
    assert!(
        notice.link(&app.invite_prefix()).is_none(),
        "no link in the notice"
    );
}

/// Seed 000: a block holds "until the practice lifts it", and unblocking is its own action. An
/// invitation, from any role, never changes a blocked access (issue 17, item 1): it answers
/// `409 access_blocked` naming the access and its state, and login keeps answering
/// `access_blocked` with the practice's phone, never `no_access`.
#[tokio::test]
async fn invitation_never_lifts_a_block() {
    let app = TestApp::spawn().await;
    let (_, admin) = app
        .create_practice("smith-family-clinic", "Smith Family Clinic", "555-0100")
        .await;
    let reception = app.create_key(&admin, "reception").await;
    let scheduling = app.create_key(&admin, "scheduling").await;
    let ann = app
        .seed_portal_account(
            &admin,
            json!({"first_name": "Ann", "last_name": "Lee", "date_of_birth": "1990-04-01",
                   "email": "ann@example.org", "mobile": "+15550100123"}),
            "ann.lee",
            PASSWORD,
            "self",
        )
        .await;
    let mia = app
        .seed_portal_account(
            &admin,
            json!({"first_name": "Mia", "last_name": "Lee", "date_of_birth": "2019-02-03",
                   "email": "pat@example.org"}),
            "pat.lee",
            PASSWORD,
            "parent",
        )
        .await;
    assert_eq!(
        app.block_access(&reception, ann.access_id, None)
            .await
            .status(),
        200
    );
    assert_eq!(
        app.block_access(&reception, mia.access_id, None)
            .await
            .status(),
        200
    );

    for key in [&scheduling, &reception, &admin] {
        for channel in ["email", "sms"] {
            let r = app
                .send_invitation(
                    key,
                    &ann.patient_id.to_string(),
                    json!({"channel": channel, "relation": "self"}),
                )
                .await;
            let body = assert_problem(r, 409, "access_blocked").await;
            assert_eq!(body["access_status"], "blocked", "{body}");
            assert_eq!(body["access_id"], ann.access_id.to_string(), "{body}");
            assert!(
                body["detail"].as_str().unwrap().contains("Unblock"),
                "{body}"
            );
        }
        // A representative's blocked access is not reopened by a new link either.
        let r = app
            .send_invitation(
                key,
                &mia.patient_id.to_string(),
                json!({"channel": "email", "relation": "parent",
                       "recipient": {"first_name": "Pat", "last_name": "Lee",
                                     "email": "pat@example.org"}}),
            )
            .await;
        let body = assert_problem(r, 409, "access_blocked").await;
        assert_eq!(body["access_id"], mia.access_id.to_string(), "{body}");
    }

    // Nothing changed: still blocked, no link was issued, no message queued.
    assert_eq!(app.access_view(&admin, &ann).await["status"], "blocked");
    assert_eq!(app.access_view(&admin, &mia).await["status"], "blocked");
    let links: Vec<Value> = app
        .list_invitations(&admin, &ann.patient_id.to_string())
        .await
        .json()
        .await
        .unwrap();
    assert!(links.is_empty(), "{links:?}");
    assert!(app.outbox_rows().await.is_empty());

    // Login still shows the block with the practice's phone, for the patient and the parent.
    for who in ["ann.lee", "pat.lee"] {
        let body =
            assert_problem(app.login(who, PASSWORD, None).await, 403, "access_blocked").await;
        assert_eq!(body["practice"]["phone"], "555-0100", "{body}");
    }

    // Unblocking is the way back, and needs no invitation.
    assert_eq!(
        app.unblock_access(&reception, ann.access_id, None)
            .await
            .status(),
        200
    );
    app.login_tokens(&ann, None).await;
}

/// Seed 004: "You cannot revoke patient portal access from the Scheduling application", so it
/// cannot undo a revoke either: re-granting a revoked access takes a role that may revoke
/// (issue 17, item 1). A scheduling key gets `409 access_revoked`; reception re-grants.
#[tokio::test]
async fn only_a_role_that_may_revoke_regrants_a_revoked_access() {
    let app = TestApp::spawn().await;
    let (_, admin) = app
        .create_practice("smith-family-clinic", "Smith Family Clinic", "555-0100")
        .await;
    let reception = app.create_key(&admin, "reception").await;
    let scheduling = app.create_key(&admin, "scheduling").await;
    let ann = app
        .seed_portal_account(
            &admin,
            patient("Ann", "Lee", "ann@example.org"),
            "ann.lee",
            PASSWORD,
            "self",
        )
        .await;
    assert_eq!(
        app.revoke_access(&reception, ann.access_id, None)
            .await
            .status(),
        200
    );
    let patient_id = ann.patient_id.to_string();

    let r = app
        .send_invitation(
            &scheduling,
            &patient_id,
            json!({"channel": "email", "relation": "self"}),
        )
        .await;
    let body = assert_problem(r, 409, "access_revoked").await;
    assert_eq!(body["access_status"], "revoked", "{body}");
    assert_eq!(body["access_id"], ann.access_id.to_string(), "{body}");
    assert_eq!(app.access_view(&admin, &ann).await["status"], "revoked");
    assert_problem(
        app.login("ann.lee", PASSWORD, None).await,
        403,
        "access_revoked",
    )
    .await;

    for key in [&reception, &admin] {
        app.invite_self(key, &patient_id, "email").await;
        assert_eq!(app.access_view(&admin, &ann).await["status"], "invited");
    }
    // Once re-granted (invited again), scheduling may resend the link as before.
    app.invite_self(&scheduling, &patient_id, "email").await;
}

/// Each change is one UPDATE guarded on the status it starts from: of many staff requests at
/// once, one changes the access and is audited; the rest see its change (nothing to do, or a
/// conflict), never a blend.
#[tokio::test]
async fn concurrent_blocks_and_revokes_of_one_access_change_it_once() {
    let app = TestApp::spawn().await;
    let (_, smith) = app
        .create_practice("smith-family-clinic", "Smith Family Clinic", "555-0100")
        .await;
    let ann = app
        .seed_portal_account(
            &smith,
            patient("Ann", "Lee", "ann@example.org"),
            "ann.lee",
            PASSWORD,
            "self",
        )
        .await;

    let blocks = futures_util::future::join_all(
        (0..8).map(|_| app.block_access(&smith, ann.access_id, Some("abusive messages"))),
    )
    .await;
    for r in blocks {
        let status = r.status().as_u16();
        assert!(status == 200 || status == 409, "{status}");
    }
    let kinds = app.audit_kinds().await;
    assert_eq!(
        kinds.iter().filter(|k| *k == "access.blocked").count(),
        1,
        "{kinds:?}"
    );
    assert_eq!(app.access_view(&smith, &ann).await["status"], "blocked");

    let (unblock, revoke) = tokio::join!(
        app.unblock_access(&smith, ann.access_id, None),
        app.revoke_access(&smith, ann.access_id, None)
    );
    let (unblocked, revoked) = (unblock.status() == 200, revoke.status() == 200);
    assert!(unblocked || revoked);
    let kinds = app.audit_kinds().await;
    let count = |kind: &str| kinds.iter().filter(|k| *k == kind).count();
    assert_eq!(count("access.unblocked"), usize::from(unblocked));
    assert_eq!(count("access.revoked"), usize::from(revoked));
    let now = app.access_view(&smith, &ann).await;
    // Unblocking after a revoke is refused; revoking after an unblock revokes.
    assert_eq!(now["status"], if revoked { "revoked" } else { "active" });
}
