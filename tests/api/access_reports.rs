//! Access reports: the practice's accesses and patients filtered by access status, relation,
//! dates and logins; CSV exports of the same lists; unknown query parameters refused.

use crate::helpers::{TestApp, assert_problem};
use crate::helpers_login::PASSWORD;
use chrono::TimeDelta;
use serde_json::{Value, json};

fn patient(first: &str, email: &str) -> Value {
    json!({"first_name": first, "last_name": "Report", "date_of_birth": "1980-01-02",
           "email": email})
}

/// Five patients on two days (2026-11-23 and -25): Ann active and logged in, Bea active and
/// never logged in, Cal blocked, Dee invited on the second day, Eve with no access.
struct Clinic {
    app: TestApp,
    key: String,
}

async fn clinic() -> Clinic {
    let app = TestApp::spawn().await;
    let (_, key) = app
        .create_practice("reports", "Report Clinic", "555-0100")
        .await;
    let ann = app
        .seed_portal_account(
            &key,
            patient("Ann", "ann@example.org"),
            "ann.r",
            PASSWORD,
            "self",
        )
        .await;
    app.login_tokens(&ann, None).await;
    app.seed_portal_account(
        &key,
        patient("Bea", "bea@example.org"),
        "bea.r",
        PASSWORD,
        "self",
    )
    .await;
    let cal = app
        .seed_portal_account(
            &key,
            patient("Cal", "cal@example.org"),
            "cal.r",
            PASSWORD,
            "self",
        )
        .await;
    assert_eq!(
        app.block_access(&key, cal.access_id, None).await.status(),
        200
    );
    app.clock.advance(TimeDelta::days(2));
    let dee = app
        .create_patient(&key, patient("Dee", "dee@example.org"))
        .await;
    app.invite_self(&key, dee["id"].as_str().unwrap(), "email")
        .await;
    app.create_patient(&key, patient("Eve", "eve@example.org"))
        .await;
    Clinic { app, key }
}

impl Clinic {
    async fn names(&self, path: &str) -> Vec<String> {
        let r = self.app.get(path, &self.key).await;
        assert_eq!(r.status(), 200, "{path}");
        let page: Value = r.json().await.unwrap();
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["first_name"].as_str().unwrap().to_owned())
            .collect()
    }

    async fn usernames(&self, query: &str) -> Vec<String> {
        let r = self
            .app
            .get(&format!("/api/v1/practice/access?{query}"), &self.key)
            .await;
        assert_eq!(r.status(), 200, "{query}");
        let page: Value = r.json().await.unwrap();
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["username"].as_str().unwrap_or("-").to_owned())
            .collect()
    }
}

#[tokio::test]
async fn access_report_filters_by_status_relation_and_logins() {
    let c = clinic().await;
    assert_eq!(c.usernames("").await, ["ann.r", "bea.r", "cal.r", "-"]);
    assert_eq!(
        c.usernames("access_status=active").await,
        ["ann.r", "bea.r"]
    );
    assert_eq!(
        c.usernames("access_status=active&never_logged_in=true")
            .await,
        ["bea.r"]
    );
    assert_eq!(c.usernames("never_logged_in=false").await, ["ann.r"]);
    assert_eq!(c.usernames("access_status=invited").await, ["-"]);
    assert_eq!(
        c.usernames("relation=self&access_status=blocked").await,
        ["cal.r"]
    );
    assert!(c.usernames("relation=parent").await.is_empty());
    // A page at a time, with a cursor.
    let first: Value = c
        .app
        .get("/api/v1/practice/access?limit=3", &c.key)
        .await
        .json()
        .await
        .unwrap();
    let cursor = first["next_cursor"].as_str().unwrap();
    assert_eq!(
        c.usernames(&format!("limit=3&cursor={cursor}")).await,
        ["-"]
    );
}

#[tokio::test]
async fn date_filters_take_whole_utc_days() {
    let c = clinic().await;
    // Everything happened on 2026-11-23 except Dee's invitation on 2026-11-25.
    assert_eq!(c.usernames("invited_after=2026-11-24").await, ["-"]);
    assert_eq!(
        c.usernames("invited_before=2026-11-24").await,
        ["ann.r", "bea.r", "cal.r"]
    );
    assert_eq!(
        c.usernames("invited_after=2026-11-23&invited_before=2026-11-24")
            .await,
        ["ann.r", "bea.r", "cal.r"]
    );
    assert_eq!(
        c.usernames("registered_after=2026-11-23&registered_before=2026-11-23")
            .await
            .len(),
        0
    );
    assert_eq!(c.usernames("last_login_after=2026-11-23").await, ["ann.r"]);
    assert!(c.usernames("last_login_before=2026-11-23").await.is_empty());
    let r = c
        .app
        .get("/api/v1/practice/access?invited_after=yesterday", &c.key)
        .await;
    let p = assert_problem(r, 422, "validation_failed").await;
    assert_eq!(p["field"], "invited_after");
}

#[tokio::test]
async fn patient_search_keeps_patients_with_a_matching_access() {
    let c = clinic().await;
    let base = "/api/v1/practice/patients";
    assert_eq!(c.names(base).await, ["Ann", "Bea", "Cal", "Dee", "Eve"]);
    assert_eq!(
        c.names(&format!("{base}?access_status=active")).await,
        ["Ann", "Bea"]
    );
    assert_eq!(
        c.names(&format!("{base}?never_logged_in=true")).await,
        ["Bea", "Cal", "Dee"]
    );
    assert_eq!(
        c.names(&format!("{base}?invited_after=2026-11-24&relation=self"))
            .await,
        ["Dee"]
    );
    assert_eq!(
        c.names(&format!("{base}?access_status=blocked&name=ca"))
            .await,
        ["Cal"]
    );
}

#[tokio::test]
async fn unknown_query_parameters_are_refused_naming_them_everywhere() {
    let c = clinic().await;
    for (path, name) in [
        (
            "/api/v1/practice/patients?acess_status=active",
            "acess_status",
        ),
        ("/api/v1/practice/access?status=active", "status"),
        (
            "/api/v1/practice/settings?access_status=active",
            "access_status",
        ),
        (
            "/api/v1/practice/patients/export.csv?name=a&sort=name",
            "sort",
        ),
    ] {
        let r = c.app.get(path, &c.key).await;
        let p = assert_problem(r, 400, "validation_failed").await;
        assert_eq!(p["field"], name, "{path}");
    }
    let r = c
        .app
        .post(
            "/api/v1/practice/patients?dry_run=true",
            &c.key,
            patient("Fay", "fay@example.org"),
        )
        .await;
    let p = assert_problem(r, 400, "validation_failed").await;
    assert_eq!(p["field"], "dry_run");
    // The patient API too, and nothing was created by the refused request.
    let r = c.app.get("/api/v1/me?verbose=1", "not-a-token").await;
    let p = assert_problem(r, 400, "validation_failed").await;
    assert_eq!(p["field"], "verbose");
    assert_eq!(c.names("/api/v1/practice/patients?name=fay").await.len(), 0);
}

#[tokio::test]
async fn csv_exports_list_the_same_rows_as_the_reports() {
    let c = clinic().await;
    let mallory = c
        .app
        .create_patient(&c.key, patient("=HYPERLINK(\"x\")", "m@example.org"))
        .await;
    assert!(mallory["id"].is_string());

    let r = c
        .app
        .get(
            "/api/v1/practice/patients/export.csv?never_logged_in=true",
            &c.key,
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
    assert_eq!(
        r.headers()["content-disposition"],
        "attachment; filename=\"patients.csv\""
    );
    let body = r.text().await.unwrap();
    let lines: Vec<&str> = body.split_terminator("\r\n").collect();
    assert!(lines[0].starts_with("id,first_name,last_name,date_of_birth,email"));
    let firsts: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l.split(',').nth(1).unwrap())
        .collect();
    assert_eq!(firsts, ["Bea", "Cal", "Dee"]);

    let all = c
        .app
        .get("/api/v1/practice/patients/export.csv", &c.key)
        .await
        .text()
        .await
        .unwrap();
    // A cell a spreadsheet would run as a formula is neutralised and quoted.
    assert!(all.contains(",\"'=HYPERLINK(\"\"x\"\")\",Report,"), "{all}");

    let r = c
        .app
        .get(
            "/api/v1/practice/access/export.csv?access_status=active",
            &c.key,
        )
        .await;
    assert_eq!(r.status(), 200);
    let body = r.text().await.unwrap();
    let lines: Vec<&str> = body.split_terminator("\r\n").collect();
    assert_eq!(
        lines[0],
        "id,patient_id,username,relation,status,invited_at,registered_at,last_login_at,blocked_at,revoked_at,expired_at,created_at"
    );
    assert_eq!(lines.len(), 3);
    assert!(lines[1].contains(",ann.r,self,active,2026-11-23T09:00:00Z,"));
    assert!(lines[2].contains(",bea.r,self,active,"));
}
