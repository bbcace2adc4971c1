//! Jaeger's query JSON (`/api/traces`, `/api/traces/{id}`), the "internal" API
//! (jaegertracing/documentation, content/docs/next-release/apis.md), in the `model/json`
//! shape (jaegertracing/jaeger, model/json/model.go):
//! `{"data":[trace…],"errors":[{code,msg,traceID}]}` where a trace is
//! `{traceID, spans, processes{pid:{serviceName,tags}}}`. A bare trace object (what Jaeger's
//! `model/json` files and some exports hold, without the envelope) is read as one trace.
//!
//! Jaeger has no parent field: the parent is the span's `CHILD_OF` reference (else its first
//! `FOLLOWS_FROM`). Times are microseconds. Status comes from the tags OTel exporters write
//! (`otel.status_code`, `otel.status_description`) or the classic `error=true` tag; the kind
//! from `span.kind`. Tags are kept as attributes, process tags as resource attributes.

use std::collections::HashMap;
use std::sync::Arc;

use serde::Deserialize;

use super::ids::{normalize_id, normalize_trace_id};
use super::otlp::UNKNOWN_SERVICE;
use super::span::{Span, SpanEvent, SpanKind, SpanStatus, StatusCode, Trace};
use super::wire::{Int64, Text, describe_json_error, nullable};
use crate::model::clean;

/// Parses a Jaeger `/api/traces` or `/api/traces/{id}` answer into traces.
///
/// # Errors
/// When the body is not JSON or not this shape, and when Jaeger reports errors and sent no
/// trace (a 404 "trace not found" comes that way). Errors next to data are dropped: partial
/// results are still results.
pub fn parse_traces(body: &[u8]) -> Result<Vec<Trace>, String> {
    let mut envelope: Envelope = serde_json::from_slice(body)
        .map_err(|e| describe_json_error("Jaeger trace JSON", &e, body))?;
    // No envelope: the object is the trace itself.
    if envelope.data.is_empty()
        && envelope.errors.is_empty()
        && (!envelope.bare.trace_id.is_empty() || !envelope.bare.spans.is_empty())
    {
        envelope.data.push(std::mem::take(&mut envelope.bare));
    }
    if envelope.data.is_empty() && !envelope.errors.is_empty() {
        let messages: Vec<String> = envelope
            .errors
            .iter()
            .map(|e| {
                let code = if e.code.0 == 0 {
                    String::new()
                } else {
                    format!("{} ", e.code.0)
                };
                clean(&format!("{code}{}", e.msg))
            })
            .collect();
        return Err(format!("Jaeger reported: {}", messages.join("; ")));
    }
    Ok(envelope.data.into_iter().map(convert_trace).collect())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Envelope {
    #[serde(deserialize_with = "nullable")]
    data: Vec<WireTrace>,
    #[serde(deserialize_with = "nullable")]
    errors: Vec<WireError>,
    /// A trace's own fields, when the body is a bare trace rather than an envelope.
    #[serde(flatten)]
    bare: WireTrace,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct WireError {
    code: Int64,
    #[serde(deserialize_with = "nullable")]
    msg: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct WireTrace {
    #[serde(rename = "traceID", deserialize_with = "nullable")]
    trace_id: String,
    #[serde(deserialize_with = "nullable")]
    spans: Vec<WireSpan>,
    #[serde(deserialize_with = "nullable")]
    processes: HashMap<String, WireProcess>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct WireProcess {
    #[serde(rename = "serviceName", deserialize_with = "nullable")]
    service_name: String,
    #[serde(deserialize_with = "nullable")]
    tags: Vec<Tag>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct WireSpan {
    #[serde(rename = "traceID", deserialize_with = "nullable")]
    trace_id: String,
    #[serde(rename = "spanID", deserialize_with = "nullable")]
    span_id: String,
    #[serde(rename = "operationName", deserialize_with = "nullable")]
    operation_name: String,
    #[serde(deserialize_with = "nullable")]
    references: Vec<Reference>,
    #[serde(rename = "startTime")]
    start_time: Int64,
    duration: Int64,
    #[serde(deserialize_with = "nullable")]
    tags: Vec<Tag>,
    #[serde(deserialize_with = "nullable")]
    logs: Vec<Log>,
    #[serde(rename = "processID", deserialize_with = "nullable")]
    process_id: String,
    /// Older Jaeger inlines the process in the span.
    process: Option<WireProcess>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Reference {
    #[serde(rename = "refType", deserialize_with = "nullable")]
    ref_type: String,
    #[serde(rename = "spanID", deserialize_with = "nullable")]
    span_id: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Tag {
    #[serde(deserialize_with = "nullable")]
    key: String,
    value: Text,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Log {
    timestamp: Int64,
    #[serde(deserialize_with = "nullable")]
    fields: Vec<Tag>,
}

fn tags(tags: &[Tag]) -> Vec<(String, String)> {
    // `Text` is already cleaned; keys are not.
    tags.iter()
        .map(|t| (clean(&t.key), t.value.0.clone()))
        .collect()
}

fn micros_to_nanos(us: i64) -> i64 {
    us.saturating_mul(1_000)
}

/// The parent: the `CHILD_OF` reference, else the first `FOLLOWS_FROM` (a queue consumer
/// still belongs under its producer in the waterfall).
fn parent_of(references: &[Reference]) -> Option<String> {
    references
        .iter()
        .find(|r| r.ref_type.eq_ignore_ascii_case("CHILD_OF"))
        .or_else(|| references.first())
        .filter(|r| !r.span_id.is_empty())
        .map(|r| normalize_id(&r.span_id))
}

/// Status from the tags OTel's Jaeger exporters write, or the classic `error` tag.
fn status_of(attributes: &[(String, String)]) -> SpanStatus {
    let get = |key: &str| {
        attributes
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    let code = match get("otel.status_code") {
        Some(code) => StatusCode::from_name(code),
        None if get("error").is_some_and(|v| v.eq_ignore_ascii_case("true")) => StatusCode::Error,
        None => StatusCode::Unset,
    };
    SpanStatus {
        code,
        message: get("otel.status_description")
            .unwrap_or_default()
            .to_owned(),
    }
}

/// A process as spans use it: the service name and the process tags (resource attributes).
type Process = (Arc<str>, Vec<(String, String)>);

fn convert_trace(wire: WireTrace) -> Trace {
    let processes: HashMap<String, Process> = wire
        .processes
        .iter()
        .map(|(pid, p)| (pid.clone(), convert_process(p)))
        .collect();
    let trace_id = normalize_trace_id(&wire.trace_id);
    let spans = wire
        .spans
        .into_iter()
        .map(|s| {
            let (service, resource) = match (&s.process, processes.get(&s.process_id)) {
                (Some(inline), _) => convert_process(inline),
                (None, Some((service, resource))) => (Arc::clone(service), resource.clone()),
                (None, None) => (Arc::from(UNKNOWN_SERVICE), Vec::new()),
            };
            let attributes = tags(&s.tags);
            let kind = attributes
                .iter()
                .find(|(k, _)| k == "span.kind")
                .map_or(SpanKind::Unspecified, |(_, v)| SpanKind::from_name(v));
            let span_trace_id = if s.trace_id.is_empty() {
                trace_id.clone()
            } else {
                normalize_trace_id(&s.trace_id)
            };
            Span {
                trace_id: span_trace_id,
                span_id: normalize_id(&s.span_id),
                parent_id: parent_of(&s.references),
                name: clean(&s.operation_name),
                service,
                kind,
                start_ns: micros_to_nanos(s.start_time.0),
                duration_ns: micros_to_nanos(s.duration.0).max(0),
                status: status_of(&attributes),
                attributes,
                resource,
                events: s
                    .logs
                    .iter()
                    .map(|log| {
                        let fields = tags(&log.fields);
                        // OTel's exporter puts the event name in the `event` field.
                        let name = fields
                            .iter()
                            .find(|(k, _)| k == "event")
                            .map_or_else(|| "log".to_owned(), |(_, v)| v.clone());
                        SpanEvent {
                            time_ns: micros_to_nanos(log.timestamp.0),
                            name,
                            attributes: fields,
                        }
                    })
                    .collect(),
            }
        })
        .collect();
    Trace::from_spans(Some(trace_id), spans)
}

fn convert_process(p: &WireProcess) -> Process {
    let service = if p.service_name.is_empty() {
        UNKNOWN_SERVICE.to_owned()
    } else {
        clean(&p.service_name)
    };
    (Arc::from(service), tags(&p.tags))
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRACE: &str = r#"{"data":[{"traceID":"A3CE929D0E0E4736","spans":[
        {"traceID":"a3ce929d0e0e4736","spanID":"00000000000000a1","operationName":"GET /",
         "references":[],"startTime":1700000000000000,"duration":120000,
         "tags":[{"key":"span.kind","type":"string","value":"server"},
                 {"key":"http.status_code","type":"int64","value":200}],
         "logs":[],"processID":"p1"},
        {"traceID":"a3ce929d0e0e4736","spanID":"00000000000000b2","operationName":"charge",
         "references":[{"refType":"FOLLOWS_FROM","traceID":"a3ce929d0e0e4736","spanID":"00000000000000ff"},
                       {"refType":"CHILD_OF","traceID":"a3ce929d0e0e4736","spanID":"00000000000000a1"}],
         "startTime":1700000000010000,"duration":50000,
         "tags":[{"key":"error","type":"bool","value":true}],
         "logs":[{"timestamp":1700000000020000,"fields":[{"key":"event","type":"string","value":"exception"},
                 {"key":"message","type":"string","value":"card declined"}]}],
         "processID":"p2"}],
      "processes":{"p1":{"serviceName":"frontend","tags":[{"key":"hostname","type":"string","value":"fe-1"}]},
                   "p2":{"serviceName":"payments","tags":[]}},"warnings":null}],
      "total":0,"limit":0,"offset":0,"errors":null}"#;

    #[test]
    fn child_of_is_the_parent_and_processes_give_services() {
        let traces = parse_traces(TRACE.as_bytes()).unwrap_or_default();
        assert_eq!(traces.len(), 1);
        let t = &traces[0];
        assert_eq!(t.trace_id, "0000000000000000a3ce929d0e0e4736");
        let root = &t.spans[0];
        assert_eq!(&*root.service, "frontend");
        assert_eq!(root.kind, SpanKind::Server);
        assert_eq!(root.start_ns, 1_700_000_000_000_000_000);
        assert_eq!(root.duration_ns, 120_000_000);
        assert_eq!(root.attribute("http.status_code"), Some("200"));
        assert_eq!(root.resource, vec![("hostname".into(), "fe-1".into())]);
        let child = &t.spans[1];
        assert_eq!(child.parent_id.as_deref(), Some("00000000000000a1"));
        assert_eq!(&*child.service, "payments");
        assert_eq!(child.status.code, StatusCode::Error);
        assert_eq!(child.events[0].name, "exception");
        assert_eq!(child.events[0].time_ns, 1_700_000_000_020_000_000);
    }

    /// The same trace without the `{"data":[...]}` envelope (a `model/json` file, an export)
    /// reads the same.
    #[test]
    fn a_bare_trace_object_reads_like_the_envelope() {
        let enveloped = parse_traces(TRACE.as_bytes()).unwrap_or_default();
        let start = TRACE.find("[{").map_or(0, |i| i + 1);
        let end = TRACE.rfind("}],").unwrap_or(TRACE.len());
        let bare = &TRACE[start..=end];
        let traces = parse_traces(bare.as_bytes()).unwrap_or_default();
        assert_eq!(traces.len(), 1, "{bare}");
        assert_eq!(traces[0].trace_id, enveloped[0].trace_id);
        assert_eq!(traces[0].spans.len(), 2);
        assert_eq!(&*traces[0].spans[1].service, "payments");
        // An empty object is no trace, and says nothing went wrong.
        assert!(parse_traces(b"{}").unwrap_or_default().is_empty());
    }

    #[test]
    fn the_errors_envelope_becomes_an_error() {
        let body = r#"{"data":null,"total":0,"limit":0,"offset":0,"errors":[{"code":404,"msg":"trace not found"}]}"#;
        let err = parse_traces(body.as_bytes()).err().unwrap_or_default();
        assert_eq!(err, "Jaeger reported: 404 trace not found");
    }

    #[test]
    fn otel_status_tags_win() {
        let attrs = vec![
            ("otel.status_code".to_owned(), "ERROR".to_owned()),
            ("otel.status_description".to_owned(), "timeout".to_owned()),
        ];
        let status = status_of(&attrs);
        assert_eq!(status.code, StatusCode::Error);
        assert_eq!(status.message, "timeout");
    }

    #[test]
    fn hostile_tags_are_cleaned() {
        let body = "{\"data\":[{\"traceID\":\"a3ce929d0e0e4736\",\"spans\":[{\"spanID\":\"1\",\"operationName\":\"x\\u001b[2J\",\"tags\":[{\"key\":\"k\\u202e\",\"value\":\"\\u001b]52;c;AAAA\\u0007\"}],\"processID\":\"p\"}],\"processes\":{\"p\":{\"serviceName\":\"s\\r\"}}}]}";
        let traces = parse_traces(body.as_bytes()).unwrap_or_default();
        let span = &traces[0].spans[0];
        for s in [&span.name, &span.attributes[0].0, &span.attributes[0].1] {
            assert!(
                !s.chars().any(|c| c.is_control() || c == '\u{202e}'),
                "{s:?}"
            );
        }
        assert!(!span.service.chars().any(char::is_control));
    }
}
