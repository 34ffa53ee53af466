//! Representatives age out: a parent's or guardian's access ends by itself on the day the
//! patient reaches the practice's age of majority, at login, at refresh, and by the job.

use crate::helpers::{TestApp, assert_problem};
use crate::helpers_ageing::{MINOR_EMAIL, PARENT_EMAIL};
use crate::helpers_login::{PASSWORD, patient};
use chrono::TimeDelta;
use portico::service::representation::ageing_out;

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

/// Bea, parent of Sam (18 tomorrow) and Kim (9), at Smith with an OpenID Connect client: her
/// portal API tokens, the client's tokens, and her page session (cookie).
struct Household {
    bea: crate::helpers_login::SeededAccount,
    world: crate::helpers_oidc::OidcWorld,
    api: serde_json::Value,
    oidc: serde_json::Value,
    cookie: String,
}

async fn household(app: &TestApp) -> Household {
    use crate::helpers_oidc::OidcWorld;
    let (practice_id, admin) = app
        .create_practice("smith", "Smith Family Clinic", "555-0100")
        .await;
    let bea = app.seed_parent_of_minor(&admin, Some(MINOR_EMAIL)).await;
    app.seed_portal_account(
        &admin,
        serde_json::json!({"first_name": "Kim", "last_name": "Lee", "date_of_birth": "2017-05-01"}),
        "bea.lee",
        PASSWORD,
        "parent",
    )
    .await;
    let client = app.register_client(&admin, serde_json::json!({})).await;
    let world = OidcWorld {
        admin,
        practice_id,
        ann: bea.clone(),
        client_id: client["client_id"].as_str().unwrap().to_owned(),
        client_secret: client["client_secret"].as_str().map(str::to_owned),
    };
    let api = app.login_tokens(&bea, None).await;
    assert_eq!(api["patients"].as_array().unwrap().len(), 2);
    let cookie = app
        .web_session_cookie(bea.account_id, world.practice_id)
        .await;
    let (code, verifier) = app.code_for(&world.client_id, &cookie).await;
    let r = app.exchange(&world, &code, &verifier).await;
    assert_eq!(r.status(), 200);
    let oidc = r.json().await.unwrap();
    Household {
        bea,
        world,
        api,
        oidc,
        cookie,
    }
}

impl Household {
    fn secret(&self) -> &str {
        self.world.client_secret.as_deref().unwrap()
    }
    fn oidc_access(&self) -> &str {
        self.oidc["access_token"].as_str().unwrap()
    }
    fn api_access(&self) -> &str {
        self.api["access_token"].as_str().unwrap()
    }
}

fn patient_ids(v: &serde_json::Value, key: &str) -> Vec<String> {
    v[key]
        .as_array()
        .unwrap_or_else(|| panic!("no {key} in {v}"))
        .iter()
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn userinfo(app: &TestApp, token: &str) -> reqwest::Response {
    app.client
        .get(app.url("/oauth2/userinfo"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

/// Every token and page session of the household is dead: the API, introspection, userinfo,
/// both refreshes and the page session; a new login lists only Kim.
async fn all_of_beas_sessions_have_ended(app: &TestApp, h: &Household) {
    use crate::helpers_oidc::{REDIRECT_URI, assert_oauth_error, authorize_path, location, pkce};
    assert_problem(app.me(h.api_access()).await, 401, "unauthorized").await;
    assert_problem(
        app.refresh(h.api["refresh_token"].as_str().unwrap()).await,
        400,
        "invalid_grant",
    )
    .await;
    assert_eq!(
        app.introspect_as(&h.world.client_id, h.secret(), h.oidc_access())
            .await["active"],
        false
    );
    assert_eq!(userinfo(app, h.oidc_access()).await.status(), 401);
    let r = app
        .oauth_post(
            "token",
            Some((&h.world.client_id, h.secret())),
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", h.oidc["refresh_token"].as_str().unwrap()),
            ],
        )
        .await;
    assert_oauth_error(r, 400, "invalid_grant").await;
    // The page session went with them: authorizing asks for a login again.
    let (_, challenge) = pkce();
    let back = location(
        &app.browse(
            &authorize_path(&h.world.client_id, &challenge, &[]),
            Some(&h.cookie),
        )
        .await,
    );
    assert!(!back.starts_with(REDIRECT_URI), "{back}");

    let tokens = app.login_tokens(&h.bea, None).await;
    let listed: Vec<&str> = tokens["patients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["first_name"].as_str().unwrap())
        .collect();
    assert_eq!(listed, vec!["Kim"]);
}

/// Issue 17, item 8: coming of age ends the parent's sessions at once, as a block, a revoke and
/// a consent lapse do; and from the birthday on, before the job has run, `/api/v1/me`,
/// introspection and userinfo answer from live access, not from the token's patient list.
#[tokio::test]
async fn coming_of_age_ends_the_parents_sessions_and_tokens_answer_from_live_access() {
    let app = TestApp::spawn_with(|s| {
        s.public_url = crate::helpers_oidc::ISSUER.to_owned();
        s.run_workers = false;
    })
    .await;
    // Two minutes to midnight before Sam's 18th birthday: the tokens name Sam and Kim.
    app.clock
        .advance(TimeDelta::hours(14) + TimeDelta::minutes(58));
    let h = household(&app).await;
    let sam = h.bea.patient_id.to_string();

    // Sam's birthday, within the access tokens' five minutes; the ageing job has not run yet.
    // The tokens still name Sam, but every answer about them is live.
    app.clock.advance(TimeDelta::minutes(3));
    let me: serde_json::Value = app.me(h.api_access()).await.json().await.unwrap();
    let listed = patient_ids(&me, "patients");
    assert_eq!(listed.len(), 1, "{me}");
    assert!(!listed.contains(&sam), "{me}");
    let seen = app
        .introspect_as(&h.world.client_id, h.secret(), h.oidc_access())
        .await;
    assert_eq!(seen["active"], true, "{seen}");
    let listed = patient_ids(&seen, "patients");
    assert_eq!(listed.len(), 1, "{seen}");
    assert!(!listed.contains(&sam), "{seen}");
    let info: serde_json::Value = userinfo(&app, h.oidc_access()).await.json().await.unwrap();
    let listed = patient_ids(&info, "patients");
    assert_eq!(listed.len(), 1, "{info}");
    assert!(!listed.contains(&sam), "{info}");

    // The job ends the access, and with it every session Bea has at Smith.
    let ended = ageing_out::expire_due(&app.state.db, &app.issuer(), app.clock_now())
        .await
        .unwrap();
    assert_eq!(ended, 1);
    all_of_beas_sessions_have_ended(&app, &h).await;
    let expired = app
        .audit_rows()
        .await
        .into_iter()
        .find(|r| r.kind == "access.expired")
        .expect("audited");
    assert!(
        expired.detail.contains("\"sessions_ended\":"),
        "{}",
        expired.detail
    );
}

/// Issue 17, item 8: emancipation (a practice's override) ends the parent's sessions for
/// that patient at once, not when their tokens expire.
#[tokio::test]
async fn emancipation_ends_the_parents_sessions_at_once() {
    let app = TestApp::spawn_with(|s| {
        s.public_url = crate::helpers_oidc::ISSUER.to_owned();
        s.run_workers = false;
    })
    .await;
    let h = household(&app).await;
    let r = app
        .call(
            reqwest::Method::PUT,
            &format!(
                "/api/v1/practice/patients/{}/representation-override",
                h.bea.patient_id
            ),
            Some(&h.world.admin),
            Some(serde_json::json!({"kind": "emancipation"})),
        )
        .await;
    assert_eq!(r.status(), 200);
    all_of_beas_sessions_have_ended(&app, &h).await;
}
