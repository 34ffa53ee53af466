//! Representatives (seed 004: "If the patient is a minor or has a representative such as a
//! spouse, the parent or representative may register for the patient's portal as well"),
//! shared email addresses (seeds 002, 003) and existing accounts (seed 004: "the same login
//! credentials").

use crate::helpers::{TestApp, assert_problem};
use crate::helpers_invitations::{PASSWORD, ann, new_account, token_of};
use chrono::TimeDelta;
use portico::store::entities::portal_access;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde_json::{Value, json};
use uuid::Uuid;

fn sam() -> Value {
    json!({"first_name": "Sam", "last_name": "Lee", "date_of_birth": "2016-05-20",
           "email": "family@example.org", "postal_code": "97201"})
}

fn invite_parent(first: &str, email: &str) -> Value {
    json!({"channel": "email", "relation": "parent",
           "recipient": {"first_name": first, "last_name": "Lee", "email": email}})
}

fn as_parent(account: &str, username: &str, first: &str) -> Value {
    json!({"account": account, "username": username, "password": PASSWORD,
           "date_of_birth": "2016-05-20",
           "representative": {"first_name": first, "last_name": "Lee", "date_of_birth": "1984-02-11"}})
}

#[tokio::test]
async fn parent_registers_for_a_minor_with_their_own_name_and_relation_seed_004() {
    let app = TestApp::spawn().await;
    let (_, key) = app
        .create_practice("smith", "Smith Family Clinic", "555-0100")
        .await;
    let child = app.create_patient(&key, sam()).await;
    let cid = child["id"].as_str().unwrap();
    let r = app
        .send_invitation(&key, cid, invite_parent("Bea", "bea@example.org"))
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let sent: Value = r.json().await.unwrap();
    assert_eq!(sent["relation"], "parent");

    let (mail, link) = app.invitation_mail("bea@example.org", 1).await;
    assert!(mail.text.contains("Hello Bea,"), "{}", mail.text);
    assert!(
        mail.text.contains("for Sam, as their parent"),
        "{}",
        mail.text
    );
    let token = token_of(&link);
    let preview: Value = app.open_invitation(&token).await.json().await.unwrap();
    assert_eq!(preview["relation"], "parent");
    assert_eq!(preview["patient_first_name"], "Sam");
    assert_eq!(preview["recipient_first_name"], "Bea");

    // A representative must say who they are.
    let mut without = as_parent("new", "bea.lee", "Bea");
    without.as_object_mut().unwrap().remove("representative");
    let p = assert_problem(
        app.redeem_invitation(&token, without).await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(p["field"], "representative");

    let r = app
        .redeem_invitation(&token, as_parent("new", "bea.lee", "Bea"))
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let redeemed: Value = r.json().await.unwrap();
    assert_eq!(redeemed["relation"], "parent");
    assert_eq!(redeemed["patient_first_name"], "Sam");

    let access = app.access_of(&key, cid).await;
    assert_eq!(access.len(), 1);
    assert_eq!(access[0]["relation"], "parent");
    assert_eq!(access[0]["status"], "active");
    assert_eq!(access[0]["username"], "bea.lee");
    // The account is the representative's own, not the child's.
    let account = app.account_named("bea.lee").await;
    assert_eq!(account.first_name.as_deref(), Some("Bea"));
    assert_eq!(account.date_of_birth.unwrap().to_string(), "1984-02-11");
    assert_eq!(account.email.as_deref(), Some("bea@example.org"));
    let row = app
        .audit_rows()
        .await
        .into_iter()
        .find(|r| r.kind == "invitation.redeemed")
        .unwrap();
    assert_eq!(
        row.account_id,
        Some(account.id),
        "actor is the representative"
    );
    assert_eq!(
        row.patient_id.unwrap().to_string(),
        cid,
        "patient kept apart"
    );
}

#[tokio::test]
async fn parents_cannot_be_invited_for_an_adult_patient() {
    let app = TestApp::spawn().await;
    let (_, key) = app.create_practice("smith", "Smith", "555-0100").await;
    let adult = app.create_patient(&key, ann()).await;
    let p = assert_problem(
        app.send_invitation(
            &key,
            adult["id"].as_str().unwrap(),
            invite_parent("Bea", "bea@example.org"),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(p["field"], "relation");
    let spouse = app
        .send_invitation(
            &key,
            adult["id"].as_str().unwrap(),
            json!({"channel": "email", "relation": "spouse",
                   "recipient": {"first_name": "Cal", "last_name": "Lee", "email": "cal@example.org"}}),
        )
        .await;
    assert_eq!(spouse.status(), 201, "a spouse may act for an adult");
}

#[tokio::test]
async fn one_email_shared_by_two_accounts_with_distinct_usernames_seed_003() {
    let app = TestApp::spawn().await;
    let (_, key) = app.create_practice("smith", "Smith", "555-0100").await;
    // Seed 003: "For patients who want to share a single email address, each one must have a
    // unique username."
    let mut ids = Vec::new();
    for (first, dob) in [("Ann", "1990-04-01"), ("Cal", "1988-09-09")] {
        let p = app
            .create_patient(
                &key,
                json!({"first_name": first, "last_name": "Lee", "date_of_birth": dob,
                       "email": "family@example.org"}),
            )
            .await;
        let id = p["id"].as_str().unwrap().to_owned();
        app.invite_self(&key, &id, "email").await;
        ids.push((id, dob));
    }
    let mails = crate::mailbox::wait_for_mail(&app.mail_dir(), "family@example.org", 2).await;
    let links: Vec<String> = mails
        .iter()
        .map(|m| m.link(&app.invite_prefix()).unwrap())
        .collect();
    // Which mail is whose: the link knows.
    let mut by_name = std::collections::HashMap::new();
    for link in &links {
        let preview: Value = app
            .open_invitation(&token_of(link))
            .await
            .json()
            .await
            .unwrap();
        by_name.insert(
            preview["patient_first_name"].as_str().unwrap().to_owned(),
            token_of(link),
        );
    }

    let r = app
        .redeem_invitation(&by_name["Ann"], new_account("ann.lee", "1990-04-01"))
        .await;
    assert_eq!(r.status(), 201);
    // The same username in another letter case is taken, and the link survives the refusal.
    assert_problem(
        app.redeem_invitation(&by_name["Cal"], new_account("ANN.LEE", "1988-09-09"))
            .await,
        409,
        "username_taken",
    )
    .await;
    let r = app
        .redeem_invitation(&by_name["Cal"], new_account("cal.lee", "1988-09-09"))
        .await;
    assert_eq!(r.status(), 201);

    let ann = app.account_named("ann.lee").await;
    let cal = app.account_named("cal.lee").await;
    assert_ne!(ann.id, cal.id);
    assert_eq!(ann.email, cal.email, "one address, two accounts");
    for (id, _) in &ids {
        assert_eq!(app.access_of(&key, id).await[0]["status"], "active");
    }
}

#[tokio::test]
async fn one_parent_account_holds_access_to_three_children_seed_002() {
    let app = TestApp::spawn().await;
    let (_, key) = app.create_practice("smith", "Smith", "555-0100").await;
    // Seed 002: "this email can be used across multiple patient records".
    let mut children = Vec::new();
    for (first, dob) in [
        ("Sam", "2016-05-20"),
        ("Tia", "2018-07-01"),
        ("Uma", "2020-03-03"),
    ] {
        let c = app
            .create_patient(
                &key,
                json!({"first_name": first, "last_name": "Lee", "date_of_birth": dob,
                       "email": "bea@example.org"}),
            )
            .await;
        let id = c["id"].as_str().unwrap().to_owned();
        let r = app
            .send_invitation(&key, &id, invite_parent("Bea", "bea@example.org"))
            .await;
        assert_eq!(r.status(), 201);
        children.push((id, dob));
    }
    let mails = crate::mailbox::wait_for_mail(&app.mail_dir(), "bea@example.org", 3).await;
    let mut tokens = std::collections::HashMap::new();
    for m in &mails {
        let token = token_of(&m.link(&app.invite_prefix()).unwrap());
        let preview: Value = app.open_invitation(&token).await.json().await.unwrap();
        tokens.insert(
            preview["patient_first_name"].as_str().unwrap().to_owned(),
            token,
        );
    }
    for (i, (first, dob)) in [
        ("Sam", "2016-05-20"),
        ("Tia", "2018-07-01"),
        ("Uma", "2020-03-03"),
    ]
    .into_iter()
    .enumerate()
    {
        let mut body = as_parent(if i == 0 { "new" } else { "existing" }, "bea.lee", "Bea");
        body["date_of_birth"] = json!(dob);
        let r = app.redeem_invitation(&tokens[first], body).await;
        assert_eq!(r.status(), if i == 0 { 201 } else { 200 }, "{first}");
    }
    assert_eq!(app.account_count().await, 1);
    let bea = app.account_named("bea.lee").await;
    for (id, _) in &children {
        let access = app.access_of(&key, id).await;
        assert_eq!(access[0]["account_id"], bea.id.to_string());
        assert_eq!(access[0]["status"], "active");
    }
}

#[tokio::test]
async fn second_parent_gets_an_access_of_their_own() {
    let app = TestApp::spawn().await;
    let (_, key) = app.create_practice("smith", "Smith", "555-0100").await;
    let child = app.create_patient(&key, sam()).await;
    let cid = child["id"].as_str().unwrap();
    app.send_invitation(&key, cid, invite_parent("Bea", "bea@example.org"))
        .await;
    let (_, link) = app.invitation_mail("bea@example.org", 1).await;
    app.redeem_invitation(&token_of(&link), as_parent("new", "bea.lee", "Bea"))
        .await;

    let r = app
        .send_invitation(&key, cid, invite_parent("Dan", "dan@example.org"))
        .await;
    assert_eq!(r.status(), 201);
    let (_, link) = app.invitation_mail("dan@example.org", 1).await;
    let r = app
        .redeem_invitation(&token_of(&link), as_parent("new", "dan.lee", "Dan"))
        .await;
    assert_eq!(r.status(), 201);
    let access = app.access_of(&key, cid).await;
    assert_eq!(access.len(), 2);
    let mut names: Vec<&str> = access
        .iter()
        .map(|a| a["username"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["bea.lee", "dan.lee"]);
    assert!(access.iter().all(|a| a["status"] == "active"));
}

#[tokio::test]
async fn existing_account_redeems_with_its_own_credentials_seed_004() {
    let app = TestApp::spawn().await;
    let (_, smith) = app.create_practice("smith", "Smith", "555-0100").await;
    let (_, jones) = app.create_practice("jones", "Jones", "555-0200").await;
    let at_smith = app.create_patient(&smith, ann()).await;
    app.invite_self(&smith, at_smith["id"].as_str().unwrap(), "email")
        .await;
    let (_, link) = app.invitation_mail("ann@example.org", 1).await;
    app.redeem_invitation(&token_of(&link), new_account("ann.lee", "1990-04-01"))
        .await;
    let account = app.account_named("ann.lee").await;

    // The same person at a second practice keeps one login.
    let at_jones = app.create_patient(&jones, ann()).await;
    let jid = at_jones["id"].as_str().unwrap();
    app.invite_self(&jones, jid, "email").await;
    let (_, link) = app.invitation_mail("ann@example.org", 2).await;
    let token = token_of(&link);
    let mut wrong = new_account("ann.lee", "1990-04-01");
    wrong["account"] = json!("existing");
    wrong["password"] = json!("not the right password at all");
    assert_problem(
        app.redeem_invitation(&token, wrong.clone()).await,
        401,
        "invalid_credentials",
    )
    .await;
    // An unknown username looks exactly the same.
    wrong["username"] = json!("nobody.here");
    assert_problem(
        app.redeem_invitation(&token, wrong).await,
        401,
        "invalid_credentials",
    )
    .await;

    let mut right = new_account("ANN.lee", "1990-04-01");
    right["account"] = json!("existing");
    let r = app.redeem_invitation(&token, right).await;
    assert_eq!(r.status(), 200, "linked, not created");
    let linked: Value = r.json().await.unwrap();
    assert_eq!(linked["account_id"], account.id.to_string());
    assert_eq!(app.account_count().await, 1);
    let after = app.account_named("ann.lee").await;
    assert_eq!(
        after.password_hash, account.password_hash,
        "credentials kept"
    );
    assert_eq!(app.access_of(&jones, jid).await[0]["username"], "ann.lee");
}

#[tokio::test]
async fn regranting_after_a_revoke_relinks_the_same_account_and_keeps_history_seed_004() {
    let app = TestApp::spawn().await;
    let (_, key) = app.create_practice("smith", "Smith", "555-0100").await;
    let patient = app.create_patient(&key, ann()).await;
    let pid = patient["id"].as_str().unwrap();
    app.invite_self(&key, pid, "email").await;
    let (_, link) = app.invitation_mail("ann@example.org", 1).await;
    app.redeem_invitation(&token_of(&link), new_account("ann.lee", "1990-04-01"))
        .await;
    let account = app.account_named("ann.lee").await;

    // The practice revokes access (the revoke endpoint belongs to the access issue; the
    // state it leaves is written directly here).
    let access_id: Uuid = app.access_of(&key, pid).await[0]["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    app.clock.advance(TimeDelta::days(2));
    let revoked_at = app.clock_now();
    let row = portal_access::Entity::find_by_id(access_id)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    let mut am: portal_access::ActiveModel = row.into();
    am.status = Set(portico::domain::access::AccessStatus::Revoked);
    am.revoked_at = Set(Some(revoked_at));
    am.update(&app.state.db).await.unwrap();

    // Seed 004: "Once revoked, patient portal access can be granted again … by clicking Send
    // Portal Registration. The patient … may use the same login credentials."
    app.clock.advance(TimeDelta::days(1));
    app.invite_self(&key, pid, "email").await;
    let access = app.access_of(&key, pid).await;
    assert_eq!(access.len(), 1, "the same access is re-granted");
    assert_eq!(access[0]["status"], "invited");
    assert_eq!(access[0]["account_id"], account.id.to_string());
    assert!(!access[0]["revoked_at"].is_null(), "history is kept");

    let (_, link) = app.invitation_mail("ann@example.org", 2).await;
    let mut again = new_account("ann.lee", "1990-04-01");
    again["account"] = json!("existing");
    let r = app.redeem_invitation(&token_of(&link), again).await;
    assert_eq!(r.status(), 200);
    let access = app.access_of(&key, pid).await;
    assert_eq!(access[0]["status"], "active");
    assert_eq!(access[0]["id"], access_id.to_string());
    assert_eq!(access[0]["account_id"], account.id.to_string());
    assert_eq!(
        access[0]["revoked_at"]
            .as_str()
            .unwrap()
            .parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap(),
        revoked_at
    );
    assert_eq!(app.account_count().await, 1);
}

/// Ann has an account at Smith (with two-step verification on when `mfa`), and an invitation
/// from Jones; returns the Jones link's token and, with `mfa`, the authenticator secret.
async fn ann_invited_by_a_second_practice(app: &TestApp, mfa: bool) -> (String, Option<String>) {
    let (_, smith) = app.create_practice("smith", "Smith", "555-0100").await;
    let (_, jones) = app.create_practice("jones", "Jones", "555-0200").await;
    let at_smith = app.create_patient(&smith, ann()).await;
    app.invite_self(&smith, at_smith["id"].as_str().unwrap(), "email")
        .await;
    let (_, link) = app.invitation_mail("ann@example.org", 1).await;
    app.redeem_invitation(&token_of(&link), new_account("ann.lee", "1990-04-01"))
        .await;
    let mut mails = 1;
    let secret = if mfa {
        let r = app.login("ann.lee", PASSWORD, None).await;
        let tokens: Value = r.json().await.unwrap();
        let enrolled = app
            .enrol_totp(tokens["access_token"].as_str().unwrap())
            .await;
        mails += 1;
        Some(enrolled.secret)
    } else {
        None
    };
    let at_jones = app.create_patient(&jones, ann()).await;
    app.invite_self(&jones, at_jones["id"].as_str().unwrap(), "email")
        .await;
    let (_, link) = app.invitation_mail("ann@example.org", mails + 1).await;
    (token_of(&link), secret)
}

fn existing(password: &str) -> Value {
    let mut body = new_account("ann.lee", "1990-04-01");
    body["account"] = json!("existing");
    body["password"] = json!(password);
    body
}

#[tokio::test]
async fn redeeming_with_an_existing_account_goes_through_the_login_throttle() {
    let app = TestApp::spawn().await;
    let (token, _) = ann_invited_by_a_second_practice(&app, false).await;
    let hashes = app.state.hasher.hashes_run();
    // Forty wrong passwords at once: judged as at login, five checked.
    let statuses = futures_util::future::join_all((0..40).map(|_| {
        let app = &app;
        let token = &token;
        async move {
            app.redeem_invitation(token, existing("not the right password at all"))
                .await
                .status()
                .as_u16()
        }
    }))
    .await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 401).count(),
        5,
        "{statuses:?}"
    );
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 35);
    assert_eq!(app.state.hasher.hashes_run() - hashes, 5);
    // One counter with login: the right password waits at both.
    assert_problem(
        app.redeem_invitation(&token, existing(PASSWORD)).await,
        429,
        "rate_limited",
    )
    .await;
    assert_problem(
        app.login("ann.lee", PASSWORD, None).await,
        429,
        "rate_limited",
    )
    .await;
    app.clock.advance(TimeDelta::seconds(1));
    assert_eq!(
        app.redeem_invitation(&token, existing(PASSWORD))
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn redeeming_with_an_existing_account_asks_for_its_second_factor() {
    let app = TestApp::spawn().await;
    let (token, secret) = ann_invited_by_a_second_practice(&app, true).await;
    let secret = secret.unwrap();
    // The right password alone links nothing.
    assert_problem(
        app.redeem_invitation(&token, existing(PASSWORD)).await,
        401,
        "mfa_required",
    )
    .await;
    let mut wrong = existing(PASSWORD);
    wrong["code"] = json!("000000");
    assert_problem(
        app.redeem_invitation(&token, wrong).await,
        401,
        "invalid_mfa_code",
    )
    .await;
    let redeemed =
        |kinds: Vec<String>| kinds.iter().filter(|k| *k == "invitation.redeemed").count();
    assert_eq!(
        redeemed(app.audit_kinds().await),
        1,
        "only Smith's own redemption so far"
    );
    let mut right = existing(PASSWORD);
    right["code"] = json!(crate::helpers_security::totp_code(&secret, app.clock_now()));
    let r = app.redeem_invitation(&token, right).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    assert_eq!(
        redeemed(app.audit_kinds().await),
        2,
        "Smith's own redemption, then Jones's with the code"
    );
}
