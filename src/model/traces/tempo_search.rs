//! Tempo `/api/search` answers (grafana/tempo, `docs/sources/tempo/api_docs`/_index.md) as
//! trace-list rows:
//! `{"traces":[{traceID, rootServiceName, rootTraceName, startTimeUnixNano, durationMs,
//! spanSets:[{spans:[{spanID, startTimeUnixNano, durationNanos, attributes}], matched}]}]}`.
//!
//! Search results say nothing about errors unless the query selected status: TraceQL puts a
//! `status` attribute (`"error"`) on matched spans when the query filters on it. We read that
//! (and `span:status`, `otel.status_code`) when present; otherwise `error` stays false.

use serde::Deserialize;

use super::ids::normalize_trace_id;
use super::span::{TraceSummary, timestamp_from_ns};
use super::wire::{Int64, describe_json_error, nullable};
use crate::model::clean;

/// Parses a search answer.
///
/// # Errors
/// When the body is not JSON or not a search answer.
pub fn parse_search(body: &[u8]) -> Result<Vec<TraceSummary>, String> {
    let answer: Answer = serde_json::from_slice(body)
        .map_err(|e| describe_json_error("a Tempo search answer", &e, body))?;
    Ok(answer.traces.iter().map(convert).collect())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Answer {
    #[serde(deserialize_with = "nullable")]
    traces: Vec<WireTrace>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct WireTrace {
    #[serde(rename = "traceID", deserialize_with = "nullable")]
    trace_id: String,
    #[serde(deserialize_with = "nullable")]
    root_service_name: String,
    #[serde(deserialize_with = "nullable")]
    root_trace_name: String,
    start_time_unix_nano: Int64,
    /// Missing for traces under a millisecond.
    duration_ms: Int64,
    #[serde(deserialize_with = "nullable")]
    span_sets: Vec<SpanSet>,
    /// The single-spanset form of older Tempo.
    span_set: Option<SpanSet>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SpanSet {
    #[serde(deserialize_with = "nullable")]
    spans: Vec<MatchedSpan>,
    matched: Int64,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct MatchedSpan {
    #[serde(deserialize_with = "nullable")]
    attributes: Vec<Attribute>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Attribute {
    #[serde(deserialize_with = "nullable")]
    key: String,
    value: Option<AttributeValue>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct AttributeValue {
    string_value: Option<String>,
}

/// Whether an attribute says the span failed.
fn marks_error(attribute: &Attribute) -> bool {
    let is_status_key = matches!(
        attribute.key.as_str(),
        "status" | "span:status" | "otel.status_code"
    );
    is_status_key
        && attribute
            .value
            .as_ref()
            .and_then(|v| v.string_value.as_deref())
            .is_some_and(|v| v.eq_ignore_ascii_case("error") || v == "STATUS_CODE_ERROR")
}

fn convert(wire: &WireTrace) -> TraceSummary {
    let sets: Vec<&SpanSet> = wire
        .span_sets
        .iter()
        .chain(wire.span_set.as_ref())
        .collect();
    let matched: i64 = sets.iter().map(|s| s.matched.0.max(0)).sum();
    let error = sets
        .iter()
        .flat_map(|s| &s.spans)
        .flat_map(|s| &s.attributes)
        .any(marks_error);
    TraceSummary {
        trace_id: normalize_trace_id(&wire.trace_id),
        root_service: clean(&wire.root_service_name),
        root_name: clean(&wire.root_trace_name),
        start: timestamp_from_ns(wire.start_time_unix_nano.0),
        duration_ns: wire.duration_ms.0.max(0).saturating_mul(1_000_000),
        span_count: usize::try_from(matched).unwrap_or(0),
        error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_rows_with_and_without_status() {
        let body = r#"{"traces":[
          {"traceID":"2f3e0cee77ae5dc9c17ade3689eb2e54","rootServiceName":"frontend",
           "rootTraceName":"GET /checkout","startTimeUnixNano":"1700000000000000000","durationMs":480,
           "spanSets":[{"spans":[{"spanID":"563d623c76514f8e","startTimeUnixNano":"1700000000200000000",
             "durationNanos":"250000000","attributes":[{"key":"status","value":{"stringValue":"error"}}]}],
             "matched":2}]},
          {"traceID":"8ee2fb1d0d1e4c3b8a8f2b","rootServiceName":"<root span not yet received>",
           "startTimeUnixNano":1700000001000000000,"spanSet":{"spans":[],"matched":1}}],
          "metrics":{"inspectedTraces":2}}"#;
        let rows = parse_search(body.as_bytes()).unwrap_or_default();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].trace_id, "2f3e0cee77ae5dc9c17ade3689eb2e54");
        assert_eq!(rows[0].root_service, "frontend");
        assert_eq!(rows[0].duration_ns, 480_000_000);
        assert_eq!(rows[0].span_count, 2);
        assert!(rows[0].error);
        assert_eq!(rows[0].start.as_second(), 1_700_000_000);
        // Tempo drops leading zeros of ids in search results.
        assert_eq!(rows[1].trace_id, "00000000008ee2fb1d0d1e4c3b8a8f2b");
        assert!(!rows[1].error);
        assert_eq!(rows[1].duration_ns, 0);
        assert_eq!(rows[1].span_count, 1);
    }

    #[test]
    fn hostile_names_and_garbage() {
        let body = "{\"traces\":[{\"traceID\":\"1\",\"rootServiceName\":\"a\\u001b[31m\",\"rootTraceName\":\"\\u202egnp.exe\"}]}";
        let rows = parse_search(body.as_bytes()).unwrap_or_default();
        assert!(!rows[0].root_service.contains('\u{1b}'));
        assert!(!rows[0].root_name.contains('\u{202e}'));
        let err = parse_search(b"upstream connect error")
            .err()
            .unwrap_or_default();
        assert!(err.contains("not JSON"), "{err}");
    }
}
