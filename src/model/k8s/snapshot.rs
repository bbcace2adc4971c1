//! What the Kubernetes source publishes: every watched object at one moment, with the
//! health of each kind. A domain type, so the panes read it without knowing the source.

use std::collections::BTreeMap;
use std::sync::Arc;

use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::Event as KubeEvent;

use super::{AnalysisRun, Application, PodFacts, Rollout};

/// The kinds a snapshot holds, in the order the panes list them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum KubeKind {
    Applications,
    Deployments,
    Rollouts,
    StatefulSets,
    DaemonSets,
    Jobs,
    AnalysisRuns,
    ReplicaSets,
    Pods,
    Events,
}

impl KubeKind {
    pub const ALL: [Self; 10] = [
        Self::Applications,
        Self::Deployments,
        Self::Rollouts,
        Self::StatefulSets,
        Self::DaemonSets,
        Self::Jobs,
        Self::AnalysisRuns,
        Self::ReplicaSets,
        Self::Pods,
        Self::Events,
    ];

    /// The plural resource name, as kubectl and RBAC messages say it.
    #[must_use]
    pub fn plural(self) -> &'static str {
        match self {
            Self::Applications => "applications",
            Self::Deployments => "deployments",
            Self::Rollouts => "rollouts",
            Self::StatefulSets => "statefulsets",
            Self::DaemonSets => "daemonsets",
            Self::Jobs => "jobs",
            Self::AnalysisRuns => "analysisruns",
            Self::ReplicaSets => "replicasets",
            Self::Pods => "pods",
            Self::Events => "events",
        }
    }
}

/// Health of one kind across its namespaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KindHealth {
    /// Not in scope (no namespaces to watch it in).
    Off,
    /// The first list has not completed yet.
    Syncing,
    /// Listed and watching.
    Ok,
    /// The last list or watch failed; the message is the API's (e.g. the 403 RBAC denial),
    /// prefixed with the namespace when the kind is watched in several. Objects listed
    /// before the failure are kept.
    Error(String),
}

/// Everything watched, at one moment. Objects are sorted by namespace, then name.
#[derive(Debug, Clone, Default)]
pub struct KubeSnapshot {
    /// Counts publishes: 0 is the empty snapshot from before any watch reported, and each
    /// later snapshot has a higher number, so a consumer can tell a new one from a repeat.
    pub generation: u64,
    pub applications: Vec<Arc<Application>>,
    pub deployments: Vec<Arc<Deployment>>,
    pub rollouts: Vec<Arc<Rollout>>,
    /// Shown read-only, with Argo CD's health (gitops-engine's checks). Pruned like
    /// ReplicaSets: the pod template keeps container names and images.
    pub stateful_sets: Vec<Arc<StatefulSet>>,
    pub daemon_sets: Vec<Arc<DaemonSet>>,
    pub jobs: Vec<Arc<Job>>,
    pub analysis_runs: Vec<Arc<AnalysisRun>>,
    /// Pruned: template/spec fields other than container names and images are dropped.
    pub replica_sets: Vec<Arc<ReplicaSet>>,
    /// Compact: the fields the panes read, built once per watch event.
    pub pods: Vec<Arc<PodFacts>>,
    /// Warning events only.
    pub events: Vec<Arc<KubeEvent>>,
    /// Every kind, in scope or not ([`KindHealth::Off`]).
    pub health: BTreeMap<KubeKind, KindHealth>,
}

/// Two snapshots are the same publish when their generations match (the objects are only
/// compared through it: they are large and come from one publisher).
impl PartialEq for KubeSnapshot {
    fn eq(&self, other: &Self) -> bool {
        self.generation == other.generation
    }
}

impl KubeSnapshot {
    /// The health of one kind ([`KindHealth::Off`] if unknown).
    #[must_use]
    pub fn health(&self, kind: KubeKind) -> &KindHealth {
        self.health.get(&kind).unwrap_or(&KindHealth::Off)
    }

    /// Every in-scope kind has completed a list (with or without errors since).
    #[must_use]
    pub fn synced(&self) -> bool {
        self.health
            .values()
            .all(|h| !matches!(h, KindHealth::Syncing))
    }
}
