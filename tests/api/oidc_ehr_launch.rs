//! SMART EHR launch: the practice API creates a launch context, the app's authorization request
//! with the `launch` scope spends it, and the token response names its patient and encounter.

use crate::helpers::{TestApp, assert_problem};
use crate::helpers_login::{PASSWORD, patient};
use crate::helpers_oidc::{OidcWorld, authorize_path, location, pkce, query_param};
use serde_json::{Value, json};
use uuid::Uuid;

const SCOPE: &str = "openid launch patient/*.rs";

async fn ehr_world(app: &TestApp) -> OidcWorld {
    app.oidc_world(json!({"scopes": ["openid", "launch", "patient/*.rs"]}))
        .await
}

/// `POST /api/v1/practice/launches` for a patient; the `launch` value.
async fn create_launch(app: &TestApp, key: &str, body: Value) -> String {
    let r = app.post("/api/v1/practice/launches", key, body).await;
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.unwrap();
    assert!(created["expires_at"].is_string());
    created["launch"].as_str().unwrap().to_owned()
}

/// Ann's browser follows the app's authorization request with `launch`; where it ends.
async fn authorize(app: &TestApp, world: &OidcWorld, launch: &str) -> (String, String) {
    let cookie = app
        .web_session_cookie(world.ann.account_id, world.practice_id)
        .await;
    let (verifier, challenge) = pkce();
    let path = authorize_path(
        &world.client_id,
        &challenge,
        &[("scope", SCOPE), ("launch", launch)],
    );
    (location(&app.browse(&path, Some(&cookie)).await), verifier)
}

fn refused_with(back: &str, error: &str) {
    assert_eq!(query_param(back, "error").as_deref(), Some(error), "{back}");
    assert!(query_param(back, "code").is_none());
    assert!(query_param(back, "error_description").is_some());
}

#[tokio::test]
async fn an_ehr_launch_puts_its_patient_and_encounter_in_the_token_response_once() {
    let app = TestApp::spawn_oidc().await;
    let world = ehr_world(&app).await;
    let launch = create_launch(
        &app,
        &world.admin,
        json!({"patient_id": world.ann.patient_id, "encounter": "enc-42"}),
    )
    .await;
    let (back, verifier) = authorize(&app, &world, &launch).await;
    let code = query_param(&back, "code").expect(&back);
    let r = app.exchange(&world, &code, &verifier).await;
    assert_eq!(r.status(), 200);
    let tokens: Value = r.json().await.unwrap();
    assert_eq!(tokens["patient"], world.ann.patient_id.to_string());
    assert_eq!(tokens["encounter"], "enc-42");
    assert_eq!(tokens["scope"], SCOPE);

    // Single use.
    let (back, _) = authorize(&app, &world, &launch).await;
    refused_with(&back, "invalid_request");
}

#[tokio::test]
async fn expired_unknown_and_other_practices_launches_are_refused() {
    let app = TestApp::spawn_oidc().await;
    let world = ehr_world(&app).await;
    let late = create_launch(
        &app,
        &world.admin,
        json!({"patient_id": world.ann.patient_id}),
    )
    .await;
    app.clock.advance(chrono::TimeDelta::seconds(301));
    let (back, _) = authorize(&app, &world, &late).await;
    refused_with(&back, "invalid_request");

    let (back, _) = authorize(&app, &world, &"A".repeat(43)).await;
    refused_with(&back, "invalid_request");

    let (_, other_admin) = app
        .create_practice("jones-clinic", "Jones Clinic", "555-0199")
        .await;
    let theirs = app
        .create_patient(
            &other_admin,
            json!({"first_name": "Bo", "last_name": "Jones", "date_of_birth": "1980-01-01"}),
        )
        .await;
    let other = create_launch(&app, &other_admin, json!({"patient_id": theirs["id"]})).await;
    let (back, _) = authorize(&app, &world, &other).await;
    refused_with(&back, "invalid_request");
}

#[tokio::test]
async fn a_launch_for_a_patient_the_person_does_not_act_for_is_refused() {
    let app = TestApp::spawn_oidc().await;
    let world = ehr_world(&app).await;
    let bea = app
        .seed_portal_account(
            &world.admin,
            patient("Bea", "Smith", "bea@example.com"),
            "bea",
            PASSWORD,
            "self",
        )
        .await;
    let launch = create_launch(&app, &world.admin, json!({"patient_id": bea.patient_id})).await;
    let (back, _) = authorize(&app, &world, &launch).await;
    refused_with(&back, "access_denied");
}

#[tokio::test]
async fn the_launch_scope_and_the_launch_parameter_come_together() {
    let app = TestApp::spawn_oidc().await;
    let world = ehr_world(&app).await;
    let cookie = app
        .web_session_cookie(world.ann.account_id, world.practice_id)
        .await;
    let (_, challenge) = pkce();
    let no_param = authorize_path(&world.client_id, &challenge, &[("scope", SCOPE)]);
    refused_with(
        &location(&app.browse(&no_param, Some(&cookie)).await),
        "invalid_request",
    );
    let no_scope = authorize_path(
        &world.client_id,
        &challenge,
        &[("scope", "openid patient/*.rs"), ("launch", "x")],
    );
    refused_with(
        &location(&app.browse(&no_scope, Some(&cookie)).await),
        "invalid_request",
    );
}

#[tokio::test]
async fn a_launch_names_one_of_the_practices_patients_and_a_fhir_encounter_id() {
    let app = TestApp::spawn_oidc().await;
    let world = ehr_world(&app).await;
    let r = app
        .post(
            "/api/v1/practice/launches",
            &world.admin,
            json!({"patient_id": Uuid::new_v4()}),
        )
        .await;
    assert_problem(r, 404, "not_found").await;
    let r = app
        .post(
            "/api/v1/practice/launches",
            &world.admin,
            json!({"patient_id": world.ann.patient_id, "encounter": "no spaces/allowed"}),
        )
        .await;
    assert_problem(r, 422, "validation_failed").await;
    let r = app
        .post(
            "/api/v1/practice/launches",
            &world.admin,
            json!({"patient": world.ann.patient_id}),
        )
        .await;
    assert!(r.status().is_client_error());
    // Any staff role that reads patients may open an app on one.
    let scheduling = app.create_key(&world.admin, "scheduling").await;
    create_launch(
        &app,
        &scheduling,
        json!({"patient_id": world.ann.patient_id}),
    )
    .await;
}
