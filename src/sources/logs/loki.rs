//! Loki: history through `query_range`, then live lines through the WebSocket `tail`.
//!
//! - **Query.** [`LogTarget::logql`] when set (the catalog's log selector, e.g.
//!   `{namespace="shop", app="cart"}`), else `{service_name="<service>"}`. With
//!   [`LogTarget::trace_id`] the structured-metadata filter `| trace_id="<id>"` is appended
//!   (what Tempo's traces-to-logs link sends); when that finds nothing or fails (no structured
//!   metadata in the schema, an older Loki), the line filter `|= "<id>"` is used instead and a
//!   notice says so.
//! - **History.** On each new target, the last [`HISTORY`] (or [`LogTarget::since`]), at most
//!   [`HISTORY_LINES`] lines, fetched newest first with `direction=backward` in pages of
//!   [`PAGE_LINES`]: the oldest timestamp of a page becomes the next page's `end` (plus one
//!   nanosecond, as `end` is exclusive) and the lines of that boundary nanosecond already seen
//!   are dropped, so nothing is lost or doubled when several lines share a timestamp. The pane
//!   gets them oldest first.
//! - **Live.** The WebSocket `tail` (`ws://` or `wss://` from the http(s) URL, the same headers
//!   and token) from the newest line seen; `dropped_entries` become a `LogItem::Notice`. When
//!   the tail cannot be opened or breaks, the source says so and polls `query_range` forward
//!   from the last timestamp every [`POLL_INTERVAL`] instead.
//! - **Wire details.** Timestamps are nanosecond strings parsed into `i64` (a JSON float would
//!   lose the last digits). Requests carry `X-Loki-Response-Encoding-Flags: categorize-labels`,
//!   so each entry comes with its structured metadata, the configured headers (e.g.
//!   `X-Scope-OrgID`) and the bearer token.
//! - **Lines.** Each entry is given to [`parse_line`] as `<RFC3339Nano time> <line>`, so the
//!   line's time is Loki's (a JSON body's own time field wins) and JSON bodies are still
//!   recognised after the prefix. When the line carries no trace id but the entry's structured
//!   metadata does (`trace_id`, as OTLP ingestion stores it), the id is written into the text
//!   so the pane can find it and pivot: ` trace_id=<id>` appended to a plain line, or a
//!   `"trace_id":"<id>"` member inserted first in a JSON object. The source column is the
//!   entry's `pod`, `container`, `service_name`, `app` or `job` label, else `loki`.

use std::collections::{BTreeMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;
use std::time::Duration;

use futures::{SinkExt as _, StreamExt as _};
use jiff::Timestamp;
use reqwest::Url;
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::http::{HeaderName, HeaderValue};

use super::watchdog::{Liveness, LogStreamConfig, NoticeThrottle, Wake, reconnect_notice, spoken};
use super::{BATCH_LINES, LogItem, LogTarget, idle, send, session_per_target};
use crate::model::logs::{LineFormat, LogLine, parse_line};
use crate::model::{SourceHealth, clean};
use crate::sources::{Control, Reporter, SourceEvent, SourceHandle, SourceId, backoff};

/// How far back a new target's history goes when it does not say.
pub const HISTORY: Duration = Duration::from_mins(15);
/// Most history lines fetched for a new target.
pub const HISTORY_LINES: usize = 5_000;
/// Lines per `query_range` page.
pub const PAGE_LINES: usize = 1_000;
/// How often `query_range` is polled when the tail is not available.
pub const POLL_INTERVAL: Duration = Duration::from_secs(2);
/// How often the tail is tried again while polling, and how long a tail must have run for
/// its end to be met with an immediate reopen instead of polling.
pub const TAIL_RETRY: Duration = Duration::from_secs(30);
/// Longest a single `query_range` may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Largest `query_range` body read.
const MAX_BODY_BYTES: usize = 64 << 20;
/// The request header that asks Loki for structured metadata next to each line.
pub const ENCODING_FLAGS: (&str, &str) = ("X-Loki-Response-Encoding-Flags", "categorize-labels");
/// What the pane shows before it has a target.
pub const NO_TARGET: &str = "pick a service (scope) to read its logs from Loki";
/// How a `query_range` error caused by the query itself begins (see [`is_rejection`]).
pub const REJECTED: &str = "Loki rejected the query";

/// Whether `error` is Loki refusing the query (HTTP 400), which no retry can mend.
#[must_use]
pub fn is_rejection(error: &str) -> bool {
    error.starts_with(REJECTED)
}

/// Where Loki is, from the context's `loki` backend (the token already resolved).
#[derive(Debug, Clone, Default)]
pub struct LokiConfig {
    /// `http(s)://host:port`, possibly with a path prefix.
    pub url: String,
    pub token: Option<String>,
    /// Extra headers on every request, e.g. `X-Scope-OrgID` for a multi-tenant Loki.
    pub headers: BTreeMap<String, String>,
    /// The TLS of both the queries and the tail (`None`: the system trust store).
    pub tls: Option<Arc<rustls::ClientConfig>>,
}

/// One log entry as Loki returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LokiEntry {
    /// Nanoseconds since the epoch.
    pub timestamp_ns: i64,
    pub line: String,
    /// The stream's labels (shared by the entries of one stream).
    pub labels: Arc<BTreeMap<String, String>>,
    /// Structured metadata (`trace_id`, `span_id`, … from OTLP ingestion).
    pub metadata: BTreeMap<String, String>,
}

impl LokiEntry {
    /// The trace id in the structured metadata, if any. A Loki that does not categorize
    /// labels merges structured metadata into the stream labels, so they are read too.
    #[must_use]
    pub fn metadata_trace_id(&self) -> Option<&str> {
        ["trace_id", "traceId", "traceID"]
            .iter()
            .find_map(|k| self.metadata.get(*k).or_else(|| self.labels.get(*k)))
            .map(String::as_str)
            .filter(|id| is_id(id))
    }

    /// The source column: a pod, container, service, app or job label.
    #[must_use]
    pub fn source(&self) -> Arc<str> {
        ["pod", "container", "service_name", "app", "job"]
            .iter()
            .find_map(|k| self.labels.get(*k))
            .map_or_else(|| Arc::from("loki"), |s| Arc::from(s.as_str()))
    }

    /// The entry as a pane line (see the module doc for the timestamp and trace id).
    #[must_use]
    pub fn to_log_line(&self) -> LogLine {
        let source = self.source();
        let text = match Timestamp::from_nanosecond(i128::from(self.timestamp_ns)) {
            Ok(ts) => format!("{ts} {}", self.line),
            Err(_) => self.line.clone(),
        };
        let line = parse_line(text.as_bytes(), Arc::clone(&source));
        let Some(id) = self.metadata_trace_id() else {
            return line;
        };
        if line.trace_id().is_some() {
            return line;
        }
        let raw = line.raw();
        let with_id = match line.format() {
            LineFormat::Json { json_start } => {
                let at = json_start as usize + 1;
                let (head, tail) = raw.split_at(at.min(raw.len()));
                let comma = if tail.trim_start().starts_with('}') {
                    ""
                } else {
                    ","
                };
                format!("{head}\"trace_id\":\"{id}\"{comma}{tail}")
            }
            LineFormat::Plain => format!("{raw} trace_id={id}"),
        };
        parse_line(with_id.as_bytes(), source)
    }

    fn key(&self) -> u64 {
        let mut h = DefaultHasher::new();
        self.labels.hash(&mut h);
        self.line.hash(&mut h);
        h.finish()
    }
}

/// An id that may be written into a line: hex or the like, not absurdly long.
fn is_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// `query_range` order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Forward,
    Backward,
}

impl Direction {
    fn as_str(self) -> &'static str {
        match self {
            Self::Forward => "forward",
            Self::Backward => "backward",
        }
    }
}

/// A Loki HTTP and WebSocket client.
#[derive(Debug, Clone)]
pub struct LokiClient {
    http: reqwest::Client,
    /// Base URL without a trailing slash.
    base: String,
    token: Option<String>,
    headers: Vec<(HeaderName, HeaderValue)>,
    /// The same config as `http`'s, for the WebSocket tail.
    tls: Arc<rustls::ClientConfig>,
    /// The tail's ping interval and deadline (`[log_stream]`).
    stream: LogStreamConfig,
}

#[derive(Deserialize)]
struct QueryResponse {
    data: QueryData,
}

#[derive(Deserialize)]
struct QueryData {
    #[serde(rename = "resultType", default)]
    result_type: String,
    #[serde(default)]
    result: Vec<StreamJson>,
}

#[derive(Deserialize)]
struct StreamJson {
    #[serde(default)]
    stream: BTreeMap<String, String>,
    #[serde(default)]
    values: Vec<Vec<Value>>,
}

#[derive(Deserialize)]
struct TailJson {
    #[serde(default)]
    streams: Option<Vec<StreamJson>>,
    #[serde(default)]
    dropped_entries: Option<Vec<Value>>,
}

/// The entries of `streams`, in no particular order. Values whose timestamp is not a
/// nanosecond string are skipped.
fn entries_of(streams: Vec<StreamJson>) -> Vec<LokiEntry> {
    let mut out = Vec::new();
    for stream in streams {
        let labels = Arc::new(stream.stream);
        for value in stream.values {
            let Some(ts) = value
                .first()
                .and_then(Value::as_str)
                .and_then(|s| s.parse::<i64>().ok())
            else {
                continue;
            };
            let line = value
                .get(1)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let metadata = value
                .get(2)
                .and_then(|c| c.get("structuredMetadata"))
                .map(metadata_map)
                .unwrap_or_default();
            out.push(LokiEntry {
                timestamp_ns: ts,
                line,
                labels: Arc::clone(&labels),
                metadata,
            });
        }
    }
    out
}

/// Structured metadata as an object (Loki 3) or a list of `{name, value}` pairs.
fn metadata_map(value: &Value) -> BTreeMap<String, String> {
    match value {
        Value::Object(map) => map
            .iter()
            .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
            .collect(),
        Value::Array(pairs) => pairs
            .iter()
            .filter_map(|p| {
                Some((
                    p.get("name")?.as_str()?.to_owned(),
                    p.get("value")?.as_str()?.to_owned(),
                ))
            })
            .collect(),
        _ => BTreeMap::new(),
    }
}

/// The stream selector of a target, or `None` when it names nothing to read.
#[must_use]
pub fn base_query(target: &LogTarget) -> Option<String> {
    if let Some(logql) = target.logql.as_deref().filter(|q| !q.trim().is_empty()) {
        return Some(logql.trim().to_owned());
    }
    let service = target.service.as_deref().filter(|s| !s.is_empty())?;
    Some(format!(
        "{{service_name={}}}",
        crate::sources::quoted_literal(service)
    ))
}

/// `<query> | trace_id="<id>"`: the structured-metadata filter.
#[must_use]
pub fn trace_query(base: &str, trace_id: &str) -> String {
    format!(
        "{base} | trace_id={}",
        crate::sources::quoted_literal(trace_id)
    )
}

/// `<query> |= "<id>"`: the line filter used when the metadata filter finds nothing.
#[must_use]
pub fn trace_text_query(base: &str, trace_id: &str) -> String {
    format!("{base} |= {}", crate::sources::quoted_literal(trace_id))
}

fn now_ns() -> i64 {
    i64::try_from(Timestamp::now().as_nanosecond()).unwrap_or(i64::MAX)
}

impl LokiClient {
    /// A client for `config`.
    ///
    /// # Errors
    /// A URL that is not http(s), a header that is not valid, or a TLS setup failure.
    pub fn new(config: &LokiConfig) -> Result<Self, String> {
        let base = config.url.trim().trim_end_matches('/').to_owned();
        let parsed =
            Url::parse(&base).map_err(|e| clean(&format!("bad Loki URL `{base}`: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(clean(&format!(
                "bad Loki URL `{base}`: only http and https are supported"
            )));
        }
        let mut headers = Vec::new();
        for (name, value) in &config.headers {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|e| clean(&format!("bad Loki header `{name}`: {e}")))?;
            let value = HeaderValue::from_str(value)
                .map_err(|e| clean(&format!("bad value for Loki header `{name}`: {e}")))?;
            headers.push((name, value));
        }
        let tls = match &config.tls {
            Some(tls) => Arc::clone(tls),
            None => crate::tls::client_config(&crate::config::HttpTls::default())
                .map_err(|e| clean(&format!("Loki client: {e}")))?,
        };
        let http = crate::tls::reqwest_builder(&tls)
            .connect_timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| clean(&format!("Loki client: {e}")))?;
        Ok(Self {
            http,
            base,
            token: config.token.clone(),
            headers,
            tls,
            stream: LogStreamConfig::default(),
        })
    }

    /// The same client with the tail's ping interval and deadline of `stream`.
    #[must_use]
    pub fn with_stream(mut self, stream: LogStreamConfig) -> Self {
        self.stream = stream;
        self
    }

    /// One `query_range` page: at most `limit` entries in `[start_ns, end_ns)`, newest first
    /// for `Backward`, oldest first for `Forward`.
    ///
    /// # Errors
    /// Transport failures, HTTP errors (with Loki's message), bodies that are not log streams.
    pub async fn query_range(
        &self,
        query: &str,
        start_ns: i64,
        end_ns: i64,
        limit: usize,
        direction: Direction,
    ) -> Result<Vec<LokiEntry>, String> {
        let mut url = Url::parse(&format!("{}/loki/api/v1/query_range", self.base))
            .map_err(|e| clean(&format!("bad Loki URL: {e}")))?;
        url.query_pairs_mut()
            .append_pair("query", query)
            .append_pair("start", &start_ns.to_string())
            .append_pair("end", &end_ns.to_string())
            .append_pair("limit", &limit.to_string())
            .append_pair("direction", direction.as_str());
        let shown = format!("Loki query_range {query}");
        let mut request = self
            .http
            .get(url)
            .timeout(REQUEST_TIMEOUT)
            .header("accept", "application/json")
            .header(ENCODING_FLAGS.0, ENCODING_FLAGS.1);
        for (name, value) in &self.headers {
            request = request.header(name.as_str(), value.as_bytes());
        }
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        let mut response = request
            .send()
            .await
            .map_err(|e| clean(&format!("{shown}: {}", crate::sources::transport_cause(&e))))?;
        let status = response.status();
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| clean(&format!("{shown}: {}", crate::sources::transport_cause(&e))))?
        {
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(clean(&format!(
                    "{shown}: answer larger than {} MiB",
                    MAX_BODY_BYTES >> 20
                )));
            }
            body.extend_from_slice(&chunk);
        }
        if status == reqwest::StatusCode::BAD_REQUEST {
            // Loki answers a query it cannot parse or run with 400 and the reason as the body
            // (grafana/loki pkg/util/server/error.go writes `err.Error()`, e.g. the
            // `parse error at line 1, col 6: syntax error: unexpected IDENTIFIER` of
            // pkg/logql/syntax/errors.go `ParseError`, at 844391a3): kept whole, as the user
            // needs all of it to fix the query.
            // A JSON error body (`{"status":"error","errorType":"bad_data","error":"…"}`,
            // as some Loki versions and proxies send) is reduced to its message.
            let text = String::from_utf8_lossy(&body);
            let reason = serde_json::from_slice::<Value>(&body)
                .ok()
                .and_then(|v| {
                    ["error", "message"]
                        .iter()
                        .find_map(|k| v.get(*k).and_then(Value::as_str).map(str::to_owned))
                })
                .unwrap_or_else(|| text.trim().to_owned());
            return Err(crate::model::clean_multiline(&format!(
                "{REJECTED} (HTTP {status}): {reason}\nquery: {query}"
            )));
        }
        if !status.is_success() {
            let text = String::from_utf8_lossy(&body);
            let detail: String = text.trim().chars().take(200).collect();
            return Err(clean(&format!("{shown}: HTTP {status}: {detail}")));
        }
        let parsed: QueryResponse = serde_json::from_slice(&body)
            .map_err(|e| clean(&format!("{shown}: not a Loki answer: {e}")))?;
        if parsed.data.result_type != "streams" && !parsed.data.result.is_empty() {
            return Err(clean(&format!(
                "{shown}: the query returns {}, not log lines",
                parsed.data.result_type
            )));
        }
        let mut entries = entries_of(parsed.data.result);
        match direction {
            Direction::Forward => entries.sort_by_key(|e| e.timestamp_ns),
            Direction::Backward => entries.sort_by_key(|e| std::cmp::Reverse(e.timestamp_ns)),
        }
        Ok(entries)
    }

    /// Up to `max` of the newest entries in `[start_ns, end_ns)`, oldest first, paging
    /// backwards (see the module doc).
    ///
    /// # Errors
    /// The first page's error; a later page's error ends the history with what was read.
    pub async fn history(
        &self,
        query: &str,
        start_ns: i64,
        end_ns: i64,
        max: usize,
    ) -> Result<Vec<LokiEntry>, String> {
        let mut out: Vec<LokiEntry> = Vec::new();
        let mut end = end_ns;
        // Keys of the entries already taken at the boundary nanosecond (the oldest so far).
        let mut boundary: HashSet<u64> = HashSet::new();
        while out.len() < max && end > start_ns {
            let limit = PAGE_LINES.min(max - out.len() + boundary.len());
            let page = match self
                .query_range(query, start_ns, end, limit, Direction::Backward)
                .await
            {
                Ok(page) => page,
                Err(e) if out.is_empty() => return Err(e),
                Err(_) => break,
            };
            let full = page.len() >= limit;
            let Some(oldest) = page.last().map(|e| e.timestamp_ns) else {
                break;
            };
            let before = out.len();
            for entry in page {
                if out.len() >= max {
                    break;
                }
                if entry.timestamp_ns == end - 1 && boundary.contains(&entry.key()) {
                    continue;
                }
                out.push(entry);
            }
            if !full {
                break;
            }
            if out.len() == before {
                // A page of nothing but the boundary nanosecond: step past it.
                end = oldest;
                boundary.clear();
                continue;
            }
            boundary = out
                .iter()
                .rev()
                .take_while(|e| e.timestamp_ns == oldest)
                .map(LokiEntry::key)
                .collect();
            end = oldest + 1;
        }
        // Pages came newest first, each continuing the one before: reversed, the whole is
        // oldest first, and lines of one nanosecond keep the order Loki stored them in.
        out.reverse();
        Ok(out)
    }

    /// Opens the WebSocket tail of `query` from `start_ns`.
    ///
    /// # Errors
    /// The handshake's failure (connection refused, an HTTP answer instead of an upgrade).
    pub async fn tail(&self, query: &str, start_ns: i64) -> Result<Tail, String> {
        let ws_base = if let Some(rest) = self.base.strip_prefix("https://") {
            format!("wss://{rest}")
        } else if let Some(rest) = self.base.strip_prefix("http://") {
            format!("ws://{rest}")
        } else {
            self.base.clone()
        };
        let mut url = Url::parse(&format!("{ws_base}/loki/api/v1/tail"))
            .map_err(|e| clean(&format!("bad Loki URL: {e}")))?;
        url.query_pairs_mut()
            .append_pair("query", query)
            .append_pair("start", &start_ns.to_string())
            .append_pair("limit", &PAGE_LINES.to_string());
        let mut request = url
            .as_str()
            .into_client_request()
            .map_err(|e| clean(&format!("Loki tail: {e}")))?;
        let headers = request.headers_mut();
        headers.insert(
            HeaderName::from_static("x-loki-response-encoding-flags"),
            HeaderValue::from_static(ENCODING_FLAGS.1),
        );
        for (name, value) in &self.headers {
            headers.insert(name.clone(), value.clone());
        }
        if let Some(token) = &self.token {
            let value = HeaderValue::from_str(&format!("Bearer {token}"))
                .map_err(|e| clean(&format!("Loki token: {e}")))?;
            headers.insert(HeaderName::from_static("authorization"), value);
        }
        let connect = tokio_tungstenite::connect_async_tls_with_config(
            request,
            None,
            false,
            Some(tokio_tungstenite::Connector::Rustls(Arc::clone(&self.tls))),
        );
        let (socket, _) = tokio::time::timeout(REQUEST_TIMEOUT, connect)
            .await
            .map_err(|_| "Loki tail: no answer".to_owned())?
            .map_err(|e| {
                let why = crate::tls::explain(&e).unwrap_or_else(|| e.to_string());
                clean(&format!("Loki tail: {why}"))
            })?;
        Ok(Tail {
            socket,
            live: Liveness::new(
                self.stream.loki_ping,
                self.stream.loki_pong_timeout,
                tokio::time::Instant::now(),
            ),
            ping_every: self.stream.loki_ping,
            silence: None,
        })
    }
}

/// One frame of the live tail.
#[derive(Debug, Clone, Default)]
pub struct TailFrame {
    /// Oldest first.
    pub entries: Vec<LokiEntry>,
    /// How many entries Loki dropped because the client was too slow.
    pub dropped: usize,
    /// The dropped entries' stream labels and timestamps (ns), as far as Loki named them.
    pub dropped_at: Vec<(BTreeMap<String, String>, i64)>,
}

/// An open WebSocket tail, pinged so that a half-open connection is noticed (see
/// [`super::watchdog`]).
pub struct Tail {
    socket: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    live: Liveness,
    ping_every: Duration,
    /// Set when the tail ended because nothing came within the deadline: how long.
    silence: Option<Duration>,
}

impl std::fmt::Debug for Tail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Tail")
    }
}

impl Tail {
    /// Whether the tail ended because nothing (not even a pong) came within the deadline,
    /// and after how long.
    #[must_use]
    pub fn silence(&self) -> Option<Duration> {
        self.silence
    }

    /// The next frame; `None` when the socket closed, an error when it broke, sent junk or
    /// went silent ([`Self::silence`] then says so). Pings go out while it waits.
    pub async fn next(&mut self) -> Option<Result<TailFrame, String>> {
        loop {
            // Dropping `next()` at the timeout loses nothing: the stream keeps its buffer.
            let waited = tokio::time::timeout_at(self.live.next_wake(), self.socket.next()).await;
            let message = match waited {
                Err(_) => {
                    let now = tokio::time::Instant::now();
                    match self.live.wake(now) {
                        Wake::Dead => return Some(Err(self.silent(now))),
                        Wake::Wait => continue,
                        Wake::Ping => {
                            // Bounded: a half-open socket takes writes until its buffer fills.
                            let ping = self.socket.send(Message::Ping(Vec::new().into()));
                            match tokio::time::timeout(self.ping_every, ping).await {
                                Ok(Ok(())) => continue,
                                Ok(Err(e)) => {
                                    return Some(Err(clean(&format!("Loki tail: ping: {e}"))));
                                }
                                Err(_) => {
                                    return Some(Err(self.silent(tokio::time::Instant::now())));
                                }
                            }
                        }
                    }
                }
                Ok(None) => return None,
                Ok(Some(Err(e))) => return Some(Err(clean(&format!("Loki tail: {e}")))),
                Ok(Some(Ok(m))) => m,
            };
            // Any frame, a pong or lines, shows the connection is alive.
            self.live.heard(tokio::time::Instant::now());
            let text = match message {
                Message::Text(text) => text,
                Message::Close(_) => return None,
                _ => continue,
            };
            let parsed: TailJson = match serde_json::from_str(text.as_str()) {
                Ok(p) => p,
                Err(e) => return Some(Err(clean(&format!("Loki tail: bad frame: {e}")))),
            };
            let mut entries = entries_of(parsed.streams.unwrap_or_default());
            entries.sort_by_key(|e| e.timestamp_ns);
            let dropped = parsed.dropped_entries.unwrap_or_default();
            let dropped_at = dropped.iter().filter_map(dropped_entry).collect();
            return Some(Ok(TailFrame {
                entries,
                dropped: dropped.len(),
                dropped_at,
            }));
        }
    }

    fn silent(&mut self, now: tokio::time::Instant) -> String {
        let silent = self.live.silent_for(now);
        self.silence = Some(silent);
        format!(
            "Loki tail: nothing, not even a pong, for {}",
            spoken(silent)
        )
    }
}

/// One `dropped_entries` item: `{"labels":{…},"timestamp":"<ns>"}`.
fn dropped_entry(value: &Value) -> Option<(BTreeMap<String, String>, i64)> {
    let ts = value.get("timestamp")?.as_str()?.parse::<i64>().ok()?;
    let labels = value
        .get("labels")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                .collect()
        })
        .unwrap_or_default();
    Some((labels, ts))
}

/// The newest position delivered, for dropping repeats at the seams (history → tail → poll).
#[derive(Debug, Default)]
struct Cursor {
    last_ns: i64,
    at_last: HashSet<u64>,
}

impl Cursor {
    /// Whether `entry` is new; records it.
    fn fresh(&mut self, entry: &LokiEntry) -> bool {
        if entry.timestamp_ns < self.last_ns {
            return false;
        }
        if entry.timestamp_ns > self.last_ns {
            self.last_ns = entry.timestamp_ns;
            self.at_last.clear();
        }
        self.at_last.insert(entry.key())
    }
}

/// Starts the Loki source. It idles until a `Control::Logs` target arrives.
#[must_use]
pub fn spawn(
    backend: LokiConfig,
    generation: u64,
    events: mpsc::Sender<SourceEvent>,
) -> SourceHandle {
    spawn_with(backend, generation, events, LogStreamConfig::default())
}

/// [`spawn`] with the tail's ping interval and deadline of `stream` (`[log_stream]`).
#[must_use]
pub fn spawn_with(
    backend: LokiConfig,
    generation: u64,
    events: mpsc::Sender<SourceEvent>,
    stream: LogStreamConfig,
) -> SourceHandle {
    let (control_tx, mut control_rx) = mpsc::channel::<Control>(8);
    let reporter = Reporter::new(SourceId::Logs, generation, events);
    let task = tokio::spawn(async move {
        let client = match LokiClient::new(&backend) {
            Ok(c) => Arc::new(c.with_stream(stream)),
            Err(message) => {
                let _ = reporter.error(message, None).await;
                while control_rx.recv().await.is_some() {}
                return;
            }
        };
        idle(&reporter, NO_TARGET).await;
        session_per_target(&mut control_rx, &reporter, |target| {
            Ok(tokio::spawn(run(
                Arc::clone(&client),
                target,
                reporter.clone(),
            )))
        })
        .await;
    });
    SourceHandle::new(SourceId::Logs, control_tx, task)
}

/// Sends entries as lines (through `cursor`, which drops repeats) in batches.
async fn deliver(reporter: &Reporter, cursor: &mut Cursor, entries: &[LokiEntry]) -> bool {
    let mut items = Vec::new();
    for entry in entries {
        if cursor.fresh(entry) {
            items.push(LogItem::Line(entry.to_log_line()));
        }
        if items.len() >= BATCH_LINES && !send(reporter, std::mem::take(&mut items)).await {
            return false;
        }
    }
    send(reporter, items).await
}

/// The history of a target: the query used and the entries, with the trace filter fallback.
async fn history(
    client: &LokiClient,
    base: &str,
    trace_id: Option<&str>,
    start: i64,
    end: i64,
    notices: &mut Vec<LogItem>,
) -> Result<(String, Vec<LokiEntry>), String> {
    let Some(id) = trace_id else {
        let entries = client.history(base, start, end, HISTORY_LINES).await?;
        return Ok((base.to_owned(), entries));
    };
    let by_metadata = trace_query(base, id);
    let why = match client
        .history(&by_metadata, start, end, HISTORY_LINES)
        .await
    {
        Ok(entries) if !entries.is_empty() => return Ok((by_metadata, entries)),
        Ok(_) => "no line carries it as structured metadata".to_owned(),
        Err(e) => format!("the structured-metadata filter failed: {e}"),
    };
    let by_text = trace_text_query(base, id);
    notices.push(LogItem::Notice(clean(&format!(
        "trace {id}: {why}; searching the line text instead ({by_text})"
    ))));
    let entries = client.history(&by_text, start, end, HISTORY_LINES).await?;
    Ok((by_text, entries))
}

/// One target: history, then the live tail (or polling).
async fn run(client: Arc<LokiClient>, target: LogTarget, reporter: Reporter) {
    let Some(base) = base_query(&target) else {
        let _ = reporter.health(SourceHealth::Off).await;
        let _ = send(&reporter, vec![LogItem::Notice(NO_TARGET.into())]).await;
        return;
    };
    let span = target.since.unwrap_or(HISTORY);
    let (start, end, follow) = super::window::loki_range(&target, span, Timestamp::now());
    let mut attempt = 0;
    let mut notices = Vec::new();
    let (query, entries) = loop {
        notices.clear();
        match history(
            &client,
            &base,
            target.trace_id.as_deref(),
            start,
            end,
            &mut notices,
        )
        .await
        {
            Ok(found) => break found,
            Err(message) if is_rejection(&message) => {
                // A bad query stays bad: say why in full, and read nothing more for it.
                let _ = send(&reporter, vec![LogItem::QueryError(message.clone())]).await;
                let _ = reporter.error(message, None).await;
                return;
            }
            Err(message) => {
                if !reporter.error(message, None).await {
                    return;
                }
                tokio::time::sleep(backoff(attempt)).await;
                attempt += 1;
            }
        }
    };
    if !reporter
        .health(SourceHealth::Ok {
            at: Timestamp::now(),
        })
        .await
    {
        return;
    }
    if entries.len() >= HISTORY_LINES {
        let over = target.window.map_or_else(
            || format!("the last {} min", span.as_secs() / 60),
            crate::model::window::TimeWindow::label,
        );
        notices.push(LogItem::Notice(format!(
            "history: the newest {HISTORY_LINES} lines of {over}"
        )));
    }
    if !follow && let Some(window) = target.window {
        notices.push(LogItem::Notice(format!(
            "window {}: read once, no live tail (the window is in the past)",
            window.label()
        )));
    }
    if !send(&reporter, notices).await {
        return;
    }
    let mut cursor = Cursor {
        last_ns: end.saturating_sub(1),
        at_last: HashSet::new(),
    };
    if let Some(first) = entries.first() {
        cursor.last_ns = first.timestamp_ns;
    }
    if !deliver(&reporter, &mut cursor, &entries).await {
        return;
    }
    drop(entries);
    if !follow {
        return;
    }

    live(&client, &query, &mut cursor, &reporter).await;
}

/// Follows `query` from `cursor`: the WebSocket tail while it works, else `query_range`
/// polling, trying the tail again every [`TAIL_RETRY`]. A tail that closes after running a
/// while (Loki ends tails after `tail_max_duration`, one hour by default) is simply reopened,
/// and so is one that went silent (no frame, not even a pong, within the deadline: a
/// half-open connection), from the newest line delivered; the cursor drops what the new tail
/// sends again. Entries Loki says it dropped are fetched again with `query_range`.
async fn live(client: &LokiClient, query: &str, cursor: &mut Cursor, reporter: &Reporter) {
    let mut polling = false;
    let mut last_good = Timestamp::now();
    // A silent tail given up: said once the new one is open.
    let mut silence: Option<Duration> = None;
    let mut throttle = NoticeThrottle::new(SILENCE_NOTICES);
    loop {
        let opened = tokio::time::Instant::now();
        let why = match client.tail(query, cursor.last_ns).await {
            Ok(mut tail) => {
                let mut notices = Vec::new();
                if polling {
                    polling = false;
                    notices.push(LogItem::Notice("live tail is back".into()));
                }
                if let Some(silent) = silence.take()
                    && let Some(held) = throttle.allow(opened)
                {
                    let from = (cursor.last_ns > 0).then_some(cursor.last_ns);
                    notices.push(LogItem::Notice(reconnect_notice(
                        "Loki live tail",
                        silent,
                        from,
                        held,
                    )));
                }
                if !send(reporter, notices).await
                    || !reporter
                        .health(SourceHealth::Ok {
                            at: Timestamp::now(),
                        })
                        .await
                {
                    return;
                }
                let why = loop {
                    match tail.next().await {
                        Some(Ok(frame)) => {
                            if !deliver(reporter, cursor, &frame.entries).await {
                                return;
                            }
                            if frame.dropped > 0
                                && !refetch_dropped(client, query, &frame, reporter).await
                            {
                                return;
                            }
                        }
                        Some(Err(e)) => break e,
                        None => break "Loki closed the live tail".to_owned(),
                    }
                };
                if let Some(silent) = tail.silence() {
                    // Half-open: a new connection, at once.
                    silence = Some(silent);
                    continue;
                }
                why
            }
            Err(e) => e,
        };
        if !polling && opened.elapsed() >= TAIL_RETRY {
            // A long-lived tail that ended: reopen it from where it stopped.
            continue;
        }
        if !polling {
            polling = true;
            // The polling notice says what happened instead; no "reconnected" later.
            silence = None;
            let notice = format!(
                "live tail unavailable ({why}); polling Loki every {} s",
                POLL_INTERVAL.as_secs()
            );
            if !send(reporter, vec![LogItem::Notice(clean(&notice))]).await {
                return;
            }
        }
        let retry_at = tokio::time::Instant::now() + TAIL_RETRY;
        while tokio::time::Instant::now() < retry_at {
            tokio::time::sleep(POLL_INTERVAL).await;
            if !poll(client, query, cursor, reporter, &mut last_good).await {
                return;
            }
        }
    }
}

/// At most one "reconnected after silence" notice this often.
const SILENCE_NOTICES: Duration = Duration::from_mins(5);

/// Entries Loki dropped from the tail (the client was too slow): fetched again with
/// `query_range` over their time span and delivered, with a notice of how many came back.
/// They are older than the newest line delivered, so they bypass the cursor; the pane shows
/// them where they arrive. `false` when the app has gone away.
async fn refetch_dropped(
    client: &LokiClient,
    query: &str,
    frame: &TailFrame,
    reporter: &Reporter,
) -> bool {
    let mut items = Vec::new();
    let recovered = match super::tail_gaps::refetch(client, query, &frame.dropped_at).await {
        Ok(entries) => {
            let n = entries.len();
            items.extend(entries.iter().map(|e| LogItem::Line(e.to_log_line())));
            format!("{n} fetched again with query_range")
        }
        Err(e) => format!("fetching them again failed: {e}"),
    };
    items.insert(
        0,
        LogItem::Notice(clean(&format!(
            "Loki dropped {} line(s) from the live tail (too many to send); {recovered}",
            frame.dropped
        ))),
    );
    send(reporter, items).await
}

/// One polling round: forward pages from the last line seen until a page is not full.
/// Errors are reported as the source's health; `false` when the app has gone away.
async fn poll(
    client: &LokiClient,
    query: &str,
    cursor: &mut Cursor,
    reporter: &Reporter,
    last_good: &mut Timestamp,
) -> bool {
    loop {
        let from = cursor.last_ns;
        match client
            .query_range(query, from, now_ns(), HISTORY_LINES, Direction::Forward)
            .await
        {
            Ok(page) => {
                let full = page.len() >= HISTORY_LINES;
                *last_good = Timestamp::now();
                if !deliver(reporter, cursor, &page).await
                    || !reporter.health(SourceHealth::Ok { at: *last_good }).await
                {
                    return false;
                }
                if !full || cursor.last_ns == from {
                    return true;
                }
            }
            Err(message) => return reporter.error(message, Some(*last_good)).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(ts: i64, line: &str, metadata: &[(&str, &str)]) -> LokiEntry {
        LokiEntry {
            timestamp_ns: ts,
            line: line.into(),
            labels: Arc::new(BTreeMap::from([("service_name".into(), "cart".into())])),
            metadata: metadata
                .iter()
                .map(|(k, v)| ((*k).into(), (*v).into()))
                .collect(),
        }
    }

    #[test]
    fn queries_are_built_from_the_target() {
        let mut target = LogTarget {
            service: Some("cart".into()),
            ..LogTarget::default()
        };
        assert_eq!(base_query(&target).unwrap(), r#"{service_name="cart"}"#);
        target.logql = Some(r#"{namespace="shop", app="cart"}"#.into());
        let base = base_query(&target).unwrap();
        assert_eq!(base, r#"{namespace="shop", app="cart"}"#);
        assert_eq!(
            trace_query(&base, "4bf9"),
            r#"{namespace="shop", app="cart"} | trace_id="4bf9""#
        );
        assert_eq!(
            trace_text_query("{a=\"b\"}", "x\"y"),
            r#"{a="b"} |= "x\"y""#
        );
        assert!(base_query(&LogTarget::default()).is_none());
    }

    #[test]
    fn nanosecond_strings_are_read_exactly() {
        let streams: Vec<StreamJson> = serde_json::from_str(
            r#"[{"stream":{"app":"cart"},"values":[["1763798400123456789","hi",{"structuredMetadata":{"trace_id":"abc123"}}],["1763798400123456788","lo"]]}]"#,
        )
        .unwrap();
        let entries = entries_of(streams);
        assert_eq!(entries[0].timestamp_ns, 1_763_798_400_123_456_789);
        assert_eq!(entries[1].timestamp_ns, 1_763_798_400_123_456_788);
        assert_eq!(entries[0].metadata_trace_id(), Some("abc123"));
        assert_eq!(entries[1].metadata_trace_id(), None);
    }

    #[test]
    fn metadata_trace_ids_are_written_into_the_line() {
        let ts = 1_763_798_400_123_456_789;
        let plain = entry(ts, "INFO paid", &[("trace_id", "4bf92f3577b34da6")]).to_log_line();
        assert_eq!(plain.trace_id(), Some("4bf92f3577b34da6"));
        assert_eq!(
            plain.level().map(crate::model::logs::level::Level::as_str),
            Some("INFO")
        );
        assert_eq!(plain.timestamp().unwrap().as_nanosecond(), i128::from(ts));
        let json = entry(
            ts,
            r#"{"level":"error","msg":"boom"}"#,
            &[("trace_id", "4bf92f3577b34da6")],
        )
        .to_log_line();
        assert_eq!(json.trace_id(), Some("4bf92f3577b34da6"));
        assert_eq!(json.message(), "boom");
        let empty = entry(ts, "{}", &[("trace_id", "ab")]).to_log_line();
        assert_eq!(empty.trace_id(), Some("ab"));
        // The line's own id wins.
        let own = entry(ts, "msg trace_id=aaaa", &[("trace_id", "bbbb")]).to_log_line();
        assert_eq!(own.trace_id(), Some("aaaa"));
    }

    #[test]
    fn the_cursor_drops_repeats_at_the_seam() {
        let mut c = Cursor::default();
        let a = entry(5, "a", &[]);
        let b = entry(5, "b", &[]);
        assert!(c.fresh(&a));
        assert!(c.fresh(&b));
        assert!(!c.fresh(&a));
        assert!(!c.fresh(&entry(4, "z", &[])));
        assert!(c.fresh(&entry(6, "a", &[])));
    }
}
