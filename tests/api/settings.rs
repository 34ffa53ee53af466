use crate::helpers::{TestApp, assert_problem};
use serde_json::json;

#[tokio::test]
async fn new_practice_has_defaults_that_match_the_seeds() {
    let app = TestApp::spawn().await;
    let (_, key) = app
        .create_practice("smith-family-clinic", "Smith Family Clinic", "555-0100")
        .await;
    let s: serde_json::Value = app
        .get("/api/v1/practice/settings", &key)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(s["slug"], "smith-family-clinic");
    assert_eq!(
        s["invitation_ttl_hours"], 72,
        "seed 004: the link is valid for 72 hours"
    );
    assert_eq!(s["self_registration"], "off");
    assert_eq!(s["required_fields"], json!(["email_or_mobile"]));
    assert_eq!(s["age_of_majority"], 18);
    assert_eq!(s["mfa_required"], false);
    assert_eq!(s["contact_phone"], "555-0100");
}

#[tokio::test]
async fn admin_changes_settings_and_null_clears_a_contact_field() {
    let app = TestApp::spawn().await;
    let (_, key) = app.create_practice("smith", "Smith", "555-0100").await;
    let r = app
        .patch(
            "/api/v1/practice/settings",
            &key,
            json!({
                "invitation_ttl_hours": 48,
                "self_registration": "verify_email",
                "required_fields": ["email", "postal_code"],
                "age_of_majority": 19,
                "mfa_required": true,
                "contact_name": "Front desk",
                "contact_email": "desk@smith.example",
                "contact_phone": "555-0101"
            }),
        )
        .await;
    assert_eq!(r.status(), 200);
    let s: serde_json::Value = r.json().await.unwrap();
    assert_eq!(s["invitation_ttl_hours"], 48);
    assert_eq!(s["self_registration"], "verify_email");
    assert_eq!(s["required_fields"], json!(["email", "postal_code"]));
    assert_eq!(s["contact_email"], "desk@smith.example");

    let s: serde_json::Value = app
        .patch(
            "/api/v1/practice/settings",
            &key,
            json!({"contact_email": null}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(s["contact_email"], serde_json::Value::Null);
    assert_eq!(
        s["contact_name"], "Front desk",
        "absent fields stay as they were"
    );
}

#[tokio::test]
async fn settings_out_of_range_are_refused_naming_the_field() {
    let app = TestApp::spawn().await;
    let (_, key) = app.create_practice("smith", "Smith", "555-0100").await;
    for (body, field) in [
        (json!({"invitation_ttl_hours": 0}), "invitation_ttl_hours"),
        (json!({"age_of_majority": 99}), "age_of_majority"),
        (json!({"contact_phone": "call us"}), "contact_phone"),
        (json!({"contact_email": "nope"}), "contact_email"),
        (
            json!({"self_registration": "sometimes"}),
            "self_registration",
        ),
        (
            json!({"required_fields": ["shoe_size"]}),
            "required_fields[0]",
        ),
    ] {
        let p = assert_problem(
            app.patch("/api/v1/practice/settings", &key, body.clone())
                .await,
            422,
            "validation_failed",
        )
        .await;
        assert_eq!(p["field"], field, "for {body}");
    }
    let s: serde_json::Value = app
        .get("/api/v1/practice/settings", &key)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(s["invitation_ttl_hours"], 72, "nothing changed");
}
