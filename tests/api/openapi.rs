//! The committed OpenAPI document must be what the code produces.

#[test]
fn committed_openapi_document_matches_the_code() {
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/portico.json"))
            .expect("openapi/portico.json exists");
    let generated = portico::api::spec_json();
    let committed: serde_json::Value =
        serde_json::from_str(&committed).expect("committed document is JSON");
    let generated: serde_json::Value = serde_json::from_str(&generated).unwrap();
    assert!(
        committed == generated,
        "openapi/portico.json is stale. Regenerate it with:\n\n    cargo run -- openapi > openapi/portico.json\n"
    );
}

#[test]
fn every_operation_has_an_id_a_summary_and_a_problem_response() {
    let doc: serde_json::Value = serde_json::from_str(&portico::api::spec_json()).unwrap();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            assert!(
                op["operationId"].is_string(),
                "{method} {path} has no operationId"
            );
            assert!(op["summary"].is_string(), "{method} {path} has no summary");
            assert!(
                op["responses"]["default"]["content"]["application/problem+json"].is_object(),
                "{method} {path} does not document its problem response"
            );
        }
    }
}
