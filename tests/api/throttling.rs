//! Throttling of password and code guessing: growing waits then 429 with Retry-After, at
//! most 100 failures per account an hour, unknown usernames alike, audited, and shared by
//! instances on one database.

use crate::helpers::{TestApp, assert_problem};
use crate::helpers_login::{PASSWORD, patient};
use crate::helpers_security::status_and_body;
use chrono::TimeDelta;
use reqwest::Response;

const WRONG: &str = "not the right password at all";

fn retry_after(r: &Response) -> i64 {
    r.headers()
        .get("retry-after")
        .expect("Retry-After")
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

async fn seeded(app: &TestApp) {
    let (_, key) = app
        .create_practice("smith", "Smith Clinic", "555-0100")
        .await;
    app.seed_portal_account(
        &key,
        patient("Ann", "Lee", "ann@example.org"),
        "ann.lee",
        PASSWORD,
        "self",
    )
    .await;
}

#[tokio::test]
async fn after_five_wrong_passwords_the_next_attempt_waits_and_a_success_clears_the_count() {
    let app = TestApp::spawn().await;
    seeded(&app).await;
    for _ in 0..5 {
        assert_problem(
            app.login("ann.lee", WRONG, None).await,
            401,
            "invalid_credentials",
        )
        .await;
    }
    // Even the right password waits: the wait says nothing about the password.
    let r = app.login("ann.lee", PASSWORD, None).await;
    assert_eq!(retry_after(&r), 1);
    assert_problem(r, 429, "rate_limited").await;
    app.clock.advance(TimeDelta::seconds(1));
    assert_eq!(app.login("ann.lee", PASSWORD, None).await.status(), 200);
    // The count starts again.
    for _ in 0..5 {
        assert_problem(
            app.login("ANN.LEE", WRONG, None).await,
            401,
            "invalid_credentials",
        )
        .await;
    }
    assert_eq!(app.login("ann.lee", WRONG, None).await.status(), 429);
    let kinds = app.audit_kinds().await;
    assert!(kinds.contains(&"login.throttled".to_owned()));
    assert!(kinds.contains(&"login.throttle_imposed".to_owned()));
}

#[tokio::test]
async fn unknown_usernames_are_throttled_exactly_like_known_ones() {
    let app = TestApp::spawn().await;
    seeded(&app).await;
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    for _ in 0..6 {
        known.push(status_and_body(app.login("ann.lee", WRONG, None).await).await);
        unknown.push(status_and_body(app.login("nobody.here", WRONG, None).await).await);
    }
    let strip = |v: &[(u16, String)]| -> Vec<(u16, String)> {
        v.iter()
            .map(|(s, b)| {
                let mut j: serde_json::Value = serde_json::from_str(b).unwrap();
                j.as_object_mut().unwrap().remove("instance");
                j.as_object_mut().unwrap().remove("request_id");
                (*s, j.to_string())
            })
            .collect()
    };
    assert_eq!(strip(&known), strip(&unknown));
    assert_eq!(known[5].0, 429);
}

#[tokio::test]
async fn a_hundred_and_one_wrong_passwords_in_an_hour_are_never_accepted() {
    let app = TestApp::spawn().await;
    seeded(&app).await;
    let start = app.clock_now();
    let mut tried = 0;
    // Wrong passwords as fast as the throttle lets them through, waiting each time it says.
    while tried < 100 {
        let r = app.login("ann.lee", WRONG, None).await;
        match r.status().as_u16() {
            401 => tried += 1,
            429 => app.clock.advance(TimeDelta::seconds(retry_after(&r))),
            other => panic!("a wrong password got {other}"),
        }
    }
    assert!(
        app.clock_now() - start < TimeDelta::hours(1),
        "100 tries fit in the hour"
    );
    // The 101st is not even tried: it waits for the end of the hour.
    let r = app.login("ann.lee", WRONG, None).await;
    assert_eq!(r.status(), 429);
    assert!(app.clock_now() + TimeDelta::seconds(retry_after(&r)) >= start + TimeDelta::hours(1));
    app.clock.advance(TimeDelta::seconds(retry_after(&r) / 2));
    // The cap holds until the hour is over, for the right password too.
    let r = app.login("ann.lee", PASSWORD, None).await;
    let wait = retry_after(&r);
    assert_problem(r, 429, "rate_limited").await;
    assert!(app.clock_now() + TimeDelta::seconds(wait) >= start + TimeDelta::hours(1));
    app.clock.advance(TimeDelta::seconds(wait));
    assert_eq!(app.login("ann.lee", PASSWORD, None).await.status(), 200);
}

#[tokio::test]
async fn throttling_is_shared_by_two_instances_on_one_database() {
    let one = TestApp::spawn().await;
    seeded(&one).await;
    let two = one.spawn_peer().await;
    for i in 0..5 {
        let app = if i % 2 == 0 { &one } else { &two };
        assert_eq!(app.login("ann.lee", WRONG, None).await.status(), 401);
    }
    assert_problem(
        two.login("ann.lee", PASSWORD, None).await,
        429,
        "rate_limited",
    )
    .await;
    assert_problem(
        one.login("ann.lee", PASSWORD, None).await,
        429,
        "rate_limited",
    )
    .await;
}

#[tokio::test]
async fn a_password_reset_clears_the_account_throttle() {
    let app = TestApp::spawn_with(crate::helpers_invitations::fast).await;
    seeded(&app).await;
    for _ in 0..6 {
        app.login("ann.lee", WRONG, None).await;
    }
    assert_eq!(app.login("ann.lee", PASSWORD, None).await.status(), 429);
    app.request_reset("ann.lee").await;
    let (_, links) = app.reset_mail("ann@example.org", 1).await;
    assert_eq!(
        app.complete_reset(&links[0], "a brand new passphrase for me")
            .await
            .status(),
        204
    );
    assert_eq!(
        app.login("ann.lee", "a brand new passphrase for me", None)
            .await
            .status(),
        200
    );
}
