//! Logging in (seeds 000, 001, 003, 004): tokens for one practice, the blocked message with the
//! practice's phone only after a correct password, practice choice, a parent of three, and the
//! forced password change of a staff-created account.

use crate::helpers::{TestApp, assert_problem};
use crate::helpers_login::{PASSWORD, claims_of, epoch_plus, instant, patient};
use serde_json::Value;

#[tokio::test]
async fn blocked_patient_sees_practice_phone_and_other_practice_still_works() {
    let app = TestApp::spawn().await;
    let (_, smith) = app
        .create_practice("smith-family-clinic", "Smith Family Clinic", "555-0100")
        .await;
    let (_, jones) = app
        .create_practice("jones-dental", "Jones Dental", "555-0199")
        .await;
    let at_smith = app
        .seed_portal_account(
            &smith,
            patient("Ann", "Lee", "ann@example.org"),
            "ann.lee",
            PASSWORD,
            "self",
        )
        .await;
    let at_jones = app
        .seed_portal_account(
            &jones,
            patient("Ann", "Lee", "ann@example.org"),
            "ann.lee",
            PASSWORD,
            "self",
        )
        .await;
    assert_eq!(
        at_smith.account_id, at_jones.account_id,
        "one account, two practices"
    );

    let r = app
        .block_access(&smith, at_smith.access_id, Some("unpaid bills"))
        .await;
    assert_eq!(r.status(), 200);

    let body = assert_problem(
        app.login("ann.lee", PASSWORD, Some("smith-family-clinic"))
            .await,
        403,
        "access_blocked",
    )
    .await;
    assert_eq!(
        body["detail"],
        "Your portal access to Smith Family Clinic is blocked. Please contact the practice on 555-0100."
    );
    assert_eq!(body["practice"]["name"], "Smith Family Clinic");
    assert_eq!(body["practice"]["phone"], "555-0100");
    assert_eq!(body["practice"]["slug"], "smith-family-clinic");
    assert!(
        !body.to_string().contains("unpaid"),
        "the staff reason stays internal: {body}"
    );

    let tokens = app.login_tokens(&at_jones, Some("jones-dental")).await;
    assert_eq!(tokens["practice"]["slug"], "jones-dental");
    assert_eq!(tokens["practice"]["name"], "Jones Dental");
    assert_eq!(tokens["patients"][0]["id"], at_jones.patient_id.to_string());
    assert_eq!(
        claims_of(tokens["access_token"].as_str().unwrap())["practice"]["slug"],
        "jones-dental"
    );

    // Without naming a practice, the only active one is used.
    let tokens = app.login_tokens(&at_jones, None).await;
    assert_eq!(tokens["practice"]["slug"], "jones-dental");
}

#[tokio::test]
async fn wrong_password_for_a_blocked_account_gets_the_generic_401_not_the_blocked_message() {
    let app = TestApp::spawn().await;
    let (_, smith) = app
        .create_practice("smith-family-clinic", "Smith Family Clinic", "555-0100")
        .await;
    let ann = app
        .seed_portal_account(
            &smith,
            patient("Ann", "Lee", "ann@example.org"),
            "ann.lee",
            PASSWORD,
            "self",
        )
        .await;
    app.block_access(&smith, ann.access_id, None).await;

    let body = assert_problem(
        app.login(
            "ann.lee",
            "not the right password at all",
            Some("smith-family-clinic"),
        )
        .await,
        401,
        "invalid_credentials",
    )
    .await;
    assert!(body.get("practice").is_none(), "{body}");
    assert!(!body.to_string().contains("555-0100"), "{body}");
    assert!(!body.to_string().contains("Smith"), "{body}");
}

#[tokio::test]
async fn unblocking_restores_login() {
    let app = TestApp::spawn().await;
    let (_, smith) = app
        .create_practice("smith-family-clinic", "Smith Family Clinic", "555-0100")
        .await;
    let ann = app
        .seed_portal_account(
            &smith,
            patient("Ann", "Lee", "ann@example.org"),
            "ann.lee",
            PASSWORD,
            "self",
        )
        .await;
    app.block_access(&smith, ann.access_id, None).await;
    assert_problem(
        app.login("ann.lee", PASSWORD, None).await,
        403,
        "access_blocked",
    )
    .await;

    let r = app
        .unblock_access(&smith, ann.access_id, Some("paid"))
        .await;
    assert_eq!(r.status(), 200);
    let view: Value = r.json().await.unwrap();
    assert_eq!(view["status"], "active");

    let tokens = app.login_tokens(&ann, None).await;
    assert_eq!(tokens["practice"]["slug"], "smith-family-clinic");
}

/// SECURITY B4: the body must not tell an unknown username from a wrong password. Each
/// response carries its own request id (also in `X-Request-Id`); with that replaced, the
/// bytes are equal.
#[tokio::test]
async fn unknown_user_and_wrong_password_answers_are_byte_identical() {
    let app = TestApp::spawn().await;
    let (_, smith) = app
        .create_practice("smith-family-clinic", "Smith Family Clinic", "555-0100")
        .await;
    app.seed_portal_account(
        &smith,
        patient("Ann", "Lee", "ann@example.org"),
        "ann.lee",
        PASSWORD,
        "self",
    )
    .await;
    let hashes_before = app.state.hasher.hashes_run();

    async fn normalised(r: reqwest::Response) -> (u16, Option<String>, String) {
        let status = r.status().as_u16();
        let auth = r
            .headers()
            .get("www-authenticate")
            .map(|v| v.to_str().unwrap().to_owned());
        let id = r.headers()["x-request-id"].to_str().unwrap().to_owned();
        let body = r.text().await.unwrap();
        assert!(body.contains(&id), "{body}");
        (status, auth, body.replace(&id, "REQUEST-ID"))
    }
    let wrong = normalised(
        app.login("ann.lee", "not the right password at all", None)
            .await,
    )
    .await;
    let unknown = normalised(
        app.login("nobody.here", "not the right password at all", None)
            .await,
    )
    .await;
    assert_eq!(wrong.0, 401);
    assert_eq!(wrong, unknown);
    assert_eq!(
        app.state.hasher.hashes_run() - hashes_before,
        2,
        "both paths ran exactly one argon2 hash"
    );
}

#[tokio::test]
async fn several_practices_without_a_choice_answer_practice_required_listing_blocked_ones() {
    let app = TestApp::spawn().await;
    let (_, smith) = app
        .create_practice("smith-family-clinic", "Smith Family Clinic", "555-0100")
        .await;
    let (_, jones) = app
        .create_practice("jones-dental", "Jones Dental", "555-0199")
        .await;
    let (_, lake) = app
        .create_practice("lake-clinic", "Lake Clinic", "555-0123")
        .await;
    let a = app
        .seed_portal_account(
            &smith,
            patient("Ann", "Lee", "ann@example.org"),
            "ann.lee",
            PASSWORD,
            "self",
        )
        .await;
    app.seed_portal_account(
        &jones,
        patient("Ann", "Lee", "ann@example.org"),
        "ann.lee",
        PASSWORD,
        "self",
    )
    .await;
    let at_lake = app
        .seed_portal_account(
            &lake,
            patient("Ann", "Lee", "ann@example.org"),
            "ann.lee",
            PASSWORD,
            "self",
        )
        .await;
    app.block_access(&lake, at_lake.access_id, None).await;

    let r = app.login("ann.lee", PASSWORD, None).await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["status"], "practice_required");
    assert!(body.get("access_token").is_none(), "{body}");
    let mut listed: Vec<(String, String)> = body["practices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["slug"].as_str().unwrap().to_owned(),
                p["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    listed.sort();
    assert_eq!(
        listed,
        [
            ("jones-dental".to_owned(), "active".to_owned()),
            ("lake-clinic".to_owned(), "blocked".to_owned()),
            ("smith-family-clinic".to_owned(), "active".to_owned()),
        ]
    );

    // Choosing one from the list logs in there.
    let tokens = app.login_tokens(&a, Some("Smith-Family-Clinic")).await;
    assert_eq!(tokens["practice"]["name"], "Smith Family Clinic");
    // A practice the account has nothing at is `no_access`.
    let (_, _other) = app
        .create_practice("other-clinic", "Other", "555-0000")
        .await;
    assert_problem(
        app.login("ann.lee", PASSWORD, Some("other-clinic")).await,
        403,
        "no_access",
    )
    .await;
}

#[tokio::test]
async fn parent_of_three_gets_all_three_and_blocking_one_drops_only_that_child() {
    let app = TestApp::spawn().await;
    let (_, smith) = app
        .create_practice("smith-family-clinic", "Smith Family Clinic", "555-0100")
        .await;
    let mut kids = Vec::new();
    for name in ["Mia", "Leo", "Zoe"] {
        kids.push(
            app.seed_portal_account(
                &smith,
                serde_json::json!({"first_name": name, "last_name": "Park", "date_of_birth": "2015-06-01"}),
                "sam.park",
                PASSWORD,
                "parent",
            )
            .await,
        );
    }
    let ids = |tokens: &Value| -> Vec<String> {
        let mut v: Vec<String> = tokens["patients"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].as_str().unwrap().to_owned())
            .collect();
        v.sort();
        v
    };
    let mut all: Vec<String> = kids.iter().map(|k| k.patient_id.to_string()).collect();
    all.sort();

    let tokens = app.login_tokens(&kids[0], None).await;
    assert_eq!(ids(&tokens), all);
    let names: Vec<&str> = tokens["patients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["first_name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"Mia") && names.contains(&"Leo") && names.contains(&"Zoe"));
    assert!(
        tokens["patients"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["relation"] == "parent")
    );
    let claims = claims_of(tokens["access_token"].as_str().unwrap());
    assert_eq!(claims["patients"].as_array().unwrap().len(), 3);

    // Block Leo: only Leo drops out, in the response and in the token.
    app.block_access(&smith, kids[1].access_id, None).await;
    let tokens = app.login_tokens(&kids[0], None).await;
    let mut expected = vec![
        kids[0].patient_id.to_string(),
        kids[2].patient_id.to_string(),
    ];
    expected.sort();
    assert_eq!(ids(&tokens), expected);
    let claimed: Vec<String> = claims_of(tokens["access_token"].as_str().unwrap())["patients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(!claimed.contains(&kids[1].patient_id.to_string()));
    assert_eq!(claimed.len(), 2);

    // Every link blocked: the login is refused with the practice's phone.
    app.block_access(&smith, kids[0].access_id, None).await;
    app.block_access(&smith, kids[2].access_id, None).await;
    let body = assert_problem(
        app.login("sam.park", PASSWORD, None).await,
        403,
        "access_blocked",
    )
    .await;
    assert_eq!(body["practice"]["phone"], "555-0100");
}

#[tokio::test]
async fn staff_created_account_must_change_its_password_before_getting_tokens() {
    let app = TestApp::spawn().await;
    let (_, smith) = app
        .create_practice("smith-family-clinic", "Smith Family Clinic", "555-0100")
        .await;
    let ann = app
        .seed_staff_created_account(&smith, patient("Ann", "Lee", "ann@example.org"), "ann.lee")
        .await;
    let temporary = ann.password.as_str();

    let r = app.login("ann.lee", temporary, None).await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["status"], "password_change_required", "{body}");
    assert!(body.get("access_token").is_none() && body.get("refresh_token").is_none());
    let change_token = body["password_change_token"].as_str().unwrap().to_owned();
    assert_eq!(body["expires_in"], 600);

    // The change token is not an access token.
    assert_problem(app.me(&change_token).await, 401, "unauthorized").await;
    // A weak password is refused and does not spend the token.
    assert_problem(
        app.change_password_at_login(&change_token, "short").await,
        422,
        "weak_password",
    )
    .await;
    let r = app
        .change_password_at_login(&change_token, "my own long passphrase 2026")
        .await;
    assert_eq!(r.status(), 200);
    let tokens: Value = r.json().await.unwrap();
    assert!(tokens["access_token"].is_string(), "{tokens}");
    assert_eq!(tokens["patients"][0]["id"], ann.patient_id.to_string());
    assert_eq!(
        app.me(tokens["access_token"].as_str().unwrap())
            .await
            .status(),
        200
    );

    // Single use.
    assert_problem(
        app.change_password_at_login(&change_token, "another long passphrase 2026")
            .await,
        400,
        "invalid_grant",
    )
    .await;
    // The temporary password is gone; the new one logs straight in.
    assert_problem(
        app.login("ann.lee", temporary, None).await,
        401,
        "invalid_credentials",
    )
    .await;
    let r = app
        .login("ann.lee", "my own long passphrase 2026", None)
        .await;
    let body: Value = r.json().await.unwrap();
    assert!(body["access_token"].is_string(), "{body}");
}

#[tokio::test]
async fn password_change_token_expires_after_ten_minutes() {
    let app = TestApp::spawn().await;
    let (_, smith) = app
        .create_practice("smith-family-clinic", "Smith Family Clinic", "555-0100")
        .await;
    let ann = app
        .seed_staff_created_account(&smith, patient("Ann", "Lee", "ann@example.org"), "ann.lee")
        .await;
    let body: Value = app
        .login("ann.lee", &ann.password, None)
        .await
        .json()
        .await
        .unwrap();
    let token = body["password_change_token"].as_str().unwrap();
    app.clock
        .advance(chrono::TimeDelta::minutes(10) + chrono::TimeDelta::seconds(1));
    assert_problem(
        app.change_password_at_login(token, "my own long passphrase 2026")
            .await,
        400,
        "invalid_grant",
    )
    .await;
}

/// Seed 004: the practice sees when access was sent, registered, last used and revoked.
#[tokio::test]
async fn every_login_stamps_last_login_at_and_the_access_shows_every_timestamp() {
    let app = TestApp::spawn().await;
    let (_, smith) = app
        .create_practice("smith-family-clinic", "Smith Family Clinic", "555-0100")
        .await;
    let ann = app
        .seed_portal_account(
            &smith,
            patient("Ann", "Lee", "ann@example.org"),
            "ann.lee",
            PASSWORD,
            "self",
        )
        .await;
    let before = app.access_view(&smith, &ann).await;
    assert!(before["last_login_at"].is_null());
    assert!(before["invited_at"].is_string() && before["registered_at"].is_string());

    app.clock.advance(chrono::TimeDelta::hours(2));
    app.login_tokens(&ann, None).await;
    let first = app.access_view(&smith, &ann).await;
    assert_eq!(instant(&first["last_login_at"]), epoch_plus(2, 0));

    app.clock.advance(chrono::TimeDelta::hours(1));
    app.login_tokens(&ann, None).await;
    let second = app.access_view(&smith, &ann).await;
    assert_eq!(instant(&second["last_login_at"]), epoch_plus(3, 0));

    app.clock.advance(chrono::TimeDelta::hours(1));
    let revoked: Value = app
        .revoke_access(&smith, ann.access_id, Some("moved away"))
        .await
        .json()
        .await
        .unwrap();
    let view = app.access_view(&smith, &ann).await;
    assert_eq!(view, revoked, "the revoke answer is the access as listed");
    for field in [
        "invited_at",
        "registered_at",
        "last_login_at",
        "revoked_at",
        "created_at",
        "updated_at",
    ] {
        assert!(view[field].is_string(), "{field} in {view}");
    }
    assert_eq!(instant(&view["revoked_at"]), epoch_plus(4, 0));
    assert_eq!(view["revoke_reason"], "moved away");
    assert_eq!(
        instant(&view["last_login_at"]),
        epoch_plus(3, 0),
        "history is kept"
    );
    assert_eq!(view["username"], "ann.lee");
}
