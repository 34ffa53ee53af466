use crate::helpers::TestApp;

#[tokio::test]
async fn health_readiness_and_metrics() {
    let app = TestApp::spawn().await;
    let r = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "ok");
    let r = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), 200);

    let (_, key) = app.create_practice("smith", "Smith", "555-0100").await;
    app.get("/api/v1/practice/settings", &key).await;
    app.get(
        "/api/v1/practice/patients/00000000-0000-0000-0000-000000000000",
        &key,
    )
    .await;
    let r = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert!(
        r.headers()
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let text = r.text().await.unwrap();
    assert!(
        text.contains(r#"portico_http_requests_total{operation="getSettings",status="200"} 1"#),
        "{text}"
    );
    assert!(
        text.contains(r#"portico_http_requests_total{operation="getPatient",status="404"} 1"#),
        "{text}"
    );
    assert!(
        text.contains(r#"portico_http_request_duration_seconds_count{operation="getSettings"} 1"#),
        "{text}"
    );
}

#[tokio::test]
async fn readiness_fails_with_503_when_the_database_is_gone() {
    let app = TestApp::spawn().await;
    app.state.db.clone().close().await.unwrap();
    let r = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(r.status(), 503);
    let p: serde_json::Value = r.json().await.unwrap();
    assert_eq!(p["code"], "temporarily_unavailable");
    assert_eq!(
        app.client
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200,
        "liveness is not readiness"
    );
}

#[tokio::test]
async fn openapi_document_and_docs_are_served() {
    let app = TestApp::spawn().await;
    let r = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let served: serde_json::Value = r.json().await.unwrap();
    let generated: serde_json::Value = serde_json::from_str(&portico::api::spec_json()).unwrap();
    assert_eq!(served, generated);
    let r = app.client.get(app.url("/docs")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().to_lowercase().contains("swagger"));
}

/// Issue 17, item 11: with `PORTICO_METRICS_TOKEN` set, `/metrics` answers only that bearer
/// token; anything else is `401` and shows nothing.
#[tokio::test]
async fn metrics_answer_only_the_bearer_token_when_one_is_set() {
    const TOKEN: &str = "scrape-me-7f3a9c1e5b2d";
    let app = TestApp::spawn_with(|s| {
        s.metrics_token = Some(portico::config::Secret::new(TOKEN));
    })
    .await;
    let metrics = |auth: Option<String>| {
        let mut r = app.client.get(app.url("/metrics"));
        if let Some(a) = auth {
            r = r.header("authorization", a);
        }
        r.send()
    };
    for auth in [
        None,
        Some("Bearer wrong-token-0000000000".to_owned()),
        Some(format!("Bearer {TOKEN}x")),
        Some(format!("Basic {TOKEN}")),
        Some(TOKEN.to_owned()),
    ] {
        let r = metrics(auth.clone()).await.unwrap();
        assert_eq!(r.status(), 401, "{auth:?}");
        assert!(r.headers().contains_key("www-authenticate"));
        assert!(
            !r.text().await.unwrap().contains("portico_http"),
            "{auth:?}"
        );
    }
    let r = metrics(Some(format!("Bearer {TOKEN}"))).await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("portico_http_requests_total")
    );

    // Unset (the default): open, as before.
    let open = TestApp::spawn().await;
    let r = open.client.get(open.url("/metrics")).send().await.unwrap();
    assert_eq!(r.status(), 200);
}
