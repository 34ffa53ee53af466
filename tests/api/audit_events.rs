//! The practice's audit trail: logins, refusals and access changes, filtered and paginated,
//! never another practice's events, never a password.

use crate::helpers::{TestApp, assert_problem};
use crate::helpers_login::{PASSWORD, patient};
use chrono::TimeDelta;
use serde_json::Value;

async fn kinds(app: &TestApp, key: &str, query: &str) -> Vec<String> {
    let r = app.audit_events(key, query).await;
    assert_eq!(r.status(), 200);
    let page: Value = r.json().await.unwrap();
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn audit_events_are_listed_filtered_paginated_and_never_another_practices() {
    let app = TestApp::spawn().await;
    let (_, smith) = app
        .create_practice("smith-family-clinic", "Smith Family Clinic", "555-0100")
        .await;
    let (_, jones) = app
        .create_practice("jones-dental", "Jones Dental", "555-0199")
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
    let bo = app
        .seed_portal_account(
            &smith,
            patient("Bo", "Ng", "bo@example.org"),
            "bo.ng",
            PASSWORD,
            "self",
        )
        .await;
    let ann_at_jones = app
        .seed_portal_account(
            &jones,
            patient("Ann", "Lee", "ann@example.org"),
            "ann.lee",
            PASSWORD,
            "self",
        )
        .await;
    app.clock.advance(TimeDelta::minutes(1));
    let start = app.clock_now();
    app.login_tokens(&ann, Some("smith-family-clinic")).await;
    app.login_tokens(&bo, None).await;
    app.login_tokens(&ann_at_jones, Some("jones-dental")).await;
    app.clock.advance(TimeDelta::minutes(1));
    let mid = app.clock_now();
    app.block_access(&smith, ann.access_id, Some("rude")).await;
    app.login("ann.lee", PASSWORD, Some("smith-family-clinic"))
        .await;
    app.login(
        "ann.lee",
        "not the right password at all",
        Some("smith-family-clinic"),
    )
    .await;
    app.login(
        "nobody",
        "not the right password at all",
        Some("smith-family-clinic"),
    )
    .await;
    app.block_access(&jones, ann_at_jones.access_id, None).await;

    // Everything about Ann at Smith, newest first; nothing from Jones.
    let ann_events = kinds(&app, &smith, &format!("patient_id={}", ann.patient_id)).await;
    assert_eq!(
        ann_events,
        [
            "login.refused",
            "access.blocked",
            "login.succeeded",
            "patient.created"
        ]
    );
    let all = app
        .audit_events(&smith, "limit=200")
        .await
        .json::<Value>()
        .await
        .unwrap();
    for e in all["items"].as_array().unwrap() {
        assert_ne!(e["patient_id"], ann_at_jones.patient_id.to_string(), "{e}");
        assert!(!e.to_string().contains(PASSWORD), "{e}");
        assert!(!e.to_string().contains("not the right password"), "{e}");
    }
    let jones_events = kinds(&app, &jones, "kind=access.blocked").await;
    assert_eq!(jones_events, ["access.blocked"]);
    // Another practice's patient id simply finds nothing.
    assert!(
        kinds(
            &app,
            &smith,
            &format!("patient_id={}", ann_at_jones.patient_id)
        )
        .await
        .is_empty()
    );

    // By kind, by prefix, by time.
    assert_eq!(kinds(&app, &smith, "kind=login.succeeded").await.len(), 2);
    let logins = kinds(&app, &smith, "kind=login.").await;
    assert_eq!(
        logins,
        ["login.refused", "login.succeeded", "login.succeeded"]
    );
    let q = |s: chrono::DateTime<chrono::Utc>| s.to_rfc3339().replace('+', "%2B");
    assert_eq!(
        kinds(&app, &smith, &format!("from={}&to={}", q(start), q(mid))).await,
        ["login.succeeded", "login.succeeded"]
    );
    assert_eq!(
        kinds(&app, &smith, &format!("from={}&kind=login.", q(mid))).await,
        ["login.refused"]
    );
    assert_problem(
        app.audit_events(&smith, &format!("from={}&to={}", q(mid), q(start)))
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_problem(
        app.audit_events(&smith, "kind=DROP%20TABLE").await,
        422,
        "validation_failed",
    )
    .await;

    // Pages of two, following the cursor, cover the whole list once.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let query = match &cursor {
            Some(c) => format!("limit=2&cursor={c}"),
            None => "limit=2".to_owned(),
        };
        let page: Value = app.audit_events(&smith, &query).await.json().await.unwrap();
        for e in page["items"].as_array().unwrap() {
            seen.push(e["id"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    let everything: Vec<String> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(seen, everything);

    // Admin only.
    let reception = app.create_key(&smith, "reception").await;
    assert_problem(app.audit_events(&reception, "").await, 403, "forbidden").await;
}
