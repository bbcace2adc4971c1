//! The trace types every backend is parsed into: [`Span`], [`Trace`] (with the cap on spans
//! held) and [`TraceSummary`], one row of the trace list.

use std::collections::HashSet;
use std::sync::Arc;

/// Most spans one [`Trace`] holds. A runaway trace (a batch job with a span per row) can have
/// hundreds of thousands; the waterfall is unreadable long before that and memory must stay
/// bounded (design rule 8). Spans past the cap are dropped, earliest-starting kept, and
/// counted in [`Trace::dropped`] so the pane can say so.
pub const MAX_SPANS_PER_TRACE: usize = 10_000;

/// What a span represents (OTLP `SpanKind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum SpanKind {
    #[default]
    Unspecified,
    Internal,
    Server,
    Client,
    Producer,
    Consumer,
}

impl SpanKind {
    /// From the OTLP integer (`2`) or name (`SPAN_KIND_SERVER`, or Jaeger's `server`).
    #[must_use]
    pub fn from_code(code: i64) -> Self {
        match code {
            1 => Self::Internal,
            2 => Self::Server,
            3 => Self::Client,
            4 => Self::Producer,
            5 => Self::Consumer,
            _ => Self::Unspecified,
        }
    }

    #[must_use]
    pub fn from_name(name: &str) -> Self {
        let name = name.trim();
        let short = name.strip_prefix("SPAN_KIND_").unwrap_or(name);
        match short.to_ascii_lowercase().as_str() {
            "internal" => Self::Internal,
            "server" => Self::Server,
            "client" => Self::Client,
            "producer" => Self::Producer,
            "consumer" => Self::Consumer,
            _ => Self::Unspecified,
        }
    }

    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Unspecified => "unspecified",
            Self::Internal => "internal",
            Self::Server => "server",
            Self::Client => "client",
            Self::Producer => "producer",
            Self::Consumer => "consumer",
        }
    }
}

/// OTLP `Status.code`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum StatusCode {
    #[default]
    Unset,
    Ok,
    Error,
}

impl StatusCode {
    #[must_use]
    pub fn from_code(code: i64) -> Self {
        match code {
            1 => Self::Ok,
            2 => Self::Error,
            _ => Self::Unset,
        }
    }

    /// `STATUS_CODE_ERROR`, `ERROR`, `error` (TraceQL), ...
    #[must_use]
    pub fn from_name(name: &str) -> Self {
        let name = name.trim();
        let short = name.strip_prefix("STATUS_CODE_").unwrap_or(name);
        match short.to_ascii_lowercase().as_str() {
            "ok" => Self::Ok,
            "error" => Self::Error,
            _ => Self::Unset,
        }
    }

    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Unset => "unset",
            Self::Ok => "ok",
            Self::Error => "error",
        }
    }
}

/// A span's outcome; `message` is only meaningful for errors.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SpanStatus {
    pub code: StatusCode,
    pub message: String,
}

/// Something that happened at a point inside a span (an exception, a retry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpanEvent {
    pub time_ns: i64,
    pub name: String,
    pub attributes: Vec<(String, String)>,
}

/// One span. Ids are lowercase hex; every string is already cleaned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub trace_id: String,
    pub span_id: String,
    pub parent_id: Option<String>,
    pub name: String,
    /// `service.name` of the resource (shared between the spans of one resource).
    pub service: Arc<str>,
    pub kind: SpanKind,
    /// Unix nanoseconds.
    pub start_ns: i64,
    pub duration_ns: i64,
    pub status: SpanStatus,
    pub attributes: Vec<(String, String)>,
    /// Resource attributes besides `service.name` (host, pod, version...).
    pub resource: Vec<(String, String)>,
    pub events: Vec<SpanEvent>,
}

impl Span {
    #[must_use]
    pub fn end_ns(&self) -> i64 {
        self.start_ns.saturating_add(self.duration_ns.max(0))
    }

    #[must_use]
    pub fn is_error(&self) -> bool {
        self.status.code == StatusCode::Error
    }

    /// The value of a span attribute, if present.
    #[must_use]
    pub fn attribute(&self, key: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// One trace: its spans sorted by start time, at most [`MAX_SPANS_PER_TRACE`] of them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Trace {
    pub trace_id: String,
    pub spans: Vec<Span>,
    /// Spans left out because of the cap.
    pub dropped: usize,
}

impl Trace {
    /// Builds a trace from parsed spans: sorts them by start (stable, so equal starts keep the
    /// wire order) and applies the cap. The trace id is the first span's unless given.
    #[must_use]
    pub fn from_spans(trace_id: Option<String>, mut spans: Vec<Span>) -> Self {
        spans.sort_by_key(|s| s.start_ns);
        let dropped = spans.len().saturating_sub(MAX_SPANS_PER_TRACE);
        spans.truncate(MAX_SPANS_PER_TRACE);
        let trace_id = trace_id
            .or_else(|| spans.first().map(|s| s.trace_id.clone()))
            .unwrap_or_default();
        Self {
            trace_id,
            spans,
            dropped,
        }
    }

    /// Earliest span start (unix ns); 0 for an empty trace.
    #[must_use]
    pub fn start_ns(&self) -> i64 {
        self.spans.iter().map(|s| s.start_ns).min().unwrap_or(0)
    }

    /// Latest span end (unix ns); 0 for an empty trace.
    #[must_use]
    pub fn end_ns(&self) -> i64 {
        self.spans.iter().map(Span::end_ns).max().unwrap_or(0)
    }

    #[must_use]
    pub fn duration_ns(&self) -> i64 {
        self.end_ns().saturating_sub(self.start_ns()).max(0)
    }

    /// Indices of spans with no parent, or whose parent is not in the trace (orphans: the
    /// parent was dropped, not yet received, or sampled away), in start order.
    #[must_use]
    pub fn roots(&self) -> Vec<usize> {
        let ids: HashSet<&str> = self.spans.iter().map(|s| s.span_id.as_str()).collect();
        self.spans
            .iter()
            .enumerate()
            .filter(|(_, s)| {
                s.parent_id
                    .as_deref()
                    .is_none_or(|p| p == s.span_id || !ids.contains(p))
            })
            .map(|(i, _)| i)
            .collect()
    }

    /// The true root: the first span without a parent id at all, else the first orphan.
    #[must_use]
    pub fn root(&self) -> Option<&Span> {
        self.spans
            .iter()
            .find(|s| s.parent_id.is_none())
            .or_else(|| self.roots().first().map(|&i| &self.spans[i]))
    }

    /// Distinct services in order of first appearance (by start time).
    #[must_use]
    pub fn services(&self) -> Vec<Arc<str>> {
        let mut seen = HashSet::new();
        self.spans
            .iter()
            .filter(|s| seen.insert(Arc::clone(&s.service)))
            .map(|s| Arc::clone(&s.service))
            .collect()
    }

    #[must_use]
    pub fn has_error(&self) -> bool {
        self.spans.iter().any(Span::is_error)
    }

    #[must_use]
    pub fn error_count(&self) -> usize {
        self.spans.iter().filter(|s| s.is_error()).count()
    }
}

/// One row of the trace list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceSummary {
    pub trace_id: String,
    pub root_service: String,
    pub root_name: String,
    pub start: jiff::Timestamp,
    pub duration_ns: i64,
    /// Spans in the trace when known (Jaeger sends whole traces); for Tempo search, the
    /// number of spans that matched the query, which is a lower bound.
    pub span_count: usize,
    /// Whether an error span is known. Tempo search only says so when the query selected
    /// status; `false` means "none seen", not "none exist".
    pub error: bool,
}

impl TraceSummary {
    /// The summary of a whole trace (Jaeger search answers with whole traces).
    #[must_use]
    pub fn from_trace(trace: &Trace) -> Self {
        let root = trace.root();
        Self {
            trace_id: trace.trace_id.clone(),
            root_service: root.map(|s| s.service.to_string()).unwrap_or_default(),
            root_name: root.map(|s| s.name.clone()).unwrap_or_default(),
            start: timestamp_from_ns(trace.start_ns()),
            duration_ns: trace.duration_ns(),
            span_count: trace.spans.len() + trace.dropped,
            error: trace.has_error(),
        }
    }
}

/// Unix nanoseconds as a timestamp; out-of-range values become the epoch.
#[must_use]
pub fn timestamp_from_ns(ns: i64) -> jiff::Timestamp {
    jiff::Timestamp::from_nanosecond(i128::from(ns)).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
}

/// A plain span for tests elsewhere in the module.
#[cfg(test)]
pub(crate) fn test_span(id: &str, parent: Option<&str>, start: i64, dur: i64) -> Span {
    Span {
        trace_id: "t".into(),
        span_id: id.into(),
        parent_id: parent.map(Into::into),
        name: id.into(),
        service: Arc::from("svc"),
        kind: SpanKind::Internal,
        start_ns: start,
        duration_ns: dur,
        status: SpanStatus::default(),
        attributes: Vec::new(),
        resource: Vec::new(),
        events: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_helpers() {
        let mut err = test_span("c", Some("a"), 30, 5);
        err.status.code = StatusCode::Error;
        let t = Trace::from_spans(
            None,
            vec![
                test_span("b", Some("missing"), 20, 100),
                test_span("a", None, 10, 50),
                err,
            ],
        );
        assert_eq!(t.start_ns(), 10);
        assert_eq!(t.end_ns(), 120);
        assert_eq!(t.duration_ns(), 110);
        assert_eq!(t.roots(), vec![0, 1]);
        assert_eq!(t.root().map(|s| s.span_id.as_str()), Some("a"));
        assert!(t.has_error());
        assert_eq!(t.services().len(), 1);
        let summary = TraceSummary::from_trace(&t);
        assert_eq!(summary.span_count, 3);
        assert!(summary.error);
    }

    #[test]
    fn the_cap_keeps_the_earliest_spans_and_counts_the_rest() {
        let spans = (0..i64::try_from(MAX_SPANS_PER_TRACE).unwrap() + 5)
            .rev()
            .map(|i| test_span(&i.to_string(), None, i, 1))
            .collect();
        let t = Trace::from_spans(Some("t".into()), spans);
        assert_eq!(t.spans.len(), MAX_SPANS_PER_TRACE);
        assert_eq!(t.dropped, 5);
        assert_eq!(t.spans[0].start_ns, 0);
    }

    #[test]
    fn enum_names_and_codes() {
        assert_eq!(SpanKind::from_name("SPAN_KIND_CLIENT"), SpanKind::Client);
        assert_eq!(SpanKind::from_name("server"), SpanKind::Server);
        assert_eq!(SpanKind::from_code(5), SpanKind::Consumer);
        assert_eq!(
            StatusCode::from_name("STATUS_CODE_ERROR"),
            StatusCode::Error
        );
        assert_eq!(StatusCode::from_code(1), StatusCode::Ok);
    }
}
