//! Each role against each endpoint group: allowed calls succeed, others are 403 `forbidden`.

use crate::helpers::{TestApp, assert_problem};
use crate::helpers_login::{PASSWORD, patient as patient_body};
use reqwest::Method;
use serde_json::{Value, json};

struct Case {
    name: &'static str,
    method: Method,
    path: String,
    body: Option<Value>,
    allowed: &'static [&'static str],
}

#[tokio::test]
async fn each_role_gets_exactly_its_permissions() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.create_practice("smith", "Smith", "555-0100").await;
    let reception = app.create_key(&admin, "reception").await;
    let scheduling = app.create_key(&admin, "scheduling").await;
    let patient = app
        .create_patient(
            &admin,
            json!({"first_name": "Ann", "last_name": "Lee", "date_of_birth": "1990-04-01",
                   "email": "ann@example.org"}),
        )
        .await;
    let pid = patient["id"].as_str().unwrap();
    let spare = app.create_key(&admin, "reception").await;
    let keys: Value = app
        .get("/api/v1/practice/api-keys", &admin)
        .await
        .json()
        .await
        .unwrap();
    let spare_id = keys
        .as_array()
        .unwrap()
        .iter()
        .find(|k| spare.starts_with(k["key_prefix"].as_str().unwrap()))
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let ann = app
        .seed_portal_account(
            &admin,
            patient_body("Ann", "Lee", "ann@example.org"),
            "ann.lee",
            PASSWORD,
            "self",
        )
        .await;
    let access = ann.access_id;
    // Revoke is final, so it gets an access of its own (revoking again is a no-op success).
    let bo = app
        .seed_portal_account(
            &admin,
            patient_body("Bo", "Ng", "bo@example.org"),
            "bo.ng",
            PASSWORD,
            "self",
        )
        .await;
    let revocable = bo.access_id;

    const ALL: &[&str] = &["admin", "reception", "scheduling"];
    const ADMIN: &[&str] = &["admin"];
    // Seed 004: "You cannot revoke patient portal access from the Scheduling application."
    const FRONT_DESK: &[&str] = &["admin", "reception"];
    let cases = [
        Case {
            name: "read settings",
            method: Method::GET,
            path: "/api/v1/practice/settings".into(),
            body: None,
            allowed: ALL,
        },
        Case {
            name: "change settings",
            method: Method::PATCH,
            path: "/api/v1/practice/settings".into(),
            body: Some(json!({"invitation_ttl_hours": 72})),
            allowed: ADMIN,
        },
        Case {
            name: "create patient",
            method: Method::POST,
            path: "/api/v1/practice/patients".into(),
            body: Some(
                json!({"first_name": "Bo", "last_name": "Ng", "date_of_birth": "2001-01-01"}),
            ),
            allowed: ALL,
        },
        Case {
            name: "list patients",
            method: Method::GET,
            path: "/api/v1/practice/patients".into(),
            body: None,
            allowed: ALL,
        },
        Case {
            name: "read patient",
            method: Method::GET,
            path: format!("/api/v1/practice/patients/{pid}"),
            body: None,
            allowed: ALL,
        },
        Case {
            name: "update patient",
            method: Method::PATCH,
            path: format!("/api/v1/practice/patients/{pid}"),
            body: Some(json!({"postal_code": "97201"})),
            allowed: ALL,
        },
        Case {
            name: "read access",
            method: Method::GET,
            path: format!("/api/v1/practice/patients/{pid}/access"),
            body: None,
            allowed: ALL,
        },
        // Seed 004: invitations can be sent "from within the EHR or the Scheduling application".
        Case {
            name: "send invitation",
            method: Method::POST,
            path: format!("/api/v1/practice/patients/{pid}/invitations"),
            body: Some(json!({"channel": "email", "relation": "self"})),
            allowed: ALL,
        },
        Case {
            name: "list invitations",
            method: Method::GET,
            path: format!("/api/v1/practice/patients/{pid}/invitations"),
            body: None,
            allowed: ALL,
        },
        Case {
            name: "block access",
            method: Method::POST,
            path: format!("/api/v1/practice/access/{access}/block"),
            body: None,
            allowed: FRONT_DESK,
        },
        Case {
            name: "unblock access",
            method: Method::POST,
            path: format!("/api/v1/practice/access/{access}/unblock"),
            body: Some(json!({"reason": "paid"})),
            allowed: FRONT_DESK,
        },
        Case {
            name: "read audit events",
            method: Method::GET,
            path: "/api/v1/practice/audit-events".into(),
            body: None,
            allowed: ADMIN,
        },
        Case {
            name: "list keys",
            method: Method::GET,
            path: "/api/v1/practice/api-keys".into(),
            body: None,
            allowed: ADMIN,
        },
        Case {
            name: "create key",
            method: Method::POST,
            path: "/api/v1/practice/api-keys".into(),
            body: Some(json!({"role": "scheduling", "label": "x"})),
            allowed: ADMIN,
        },
        Case {
            name: "revoke access",
            method: Method::POST,
            path: format!("/api/v1/practice/access/{revocable}/revoke"),
            body: None,
            allowed: FRONT_DESK,
        },
        Case {
            name: "revoke key",
            method: Method::DELETE,
            path: format!("/api/v1/practice/api-keys/{spare_id}"),
            body: None,
            allowed: ADMIN,
        },
    ];

    // Admin last, so its successful key revocation does not change what the others see.
    for (role, key) in [
        ("scheduling", &scheduling),
        ("reception", &reception),
        ("admin", &admin),
    ] {
        for case in &cases {
            let r = app
                .call(
                    case.method.clone(),
                    &case.path,
                    Some(key),
                    case.body.clone(),
                )
                .await;
            if case.allowed.contains(&role) {
                assert!(
                    r.status().is_success(),
                    "{role} should be allowed to {}: {}",
                    case.name,
                    r.status()
                );
            } else {
                let p = assert_problem(r, 403, "forbidden").await;
                assert!(p["detail"].as_str().unwrap().contains("role"), "{p}");
            }
        }
    }
}

/// Staff-created accounts and enabling an unconfirmed sign-up are the front desk's (seeds 001,
/// 003); the scheduling application may not do either. Each role gets its own patient, since
/// a patient has one account.
#[tokio::test]
async fn only_admin_and_reception_create_accounts_and_enable_sign_ups() {
    let app = TestApp::spawn().await;
    let (_, admin) = app.create_practice("smith", "Smith", "555-0100").await;
    let reception = app.create_key(&admin, "reception").await;
    let scheduling = app.create_key(&admin, "scheduling").await;
    let r = app
        .patch(
            "/api/v1/practice/settings",
            &admin,
            json!({"self_registration": "verify_email"}),
        )
        .await;
    assert_eq!(r.status(), 200);
    for (i, (role, key)) in [
        ("scheduling", &scheduling),
        ("reception", &reception),
        ("admin", &admin),
    ]
    .into_iter()
    .enumerate()
    {
        let allowed = role != "scheduling";
        let patient = app
            .create_patient(
                key,
                json!({"first_name": format!("Pat{i}"), "last_name": "Lee",
                       "date_of_birth": "1990-04-01", "email": "pat@example.org"}),
            )
            .await;
        let pid = patient["id"].as_str().unwrap();
        let r = app
            .call(
                Method::POST,
                &format!("/api/v1/practice/patients/{pid}/accounts"),
                Some(key),
                Some(json!({"username": format!("pat{i}")})),
            )
            .await;
        if allowed {
            assert_eq!(r.status(), 201, "{role} creates accounts");
        } else {
            assert_problem(r, 403, "forbidden").await;
        }

        let r = app
            .call(
                Method::POST,
                "/api/v1/registrations",
                None,
                Some(
                    // A birth date each: same-looking sign-ups would be held as one person.
                    json!({"practice": "smith", "first_name": format!("Signup{i}"),
                            "last_name": "Lee", "date_of_birth": format!("1991-01-0{}", i + 1),
                            "email": "signup@example.org", "username": format!("signup{i}"),
                            "password": "correct horse battery staple"}),
                ),
            )
            .await;
        assert_eq!(r.status(), 201);
        let page: Value = app
            .get(&format!("/api/v1/practice/patients?name=signup{i}"), &admin)
            .await
            .json()
            .await
            .unwrap();
        let signup_id = page["items"][0]["id"].as_str().unwrap();
        let access: Value = app
            .get(
                &format!("/api/v1/practice/patients/{signup_id}/access"),
                &admin,
            )
            .await
            .json()
            .await
            .unwrap();
        let access_id = access[0]["id"].as_str().unwrap();
        let r = app
            .call(
                Method::POST,
                &format!("/api/v1/practice/access/{access_id}/activate"),
                Some(key),
                None,
            )
            .await;
        if allowed {
            assert_eq!(r.status(), 200, "{role} enables sign-ups");
        } else {
            assert_problem(r, 403, "forbidden").await;
        }
    }
}
