//! Refresh tokens: rotation, reuse detection revoking the family, concurrency, lifetimes,
//! the block check on every refresh, and logout.

use crate::helpers::{TestApp, assert_problem};
use crate::helpers_login::{PASSWORD, SeededAccount, patient};
use chrono::TimeDelta;
use serde_json::Value;

async fn ann_at_smith(app: &TestApp) -> (String, SeededAccount) {
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
    (smith, ann)
}

fn s(v: &Value, field: &str) -> String {
    v[field].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn refresh_rotates_and_reusing_a_spent_token_revokes_the_whole_family() {
    let app = TestApp::spawn().await;
    let (smith, ann) = ann_at_smith(&app).await;
    let first = app.login_tokens(&ann, None).await;
    let rt1 = s(&first, "refresh_token");

    let r = app.refresh(&rt1).await;
    assert_eq!(r.status(), 200);
    let second: Value = r.json().await.unwrap();
    let rt2 = s(&second, "refresh_token");
    assert_ne!(rt1, rt2, "rotated");
    assert_ne!(first["access_token"], second["access_token"]);
    assert_eq!(second["token_type"], "Bearer");
    assert_eq!(second["expires_in"], 300);
    assert_eq!(second["practice"]["slug"], "smith-family-clinic");
    assert_eq!(second["patients"][0]["id"], ann.patient_id.to_string());
    assert_eq!(app.me(&s(&second, "access_token")).await.status(), 200);

    // RT1 again: someone has a copy. The family ends, RT2 included, and its access token.
    assert_problem(app.refresh(&rt1).await, 400, "invalid_grant").await;
    assert_problem(app.refresh(&rt2).await, 400, "invalid_grant").await;
    assert_problem(
        app.me(&s(&second, "access_token")).await,
        401,
        "unauthorized",
    )
    .await;

    let events: Value = app
        .audit_events(&smith, "kind=refresh.reuse_detected")
        .await
        .json()
        .await
        .unwrap();
    let items = events["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{events}");
    assert_eq!(items[0]["account_id"], ann.account_id.to_string());
    assert_eq!(items[0]["detail"]["session_ended"], true);

    // A new login is a new family and works.
    let again = app.login_tokens(&ann, None).await;
    assert_eq!(app.refresh(&s(&again, "refresh_token")).await.status(), 200);
}

#[tokio::test]
async fn fifty_parallel_refreshes_of_one_token_issue_exactly_one_pair_and_end_the_family() {
    let app = TestApp::spawn().await;
    let (_, ann) = ann_at_smith(&app).await;
    let rt = s(&app.login_tokens(&ann, None).await, "refresh_token");

    let attempts = (0..50).map(|_| app.refresh(&rt));
    let responses = futures_util::future::join_all(attempts).await;
    let mut winners = Vec::new();
    for r in responses {
        let status = r.status().as_u16();
        let body: Value = r.json().await.unwrap();
        match status {
            200 => winners.push(body),
            400 => assert_eq!(body["code"], "invalid_grant", "{body}"),
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one new pair");
    // The losers were reuses: the family, and the winner's new token with it, is over.
    assert_problem(
        app.refresh(&s(&winners[0], "refresh_token")).await,
        400,
        "invalid_grant",
    )
    .await;
}

#[tokio::test]
async fn refresh_for_a_blocked_practice_fails_with_the_blocked_message_and_unblock_needs_a_new_login()
 {
    let app = TestApp::spawn().await;
    let (smith, ann) = ann_at_smith(&app).await;
    let tokens = app.login_tokens(&ann, None).await;
    let at = s(&tokens, "access_token");
    assert_eq!(app.me(&at).await.status(), 200);

    app.block_access(&smith, ann.access_id, None).await;
    let body = assert_problem(
        app.refresh(&s(&tokens, "refresh_token")).await,
        403,
        "access_blocked",
    )
    .await;
    assert_eq!(
        body["detail"],
        "Your portal access to Smith Family Clinic is blocked. Please contact the practice on 555-0100."
    );
    // The access token is refused at once, not when it expires (SECURITY I2).
    let body = assert_problem(app.me(&at).await, 403, "access_blocked").await;
    assert_eq!(body["practice"]["phone"], "555-0100");

    // The block ended the session: after unblocking, the old refresh token stays dead.
    app.unblock_access(&smith, ann.access_id, None).await;
    assert_problem(
        app.refresh(&s(&tokens, "refresh_token")).await,
        400,
        "invalid_grant",
    )
    .await;
    let fresh = app.login_tokens(&ann, None).await;
    assert_eq!(app.refresh(&s(&fresh, "refresh_token")).await.status(), 200);
}

#[tokio::test]
async fn refresh_tokens_expire_when_idle_and_sessions_at_their_absolute_lifetime() {
    let app = TestApp::spawn_with(|s| {
        s.refresh_idle_ttl_secs = 3600;
        s.refresh_absolute_ttl_secs = 3 * 3600;
    })
    .await;
    let (_, ann) = ann_at_smith(&app).await;

    // Idle: unused for longer than an hour.
    let idle = app.login_tokens(&ann, None).await;
    app.clock.advance(TimeDelta::seconds(3601));
    assert_problem(
        app.refresh(&s(&idle, "refresh_token")).await,
        400,
        "invalid_grant",
    )
    .await;

    // Absolute: refreshed every 50 minutes, the session still ends 3 hours after login.
    let mut rt = s(&app.login_tokens(&ann, None).await, "refresh_token");
    for _ in 0..3 {
        app.clock.advance(TimeDelta::minutes(50));
        let r = app.refresh(&rt).await;
        assert_eq!(r.status(), 200);
        rt = s(&r.json::<Value>().await.unwrap(), "refresh_token");
    }
    app.clock.advance(TimeDelta::minutes(31));
    assert_problem(app.refresh(&rt).await, 400, "invalid_grant").await;
}

#[tokio::test]
async fn logout_ends_the_session_its_refresh_token_and_its_access_token() {
    let app = TestApp::spawn().await;
    let (smith, ann) = ann_at_smith(&app).await;
    let kept = app.login_tokens(&ann, None).await;
    let ended = app.login_tokens(&ann, None).await;

    let r = app.logout(&s(&ended, "refresh_token")).await;
    assert_eq!(r.status(), 204);
    assert_problem(
        app.refresh(&s(&ended, "refresh_token")).await,
        400,
        "invalid_grant",
    )
    .await;
    assert_problem(
        app.me(&s(&ended, "access_token")).await,
        401,
        "unauthorized",
    )
    .await;
    // Only that session: the other login goes on.
    assert_eq!(app.me(&s(&kept, "access_token")).await.status(), 200);
    assert_eq!(app.refresh(&s(&kept, "refresh_token")).await.status(), 200);

    // Logging out twice, or with rubbish, is not an error and records nothing more.
    assert_eq!(app.logout(&s(&ended, "refresh_token")).await.status(), 204);
    assert_eq!(app.logout("not-a-token").await.status(), 204);
    let events: Value = app
        .audit_events(&smith, "kind=logout")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(events["items"].as_array().unwrap().len(), 1, "{events}");
}

#[tokio::test]
async fn malformed_and_unknown_refresh_tokens_are_invalid_grant() {
    let app = TestApp::spawn().await;
    assert_problem(app.refresh("short").await, 400, "invalid_grant").await;
    assert_problem(
        app.refresh(&portico::crypto::secrets::new_token()).await,
        400,
        "invalid_grant",
    )
    .await;
    assert_problem(
        app.call(
            reqwest::Method::POST,
            "/api/v1/token/refresh",
            None,
            Some(serde_json::json!({})),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
}
