//! Seed 001, "Available Practitioners": the practice picks which practitioners each patient
//! may book with; none selected means none. Tokens and `/api/v1/me` carry them.

use crate::helpers::{TestApp, assert_problem};
use crate::helpers_login::{PASSWORD, claims_of, patient};
use serde_json::{Value, json};

async fn add_practitioner(app: &TestApp, key: &str, name: &str) -> String {
    let r = app
        .post("/api/v1/practice/practitioners", key, json!({"name": name}))
        .await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let v: Value = r.json().await.unwrap();
    v["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn the_patients_token_and_me_carry_the_selected_practitioners_only() {
    let app = TestApp::spawn().await;
    let (_, admin) = app
        .create_practice("smith", "Smith Family Clinic", "555-0100")
        .await;
    let reception = app.create_key(&admin, "reception").await;
    let ann = app
        .seed_portal_account(
            &admin,
            patient("Ann", "Lee", "ann@example.org"),
            "ann.lee",
            PASSWORD,
            "self",
        )
        .await;
    let pid = ann.patient_id.to_string();
    let kim = add_practitioner(&app, &admin, "Dr. Kim").await;
    let patel = add_practitioner(&app, &admin, "Dr. Patel").await;

    // None selected means none.
    let tokens = app.login_tokens(&ann, None).await;
    let claims = claims_of(tokens["access_token"].as_str().unwrap());
    assert_eq!(claims["practitioners"], json!({ pid.clone(): [] }));
    let me: Value = app
        .me(tokens["access_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["patients"][0]["id"], pid.as_str());
    assert_eq!(me["patients"][0]["available_practitioners"], json!([]));

    let path = format!("/api/v1/practice/patients/{pid}/practitioners");
    let r = app
        .call(
            reqwest::Method::PUT,
            &path,
            Some(&reception),
            Some(json!({"practitioner_ids": [kim]})),
        )
        .await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let listed: Value = app.get(&path, &reception).await.json().await.unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["name"], "Dr. Kim");

    // The next token (here: a refresh) carries the selection; Dr. Patel is not in it.
    let refreshed: Value = app
        .refresh(tokens["refresh_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    let access = refreshed["access_token"].as_str().unwrap();
    assert_eq!(
        claims_of(access)["practitioners"],
        json!({ pid.clone(): [kim.clone()] })
    );
    let me: Value = app.me(access).await.json().await.unwrap();
    assert_eq!(
        me["patients"][0]["available_practitioners"],
        json!([{"id": kim, "name": "Dr. Kim"}])
    );
    assert!(!me.to_string().contains(&patel));

    // A deactivated practitioner is no longer offered.
    let r = app
        .patch(
            &format!("/api/v1/practice/practitioners/{kim}"),
            &admin,
            json!({"active": false}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let tokens = app.login_tokens(&ann, None).await;
    let claims = claims_of(tokens["access_token"].as_str().unwrap());
    assert_eq!(claims["practitioners"], json!({ pid.clone(): [] }));
    assert!(
        app.audit_kinds()
            .await
            .contains(&"patient.practitioners_set".to_owned())
    );
}

#[tokio::test]
async fn practitioners_are_managed_by_admins_and_stay_within_the_practice() {
    let app = TestApp::spawn().await;
    let (_, admin) = app
        .create_practice("smith", "Smith Family Clinic", "555-0100")
        .await;
    let (_, other_admin) = app
        .create_practice("jones", "Jones Clinic", "555-0199")
        .await;
    let reception = app.create_key(&admin, "reception").await;
    let r = app
        .post(
            "/api/v1/practice/practitioners",
            &reception,
            json!({"name": "Dr. Who"}),
        )
        .await;
    assert_problem(r, 403, "forbidden").await;
    let r = app
        .post(
            "/api/v1/practice/practitioners",
            &admin,
            json!({"name": "  "}),
        )
        .await;
    assert_problem(r, 422, "validation_failed").await;

    let kim = add_practitioner(&app, &admin, "Dr. Kim").await;
    let theirs = add_practitioner(&app, &other_admin, "Dr. Jones").await;
    let all: Value = app
        .get("/api/v1/practice/practitioners", &reception)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(all.as_array().unwrap().len(), 1, "only this practice's");
    let r = app
        .get(&format!("/api/v1/practice/practitioners/{theirs}"), &admin)
        .await;
    assert_problem(r, 404, "not_found").await;

    let p = app
        .create_patient(&admin, patient("Bo", "Ray", "bo@example.org"))
        .await;
    let path = format!(
        "/api/v1/practice/patients/{}/practitioners",
        p["id"].as_str().unwrap()
    );
    let r = app
        .call(
            reqwest::Method::PUT,
            &path,
            Some(&admin),
            Some(json!({"practitioner_ids": [kim, theirs]})),
        )
        .await;
    assert_problem(r, 422, "validation_failed").await;
    let r = app
        .call(
            reqwest::Method::PUT,
            &path,
            Some(&admin),
            Some(json!({"practitioner_ids": [kim]})),
        )
        .await;
    assert_eq!(r.status(), 200);

    // Deleting takes them off every record.
    let r = app
        .delete(&format!("/api/v1/practice/practitioners/{kim}"), &admin)
        .await;
    assert_eq!(r.status(), 204);
    let listed: Value = app.get(&path, &admin).await.json().await.unwrap();
    assert_eq!(listed, json!([]));
}
