//! One tolerant reader for every OTLP-shaped trace JSON opsdeck meets (OTLP/JSON rules:
//! open-telemetry/opentelemetry-proto, docs/specification.md and
//! opentelemetry/proto/trace/v1/trace.proto; Tempo's departures: grafana/tempo,
//! `pkg/tempopb/trace_utils.go)`:
//!
//! - OTLP/JSON proper (`resourceSpans`, hex ids, integer enums, 64-bit integers as strings);
//! - Tempo `/api/traces/<id>` (top key `batches`, **base64** ids, enum **names**);
//! - Tempo `/api/v2/traces/<id>` (`{"trace":{…},"status":…}`);
//! - Jaeger v3 (`{"result":{"resourceSpans":…}}`);
//! - older exporters' `instrumentationLibrarySpans`.
//!
//! Ids become lowercase hex, enums are read from integers or names, integers from numbers or
//! strings, attribute values of every kind become text, unknown fields are ignored, and every
//! string is cleaned on the way in.

use std::collections::HashMap;
use std::sync::Arc;

use serde::Deserialize;

use super::ids::{normalize_id, normalize_trace_id};
use super::span::{Span, SpanEvent, SpanKind, SpanStatus, StatusCode, Trace};
use super::wire::{Int64, WireEnum, clean_owned, describe_json_error, nullable};

/// The service name OTel SDKs use when none is configured.
pub const UNKNOWN_SERVICE: &str = "unknown_service";

/// Parses one OTLP-shaped document into its spans (any number of traces, wire order).
///
/// # Errors
/// A message saying whether the body was not JSON at all or JSON of another shape.
pub fn parse_spans(body: &[u8]) -> Result<Vec<Span>, String> {
    let doc: Document = serde_json::from_slice(body)
        .map_err(|e| describe_json_error("OTLP trace JSON", &e, body))?;
    let mut spans = Vec::new();
    for resource_spans in doc.into_resource_spans() {
        convert_resource(resource_spans, &mut spans);
    }
    Ok(spans)
}

/// Parses a trace-by-id answer (Tempo v1 or v2, OTLP, Jaeger v3) into one [`Trace`], capped.
/// Spans of other traces in the same document (it happens with OTLP file exports) are kept:
/// the caller asked for whatever the document holds.
///
/// # Errors
/// As [`parse_spans`].
pub fn parse_trace(body: &[u8]) -> Result<Trace, String> {
    Ok(Trace::from_spans(None, parse_spans(body)?))
}

/// Splits spans into traces by trace id, each capped, in order of first appearance.
#[must_use]
pub fn group_by_trace(spans: Vec<Span>) -> Vec<Trace> {
    let mut order: Vec<String> = Vec::new();
    let mut by_id: HashMap<String, Vec<Span>> = HashMap::new();
    for span in spans {
        if !by_id.contains_key(&span.trace_id) {
            order.push(span.trace_id.clone());
        }
        by_id.entry(span.trace_id.clone()).or_default().push(span);
    }
    order
        .into_iter()
        .map(|id| {
            let spans = by_id.remove(&id).unwrap_or_default();
            Trace::from_spans(Some(id), spans)
        })
        .collect()
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct Document {
    resource_spans: Option<Vec<ResourceSpans>>,
    /// Tempo v1's name for `resourceSpans`.
    batches: Option<Vec<ResourceSpans>>,
    /// Tempo v2 wraps the trace.
    trace: Option<Box<Document>>,
    /// Jaeger v3 wraps it too.
    result: Option<Box<Document>>,
}

impl Document {
    fn into_resource_spans(self) -> Vec<ResourceSpans> {
        let mut out = Vec::new();
        let mut pending = vec![self];
        while let Some(doc) = pending.pop() {
            out.extend(doc.resource_spans.unwrap_or_default());
            out.extend(doc.batches.unwrap_or_default());
            pending.extend(doc.trace.map(|d| *d));
            pending.extend(doc.result.map(|d| *d));
        }
        out
    }
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct ResourceSpans {
    resource: Option<Resource>,
    #[serde(deserialize_with = "nullable")]
    scope_spans: Vec<ScopeSpans>,
    /// The pre-1.0 OTLP name.
    #[serde(deserialize_with = "nullable")]
    instrumentation_library_spans: Vec<ScopeSpans>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Resource {
    #[serde(deserialize_with = "nullable")]
    attributes: Vec<KeyValue>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct ScopeSpans {
    scope: Option<Scope>,
    instrumentation_library: Option<Scope>,
    #[serde(deserialize_with = "nullable")]
    spans: Vec<WireSpan>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Scope {
    #[serde(deserialize_with = "nullable")]
    name: String,
    #[serde(deserialize_with = "nullable")]
    version: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct WireSpan {
    #[serde(deserialize_with = "nullable")]
    trace_id: String,
    #[serde(deserialize_with = "nullable")]
    span_id: String,
    #[serde(deserialize_with = "nullable")]
    parent_span_id: String,
    #[serde(deserialize_with = "nullable")]
    name: String,
    kind: WireEnum,
    start_time_unix_nano: Int64,
    end_time_unix_nano: Int64,
    #[serde(deserialize_with = "nullable")]
    attributes: Vec<KeyValue>,
    #[serde(deserialize_with = "nullable")]
    events: Vec<WireEvent>,
    status: Option<WireStatus>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct WireEvent {
    time_unix_nano: Int64,
    #[serde(deserialize_with = "nullable")]
    name: String,
    #[serde(deserialize_with = "nullable")]
    attributes: Vec<KeyValue>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct WireStatus {
    code: WireEnum,
    #[serde(deserialize_with = "nullable")]
    message: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct KeyValue {
    #[serde(deserialize_with = "nullable")]
    key: String,
    value: Option<AnyValue>,
}

/// OTLP `AnyValue`: exactly one of these is set.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
#[expect(
    clippy::struct_field_names,
    reason = "the OTLP JSON field names, which serde maps one to one"
)]
struct AnyValue {
    string_value: Option<String>,
    int_value: Option<Int64>,
    bool_value: Option<bool>,
    double_value: Option<serde_json::Value>,
    array_value: Option<ArrayValue>,
    kvlist_value: Option<KvList>,
    bytes_value: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ArrayValue {
    #[serde(deserialize_with = "nullable")]
    values: Vec<AnyValue>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct KvList {
    #[serde(deserialize_with = "nullable")]
    values: Vec<KeyValue>,
}

impl AnyValue {
    /// The value as text, uncleaned; a plain string is moved, not copied (most values are).
    fn into_text(self) -> String {
        match self.string_value {
            Some(s) => s,
            None => {
                let mut out = String::new();
                self.render(&mut out);
                out
            }
        }
    }

    /// The value as one line of text, uncleaned (the caller cleans once).
    fn render(&self, out: &mut String) {
        use std::fmt::Write;
        if let Some(s) = &self.string_value {
            out.push_str(s);
        } else if let Some(i) = self.int_value {
            let _ = write!(out, "{}", i.0);
        } else if let Some(b) = self.bool_value {
            let _ = write!(out, "{b}");
        } else if let Some(d) = &self.double_value {
            match d {
                serde_json::Value::String(s) => out.push_str(s),
                other => {
                    let _ = write!(out, "{other}");
                }
            }
        } else if let Some(array) = &self.array_value {
            out.push('[');
            for (i, v) in array.values.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                v.render(out);
            }
            out.push(']');
        } else if let Some(kvlist) = &self.kvlist_value {
            out.push('{');
            for (i, kv) in kvlist.values.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&kv.key);
                out.push('=');
                if let Some(v) = &kv.value {
                    v.render(out);
                }
            }
            out.push('}');
        } else if let Some(bytes) = &self.bytes_value {
            // Left in base64: bytes are rarely text and hex would double the width.
            out.push_str(bytes);
        }
    }
}

fn attributes(kvs: Vec<KeyValue>) -> Vec<(String, String)> {
    kvs.into_iter()
        .map(|kv| {
            let value = kv.value.map(AnyValue::into_text).unwrap_or_default();
            (clean_owned(kv.key), clean_owned(value))
        })
        .collect()
}

fn kind_of(wire: &WireEnum) -> SpanKind {
    match wire {
        WireEnum::Code(c) => SpanKind::from_code(*c),
        WireEnum::Name(n) => SpanKind::from_name(n),
        WireEnum::Missing => SpanKind::Unspecified,
    }
}

fn status_of(wire: Option<WireStatus>) -> SpanStatus {
    let Some(status) = wire else {
        return SpanStatus::default();
    };
    let code = match &status.code {
        WireEnum::Code(c) => StatusCode::from_code(*c),
        WireEnum::Name(n) => StatusCode::from_name(n),
        WireEnum::Missing => StatusCode::Unset,
    };
    SpanStatus {
        code,
        message: clean_owned(status.message),
    }
}

fn convert_resource(resource_spans: ResourceSpans, out: &mut Vec<Span>) {
    let mut resource = resource_spans
        .resource
        .map(|r| attributes(r.attributes))
        .unwrap_or_default();
    let service: Arc<str> = match resource.iter().position(|(k, _)| k == "service.name") {
        Some(i) => Arc::from(resource.remove(i).1),
        None => Arc::from(UNKNOWN_SERVICE),
    };
    let scopes = resource_spans
        .scope_spans
        .into_iter()
        .chain(resource_spans.instrumentation_library_spans);
    for scope_spans in scopes {
        // The instrumentation scope says which library made the span; it belongs with the
        // resource details rather than the span's own attributes.
        let mut span_resource = resource.clone();
        if let Some(scope) = scope_spans.scope.or(scope_spans.instrumentation_library)
            && !scope.name.is_empty()
        {
            span_resource.push(("otel.scope.name".into(), clean_owned(scope.name)));
            if !scope.version.is_empty() {
                span_resource.push(("otel.scope.version".into(), clean_owned(scope.version)));
            }
        }
        out.reserve(scope_spans.spans.len());
        for wire in scope_spans.spans {
            out.push(convert_span(wire, &service, &span_resource));
        }
    }
}

fn convert_span(wire: WireSpan, service: &Arc<str>, resource: &[(String, String)]) -> Span {
    let start_ns = wire.start_time_unix_nano.0;
    let end_ns = wire.end_time_unix_nano.0;
    let parent = wire.parent_span_id.trim();
    Span {
        trace_id: normalize_trace_id(&wire.trace_id),
        span_id: normalize_id(&wire.span_id),
        parent_id: (!parent.is_empty()).then(|| normalize_id(parent)),
        name: clean_owned(wire.name),
        service: Arc::clone(service),
        kind: kind_of(&wire.kind),
        start_ns,
        // A span whose end precedes its start (clock skew, a crash) is shown as instant.
        duration_ns: end_ns.saturating_sub(start_ns).max(0),
        status: status_of(wire.status),
        attributes: attributes(wire.attributes),
        resource: resource.to_vec(),
        events: wire
            .events
            .into_iter()
            .map(|e| SpanEvent {
                time_ns: e.time_unix_nano.0,
                name: clean_owned(e.name),
                attributes: attributes(e.attributes),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEMPO_V1: &str = r#"{"batches":[{"resource":{"attributes":[
        {"key":"service.name","value":{"stringValue":"cart"}},
        {"key":"k8s.pod.name","value":{"stringValue":"cart-7d9f"}}]},
      "scopeSpans":[{"scope":{"name":"io.opentelemetry.http"},"spans":[
        {"traceId":"MUkZX/sL7AU0e0jv6OzBsA==","spanId":"AAAAAAAAAAE=","name":"GET /cart",
         "kind":"SPAN_KIND_SERVER","startTimeUnixNano":"1658325672496201216",
         "endTimeUnixNano":"1658325672546201216",
         "attributes":[{"key":"http.status_code","value":{"intValue":"500"}},
                       {"key":"retry","value":{"boolValue":true}},
                       {"key":"ratio","value":{"doubleValue":0.5}},
                       {"key":"tags","value":{"arrayValue":{"values":[{"stringValue":"a"},{"intValue":2}]}}},
                       {"key":"map","value":{"kvlistValue":{"values":[{"key":"x","value":{"stringValue":"y"}}]}}},
                       {"key":"raw","value":{"bytesValue":"AQI="}},
                       {"key":"empty"}],
         "status":{"code":"STATUS_CODE_ERROR","message":"boom"},
         "events":[{"timeUnixNano":"1658325672500000000","name":"exception",
                    "attributes":[{"key":"exception.type","value":{"stringValue":"IOError"}}]}]},
        {"traceId":"MUkZX/sL7AU0e0jv6OzBsA==","spanId":"AAAAAAAAAAI=","parentSpanId":"AAAAAAAAAAE=",
         "name":"SELECT","kind":"SPAN_KIND_CLIENT","startTimeUnixNano":"1658325672500000000",
         "endTimeUnixNano":"1658325672510000000","someFutureField":{"x":1}}]}]}]}"#;

    #[test]
    fn tempo_v1_batches_with_base64_ids_and_enum_names() {
        let trace = parse_trace(TEMPO_V1.as_bytes()).unwrap_or_default();
        assert_eq!(trace.trace_id, "3149195ffb0bec05347b48efe8ecc1b0");
        assert_eq!(trace.spans.len(), 2);
        let root = &trace.spans[0];
        assert_eq!(root.span_id, "0000000000000001");
        assert_eq!(root.parent_id, None);
        assert_eq!(&*root.service, "cart");
        assert_eq!(root.kind, SpanKind::Server);
        assert_eq!(root.status.code, StatusCode::Error);
        assert_eq!(root.status.message, "boom");
        assert_eq!(root.start_ns, 1_658_325_672_496_201_216);
        assert_eq!(root.duration_ns, 50_000_000);
        assert_eq!(root.attribute("http.status_code"), Some("500"));
        assert_eq!(root.attribute("retry"), Some("true"));
        assert_eq!(root.attribute("ratio"), Some("0.5"));
        assert_eq!(root.attribute("tags"), Some("[a, 2]"));
        assert_eq!(root.attribute("map"), Some("{x=y}"));
        assert_eq!(root.attribute("raw"), Some("AQI="));
        assert_eq!(root.attribute("empty"), Some(""));
        assert!(
            root.resource
                .contains(&("k8s.pod.name".into(), "cart-7d9f".into()))
        );
        assert!(
            root.resource
                .contains(&("otel.scope.name".into(), "io.opentelemetry.http".into()))
        );
        assert_eq!(root.events[0].name, "exception");
        assert_eq!(root.events[0].attributes[0].1, "IOError");
        let child = &trace.spans[1];
        assert_eq!(child.parent_id.as_deref(), Some("0000000000000001"));
        assert_eq!(child.kind, SpanKind::Client);
    }

    #[test]
    fn otlp_resource_spans_with_hex_ids_and_integer_enums() {
        let body = r#"{"resourceSpans":[{"resource":{"attributes":[]},"scopeSpans":[{"spans":[
            {"traceId":"5B8EFFF798038103D269B633813FC60C","spanId":"EEE19B7EC3C1B174",
             "parentSpanId":"","name":"op","kind":3,"startTimeUnixNano":1544712660000000000,
             "endTimeUnixNano":1544712661000000000,"status":{"code":2}}]}]}]}"#;
        let trace = parse_trace(body.as_bytes()).unwrap_or_default();
        let span = &trace.spans[0];
        assert_eq!(span.trace_id, "5b8efff798038103d269b633813fc60c");
        assert_eq!(span.span_id, "eee19b7ec3c1b174");
        assert_eq!(span.parent_id, None);
        assert_eq!(span.kind, SpanKind::Client);
        assert_eq!(span.status.code, StatusCode::Error);
        assert_eq!(&*span.service, UNKNOWN_SERVICE);
        assert_eq!(span.duration_ns, 1_000_000_000);
    }

    #[test]
    fn tempo_v2_and_jaeger_v3_wrappers_are_unwrapped() {
        let inner = r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"MUkZX/sL7AU0e0jv6OzBsA==","spanId":"AAAAAAAAAAE=","name":"x"}]}]}]}"#;
        for body in [
            format!(r#"{{"trace":{inner},"status":"COMPLETE","metrics":{{}}}}"#),
            format!(r#"{{"result":{inner}}}"#),
        ] {
            let trace = parse_trace(body.as_bytes()).unwrap_or_default();
            assert_eq!(trace.spans.len(), 1, "{body}");
            assert_eq!(trace.trace_id, "3149195ffb0bec05347b48efe8ecc1b0");
        }
    }

    #[test]
    fn nulls_and_old_names_are_tolerated() {
        let body = r#"{"batches":[{"resource":null,"instrumentationLibrarySpans":[{"spans":[
            {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174",
             "name":null,"attributes":null,"events":null,"status":null,"kind":null}]}]}]}"#;
        let trace = parse_trace(body.as_bytes()).unwrap_or_default();
        assert_eq!(trace.spans.len(), 1);
    }

    #[test]
    fn hostile_strings_are_made_inert() {
        let body = "{\"resourceSpans\":[{\"resource\":{\"attributes\":[{\"key\":\"service.name\",\"value\":{\"stringValue\":\"evil\\u001b]0;pwned\\u0007\"}}]},\"scopeSpans\":[{\"spans\":[{\"traceId\":\"5b8efff798038103d269b633813fc60c\",\"spanId\":\"eee19b7ec3c1b174\",\"name\":\"GET \\u001b[2J\\u202e/x\",\"attributes\":[{\"key\":\"k\\n\",\"value\":{\"stringValue\":\"v\\r\\u001b[31m\"}}],\"status\":{\"code\":2,\"message\":\"m\\u0000\"},\"events\":[{\"name\":\"e\\u009b\"}]}]}]}]}";
        let trace = parse_trace(body.as_bytes()).unwrap_or_default();
        let span = &trace.spans[0];
        let all = [
            span.service.to_string(),
            span.name.clone(),
            span.attributes[0].0.clone(),
            span.attributes[0].1.clone(),
            span.status.message.clone(),
            span.events[0].name.clone(),
        ];
        for s in &all {
            assert!(
                !s.chars().any(|c| c.is_control() || c == '\u{202e}'),
                "{s:?}"
            );
        }
        assert!(span.name.contains('␛'));
    }

    #[test]
    fn errors_say_whether_the_body_was_json() {
        let err = parse_trace(b"<html>502 Bad Gateway</html>")
            .err()
            .unwrap_or_default();
        assert!(err.contains("not JSON"), "{err}");
        let err = parse_trace(br#"{"batches":{"oops":1}}"#)
            .err()
            .unwrap_or_default();
        assert!(err.contains("not OTLP"), "{err}");
    }

    #[test]
    fn grouping_splits_traces() {
        let mut a = super::super::span::test_span("a", None, 1, 1);
        a.trace_id = "t1".into();
        let mut b = super::super::span::test_span("b", None, 2, 1);
        b.trace_id = "t2".into();
        let traces = group_by_trace(vec![a.clone(), b, a]);
        assert_eq!(traces.len(), 2);
        assert_eq!(traces[0].spans.len(), 2);
    }
}
