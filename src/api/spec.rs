//! The published OpenAPI document: poem-openapi's, with what it cannot say on its own and
//! without what stock client generators (openapi-python-client, openapi-generator) trip on.
//!
//! Request bodies are parsed by serde (`api::json`), where an optional field may be sent as
//! `null`: on a plain `Option` it means the same as leaving the field out, and on a PATCH's
//! `MaybeUndefined` field it clears the value. poem-openapi does not mark such properties
//! `nullable`, so a strict client (or schemathesis) would read `null` as invalid input the
//! server accepts. Every optional property of a request-body schema is marked nullable here;
//! response schemas are untouched (they leave absent values out rather than sending `null`).
//!
//! poem-openapi wraps a documented property of a named type as
//! `{"allOf": [{"$ref": X}, {"description": D}]}`. openapi-python-client cannot take `allOf`
//! of an enum and names the inline model it makes from an object after its parent and property
//! (`Problem` + `practice`), colliding with real schemas. The document is OpenAPI 3.0, where
//! siblings of `$ref` are ignored, so such a property becomes the bare `$ref` (the description
//! stays on the referenced schema). Dates get the standard `format: date`, and `servers` names
//! the deployment's public URL so generated clients need no base URL of their own.

use serde_json::{Map, Value, json};
use std::collections::BTreeSet;

/// The document as published at `/openapi.json` (with the deployment's `public_url`) and
/// committed in `openapi/portico.json` (with the default one).
pub fn publish(poem_spec: &str, public_url: &str) -> Value {
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
    for_each_schema(&mut doc, &mut |schema| {
        unwrap_described_ref(schema);
        if let Some(format) = schema.get_mut("format")
            && format == "naive-date"
        {
            *format = Value::from("date");
        }
    });
    doc["servers"] = json!([{ "url": public_url.trim_end_matches('/') }]);
    doc
}

/// Calls `f` on every object in the document, depth first, parents before children.
fn for_each_schema(value: &mut Value, f: &mut impl FnMut(&mut Map<String, Value>)) {
    match value {
        Value::Object(map) => {
            f(map);
            map.values_mut().for_each(|v| for_each_schema(v, f));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| for_each_schema(v, f)),
        _ => {}
    }
}

/// `{"allOf": [{"$ref": X}, {"description": D}], "description": D}` → `{"$ref": X}`.
/// Anything else in the `allOf` (a real composition) is left alone.
fn unwrap_described_ref(schema: &mut Map<String, Value>) {
    let Some(Value::Array(members)) = schema.get("allOf") else {
        return;
    };
    let mut refs = members.iter().filter(|m| m.get("$ref").is_some());
    let (Some(reference), None) = (refs.next(), refs.next()) else {
        return;
    };
    let only_descriptions = members.iter().all(|m| {
        m.get("$ref").is_some()
            || m.as_object()
                .is_some_and(|o| o.keys().all(|k| k == "description"))
    });
    // A nullable wrapper (`allOf` of the one `$ref`, `nullable: true`) is how OpenAPI 3.0
    // says "this type or null"; it stays, with its description.
    let nullable = schema.get("nullable").is_some();
    if !only_descriptions || nullable || members.len() < 2 {
        return;
    }
    let reference = reference.clone();
    schema.clear();
    if let Value::Object(r) = reference {
        schema.extend(r);
    }
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
        // OpenAPI 3.0 ignores siblings of `$ref`, so a reference is wrapped in `allOf`, the
        // one member it needs (poem's description-only member goes, see the module comment).
        if let Some(reference) = referenced(property) {
            let mut wrapper = json!({ "allOf": [{ "$ref": reference }], "nullable": true });
            if let Some(description) = property.get("description") {
                wrapper["description"] = description.clone();
            }
            *property = wrapper;
        } else if let Some(map) = property.as_object_mut() {
            map.insert("nullable".into(), Value::Bool(true));
        }
    }
}

/// The schema a property refers to, bare or in poem's description-only `allOf` wrapper.
fn referenced(property: &Value) -> Option<Value> {
    if let Some(reference) = property.get("$ref") {
        return Some(reference.clone());
    }
    let mut copy = property.as_object()?.clone();
    unwrap_described_ref(&mut copy);
    copy.get("$ref").cloned()
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
        let out = publish(&doc.to_string(), "https://portal.example/");
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
        assert_eq!(out["servers"], json!([{ "url": "https://portal.example" }]));
    }

    #[test]
    fn described_references_become_bare_and_dates_standard() {
        let wrapped = json!({ "description": "D", "allOf": [
            { "$ref": "#/components/schemas/Inner" }, { "description": "D" } ] });
        let doc = json!({
            "paths": { "/x": { "post": {
                "parameters": [{ "name": "born", "in": "query",
                    "schema": { "type": "string", "format": "naive-date" } }],
                "requestBody": { "content": { "application/json": {
                    "schema": { "$ref": "#/components/schemas/Body" } } } },
                "responses": { "200": { "content": { "application/json": {
                    "schema": { "$ref": "#/components/schemas/View" } } } } }
            } } },
            "components": { "schemas": {
                "Body": { "type": "object", "required": ["must"], "properties": {
                    "must": wrapped.clone(), "may": wrapped.clone() } },
                "View": { "type": "object", "properties": { "inner": wrapped,
                    "both": { "allOf": [{ "$ref": "#/components/schemas/Inner" },
                        { "type": "object" }] } } },
                "Inner": { "type": "string", "enum": ["a"] }
            } }
        });
        let out = publish(&doc.to_string(), "http://127.0.0.1:8080");
        let schemas = &out["components"]["schemas"];
        let inner = json!({ "$ref": "#/components/schemas/Inner" });
        assert_eq!(schemas["View"]["properties"]["inner"], inner);
        assert_eq!(schemas["Body"]["properties"]["must"], inner);
        assert_eq!(
            schemas["Body"]["properties"]["may"],
            json!({ "allOf": [inner], "nullable": true, "description": "D" })
        );
        assert_eq!(
            schemas["View"]["properties"]["both"]["allOf"][1]["type"],
            "object"
        );
        assert_eq!(
            out["paths"]["/x"]["post"]["parameters"][0]["schema"]["format"],
            "date"
        );
    }
}
