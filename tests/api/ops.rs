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
