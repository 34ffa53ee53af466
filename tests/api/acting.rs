//! Who is acting for whom in tokens (`domain::acting`): the `act` and `patient` claims of a
//! representative's access token, and SMART App Launch's `patient` and `fhirUser`.

use crate::helpers::TestApp;
use crate::helpers_login::{PASSWORD, claims_of, patient};
use crate::helpers_oidc::{authorize_path, location, pkce, query_param};
use serde_json::{Value, json};

fn child(first: &str) -> Value {
    json!({"first_name": first, "last_name": "Smith", "date_of_birth": "2016-05-01"})
}

#[tokio::test]
async fn representative_token_names_the_actor_in_act_claim() {
    let app = TestApp::spawn().await;
    let (_, key) = app
        .create_practice("smith", "Smith Clinic", "555-0100")
        .await;
    let mum = app
        .seed_portal_account(&key, child("Tom"), "mum", PASSWORD, "parent")
        .await;

    let tokens = app.login_tokens(&mum, Some("smith")).await;
    let claims = claims_of(tokens["access_token"].as_str().unwrap());
    // The subject stays the representative's own account; `act` says they act as a parent
    // for the patient in context.
    assert_eq!(claims["sub"], mum.account_id.to_string());
    assert_eq!(claims["patient"], mum.patient_id.to_string());
    assert_eq!(
        claims["act"],
        json!({"sub": mum.account_id.to_string(), "relation": "parent"})
    );
    // The token still works on the patient API, and so does its refresh.
    assert_eq!(
        app.me(tokens["access_token"].as_str().unwrap())
            .await
            .status(),
        200
    );
    let refreshed: Value = app
        .refresh(tokens["refresh_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    let again = claims_of(refreshed["access_token"].as_str().unwrap());
    assert_eq!(again["act"], claims["act"]);
    assert_eq!(again["patient"], claims["patient"]);
}

#[tokio::test]
async fn patient_for_themself_has_a_patient_claim_and_no_act() {
    let app = TestApp::spawn().await;
    let (_, key) = app
        .create_practice("smith", "Smith Clinic", "555-0100")
        .await;
    let ann = app
        .seed_portal_account(
            &key,
            patient("Ann", "Lee", "ann@example.org"),
            "ann",
            PASSWORD,
            "self",
        )
        .await;
    let tokens = app.login_tokens(&ann, Some("smith")).await;
    let claims = claims_of(tokens["access_token"].as_str().unwrap());
    assert_eq!(claims["patient"], ann.patient_id.to_string());
    assert!(claims.get("act").is_none(), "{claims}");
    // No fhirUser without the fhirUser scope.
    assert!(claims.get("fhirUser").is_none(), "{claims}");
}

#[tokio::test]
async fn representative_of_several_has_no_single_patient_in_context() {
    let app = TestApp::spawn().await;
    let (_, key) = app
        .create_practice("smith", "Smith Clinic", "555-0100")
        .await;
    let dad = app
        .seed_portal_account(&key, child("Tom"), "dad", PASSWORD, "parent")
        .await;
    app.seed_portal_account(&key, child("Lily"), "dad", PASSWORD, "parent")
        .await;
    let tokens = app.login_tokens(&dad, Some("smith")).await;
    let claims = claims_of(tokens["access_token"].as_str().unwrap());
    assert_eq!(claims["patients"].as_array().unwrap().len(), 2);
    assert!(claims.get("patient").is_none(), "{claims}");
    assert!(claims.get("act").is_none(), "{claims}");
}

#[tokio::test]
async fn smart_launch_carries_patient_and_fhir_user() {
    let app = TestApp::spawn_oidc().await;
    let world = app
        .oidc_world(json!({
            "scopes": ["openid", "fhirUser", "launch/patient", "patient/*.rs", "offline_access"]
        }))
        .await;
    // Discovery advertises the scope and the claims.
    let discovery: Value = app
        .browse("/.well-known/openid-configuration", None)
        .await
        .json()
        .await
        .unwrap();
    assert!(
        discovery["scopes_supported"]
            .as_array()
            .unwrap()
            .contains(&json!("fhirUser"))
    );
    for claim in ["fhirUser", "patient", "act"] {
        assert!(
            discovery["claims_supported"]
                .as_array()
                .unwrap()
                .contains(&json!(claim)),
            "{claim}"
        );
    }

    let mum = app
        .seed_portal_account(&world.admin, child("Tom"), "mum", PASSWORD, "parent")
        .await;
    let lily = app
        .seed_portal_account(&world.admin, child("Lily"), "mum", PASSWORD, "parent")
        .await;
    let cookie = app
        .web_session_cookie(mum.account_id, world.practice_id)
        .await;
    let (verifier, challenge) = pkce();
    let scope = "openid fhirUser launch/patient patient/*.rs offline_access";
    let path = authorize_path(
        &world.client_id,
        &challenge,
        &[("scope", scope), ("patient", &lily.patient_id.to_string())],
    );
    let back = location(&app.browse(&path, Some(&cookie)).await);
    let code = query_param(&back, "code").unwrap();
    let r = app.exchange(&world, &code, &verifier).await;
    assert_eq!(r.status(), 200);
    let tokens: Value = r.json().await.unwrap();

    let related = format!("RelatedPerson/{}", lily.access_id);
    assert_eq!(tokens["patient"], lily.patient_id.to_string());
    let id_token = claims_of(tokens["id_token"].as_str().unwrap());
    assert_eq!(id_token["fhirUser"], related);
    assert_eq!(id_token["sub"], mum.account_id.to_string());
    let access = claims_of(tokens["access_token"].as_str().unwrap());
    assert_eq!(access["patient"], lily.patient_id.to_string());
    assert_eq!(access["fhirUser"], related);
    assert_eq!(
        access["act"],
        json!({"sub": mum.account_id.to_string(), "relation": "parent"})
    );

    // Introspection and userinfo say the same.
    let secret = world.client_secret.clone().unwrap();
    let at = tokens["access_token"].as_str().unwrap();
    let intro = app.introspect_as(&world.client_id, &secret, at).await;
    assert_eq!(intro["active"], true);
    assert_eq!(intro["patient"], lily.patient_id.to_string());
    assert_eq!(intro["fhirUser"], related);
    assert_eq!(intro["act"]["relation"], "parent");
    let info: Value = app
        .client
        .get(app.url("/oauth2/userinfo"))
        .bearer_auth(at)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["fhirUser"], related);
    assert_eq!(info["patient"], lily.patient_id.to_string());

    // A refresh keeps the launch's patient in context.
    let r = app
        .oauth_post(
            "token",
            Some((&world.client_id, &secret)),
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);
    let refreshed: Value = r.json().await.unwrap();
    assert_eq!(refreshed["patient"], lily.patient_id.to_string());
    let access = claims_of(refreshed["access_token"].as_str().unwrap());
    assert_eq!(access["patient"], lily.patient_id.to_string());
    assert_eq!(access["fhirUser"], related);
    let id_token = claims_of(refreshed["id_token"].as_str().unwrap());
    assert_eq!(id_token["fhirUser"], related);
}

#[tokio::test]
async fn smart_launch_for_the_patient_themself_names_a_fhir_patient() {
    let app = TestApp::spawn_oidc().await;
    let world = app
        .oidc_world(json!({"scopes": ["openid", "fhirUser", "launch/patient"]}))
        .await;
    let cookie = app
        .web_session_cookie(world.ann.account_id, world.practice_id)
        .await;
    let (verifier, challenge) = pkce();
    let path = authorize_path(
        &world.client_id,
        &challenge,
        &[("scope", "openid fhirUser launch/patient")],
    );
    let back = location(&app.browse(&path, Some(&cookie)).await);
    let code = query_param(&back, "code").unwrap();
    let tokens: Value = app
        .exchange(&world, &code, &verifier)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(tokens["patient"], world.ann.patient_id.to_string());
    let id_token = claims_of(tokens["id_token"].as_str().unwrap());
    assert_eq!(
        id_token["fhirUser"],
        format!("Patient/{}", world.ann.patient_id)
    );
    let access = claims_of(tokens["access_token"].as_str().unwrap());
    assert!(access.get("act").is_none(), "{access}");
}
