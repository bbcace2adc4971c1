//! The contexts other than the active one, seen through their cheap summary sources
//! (catalog, alerts, app health, waiting sessions, lag): what each holds, reduced at once to
//! the attention view's rows with the same function the active context uses.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::app::attention_feed::{FEEDS, freshness, mapped_workloads, oncall_of};
use crate::app::panes::PaneId;
use crate::app::panes::attention::ContextRows;
use crate::app::state::State;
use crate::model::alerts::{AlertsSnapshot, DEFAULT_SERVICE_LABELS};
use crate::model::attention::Inputs;
use crate::model::k8s::WorkloadRow;
use crate::model::k8s::app_row::AppRow;
use crate::model::kafka::{KafkaSnapshot, LagHistory};
use crate::model::pg::PgSnapshot;
use crate::model::source::SourceId;
use crate::model::{Catalog, SourceHealth};
use crate::sources::{SourceBody, SourceEvent};

/// What one background context's summary sources hold.
#[derive(Debug, Clone, Default)]
pub struct ContextSummary {
    pub catalog: Arc<Catalog>,
    pub alerts: Option<Arc<AlertsSnapshot>>,
    /// The rows of the apps the catalog maps (the attention rows read no others).
    pub apps: Vec<AppRow>,
    pub workloads: Vec<WorkloadRow>,
    pub databases: BTreeMap<String, Arc<PgSnapshot>>,
    pub kafka: Option<Arc<KafkaSnapshot>>,
    pub lag: LagHistory,
    pub health: BTreeMap<SourceId, SourceHealth>,
    /// The last Kubernetes snapshot, kept to map workloads again when the catalog changes.
    kube: Option<Arc<crate::model::k8s::snapshot::KubeSnapshot>>,
}

/// The rows of the Argo CD apps the catalog maps (only those: a context may have 30,000
/// apps and its attention rows read a few).
fn mapped_apps(
    snapshot: &crate::model::k8s::snapshot::KubeSnapshot,
    catalog: &crate::model::Catalog,
) -> Vec<AppRow> {
    let wanted: std::collections::HashSet<&str> = catalog
        .services()
        .filter_map(|s| s.mapping.argocd_app.as_deref())
        .collect();
    if wanted.is_empty() {
        return Vec::new();
    }
    snapshot
        .applications
        .iter()
        .filter(|a| {
            a.metadata
                .name
                .as_deref()
                .is_some_and(|n| wanted.contains(n))
        })
        .map(|a| AppRow::from_app(a))
        .collect()
}

impl ContextSummary {
    /// Takes one event in; true when the rows may have changed.
    fn apply(&mut self, event: SourceEvent) -> bool {
        match event.body {
            SourceBody::Catalog(catalog) => {
                self.catalog = catalog;
                if let Some(kube) = &self.kube {
                    self.apps = mapped_apps(kube, &self.catalog);
                    self.workloads = mapped_workloads(kube, &self.catalog);
                }
            }
            SourceBody::Alerts(alerts) => self.alerts = Some(alerts),
            SourceBody::Kube(snapshot) => {
                self.apps = mapped_apps(&snapshot, &self.catalog);
                self.workloads = mapped_workloads(&snapshot, &self.catalog);
                self.kube = Some(snapshot);
            }
            SourceBody::Postgres(snapshot) => {
                self.databases.insert(snapshot.database.clone(), snapshot);
            }
            SourceBody::Kafka(snapshot) => {
                self.lag.record(&snapshot);
                self.kafka = Some(snapshot);
            }
            SourceBody::Health(health) => {
                self.health.insert(event.source, health);
            }
            _ => return false,
        }
        true
    }

    /// The context's attention rows.
    #[must_use]
    pub fn rows(
        &self,
        context: &str,
        production: bool,
        labels: Option<&[String]>,
        now: jiff::Timestamp,
    ) -> ContextRows {
        let labels: Vec<String> = labels.map_or_else(
            || {
                DEFAULT_SERVICE_LABELS
                    .iter()
                    .map(|s| (*s).to_owned())
                    .collect()
            },
            <[String]>::to_vec,
        );
        let databases: Vec<(String, Arc<PgSnapshot>)> = self
            .databases
            .iter()
            .map(|(k, v)| (k.clone(), Arc::clone(v)))
            .collect();
        let lag_rising = |group: &str| self.lag.rising(group);
        let burn = |_: &str| None;
        let error_logs = |_: &str| None;
        let apps = crate::model::attention::apps_by_name(&self.apps);
        let app_named = |name: &str| apps.get(name).copied();
        let inputs = Inputs {
            context,
            production,
            now,
            catalog: &self.catalog,
            alerts: self.alerts.as_deref(),
            service_labels: &labels,
            apps: &app_named,
            workloads: &self.workloads,
            databases: &databases,
            kafka: self.kafka.as_deref(),
            lag_rising: &lag_rising,
            burn: &burn,
            error_logs: &error_logs,
            oncall: &oncall_of,
        };
        ContextRows {
            production,
            rows: crate::model::attention::rows(&inputs),
            freshness: freshness(
                self.health
                    .iter()
                    .filter(|(id, _)| FEEDS.contains(id))
                    .map(|(_, h)| h),
            ),
            active: false,
        }
    }
}

/// An event of a background context's summary source.
pub fn on_summary(state: &mut State, context: &str, event: SourceEvent) {
    // The active context is read from its panes; a late event of its stopped summary
    // sources changes nothing.
    if context == state.context.name {
        return;
    }
    let summary = state.summaries.entry(context.to_owned()).or_default();
    if !summary.apply(event) {
        return;
    }
    let production = state
        .context
        .production_contexts
        .iter()
        .any(|c| c == context);
    let labels = state.context.alert_labels.get(context).map(Vec::as_slice);
    let rows = summary.rows(context, production, labels, state.now);
    state.panes.attention.set_context(context, rows);
    state.dirty |= state.view().pane() == PaneId::Attention;
}
