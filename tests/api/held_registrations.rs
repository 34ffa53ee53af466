//! Self sign-ups that probably match an existing patient are held for the practice instead of
//! creating a second record (issue 11, item 6), and the practice links or rejects them.

use crate::helpers::{TestApp, assert_problem};
use crate::helpers_invitations::{PASSWORD, fast, token_of};
use crate::helpers_login::claims_of;
use crate::mailbox;
use serde_json::{Value, json};

/// The practice's record: Katherine Park, born 1995-06-15.
fn katherine() -> Value {
    json!({"first_name": "Katherine", "last_name": "Park", "date_of_birth": "1995-06-15",
           "email": "kpark@example.org"})
}

fn sign_up(first: &str, last: &str, email: &str, username: &str) -> Value {
    json!({"practice": "smith", "first_name": first, "last_name": last,
           "date_of_birth": "1995-06-15", "email": email,
           "username": username, "password": PASSWORD})
}

async fn practice(app: &TestApp) -> (String, String) {
    let (_, key) = app
        .create_practice("smith", "Smith Family Clinic", "555-0100")
        .await;
    app.set_settings(&key, json!({ "self_registration": "verify_email" }))
        .await;
    let created = app.create_patient(&key, katherine()).await;
    (key, created["id"].as_str().unwrap().to_owned())
}

async fn patients(app: &TestApp, key: &str) -> Vec<Value> {
    let page: Value = app
        .get("/api/v1/practice/patients", key)
        .await
        .json()
        .await
        .unwrap();
    page["items"].as_array().unwrap().clone()
}

async fn held(app: &TestApp, key: &str) -> Vec<Value> {
    let r = app.get("/api/v1/practice/held-registrations", key).await;
    assert_eq!(r.status(), 200);
    r.json::<Vec<Value>>().await.unwrap()
}

#[tokio::test]
async fn sign_up_matching_existing_patient_is_held_not_duplicated() {
    let app = TestApp::spawn_with(fast).await;
    let (key, katherine_id) = practice(&app).await;

    // "Kate", typed with stray spaces and capitals: the same person by the practice's rule.
    let r = app
        .register(sign_up("  KATE ", "park", "kate@example.org", "kate.p"))
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["status"], "pending_verification");

    assert_eq!(patients(&app, &key).await.len(), 1, "no second record");
    let waiting = held(&app, &key).await;
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0]["patient_id"], katherine_id.as_str());
    assert_eq!(waiting[0]["first_name"], "KATE");
    assert_eq!(waiting[0]["username"], "kate.p");
    assert_eq!(waiting[0]["status"], "held");

    // The person is told the practice will be in touch; no link that turns anything on.
    let mails = mailbox::wait_for_mail(&app.mail_dir(), "kate@example.org", 1).await;
    assert!(
        mails[0]
            .text
            .contains("will check your details and contact you")
    );
    assert!(!mails[0].text.contains("/verify-email/"));
    assert!(
        !mails[0].text.contains("Katherine"),
        "nothing about the record on file"
    );
    // No access until the practice decides.
    assert_ne!(
        app.login("kate.p", PASSWORD, Some("smith")).await.status(),
        200
    );
    assert!(
        app.audit_kinds()
            .await
            .contains(&"registration.held".to_owned())
    );

    // Someone else with the same birth date is an ordinary sign-up.
    let r = app
        .register(sign_up("Karl", "Parker", "karl@example.org", "karl.p"))
        .await;
    assert_eq!(r.status(), 201);
    assert_eq!(patients(&app, &key).await.len(), 2);
    assert_eq!(held(&app, &key).await.len(), 1);
}

#[tokio::test]
async fn accents_in_the_name_do_not_dodge_the_match() {
    let app = TestApp::spawn_with(fast).await;
    let (key, _) = practice(&app).await;
    app.create_patient(
        &key,
        json!({"first_name": "Zoë", "last_name": "O'Neil", "date_of_birth": "1995-06-15"}),
    )
    .await;
    let r = app
        .register(sign_up("zoe", "ONEIL", "zoe@example.org", "zoe.o"))
        .await;
    assert_eq!(r.status(), 201);
    assert_eq!(held(&app, &key).await.len(), 1);
    assert_eq!(patients(&app, &key).await.len(), 2);
}

#[tokio::test]
async fn held_sign_up_response_reveals_nothing_to_a_stranger() {
    let app = TestApp::spawn_with(fast).await;
    let (key, _) = practice(&app).await;

    // A stranger who knows Katherine's name and birth date, and one who signs up as nobody
    // the practice knows: the answers differ only in the username each chose.
    let held_r = app
        .register(sign_up("Katherine", "Park", "x1@example.org", "stranger1"))
        .await;
    let plain_r = app
        .register(sign_up("Nadia", "Quill", "x2@example.org", "stranger2"))
        .await;
    assert_eq!(held_r.status(), plain_r.status());
    let mut a: Value = held_r.json().await.unwrap();
    let mut b: Value = plain_r.json().await.unwrap();
    assert_eq!(a["username"], "stranger1");
    assert_eq!(b["username"], "stranger2");
    a["username"] = Value::Null;
    b["username"] = Value::Null;
    assert_eq!(a, b);
    assert!(
        a["message"]
            .as_str()
            .unwrap()
            .contains("reviews online sign-ups")
    );
    assert_eq!(held(&app, &key).await.len(), 1);

    // The sign-up page answers the same page too.
    let browser = app.browser();
    let dob = crate::helpers_pages::date_fields("date_of_birth", "1995-06-15");
    let mut pages = Vec::new();
    for (first, last, user) in [
        ("Kath", "Park", "stranger3"),
        ("Olga", "Quill", "stranger4"),
    ] {
        let mut fields = vec![
            ("first_name", first),
            ("last_name", last),
            ("email", "x3@example.org"),
            ("username", user),
            ("password", PASSWORD),
            ("password_confirm", PASSWORD),
        ];
        fields.extend(dob.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let page = browser.fill_and_submit("/register/smith", &fields).await;
        assert_eq!(page.status, 200, "{}", page.body);
        pages.push(page.body.replace(user, "USER"));
    }
    assert_eq!(pages[0], pages[1]);
    assert_eq!(held(&app, &key).await.len(), 2);
}

#[tokio::test]
async fn practice_links_held_sign_up_to_existing_patient() {
    let app = TestApp::spawn_with(fast).await;
    let (key, katherine_id) = practice(&app).await;
    app.register(sign_up("Kate", "Park", "kate@example.org", "kate.p"))
        .await;
    let id = held(&app, &key).await[0]["id"].as_str().unwrap().to_owned();

    // The scheduling application may look but not decide.
    let scheduling = app.create_key(&key, "scheduling").await;
    assert_eq!(held(&app, &scheduling).await.len(), 1);
    let r = app
        .post(
            &format!("/api/v1/practice/held-registrations/{id}/link"),
            &scheduling,
            json!({}),
        )
        .await;
    assert_problem(r, 403, "forbidden").await;

    let r = app
        .call(
            reqwest::Method::POST,
            &format!("/api/v1/practice/held-registrations/{id}/link"),
            Some(&key),
            None,
        )
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let linked: Value = r.json().await.unwrap();
    assert_eq!(linked["status"], "linked");
    assert!(linked["access_id"].is_string());
    assert!(held(&app, &key).await.is_empty());

    // As after any sign-up at this practice: the confirmation link, followed as the person would.
    let mails = mailbox::wait_for_mail(&app.mail_dir(), "kate@example.org", 2).await;
    let prefix = format!("{}/verify-email/", app.state.settings.issuer());
    let link = mails[1].link(&prefix).expect("a confirmation link");
    let r = app.verify_email(&token_of(&link)).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());

    let login = app.login("kate.p", PASSWORD, Some("smith")).await;
    assert_eq!(login.status(), 200);
    let body: Value = login.json().await.unwrap();
    let claims = claims_of(body["access_token"].as_str().unwrap());
    assert_eq!(claims["patients"][0]["id"], katherine_id.as_str());
    assert_eq!(claims["patients"][0]["relation"], "self");
    assert_eq!(patients(&app, &key).await.len(), 1);

    let kinds = app.audit_kinds().await;
    assert!(
        kinds.contains(&"registration.linked".to_owned()),
        "{kinds:?}"
    );
    // Decided once.
    let again = app
        .call(
            reqwest::Method::POST,
            &format!("/api/v1/practice/held-registrations/{id}/link"),
            Some(&key),
            None,
        )
        .await;
    assert_problem(again, 409, "conflict").await;
}

#[tokio::test]
async fn practice_rejects_held_sign_up_and_the_person_is_emailed_why() {
    let app = TestApp::spawn_with(fast).await;
    let (key, _) = practice(&app).await;
    app.register(sign_up("Kate", "Park", "kate@example.org", "kate.p"))
        .await;
    let id = held(&app, &key).await[0]["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/practice/held-registrations/{id}/reject");
    assert_problem(
        app.post(&path, &key, json!({"reason": "  "})).await,
        422,
        "validation_failed",
    )
    .await;
    let r = app
        .post(
            &path,
            &key,
            json!({"reason": "Please call us so that we can confirm who you are."}),
        )
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let rejected: Value = r.json().await.unwrap();
    assert_eq!(rejected["status"], "rejected");

    let mails = mailbox::wait_for_mail(&app.mail_dir(), "kate@example.org", 2).await;
    assert!(
        mails[1]
            .text
            .contains("Please call us so that we can confirm who you are."),
        "{}",
        mails[1].text
    );
    assert_ne!(
        app.login("kate.p", PASSWORD, Some("smith")).await.status(),
        200
    );
    let listed: Vec<Value> = app
        .get("/api/v1/practice/held-registrations?status=rejected", &key)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert!(
        app.audit_kinds()
            .await
            .contains(&"registration.rejected".to_owned())
    );
    assert_problem(
        app.post(&path, &key, json!({"reason": "again"})).await,
        409,
        "conflict",
    )
    .await;
}

#[tokio::test]
async fn linking_refuses_a_patient_who_already_has_an_account() {
    let app = TestApp::spawn_with(fast).await;
    let (_, key) = app
        .create_practice("smith", "Smith Family Clinic", "555-0100")
        .await;
    app.set_settings(&key, json!({ "self_registration": "verify_email" }))
        .await;
    app.seed_portal_account(&key, katherine(), "katherine", PASSWORD, "self")
        .await;
    app.register(sign_up("Kate", "Park", "kate@example.org", "kate.p"))
        .await;
    let id = held(&app, &key).await[0]["id"].as_str().unwrap().to_owned();
    let r = app
        .call(
            reqwest::Method::POST,
            &format!("/api/v1/practice/held-registrations/{id}/link"),
            Some(&key),
            None,
        )
        .await;
    let p = assert_problem(r, 409, "conflict").await;
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("Forgotten your username")
    );
}

/// Deciding a held sign-up is one UPDATE guarded on `held`: of a link and a reject sent at
/// once (and repeated), exactly one decision lands, and a link grants one access.
#[tokio::test]
async fn concurrent_decisions_on_one_held_sign_up_decide_it_once() {
    use sea_orm::EntityTrait;
    let app = TestApp::spawn_with(fast).await;
    let (key, _) = practice(&app).await;
    app.register(sign_up("Kate", "Park", "kate@example.org", "kate.p"))
        .await;
    let id = held(&app, &key).await[0]["id"].as_str().unwrap().to_owned();
    let link_path = format!("/api/v1/practice/held-registrations/{id}/link");
    let reject_path = format!("/api/v1/practice/held-registrations/{id}/reject");

    let requests = (0..6).map(|i| {
        let (app, key) = (&app, &key);
        let (link_path, reject_path) = (&link_path, &reject_path);
        async move {
            if i % 2 == 0 {
                app.call(reqwest::Method::POST, link_path, Some(key), None)
                    .await
            } else {
                app.post(reject_path, key, json!({"reason": "Please call us."}))
                    .await
            }
        }
    });
    let results = futures_util::future::join_all(requests).await;
    let ok = results.iter().filter(|r| r.status() == 200).count();
    assert_eq!(
        ok,
        1,
        "{:?}",
        results.iter().map(|r| r.status()).collect::<Vec<_>>()
    );
    assert!(
        results
            .iter()
            .all(|r| r.status() == 200 || r.status() == 409)
    );
    let kinds = app.audit_kinds().await;
    let decided = kinds
        .iter()
        .filter(|k| *k == "registration.linked" || *k == "registration.rejected")
        .count();
    assert_eq!(decided, 1, "{kinds:?}");
    let linked = kinds.iter().any(|k| k == "registration.linked");
    let accesses = portico::store::portal_access::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(accesses.len(), usize::from(linked));
}
