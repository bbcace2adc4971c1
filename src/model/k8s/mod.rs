//! Kubernetes, Argo CD and Argo Rollouts as plain data: the pure logic behind the Argo CD
//! and rollout panes (Part 5). No I/O here. Sources fetch the objects, these modules parse
//! the fields the panes use, derive rows, status words and trees, decide which actions are
//! enabled, and build the exact patches or Argo CD API calls an action sends. Every rule
//! follows `/work/shared/reference/kubernetes-argo.md`, cited by section.

pub mod access;
pub mod app;
pub mod app_diff;
pub mod app_ops;
pub mod app_row;
pub mod deployment;
pub mod describe;
pub mod dry_run;
pub mod enablement;
pub mod events;
pub mod forward;
pub mod forward_service;
pub mod health_rules;
pub mod lenient;
pub mod object_ref;
pub mod patches;
pub mod pod;
pub mod pod_info;
pub mod rollout;
pub mod rollout_info;
#[cfg(test)]
mod rollout_phase_tests;
pub mod shell;
pub mod snapshot;
pub mod status;
pub mod stuck;
pub mod sync_windows;
pub mod tree;
pub mod workload;
pub mod yaml;

pub use app::Application;
pub use app_ops::{ApiCall, AppOpError, AppPatch, HttpMethod, SyncResource};
pub use app_row::{AppRow, AutoSync, HealthState, ResourceHealth, ResourceRow, SyncState};
pub use deployment::{DeploymentProgress, deployment_status};
pub use enablement::{Enablement, WorkloadAction, enablement, op_enablement};
pub use object_ref::ObjectRef;
pub use patches::{PatchError, PatchPlan, plan};
pub use pod::{ContainerFacts, ContainerState, PodFacts, PodSummary, Termination};
pub use rollout::{Rollout, RolloutPhase};
pub use status::{KindIcon, StatusIcon, StatusLabel};
pub use stuck::{StuckKind, StuckReason, diagnose};
pub use tree::{AnalysisRun, TreeNode, deployment_tree, owner_tree, rollout_tree};
pub use workload::{RowKind, Strategy, Workload, WorkloadRow};

/// Implements `kube::Resource` for a namespaced custom resource modelled here, so a source can
/// use `kube::Api<T>` without this crate enabling kube's derive feature.
macro_rules! namespaced_crd {
    ($ty:ty, $group:literal, $version:literal, $kind:literal, $plural:literal) => {
        impl kube::Resource for $ty {
            type DynamicType = ();
            type Scope = kube::core::NamespaceResourceScope;

            fn kind(_: &()) -> std::borrow::Cow<'_, str> {
                $kind.into()
            }
            fn group(_: &()) -> std::borrow::Cow<'_, str> {
                $group.into()
            }
            fn version(_: &()) -> std::borrow::Cow<'_, str> {
                $version.into()
            }
            fn plural(_: &()) -> std::borrow::Cow<'_, str> {
                $plural.into()
            }
            fn meta(&self) -> &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
                &self.metadata
            }
            fn meta_mut(
                &mut self,
            ) -> &mut k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
                &mut self.metadata
            }
        }
    };
}
pub(crate) use namespaced_crd;
