//! The published OpenAPI document: poem-openapi's, with what it cannot say on its own.
//!
//! Request bodies are parsed by serde (`api::json`), where an optional field may be sent as
//! `null`: on a plain `Option` it means the same as leaving the field out, and on a PATCH's
//! `MaybeUndefined` field it clears the value. poem-openapi does not mark such properties
//! `nullable`, so a strict client (or schemathesis) would read `null` as invalid input the
//! server accepts. Every optional property of a request-body schema is marked nullable here;
//! response schemas are untouched (they leave absent values out rather than sending `null`).

use serde_json::{Map, Value, json};
use std::collections::BTreeSet;

/// The document as published at `/openapi.json` and committed in `openapi/portico.json`.
pub fn publish(poem_spec: &str) -> Value {
    let mut doc: Value = serde_json::from_str(poem_spec).unwrap_or_default();
    let request_schemas = request_body_schemas(&doc);
    if let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        for name in &request_schemas {
            if let Some(schema) = schemas.get_mut(name) {
                allow_null_on_optional_properties(schema);
            }
        }
    }
    doc
}

/// Names of the component schemas a request body can contain, nested ones included.
fn request_body_schemas(doc: &Value) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut pending: Vec<String> = Vec::new();
    for ops in doc["paths"].as_object().into_iter().flat_map(Map::values) {
        for op in ops.as_object().into_iter().flat_map(Map::values) {
            for media in op["requestBody"]["content"]
                .as_object()
                .into_iter()
                .flat_map(Map::values)
            {
                collect_refs(&media["schema"], &mut pending);
            }
        }
    }
    while let Some(name) = pending.pop() {
        if found.insert(name.clone()) {
            collect_refs(&doc["components"]["schemas"][&name], &mut pending);
        }
    }
    found
}

fn collect_refs(schema: &Value, out: &mut Vec<String>) {
    match schema {
        Value::Object(map) => {
            if let Some(name) = map
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix("#/components/schemas/"))
            {
                out.push(name.to_owned());
            }
            map.values().for_each(|v| collect_refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

fn allow_null_on_optional_properties(schema: &mut Value) {
    let required: BTreeSet<String> = schema["required"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    let Some(properties) = schema.get_mut("properties").and_then(Value::as_object_mut) else {
        return;
    };
    for (name, property) in properties.iter_mut() {
        if required.contains(name) {
            continue;
        }
        // OpenAPI 3.0 ignores siblings of `$ref`, so a reference is wrapped in `allOf`.
        if let Some(reference) = property.get("$ref").cloned() {
            *property = json!({ "allOf": [{ "$ref": reference }], "nullable": true });
        } else if let Some(map) = property.as_object_mut() {
            map.insert("nullable".into(), Value::Bool(true));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn optional_request_properties_become_nullable_and_responses_do_not() {
        let doc = json!({
            "paths": { "/x": { "patch": {
                "requestBody": { "content": { "application/json": {
                    "schema": { "$ref": "#/components/schemas/Patch" } } } },
                "responses": { "200": { "content": { "application/json": {
                    "schema": { "$ref": "#/components/schemas/View" } } } } }
            } } },
            "components": { "schemas": {
                "Patch": { "type": "object", "required": ["id"], "properties": {
                    "id": { "type": "string" },
                    "name": { "type": "string" },
                    "inner": { "$ref": "#/components/schemas/Inner" } } },
                "Inner": { "type": "object", "properties": { "x": { "type": "integer" } } },
                "View": { "type": "object", "properties": { "name": { "type": "string" } } }
            } }
        });
        let out = publish(&doc.to_string());
        let schemas = &out["components"]["schemas"];
        assert_eq!(schemas["Patch"]["properties"]["id"].get("nullable"), None);
        assert_eq!(schemas["Patch"]["properties"]["name"]["nullable"], true);
        assert_eq!(schemas["Patch"]["properties"]["inner"]["nullable"], true);
        assert_eq!(
            schemas["Patch"]["properties"]["inner"]["allOf"][0]["$ref"],
            "#/components/schemas/Inner"
        );
        assert_eq!(schemas["Inner"]["properties"]["x"]["nullable"], true);
        assert_eq!(schemas["View"]["properties"]["name"].get("nullable"), None);
    }
}
