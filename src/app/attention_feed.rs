//! Feeds the attention view from the active context's panes: after each change of the
//! data it reads, the context's rows are computed again with the same function every other
//! context's summary uses ([`crate::model::attention::rows`]).

use std::collections::HashMap;
use std::sync::Arc;

use crate::app::panes::attention::{ContextRows, Freshness};
use crate::app::state::State;
use crate::model::Catalog;
use crate::model::SourceHealth;
use crate::model::attention::{Inputs, Row};
use crate::model::k8s::WorkloadRow;
use crate::model::k8s::snapshot::KubeSnapshot;
use crate::model::k8s::workload::Workload;
use crate::model::service::WorkloadKind;

/// The rows of the workloads the catalog maps, from one snapshot (only those: building a
/// row reads its status, and a fleet has far more workloads than services with problems).
#[must_use]
pub fn mapped_workloads(snapshot: &KubeSnapshot, catalog: &Catalog) -> Vec<WorkloadRow> {
    let mut deployments: HashMap<(&str, &str), &k8s_openapi::api::apps::v1::Deployment> =
        HashMap::new();
    for d in &snapshot.deployments {
        deployments.insert(
            (
                d.metadata.namespace.as_deref().unwrap_or_default(),
                d.metadata.name.as_deref().unwrap_or_default(),
            ),
            d,
        );
    }
    let mut rollouts = HashMap::new();
    for r in &snapshot.rollouts {
        rollouts.insert((r.namespace(), r.name()), r);
    }
    // A Rollout's row reads its own ReplicaSets (the plugin's weights and images).
    let rollout_row = |r: &crate::model::k8s::Rollout| {
        let uid = r.metadata.uid.as_deref().unwrap_or_default();
        let own: Vec<&k8s_openapi::api::apps::v1::ReplicaSet> = snapshot
            .replica_sets
            .iter()
            .filter(|rs| {
                rs.metadata
                    .owner_references
                    .iter()
                    .flatten()
                    .any(|o| o.uid == uid)
            })
            .map(AsRef::as_ref)
            .collect();
        WorkloadRow::from_workload(Workload::Rollout(r), &own)
    };
    let find_any = |name: &str, kind: WorkloadKind| -> Option<WorkloadRow> {
        match kind {
            WorkloadKind::Deployment => snapshot
                .deployments
                .iter()
                .find(|d| d.metadata.name.as_deref() == Some(name))
                .map(|d| WorkloadRow::from_workload(Workload::Deployment(d), &[])),
            WorkloadKind::Rollout => snapshot
                .rollouts
                .iter()
                .find(|r| r.name() == name)
                .map(|r| rollout_row(r)),
        }
    };
    catalog
        .services()
        .filter_map(|s| {
            let w = s.mapping.workload.as_ref()?;
            let namespace = w
                .namespace
                .as_deref()
                .or(s.mapping.kube_namespace.as_deref());
            match namespace {
                Some(ns) => match w.kind {
                    WorkloadKind::Deployment => deployments
                        .get(&(ns, w.name.as_str()))
                        .map(|d| WorkloadRow::from_workload(Workload::Deployment(d), &[])),
                    WorkloadKind::Rollout => {
                        rollouts.get(&(ns, w.name.as_str())).map(|r| rollout_row(r))
                    }
                },
                None => find_any(&w.name, w.kind),
            }
        })
        .collect()
}

/// Who is on call for a service, as the catalog says (background contexts: their
/// platform is not read).
#[must_use]
pub fn oncall_of(service: &crate::model::Service) -> Option<String> {
    service
        .oncall
        .as_ref()
        .map(|who| format!("{who} · catalog"))
}

/// Who is on call, and from where, without an age (a row is not redrawn as time passes).
fn answer_words(answer: &crate::app::oncall::OnCallAnswer) -> String {
    let source = match answer.source {
        crate::app::oncall::OnCallSource::Platform { .. } => "platform",
        crate::app::oncall::OnCallSource::Catalog => "catalog",
    };
    format!("{} · {source}", answer.who)
}

/// The active context's rows, from its panes.
#[must_use]
pub fn active_rows(state: &State) -> Vec<Row> {
    let panes = &state.panes;
    let catalog = Arc::clone(&panes.catalog.catalog);
    let workloads = panes
        .rollouts
        .latest_snapshot()
        .map(|s| mapped_workloads(s, &catalog))
        .unwrap_or_default();
    let databases: Vec<(String, Arc<crate::model::pg::PgSnapshot>)> = panes
        .postgres
        .snapshots
        .iter()
        .map(|(k, v)| (k.clone(), Arc::clone(v)))
        .collect();
    let history = &panes.kafka.history;
    let lag_rising = |group: &str| history.rising(group);
    let metrics = panes.catalog.metrics.as_deref();
    let burn = |service: &str| {
        let m = metrics?.service(service)?;
        match m.slo.state {
            crate::model::metrics::BurnState::Fast => Some((
                crate::model::attention::Level::Critical,
                "SLO burning fast".to_owned(),
            )),
            crate::model::metrics::BurnState::Slow => Some((
                crate::model::attention::Level::Warning,
                "SLO burning slow".to_owned(),
            )),
            _ => None,
        }
    };
    let incident_service = state.scope.as_deref();
    let error_rate = &panes.incident.error_rate;
    let now = state.now;
    let error_logs = |service: &str| {
        (Some(service) == incident_service && error_rate.has_lines())
            .then(|| error_rate.series(now).last().copied().unwrap_or(0))
    };
    let oncall =
        |s: &crate::model::Service| panes.catalog.on_call(s, now).map(|a| answer_words(&a));
    let app_named = |name: &str| panes.apps.row_named(name);
    let inputs = Inputs {
        context: &state.context.name,
        production: state.context.production,
        now: state.now,
        catalog: &catalog,
        alerts: panes.alerts.snapshot.as_deref(),
        service_labels: &panes.alerts.service_labels,
        apps: &app_named,
        workloads: &workloads,
        databases: &databases,
        kafka: panes.kafka.snapshot.as_deref(),
        lag_rising: &lag_rising,
        burn: &burn,
        error_logs: &error_logs,
        oncall: &oncall,
    };
    crate::model::attention::rows(&inputs)
}

/// How fresh a context is, from its sources' health: the first failing source's error,
/// else the oldest "ok" time.
#[must_use]
pub fn freshness<'a>(health: impl Iterator<Item = &'a SourceHealth>) -> Freshness {
    let mut oldest_ok = None;
    for h in health {
        match h {
            SourceHealth::Error {
                message, last_good, ..
            } => {
                return Freshness::Failing {
                    message: message.clone(),
                    last_good: *last_good,
                };
            }
            SourceHealth::Ok { at } => {
                oldest_ok = Some(oldest_ok.map_or(*at, |o: jiff::Timestamp| o.min(*at)));
            }
            _ => {}
        }
    }
    oldest_ok.map_or(Freshness::Waiting, Freshness::Fresh)
}

/// The sources whose data the attention view reads.
pub const FEEDS: [crate::model::source::SourceId; 6] = {
    use crate::model::source::SourceId as S;
    [
        S::Catalog,
        S::Alerts,
        S::Kube,
        S::Postgres,
        S::Kafka,
        S::Metrics,
    ]
};

/// Recomputes the active context's rows.
pub fn refresh_active(state: &mut State) {
    let rows = active_rows(state);
    let part = ContextRows {
        production: state.context.production,
        rows,
        freshness: freshness(
            state
                .health
                .iter()
                .filter(|(id, _)| FEEDS.contains(id))
                .map(|(_, h)| h),
        ),
        active: true,
    };
    let name = state.context.name.clone();
    state.panes.attention.set_active(&name);
    state.panes.attention.set_context(&name, part);
}
