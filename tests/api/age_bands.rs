//! Representative policy as data (issue 11): age bands per practice. Under 12 a parent has
//! full access; from 12 to the age of majority only the scopes the practice chose, and with
//! `teen_consent_required` nothing until the teenager's consent code; overrides for
//! guardianship and emancipation; and a minimum age for a patient's own account.

use crate::helpers::{TestApp, assert_problem};
use crate::helpers_ageing::{MINOR_EMAIL, PARENT_EMAIL};
use crate::helpers_invitations::{new_account, token_of};
use crate::helpers_login::{PASSWORD, SeededAccount, claims_of};
use chrono::TimeDelta;
use portico::service::{representation::ageing_out, representation::band_notices};
use portico::store::account;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

const FULL: &str = "portal appointments billing messages records";
const DEFAULT_LIMITED: &str = "portal appointments billing messages";

async fn practice(app: &TestApp) -> String {
    app.create_practice("smith", "Smith Family Clinic", "555-0100")
        .await
        .1
}

/// A child born on `dob` at the practice, and Bea, their parent, with portal access and an
/// email on her account (the same account for several children).
async fn parent_of(
    app: &TestApp,
    key: &str,
    first: &str,
    dob: &str,
    email: Option<&str>,
) -> SeededAccount {
    let mut child = json!({"first_name": first, "last_name": "Lee", "date_of_birth": dob});
    if let Some(e) = email {
        child["email"] = json!(e);
    }
    let bea = app
        .seed_portal_account(key, child, "bea.lee", PASSWORD, "parent")
        .await;
    account::Entity::update_many()
        .col_expr(account::Column::Email, Expr::value(PARENT_EMAIL))
        .col_expr(account::Column::EmailFolded, Expr::value(PARENT_EMAIL))
        .filter(account::Column::Id.eq(bea.account_id))
        .exec(&app.state.db)
        .await
        .unwrap();
    bea
}

fn patient_claim(tokens: &Value, patient_id: &str) -> Value {
    let claims = claims_of(tokens["access_token"].as_str().unwrap());
    claims["patients"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == patient_id)
        .unwrap_or_else(|| panic!("{patient_id} not in {claims}"))
        .clone()
}

fn scope(tokens: &Value) -> String {
    claims_of(tokens["access_token"].as_str().unwrap())["scope"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn refreshed(app: &TestApp, tokens: &Value) -> Value {
    let r = app.refresh(tokens["refresh_token"].as_str().unwrap()).await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

async fn issue_code(app: &TestApp, key: &str, patient_id: &str) -> String {
    let r = app
        .post(
            &format!("/api/v1/practice/patients/{patient_id}/teen-consent-codes"),
            key,
            json!({}),
        )
        .await;
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert_eq!(status, 201, "{body}");
    assert!(body["expires_at"].is_string(), "{body}");
    body["code"].as_str().unwrap().to_owned()
}

async fn give_consent(
    app: &TestApp,
    tokens: &Value,
    patient_id: &str,
    code: &str,
) -> reqwest::Response {
    app.post(
        "/api/v1/teen-consents",
        tokens["access_token"].as_str().unwrap(),
        json!({"patient_id": patient_id, "code": code}),
    )
    .await
}

async fn set_override(
    app: &TestApp,
    key: &str,
    patient_id: &str,
    body: Value,
) -> reqwest::Response {
    app.call(
        reqwest::Method::PUT,
        &format!("/api/v1/practice/patients/{patient_id}/representation-override"),
        Some(key),
        Some(body),
    )
    .await
}

#[tokio::test]
async fn practice_settings_default_to_the_documented_age_bands_and_check_changes() {
    let app = TestApp::spawn_with(|s| s.run_workers = false).await;
    let admin = practice(&app).await;
    let s: Value = app
        .get("/api/v1/practice/settings", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(s["limited_access_from_age"], 12, "{s}");
    assert_eq!(
        s["limited_scopes"],
        json!(["appointments", "billing", "messages"])
    );
    assert_eq!(s["teen_consent_required"], false);
    assert_eq!(s["min_self_service_age"], 13);

    for bad in [
        json!({"limited_scopes": ["openid"]}),
        json!({"limited_scopes": ["everything"]}),
        json!({"limited_access_from_age": 19}),
        json!({"min_self_service_age": -1}),
    ] {
        let r = app.patch("/api/v1/practice/settings", &admin, bad).await;
        assert_problem(r, 422, "validation_failed").await;
    }
    app.set_settings(
        &admin,
        json!({"limited_access_from_age": 14, "limited_scopes": ["appointments", "patient/Appointment.rs"],
               "teen_consent_required": true, "min_self_service_age": 16}),
    )
    .await;
    let s: Value = app
        .get("/api/v1/practice/settings", &admin)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(s["limited_access_from_age"], 14);
    assert_eq!(
        s["limited_scopes"],
        json!(["appointments", "patient/Appointment.rs"])
    );
    assert_eq!(s["teen_consent_required"], true);
    assert_eq!(s["min_self_service_age"], 16);
}

#[tokio::test]
async fn parent_of_child_under_twelve_has_full_access() {
    let app = TestApp::spawn_with(|s| s.run_workers = false).await;
    let admin = practice(&app).await;
    let bea = parent_of(&app, &admin, "Mia", "2016-01-01", None).await;

    let tokens = app.login_tokens(&bea, None).await;
    assert_eq!(scope(&tokens), FULL);
    let claim = patient_claim(&tokens, &bea.patient_id.to_string());
    assert_eq!(claim["relation"], "parent");
    assert!(claim.get("scopes").is_none(), "no restriction: {claim}");
    assert!(tokens["patients"][0].get("scopes").is_none(), "{tokens}");
}

#[tokio::test]
async fn parent_of_thirteen_year_old_gets_only_practice_chosen_scopes() {
    let app = TestApp::spawn_with(|s| s.run_workers = false).await;
    let admin = practice(&app).await;
    // With the defaults: no clinical record.
    let bea = parent_of(&app, &admin, "Sam", "2013-06-01", None).await;
    let tokens = app.login_tokens(&bea, None).await;
    assert_eq!(scope(&tokens), DEFAULT_LIMITED);
    let sam = bea.patient_id.to_string();
    assert_eq!(
        patient_claim(&tokens, &sam)["scopes"],
        json!(["appointments", "billing", "messages"])
    );

    // The practice narrows it further; the next token follows.
    app.set_settings(
        &admin,
        json!({"limited_scopes": ["appointments", "messages"]}),
    )
    .await;
    let tokens = refreshed(&app, &tokens).await;
    assert_eq!(scope(&tokens), "portal appointments messages");
    assert_eq!(
        patient_claim(&tokens, &sam)["scopes"],
        json!(["appointments", "messages"])
    );
    assert_eq!(
        tokens["patients"][0]["scopes"],
        json!(["appointments", "messages"])
    );

    // A younger sibling keeps full access on the same token; only Sam's claim is narrowed.
    let mia = parent_of(&app, &admin, "Mia", "2018-03-03", None).await;
    let tokens = app.login_tokens(&bea, None).await;
    assert_eq!(scope(&tokens), FULL);
    assert!(
        patient_claim(&tokens, &mia.patient_id.to_string())
            .get("scopes")
            .is_none()
    );
    assert_eq!(
        patient_claim(&tokens, &sam)["scopes"],
        json!(["appointments", "messages"])
    );
}

#[tokio::test]
async fn teen_consent_code_unlocks_limited_access_for_parent() {
    let app = TestApp::spawn_with(|s| s.run_workers = false).await;
    let admin = practice(&app).await;
    app.set_settings(&admin, json!({"teen_consent_required": true}))
        .await;
    let bea = parent_of(&app, &admin, "Sam", "2012-05-05", None).await;
    let sam = bea.patient_id.to_string();

    // Until Sam consents, Bea can log in but sees nothing of the record.
    let tokens = app.login_tokens(&bea, None).await;
    assert_eq!(scope(&tokens), "portal");
    assert_eq!(patient_claim(&tokens, &sam)["scopes"], json!([]));

    // Scheduling may not hand out consent codes.
    let scheduling = app.create_key(&admin, "scheduling").await;
    let r = app
        .post(
            &format!("/api/v1/practice/patients/{sam}/teen-consent-codes"),
            &scheduling,
            json!({}),
        )
        .await;
    assert_problem(r, 403, "forbidden").await;

    let code = issue_code(&app, &admin, &sam).await;
    let r = give_consent(&app, &tokens, &sam, "WRONGCODE2").await;
    assert_problem(r, 422, "invalid_consent_code").await;

    let r = give_consent(&app, &tokens, &sam, &code).await;
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["access"], "limited");
    assert_eq!(
        body["scopes"],
        json!(["appointments", "billing", "messages"])
    );

    let tokens = refreshed(&app, &tokens).await;
    assert_eq!(scope(&tokens), DEFAULT_LIMITED);
    assert_eq!(
        patient_claim(&tokens, &sam)["scopes"],
        json!(["appointments", "billing", "messages"])
    );
    let given = app
        .audit_rows()
        .await
        .into_iter()
        .find(|e| e.kind == "teen_consent.given")
        .expect("audited");
    assert_eq!(given.access_id, Some(bea.access_id));
}

#[tokio::test]
async fn reused_teen_consent_code_is_refused() {
    let app = TestApp::spawn_with(|s| s.run_workers = false).await;
    let admin = practice(&app).await;
    app.set_settings(&admin, json!({"teen_consent_required": true}))
        .await;
    let bea = parent_of(&app, &admin, "Sam", "2012-05-05", None).await;
    let sam = bea.patient_id.to_string();
    let tokens = app.login_tokens(&bea, None).await;
    let code = issue_code(&app, &admin, &sam).await;
    assert_eq!(give_consent(&app, &tokens, &sam, &code).await.status(), 200);

    let r = give_consent(&app, &tokens, &sam, &code).await;
    assert_problem(r, 410, "consent_code_used").await;
}

#[tokio::test]
async fn concurrent_submissions_of_one_teen_consent_code_spend_it_once() {
    let app = TestApp::spawn_with(|s| s.run_workers = false).await;
    let admin = practice(&app).await;
    app.set_settings(&admin, json!({"teen_consent_required": true}))
        .await;
    let bea = parent_of(&app, &admin, "Sam", "2012-05-05", None).await;
    let sam = bea.patient_id.to_string();
    let tokens = app.login_tokens(&bea, None).await;
    let code = issue_code(&app, &admin, &sam).await;

    // Four submissions at once (within the account's free attempts).
    let responses =
        futures_util::future::join_all((0..4).map(|_| give_consent(&app, &tokens, &sam, &code)))
            .await;
    let statuses: Vec<u16> = responses.iter().map(|r| r.status().as_u16()).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    for r in responses.into_iter().filter(|r| r.status() != 200) {
        assert_problem(r, 410, "consent_code_used").await;
    }
    let given = app
        .audit_rows()
        .await
        .into_iter()
        .filter(|e| e.kind == "teen_consent.given")
        .count();
    assert_eq!(given, 1);
}

#[tokio::test]
async fn expired_or_other_patients_teen_consent_codes_are_refused() {
    let app = TestApp::spawn_with(|s| s.run_workers = false).await;
    let admin = practice(&app).await;
    app.set_settings(&admin, json!({"teen_consent_required": true}))
        .await;
    let bea = parent_of(&app, &admin, "Sam", "2012-05-05", None).await;
    let sam = bea.patient_id.to_string();
    let other = app
        .create_patient(
            &admin,
            json!({"first_name": "Ola", "last_name": "Nu", "date_of_birth": "2012-01-01"}),
        )
        .await;
    let tokens = app.login_tokens(&bea, None).await;

    // A code for another patient tells Bea nothing more than a wrong one.
    let code = issue_code(&app, &admin, other["id"].as_str().unwrap()).await;
    let r = give_consent(&app, &tokens, &sam, &code).await;
    assert_problem(r, 422, "invalid_consent_code").await;

    let code = issue_code(&app, &admin, &sam).await;
    app.clock.advance(TimeDelta::days(8));
    let tokens = app.login_tokens(&bea, None).await;
    let r = give_consent(&app, &tokens, &sam, &code).await;
    assert_problem(r, 410, "consent_code_expired").await;
}

#[tokio::test]
async fn twelfth_birthday_narrows_access_and_notifies_both_sides_once() {
    let app = TestApp::spawn_with(|s| s.run_workers = false).await;
    let admin = practice(&app).await;
    // Mia turns 12 the day after the test epoch (2026-11-24).
    let bea = parent_of(&app, &admin, "Mia", "2014-11-24", Some(MINOR_EMAIL)).await;
    let mia = bea.patient_id.to_string();
    let tokens = app.login_tokens(&bea, None).await;
    assert_eq!(scope(&tokens), FULL);
    let db = &app.state.db;
    assert_eq!(
        band_notices::notify_due(db, app.clock_now()).await.unwrap(),
        0
    );

    app.clock.advance(TimeDelta::days(1));
    let tokens = refreshed(&app, &tokens).await;
    assert_eq!(scope(&tokens), DEFAULT_LIMITED);
    assert_eq!(
        patient_claim(&tokens, &mia)["scopes"],
        json!(["appointments", "billing", "messages"])
    );

    assert_eq!(
        band_notices::notify_due(db, app.clock_now()).await.unwrap(),
        1
    );
    assert_eq!(
        band_notices::notify_due(db, app.clock_now()).await.unwrap(),
        0
    );
    app.clock.advance(TimeDelta::days(1));
    assert_eq!(
        band_notices::notify_due(db, app.clock_now()).await.unwrap(),
        0
    );
    assert_eq!(
        app.templates_to(PARENT_EMAIL).await,
        vec!["representative_access_limited"]
    );
    assert_eq!(
        app.templates_to(MINOR_EMAIL).await,
        vec!["patient_representation_limited"]
    );
    let limited = app
        .audit_rows()
        .await
        .into_iter()
        .filter(|e| e.kind == "access.limited")
        .collect::<Vec<_>>();
    assert_eq!(limited.len(), 1);
    assert_eq!(limited[0].actor_kind, "system");
    assert_eq!(limited[0].access_id, Some(bea.access_id));
}

#[tokio::test]
async fn guardianship_override_keeps_full_access_past_majority_and_records_who_set_it() {
    let app = TestApp::spawn_with(|s| s.run_workers = false).await;
    let admin = practice(&app).await;
    // Sam turns 18 the day after the test epoch.
    let bea = app.seed_parent_of_minor(&admin, None).await;
    let sam = bea.patient_id.to_string();
    let reception = app.create_key(&admin, "reception").await;
    let reception_id = app.key_id(&admin, &reception).await;

    let r = set_override(
        &app,
        &reception,
        &sam,
        json!({"kind": "guardianship", "note": "Court order 2026-441"}),
    )
    .await;
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["kind"], "guardianship");
    assert_eq!(body["set_by"], format!("api_key:{reception_id}"));
    assert!(body["set_at"].is_string());

    app.clock.advance(TimeDelta::days(1));
    let tokens = app.login_tokens(&bea, None).await;
    assert_eq!(scope(&tokens), FULL);
    assert!(patient_claim(&tokens, &sam).get("scopes").is_none());
    let ended = ageing_out::expire_due(&app.state.db, app.state.settings.issuer(), app.clock_now())
        .await
        .unwrap();
    assert_eq!(ended, 0);
    assert_eq!(app.access_view(&admin, &bea).await["status"], "active");

    let set = app
        .audit_rows()
        .await
        .into_iter()
        .find(|e| e.kind == "representation.override_set")
        .expect("audited");
    assert_eq!(set.actor_kind, "api_key");
    assert_eq!(set.actor_id.as_deref(), Some(reception_id.as_str()));
    assert!(set.detail.contains("guardianship"), "{}", set.detail);

    // Without the override the age of majority applies again.
    let r = app
        .delete(
            &format!("/api/v1/practice/patients/{sam}/representation-override"),
            &reception,
        )
        .await;
    assert_eq!(r.status(), 204);
    let r = app.login(&bea.username, PASSWORD, None).await;
    assert_problem(r, 403, "no_access").await;
    assert!(
        app.audit_kinds()
            .await
            .contains(&"representation.override_cleared".to_owned())
    );
}

#[tokio::test]
async fn emancipation_override_ends_parent_access() {
    let app = TestApp::spawn_with(|s| s.run_workers = false).await;
    let admin = practice(&app).await;
    let bea = parent_of(&app, &admin, "Sam", "2010-02-02", None).await;
    let sam = bea.patient_id.to_string();
    let tokens = app.login_tokens(&bea, None).await;

    let r = set_override(&app, &admin, &sam, json!({"kind": "emancipation"})).await;
    assert_eq!(r.status(), 200);
    let access = app.access_view(&admin, &bea).await;
    assert_eq!(access["status"], "expired", "{access}");

    let r = app.refresh(tokens["refresh_token"].as_str().unwrap()).await;
    assert_problem(r, 403, "no_access").await;
    let r = app.login(&bea.username, PASSWORD, None).await;
    assert_problem(r, 403, "no_access").await;
    let expired = app
        .audit_rows()
        .await
        .into_iter()
        .find(|e| e.kind == "access.expired")
        .expect("audited");
    assert!(
        expired.detail.contains("emancipation"),
        "{}",
        expired.detail
    );
}

#[tokio::test]
async fn self_sign_up_below_minimum_age_points_to_representative_registration() {
    let app = TestApp::spawn_with(|s| s.run_workers = false).await;
    let admin = practice(&app).await;
    app.set_settings(&admin, json!({"self_registration": "auto_activate"}))
        .await;
    // An existing username gets the same answer: the age is checked first.
    app.seed_portal_account(
        &admin,
        crate::helpers_login::patient("Ann", "Ray", "ann@example.org"),
        "ann.ray",
        PASSWORD,
        "self",
    )
    .await;
    let accounts = app.account_count().await;
    for username in ["kid.lee", "ann.ray"] {
        let r = app
            .register(
                json!({"practice": "smith", "first_name": "Kid", "last_name": "Lee",
                   "date_of_birth": "2014-01-01", "email": "kid@example.org",
                   "username": username, "password": PASSWORD}),
            )
            .await;
        let p = assert_problem(r, 422, "below_minimum_age").await;
        let detail = p["detail"].as_str().unwrap();
        assert!(
            detail.contains("13") && detail.contains("representative"),
            "{detail}"
        );
    }
    assert_eq!(app.account_count().await, accounts);

    // On the 13th birthday sign-up works.
    let r = app
        .register(
            json!({"practice": "smith", "first_name": "Teen", "last_name": "Lee",
               "date_of_birth": "2013-11-23", "email": "teen@example.org",
               "username": "teen.lee", "password": PASSWORD}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
}

#[tokio::test]
async fn self_invitation_for_twelve_year_old_is_refused() {
    let app = TestApp::spawn_with(|s| s.run_workers = false).await;
    let admin = practice(&app).await;
    let kid = app
        .create_patient(
            &admin,
            json!({"first_name": "Kid", "last_name": "Lee", "date_of_birth": "2014-06-01",
                   "email": "kid@example.org"}),
        )
        .await;
    let kid_id = kid["id"].as_str().unwrap();
    let r = app
        .send_invitation(
            &admin,
            kid_id,
            json!({"channel": "email", "relation": "self"}),
        )
        .await;
    let p = assert_problem(r, 422, "below_minimum_age").await;
    assert!(p["detail"].as_str().unwrap().contains("representative"));
}

#[tokio::test]
async fn redeeming_a_self_invitation_below_minimum_age_is_refused() {
    let app = TestApp::spawn_with(|s| s.run_workers = false).await;
    let admin = practice(&app).await;
    app.set_settings(&admin, json!({"min_self_service_age": 12}))
        .await;
    let kid = app
        .create_patient(
            &admin,
            json!({"first_name": "Kid", "last_name": "Lee", "date_of_birth": "2014-06-01",
                   "email": "kid@example.org"}),
        )
        .await;
    let kid_id = kid["id"].as_str().unwrap();
    app.invite_self(&admin, kid_id, "email").await;
    let link = app
        .outbox_rows()
        .await
        .into_iter()
        .find(|r| r.recipient == "kid@example.org")
        .map(|r| r.body_text)
        .expect("invitation queued");
    let prefix = app.invite_prefix();
    let token = link
        .split_whitespace()
        .find(|w| w.starts_with(&prefix))
        .map(token_of)
        .expect("link in the invitation");

    app.set_settings(&admin, json!({"min_self_service_age": 13}))
        .await;
    let accounts = app.account_count().await;
    let r = app
        .redeem_invitation(&token, new_account("kid.lee", "2014-06-01"))
        .await;
    assert_problem(r, 422, "below_minimum_age").await;
    assert_eq!(app.account_count().await, accounts);
}
