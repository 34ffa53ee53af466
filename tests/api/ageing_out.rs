//! Representatives age out: a parent's or guardian's access ends by itself on the day the
//! patient reaches the practice's age of majority, at login, at refresh, and by the job.

use crate::helpers::{TestApp, assert_problem};
use crate::helpers_ageing::{MINOR_EMAIL, PARENT_EMAIL};
use crate::helpers_login::{PASSWORD, patient};
use chrono::TimeDelta;
use portico::service::ageing_out;

async fn practice(app: &TestApp) -> String {
    app.create_practice("smith", "Smith Family Clinic", "555-0100")
        .await
        .1
}

#[tokio::test]
async fn a_parents_access_expires_at_login_on_the_patients_18th_birthday() {
    let app = TestApp::spawn_with(|s| s.run_workers = false).await;
    let admin = practice(&app).await;
    let bea = app.seed_parent_of_minor(&admin, Some(MINOR_EMAIL)).await;

    // The day before the birthday: still a minor, nothing changes.
    app.login_tokens(&bea, None).await;
    assert_eq!(app.access_view(&admin, &bea).await["status"], "active");

    app.clock.advance(TimeDelta::days(1));
    let r = app.login(&bea.username, PASSWORD, None).await;
    assert_problem(r, 403, "no_access").await;

    let access = app.access_view(&admin, &bea).await;
    assert_eq!(access["status"], "expired");
    assert!(access["expired_at"].is_string(), "stamped: {access}");
    assert_eq!(
        app.templates_to(PARENT_EMAIL).await,
        vec!["representative_access_ended"]
    );
    assert_eq!(app.templates_to(MINOR_EMAIL).await, vec!["invitation"]);
    let expired = app
        .audit_rows()
        .await
        .into_iter()
        .find(|r| r.kind == "access.expired")
        .expect("audited");
    assert_eq!(expired.actor_kind, "system");
    assert_eq!(expired.access_id, Some(bea.access_id));
    assert!(
        expired.detail.contains("age_of_majority"),
        "{}",
        expired.detail
    );

    // Sam's own invitation is a real one: it shows up for the practice as sent to Sam.
    let invitations: serde_json::Value = app
        .list_invitations(&admin, &bea.patient_id.to_string())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(invitations[0]["relation"], "self", "{invitations}");
}

#[tokio::test]
async fn a_parents_refresh_is_refused_once_the_patient_comes_of_age() {
    let app = TestApp::spawn_with(|s| s.run_workers = false).await;
    let admin = practice(&app).await;
    let bea = app.seed_parent_of_minor(&admin, None).await;
    let tokens = app.login_tokens(&bea, None).await;

    app.clock.advance(TimeDelta::days(1));
    let r = app.refresh(tokens["refresh_token"].as_str().unwrap()).await;
    assert_problem(r, 403, "no_access").await;
    assert_eq!(app.access_view(&admin, &bea).await["status"], "expired");
    assert_eq!(
        app.templates_to(PARENT_EMAIL).await,
        vec!["representative_access_ended"]
    );
    // No email or mobile on Sam's record: no invitation, and the trail says so.
    assert!(
        !app.audit_kinds()
            .await
            .contains(&"invitation.sent".to_owned())
    );
}

#[tokio::test]
async fn the_practices_age_of_majority_decides_and_other_relations_stay() {
    let app = TestApp::spawn_with(|s| s.run_workers = false).await;
    let admin = practice(&app).await;
    app.set_settings(&admin, serde_json::json!({"age_of_majority": 19}))
        .await;
    let bea = app.seed_parent_of_minor(&admin, Some(MINOR_EMAIL)).await;
    // An adult patient's spouse is never aged out.
    let spouse = app
        .seed_portal_account(
            &admin,
            patient("Ann", "Ray", "ann@example.org"),
            "joe.ray",
            PASSWORD,
            "spouse",
        )
        .await;

    app.clock.advance(TimeDelta::days(1));
    app.login_tokens(&bea, None).await;
    app.login_tokens(&spouse, None).await;
    let ended = ageing_out::expire_due(&app.state.db, app.state.settings.issuer(), app.clock_now())
        .await
        .unwrap();
    assert_eq!(ended, 0, "18 is not 19 at this practice");
    assert_eq!(app.access_view(&admin, &bea).await["status"], "active");

    app.clock.advance(TimeDelta::days(365));
    let ended = ageing_out::expire_due(&app.state.db, app.state.settings.issuer(), app.clock_now())
        .await
        .unwrap();
    assert_eq!(ended, 1);
    assert_eq!(app.access_view(&admin, &bea).await["status"], "expired");
    assert_eq!(app.access_view(&admin, &spouse).await["status"], "active");
}

#[tokio::test]
async fn the_job_never_sends_twice_even_when_runs_overlap() {
    let app = TestApp::spawn_with(|s| s.run_workers = false).await;
    let admin = practice(&app).await;
    let bea = app.seed_parent_of_minor(&admin, Some(MINOR_EMAIL)).await;
    app.clock.advance(TimeDelta::days(1));

    let issuer = app.state.settings.issuer();
    let now = app.clock_now();
    let (a, b) = tokio::join!(
        ageing_out::expire_due(&app.state.db, issuer, now),
        ageing_out::expire_due(&app.state.db, issuer, now),
    );
    assert_eq!(a.unwrap() + b.unwrap(), 1, "one run wins the access");
    // A login after the job finds nothing left to do.
    assert_problem(
        app.login(&bea.username, PASSWORD, None).await,
        403,
        "no_access",
    )
    .await;
    let again = ageing_out::expire_due(&app.state.db, issuer, now)
        .await
        .unwrap();
    assert_eq!(again, 0);

    assert_eq!(
        app.templates_to(PARENT_EMAIL).await,
        vec!["representative_access_ended"]
    );
    assert_eq!(app.templates_to(MINOR_EMAIL).await, vec!["invitation"]);
    let expired_events = app
        .audit_kinds()
        .await
        .into_iter()
        .filter(|k| k == "access.expired")
        .count();
    assert_eq!(expired_events, 1);
}

#[tokio::test]
async fn the_periodic_job_started_by_serve_ends_the_access_by_itself() {
    let app = TestApp::spawn_with(|s| s.ageing_out_interval_ms = 50).await;
    let admin = practice(&app).await;
    let bea = app.seed_parent_of_minor(&admin, Some(MINOR_EMAIL)).await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(app.access_view(&admin, &bea).await["status"], "active");

    app.clock.advance(TimeDelta::days(1));
    let mut status = String::new();
    for _ in 0..100 {
        status = app.access_view(&admin, &bea).await["status"]
            .as_str()
            .unwrap()
            .to_owned();
        if status == "expired" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(status, "expired");
    // Several more runs later, still one notice.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(
        app.templates_to(PARENT_EMAIL).await,
        vec!["representative_access_ended"]
    );
}

#[tokio::test]
async fn a_parent_keeps_access_to_a_younger_child() {
    let app = TestApp::spawn_with(|s| s.run_workers = false).await;
    let admin = practice(&app).await;
    let bea = app.seed_parent_of_minor(&admin, Some(MINOR_EMAIL)).await;
    let kim = app
        .seed_portal_account(
            &admin,
            serde_json::json!({"first_name": "Kim", "last_name": "Lee", "date_of_birth": "2016-05-01"}),
            "bea.lee",
            PASSWORD,
            "parent",
        )
        .await;
    assert_eq!(kim.account_id, bea.account_id, "one account, two children");

    app.clock.advance(TimeDelta::days(1));
    let tokens = app.login_tokens(&bea, None).await;
    let listed: Vec<String> = tokens["patients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["first_name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(listed, vec!["Kim"], "Sam is no longer listed");
    assert_eq!(app.access_view(&admin, &bea).await["status"], "expired");
    assert_eq!(app.access_view(&admin, &kim).await["status"], "active");
}
