//! Adult representatives need the patient's consent (issue 11, items 2 and 3): a spouse,
//! caregiver or other representative of an adult waits (`pending_consent`) until the patient
//! approves with the emailed link or code; consent lapses after the practice's months and only
//! the patient can renew it; the patient can end any representative's access; and the patient
//! is told whenever someone gains access to their record.

use crate::helpers::{TestApp, assert_problem};
use crate::helpers_consent::{ANN_EMAIL, CAL_EMAIL, as_account};
use crate::helpers_invitations::{fast, token_of};
use crate::helpers_login::{PASSWORD, instant, patient};
use chrono::{Months, TimeDelta};
use portico::service::representation::consent_lapse;
use serde_json::{Value, json};

const ANN_DOB: &str = "1990-04-01";

async fn json_of(r: reqwest::Response, status: u16) -> Value {
    let got = r.status().as_u16();
    let body = r.text().await.unwrap();
    assert_eq!(got, status, "{body}");
    serde_json::from_str(&body).unwrap_or(Value::Null)
}

/// The code line of a consent email: "… type this code: XXXX".
fn code_in(text: &str) -> String {
    let after = text.split("type this code: ").nth(1).expect("a code");
    after.split_whitespace().next().unwrap().to_owned()
}

#[tokio::test]
async fn spouse_access_is_pending_until_patient_approves() {
    let app = TestApp::spawn_with(fast).await;
    let (key, ann) = app.practice_with_ann().await;
    let pid = ann.patient_id.to_string();
    let cal = app
        .representative_redeems(&key, &pid, "spouse", ANN_DOB)
        .await;
    assert_eq!(cal.status, "pending_consent");
    let listed = app.access_by_id(&key, &pid, &cal.access_id).await;
    assert_eq!(listed["status"], "pending_consent", "{listed}");
    assert!(listed["consent_expires_at"].is_null());

    // Ann follows the link in her email: who asks, and nothing from her record.
    let (mail, link) = app.consent_mail(ANN_EMAIL, 1).await;
    assert!(mail.text.contains("Cal Lee"), "{}", mail.text);
    assert!(mail.text.contains("spouse or partner"), "{}", mail.text);
    let token = token_of(&link);
    let preview = json_of(app.open_consent(&token).await, 200).await;
    assert_eq!(preview["representative_name"], "Cal Lee");
    assert_eq!(preview["relation"], "spouse");
    assert_eq!(preview["practice"]["name"], "Smith Family Clinic");
    let mut keys: Vec<&str> = preview
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        ["expires_at", "practice", "relation", "representative_name"]
    );

    // Still pending: no tokens for Cal yet.
    assert_problem(
        app.login(&cal.username, PASSWORD, None).await,
        403,
        "consent_pending",
    )
    .await;

    let approved = json_of(app.decide_consent(&token, "approve").await, 200).await;
    assert_eq!(approved["status"], "active");
    let expected = app.clock_now().checked_add_months(Months::new(18)).unwrap();
    assert_eq!(instant(&approved["consent_expires_at"]), expected);

    let tokens = app.login_tokens(&as_account(&cal), None).await;
    assert_eq!(tokens["patients"][0]["id"], pid.as_str());
    assert_eq!(tokens["patients"][0]["relation"], "spouse");
    let listed = app.access_by_id(&key, &pid, &cal.access_id).await;
    assert_eq!(listed["status"], "active");
    assert_eq!(instant(&listed["consent_expires_at"]), expected);
    assert!(
        app.audit_kinds()
            .await
            .contains(&"access.consent_approved".to_owned())
    );
    // Cal is told he can log in.
    app.mail_about(CAL_EMAIL, "approved your portal access")
        .await;
}

#[tokio::test]
async fn pending_representative_login_is_told_consent_pending_after_correct_password_only() {
    let app = TestApp::spawn_with(fast).await;
    let (key, ann) = app.practice_with_ann().await;
    let cal = app
        .representative_redeems(&key, &ann.patient_id.to_string(), "caregiver", ANN_DOB)
        .await;
    assert_eq!(cal.status, "pending_consent");

    let wrong = assert_problem(
        app.login(&cal.username, "not the password at all", None)
            .await,
        401,
        "invalid_credentials",
    )
    .await;
    assert!(!wrong.to_string().contains("consent"), "{wrong}");

    let p = assert_problem(
        app.login(&cal.username, PASSWORD, None).await,
        403,
        "consent_pending",
    )
    .await;
    assert!(p.get("access_token").is_none());
    let detail = p["detail"].as_str().unwrap();
    assert!(detail.contains("Smith Family Clinic"), "{detail}");
    assert!(detail.contains("consent"), "{detail}");
    assert_eq!(p["practice"]["phone"], "555-0100");
    // Naming the practice gives the same answer.
    assert_problem(
        app.login(&cal.username, PASSWORD, Some("smith")).await,
        403,
        "consent_pending",
    )
    .await;
    // The login page says the same, after the password.
    let page = app.browser().log_in("", &cal.username, PASSWORD).await;
    assert_eq!(page.status, 403, "{}", page.body);
    assert!(
        page.contains("waiting for the patient&#x27;s consent")
            || page.contains("waiting for the patient's consent"),
        "{}",
        page.body
    );
    let refused = app
        .audit_rows()
        .await
        .into_iter()
        .find(|r| r.kind == "login.refused")
        .expect("audited");
    assert!(
        refused.detail.contains("consent_pending"),
        "{}",
        refused.detail
    );
}

#[tokio::test]
async fn patient_declines_and_representative_never_gets_tokens() {
    let app = TestApp::spawn_with(fast).await;
    let (key, ann) = app.practice_with_ann().await;
    let pid = ann.patient_id.to_string();
    let cal = app
        .representative_redeems(&key, &pid, "other", ANN_DOB)
        .await;
    let (_, link) = app.consent_mail(ANN_EMAIL, 1).await;

    let declined = json_of(app.decide_consent(&token_of(&link), "decline").await, 200).await;
    assert_eq!(declined["status"], "revoked");
    assert!(declined["consent_expires_at"].is_null());

    assert_problem(
        app.login(&cal.username, PASSWORD, None).await,
        403,
        "access_revoked",
    )
    .await;
    assert_problem(
        app.decide_consent(&token_of(&link), "approve").await,
        410,
        "token_invalid",
    )
    .await;
    assert_eq!(
        app.access_by_id(&key, &pid, &cal.access_id).await["status"],
        "revoked"
    );
    let told = app.mail_about(CAL_EMAIL, "was not approved").await;
    assert!(told.text.contains("Ann did not approve"), "{}", told.text);
}

#[tokio::test]
async fn consent_link_is_single_use() {
    let app = TestApp::spawn_with(fast).await;
    let (key, ann) = app.practice_with_ann().await;
    app.representative_redeems(&key, &ann.patient_id.to_string(), "spouse", ANN_DOB)
        .await;
    let (mail, link) = app.consent_mail(ANN_EMAIL, 1).await;
    let token = token_of(&link);
    let code = code_in(&mail.text);

    json_of(app.decide_consent(&token, "approve").await, 200).await;
    assert_problem(
        app.decide_consent(&token, "approve").await,
        410,
        "token_invalid",
    )
    .await;
    assert_problem(
        app.decide_consent(&token, "decline").await,
        410,
        "token_invalid",
    )
    .await;
    assert_problem(app.open_consent(&token).await, 410, "token_invalid").await;
    // The code from the same email was the same request: used up too.
    assert_problem(
        app.decide_consent(&code, "decline").await,
        410,
        "token_invalid",
    )
    .await;
    assert_problem(app.open_consent("not-a-token").await, 410, "token_invalid").await;
}

#[tokio::test]
async fn concurrent_decisions_on_one_consent_request_decide_once() {
    let app = TestApp::spawn_with(fast).await;
    let (key, ann) = app.practice_with_ann().await;
    let pid = ann.patient_id.to_string();
    let cal = app
        .representative_redeems(&key, &pid, "spouse", ANN_DOB)
        .await;
    let (mail, link) = app.consent_mail(ANN_EMAIL, 1).await;
    let token = token_of(&link);
    let code = code_in(&mail.text);

    // The link approves and the code from the same email declines, twice each, at once.
    let tries = [
        (&token, "approve"),
        (&code, "decline"),
        (&token, "approve"),
        (&code, "decline"),
    ];
    let responses =
        futures_util::future::join_all(tries.map(|(t, d)| app.decide_consent(t, d))).await;
    let statuses: Vec<u16> = responses.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 410).count(),
        3,
        "{statuses:?}"
    );
    let won = statuses.iter().position(|s| *s == 200).unwrap();
    let (status, kind) = match tries[won].1 {
        "approve" => ("active", "access.consent_approved"),
        _ => ("revoked", "access.consent_declined"),
    };
    assert_eq!(
        app.access_by_id(&key, &pid, &cal.access_id).await["status"],
        status
    );
    let decided: Vec<String> = app
        .audit_kinds()
        .await
        .into_iter()
        .filter(|k| {
            k.starts_with("access.consent_approved") || k.starts_with("access.consent_declined")
        })
        .collect();
    assert_eq!(decided, [kind]);
}

#[tokio::test]
async fn consent_code_from_the_email_works_on_the_consent_page() {
    let app = TestApp::spawn_with(fast).await;
    let (key, ann) = app.practice_with_ann().await;
    let pid = ann.patient_id.to_string();
    let cal = app
        .representative_redeems(&key, &pid, "spouse", ANN_DOB)
        .await;
    let (mail, _) = app.consent_mail(ANN_EMAIL, 1).await;
    let code = code_in(&mail.text);
    assert!(
        mail.text
            .contains(&format!("{}/representative-consent", app.issuer())),
        "{}",
        mail.text
    );

    let browser = app.browser();
    let form = browser.open("/representative-consent").await;
    assert_eq!(form.status, 200, "{}", form.body);
    let typed = browser
        .open(&format!("/representative-consent?code={code}"))
        .await;
    assert_eq!(typed.status, 303);
    let page = browser.open(typed.location()).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.contains("Cal Lee asks to see your record"),
        "{}",
        page.body
    );
    assert!(page.contains("spouse or partner"));

    // Without the form's CSRF token nothing is decided.
    let forged = browser
        .submit(typed.location(), &[("decision", "approve")])
        .await;
    assert_eq!(forged.status, 403);
    let done = browser
        .submit_on(&page, typed.location(), &[("decision", "approve")])
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.contains("Access approved"), "{}", done.body);
    assert_eq!(
        app.access_by_id(&key, &pid, &cal.access_id).await["status"],
        "active"
    );
    let again = browser.open(typed.location()).await;
    assert_eq!(again.status, 410);
}

#[tokio::test]
async fn consent_lapses_after_practice_set_months_and_only_patient_can_renew() {
    let app = TestApp::spawn_with(fast).await;
    let (key, ann) = app.practice_with_ann().await;
    let pid = ann.patient_id.to_string();
    app.set_settings(&key, json!({"adult_representative_consent_months": 2}))
        .await;
    let settings = json_of(app.get("/api/v1/practice/settings", &key).await, 200).await;
    assert_eq!(settings["adult_representative_consent_months"], 2);
    // Another patient of the practice, with an account of her own.
    let bob = app
        .seed_portal_account(
            &key,
            patient("Bob", "Ray", "bob@example.org"),
            "bob.ray",
            PASSWORD,
            "self",
        )
        .await;

    let cal = app
        .representative_redeems(&key, &pid, "spouse", ANN_DOB)
        .await;
    let (_, link) = app.consent_mail(ANN_EMAIL, 1).await;
    let approved = json_of(app.decide_consent(&token_of(&link), "approve").await, 200).await;
    let until = app.clock_now().checked_add_months(Months::new(2)).unwrap();
    assert_eq!(instant(&approved["consent_expires_at"]), until);
    app.login_tokens(&as_account(&cal), None).await;

    // The day before: nothing lapses.
    app.clock
        .advance(until - app.clock_now() - TimeDelta::days(1));
    let issuer = app.state.settings.issuer().to_owned();
    let lapsed = consent_lapse::lapse_due(&app.state.db, &issuer, app.clock_now())
        .await
        .unwrap();
    assert_eq!(lapsed, 0);

    app.clock.advance(TimeDelta::days(1));
    let lapsed = consent_lapse::lapse_due(&app.state.db, &issuer, app.clock_now())
        .await
        .unwrap();
    assert_eq!(lapsed, 1);
    assert_eq!(
        app.access_by_id(&key, &pid, &cal.access_id).await["status"],
        "consent_expired"
    );
    assert_problem(
        app.login(&cal.username, PASSWORD, None).await,
        403,
        "consent_expired",
    )
    .await;
    // Both are told; Ann's mail leads to her account page.
    app.mail_about(CAL_EMAIL, "is paused").await;
    let ann_mail = app.mail_about(ANN_EMAIL, "has run out").await;
    assert!(
        ann_mail
            .link(&format!("{}/account", app.issuer()))
            .is_some(),
        "{}",
        ann_mail.text
    );

    // Not the practice, not another patient: only Ann renews.
    assert_problem(
        app.unblock_access(&key, cal.access_id.parse().unwrap(), None)
            .await,
        409,
        "conflict",
    )
    .await;
    let bob_tokens = app.login_tokens(&bob, None).await;
    assert_problem(
        app.renew_representative(bob_tokens["access_token"].as_str().unwrap(), &cal.access_id)
            .await,
        404,
        "not_found",
    )
    .await;
    let ann_tokens = app.login_tokens(&ann, None).await;
    let renewed = json_of(
        app.renew_representative(ann_tokens["access_token"].as_str().unwrap(), &cal.access_id)
            .await,
        200,
    )
    .await;
    assert_eq!(renewed["status"], "active");
    assert_eq!(
        instant(&renewed["consent_expires_at"]),
        app.clock_now().checked_add_months(Months::new(2)).unwrap()
    );
    app.login_tokens(&as_account(&cal), None).await;
}

#[tokio::test]
async fn refresh_after_consent_lapse_is_refused() {
    let app = TestApp::spawn_with(fast).await;
    let (key, ann) = app.practice_with_ann().await;
    let pid = ann.patient_id.to_string();
    let cal = app.approved_representative(&key, &pid, "caregiver").await;
    let tokens = app.login_tokens(&as_account(&cal), None).await;
    let refresh = tokens["refresh_token"].as_str().unwrap();
    // Within the consent, refresh works.
    let next = json_of(app.refresh(refresh).await, 200).await;

    // Past the default 18 months (the session's own lifetime aside), before any job runs.
    app.clock.advance(TimeDelta::days(18 * 31));
    assert_problem(
        app.refresh(next["refresh_token"].as_str().unwrap()).await,
        403,
        "consent_expired",
    )
    .await;
    assert_eq!(
        app.access_by_id(&key, &pid, &cal.access_id).await["status"],
        "consent_expired"
    );
}

#[tokio::test]
async fn refresh_is_refused_the_moment_consent_lapses_even_within_the_session() {
    let app = TestApp::spawn_with(fast).await;
    let (key, ann) = app.practice_with_ann().await;
    let pid = ann.patient_id.to_string();
    app.set_settings(&key, json!({"adult_representative_consent_months": 1}))
        .await;
    let cal = app.approved_representative(&key, &pid, "spouse").await;
    // Log in a day before the lapse: the session and its refresh token would still be fresh.
    app.clock.advance(TimeDelta::days(29));
    let tokens = app.login_tokens(&as_account(&cal), None).await;
    app.clock.advance(TimeDelta::days(2));
    assert_problem(
        app.refresh(tokens["refresh_token"].as_str().unwrap()).await,
        403,
        "consent_expired",
    )
    .await;
    let access = app.access_by_id(&key, &pid, &cal.access_id).await;
    assert_eq!(access["status"], "consent_expired");
}

#[tokio::test]
async fn access_token_stops_working_the_moment_consent_lapses_before_the_job_runs() {
    let app = TestApp::spawn_with(fast).await;
    let (key, ann) = app.practice_with_ann().await;
    let pid = ann.patient_id.to_string();
    app.set_settings(&key, json!({"adult_representative_consent_months": 1}))
        .await;
    let cal = app.approved_representative(&key, &pid, "spouse").await;
    let access = app.access_by_id(&key, &pid, &cal.access_id).await;
    let expires = instant(&access["consent_expires_at"]);
    // Log in two minutes before the lapse: the access token (five minutes) outlives it.
    app.clock.set(expires - TimeDelta::minutes(2));
    let tokens = app.login_tokens(&as_account(&cal), None).await;
    let at = tokens["access_token"].as_str().unwrap();
    assert_eq!(app.me(at).await.status(), 200);
    app.clock.advance(TimeDelta::minutes(3));
    // The lapse job has not run (hourly), yet the token is refused at once.
    assert_eq!(
        app.access_by_id(&key, &pid, &cal.access_id).await["status"],
        "active"
    );
    assert_eq!(app.me(at).await.status(), 401);
}

#[tokio::test]
async fn patient_ends_caregiver_access_from_account_api_and_sessions_die() {
    let app = TestApp::spawn_with(fast).await;
    let (key, ann) = app.practice_with_ann().await;
    let pid = ann.patient_id.to_string();
    let cal = app.approved_representative(&key, &pid, "caregiver").await;
    let cal_tokens = app.login_tokens(&as_account(&cal), None).await;
    let cal_at = cal_tokens["access_token"].as_str().unwrap();

    // A representative cannot end (or see) the patient's list.
    assert_problem(
        app.end_representative(cal_at, &cal.access_id).await,
        404,
        "not_found",
    )
    .await;
    let none = json_of(app.my_representatives(cal_at).await, 200).await;
    assert_eq!(none, json!([]));

    let ann_tokens = app.login_tokens(&ann, None).await;
    let ann_at = ann_tokens["access_token"].as_str().unwrap();
    let list = json_of(app.my_representatives(ann_at).await, 200).await;
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    let rep = &list[0];
    assert_eq!(rep["access_id"], cal.access_id.as_str());
    assert_eq!(rep["representative_name"], "Cal Lee");
    assert_eq!(rep["relation"], "caregiver");
    assert_eq!(rep["practice"]["name"], "Smith Family Clinic");
    assert_eq!(rep["status"], "active");
    assert!(rep["consent_expires_at"].is_string(), "{rep}");

    let r = app.end_representative(ann_at, &cal.access_id).await;
    assert_eq!(r.status(), 204, "{}", r.text().await.unwrap());

    // At once: Cal's refresh token and access token are dead, and he cannot log in.
    let refused = app
        .refresh(cal_tokens["refresh_token"].as_str().unwrap())
        .await;
    assert_eq!(refused.status(), 403, "{}", refused.text().await.unwrap());
    assert_problem(app.me(cal_at).await, 403, "access_revoked").await;
    assert_problem(
        app.login(&cal.username, PASSWORD, None).await,
        403,
        "access_revoked",
    )
    .await;
    let listed = app.access_by_id(&key, &pid, &cal.access_id).await;
    assert_eq!(listed["status"], "revoked");
    assert_eq!(
        json_of(app.my_representatives(ann_at).await, 200).await,
        json!([])
    );
    let told = app.mail_about(CAL_EMAIL, "has ended").await;
    assert!(told.text.contains("Ann has ended"), "{}", told.text);
    assert!(
        app.audit_kinds()
            .await
            .contains(&"access.ended_by_patient".to_owned())
    );
}

#[tokio::test]
async fn patient_ends_representative_access_from_account_page() {
    let app = TestApp::spawn_with(fast).await;
    let (key, ann) = app.practice_with_ann().await;
    let pid = ann.patient_id.to_string();
    let cal = app.approved_representative(&key, &pid, "spouse").await;
    let cal_tokens = app.login_tokens(&as_account(&cal), None).await;

    let browser = app.browser();
    assert_eq!(browser.log_in("", "ann.lee", PASSWORD).await.status, 303);
    let page = browser.open("/account").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.contains("People who can see your record"),
        "{}",
        page.body
    );
    assert!(page.contains("Cal Lee"));
    assert!(page.contains("Renew my consent"));
    let action = format!("/account/representatives/{}/end", cal.access_id);
    assert!(page.contains(&action), "{}", page.body);

    // A forged form (no CSRF token) changes nothing.
    assert_eq!(browser.submit(&action, &[]).await.status, 403);
    assert_eq!(
        app.access_by_id(&key, &pid, &cal.access_id).await["status"],
        "active"
    );

    let ended = browser.submit_on(&page, &action, &[]).await;
    assert_eq!(ended.status, 303, "{}", ended.body);
    let after = browser.open(ended.location()).await;
    assert!(after.contains("Their access has ended"), "{}", after.body);
    assert!(!after.contains(&action));
    assert_eq!(
        app.access_by_id(&key, &pid, &cal.access_id).await["status"],
        "revoked"
    );
    let refused = app
        .refresh(cal_tokens["refresh_token"].as_str().unwrap())
        .await;
    assert_eq!(refused.status(), 403);
}

#[tokio::test]
async fn patient_is_told_when_someone_gains_access_with_who_relation_and_practice() {
    let app = TestApp::spawn_with(fast).await;
    let (key, ann) = app.practice_with_ann().await;
    let cal = app
        .representative_redeems(&key, &ann.patient_id.to_string(), "spouse", ANN_DOB)
        .await;
    let (_, link) = app.consent_mail(ANN_EMAIL, 1).await;
    json_of(app.decide_consent(&token_of(&link), "approve").await, 200).await;
    let told = app
        .mail_about(ANN_EMAIL, "now has access to your patient portal record")
        .await;
    assert!(told.subject.contains("Cal Lee"), "{}", told.subject);
    assert!(
        told.subject.contains("Smith Family Clinic"),
        "{}",
        told.subject
    );
    assert!(
        told.text.contains("as your spouse or partner"),
        "{}",
        told.text
    );
    // The way to end it: the account page, which asks Ann to log in first.
    let account = told
        .link(&format!("{}/account", app.issuer()))
        .expect("a link to the account page");
    let opened = app.browser().open(&account).await;
    assert_eq!(opened.status, 303);
    assert!(
        opened.location().starts_with("/login"),
        "{}",
        opened.location()
    );
    assert!(!cal.access_id.is_empty());

    // A parent of a minor with an email on file: active at once, and the minor is told.
    let sam = app
        .create_patient(
            &key,
            json!({"first_name": "Sam", "last_name": "Lee", "date_of_birth": "2016-05-20",
                   "email": "sam@example.org"}),
        )
        .await;
    let bea = app
        .person_redeems_as(
            &key,
            sam["id"].as_str().unwrap(),
            "parent",
            "2016-05-20",
            "Bea",
            "bea@example.org",
        )
        .await;
    assert_eq!(bea.status, "active");
    let sam_told = app
        .mail_about(
            "sam@example.org",
            "now has access to your patient portal record",
        )
        .await;
    assert!(sam_told.subject.contains("Bea Lee"), "{}", sam_told.subject);
    assert!(
        sam_told.text.contains("as your parent"),
        "{}",
        sam_told.text
    );

    // A minor without an email: nobody to tell, nothing queued.
    app.set_settings(&key, json!({"required_fields": []})).await;
    let kit = app
        .create_patient(
            &key,
            json!({"first_name": "Kit", "last_name": "Lee", "date_of_birth": "2018-01-09"}),
        )
        .await;
    let dan = app
        .person_redeems_as(
            &key,
            kit["id"].as_str().unwrap(),
            "guardian",
            "2018-01-09",
            "Dan",
            "dan@example.org",
        )
        .await;
    assert_eq!(dan.status, "active");
    let granted = app
        .outbox_rows()
        .await
        .into_iter()
        .filter(|r| r.template == "representative_access_granted")
        .count();
    assert_eq!(granted, 2, "Ann and Sam, no one else");
}

#[tokio::test]
async fn patient_without_email_stays_pending_and_the_practice_can_resend() {
    let app = TestApp::spawn_with(fast).await;
    let (_, key) = app
        .create_practice("smith", "Smith Family Clinic", "555-0100")
        .await;
    app.set_settings(&key, json!({"required_fields": []})).await;
    let dee = app
        .create_patient(
            &key,
            json!({"first_name": "Dee", "last_name": "Moss", "date_of_birth": "1975-06-30"}),
        )
        .await;
    let pid = dee["id"].as_str().unwrap();
    let cal = app
        .representative_redeems(&key, pid, "caregiver", "1975-06-30")
        .await;
    assert_eq!(cal.status, "pending_consent");
    assert!(
        !app.outbox_rows()
            .await
            .iter()
            .any(|r| r.template == "representative_consent_request"),
        "no address to send it to"
    );
    assert_eq!(
        app.access_by_id(&key, pid, &cal.access_id).await["status"],
        "pending_consent"
    );
    assert_problem(
        app.resend_consent(&key, &cal.access_id).await,
        409,
        "conflict",
    )
    .await;

    let r = app
        .patch(
            &format!("/api/v1/practice/patients/{pid}"),
            &key,
            json!({"email": "dee@example.org"}),
        )
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let resent = json_of(app.resend_consent(&key, &cal.access_id).await, 200).await;
    assert_eq!(resent["status"], "pending_consent");
    let (_, first) = app.consent_mail("dee@example.org", 1).await;
    // Sending again replaces the earlier link.
    json_of(app.resend_consent(&key, &cal.access_id).await, 200).await;
    let (_, second) = app.consent_mail("dee@example.org", 2).await;
    assert_ne!(first, second);
    assert_problem(
        app.open_consent(&token_of(&first)).await,
        410,
        "token_invalid",
    )
    .await;
    json_of(app.decide_consent(&token_of(&second), "approve").await, 200).await;
    app.login_tokens(&as_account(&cal), None).await;
}

/// Issue 17, item 11: the name in the consent email is the one the representative typed when
/// redeeming; the email says so, and keeps it out of the subject.
#[tokio::test]
async fn the_consent_email_labels_the_typed_name_as_entered_by_the_requester() {
    let app = TestApp::spawn_with(fast).await;
    let (key, ann) = app.practice_with_ann().await;
    let pid = ann.patient_id.to_string();
    app.representative_redeems(&key, &pid, "spouse", ANN_DOB)
        .await;
    let (mail, _) = app.consent_mail(ANN_EMAIL, 1).await;
    let text = mail.text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        text.contains("Name entered by the requester: Cal Lee (as they typed it"),
        "{text}"
    );
    assert!(!mail.subject.contains("Cal Lee"), "{}", mail.subject);
    assert!(
        mail.subject.contains("Smith Family Clinic"),
        "{}",
        mail.subject
    );
}
