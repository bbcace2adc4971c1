//! One row type for the workloads the rollout pane lists: plain Deployments and Argo
//! Rollouts (with actions), and `StatefulSets`, `DaemonSets` and Jobs (read-only, with Argo CD's
//! health as their status), with the columns of `kubectl argo rollouts list` (argoproj/argo-rollouts,
//! pkg/kubectl-argo-rollouts/cmd/list/rollloutinfo.go) — strategy, status, step, set weight
//! against actual weight, replica counts — plus the images, and Argo CD's health of the same
//! object ([`super::health_rules`]). A Rollout's weights and images need its ReplicaSets, as
//! the plugin's do ([`super::rollout_info`]).

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::PodTemplateSpec;
use serde_json::Value;

use super::deployment::deployment_phase;
use super::health_rules::{
    Health, daemon_set_health, deployment_health, job_health, rollout_health, stateful_set_health,
};
use super::rollout::Rollout;
use super::rollout_info;
use super::status::StatusLabel;
use crate::model::action::WorkloadKind;

/// A Deployment or a Rollout, borrowed.
#[derive(Debug, Clone, Copy)]
pub enum Workload<'a> {
    Deployment(&'a Deployment),
    Rollout(&'a Rollout),
}

impl Workload<'_> {
    #[must_use]
    pub fn kind(self) -> WorkloadKind {
        match self {
            Self::Deployment(_) => WorkloadKind::Deployment,
            Self::Rollout(_) => WorkloadKind::Rollout,
        }
    }

    #[must_use]
    pub fn name(self) -> String {
        match self {
            Self::Deployment(d) => d.metadata.name.clone().unwrap_or_default(),
            Self::Rollout(r) => r.name().to_owned(),
        }
    }

    #[must_use]
    pub fn namespace(self) -> String {
        match self {
            Self::Deployment(d) => d.metadata.namespace.clone().unwrap_or_default(),
            Self::Rollout(r) => r.namespace().to_owned(),
        }
    }

    /// `metadata.generation` and the observed generation, when the latter is a number.
    #[must_use]
    pub fn generations(self) -> (i64, Option<i64>) {
        match self {
            Self::Deployment(d) => (
                d.metadata.generation.unwrap_or(0),
                d.status.as_ref().and_then(|s| s.observed_generation),
            ),
            Self::Rollout(r) => (
                r.metadata.generation.unwrap_or(0),
                r.status.observed_generation.parse().ok(),
            ),
        }
    }

    /// The pod template as JSON.
    #[must_use]
    pub fn template(self) -> Value {
        match self {
            Self::Deployment(d) => d
                .spec
                .as_ref()
                .and_then(|s| serde_json::to_value(&s.template).ok())
                .unwrap_or(Value::Null),
            Self::Rollout(r) => r.spec.template.clone(),
        }
    }
}

/// How the workload replaces pods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Strategy {
    RollingUpdate,
    Recreate,
    Canary,
    BlueGreen,
    /// `StatefulSets` and `DaemonSets` that replace a pod only when it is deleted.
    OnDelete,
    /// A Job: pods run to completion.
    Completion,
}

impl Strategy {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RollingUpdate => "RollingUpdate",
            Self::Recreate => "Recreate",
            Self::Canary => "Canary",
            Self::BlueGreen => "BlueGreen",
            Self::OnDelete => "OnDelete",
            Self::Completion => "Completion",
        }
    }
}

/// The kind of a listed row: the two kinds with actions ([`WorkloadKind`]), and the ones
/// shown read-only with Argo CD's health.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RowKind {
    Deployment,
    Rollout,
    StatefulSet,
    DaemonSet,
    Job,
}

impl RowKind {
    /// The kind actions can target; `None` for a read-only kind.
    #[must_use]
    pub fn workload(self) -> Option<WorkloadKind> {
        match self {
            Self::Deployment => Some(WorkloadKind::Deployment),
            Self::Rollout => Some(WorkloadKind::Rollout),
            Self::StatefulSet | Self::DaemonSet | Self::Job => None,
        }
    }

    /// Lower case, as [`WorkloadKind::as_str`].
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Deployment => "deployment",
            Self::Rollout => "rollout",
            Self::StatefulSet => "statefulset",
            Self::DaemonSet => "daemonset",
            Self::Job => "job",
        }
    }

    /// The Kubernetes kind: `StatefulSet`.
    #[must_use]
    pub fn kind_name(self) -> &'static str {
        match self {
            Self::Deployment => "Deployment",
            Self::Rollout => "Rollout",
            Self::StatefulSet => "StatefulSet",
            Self::DaemonSet => "DaemonSet",
            Self::Job => "Job",
        }
    }
}

impl From<WorkloadKind> for RowKind {
    fn from(kind: WorkloadKind) -> Self {
        match kind {
            WorkloadKind::Deployment => Self::Deployment,
            WorkloadKind::Rollout => Self::Rollout,
        }
    }
}

/// One row of the rollout pane's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkloadRow {
    pub name: String,
    pub namespace: String,
    pub kind: RowKind,
    pub strategy: Strategy,
    pub status: StatusLabel,
    pub message: String,
    /// `(current step index, number of steps)` for canaries with steps whose status has a
    /// step index (the plugin prints nothing otherwise), printed `N/M`.
    pub step: Option<(i32, usize)>,
    pub set_weight: Option<i64>,
    pub actual_weight: Option<i64>,
    pub desired: i32,
    pub current: i32,
    pub updated: i32,
    pub ready: i32,
    pub available: i32,
    /// A Deployment's template images; a Rollout's running images as the plugin lists them
    /// (those of its ReplicaSets with replicas, tagged `(canary)`, `(stable, active)`, …).
    pub images: Vec<String>,
    /// Argo CD's health of the object (`health.lua` for a Rollout, gitops-engine's check for
    /// a Deployment), which can differ from the status above.
    pub argocd_health: Health,
    /// "cannot read <field>: <why>" for each malformed field left out while reading.
    pub notes: Vec<String>,
}

impl WorkloadRow {
    /// `replica_sets` are the workload's own (a Rollout's weights and images need them).
    #[must_use]
    pub fn from_workload(workload: Workload<'_>, replica_sets: &[&ReplicaSet]) -> Self {
        match workload {
            Workload::Deployment(d) => Self::from_deployment(d),
            Workload::Rollout(r) => Self::from_rollout(r, replica_sets),
        }
    }

    #[must_use]
    pub fn from_deployment(d: &Deployment) -> Self {
        let spec = d.spec.as_ref();
        let status = d.status.clone().unwrap_or_default();
        let strategy = match spec
            .and_then(|s| s.strategy.as_ref())
            .and_then(|s| s.type_.as_deref())
        {
            Some("Recreate") => Strategy::Recreate,
            _ => Strategy::RollingUpdate,
        };
        let (phase, message) = deployment_phase(d);
        let workload = Workload::Deployment(d);
        Self {
            name: workload.name(),
            namespace: workload.namespace(),
            kind: RowKind::Deployment,
            strategy,
            status: phase.label(),
            message,
            step: None,
            set_weight: None,
            actual_weight: None,
            desired: spec.and_then(|s| s.replicas).unwrap_or(1),
            current: status.replicas.unwrap_or(0),
            updated: status.updated_replicas.unwrap_or(0),
            ready: status.ready_replicas.unwrap_or(0),
            available: status.available_replicas.unwrap_or(0),
            images: images(&workload.template()),
            argocd_health: deployment_health(d),
            notes: Vec::new(),
        }
    }

    /// The plugin's columns for a Rollout; `replica_sets` are its own.
    #[must_use]
    pub fn from_rollout(r: &Rollout, replica_sets: &[&ReplicaSet]) -> Self {
        let strategy = if r.spec.strategy.blue_green.is_some() {
            Strategy::BlueGreen
        } else {
            Strategy::Canary
        };
        let steps = r.steps().len();
        // `NewRolloutInfo`: a step only with a step index and steps.
        let step = r
            .status
            .current_step_index
            .filter(|_| strategy == Strategy::Canary && steps > 0)
            .map(|i| (i, steps));
        let (phase, message) = r.phase();
        Self {
            name: r.name().to_owned(),
            namespace: r.namespace().to_owned(),
            kind: RowKind::Rollout,
            strategy,
            status: phase.label(),
            message,
            step,
            set_weight: rollout_info::set_weight(r),
            actual_weight: rollout_info::actual_weight(r, replica_sets),
            desired: r.desired_replicas(),
            current: r.status.replicas,
            updated: r.status.updated_replicas,
            ready: r.status.ready_replicas,
            available: r.status.available_replicas,
            images: rollout_info::images(r, replica_sets)
                .iter()
                .map(ToString::to_string)
                .collect(),
            argocd_health: rollout_health(&r.raw),
            notes: r.notes.clone(),
        }
    }

    /// A read-only row: status and message are Argo CD's health.
    fn read_only(
        kind: RowKind,
        meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
        strategy: Strategy,
        health: Health,
        counts: [i32; 5],
        template: Option<&PodTemplateSpec>,
    ) -> Self {
        let [desired, current, updated, ready, available] = counts;
        let template = template
            .and_then(|t| serde_json::to_value(t).ok())
            .unwrap_or(Value::Null);
        Self {
            name: meta.name.clone().unwrap_or_default(),
            namespace: meta.namespace.clone().unwrap_or_default(),
            kind,
            strategy,
            status: health.label(),
            message: health.message.clone(),
            step: None,
            set_weight: None,
            actual_weight: None,
            desired,
            current,
            updated,
            ready,
            available,
            images: images(&template),
            argocd_health: health,
            notes: Vec::new(),
        }
    }

    /// A `StatefulSet`: `spec.replicas` (default 1) and the status counts; `OnDelete` or
    /// `RollingUpdate`.
    #[must_use]
    pub fn from_stateful_set(sts: &StatefulSet) -> Self {
        let spec = sts.spec.as_ref();
        let status = sts.status.clone().unwrap_or_default();
        let on_delete = spec
            .and_then(|s| s.update_strategy.as_ref())
            .and_then(|u| u.type_.as_deref())
            == Some("OnDelete");
        Self::read_only(
            RowKind::StatefulSet,
            &sts.metadata,
            if on_delete {
                Strategy::OnDelete
            } else {
                Strategy::RollingUpdate
            },
            stateful_set_health(sts),
            [
                spec.and_then(|s| s.replicas).unwrap_or(1),
                status.replicas,
                status.updated_replicas.unwrap_or(0),
                status.ready_replicas.unwrap_or(0),
                status.available_replicas.unwrap_or(0),
            ],
            spec.map(|s| &s.template),
        )
    }

    /// A `DaemonSet`: desired, current, updated, ready and available scheduled pods.
    #[must_use]
    pub fn from_daemon_set(ds: &DaemonSet) -> Self {
        let spec = ds.spec.as_ref();
        let status = ds.status.clone().unwrap_or_default();
        let on_delete = spec
            .and_then(|s| s.update_strategy.as_ref())
            .and_then(|u| u.type_.as_deref())
            == Some("OnDelete");
        Self::read_only(
            RowKind::DaemonSet,
            &ds.metadata,
            if on_delete {
                Strategy::OnDelete
            } else {
                Strategy::RollingUpdate
            },
            daemon_set_health(ds),
            [
                status.desired_number_scheduled,
                status.current_number_scheduled,
                status.updated_number_scheduled.unwrap_or(0),
                status.number_ready,
                status.number_available.unwrap_or(0),
            ],
            spec.map(|s| &s.template),
        )
    }

    /// A Job: completions wanted (default 1), active pods, succeeded, ready, succeeded.
    #[must_use]
    pub fn from_job(job: &Job) -> Self {
        let spec = job.spec.as_ref();
        let status = job.status.clone().unwrap_or_default();
        let succeeded = status.succeeded.unwrap_or(0);
        Self::read_only(
            RowKind::Job,
            &job.metadata,
            Strategy::Completion,
            job_health(job),
            [
                spec.and_then(|s| s.completions).unwrap_or(1),
                status.active.unwrap_or(0),
                succeeded,
                status.ready.unwrap_or(0),
                succeeded,
            ],
            spec.map(|s| &s.template),
        )
    }

    /// `N/M` or `-`, as the plugin's STEP column.
    #[must_use]
    pub fn step_text(&self) -> String {
        self.step
            .map_or_else(|| "-".into(), |(n, m)| format!("{n}/{m}"))
    }
}

/// Container images of a pod template (init containers first, as the pod starts them).
#[must_use]
pub fn images(template: &Value) -> Vec<String> {
    ["initContainers", "containers"]
        .iter()
        .filter_map(|key| template["spec"][key].as_array())
        .flatten()
        .filter_map(|c| c["image"].as_str().map(str::to_owned))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::k8s::deployment::tests as dep;
    use crate::model::k8s::rollout::tests as ro;

    fn replica_set(hash: &str, image: &str, replicas: i32) -> ReplicaSet {
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": format!("checkout-{hash}"),
                         "labels": {"rollouts-pod-template-hash": hash}},
            "spec": {"selector": {}, "template": {"spec": {"containers": [{"name": "c", "image": image}]}}},
            "status": {"replicas": replicas, "availableReplicas": replicas}
        }))
        .expect("replica set parses")
    }

    #[test]
    fn canary_row() {
        let stable = replica_set("5c7d8e9f1", "registry.example.com/checkout:v1", 5);
        let canary = replica_set("6d8f9c7b4", "registry.example.com/checkout:v2", 1);
        let old = replica_set("4b5c6d7e8", "registry.example.com/checkout:v0", 0);
        let row = WorkloadRow::from_rollout(&ro::canary_paused(), &[&canary, &stable, &old]);
        assert_eq!(row.kind, RowKind::Rollout);
        assert_eq!(row.strategy, Strategy::Canary);
        assert_eq!(row.status.to_string(), "॥ Paused");
        assert_eq!(row.message, "CanaryPauseStep");
        assert_eq!(row.step_text(), "1/8");
        assert_eq!((row.set_weight, row.actual_weight), (Some(20), Some(20)));
        assert_eq!(
            (
                row.desired,
                row.current,
                row.updated,
                row.ready,
                row.available
            ),
            (5, 6, 1, 6, 6)
        );
        // The plugin's `Images`: the ReplicaSets with replicas, not the template.
        assert_eq!(
            row.images,
            [
                "registry.example.com/checkout:v1 (stable)",
                "registry.example.com/checkout:v2 (canary)"
            ]
        );
        assert_eq!(row.argocd_health.label().to_string(), "॥ Suspended");
    }

    #[test]
    fn blue_green_row_has_no_steps_or_weights() {
        let row = WorkloadRow::from_rollout(&ro::blue_green_paused(), &[]);
        assert_eq!(row.strategy, Strategy::BlueGreen);
        assert_eq!(row.step_text(), "-");
        assert_eq!(row.set_weight, None);
        assert_eq!(row.status.to_string(), "॥ Paused");
    }

    #[test]
    fn deployment_rows() {
        let row = WorkloadRow::from_deployment(&dep::rolling());
        assert_eq!(row.kind, RowKind::Deployment);
        assert_eq!(row.strategy, Strategy::RollingUpdate);
        assert_eq!(row.status.to_string(), "◌ Progressing");
        assert_eq!(
            (
                row.desired,
                row.current,
                row.updated,
                row.ready,
                row.available
            ),
            (3, 4, 1, 3, 3)
        );
        assert_eq!(row.images, ["registry.example.com/api:v2"]);
        assert_eq!(
            WorkloadRow::from_deployment(&dep::deadline_exceeded())
                .status
                .to_string(),
            "✖ Degraded"
        );
        assert_eq!(
            WorkloadRow::from_deployment(&dep::complete())
                .status
                .to_string(),
            "✔ Healthy"
        );
    }
}
