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

/// What stock generators trip on: openapi-python-client drops a property whose schema is an
/// `allOf` of an enum, and names an inline model after its parent and property (`Problem` +
/// `practice`), which must not be a schema of ours unless the property refers to exactly it.
#[test]
fn document_has_no_allof_wrappers_no_nonstandard_formats_and_no_colliding_names() {
    let doc: serde_json::Value = serde_json::from_str(&portico::api::spec_json()).unwrap();
    let mut wrappers = Vec::new();
    let mut formats = Vec::new();
    walk(&doc, "", &mut |path, map| {
        if let Some(serde_json::Value::Array(members)) = map.get("allOf") {
            // The one allowed form: OpenAPI 3.0's "this type or null".
            let nullable_ref = members.len() == 1 && map.get("nullable") == Some(&true.into());
            if !nullable_ref {
                wrappers.push(path.to_owned());
            }
        }
        if let Some(f) = map.get("format").and_then(|f| f.as_str())
            && f.starts_with("naive")
        {
            formats.push(format!("{path}: {f}"));
        }
    });
    assert!(wrappers.is_empty(), "allOf wrappers: {wrappers:#?}");
    assert!(formats.is_empty(), "non-standard formats: {formats:#?}");

    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let mut collisions = Vec::new();
    for (name, schema) in schemas {
        for (property, value) in schema["properties"].as_object().into_iter().flatten() {
            let generated = format!("{name}{}", pascal(property));
            let reference = format!("#/components/schemas/{generated}");
            if schemas.contains_key(&generated) && value["$ref"] != reference.as_str() {
                collisions.push(format!("{name}.{property} vs {generated}"));
            }
        }
    }
    assert!(collisions.is_empty(), "colliding names: {collisions:#?}");
}

#[tokio::test]
async fn served_document_names_the_public_url_as_its_server() {
    let app = crate::helpers::TestApp::spawn_with(|s| {
        s.public_url = "http://portal.example:8443/".into();
    })
    .await;
    let doc: serde_json::Value = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        doc["servers"],
        serde_json::json!([{"url": "http://portal.example:8443"}])
    );
    let committed: serde_json::Value = serde_json::from_str(&portico::api::spec_json()).unwrap();
    assert_eq!(
        committed["servers"],
        serde_json::json!([{"url": "http://127.0.0.1:8080"}])
    );
}

fn walk(
    value: &serde_json::Value,
    path: &str,
    f: &mut impl FnMut(&str, &serde_json::Map<String, serde_json::Value>),
) {
    match value {
        serde_json::Value::Object(map) => {
            f(path, map);
            for (k, v) in map {
                walk(v, &format!("{path}/{k}"), f);
            }
        }
        serde_json::Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                walk(v, &format!("{path}/{i}"), f);
            }
        }
        _ => {}
    }
}

fn pascal(snake: &str) -> String {
    snake
        .split(['_', '-'])
        .map(|w| {
            let mut c = w.chars();
            c.next()
                .map(|first| first.to_uppercase().chain(c).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}
