//! A Loki test peer: `query_range` and the WebSocket `tail` over entries a test pushes, with
//! the wire shapes of `pkg/util/marshal` (nanosecond timestamps as strings, streams grouped by
//! labels).
//!
//! Reached as `support::loki` from a test binary that includes `tests/support/mod.rs`.
//!
//! - LogQL, honestly applied to the stored entries: a selector of `=`/`!=` matchers
//!   (`{service_name="cart", env!="dev"}`), then any number of line filters `|= "x"`,
//!   `!= "x"` and label filters `| name="x"` / `| name!="x"`, which look at the stream labels
//!   and the entry's structured metadata (as Loki's do without a parser). Anything else (regex
//!   matchers, parsers, metric queries) is a 400 `parse error`, so a client that sends more than
//!   this is caught.
//! - `GET /loki/api/v1/query_range`: `query`, `limit` (default 100), `start`/`end` in
//!   nanoseconds (start inclusive, end exclusive; default the last hour), `direction`
//!   (default `backward`: newest first). With the request header
//!   `X-Loki-Response-Encoding-Flags: categorize-labels` each value carries its structured
//!   metadata as a third element `{"structuredMetadata":{…}}` (left out when empty) and `data`
//!   has `encodingFlags`; without it the metadata is merged into the stream labels, as Loki
//!   does.
//! - `GET /loki/api/v1/tail` (WebSocket): `query`, `start` (ns), `limit`. It first sends the
//!   stored entries from `start` (the newest `limit` of them), then each pushed entry that
//!   matches as its own frame `{"streams":[…],"dropped_entries":null}`.
//!   [`LokiServer::drop_entries`] sends a frame with `dropped_entries`
//!   ([`LokiServer::push_dropped`] stores the entry first, so `query_range` finds it),
//!   [`LokiServer::kill_tails`] drops every open socket without a close frame, and
//!   [`LokiServer::set_refuse_tail`] answers the upgrade with a 400.
//! - Failure switches: [`LokiServer::set_status`] answers every query with that status, and
//!   [`LokiServer::set_reject_label_filters`] answers queries with a label filter with a 400
//!   (a Loki without structured metadata support).
//! - [`LokiServer::set_query_error`] answers every query with a 400 and the given body (a
//!   real Loki parse error), for the error panel.
//! - Every request is recorded with its raw query string, its parameters and headers.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Map, Value, json};
use tokio::sync::broadcast;

/// The tenant header of a multi-tenant Loki.
pub const ORG_HEADER: &str = "x-scope-orgid";
/// The header asking for structured metadata next to each line.
pub const FLAGS_HEADER: &str = "x-loki-response-encoding-flags";

/// One stored entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub labels: BTreeMap<String, String>,
    /// Nanoseconds since the epoch.
    pub ts: i64,
    pub line: String,
    pub metadata: BTreeMap<String, String>,
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct LokiRequest {
    /// `query_range` or `tail`.
    pub endpoint: String,
    /// The query string exactly as it arrived (still percent-encoded).
    pub raw_query: String,
    pub params: Vec<(String, String)>,
    /// Header names in lowercase.
    pub headers: BTreeMap<String, String>,
    pub status: u16,
}

impl LokiRequest {
    #[must_use]
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }
}

#[derive(Debug, Clone)]
enum TailSignal {
    Entry(Entry),
    Dropped(Vec<(BTreeMap<String, String>, i64)>),
    Kill,
}

#[derive(Default)]
struct Inner {
    entries: Vec<Entry>,
    requests: Vec<LokiRequest>,
    refuse_tail: bool,
    reject_label_filters: bool,
    status: Option<u16>,
    query_error: Option<String>,
}

struct Shared {
    inner: Mutex<Inner>,
    tails: broadcast::Sender<TailSignal>,
    open_tails: AtomicUsize,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A running server; it stops on Drop.
pub struct LokiServer {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for LokiServer {
    fn drop(&mut self) {
        let _ = self.shared.tails.send(TailSignal::Kill);
        self.task.abort();
    }
}

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

impl LokiServer {
    /// Starts an empty server on a free loopback port.
    pub async fn start() -> LokiServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        let addr = listener.local_addr().expect("local addr");
        let shared = Arc::new(Shared {
            inner: Mutex::new(Inner::default()),
            tails: broadcast::channel(4096).0,
            open_tails: AtomicUsize::new(0),
        });
        let app = Router::new()
            .route("/loki/api/v1/query_range", get(query_range))
            .route("/loki/api/v1/tail", get(tail))
            .with_state(Arc::clone(&shared));
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("serve");
        });
        LokiServer { addr, shared, task }
    }

    /// `http://127.0.0.1:port`.
    #[must_use]
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stores an entry (and sends it to the open tails it matches).
    pub fn push(&self, labels: &[(&str, &str)], ts: i64, line: &str, metadata: &[(&str, &str)]) {
        let entry = Entry {
            labels: map(labels),
            ts,
            line: line.to_owned(),
            metadata: map(metadata),
        };
        let mut inner = self.shared.lock();
        inner.entries.push(entry.clone());
        // Under the lock, so a tail that snapshots under it neither misses nor repeats.
        let _ = self.shared.tails.send(TailSignal::Entry(entry));
    }

    /// Sends every open tail a frame saying these entries were dropped.
    pub fn drop_entries(&self, labels: &[(&str, &str)], timestamps: &[i64]) {
        let labels = map(labels);
        let dropped = timestamps.iter().map(|ts| (labels.clone(), *ts)).collect();
        let _ = self.shared.tails.send(TailSignal::Dropped(dropped));
    }

    /// Stores an entry without sending it to the open tails, and tells them it was dropped
    /// (as Loki does when a tail client reads too slowly): `query_range` still finds it.
    pub fn push_dropped(&self, labels: &[(&str, &str)], ts: i64, line: &str) {
        let entry = Entry {
            labels: map(labels),
            ts,
            line: line.to_owned(),
            metadata: BTreeMap::new(),
        };
        let mut inner = self.shared.lock();
        inner.entries.push(entry);
        let _ = self
            .shared
            .tails
            .send(TailSignal::Dropped(vec![(map(labels), ts)]));
    }

    /// Drops every open tail socket without a close frame.
    pub fn kill_tails(&self) {
        let _ = self.shared.tails.send(TailSignal::Kill);
    }

    /// Answer tail upgrades with a 400 (or upgrade again).
    pub fn set_refuse_tail(&self, refuse: bool) {
        self.shared.lock().refuse_tail = refuse;
    }

    /// Answer queries with a label filter (`| trace_id="…"`) with a 400.
    pub fn set_reject_label_filters(&self, reject: bool) {
        self.shared.lock().reject_label_filters = reject;
    }

    /// Answer every `query_range` with this status (`None`: normally).
    /// Answers every `query_range` with a 400 and `body`, as Loki does for a query it cannot
    /// parse: grafana/loki `pkg/util/server/error.go` writes `err.Error()` as plain text,
    /// and `pkg/logql/syntax/errors.go` (844391a3) words a `ParseError` as
    /// `parse error at line %d, col %d: %s`.
    pub fn set_query_error(&self, body: Option<&str>) {
        self.shared.lock().query_error = body.map(str::to_owned);
    }

    pub fn set_status(&self, status: Option<u16>) {
        self.shared.lock().status = status;
    }

    /// Every request so far, in order.
    #[must_use]
    pub fn requests(&self) -> Vec<LokiRequest> {
        self.shared.lock().requests.clone()
    }

    /// The `query_range` requests so far.
    #[must_use]
    pub fn query_requests(&self) -> Vec<LokiRequest> {
        self.requests()
            .into_iter()
            .filter(|r| r.endpoint == "query_range")
            .collect()
    }

    /// The tail requests so far (refused ones included).
    #[must_use]
    pub fn tail_requests(&self) -> Vec<LokiRequest> {
        self.requests()
            .into_iter()
            .filter(|r| r.endpoint == "tail")
            .collect()
    }

    /// How many tail sockets are open now.
    #[must_use]
    pub fn open_tails(&self) -> usize {
        self.shared.open_tails.load(Ordering::SeqCst)
    }

    /// Waits (at most 10 s) until a client has a tail open; panics if none opens.
    pub async fn until_a_tail_is_open(&self) {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
        while self.open_tails() == 0 {
            assert!(
                tokio::time::Instant::now() < deadline,
                "the tail never opened"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// LogQL

#[derive(Debug, Clone, PartialEq, Eq)]
enum Stage {
    Contains(String),
    NotContains(String),
    Label {
        name: String,
        equal: bool,
        value: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogQuery {
    matchers: Vec<(String, bool, String)>,
    stages: Vec<Stage>,
}

struct Scanner<'a> {
    s: &'a str,
    pos: usize,
}

impl Scanner<'_> {
    fn rest(&self) -> &str {
        &self.s[self.pos..]
    }

    fn spaces(&mut self) {
        let rest = self.rest();
        self.pos += rest.len() - rest.trim_start().len();
    }

    fn eat(&mut self, token: &str) -> bool {
        self.spaces();
        if self.rest().starts_with(token) {
            self.pos += token.len();
            true
        } else {
            false
        }
    }

    fn ident(&mut self) -> Result<String, String> {
        self.spaces();
        let len = self
            .rest()
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
            .unwrap_or(self.rest().len());
        if len == 0 {
            return Err(self.error("a label name"));
        }
        let name = self.rest()[..len].to_owned();
        self.pos += len;
        Ok(name)
    }

    fn string(&mut self) -> Result<String, String> {
        self.spaces();
        let mut chars = self.rest().char_indices();
        match chars.next() {
            Some((_, '`')) => {
                let body = &self.rest()[1..];
                let end = body.find('`').ok_or_else(|| self.error("a closing `"))?;
                let value = body[..end].to_owned();
                self.pos += end + 2;
                Ok(value)
            }
            Some((_, '"')) => {
                let mut value = String::new();
                let mut escaped = false;
                for (i, c) in chars {
                    if escaped {
                        value.push(c);
                        escaped = false;
                    } else if c == '\\' {
                        escaped = true;
                    } else if c == '"' {
                        self.pos += i + 1;
                        return Ok(value);
                    } else {
                        value.push(c);
                    }
                }
                Err(self.error("a closing quote"))
            }
            _ => Err(self.error("a string")),
        }
    }

    fn error(&self, wanted: &str) -> String {
        format!(
            "parse error at line 1, col {}: syntax error: expected {wanted}",
            self.pos + 1
        )
    }
}

/// Parses the LogQL subset the peer serves.
pub fn parse_query(query: &str) -> Result<LogQuery, String> {
    let mut sc = Scanner { s: query, pos: 0 };
    if !sc.eat("{") {
        return Err(sc.error("a stream selector"));
    }
    let mut matchers = Vec::new();
    loop {
        if sc.eat("}") {
            break;
        }
        let name = sc.ident()?;
        let equal = if sc.eat("!=") {
            false
        } else if sc.eat("=~") || sc.eat("!~") {
            return Err(sc.error("= or != (the peer has no regex matchers)"));
        } else if sc.eat("=") {
            true
        } else {
            return Err(sc.error("a matcher operator"));
        };
        matchers.push((name, equal, sc.string()?));
        if !sc.eat(",") {
            if sc.eat("}") {
                break;
            }
            return Err(sc.error(", or }"));
        }
    }
    if matchers.is_empty() {
        return Err("parse error : queries require at least one regexp or equality matcher that does not have an empty-compatible value".into());
    }
    let mut stages = Vec::new();
    loop {
        sc.spaces();
        if sc.rest().is_empty() {
            break;
        }
        if sc.eat("|=") {
            stages.push(Stage::Contains(sc.string()?));
        } else if sc.eat("!=") {
            stages.push(Stage::NotContains(sc.string()?));
        } else if sc.eat("|") {
            let name = sc.ident()?;
            let equal = if sc.eat("!=") {
                false
            } else if sc.eat("=") {
                true
            } else {
                return Err(sc.error("= or != in a label filter"));
            };
            stages.push(Stage::Label {
                name,
                equal,
                value: sc.string()?,
            });
        } else {
            return Err(sc.error("a pipeline stage"));
        }
    }
    Ok(LogQuery { matchers, stages })
}

impl LogQuery {
    fn has_label_filter(&self) -> bool {
        self.stages.iter().any(|s| matches!(s, Stage::Label { .. }))
    }

    fn matches(&self, entry: &Entry) -> bool {
        let label = |name: &str| {
            entry
                .labels
                .get(name)
                .or_else(|| entry.metadata.get(name))
                .map_or("", String::as_str)
        };
        self.matchers.iter().all(|(name, equal, value)| {
            (entry.labels.get(name).map_or("", String::as_str) == value) == *equal
        }) && self.stages.iter().all(|stage| match stage {
            Stage::Contains(s) => entry.line.contains(s.as_str()),
            Stage::NotContains(s) => !entry.line.contains(s.as_str()),
            Stage::Label { name, equal, value } => (label(name) == value) == *equal,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Handlers

fn record(
    inner: &mut Inner,
    endpoint: &str,
    raw_query: &str,
    params: &[(String, String)],
    headers: &HeaderMap,
    status: u16,
) {
    inner.requests.push(LokiRequest {
        endpoint: endpoint.into(),
        raw_query: raw_query.into(),
        params: params.to_vec(),
        headers: headers
            .iter()
            .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
            .collect(),
        status,
    });
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn now_ns() -> i64 {
    i64::try_from(jiff::Timestamp::now().as_nanosecond()).expect("ns fit")
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, format!("{message}\n")).into_response()
}

fn categorized(headers: &HeaderMap) -> bool {
    headers
        .get(FLAGS_HEADER)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|f| f.trim() == "categorize-labels"))
}

/// Entries grouped into Loki stream objects, in first-appearance order.
fn streams(entries: &[Entry], categorize: bool) -> Vec<Value> {
    let mut order: Vec<BTreeMap<String, String>> = Vec::new();
    let mut values: BTreeMap<BTreeMap<String, String>, Vec<Value>> = BTreeMap::new();
    for entry in entries {
        let mut labels = entry.labels.clone();
        let mut value = vec![json!(entry.ts.to_string()), json!(entry.line)];
        if categorize {
            if !entry.metadata.is_empty() {
                value.push(json!({"structuredMetadata": entry.metadata}));
            }
        } else {
            labels.extend(entry.metadata.clone());
        }
        if !values.contains_key(&labels) {
            order.push(labels.clone());
        }
        values.entry(labels).or_default().push(Value::Array(value));
    }
    order
        .into_iter()
        .map(|labels| {
            let vs = values.remove(&labels).unwrap_or_default();
            let stream: Map<String, Value> =
                labels.into_iter().map(|(k, v)| (k, json!(v))).collect();
            json!({"stream": stream, "values": vs})
        })
        .collect()
}

/// The answer a test injected: its query error (400), else its status.
fn injected(inner: &Inner) -> Option<(StatusCode, String)> {
    if let Some(body) = &inner.query_error {
        return Some((StatusCode::BAD_REQUEST, body.clone()));
    }
    let code = inner.status?;
    Some((
        StatusCode::from_u16(code).expect("status"),
        "injected failure".into(),
    ))
}

async fn query_range(
    State(shared): State<Arc<Shared>>,
    RawQuery(raw): RawQuery,
    Query(params): Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> Response {
    let mut inner = shared.lock();
    let raw = raw.unwrap_or_default();
    let answer = |inner: &mut Inner, status: StatusCode, response: Response| {
        record(
            inner,
            "query_range",
            &raw,
            &params,
            &headers,
            status.as_u16(),
        );
        response
    };
    if let Some((status, body)) = injected(&inner) {
        return answer(&mut inner, status, error(status, &body));
    }
    let Some(query) = param(&params, "query") else {
        let status = StatusCode::BAD_REQUEST;
        return answer(
            &mut inner,
            status,
            error(status, "query parameter is required"),
        );
    };
    let query = match parse_query(query) {
        Ok(q) => q,
        Err(message) => {
            let status = StatusCode::BAD_REQUEST;
            return answer(&mut inner, status, error(status, &message));
        }
    };
    if inner.reject_label_filters && query.has_label_filter() {
        let status = StatusCode::BAD_REQUEST;
        return answer(
            &mut inner,
            status,
            error(
                status,
                "parse error : label filters on structured metadata are not supported",
            ),
        );
    }
    let number = |name: &str, default: i64| -> Result<i64, String> {
        param(&params, name).map_or(Ok(default), |v| {
            v.parse::<i64>()
                .map_err(|_| format!("invalid parameter {name}: {v} (the peer takes nanoseconds)"))
        })
    };
    let now = now_ns();
    let (start, end, limit) = match (
        number("start", now - 3_600_000_000_000),
        number("end", now),
        number("limit", 100),
    ) {
        (Ok(s), Ok(e), Ok(l)) => (s, e, usize::try_from(l).unwrap_or(0)),
        (Err(m), _, _) | (_, Err(m), _) | (_, _, Err(m)) => {
            let status = StatusCode::BAD_REQUEST;
            return answer(&mut inner, status, error(status, &m));
        }
    };
    let backward = match param(&params, "direction").unwrap_or("backward") {
        "backward" | "BACKWARD" => true,
        "forward" | "FORWARD" => false,
        other => {
            let status = StatusCode::BAD_REQUEST;
            return answer(
                &mut inner,
                status,
                error(status, &format!("invalid direction: {other}")),
            );
        }
    };
    let mut found: Vec<Entry> = inner
        .entries
        .iter()
        .filter(|e| e.ts >= start && e.ts < end && query.matches(e))
        .cloned()
        .collect();
    // Stable: entries of one nanosecond keep the order they were pushed in.
    found.sort_by_key(|e| e.ts);
    if backward {
        found.reverse();
    }
    found.truncate(limit);
    let categorize = categorized(&headers);
    let mut data = json!({
        "resultType": "streams",
        "result": streams(&found, categorize),
        "stats": {"summary": {"totalLinesProcessed": inner.entries.len(), "execTime": 0.001}},
    });
    if categorize {
        data["encodingFlags"] = json!(["categorize-labels"]);
    }
    let body = json!({"status": "success", "data": data});
    answer(&mut inner, StatusCode::OK, axum::Json(body).into_response())
}

/// Counts an open tail for as long as its socket task runs.
struct TailGuard(Arc<Shared>);

impl Drop for TailGuard {
    fn drop(&mut self) {
        self.0.open_tails.fetch_sub(1, Ordering::SeqCst);
    }
}

fn frame(
    entries: &[Entry],
    dropped: &[(BTreeMap<String, String>, i64)],
    categorize: bool,
) -> Message {
    let dropped: Value = if dropped.is_empty() {
        Value::Null
    } else {
        dropped
            .iter()
            .map(|(labels, ts)| json!({"labels": labels, "timestamp": ts.to_string()}))
            .collect()
    };
    let body = json!({"streams": streams(entries, categorize), "dropped_entries": dropped});
    Message::Text(body.to_string().into())
}

async fn tail(
    State(shared): State<Arc<Shared>>,
    Query(params): Query<Vec<(String, String)>>,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let mut inner = shared.lock();
    let refuse = |inner: &mut Inner, message: &str| {
        record(inner, "tail", "", &params, &headers, 400);
        error(StatusCode::BAD_REQUEST, message)
    };
    let Ok(upgrade) = upgrade else {
        return refuse(&mut inner, "the tail endpoint needs a WebSocket upgrade");
    };
    if inner.refuse_tail {
        return refuse(&mut inner, "tailing is disabled");
    }
    let query = match param(&params, "query").map(parse_query) {
        Some(Ok(q)) => q,
        Some(Err(message)) => return refuse(&mut inner, &message),
        None => return refuse(&mut inner, "query parameter is required"),
    };
    let start = param(&params, "start")
        .and_then(|s| s.parse::<i64>().ok())
        .unwrap_or_else(|| now_ns() - 3_600_000_000_000);
    let limit = param(&params, "limit")
        .and_then(|s| s.parse::<usize>().ok())
        .unwrap_or(100);
    let mut backlog: Vec<Entry> = inner
        .entries
        .iter()
        .filter(|e| e.ts >= start && query.matches(e))
        .cloned()
        .collect();
    backlog.sort_by_key(|e| e.ts);
    backlog.drain(..backlog.len().saturating_sub(limit));
    let mut signals = shared.tails.subscribe();
    record(&mut inner, "tail", "", &params, &headers, 101);
    drop(inner);
    let categorize = categorized(&headers);
    shared.open_tails.fetch_add(1, Ordering::SeqCst);
    let guard = TailGuard(Arc::clone(&shared));
    upgrade.on_upgrade(move |mut socket: WebSocket| async move {
        let _guard = guard;
        if !backlog.is_empty() && socket.send(frame(&backlog, &[], categorize)).await.is_err() {
            return;
        }
        loop {
            tokio::select! {
                signal = signals.recv() => {
                    let message = match signal {
                        Ok(TailSignal::Entry(entry)) if query.matches(&entry) => {
                            frame(&[entry], &[], categorize)
                        }
                        Ok(TailSignal::Entry(_)) => continue,
                        Ok(TailSignal::Dropped(dropped)) => frame(&[], &dropped, categorize),
                        // Dropped without a close frame: the client sees the connection end.
                        Ok(TailSignal::Kill) | Err(_) => return,
                    };
                    if socket.send(message).await.is_err() {
                        return;
                    }
                }
                incoming = socket.recv() => match incoming {
                    Some(Ok(Message::Close(_)) | Err(_)) | None => return,
                    Some(Ok(_)) => {}
                },
            }
        }
    })
}
