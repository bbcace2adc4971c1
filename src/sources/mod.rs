//! Backends. Each runs as an isolated tokio task and reports to the app through
//! [`SourceEvent`]s; the app talks back through a [`Control`] channel. Real backends and the
//! sandbox implement the same shape, so panes cannot tell them apart.

pub mod alertmanager;
pub mod alerts;
pub mod backend;
pub mod backstage;
pub mod catalog_files;
pub mod catalog_map;
pub mod forward;
pub mod kafka;
pub mod kube;
pub mod logs;
pub mod metrics;
pub mod platform;
pub mod platform_feed;
pub mod poller;
pub mod postgres;
pub mod prometheus;
pub mod sandbox;
pub mod session;
pub mod trace_feed;
pub mod traces;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::model::{Catalog, SourceHealth};

pub use crate::model::source::SourceId;

/// What a source reports.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceBody {
    /// The whole catalog.
    Catalog(Arc<Catalog>),
    /// One database's sessions, blocking edges and our role's privileges.
    Postgres(Arc<crate::model::pg::PgSnapshot>),
    /// Brokers, topics, consumer groups and their lag.
    Kafka(Arc<crate::model::kafka::KafkaSnapshot>),
    /// What the Kubernetes watches see: Argo CD Applications and workloads.
    Kube(Arc<kube::KubeSnapshot>),
    /// Identity, requests and recent audit events.
    Platform(Arc<platform_feed::PlatformSnapshot>),
    /// Log lines and stream markers, in arrival order.
    Logs(Arc<logs::LogBatch>),
    /// The trace list of the current search.
    Traces(Arc<trace_feed::TraceList>),
    /// Every alert and silence of the context's Alertmanager.
    Alerts(Arc<crate::model::alerts::AlertsSnapshot>),
    /// Per-service metrics and SLO figures from a Prometheus-compatible server.
    Metrics(Arc<crate::model::metrics::MetricsSnapshot>),
    /// Freshness of the source's data.
    Health(SourceHealth),
}

/// One message from a source. `generation` is the context generation the source was started
/// for: after a context switch the app drops anything older (latest request wins).
#[derive(Debug, Clone)]
pub struct SourceEvent {
    pub source: SourceId,
    pub generation: u64,
    pub body: SourceBody,
}

/// What the app can ask of a running source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Control {
    /// Poll now, outside the cadence.
    Refresh,
    /// Narrow to one service (`None` = everything).
    SetScope(Option<String>),
    /// Stop polling (the user froze the view) or resume.
    Pause(bool),
    /// Poll at this interval from now on (sources clamp it to their own limits).
    SetInterval(Duration),
    /// Log sources: read this from now on (restarts the reading).
    Logs(Box<logs::LogTarget>),
    /// The traces source: search this from now on.
    TraceSearch(Box<traces::TraceSearch>),
}

/// Sending half used by source tasks; it stamps every event with the source and generation.
#[derive(Debug, Clone)]
pub struct Reporter {
    pub source: SourceId,
    pub generation: u64,
    tx: mpsc::Sender<SourceEvent>,
}

impl Reporter {
    #[must_use]
    pub fn new(source: SourceId, generation: u64, tx: mpsc::Sender<SourceEvent>) -> Self {
        Self {
            source,
            generation,
            tx,
        }
    }

    /// Sends one event. Returns `false` when the app has gone away, which tells the task to
    /// stop.
    pub async fn send(&self, body: SourceBody) -> bool {
        let event = SourceEvent {
            source: self.source,
            generation: self.generation,
            body,
        };
        self.tx.send(event).await.is_ok()
    }

    pub async fn health(&self, health: SourceHealth) -> bool {
        self.send(SourceBody::Health(health)).await
    }

    /// Reports the source as failing now with `message`, and when it last worked.
    pub async fn error(&self, message: String, last_good: Option<jiff::Timestamp>) -> bool {
        self.health(SourceHealth::Error {
            message,
            since: jiff::Timestamp::now(),
            last_good,
        })
        .await
    }
}

/// A running source task and its control channel. Dropping it stops the task.
#[derive(Debug)]
pub struct SourceHandle {
    pub id: SourceId,
    pub control: mpsc::Sender<Control>,
    task: tokio::task::JoinHandle<()>,
}

impl SourceHandle {
    #[must_use]
    pub fn new(
        id: SourceId,
        control: mpsc::Sender<Control>,
        task: tokio::task::JoinHandle<()>,
    ) -> Self {
        Self { id, control, task }
    }

    /// Sends a control message without waiting; a full channel means a request of the same
    /// kind is already queued, so dropping this one is fine.
    pub fn send(&self, control: Control) {
        let _ = self.control.try_send(control);
    }
}

impl Drop for SourceHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A double-quoted string literal with `"` and `\` escaped, as LogQL and TraceQL both
/// write them.
#[must_use]
pub fn quoted_literal(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        if matches!(c, '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// Why an HTTP request failed, in the words a user can act on: "timed out", or the
/// innermost cause ("Connection refused", "dns error: failed to lookup address"). The outer
/// layers repeat the URL (with its query string) and say nothing more.
#[must_use]
pub fn transport_cause(err: &reqwest::Error) -> String {
    if err.is_timeout() {
        return "timed out".to_owned();
    }
    if let Some(tls) = crate::tls::explain(err) {
        return tls;
    }
    let mut cause: &dyn std::error::Error = err;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

/// The error and its causes on one line (a TLS failure in words); the outer Display of
/// reqwest and kube hides the useful part ("client error (Connect)" without the DNS or
/// connection error under it).
#[must_use]
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    if let Some(tls) = crate::tls::explain(e) {
        return tls;
    }
    let mut parts = vec![e.to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        // Layers often repeat their cause in their own text: say each thing once.
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}

/// Backoff between reconnect attempts of a failing source: 1 s doubling up to 30 s.
#[must_use]
pub fn backoff(attempt: u32) -> Duration {
    Duration::from_secs(1u64 << attempt.min(5)).min(Duration::from_secs(30))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An error whose text may repeat its cause's, as kube's and hyper's do.
    #[derive(Debug)]
    struct Layer(&'static str, Option<Box<Layer>>);

    impl std::fmt::Display for Layer {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }

    impl std::error::Error for Layer {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            self.1.as_deref().map(|l| l as _)
        }
    }

    #[test]
    fn error_chain_says_each_cause_once_down_to_the_innermost() {
        let dns = Layer("dns error: failed to lookup address information", None);
        let connect = Layer("client error (Connect)", Some(Box::new(dns)));
        let service = Layer(
            "ServiceError: client error (Connect)",
            Some(Box::new(connect)),
        );
        let list = Layer(
            "failed to perform initial object list: ServiceError: client error (Connect)",
            Some(Box::new(service)),
        );
        assert_eq!(
            error_chain(&list),
            "failed to perform initial object list: ServiceError: client error (Connect): \
             dns error: failed to lookup address information"
        );
    }
}
