//! One row type for both kinds of workload the rollout pane lists: plain Deployments and Argo
//! Rollouts, with the columns of `kubectl argo rollouts list` (argoproj/argo-rollouts,
//! pkg/kubectl-argo-rollouts/cmd/list/rollloutinfo.go) — strategy, status, step, set weight
//! against actual weight, replica counts — plus the images.

use k8s_openapi::api::apps::v1::Deployment;
use serde_json::Value;

use super::deployment::deployment_phase;
use super::rollout::Rollout;
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
}

impl Strategy {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RollingUpdate => "RollingUpdate",
            Self::Recreate => "Recreate",
            Self::Canary => "Canary",
            Self::BlueGreen => "BlueGreen",
        }
    }
}

/// One row of the rollout pane's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkloadRow {
    pub name: String,
    pub namespace: String,
    pub kind: WorkloadKind,
    pub strategy: Strategy,
    pub status: StatusLabel,
    pub message: String,
    /// `(current step index, number of steps)` for canaries with steps, printed `N/M`.
    pub step: Option<(i32, usize)>,
    pub set_weight: Option<i32>,
    pub actual_weight: Option<i32>,
    pub desired: i32,
    pub current: i32,
    pub updated: i32,
    pub ready: i32,
    pub available: i32,
    pub images: Vec<String>,
}

impl WorkloadRow {
    #[must_use]
    pub fn from_workload(workload: Workload<'_>) -> Self {
        match workload {
            Workload::Deployment(d) => Self::from_deployment(d),
            Workload::Rollout(r) => Self::from_rollout(r),
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
            kind: WorkloadKind::Deployment,
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
        }
    }

    #[must_use]
    pub fn from_rollout(r: &Rollout) -> Self {
        let strategy = if r.spec.strategy.blue_green.is_some() {
            Strategy::BlueGreen
        } else {
            Strategy::Canary
        };
        let steps = r.steps().len();
        let step = (strategy == Strategy::Canary && steps > 0)
            .then(|| (r.status.current_step_index.unwrap_or(0), steps));
        let (phase, message) = r.phase();
        Self {
            name: r.name().to_owned(),
            namespace: r.namespace().to_owned(),
            kind: WorkloadKind::Rollout,
            strategy,
            status: phase.label(),
            message,
            step,
            set_weight: r.set_weight(),
            actual_weight: r.actual_weight(),
            desired: r.desired_replicas(),
            current: r.status.replicas,
            updated: r.status.updated_replicas,
            ready: r.status.ready_replicas,
            available: r.status.available_replicas,
            images: images(&r.spec.template),
        }
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

    #[test]
    fn canary_row() {
        let row = WorkloadRow::from_rollout(&ro::canary_paused());
        assert_eq!(row.kind, WorkloadKind::Rollout);
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
        assert_eq!(row.images, ["registry.example.com/checkout:v2"]);
    }

    #[test]
    fn blue_green_row_has_no_steps_or_weights() {
        let row = WorkloadRow::from_rollout(&ro::blue_green_paused());
        assert_eq!(row.strategy, Strategy::BlueGreen);
        assert_eq!(row.step_text(), "-");
        assert_eq!(row.set_weight, None);
        assert_eq!(row.status.to_string(), "॥ Paused");
    }

    #[test]
    fn deployment_rows() {
        let row = WorkloadRow::from_deployment(&dep::rolling());
        assert_eq!(row.kind, WorkloadKind::Deployment);
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
