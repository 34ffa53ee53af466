use crate::helpers::{TestApp, assert_problem};
use serde_json::{Value, json};

fn ann() -> Value {
    json!({"first_name": "Ann", "last_name": "Lee", "date_of_birth": "1990-04-01",
           "email": "ann@example.org", "mobile": "+1 555 010 0123", "postal_code": "97201",
           "external_ref": "EHR-1"})
}

#[tokio::test]
async fn staff_create_read_and_update_a_patient() {
    let app = TestApp::spawn().await;
    let (_, key) = app.create_practice("smith", "Smith", "555-0100").await;
    let p = app.create_patient(&key, ann()).await;
    assert_eq!(p["mobile"], "+15550100123", "stored in E.164");
    assert_eq!(p["self_registered"], false);
    let id = p["id"].as_str().unwrap();

    let got: Value = app
        .get(&format!("/api/v1/practice/patients/{id}"), &key)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(got, p);

    let r = app
        .patch(
            &format!("/api/v1/practice/patients/{id}"),
            &key,
            json!({"last_name": "Lee-Park", "mobile": null}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let upd: Value = r.json().await.unwrap();
    assert_eq!(upd["last_name"], "Lee-Park");
    assert_eq!(upd["mobile"], Value::Null);
    assert_eq!(upd["email"], "ann@example.org");
}

#[tokio::test]
async fn invalid_patient_fields_are_named() {
    let app = TestApp::spawn().await;
    let (_, key) = app.create_practice("smith", "Smith", "555-0100").await;
    for (patch, field) in [
        (json!({"email": "a@b.c\r\nBcc: x@y.z"}), "email"),
        (json!({"mobile": "555"}), "mobile"),
        (json!({"date_of_birth": "2099-01-01"}), "date_of_birth"),
        (json!({"date_of_birth": "1990-13-40"}), "date_of_birth"),
        (json!({"first_name": "  "}), "first_name"),
        (json!({"last_name": null}), "last_name"),
    ] {
        let mut body = ann();
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        let p = assert_problem(
            app.post("/api/v1/practice/patients", &key, body).await,
            422,
            "validation_failed",
        )
        .await;
        assert_eq!(p["field"], field, "for {patch}");
    }
}

#[tokio::test]
async fn external_ref_is_unique_within_a_practice_only() {
    let app = TestApp::spawn().await;
    let (_, a) = app.create_practice("alpha", "Alpha", "555-0100").await;
    let (_, b) = app.create_practice("beta", "Beta", "555-0200").await;
    app.create_patient(&a, ann()).await;
    assert_problem(
        app.post("/api/v1/practice/patients", &a, ann()).await,
        409,
        "conflict",
    )
    .await;
    app.create_patient(&b, ann()).await;
}

#[tokio::test]
async fn search_by_name_date_of_birth_and_external_ref() {
    let app = TestApp::spawn().await;
    let (_, key) = app.create_practice("smith", "Smith", "555-0100").await;
    for (first, last, dob, r) in [
        ("Ann", "Lee", "1990-04-01", "E1"),
        ("Annabel", "Smith", "1985-01-01", "E2"),
        ("Bob", "Annan", "1990-04-01", "E3"),
        ("Carl", "Jones", "2001-07-07", "E4"),
        ("Dee", "50%_off", "2001-07-07", "E5"),
    ] {
        app.create_patient(&key, json!({"first_name": first, "last_name": last, "date_of_birth": dob, "external_ref": r}))
            .await;
    }
    let names = |v: Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["first_name"].as_str().unwrap().to_owned())
            .collect()
    };
    let q = |query: &'static str| {
        let app = &app;
        let key = &key;
        async move {
            app.get(&format!("/api/v1/practice/patients?{query}"), key)
                .await
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    assert_eq!(
        names(q("name=ANN").await),
        ["Ann", "Annabel", "Bob"],
        "prefix of first or last name, any case"
    );
    assert_eq!(
        names(q("name=ann%20lee").await),
        ["Ann"],
        "every word must match"
    );
    assert_eq!(names(q("date_of_birth=1990-04-01").await), ["Ann", "Bob"]);
    assert_eq!(names(q("external_ref=E4").await), ["Carl"]);
    assert_eq!(
        names(q("name=ann&date_of_birth=1990-04-01").await),
        ["Ann", "Bob"]
    );
    assert_eq!(
        names(q("name=50%25_").await),
        ["Dee"],
        "LIKE wildcards are matched literally"
    );
    assert_eq!(names(q("name=50%25").await), ["Dee"]);
    assert!(names(q("name=5_").await).is_empty(), "_ is not a wildcard");
    assert!(
        names(q("name=%25").await).is_empty(),
        "a bare % matches nothing"
    );
    let p = assert_problem(
        app.get("/api/v1/practice/patients?date_of_birth=yesterday", &key)
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_eq!(p["field"], "date_of_birth");
}

#[tokio::test]
async fn cursor_pagination_walks_every_patient_once() {
    let app = TestApp::spawn().await;
    let (_, key) = app.create_practice("smith", "Smith", "555-0100").await;
    for i in 0..7 {
        app.create_patient(&key, json!({"first_name": format!("P{i}"), "last_name": "Page", "date_of_birth": "2000-01-01"}))
            .await;
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/practice/patients?limit=3&cursor={c}"),
            None => "/api/v1/practice/patients?limit=3".to_owned(),
        };
        let page: Value = app.get(&path, &key).await.json().await.unwrap();
        pages += 1;
        for p in page["items"].as_array().unwrap() {
            seen.push(p["first_name"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, ["P0", "P1", "P2", "P3", "P4", "P5", "P6"]);
    assert_problem(
        app.get("/api/v1/practice/patients?cursor=garbage!", &key)
            .await,
        422,
        "validation_failed",
    )
    .await;
    assert_problem(
        app.get("/api/v1/practice/patients?limit=0", &key).await,
        422,
        "validation_failed",
    )
    .await;
}

#[tokio::test]
async fn another_practices_key_never_sees_our_patients() {
    let app = TestApp::spawn().await;
    let (_, ours) = app.create_practice("ours", "Ours", "555-0100").await;
    let (_, theirs) = app.create_practice("theirs", "Theirs", "555-0200").await;
    let p = app.create_patient(&ours, ann()).await;
    let id = p["id"].as_str().unwrap();

    // 404, not 403: the answer must not reveal that the id exists at another practice.
    assert_problem(
        app.get(&format!("/api/v1/practice/patients/{id}"), &theirs)
            .await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.get(&format!("/api/v1/practice/patients/{id}/access"), &theirs)
            .await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.patch(
            &format!("/api/v1/practice/patients/{id}"),
            &theirs,
            json!({"last_name": "X"}),
        )
        .await,
        404,
        "not_found",
    )
    .await;
    let list: Value = app
        .get("/api/v1/practice/patients", &theirs)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"], json!([]));
    let list: Value = app
        .get("/api/v1/practice/patients?external_ref=EHR-1", &theirs)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"], json!([]));
    let ours_unchanged: Value = app
        .get(&format!("/api/v1/practice/patients/{id}"), &ours)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ours_unchanged["last_name"], "Lee");
}

#[tokio::test]
async fn access_list_is_empty_before_any_invitation() {
    let app = TestApp::spawn().await;
    let (_, key) = app.create_practice("smith", "Smith", "555-0100").await;
    let p = app.create_patient(&key, ann()).await;
    let r = app
        .get(
            &format!(
                "/api/v1/practice/patients/{}/access",
                p["id"].as_str().unwrap()
            ),
            &key,
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap(), json!([]));
}
