//! Seed 001: the clinic logs a patient in on a tablet to fill in forms, and "by accessing the
//! portal for them to fill in the forms you block them having access to any other patient or
//! clinic information".

use crate::helpers::{TestApp, assert_problem};
use crate::helpers_login::{PASSWORD, claims_of, patient};
use chrono::TimeDelta;
use reqwest::Method;
use sea_orm::EntityTrait;
use serde_json::{Value, json};

async fn start(app: &TestApp, key: &str, patient_id: &str) -> Value {
    let r = app
        .post(
            &format!("/api/v1/practice/patients/{patient_id}/intake-sessions"),
            key,
            json!({}),
        )
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    r.json().await.unwrap()
}

async fn redeem(app: &TestApp, code: &str) -> reqwest::Response {
    app.call(
        Method::POST,
        &format!("/api/v1/intake-sessions/{code}"),
        None,
        None,
    )
    .await
}

#[tokio::test]
async fn a_code_opens_one_short_session_limited_to_that_patient() {
    let app = TestApp::spawn().await;
    let (_, admin) = app
        .create_practice("smith", "Smith Family Clinic", "555-0100")
        .await;
    let scheduling = app.create_key(&admin, "scheduling").await;
    let ann = app
        .create_patient(&admin, patient("Ann", "Lee", "ann@example.org"))
        .await;
    let bob = app
        .create_patient(&admin, patient("Bob", "Ray", "bob@example.org"))
        .await;
    let pid = ann["id"].as_str().unwrap();

    let started = start(&app, &scheduling, pid).await;
    let code = started["code"].as_str().unwrap();
    assert!(
        started["url"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/intake/{code}"))
    );
    // Only the hash is stored.
    let rows = portico::store::intake_session::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap();
    assert!(!rows[0].code_hash.contains(code));

    let r = redeem(&app, code).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let tokens: Value = r.json().await.unwrap();
    assert!(tokens.get("refresh_token").is_none(), "no refresh token");
    assert_eq!(tokens["scope"], "intake");
    assert_eq!(tokens["expires_in"], 1800);
    let token = tokens["access_token"].as_str().unwrap();
    let claims = claims_of(token);
    assert_eq!(claims["scope"], "intake");
    assert_eq!(claims["patients"], json!([{"id": pid, "relation": "self"}]));

    // Single use.
    assert_problem(redeem(&app, code).await, 400, "invalid_grant").await;

    // The patient's details for the forms, and nothing else.
    let me: Value = app
        .get("/api/v1/intake/patient", token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["first_name"], "Ann");
    assert!(!me.to_string().contains("Bob"));
    assert_problem(app.get("/api/v1/me", token).await, 401, "unauthorized").await;
    assert_problem(
        app.get("/api/v1/me/practices", token).await,
        401,
        "unauthorized",
    )
    .await;
    assert_problem(
        app.post(
            "/api/v1/me/demographic-changes",
            token,
            json!({"patient_id": bob["id"], "changes": {"last_name": "X"}}),
        )
        .await,
        401,
        "unauthorized",
    )
    .await;
    assert_problem(
        app.get("/api/v1/practice/patients", token).await,
        401,
        "unauthorized",
    )
    .await;

    // Finishing ends it at once.
    let r = app
        .call(Method::POST, "/api/v1/intake/finish", Some(token), None)
        .await;
    assert_eq!(r.status(), 204);
    assert_problem(
        app.get("/api/v1/intake/patient", token).await,
        401,
        "unauthorized",
    )
    .await;
    let kinds = app.audit_kinds().await;
    for k in ["intake.started", "intake.redeemed", "intake.finished"] {
        assert!(kinds.iter().any(|x| x == k), "{k}: {kinds:?}");
    }
}

#[tokio::test]
async fn codes_and_sessions_end_on_a_timer() {
    let app = TestApp::spawn().await;
    let (_, admin) = app
        .create_practice("smith", "Smith Family Clinic", "555-0100")
        .await;
    let ann = app
        .create_patient(&admin, patient("Ann", "Lee", "ann@example.org"))
        .await;
    let pid = ann["id"].as_str().unwrap();

    let late = start(&app, &admin, pid).await;
    app.clock.advance(TimeDelta::minutes(11));
    assert_problem(
        redeem(&app, late["code"].as_str().unwrap()).await,
        400,
        "invalid_grant",
    )
    .await;

    let started = start(&app, &admin, pid).await;
    let tokens: Value = redeem(&app, started["code"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    let token = tokens["access_token"].as_str().unwrap();
    assert_eq!(app.get("/api/v1/intake/patient", token).await.status(), 200);
    app.clock.advance(TimeDelta::minutes(31));
    assert_problem(
        app.get("/api/v1/intake/patient", token).await,
        401,
        "unauthorized",
    )
    .await;
}

#[tokio::test]
async fn a_portal_token_and_another_practice_cannot_use_intake() {
    let app = TestApp::spawn().await;
    let (_, admin) = app
        .create_practice("smith", "Smith Family Clinic", "555-0100")
        .await;
    let (_, other) = app
        .create_practice("jones", "Jones Clinic", "555-0199")
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
    let portal = app.login_tokens(&ann, None).await;
    assert_problem(
        app.get(
            "/api/v1/intake/patient",
            portal["access_token"].as_str().unwrap(),
        )
        .await,
        401,
        "unauthorized",
    )
    .await;
    let r = app
        .post(
            &format!(
                "/api/v1/practice/patients/{}/intake-sessions",
                ann.patient_id
            ),
            &other,
            json!({}),
        )
        .await;
    assert_problem(r, 404, "not_found").await;
    assert_problem(redeem(&app, "not-a-code").await, 400, "invalid_grant").await;
}

#[tokio::test]
async fn the_front_desk_can_end_a_session_and_its_code() {
    let app = TestApp::spawn().await;
    let (_, admin) = app
        .create_practice("smith", "Smith Family Clinic", "555-0100")
        .await;
    let (_, other) = app
        .create_practice("jones", "Jones Clinic", "555-0199")
        .await;
    let reception = app.create_key(&admin, "reception").await;
    let ann = app
        .create_patient(&admin, patient("Ann", "Lee", "ann@example.org"))
        .await;
    let pid = ann["id"].as_str().unwrap();

    let started = start(&app, &reception, pid).await;
    let tokens: Value = redeem(&app, started["code"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    let token = tokens["access_token"].as_str().unwrap();
    let path = format!(
        "/api/v1/practice/intake-sessions/{}/finish",
        started["id"].as_str().unwrap()
    );
    assert_problem(
        app.call(Method::POST, &path, Some(&other), None).await,
        404,
        "not_found",
    )
    .await;
    let r = app.call(Method::POST, &path, Some(&reception), None).await;
    assert_eq!(r.status(), 204);
    assert_problem(
        app.get("/api/v1/intake/patient", token).await,
        401,
        "unauthorized",
    )
    .await;

    // A code not yet redeemed stops working too.
    let unused = start(&app, &reception, pid).await;
    let path = format!(
        "/api/v1/practice/intake-sessions/{}/finish",
        unused["id"].as_str().unwrap()
    );
    assert_eq!(
        app.call(Method::POST, &path, Some(&reception), None)
            .await
            .status(),
        204
    );
    assert_problem(
        redeem(&app, unused["code"].as_str().unwrap()).await,
        400,
        "invalid_grant",
    )
    .await;
}

#[tokio::test]
async fn guessed_intake_codes_are_counted_per_address_before_they_are_looked_up() {
    let app = TestApp::spawn().await;
    let (_, key) = app
        .create_practice("smith", "Smith Clinic", "555-0100")
        .await;
    let ann = app
        .create_patient(&key, patient("Ann", "Lee", "ann@example.org"))
        .await;
    let session = start(&app, &key, ann["id"].as_str().unwrap()).await;
    let guesses: Vec<String> = (0..15)
        .map(|_| portico::crypto::secrets::new_token())
        .collect();
    let statuses = futures_util::future::join_all(
        guesses
            .iter()
            .map(|g| async { redeem(&app, g).await.status().as_u16() }),
    )
    .await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 400).count(),
        10,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        5,
        "{statuses:?}"
    );
    // The address waits, for the real code too; then the real code works.
    assert_problem(
        redeem(&app, session["code"].as_str().unwrap()).await,
        429,
        "rate_limited",
    )
    .await;
    app.clock.advance(TimeDelta::seconds(1));
    assert_eq!(
        redeem(&app, session["code"].as_str().unwrap())
            .await
            .status(),
        200
    );
    assert!(
        app.audit_kinds()
            .await
            .contains(&"intake.throttled".to_owned())
    );
}

/// Redeeming a code is one guarded UPDATE: of many tablets presenting it at once, exactly one
/// gets a token and one redemption is audited.
#[tokio::test]
async fn concurrent_redemptions_of_one_intake_code_give_one_token() {
    let app = TestApp::spawn().await;
    let (_, key) = app
        .create_practice("smith", "Smith Family Clinic", "555-0100")
        .await;
    let ann = app
        .create_patient(&key, patient("Ann", "Lee", "ann@example.org"))
        .await;
    let session = start(&app, &key, ann["id"].as_str().unwrap()).await;
    let code = session["code"].as_str().unwrap();

    let statuses =
        futures_util::future::join_all((0..8).map(|_| async { redeem(&app, code).await.status() }))
            .await;
    assert_eq!(
        statuses.iter().filter(|s| s.as_u16() == 200).count(),
        1,
        "{statuses:?}"
    );
    assert!(statuses.iter().all(|s| [200, 400].contains(&s.as_u16())));
    let kinds = app.audit_kinds().await;
    assert_eq!(
        kinds.iter().filter(|k| *k == "intake.redeemed").count(),
        1,
        "{kinds:?}"
    );
}
