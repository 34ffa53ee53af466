//! The rules around an invitation link: what must be on file, how long it works, resending,
//! single use under concurrency, the date-of-birth check, secrecy of the token, and tenancy.

use crate::helpers::{TestApp, assert_problem, test_epoch};
use crate::helpers_invitations::{ann, fast, new_account, token_of};
use chrono::TimeDelta;
use portico::crypto::secrets;
use portico::store::entities::invitation;
use sea_orm::EntityTrait;
use serde_json::{Value, json};

async fn practice_with_ann(app: &TestApp) -> (String, String) {
    let (_, key) = app
        .create_practice("smith", "Smith Family Clinic", "555-0100")
        .await;
    let patient = app.create_patient(&key, ann()).await;
    (key, patient["id"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn missing_email_postal_code_or_mobile_is_named_before_sending_seed_003() {
    let app = TestApp::spawn().await;
    let (_, key) = app.create_practice("smith", "Smith", "555-0100").await;
    // Seed 003: "you will need to have a home zip code and email address on file".
    app.set_settings(&key, json!({"required_fields": ["email", "postal_code"]}))
        .await;

    let no_email = app
        .create_patient(
            &key,
            json!({"first_name": "Bo", "last_name": "Ng", "date_of_birth": "1980-01-01",
                   "postal_code": "97201"}),
        )
        .await;
    let id = no_email["id"].as_str().unwrap();
    let p = assert_problem(
        app.send_invitation(&key, id, json!({"channel": "email", "relation": "self"}))
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(p["field"], "email");

    let no_zip = app
        .create_patient(
            &key,
            json!({"first_name": "Cy", "last_name": "Ng", "date_of_birth": "1980-01-01",
                   "email": "cy@example.org"}),
        )
        .await;
    let id = no_zip["id"].as_str().unwrap();
    let p = assert_problem(
        app.send_invitation(&key, id, json!({"channel": "email", "relation": "self"}))
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(p["field"], "postal_code");
    assert!(p["detail"].as_str().unwrap().contains("postal_code"), "{p}");

    // Seed 004: a text message needs a mobile number on file.
    app.patch(
        &format!("/api/v1/practice/patients/{id}"),
        &key,
        json!({"postal_code": "97201"}),
    )
    .await;
    let p = assert_problem(
        app.send_invitation(&key, id, json!({"channel": "sms", "relation": "self"}))
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(p["field"], "mobile");

    // A representative needs their own email or mobile for the channel.
    let p = assert_problem(
        app.send_invitation(
            &key,
            id,
            json!({"channel": "sms", "relation": "spouse",
                   "recipient": {"first_name": "Di", "last_name": "Ng", "email": "di@example.org"}}),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(p["field"], "recipient.mobile");
    let p = assert_problem(
        app.send_invitation(&key, id, json!({"channel": "email", "relation": "spouse"}))
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(p["field"], "recipient");

    // Nothing was queued or granted by the refusals; with everything on file it goes.
    assert!(app.outbox_rows().await.is_empty());
    assert!(app.access_of(&key, id).await.is_empty());
    app.invite_self(&key, id, "email").await;
    assert_eq!(app.outbox_rows().await.len(), 1);
}

#[tokio::test]
async fn link_works_until_72_hours_and_is_expired_one_second_later_seed_004() {
    let app = TestApp::spawn().await;
    let (key, ann_id) = practice_with_ann(&app).await;
    let bo = app
        .create_patient(
            &key,
            json!({"first_name": "Bo", "last_name": "Ng", "date_of_birth": "1980-01-01",
                   "email": "bo@example.org"}),
        )
        .await;
    let bo_id = bo["id"].as_str().unwrap();
    app.invite_self(&key, &ann_id, "email").await;
    app.invite_self(&key, bo_id, "email").await;
    let (_, ann_link) = app.invitation_mail("ann@example.org", 1).await;
    let (_, bo_link) = app.invitation_mail("bo@example.org", 1).await;

    app.clock
        .set(test_epoch() + TimeDelta::hours(72) - TimeDelta::seconds(1));
    let r = app
        .redeem_invitation(&token_of(&ann_link), new_account("ann.lee", "1990-04-01"))
        .await;
    assert_eq!(r.status(), 201, "one second before expiry still works");

    app.clock
        .set(test_epoch() + TimeDelta::hours(72) + TimeDelta::seconds(1));
    let bo_token = token_of(&bo_link);
    assert_problem(
        app.open_invitation(&bo_token).await,
        410,
        "invitation_expired",
    )
    .await;
    assert_problem(
        app.redeem_invitation(&bo_token, new_account("bo.ng", "1980-01-01"))
            .await,
        410,
        "invitation_expired",
    )
    .await;
    assert_eq!(app.account_count().await, 1, "nothing created for Bo");
    assert_eq!(app.access_of(&key, bo_id).await[0]["status"], "invited");
    let listed: Vec<Value> = app
        .list_invitations(&key, bo_id)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed[0]["status"], "expired");

    // Seed 004: "If the patient does not register within 72 hours … resend the link".
    app.invite_self(&key, bo_id, "email").await;
    let (_, fresh) = app.invitation_mail("bo@example.org", 2).await;
    let r = app
        .redeem_invitation(&token_of(&fresh), new_account("bo.ng", "1980-01-01"))
        .await;
    assert_eq!(r.status(), 201);
}

#[tokio::test]
async fn invitation_lifetime_follows_the_practice_setting() {
    let app = TestApp::spawn().await;
    let (key, pid) = practice_with_ann(&app).await;
    app.set_settings(&key, json!({"invitation_ttl_hours": 24}))
        .await;
    let sent = app.invite_self(&key, &pid, "email").await;
    assert_eq!(
        sent["expires_at"]
            .as_str()
            .unwrap()
            .parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap(),
        test_epoch() + TimeDelta::hours(24)
    );
    let (mail, link) = app.invitation_mail("ann@example.org", 1).await;
    assert!(mail.text.contains("valid for 24 hours"), "{}", mail.text);
    app.clock.advance(TimeDelta::hours(24));
    assert_problem(
        app.open_invitation(&token_of(&link)).await,
        410,
        "invitation_expired",
    )
    .await;
}

#[tokio::test]
async fn resending_invalidates_the_earlier_link_seed_004() {
    let app = TestApp::spawn().await;
    let (key, pid) = practice_with_ann(&app).await;
    app.invite_self(&key, &pid, "email").await;
    let (_, first) = app.invitation_mail("ann@example.org", 1).await;
    app.clock.advance(TimeDelta::hours(1));
    app.invite_self(&key, &pid, "email").await;
    let (_, second) = app.invitation_mail("ann@example.org", 2).await;
    assert_ne!(first, second);

    assert_problem(
        app.open_invitation(&token_of(&first)).await,
        410,
        "invitation_used",
    )
    .await;
    assert_problem(
        app.redeem_invitation(&token_of(&first), new_account("ann.lee", "1990-04-01"))
            .await,
        410,
        "invitation_used",
    )
    .await;
    assert_eq!(app.account_count().await, 0);

    let access = app.access_of(&key, &pid).await;
    assert_eq!(access.len(), 1, "one access, invited again");
    assert_eq!(
        access[0]["invited_at"]
            .as_str()
            .unwrap()
            .parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap(),
        test_epoch() + TimeDelta::hours(1),
        "the access shows when the latest invitation was sent"
    );
    let listed: Vec<Value> = app.list_invitations(&key, &pid).await.json().await.unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0]["status"], "pending");
    assert_eq!(listed[1]["status"], "superseded");

    let r = app
        .redeem_invitation(&token_of(&second), new_account("ann.lee", "1990-04-01"))
        .await;
    assert_eq!(r.status(), 201);
}

#[tokio::test]
async fn exactly_one_of_fifty_parallel_redemptions_succeeds_and_losers_create_nothing() {
    let app = TestApp::spawn().await;
    let (key, pid) = practice_with_ann(&app).await;
    app.invite_self(&key, &pid, "email").await;
    let (_, link) = app.invitation_mail("ann@example.org", 1).await;
    let token = token_of(&link);

    let attempts = (0..50).map(|i| {
        let app = &app;
        let token = token.clone();
        async move {
            app.redeem_invitation(&token, new_account(&format!("racer{i}"), "1990-04-01"))
                .await
        }
    });
    let results = futures_util::future::join_all(attempts).await;
    let mut won = 0;
    for r in results {
        let status = r.status().as_u16();
        if (200..300).contains(&status) {
            won += 1;
        } else {
            assert_problem(r, 410, "invitation_used").await;
        }
    }
    assert_eq!(won, 1, "exactly one redemption wins");
    assert_eq!(app.account_count().await, 1, "losers created no account");
    let kinds = app.audit_kinds().await;
    assert_eq!(
        kinds.iter().filter(|k| *k == "invitation.redeemed").count(),
        1
    );
    let access = app.access_of(&key, &pid).await;
    assert_eq!(access.len(), 1);
    assert_eq!(access[0]["status"], "active");
    assert!(access[0]["username"].as_str().unwrap().starts_with("racer"));
}

#[tokio::test]
async fn wrong_date_of_birth_reveals_nothing_and_leaves_the_link_usable() {
    let app = TestApp::spawn().await;
    let (key, pid) = practice_with_ann(&app).await;
    app.invite_self(&key, &pid, "email").await;
    let (_, link) = app.invitation_mail("ann@example.org", 1).await;
    let token = token_of(&link);

    let wrong = assert_problem(
        app.redeem_invitation(&token, new_account("ann.lee", "1990-04-02"))
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(wrong["field"], "date_of_birth");
    let text = wrong.to_string();
    for secret in ["1990-04-01", "Lee", "ann@example.org", "97201"] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
    assert_eq!(app.account_count().await, 0);
    let failed = app
        .audit_rows()
        .await
        .into_iter()
        .find(|r| r.kind == "invitation.redeem_failed")
        .expect("the failed attempt is audited");
    assert!(failed.detail.contains("date_of_birth_mismatch"));

    assert_eq!(app.open_invitation(&token).await.status(), 200);
    let r = app
        .redeem_invitation(&token, new_account("ann.lee", "1990-04-01"))
        .await;
    assert_eq!(r.status(), 201);
}

#[tokio::test]
async fn ten_wrong_dates_of_birth_stop_the_link() {
    let app = TestApp::spawn().await;
    let (key, pid) = practice_with_ann(&app).await;
    app.invite_self(&key, &pid, "email").await;
    let (_, link) = app.invitation_mail("ann@example.org", 1).await;
    let token = token_of(&link);
    for day in 1..=10 {
        let r = app
            .redeem_invitation(&token, new_account("ann.lee", &format!("1991-01-{day:02}")))
            .await;
        assert_problem(r, 422, "validation_failed").await;
    }
    // Even the right date of birth no longer works: guessing has a hard limit.
    assert_problem(
        app.redeem_invitation(&token, new_account("ann.lee", "1990-04-01"))
            .await,
        410,
        "invitation_used",
    )
    .await;
    let listed: Vec<Value> = app.list_invitations(&key, &pid).await.json().await.unwrap();
    assert_eq!(listed[0]["status"], "revoked");
}

#[tokio::test]
async fn invitation_token_appears_only_in_the_message_never_in_responses_or_audit() {
    let app = TestApp::spawn_with(fast).await;
    let (key, pid) = practice_with_ann(&app).await;
    let mut seen = Vec::<String>::new();
    let r = app
        .send_invitation(&key, &pid, json!({"channel": "email", "relation": "self"}))
        .await;
    seen.push(r.text().await.unwrap());
    let (_, link) = app.invitation_mail("ann@example.org", 1).await;
    let token = token_of(&link);
    assert!(secrets::looks_like_token(&token), "{token}");

    seen.push(app.list_invitations(&key, &pid).await.text().await.unwrap());
    seen.push(app.open_invitation(&token).await.text().await.unwrap());
    seen.push(
        app.redeem_invitation(&token, new_account("ann.lee", "1990-04-01"))
            .await
            .text()
            .await
            .unwrap(),
    );
    seen.push(app.list_invitations(&key, &pid).await.text().await.unwrap());
    seen.push(
        app.get(&format!("/api/v1/practice/patients/{pid}/access"), &key)
            .await
            .text()
            .await
            .unwrap(),
    );
    for body in &seen {
        assert!(!body.contains(&token), "token leaked in {body}");
    }
    for row in app.audit_rows().await {
        let dumped = format!("{row:?}");
        assert!(!dumped.contains(&token), "token in audit: {dumped}");
        assert!(!dumped.contains(&secrets::hash_token(&token)));
    }
    // At rest only its SHA-256; once delivered the message body is wiped from the outbox.
    let stored = invitation::Entity::find().all(&app.state.db).await.unwrap();
    assert_eq!(stored[0].token_hash, secrets::hash_token(&token));
    assert!(!format!("{stored:?}").contains(&token));
    for m in app.outbox_rows().await {
        assert!(!m.body_text.contains(&token));
    }
}

#[tokio::test]
async fn another_practice_gets_404_for_this_practices_patients() {
    let app = TestApp::spawn().await;
    let (key, pid) = practice_with_ann(&app).await;
    let (_, other) = app
        .create_practice("jones", "Jones Clinic", "555-0200")
        .await;
    app.invite_self(&key, &pid, "email").await;

    assert_problem(
        app.send_invitation(
            &other,
            &pid,
            json!({"channel": "email", "relation": "self"}),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    assert_problem(app.list_invitations(&other, &pid).await, 404, "not_found").await;
    assert_problem(
        app.create_patient_account(&other, &pid, "ann.lee").await,
        404,
        "not_found",
    )
    .await;
    let access_id = app.access_of(&key, &pid).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_problem(
        app.activate_access(&other, &access_id).await,
        404,
        "not_found",
    )
    .await;
    let listed: Vec<Value> = app.list_invitations(&key, &pid).await.json().await.unwrap();
    assert_eq!(listed.len(), 1, "the other practice queued nothing");
}

#[tokio::test]
async fn unknown_and_malformed_links_are_invalid() {
    let app = TestApp::spawn().await;
    for token in ["nope", "not-a-token-at-all", &secrets::new_token()] {
        assert_problem(app.open_invitation(token).await, 404, "invitation_invalid").await;
        assert_problem(
            app.redeem_invitation(token, new_account("ann.lee", "1990-04-01"))
                .await,
            404,
            "invitation_invalid",
        )
        .await;
    }
}

#[tokio::test]
async fn patient_with_active_access_needs_no_second_invitation() {
    let app = TestApp::spawn().await;
    let (key, pid) = practice_with_ann(&app).await;
    app.invite_self(&key, &pid, "email").await;
    let (_, link) = app.invitation_mail("ann@example.org", 1).await;
    app.redeem_invitation(&token_of(&link), new_account("ann.lee", "1990-04-01"))
        .await;
    let p = assert_problem(
        app.send_invitation(&key, &pid, json!({"channel": "email", "relation": "self"}))
            .await,
        409,
        "conflict",
    )
    .await;
    assert!(p["detail"].as_str().unwrap().contains("active"), "{p}");
}

#[tokio::test]
async fn date_of_birth_guesses_sent_at_once_are_counted_before_they_are_checked() {
    let app = TestApp::spawn().await;
    let (key, pid) = practice_with_ann(&app).await;
    app.invite_self(&key, &pid, "email").await;
    let (_, link) = app.invitation_mail("ann@example.org", 1).await;
    let token = token_of(&link);
    // Thirty wrong dates of birth at once: no more are checked than ten in a row would be.
    let statuses = futures_util::future::join_all((1..=30).map(|day| {
        let app = &app;
        let token = token.clone();
        async move {
            app.redeem_invitation(&token, new_account("ann.lee", &format!("1991-01-{day:02}")))
                .await
                .status()
                .as_u16()
        }
    }))
    .await;
    let checked = statuses.iter().filter(|s| **s == 422).count();
    assert_eq!(checked, 10, "{statuses:?}");
    assert!(
        statuses.iter().all(|s| [422, 410, 429].contains(s)),
        "{statuses:?}"
    );
    let failed = app
        .audit_kinds()
        .await
        .iter()
        .filter(|k| *k == "invitation.redeem_failed")
        .count();
    assert_eq!(failed, 10);
    // The link is stopped, for the right date of birth too.
    assert_problem(
        app.redeem_invitation(&token, new_account("ann.lee", "1990-04-01"))
            .await,
        410,
        "invitation_used",
    )
    .await;
    assert_eq!(app.account_count().await, 0);
}
