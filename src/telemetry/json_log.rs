//! JSON log lines with `request_id` at the top level.
//!
//! tracing-subscriber's JSON format puts a span's fields under `span` and `spans`, so a log
//! pipeline would have to dig for the one field every request's lines share. This wraps that
//! format and lifts `request_id` (from the innermost span that has one) beside `timestamp`
//! and `level`; the span objects are kept as they are.

use serde_json::{Map, Value};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::{Format, Json, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// The JSON event format, with `request_id` lifted to the top level.
pub struct TopLevelRequestId(pub Format<Json, tracing_subscriber::fmt::time::SystemTime>);

impl<S, N> FormatEvent<S, N> for TopLevelRequestId
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> std::fmt::Result {
        let mut line = String::new();
        self.0.format_event(ctx, Writer::new(&mut line), event)?;
        writer.write_str(&lift_request_id(&line))
    }
}

/// The line with `request_id` copied to the top level after `level`, if a span carries one
/// and the event has no field of that name; any other line unchanged.
pub fn lift_request_id(line: &str) -> String {
    let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(line.trim_end()) else {
        return line.to_owned();
    };
    if fields.contains_key("request_id") {
        return line.to_owned();
    }
    let from_spans = fields
        .get("spans")
        .and_then(Value::as_array)
        .and_then(|spans| spans.iter().rev().find_map(|s| s.get("request_id")))
        .or_else(|| fields.get("span").and_then(|s| s.get("request_id")))
        .cloned();
    let Some(request_id) = from_spans else {
        return line.to_owned();
    };
    let mut out = Map::with_capacity(fields.len() + 1);
    let mut placed = false;
    for (k, v) in fields {
        let after = k == "level";
        out.insert(k, v);
        if after {
            out.insert("request_id".to_owned(), request_id.clone());
            placed = true;
        }
    }
    if !placed {
        out.insert("request_id".to_owned(), request_id);
    }
    let mut text = Value::Object(out).to_string();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_innermost_request_id_goes_beside_the_level() {
        let line = r#"{"timestamp":"t","level":"INFO","message":"request","span":{"request_id":"r2","name":"request"},"spans":[{"request_id":"r1","name":"outer"},{"request_id":"r2","name":"request"}]}"#;
        let out = lift_request_id(&format!("{line}\n"));
        assert!(out.ends_with('\n'));
        let v: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["request_id"], "r2");
        let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
        assert_eq!(keys[..3], ["timestamp", "level", "request_id"]);
        assert_eq!(v["span"]["request_id"], "r2", "spans are kept");
    }

    #[test]
    fn lines_outside_a_request_are_unchanged() {
        let line = "{\"timestamp\":\"t\",\"level\":\"INFO\",\"message\":\"portico listening\"}\n";
        assert_eq!(lift_request_id(line), line);
        assert_eq!(lift_request_id("not json\n"), "not json\n");
    }
}
