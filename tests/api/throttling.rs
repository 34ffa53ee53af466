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

/// Statuses of `n` wrong passwords for `username` sent at once (or one after another), and
/// how many argon2 computations they caused.
async fn wrong_passwords(
    app: &TestApp,
    usernames: &[String],
    at_once: bool,
) -> (usize, usize, u64) {
    let before = app.state.hasher.hashes_run();
    let statuses: Vec<u16> = if at_once {
        futures_util::future::join_all(
            usernames
                .iter()
                .map(|u| async move { app.login(u, WRONG, None).await.status().as_u16() }),
        )
        .await
    } else {
        let mut v = Vec::new();
        for u in usernames {
            v.push(app.login(u, WRONG, None).await.status().as_u16());
        }
        v
    };
    assert!(
        statuses.iter().all(|s| *s == 401 || *s == 429),
        "only 401 and 429: {statuses:?}"
    );
    let refused = statuses.iter().filter(|s| **s == 429).count();
    (
        statuses.len() - refused,
        refused,
        app.state.hasher.hashes_run() - before,
    )
}

async fn throttle_row(app: &TestApp, username: &str) -> Option<portico::store::throttle::Model> {
    use sea_orm::EntityTrait;
    let key = format!(
        "account:{}",
        portico::crypto::secrets::hash_token(&portico::domain::username::fold(username))
    );
    portico::store::throttle::Entity::find_by_id(key)
        .one(&app.state.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn simultaneous_wrong_passwords_get_no_more_password_checks_than_the_same_ones_in_a_row() {
    let app = TestApp::spawn().await;
    seeded(&app).await;
    app.seed_portal_account(
        &app.create_practice("jones", "Jones Clinic", "555-0111")
            .await
            .1,
        patient("Bob", "Ray", "bob@example.org"),
        "bob.ray",
        PASSWORD,
        "self",
    )
    .await;
    let in_a_row = wrong_passwords(&app, &vec!["ann.lee".to_owned(); 40], false).await;
    let at_once = wrong_passwords(&app, &vec!["bob.ray".to_owned(); 40], true).await;
    assert_eq!(in_a_row, (5, 35, 5), "one at a time: 5 × 401, then 429");
    assert_eq!(
        at_once, in_a_row,
        "forty at once: the same 401s, 429s and argon2 runs as forty in a row"
    );
    assert_eq!(throttle_row(&app, "bob.ray").await.unwrap().failures, 5);
    // And the right password waits like a wrong one.
    assert_problem(
        app.login("bob.ray", PASSWORD, None).await,
        429,
        "rate_limited",
    )
    .await;
}

#[tokio::test]
async fn simultaneous_wrong_passwords_from_one_address_are_counted_on_the_address_before_any_check()
{
    let app = TestApp::spawn().await;
    seeded(&app).await;
    // Forty different names (four tries each stays under the account limit), one address.
    let names: Vec<String> = (0..40).map(|i| format!("guess.{}", i % 10)).collect();
    let (checked, refused, hashes) = wrong_passwords(&app, &names, true).await;
    assert_eq!(checked, 20, "the address allows 20 failures before waiting");
    assert_eq!(refused, 20);
    assert_eq!(hashes, 20);
}

#[tokio::test]
async fn the_lockout_counter_counts_every_attempt_of_200_parallel_ones_and_engages_at_the_threshold()
 {
    let app = TestApp::spawn().await;
    seeded(&app).await;
    // One counter whatever the case of the name.
    let names: Vec<String> = (0..200)
        .map(|i| if i % 2 == 0 { "ann.lee" } else { "ANN.Lee" }.to_owned())
        .collect();
    let (checked, refused, hashes) = wrong_passwords(&app, &names, true).await;
    assert_eq!((checked, refused, hashes), (5, 195, 5));
    let row = throttle_row(&app, "ann.lee").await.unwrap();
    assert_eq!(
        row.failures, 5,
        "no lost update: every checked attempt counted"
    );
    assert_eq!(
        row.blocked_until,
        Some(app.clock_now() + TimeDelta::seconds(1))
    );
    // The right password afterwards waits like a wrong one.
    assert_problem(
        app.login("ann.lee", PASSWORD, None).await,
        429,
        "rate_limited",
    )
    .await;
    // After the wait, 200 more at once: exactly one is tried, and it doubles the wait.
    app.clock.advance(TimeDelta::seconds(1));
    let (checked, refused, hashes) = wrong_passwords(&app, &names, true).await;
    assert_eq!((checked, refused, hashes), (1, 199, 1));
    let row = throttle_row(&app, "ann.lee").await.unwrap();
    assert_eq!(row.failures, 6);
    assert_eq!(
        row.blocked_until,
        Some(app.clock_now() + TimeDelta::seconds(2))
    );
    let kinds = app.audit_kinds().await;
    assert_eq!(
        kinds.iter().filter(|k| *k == "login.failed").count(),
        6,
        "one audited failure per checked attempt"
    );
}
