//! A Grafana Tempo query-frontend test peer: the routes opsdeck's Tempo client uses, with
//! Tempo's real JSON quirks, in-process on a free loopback port.
//!
//! Reached as `support::tempo` from a test binary that includes `tests/support/mod.rs`; its
//! call log is `support::recorded_peer`.
//!
//! - `GET /api/search`: the traces of `fixtures/traces/tempo_search.json`, filtered the way
//!   Tempo would for the queries opsdeck builds: TraceQL `q=` (`resource.service.name="…"`,
//!   `status=error`, `duration>Nms`) or tag search (`tags=service.name=… status.code=error`,
//!   `minDuration=`), then `limit`. Ids come back with leading zeros dropped, as Tempo does.
//! - `GET /api/v2/traces/{id}`: `{"trace":{"resourceSpans":…},"status":"COMPLETE"}` for the
//!   checkout trace only ([`CHECKOUT_TRACE_ID`]); 404 for anything else, so the client's v1
//!   fallback is exercised by [`LEGACY_TRACE_ID`].
//! - `GET /api/traces/{id}`: the v1 form (`batches`, **base64** ids, enum **names**, 64-bit
//!   integers as strings) for both traces; 404 `trace not found` otherwise.
//!
//! - A `q=` that is not a spanset `{ … }` is refused with a 400 and Tempo's text
//!   (`invalid TraceQL query: parse error at line 1, col 1: syntax error: unexpected
//!   IDENTIFIER`).
//!
//! The checkout trace spans frontend → cart → postgres and frontend → payments (an error span
//! with an `exception` event). The legacy trace carries hostile escape and bidi characters in
//! an attribute. Every call is recorded; [`TempoServer::set_fault`] makes every route answer a
//! status or a non-JSON body.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::Value;

/// The multi-service trace served on both trace routes.
pub const CHECKOUT_TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
/// The trace only the v1 route knows (its id starts with a zero, which search drops).
pub const LEGACY_TRACE_ID: &str = "0af7651916cd43dd8448eb211c80319c";

pub const SEARCH_JSON: &str = include_str!("fixtures/traces/tempo_search.json");
pub const V1_CHECKOUT_JSON: &str = include_str!("fixtures/traces/tempo_v1_checkout.json");
pub const V2_CHECKOUT_JSON: &str = include_str!("fixtures/traces/tempo_v2_checkout.json");
pub const V1_LEGACY_JSON: &str = include_str!("fixtures/traces/tempo_v1_legacy.json");

/// Services each fixture trace touches, for the service filter.
const SERVICES: &[(&str, &[&str])] = &[
    (CHECKOUT_TRACE_ID, &["frontend", "cart", "payments"]),
    (LEGACY_TRACE_ID, &["inventory"]),
];

pub use super::recorded_peer::{Call, Fault};
use super::recorded_peer::{FaultBodies, Recorder, Served, decode};

type Shared = Recorder;

/// What a fault answers, in the words of the real server.
const FAULT_BODIES: FaultBodies = FaultBodies {
    status: "rpc error: code = Unavailable desc = querier unavailable",
    garbage: "<html><body>502 Bad Gateway</body></html>",
};

/// A running server; it stops on Drop.
pub struct TempoServer {
    served: Served,
    shared: Shared,
}

impl TempoServer {
    /// Starts a server on a free loopback port.
    pub async fn start() -> TempoServer {
        let shared = Recorder::default();
        let app = Router::new()
            .route("/api/search", get(search))
            .route("/api/v2/traces/{id}", get(trace_v2))
            .route("/api/traces/{id}", get(trace_v1))
            .with_state(shared.clone());
        TempoServer {
            served: Served::start(app).await,
            shared,
        }
    }

    /// `http://127.0.0.1:port`, the query frontend's base URL.
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

fn json(body: &'static str) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "trace not found").into_response()
}

/// The milliseconds in `duration>500ms` / `minDuration=500ms` (ms, s or us), if any.
fn millis(text: &str) -> Option<i64> {
    let digits: String = text.chars().take_while(char::is_ascii_digit).collect();
    let n: i64 = digits.parse().ok()?;
    let unit = &text[digits.len()..];
    Some(if unit.starts_with("ms") {
        n
    } else if unit.starts_with("us") || unit.starts_with("µs") {
        n / 1_000
    } else if unit.starts_with('s') {
        n * 1_000
    } else {
        n
    })
}

/// The value after `prefix` up to a space, `&` or `}` (quotes removed).
fn after<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let start = text.find(prefix)? + prefix.len();
    let rest = &text[start..];
    let rest = rest.strip_prefix('"').unwrap_or(rest);
    let end = rest.find(['"', ' ', '}', '&']).unwrap_or(rest.len());
    Some(&rest[..end])
}

/// A TraceQL naming this span (`{ name="slow-search" }`) is answered after [`SLOW_FOR`], so
/// a test can send a newer search while it runs (the latest search must win).
pub const SLOW_NAME: &str = "slow-search";
pub const SLOW_FOR: std::time::Duration = std::time::Duration::from_secs(2);

/// Tempo's answer to TraceQL that is not a spanset: grafana/tempo `pkg/api/http.go`
/// (01b11506) wraps the parser's error as `invalid TraceQL query: %w`, the parser words it
/// `parse error at line %d, col %d: %s` (pkg/traceql), and the handler writes it as plain
/// text with a 400. A query starting with a bare word (`status = error`, no braces) fails
/// at column 1 on the identifier.
fn refused_traceql(q: &str) -> Option<String> {
    let t = q.trim();
    if t.is_empty() || (t.starts_with('{') && t.ends_with('}')) {
        return None;
    }
    let col = q.len() - q.trim_start().len() + 1;
    let token = if t.starts_with(|c: char| c.is_ascii_alphabetic() || c == '.') {
        "IDENTIFIER"
    } else {
        "$end"
    };
    Some(format!(
        "invalid TraceQL query: parse error at line 1, col {col}: syntax error: unexpected {token}\n"
    ))
}

async fn search(State(shared): State<Shared>, uri: Uri, headers: HeaderMap) -> Response {
    let params = decode(uri.query().unwrap_or_default());
    let q_param = params
        .iter()
        .find(|(n, _)| n == "q")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    if let Some(body) = refused_traceql(&q_param) {
        if let Some(fault) = record(&shared, &uri, &headers, 400) {
            return fault;
        }
        return (StatusCode::BAD_REQUEST, body).into_response();
    }
    if let Some(fault) = record(&shared, &uri, &headers, 200) {
        return fault;
    }
    if q_param.contains(SLOW_NAME) {
        tokio::time::sleep(SLOW_FOR).await;
    }
    let get = |k: &str| {
        params
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let (q, tags) = (get("q"), get("tags"));
    let service = after(&q, "resource.service.name=").or_else(|| after(&tags, "service.name="));
    let errors = q.contains("status=error") || tags.contains("status.code=error");
    let min_ms = after(&q, "duration>")
        .and_then(millis)
        .or_else(|| millis(&get("minDuration")));
    let limit: usize = get("limit").parse().unwrap_or(20);
    let mut doc: Value = serde_json::from_str(SEARCH_JSON).expect("search fixture");
    let traces = doc["traces"].as_array().cloned().unwrap_or_default();
    let kept: Vec<Value> = traces
        .into_iter()
        .filter(|t| {
            let id = t["traceID"].as_str().unwrap_or_default();
            let full = format!("{id:0>32}");
            let services = SERVICES
                .iter()
                .find(|(tid, _)| *tid == full)
                .map(|(_, s)| *s)
                .unwrap_or_default();
            let has_error = t.to_string().contains(r#""stringValue":"error""#);
            let duration = t["durationMs"].as_i64().unwrap_or(0);
            service.is_none_or(|s| services.contains(&s))
                && (!errors || has_error)
                && min_ms.is_none_or(|m| duration >= m)
        })
        .take(limit)
        .collect();
    doc["traces"] = Value::Array(kept);
    (
        [(header::CONTENT_TYPE, "application/json")],
        doc.to_string(),
    )
        .into_response()
}

async fn trace_v2(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let found = id.eq_ignore_ascii_case(CHECKOUT_TRACE_ID);
    if let Some(fault) = record(&shared, &uri, &headers, if found { 200 } else { 404 }) {
        return fault;
    }
    if found {
        json(V2_CHECKOUT_JSON)
    } else {
        not_found()
    }
}

async fn trace_v1(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let body = if id.eq_ignore_ascii_case(CHECKOUT_TRACE_ID) {
        Some(V1_CHECKOUT_JSON)
    } else if id.eq_ignore_ascii_case(LEGACY_TRACE_ID) {
        Some(V1_LEGACY_JSON)
    } else {
        None
    };
    if let Some(fault) = record(
        &shared,
        &uri,
        &headers,
        if body.is_some() { 200 } else { 404 },
    ) {
        return fault;
    }
    body.map_or_else(not_found, json)
}
