//! The metrics source: on each refresh (15 s by default, clamped to 1 s … 10 min) it asks a
//! [`MetricsBackend`] **one query per metric for all services** (grouped by the service
//! label), builds a [`MetricsSnapshot`] and sends it as [`SourceBody::Metrics`]. The number
//! of queries per refresh is the number of metrics (8 range queries for the sparklines and 5
//! instant queries for the SLO windows), whatever the number of services. The only extra
//! queries are per-service overrides (`opsdeck.io/promql-<metric>` annotations): one per
//! overridden metric of such a service.
//!
//! A range query covers `range` (1h by default) with a step of `range /
//! SPARKLINE_POINTS` (30 points, one per sparkline cell), at least 1 s.
//!
//! When every query fails (the server is down) the refresh fails: the last snapshot is kept
//! and the health shows the error and its age, as for every polled source. When some fail,
//! the snapshot carries their errors per metric.
//!
//! The catalog (services, SLO targets, overrides) reaches the source through a
//! [`CatalogTap`] on the catalog source's events.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures::future::BoxFuture;
use jiff::{SignedDuration, Timestamp};
use tokio::sync::{mpsc, watch};

use super::poller::{self, PollSettings};
use super::prometheus::{Evaluation, PrometheusClient};
use super::{Control, Reporter, SourceBody, SourceEvent, SourceHandle, SourceId};
use crate::model::Catalog;
use crate::model::metrics::{
    BuildOptions, Expansion, MetricKind, MetricsSnapshot, PromAnswer, PromError, QueryKind,
    QueryResult, SLO_KEY, SPARKLINE_POINTS, ServiceSpec, SloWindow, build_snapshot, expand,
    parse_duration,
};

/// One query of a refresh: what it is for, for which services, and its `PromQL`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricQuery {
    pub kind: QueryKind,
    /// `None`: every service; `Some`: a per-service override.
    pub service: Option<String>,
    /// The `{{window}}` it was expanded with.
    pub window: String,
    pub promql: String,
}

/// The reads of a metrics server. The real client and the sandbox implement it; the source
/// cannot tell them apart.
pub trait MetricsBackend: Send + Sync + fmt::Debug {
    /// Evaluates one query at an instant or over a range.
    fn evaluate<'a>(
        &'a self,
        query: &'a MetricQuery,
        at: Evaluation,
    ) -> BoxFuture<'a, Result<PromAnswer, PromError>>;

    /// What the snapshot names as its server.
    fn server(&self) -> String;
}

impl MetricsBackend for PrometheusClient {
    fn evaluate<'a>(
        &'a self,
        query: &'a MetricQuery,
        at: Evaluation,
    ) -> BoxFuture<'a, Result<PromAnswer, PromError>> {
        Box::pin(self.query(&query.promql, at))
    }

    fn server(&self) -> String {
        crate::model::clean(self.url())
    }
}

/// Counts the queries sent through a backend (benchmarks and tests).
#[derive(Debug)]
pub struct Counting<B> {
    pub inner: B,
    pub queries: AtomicUsize,
}

impl<B> Counting<B> {
    pub fn new(inner: B) -> Self {
        Self {
            inner,
            queries: AtomicUsize::new(0),
        }
    }

    pub fn count(&self) -> usize {
        self.queries.load(Ordering::Relaxed)
    }
}

impl<B: MetricsBackend> MetricsBackend for Counting<B> {
    fn evaluate<'a>(
        &'a self,
        query: &'a MetricQuery,
        at: Evaluation,
    ) -> BoxFuture<'a, Result<PromAnswer, PromError>> {
        self.queries.fetch_add(1, Ordering::Relaxed);
        self.inner.evaluate(query, at)
    }

    fn server(&self) -> String {
        self.inner.server()
    }
}

/// What the queries are built from: the templates and placeholder values.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricsSettings {
    pub service_label: String,
    pub pod_label: String,
    pub slo_window: String,
    pub slo_target: f64,
    /// What the sparklines cover.
    pub range: Duration,
    pub points: usize,
    pub refresh: Duration,
    /// Template per key of [`crate::model::metrics::TEMPLATE_KEYS`].
    pub templates: std::collections::BTreeMap<String, String>,
}

impl MetricsSettings {
    /// From a context's `prometheus` table.
    #[must_use]
    pub fn from_config(config: &crate::config::PrometheusConfig) -> Self {
        let templates = crate::model::metrics::TEMPLATE_KEYS
            .iter()
            .filter_map(|k| config.template(k).map(|t| ((*k).to_owned(), t)))
            .collect();
        Self {
            service_label: config.service_label.clone(),
            pod_label: config.pod_label.clone(),
            slo_window: config.slo_window.clone(),
            slo_target: config.slo_target,
            range: parse_duration(&config.range).unwrap_or(Duration::from_hours(1)),
            points: SPARKLINE_POINTS,
            refresh: Duration::from_millis(config.refresh_ms),
            templates,
        }
    }

    /// The defaults (`OpenTelemetry` convention, label `service`), as the sandbox uses them.
    #[must_use]
    pub fn defaults() -> Self {
        Self {
            service_label: "service".to_owned(),
            pod_label: "label_app_kubernetes_io_name".to_owned(),
            slo_window: "30d".to_owned(),
            slo_target: 99.9,
            range: Duration::from_hours(1),
            points: SPARKLINE_POINTS,
            refresh: Duration::from_millis(crate::config::PrometheusConfig::DEFAULT_REFRESH_MS),
            templates: crate::model::metrics::TEMPLATE_KEYS
                .iter()
                .filter_map(|k| {
                    crate::model::metrics::default_template(
                        k,
                        crate::model::metrics::Convention::default(),
                    )
                    .map(|t| ((*k).to_owned(), t))
                })
                .collect(),
        }
    }

    /// Seconds between sparkline points: the range over the points, at least 1.
    #[must_use]
    pub fn step_secs(&self) -> u64 {
        (self.range.as_secs() / u64::try_from(self.points.max(1)).unwrap_or(1)).max(1)
    }

    fn template_key(kind: QueryKind) -> &'static str {
        match kind {
            QueryKind::Metric(m) => m.key(),
            QueryKind::Slo(_) => SLO_KEY,
        }
    }

    fn window(&self, kind: QueryKind) -> String {
        match kind {
            QueryKind::Metric(m) => m.window().to_owned(),
            QueryKind::Slo(w) => w.duration(&self.slo_window).to_owned(),
        }
    }

    /// The queries of one refresh: one per kind for all services, then one per override.
    #[must_use]
    pub fn queries(&self, catalog: &Catalog) -> Vec<MetricQuery> {
        let all_selector = format!("{}!=\"\"", self.service_label);
        let mut out = Vec::with_capacity(QueryKind::all().len());
        for kind in QueryKind::all() {
            let window = self.window(kind);
            let Some(template) = self.templates.get(Self::template_key(kind)) else {
                continue;
            };
            out.push(MetricQuery {
                kind,
                service: None,
                promql: expand(
                    template,
                    &Expansion {
                        service_label: &self.service_label,
                        pod_label: &self.pod_label,
                        window: &window,
                        selector: &all_selector,
                    },
                ),
                window,
            });
        }
        for s in catalog.services() {
            for (key, template) in &s.mapping.metric_queries {
                let selector = format!("{}={}", self.service_label, super::quoted_literal(&s.name));
                for kind in QueryKind::all() {
                    if Self::template_key(kind) != key {
                        continue;
                    }
                    let window = self.window(kind);
                    out.push(MetricQuery {
                        kind,
                        service: Some(s.name.clone()),
                        promql: expand(
                            template,
                            &Expansion {
                                service_label: &self.service_label,
                                pod_label: &self.pod_label,
                                window: &window,
                                selector: &selector,
                            },
                        ),
                        window,
                    });
                }
            }
        }
        out
    }
}

/// One refresh: every query, concurrently; `Err` when all of them failed (the server is
/// unreachable or refuses everything), so the last snapshot is kept and the error shown.
pub async fn refresh(
    backend: &dyn MetricsBackend,
    settings: &MetricsSettings,
    catalog: &Catalog,
    now: Timestamp,
) -> Result<MetricsSnapshot, String> {
    let queries = settings.queries(catalog);
    let range = SignedDuration::try_from(settings.range).unwrap_or(SignedDuration::from_hours(1));
    let step_secs = settings.step_secs();
    let step = i64::try_from(step_secs).unwrap_or(60);
    // Align the range to the step, so consecutive refreshes show the same points.
    let end =
        Timestamp::from_second(now.as_second() - now.as_second().rem_euclid(step)).unwrap_or(now);
    let start = end.checked_sub(range).unwrap_or(end);
    let answers = futures::future::join_all(queries.iter().map(|q| {
        let at = match q.kind {
            QueryKind::Metric(_) => Evaluation::Range {
                start,
                end,
                step_secs,
            },
            QueryKind::Slo(_) => Evaluation::Instant(now),
        };
        backend.evaluate(q, at)
    }))
    .await;
    if !answers.is_empty() && answers.iter().all(Result::is_err) {
        let first = answers
            .iter()
            .find_map(|a| a.as_ref().err())
            .map(ToString::to_string)
            .unwrap_or_default();
        return Err(format!("{}: every query failed: {first}", backend.server()));
    }
    let results: Vec<QueryResult> = queries
        .into_iter()
        .zip(answers)
        .map(|(q, answer)| QueryResult {
            kind: q.kind,
            service: q.service,
            answer,
        })
        .collect();
    let services: Vec<ServiceSpec> = catalog
        .services()
        .map(|s| ServiceSpec {
            name: s.name.clone(),
            target: s.slo.as_ref().map(|slo| slo.target),
        })
        .collect();
    let server = backend.server();
    Ok(build_snapshot(
        now,
        &BuildOptions {
            service_label: &settings.service_label,
            slo_window: &settings.slo_window,
            default_target: settings.slo_target,
            server: &server,
            step_secs,
        },
        &services,
        results,
    ))
}

/// The catalog as the metrics source sees it: the latest one the catalog source sent.
pub type CatalogTap = watch::Receiver<Arc<Catalog>>;

/// Puts a tap on a channel of source events: returns the sender to give the catalog
/// source (its events go on to `events` unchanged) and a receiver of its latest catalog.
#[must_use]
pub fn tap_catalog(events: mpsc::Sender<SourceEvent>) -> (mpsc::Sender<SourceEvent>, CatalogTap) {
    let (tx, mut rx) = mpsc::channel::<SourceEvent>(16);
    let (catalog_tx, catalog_rx) = watch::channel(Arc::new(Catalog::default()));
    tokio::spawn(async move {
        while let Some(event) = rx.recv().await {
            if let SourceBody::Catalog(catalog) = &event.body {
                catalog_tx.send_replace(catalog.clone());
            }
            if events.send(event).await.is_err() {
                return;
            }
        }
    });
    (tx, catalog_rx)
}

/// Starts the metrics source.
#[must_use]
pub fn spawn(
    backend: Arc<dyn MetricsBackend>,
    settings: MetricsSettings,
    catalog: CatalogTap,
    generation: u64,
    events: mpsc::Sender<SourceEvent>,
) -> SourceHandle {
    let (control_tx, control_rx) = mpsc::channel::<Control>(8);
    let reporter = Reporter::new(SourceId::Metrics, generation, events);
    let interval = settings
        .refresh
        .clamp(Duration::from_secs(1), Duration::from_mins(10));
    let poll = PollSettings {
        interval,
        timeout: Duration::from_secs(30).min(interval.max(Duration::from_secs(10))),
    };
    let settings = Arc::new(settings);
    let task = tokio::spawn(poller::run(reporter, control_rx, poll, move |_scope| {
        let backend = backend.clone();
        let settings = settings.clone();
        let catalog = catalog.borrow().clone();
        async move {
            refresh(backend.as_ref(), &settings, &catalog, Timestamp::now())
                .await
                .map(|s| SourceBody::Metrics(Arc::new(s)))
        }
    }));
    SourceHandle::new(SourceId::Metrics, control_tx, task)
}

/// The metric kinds a refresh asks for, in order (for tests and the benchmark).
#[must_use]
pub fn kinds_per_refresh() -> usize {
    MetricKind::ALL.len() + SloWindow::ALL.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::metrics::{PromData, Reading, Sample};

    /// Answers every query with one series per service (`service` label); fails the kinds
    /// listed.
    #[derive(Debug)]
    struct Fake {
        services: Vec<String>,
        fail: Vec<QueryKind>,
    }

    impl MetricsBackend for Fake {
        fn evaluate<'a>(
            &'a self,
            query: &'a MetricQuery,
            _at: Evaluation,
        ) -> BoxFuture<'a, Result<PromAnswer, PromError>> {
            let answer = if self.fail.contains(&query.kind) {
                Err(PromError::Transport("refused".into()))
            } else {
                Ok(PromAnswer {
                    data: PromData::Vector(
                        self.services
                            .iter()
                            .map(|s| {
                                (
                                    [("service".to_owned(), s.clone())].into(),
                                    0.0,
                                    Sample::Value(0.5),
                                )
                            })
                            .collect(),
                    ),
                    warnings: Vec::new(),
                })
            };
            Box::pin(async move { answer })
        }

        fn server(&self) -> String {
            "fake".into()
        }
    }

    #[tokio::test]
    async fn one_query_per_kind_whatever_the_number_of_services() {
        for n in [1, 50, 500] {
            let services: Vec<String> = (0..n).map(|i| format!("s{i}")).collect();
            let backend = Counting::new(Fake {
                services,
                fail: Vec::new(),
            });
            let s = refresh(
                &backend,
                &MetricsSettings::defaults(),
                &Catalog::default(),
                Timestamp::UNIX_EPOCH,
            )
            .await
            .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(backend.count(), kinds_per_refresh());
            assert_eq!(s.queries, 13);
            assert_eq!(s.services.len(), n);
        }
    }

    #[tokio::test]
    async fn a_dead_server_fails_the_refresh_and_a_partial_one_does_not() {
        let dead = Fake {
            services: vec!["a".into()],
            fail: QueryKind::all(),
        };
        let settings = MetricsSettings::defaults();
        let err = refresh(&dead, &settings, &Catalog::default(), Timestamp::UNIX_EPOCH).await;
        assert!(err.is_err_and(|e| e.contains("every query failed: refused")));
        let partial = Fake {
            services: vec!["a".into()],
            fail: vec![QueryKind::Metric(MetricKind::Cpu)],
        };
        let s = refresh(
            &partial,
            &settings,
            &Catalog::default(),
            Timestamp::UNIX_EPOCH,
        )
        .await
        .unwrap_or_else(|e| panic!("{e}"));
        let a = s.service("a").expect("a");
        assert!(matches!(a.latest(MetricKind::Cpu), Reading::Error(_)));
        assert_eq!(a.latest(MetricKind::RequestRate), &Reading::Value(0.5));
    }

    #[test]
    fn step_fits_the_sparkline() {
        let s = MetricsSettings::defaults();
        assert_eq!(s.step_secs(), 120, "1h over 30 points");
        let q = s.queries(&Catalog::default());
        assert_eq!(q.len(), 13);
        assert!(q[0].promql.contains("by (service)"), "{}", q[0].promql);
        assert!(q[0].promql.contains(r#"service!="""#), "{}", q[0].promql);
        assert!(
            q.iter()
                .any(|q| q.kind == QueryKind::Slo(SloWindow::Period) && q.promql.contains("[30d]"))
        );
    }
}
