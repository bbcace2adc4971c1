//! Trace backends: Tempo and Jaeger clients behind one [`TraceBackend`], so the traces pane
//! searches and opens traces without knowing which server answers.
//!
//! The clients are plain async functions over a shared `reqwest::Client` (the caller sets
//! connect timeouts and TLS); each request also carries [`REQUEST_TIMEOUT`]. Errors are
//! cleaned `String`s naming the URL and the HTTP status, ready for the pane's error line.

pub mod http;
pub mod jaeger;
pub mod tempo;

use std::time::Duration;

use crate::model::traces::{Trace, TraceSummary};

pub use jaeger::JaegerClient;
pub use tempo::{SearchSyntax, TempoClient};

/// Longest a single search or trace fetch may take; a big trace from cold storage can take
/// several seconds, a hung proxy should not hold the pane forever.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Largest body read. A 10,000-span trace (the model's cap) is about 10-20 MB of JSON;
/// anything far beyond is refused rather than buffered.
pub const MAX_BODY_BYTES: usize = 64 << 20;

/// What the user asked for in the trace list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceSearch {
    /// Only traces touching this service (Jaeger requires one).
    pub service: Option<String>,
    /// A TraceQL query typed by the user (Tempo only). Sent as written: the structured
    /// filters below are then the user's to write into it.
    pub traceql: Option<String>,
    /// Only spans of this operation (Jaeger `operation`, TraceQL `name`).
    pub operation: Option<String>,
    /// Attribute conditions `key=value` (Jaeger `tags`, TraceQL `span.key=value`).
    pub tags: Vec<(String, String)>,
    /// Only traces (Jaeger) or spans (Tempo TraceQL) at least this long.
    pub min_duration: Option<Duration>,
    /// Only traces (Jaeger) or spans (Tempo TraceQL) at most this long.
    pub max_duration: Option<Duration>,
    /// Only traces with an error span.
    pub errors_only: bool,
    /// Most rows wanted.
    pub limit: usize,
    /// The window the user chose; the trace feed turns it into `start`/`end` when it sends
    /// the search (a relative window slides with every poll).
    pub window: Option<crate::model::window::TimeWindow>,
    pub start: Option<jiff::Timestamp>,
    pub end: Option<jiff::Timestamp>,
}

impl TraceSearch {
    /// The search with its window turned into `start`/`end` at `now`.
    #[must_use]
    pub fn resolved(&self, now: jiff::Timestamp) -> Self {
        let mut out = self.clone();
        if let Some(window) = self.window {
            let (from, to) = window.resolve(now);
            out.start = Some(from);
            out.end = Some(to);
        }
        out
    }

    /// Whether the user wrote any of it (a query, or a structured filter beyond the scope).
    #[must_use]
    pub fn is_custom(&self) -> bool {
        self.traceql.is_some()
            || self.operation.is_some()
            || !self.tags.is_empty()
            || self.max_duration.is_some()
    }
}

impl Default for TraceSearch {
    fn default() -> Self {
        Self {
            service: None,
            traceql: None,
            operation: None,
            tags: Vec::new(),
            min_duration: None,
            max_duration: None,
            errors_only: false,
            // Tempo's own default.
            limit: 20,
            window: None,
            start: None,
            end: None,
        }
    }
}

/// One trace server, whichever kind.
#[derive(Debug, Clone)]
pub enum TraceBackend {
    Tempo(TempoClient),
    Jaeger(JaegerClient),
}

impl TraceBackend {
    /// `tempo` or `jaeger`, for status lines.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Tempo(_) => "tempo",
            Self::Jaeger(_) => "jaeger",
        }
    }

    /// Searches for traces.
    ///
    /// # Errors
    /// Transport failures, non-2xx answers and unreadable bodies, as one line naming the URL.
    pub async fn search(&self, query: &TraceSearch) -> Result<Vec<TraceSummary>, String> {
        match self {
            Self::Tempo(c) => c.search(query).await,
            Self::Jaeger(c) => c.search(query).await,
        }
    }

    /// Fetches one trace by id (hex, any case; 16 or 32 digits).
    ///
    /// # Errors
    /// As [`Self::search`]; an id that is not hex is refused before any request.
    pub async fn trace(&self, trace_id: &str) -> Result<Trace, String> {
        match self {
            Self::Tempo(c) => c.trace(trace_id).await,
            Self::Jaeger(c) => c.trace(trace_id).await,
        }
    }
}

/// A duration as Go's `time.ParseDuration` and TraceQL both read it: whole milliseconds as
/// `500ms`, anything finer in microseconds (`1500us`), never below `1us` unless zero.
#[must_use]
pub fn go_duration(d: Duration) -> String {
    let micros = d.as_micros();
    if micros.is_multiple_of(1_000) {
        format!("{}ms", micros / 1_000)
    } else {
        format!("{micros}us")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_for_go_and_traceql() {
        assert_eq!(go_duration(Duration::from_millis(500)), "500ms");
        assert_eq!(go_duration(Duration::from_secs(2)), "2000ms");
        assert_eq!(go_duration(Duration::from_micros(1_500)), "1500us");
        assert_eq!(go_duration(Duration::ZERO), "0ms");
    }
}
