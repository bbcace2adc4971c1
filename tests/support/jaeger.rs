//! A Jaeger query-service test peer: `/api/traces` (search) and `/api/traces/{id}` with
//! Jaeger's envelope `{"data":…,"total","limit","offset","errors":[{code,msg}]}`, in-process
//! on a free loopback port.
//!
//! Reached as `support::jaeger` from a test binary that includes `tests/support/mod.rs`; its
//! call log is `support::recorded_peer`.
//!
//! - `GET /api/traces?service=&limit=&minDuration=&tags=&start=&end=`: the traces of
//!   `fixtures/traces/jaeger_traces.json` (the checkout and legacy traces of the Tempo peer, in
//!   Jaeger's µs model with `CHILD_OF` references and `processes`) that touch `service`, have a
//!   span with every tag in `tags` (JSON object), last at least `minDuration`, then `limit`.
//!   Without `service`: 400 "parameter 'service' is required", in the envelope, as Jaeger does.
//! - `GET /api/traces/{id}`: that trace (ids compared without leading zeros), else 404 with
//!   `{"data":null,…,"errors":[{"code":404,"msg":"trace not found"}]}`.
//!
//! Every call is recorded; [`JaegerServer::set_fault`] makes every route answer a status or a
//! non-JSON body.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

pub const TRACES_JSON: &str = include_str!("fixtures/traces/jaeger_traces.json");

pub use super::recorded_peer::{Call, Fault};
use super::recorded_peer::{FaultBodies, Recorder, Served, decode};

type Shared = Recorder;

/// What a fault answers, in the words of the real server.
const FAULT_BODIES: FaultBodies = FaultBodies {
    status: "internal error",
    garbage: "<html><body>oops</body></html>",
};

/// A running server; it stops on Drop.
pub struct JaegerServer {
    served: Served,
    shared: Shared,
}

impl JaegerServer {
    /// Starts a server on a free loopback port.
    pub async fn start() -> JaegerServer {
        let shared = Recorder::default();
        let app = Router::new()
            .route("/api/traces", get(search))
            .route("/api/traces/{id}", get(trace))
            .with_state(shared.clone());
        JaegerServer {
            served: Served::start(app).await,
            shared,
        }
    }

    /// `http://127.0.0.1:port`, the query service's base URL.
    #[must_use]
    pub fn url(&self) -> String {
        self.served.url()
    }

    /// Every call so far.
    #[must_use]
    pub fn calls(&self) -> Vec<Call> {
        self.shared.calls()
    }

    /// Makes every route answer `fault` (or serve normally again with `None`).
    pub fn set_fault(&self, fault: Option<Fault>) {
        self.shared.set_fault(fault);
    }
}

/// Records the call and answers the fault if one is set.
fn record(shared: &Shared, uri: &Uri, headers: &HeaderMap, status: u16) -> Option<Response> {
    shared.record(uri, headers, status, FAULT_BODIES)
}

/// Jaeger's envelope around `data`, with `errors` when given.
fn envelope(status: StatusCode, data: &Value, errors: Option<(u16, &str)>) -> Response {
    let errors = errors.map_or(
        Value::Null,
        |(code, msg)| json!([{"code": code, "msg": msg}]),
    );
    let body = json!({"data": data, "total": 0, "limit": 0, "offset": 0, "errors": errors});
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn fixture_traces() -> Vec<Value> {
    let doc: Value = serde_json::from_str(TRACES_JSON).expect("jaeger fixture");
    doc["data"].as_array().cloned().unwrap_or_default()
}

/// Go duration (`500ms`, `1500us`, `2s`) in microseconds.
fn micros(text: &str) -> Option<i64> {
    let digits: String = text.chars().take_while(char::is_ascii_digit).collect();
    let n: i64 = digits.parse().ok()?;
    match &text[digits.len()..] {
        "ms" => Some(n * 1_000),
        "us" | "µs" => Some(n),
        "s" => Some(n * 1_000_000),
        _ => None,
    }
}

/// The trace's span from first start to last end, in µs.
fn duration_us(trace: &Value) -> i64 {
    let spans = trace["spans"].as_array().cloned().unwrap_or_default();
    let start = spans.iter().filter_map(|s| s["startTime"].as_i64()).min();
    let end = spans
        .iter()
        .filter_map(|s| Some(s["startTime"].as_i64()? + s["duration"].as_i64()?))
        .max();
    end.zip(start).map_or(0, |(e, s)| e - s)
}

fn tag_matches(span: &Value, key: &str, want: &str) -> bool {
    span["tags"].as_array().is_some_and(|tags| {
        tags.iter().any(|t| {
            t["key"] == key
                && match &t["value"] {
                    Value::String(s) => s == want,
                    other => serde_json::from_str::<Value>(want).is_ok_and(|w| w == *other),
                }
        })
    })
}

async fn search(State(shared): State<Shared>, uri: Uri, headers: HeaderMap) -> Response {
    let params = decode(uri.query().unwrap_or_default());
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let Some(service) = get("service") else {
        if let Some(fault) = record(&shared, &uri, &headers, 400) {
            return fault;
        }
        return envelope(
            StatusCode::BAD_REQUEST,
            &Value::Null,
            Some((400, "parameter 'service' is required")),
        );
    };
    if let Some(fault) = record(&shared, &uri, &headers, 200) {
        return fault;
    }
    let tags: Vec<(String, String)> = get("tags")
        .and_then(|t| serde_json::from_str::<serde_json::Map<String, Value>>(&t).ok())
        .map(|m| {
            m.into_iter()
                .map(|(k, v)| (k, v.as_str().map_or_else(|| v.to_string(), str::to_owned)))
                .collect()
        })
        .unwrap_or_default();
    let min_us = get("minDuration").as_deref().and_then(micros);
    let limit: usize = get("limit").and_then(|l| l.parse().ok()).unwrap_or(100);
    let kept: Vec<Value> = fixture_traces()
        .into_iter()
        .filter(|t| {
            let serves = t["processes"]
                .as_object()
                .is_some_and(|p| p.values().any(|p| p["serviceName"] == service.as_str()));
            let spans = t["spans"].as_array().cloned().unwrap_or_default();
            let tagged = tags
                .iter()
                .all(|(k, v)| spans.iter().any(|s| tag_matches(s, k, v)));
            serves && tagged && min_us.is_none_or(|m| duration_us(t) >= m)
        })
        .take(limit)
        .collect();
    envelope(StatusCode::OK, &Value::Array(kept), None)
}

async fn trace(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let wanted = id.trim_start_matches('0').to_ascii_lowercase();
    let found = fixture_traces().into_iter().find(|t| {
        t["traceID"]
            .as_str()
            .is_some_and(|tid| tid.trim_start_matches('0') == wanted)
    });
    let status = if found.is_some() { 200 } else { 404 };
    if let Some(fault) = record(&shared, &uri, &headers, status) {
        return fault;
    }
    match found {
        Some(t) => envelope(StatusCode::OK, &json!([t]), None),
        None => envelope(
            StatusCode::NOT_FOUND,
            &Value::Null,
            Some((404, "trace not found")),
        ),
    }
}
