//! Two-step verification: enrolment, the code step of a login, replays, recovery codes, a
//! practice that requires it, turning it off, and a reset that does not bypass it.

use crate::helpers::{TestApp, assert_problem};
use crate::helpers_invitations::fast;
use crate::helpers_login::{PASSWORD, claims_of, patient};
use crate::helpers_security::{str_of, totp_code};
use crate::mailbox;
use chrono::TimeDelta;
use serde_json::{Value, json};

async fn ann(app: &TestApp) -> (String, crate::helpers_login::SeededAccount) {
    let (_, key) = app
        .create_practice("smith", "Smith Clinic", "555-0100")
        .await;
    let ann = app
        .seed_portal_account(
            &key,
            patient("Ann", "Lee", "ann@example.org"),
            "ann.lee",
            PASSWORD,
            "self",
        )
        .await;
    (key, ann)
}

#[tokio::test]
async fn totp_turns_on_only_after_a_valid_code_then_login_asks_for_a_code() {
    let app = TestApp::spawn_with(fast).await;
    let (_, ann) = ann(&app).await;
    let at = str_of(&app.login_tokens(&ann, None).await, "access_token");

    let r = app
        .post_json(
            "/api/v1/me/mfa/totp",
            Some(&at),
            json!({"current_password": PASSWORD}),
        )
        .await;
    let started: Value = r.json().await.unwrap();
    let secret = str_of(&started, "secret");
    assert!(
        str_of(&started, "otpauth_uri").starts_with("otpauth://totp/Portico:ann.lee?"),
        "{started}"
    );
    assert!(str_of(&started, "qr_code").starts_with("data:image/svg+xml;base64,"));
    // Sealed at rest: the column is not the secret.
    let stored = app.account_named("ann.lee").await.totp_secret.unwrap();
    assert!(!stored.contains(&secret));

    // A wrong code leaves it off: the password alone still logs in.
    let wrong = app
        .post_json(
            "/api/v1/me/mfa/totp/confirm",
            Some(&at),
            json!({"code": "000000"}),
        )
        .await;
    assert_problem(wrong, 401, "invalid_mfa_code").await;
    assert!(app.login_tokens(&ann, None).await["access_token"].is_string());

    let code = totp_code(&secret, app.clock_now());
    let r = app
        .post_json(
            "/api/v1/me/mfa/totp/confirm",
            Some(&at),
            json!({"code": code}),
        )
        .await;
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        body["recovery_codes"].as_array().unwrap().len(),
        10,
        "{body}"
    );
    // Two steps on, so the step before now was not used (the confirmation used its own).
    app.clock.advance(TimeDelta::seconds(60));

    let mfa_token = app.login_until_mfa("ann.lee", PASSWORD).await;
    // The pending handle is not a bearer token.
    assert_eq!(app.me(&mfa_token).await.status(), 401);
    assert_problem(
        app.login_mfa(&mfa_token, "123456").await,
        401,
        "invalid_mfa_code",
    )
    .await;
    // One step of clock skew is allowed.
    let earlier = totp_code(&secret, app.clock_now() - TimeDelta::seconds(30));
    let r = app.login_mfa(&mfa_token, &earlier).await;
    let tokens: Value = r.json().await.unwrap();
    let amr = claims_of(&str_of(&tokens, "access_token"))["amr"].clone();
    assert_eq!(amr, json!(["pwd", "otp", "mfa"]));
    // The handle worked once.
    let next = totp_code(&secret, app.clock_now());
    assert_problem(app.login_mfa(&mfa_token, &next).await, 400, "invalid_grant").await;
    let mails = mailbox::wait_for_mail(&app.mail_dir(), "ann@example.org", 1).await;
    assert!(mails[0].subject.contains("turned on"));
}

#[tokio::test]
async fn a_replayed_totp_code_is_refused_audited_and_emailed() {
    let app = TestApp::spawn_with(fast).await;
    let (_, ann) = ann(&app).await;
    let at = str_of(&app.login_tokens(&ann, None).await, "access_token");
    let enrolled = app.enrol_totp(&at).await;

    let code = totp_code(&enrolled.secret, app.clock_now());
    let first = app.login_until_mfa("ann.lee", PASSWORD).await;
    assert_eq!(app.login_mfa(&first, &code).await.status(), 200);
    let second = app.login_until_mfa("ann.lee", PASSWORD).await;
    assert_problem(app.login_mfa(&second, &code).await, 401, "invalid_mfa_code").await;
    // An older step after a newer one was accepted is refused too.
    let older = totp_code(&enrolled.secret, app.clock_now() - TimeDelta::seconds(30));
    assert_problem(
        app.login_mfa(&second, &older).await,
        401,
        "invalid_mfa_code",
    )
    .await;

    assert!(app.audit_kinds().await.contains(&"mfa.replay".to_owned()));
    let mails = mailbox::wait_for_mail(&app.mail_dir(), "ann@example.org", 2).await;
    assert!(
        mails
            .iter()
            .any(|m| m.subject.contains("used sign-in code"))
    );
    // The next step's code works.
    app.clock.advance(TimeDelta::seconds(30));
    let fresh = totp_code(&enrolled.secret, app.clock_now());
    assert_eq!(app.login_mfa(&second, &fresh).await.status(), 200);
}

#[tokio::test]
async fn the_same_code_in_parallel_logs_in_once() {
    let app = TestApp::spawn().await;
    let (_, ann) = ann(&app).await;
    let at = str_of(&app.login_tokens(&ann, None).await, "access_token");
    let enrolled = app.enrol_totp(&at).await;
    let code = totp_code(&enrolled.secret, app.clock_now());
    let mut handles = Vec::new();
    for _ in 0..5 {
        handles.push(app.login_until_mfa("ann.lee", PASSWORD).await);
    }
    let results =
        futures_util::future::join_all(handles.iter().map(|h| app.login_mfa(h, &code))).await;
    let ok = results.iter().filter(|r| r.status() == 200).count();
    assert_eq!(ok, 1);
}

#[tokio::test]
async fn a_recovery_code_works_once() {
    let app = TestApp::spawn_with(fast).await;
    let (_, ann) = ann(&app).await;
    let at = str_of(&app.login_tokens(&ann, None).await, "access_token");
    let enrolled = app.enrol_totp(&at).await;
    let code = enrolled.recovery_codes[3].to_uppercase();

    let first = app.login_until_mfa("ann.lee", PASSWORD).await;
    let r = app.login_mfa(&first, &code).await;
    let tokens: Value = r.json().await.unwrap();
    assert_eq!(
        claims_of(&str_of(&tokens, "access_token"))["amr"],
        json!(["pwd", "mfa"])
    );

    let second = app.login_until_mfa("ann.lee", PASSWORD).await;
    assert_problem(app.login_mfa(&second, &code).await, 401, "invalid_mfa_code").await;
    assert!(app.audit_kinds().await.contains(&"mfa.replay".to_owned()));
    // Another one still works.
    assert_eq!(
        app.login_mfa(&second, &enrolled.recovery_codes[4])
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn a_password_reset_does_not_bypass_two_step_verification() {
    let app = TestApp::spawn_with(fast).await;
    let (_, ann) = ann(&app).await;
    let at = str_of(&app.login_tokens(&ann, None).await, "access_token");
    app.enrol_totp(&at).await;
    app.request_reset("ann.lee").await;
    let (_, links) = app.reset_mail("ann@example.org", 2).await;
    // With MFA on, 8 characters are enough.
    assert_eq!(
        app.complete_reset(&links[0], "tulip-7Qz").await.status(),
        204
    );
    app.login_until_mfa("ann.lee", "tulip-7Qz").await;
}

#[tokio::test]
async fn turning_two_step_verification_off_needs_the_password_and_a_code_ends_other_sessions_and_emails()
 {
    let app = TestApp::spawn_with(fast).await;
    let (_, ann) = ann(&app).await;
    let at = str_of(&app.login_tokens(&ann, None).await, "access_token");
    let enrolled = app.enrol_totp(&at).await;
    // Another device, logged in with both steps.
    let other = app.login_until_mfa("ann.lee", PASSWORD).await;
    let code = totp_code(&enrolled.secret, app.clock_now());
    let other: Value = app.login_mfa(&other, &code).await.json().await.unwrap();
    app.clock.advance(TimeDelta::seconds(30));
    let disable = |password: &str, code: &str| {
        app.post_json(
            "/api/v1/me/mfa/totp/disable",
            Some(&at),
            json!({"current_password": password, "code": code}),
        )
    };
    let code = totp_code(&enrolled.secret, app.clock_now());
    // A code alone is not enough: the body needs the password, and a wrong one is refused.
    let no_password = app
        .post_json(
            "/api/v1/me/mfa/totp/disable",
            Some(&at),
            json!({"code": code}),
        )
        .await;
    assert_eq!(no_password.status(), 422);
    assert_problem(
        disable("not my password at all", &code).await,
        401,
        "invalid_credentials",
    )
    .await;
    assert_problem(disable(PASSWORD, "999999").await, 401, "invalid_mfa_code").await;
    assert_eq!(disable(PASSWORD, &code).await.status(), 204);
    assert!(app.login_tokens(&ann, None).await["access_token"].is_string());
    // This session stays; the other device is logged out.
    assert_eq!(app.me(&at).await.status(), 200);
    assert_eq!(app.me(&str_of(&other, "access_token")).await.status(), 401);
    assert_problem(
        app.refresh(&str_of(&other, "refresh_token")).await,
        400,
        "invalid_grant",
    )
    .await;
    let mails = mailbox::wait_for_mail(&app.mail_dir(), "ann@example.org", 2).await;
    assert!(mails.iter().any(|m| m.subject.contains("removed")));
}

#[tokio::test]
async fn wrong_codes_to_turn_two_step_verification_off_are_throttled_like_login() {
    let app = TestApp::spawn_with(fast).await;
    let (_, ann) = ann(&app).await;
    let at = str_of(&app.login_tokens(&ann, None).await, "access_token");
    let enrolled = app.enrol_totp(&at).await;
    // Twenty-five wrong codes, with the right password, all at once.
    let statuses = futures_util::future::join_all((0..25).map(|i| {
        let app = &app;
        let at = &at;
        async move {
            app.post_json(
                "/api/v1/me/mfa/totp/disable",
                Some(at),
                json!({"current_password": PASSWORD, "code": format!("{:06}", 100_000 + i)}),
            )
            .await
            .status()
            .as_u16()
        }
    }))
    .await;
    let mut wrong = statuses.iter().filter(|s| **s == 401).count();
    assert!(
        wrong <= 5,
        "no more codes checked than login allows: {statuses:?}"
    );
    assert_eq!(wrong + statuses.iter().filter(|s| **s == 429).count(), 25);
    // Then one at a time until refused: five wrong codes in all, as at login.
    loop {
        let r = app
            .post_json(
                "/api/v1/me/mfa/totp/disable",
                Some(&at),
                json!({"current_password": PASSWORD, "code": "999999"}),
            )
            .await;
        match r.status().as_u16() {
            401 => wrong += 1,
            429 => break,
            other => panic!("{other}"),
        }
    }
    assert_eq!(wrong, 5);
    // Even the right code waits now.
    let code = totp_code(&enrolled.secret, app.clock_now());
    assert_problem(
        app.post_json(
            "/api/v1/me/mfa/totp/disable",
            Some(&at),
            json!({"current_password": PASSWORD, "code": code}),
        )
        .await,
        429,
        "rate_limited",
    )
    .await;
    assert!(app.account_named("ann.lee").await.totp_enabled_at.is_some());
}

#[tokio::test]
async fn setting_up_two_step_verification_needs_the_current_password() {
    let app = TestApp::spawn_with(fast).await;
    let (_, ann) = ann(&app).await;
    let at = str_of(&app.login_tokens(&ann, None).await, "access_token");
    let none = app
        .post_json("/api/v1/me/mfa/totp", Some(&at), json!({}))
        .await;
    assert_eq!(none.status(), 422);
    assert_problem(
        app.post_json(
            "/api/v1/me/mfa/totp",
            Some(&at),
            json!({"current_password": "not my password at all"}),
        )
        .await,
        401,
        "invalid_credentials",
    )
    .await;
    assert!(app.account_named("ann.lee").await.totp_secret.is_none());
    assert!(
        app.audit_kinds()
            .await
            .contains(&"password.reauthentication_failed".to_owned())
    );
    let r = app
        .post_json(
            "/api/v1/me/mfa/totp",
            Some(&at),
            json!({"current_password": PASSWORD}),
        )
        .await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn a_password_shorter_than_the_no_mfa_minimum_must_be_replaced_at_the_next_login() {
    let app = TestApp::spawn_with(fast).await;
    let (_, ann) = ann(&app).await;
    let at = str_of(&app.login_tokens(&ann, None).await, "access_token");
    let enrolled = app.enrol_totp(&at).await;
    // With two steps on, 8 characters were enough.
    let short = "tulip-7Qz";
    let mfa_token = app.login_until_mfa("ann.lee", PASSWORD).await;
    let code = totp_code(&enrolled.secret, app.clock_now());
    let tokens: Value = app.login_mfa(&mfa_token, &code).await.json().await.unwrap();
    let at = str_of(&tokens, "access_token");
    assert_eq!(
        app.change_my_password(&at, PASSWORD, short).await.status(),
        204
    );
    app.clock.advance(TimeDelta::seconds(30));
    let code = totp_code(&enrolled.secret, app.clock_now());
    let r = app
        .post_json(
            "/api/v1/me/mfa/totp/disable",
            Some(&at),
            json!({"current_password": short, "code": code}),
        )
        .await;
    assert_eq!(r.status(), 204);
    // The next login asks for a longer password before anything else.
    let r = app.login("ann.lee", short, None).await;
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["status"], "password_change_required", "{body}");
    assert!(body.get("access_token").is_none());
    let token = str_of(&body, "password_change_token");
    assert_problem(
        app.change_password_at_login(&token, "tulip-7Qz-lon").await,
        422,
        "weak_password",
    )
    .await;
    let r = app
        .change_password_at_login(&token, "a much longer passphrase to remember")
        .await;
    assert_eq!(r.status(), 200);
    assert!(
        app.login("ann.lee", "a much longer passphrase to remember", None)
            .await
            .status()
            == 200
    );
}

#[tokio::test]
async fn a_practice_that_requires_two_step_verification_makes_the_account_enrol_at_login() {
    let app = TestApp::spawn().await;
    let (key, ann) = ann(&app).await;
    app.set_settings(&key, json!({"mfa_required": true})).await;

    let r = app.login(&ann.username, PASSWORD, None).await;
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["status"], "mfa_enrolment_required", "{body}");
    assert!(body.get("access_token").is_none());
    let token = str_of(&body, "mfa_enrolment_token");
    // It allows only enrolment.
    assert_problem(app.login_mfa(&token, "123456").await, 400, "invalid_grant").await;
    assert_eq!(app.me(&token).await.status(), 401);

    let r = app
        .post_json(
            "/api/v1/login/mfa/enrolment",
            None,
            json!({"mfa_enrolment_token": token}),
        )
        .await;
    let started: Value = r.json().await.unwrap();
    let secret = str_of(&started, "secret");
    let code = totp_code(&secret, app.clock_now());
    let r = app
        .post_json(
            "/api/v1/login/mfa/enrolment/confirm",
            None,
            json!({"mfa_enrolment_token": token, "code": code}),
        )
        .await;
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        body["recovery_codes"].as_array().unwrap().len(),
        10,
        "{body}"
    );
    let amr = claims_of(&str_of(&body["tokens"], "access_token"))["amr"].clone();
    assert_eq!(amr, json!(["pwd", "otp", "mfa"]));
    // From now on the login asks for a code.
    app.clock.advance(TimeDelta::seconds(30));
    app.login_until_mfa(&ann.username, PASSWORD).await;
}

#[tokio::test]
async fn concurrent_logins_with_one_recovery_code_never_answer_500() {
    let app = TestApp::spawn().await;
    let (_, ann) = ann(&app).await;
    let at = str_of(&app.login_tokens(&ann, None).await, "access_token");
    let enrolled = app.enrol_totp(&at).await;
    let code = &enrolled.recovery_codes[0];
    // Four whole logins at once: password, then the same recovery code.
    let statuses = futures_util::future::join_all((0..4).map(|_| async {
        let token = app.login_until_mfa("ann.lee", PASSWORD).await;
        app.login_mfa(&token, code).await.status().as_u16()
    }))
    .await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| [200, 401, 429].contains(s)),
        "never a 500: {statuses:?}"
    );
}

#[tokio::test]
async fn two_concurrent_uses_of_one_recovery_code_log_in_once() {
    let app = TestApp::spawn().await;
    let (_, ann) = ann(&app).await;
    let at = str_of(&app.login_tokens(&ann, None).await, "access_token");
    let enrolled = app.enrol_totp(&at).await;
    let code = &enrolled.recovery_codes[0];
    let first = app.login_until_mfa("ann.lee", PASSWORD).await;
    let second = app.login_until_mfa("ann.lee", PASSWORD).await;
    // Only the code step at once: both reach the guarded spend together.
    let (a, b) = tokio::join!(app.login_mfa(&first, code), app.login_mfa(&second, code));
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 401]);
    let kinds = app.audit_kinds().await;
    assert_eq!(
        kinds
            .iter()
            .filter(|k| *k == "mfa.recovery_code_used")
            .count(),
        1
    );
    assert!(kinds.contains(&"mfa.replay".to_owned()));
}
