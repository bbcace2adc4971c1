//! Source ids: which backend an event comes from.

/// Which backend an event comes from. The status line lists them in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SourceId {
    Catalog,
    Platform,
    Argo,
    Kube,
    Postgres,
    Kafka,
    Logs,
    Traces,
    /// Alertmanager (and Prometheus's pending alerts).
    Alerts,
    /// A Prometheus-compatible metrics server.
    Metrics,
}

impl SourceId {
    pub const ALL: [Self; 10] = [
        Self::Catalog,
        Self::Platform,
        Self::Argo,
        Self::Kube,
        Self::Postgres,
        Self::Kafka,
        Self::Logs,
        Self::Traces,
        Self::Alerts,
        Self::Metrics,
    ];

    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Catalog => "catalog",
            Self::Platform => "platform",
            Self::Argo => "argo",
            Self::Kube => "kube",
            Self::Postgres => "pg",
            Self::Kafka => "kafka",
            Self::Logs => "logs",
            Self::Traces => "traces",
            Self::Alerts => "alerts",
            Self::Metrics => "metrics",
        }
    }
}
