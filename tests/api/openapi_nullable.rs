//! Every request-body property the published document calls `nullable` accepts `null`:
//! the document is read from the running server and each operation with a JSON body is sent
//! each of its nullable properties as `null`, one at a time (top level, then inside each
//! nested object). A refusal is the parser's "invalid type: null" naming that property;
//! anything else (a missing required field, an unknown id) means the null went through.

use crate::helpers::TestApp;
use crate::helpers_login::PASSWORD;
use serde_json::{Value, json};

#[tokio::test]
async fn every_request_property_the_document_calls_nullable_accepts_null() {
    let app = TestApp::spawn().await;
    let (_, key) = app
        .create_practice("nulls", "Null Clinic", "555-0100")
        .await;
    let seeded = app
        .seed_portal_account(
            &key,
            json!({"first_name": "Nel", "last_name": "Null", "date_of_birth": "1980-01-02",
                   "email": "nel@example.org"}),
            "nel.null",
            PASSWORD,
            "self",
        )
        .await;
    let token = app.login_tokens(&seeded, None).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let doc: Value = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();

    let mut operations = Vec::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            let schema = &op["requestBody"]["content"]["application/json"]["schema"];
            if schema.is_object() {
                operations.push((path.clone(), method.clone(), op.clone(), schema.clone()));
            }
        }
    }
    // The patient's own operations first: a practice operation could end their access.
    operations.sort_by_key(|(path, ..)| !path.starts_with("/api/v1/me"));

    let mut tried = 0;
    let mut refused = Vec::new();
    for (path, method, op, schema) in operations {
        let url = fill_path(&path, &op);
        let bearer = match op["security"][0].as_object().and_then(|s| s.keys().next()) {
            Some(s) if s == "PatientAccessToken" => Some(token.as_str()),
            Some(_) => Some(key.as_str()),
            None => None,
        };
        for (body, nulled) in bodies(&doc, &schema) {
            tried += 1;
            let r = app
                .call(
                    method.to_uppercase().parse().unwrap(),
                    &url,
                    bearer,
                    Some(body.clone()),
                )
                .await;
            let status = r.status().as_u16();
            assert_ne!(status, 405, "{method} {url}");
            let problem: Value = r.json().await.unwrap_or(Value::Null);
            let field = problem["field"].as_str().unwrap_or_default();
            let about_null = problem["detail"]
                .as_str()
                .is_some_and(|d| d.contains("invalid type: null"));
            if about_null && field == nulled {
                refused.push(format!("{method} {path} {field} ({status}): {body}"));
            }
        }
    }
    assert!(tried > 20, "only {tried} nullable properties found");
    assert!(
        refused.is_empty(),
        "nullable in the document, refused by the server:\n{}",
        refused.join("\n")
    );
}

/// The path with each parameter filled in by a value of its schema's type.
fn fill_path(path: &str, op: &Value) -> String {
    let mut url = path.to_owned();
    for p in op["parameters"].as_array().into_iter().flatten() {
        if p["in"] != "path" {
            continue;
        }
        let schema = &p["schema"];
        let value = match (schema["type"].as_str(), schema["format"].as_str()) {
            (_, Some("uuid")) => "00000000-0000-4000-8000-000000000000",
            (Some("integer"), _) => "1",
            _ => "x",
        };
        url = url.replace(&format!("{{{}}}", p["name"].as_str().unwrap()), value);
    }
    url
}

/// Bodies to send, one per nullable property, each with that property's path: the top
/// level's nullable properties, then those of each object-valued property, one at a time
/// (the parser stops at the first refusal).
fn bodies(doc: &Value, schema: &Value) -> Vec<(Value, String)> {
    let resolved = resolve(doc, schema);
    let mut out = Vec::new();
    for (name, property) in properties(&resolved) {
        if property["nullable"] == true {
            out.push((json!({ name: null }), name.clone()));
        }
        let target = resolve(doc, property);
        for (inner, p) in properties(&target) {
            if target["type"] == "object" && p["nullable"] == true {
                out.push((json!({ name: { inner: null } }), format!("{name}.{inner}")));
            }
        }
    }
    out
}

fn properties(schema: &Value) -> impl Iterator<Item = (&String, &Value)> {
    schema["properties"].as_object().into_iter().flatten()
}

/// A schema with its `$ref` (bare or as the one member of a nullable `allOf`) followed.
fn resolve(doc: &Value, schema: &Value) -> Value {
    let reference = schema["$ref"]
        .as_str()
        .or_else(|| schema["allOf"][0]["$ref"].as_str());
    match reference.and_then(|r| r.strip_prefix("#/components/schemas/")) {
        Some(name) => doc["components"]["schemas"][name].clone(),
        None => schema.clone(),
    }
}
