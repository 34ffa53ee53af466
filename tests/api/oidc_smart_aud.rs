//! SMART `aud` per practice (issue 20, item 3): the FHIR base URLs a practice sets decide
//! which `aud` its apps' authorization requests may name.

use crate::helpers::{TestApp, assert_problem};
use crate::helpers_oidc::{ISSUER, OidcWorld, authorize_path, location, pkce, query_param};
use serde_json::{Value, json};

const SMART: &str = "openid launch/patient patient/*.rs";
const FHIR_R4: &str = "https://fhir.smith.example/r4";
const FHIR_R5: &str = "https://fhir.smith.example/r5";
const GLOBAL: &str = "https://fhir.portal.test/r4";

/// Ann's browser asks for `scope` with `aud` (when given); where the server sends her back.
async fn authorize(app: &TestApp, world: &OidcWorld, aud: Option<&str>) -> (String, String) {
    let cookie = app
        .web_session_cookie(world.ann.account_id, world.practice_id)
        .await;
    let (verifier, challenge) = pkce();
    let mut extra = vec![("scope", SMART)];
    if let Some(aud) = aud {
        extra.push(("aud", aud));
    }
    let path = authorize_path(&world.client_id, &challenge, &extra);
    (location(&app.browse(&path, Some(&cookie)).await), verifier)
}

/// The launch succeeds: the token response, with the patient.
async fn launches(app: &TestApp, world: &OidcWorld, aud: Option<&str>) -> Value {
    let (back, verifier) = authorize(app, world, aud).await;
    let code = query_param(&back, "code").unwrap_or_else(|| panic!("no code for {aud:?}: {back}"));
    let r = app.exchange(world, &code, &verifier).await;
    assert_eq!(r.status(), 200);
    let tokens: Value = r.json().await.unwrap();
    assert_eq!(tokens["patient"], world.ann.patient_id.to_string());
    tokens
}

/// The launch is refused with `invalid_request` and no code; the description.
async fn refused(app: &TestApp, world: &OidcWorld, aud: Option<&str>) -> String {
    let (back, _) = authorize(app, world, aud).await;
    assert_eq!(
        query_param(&back, "error").as_deref(),
        Some("invalid_request"),
        "{aud:?}: {back}"
    );
    assert!(query_param(&back, "code").is_none());
    assert_eq!(query_param(&back, "state").as_deref(), Some("st-123"));
    query_param(&back, "error_description").unwrap()
}

async fn smart_world(app: &TestApp) -> OidcWorld {
    app.oidc_world(json!({"scopes": ["openid", "launch/patient", "patient/*.rs"]}))
        .await
}

async fn settings(app: &TestApp, key: &str) -> Value {
    let r = app.get("/api/v1/practice/settings", key).await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

#[tokio::test]
async fn a_practice_sets_its_fhir_base_urls_and_a_smart_launch_naming_one_gets_a_token() {
    let app = TestApp::spawn_oidc().await;
    let world = smart_world(&app).await;
    assert_eq!(
        settings(&app, &world.admin).await["fhir_base_urls"],
        json!([])
    );
    let r = app
        .patch(
            "/api/v1/practice/settings",
            &world.admin,
            json!({"fhir_base_urls": [FHIR_R4, "HTTPS://FHIR.Smith.Example/r5/", FHIR_R4]}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let s: Value = r.json().await.unwrap();
    // Normalised: scheme and host in lower case, no trailing slash, each once.
    assert_eq!(s["fhir_base_urls"], json!([FHIR_R4, FHIR_R5]));
    assert_eq!(
        settings(&app, &world.admin).await["fhir_base_urls"],
        json!([FHIR_R4, FHIR_R5])
    );

    launches(&app, &world, Some(FHIR_R4)).await;
    launches(&app, &world, Some(FHIR_R5)).await;
    launches(&app, &world, Some("https://fhir.smith.example/r4/")).await;
    // A plain OpenID Connect sign-in still names no FHIR server.
    let cookie = app
        .web_session_cookie(world.ann.account_id, world.practice_id)
        .await;
    let (_, challenge) = pkce();
    let path = authorize_path(&world.client_id, &challenge, &[("scope", "openid")]);
    let back = location(&app.browse(&path, Some(&cookie)).await);
    assert!(query_param(&back, "code").is_some(), "{back}");
}

#[tokio::test]
async fn a_smart_launch_without_one_of_the_practices_fhir_base_urls_is_refused_naming_them() {
    let app = TestApp::spawn_oidc().await;
    let world = smart_world(&app).await;
    app.set_settings(&world.admin, json!({"fhir_base_urls": [FHIR_R4, FHIR_R5]}))
        .await;
    for aud in [
        None,
        Some("https://evil.example/fhir"),
        Some("https://fhir.smith.example/r4/extra"),
        Some("http://fhir.smith.example/r4"),
        Some(ISSUER),
    ] {
        let why = refused(&app, &world, aud).await;
        assert!(why.contains("aud"), "{aud:?}: {why}");
        assert!(
            why.contains(FHIR_R4) && why.contains(FHIR_R5),
            "{aud:?}: {why}"
        );
    }
}

#[tokio::test]
async fn another_practices_fhir_base_url_is_refused() {
    let app = TestApp::spawn_oidc().await;
    let world = smart_world(&app).await;
    app.set_settings(&world.admin, json!({"fhir_base_urls": [FHIR_R4]}))
        .await;
    let (_, jones_admin) = app
        .create_practice("jones-pediatrics", "Jones Pediatrics", "555-0199")
        .await;
    let jones_fhir = "https://fhir.jones.example/api";
    app.set_settings(&jones_admin, json!({"fhir_base_urls": [jones_fhir]}))
        .await;

    let why = refused(&app, &world, Some(jones_fhir)).await;
    assert!(why.contains(FHIR_R4), "{why}");
    assert!(
        !why.contains(jones_fhir),
        "another practice's URLs are not shown: {why}"
    );
    launches(&app, &world, Some(FHIR_R4)).await;
}

#[tokio::test]
async fn with_no_fhir_base_urls_set_aud_may_be_absent_or_the_issuer_as_before() {
    let app = TestApp::spawn_oidc().await;
    let world = smart_world(&app).await;
    launches(&app, &world, None).await;
    launches(&app, &world, Some(ISSUER)).await;
    refused(&app, &world, Some(FHIR_R4)).await;
    // Set, then cleared with an empty list: the old rule again.
    app.set_settings(&world.admin, json!({"fhir_base_urls": [FHIR_R4]}))
        .await;
    refused(&app, &world, None).await;
    app.set_settings(&world.admin, json!({"fhir_base_urls": []}))
        .await;
    launches(&app, &world, None).await;
    launches(&app, &world, Some(ISSUER)).await;
}

#[tokio::test]
async fn with_no_fhir_base_urls_set_the_server_wide_url_is_required_and_a_practice_list_replaces_it()
 {
    let app = TestApp::spawn_with(|s| {
        s.public_url = ISSUER.to_owned();
        s.fhir_base_url = Some(GLOBAL.to_owned());
    })
    .await;
    let world = smart_world(&app).await;
    let why = refused(&app, &world, None).await;
    assert!(why.contains(GLOBAL), "{why}");
    refused(&app, &world, Some(ISSUER)).await;
    launches(&app, &world, Some(GLOBAL)).await;
    // The practice's own list replaces the server-wide URL for its apps.
    app.set_settings(&world.admin, json!({"fhir_base_urls": [FHIR_R4]}))
        .await;
    launches(&app, &world, Some(FHIR_R4)).await;
    let why = refused(&app, &world, Some(GLOBAL)).await;
    assert!(why.contains(FHIR_R4), "{why}");
}

#[tokio::test]
async fn invalid_fhir_base_urls_in_settings_are_refused_with_422_validation_failed() {
    let app = TestApp::spawn_oidc().await;
    let world = smart_world(&app).await;
    app.set_settings(&world.admin, json!({"fhir_base_urls": [FHIR_R4]}))
        .await;
    let eleven: Vec<String> = (0..11).map(|i| format!("https://f{i}.example")).collect();
    for (urls, field) in [
        (json!(["http://fhir.smith.example/r4"]), "fhir_base_urls[0]"),
        (
            json!([FHIR_R4, "fhir.smith.example/r4"]),
            "fhir_base_urls[1]",
        ),
        (json!(["/r4"]), "fhir_base_urls[0]"),
        (json!(["ftp://fhir.smith.example"]), "fhir_base_urls[0]"),
        (
            json!(["https://me:pw@fhir.smith.example"]),
            "fhir_base_urls[0]",
        ),
        (
            json!(["https://fhir.smith.example/r4?x=1"]),
            "fhir_base_urls[0]",
        ),
        (
            json!(["https://fhir.smith.example/r4#a"]),
            "fhir_base_urls[0]",
        ),
        (json!([""]), "fhir_base_urls[0]"),
        (json!(eleven), "fhir_base_urls"),
    ] {
        let p = assert_problem(
            app.patch(
                "/api/v1/practice/settings",
                &world.admin,
                json!({ "fhir_base_urls": urls }),
            )
            .await,
            422,
            "validation_failed",
        )
        .await;
        assert_eq!(p["field"], field, "for {urls}");
    }
    // Plain http is allowed for a loopback FHIR server (development).
    app.set_settings(
        &world.admin,
        json!({"fhir_base_urls": ["http://127.0.0.1:8090/fhir/"]}),
    )
    .await;
    assert_eq!(
        settings(&app, &world.admin).await["fhir_base_urls"],
        json!(["http://127.0.0.1:8090/fhir"])
    );
    launches(&app, &world, Some("http://127.0.0.1:8090/fhir")).await;
}
