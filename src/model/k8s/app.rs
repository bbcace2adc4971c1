//! The Argo CD `Application` (`argoproj.io/v1alpha1`) as the panes read it: only the fields
//! they use (argoproj/argo-cd, pkg/apis/application/v1alpha1/types.go), everything defaulted
//! so a partial or newer object still parses, unknown fields ignored.
//!
//! These types only deserialize. Writing one back would drop every field they do not model,
//! so changes go out as the merge patches in [`super::app_ops`].

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use serde::Deserialize;
use serde_json::Value;

/// One Argo CD Application.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Application {
    pub metadata: ObjectMeta,
    pub spec: ApplicationSpec,
    /// The requested operation (top level, not under status). Set while one is pending or
    /// running; the controller clears it when the operation completes.
    pub operation: Option<Operation>,
    pub status: ApplicationStatus,
}

super::namespaced_crd!(
    Application,
    "argoproj.io",
    "v1alpha1",
    "Application",
    "applications"
);

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ApplicationSpec {
    pub project: String,
    pub source: Option<ApplicationSource>,
    /// Multi-source applications use this list instead of `source`.
    pub sources: Vec<ApplicationSource>,
    pub sync_policy: Option<SyncPolicy>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ApplicationSource {
    #[serde(rename = "repoURL")]
    pub repo_url: String,
    pub path: Option<String>,
    pub chart: Option<String>,
    pub target_revision: String,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SyncPolicy {
    pub automated: Option<AutomatedSync>,
    pub sync_options: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AutomatedSync {
    pub prune: bool,
    pub self_heal: bool,
    /// Newer Argo CD releases can keep the `automated` block but switch it off with
    /// `enabled: false`; absent means on.
    pub enabled: Option<bool>,
}

/// The top-level `operation` field: what was asked for, before the controller reports on it.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Operation {
    pub sync: Option<SyncOperation>,
    pub initiated_by: Initiator,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SyncOperation {
    pub revision: String,
    pub revisions: Vec<String>,
    pub prune: bool,
    pub dry_run: bool,
    pub resources: Vec<SyncResourceRef>,
}

/// One resource of a selective sync (`operation.sync.resources[]`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SyncResourceRef {
    pub group: String,
    pub kind: String,
    pub name: String,
    pub namespace: String,
}

/// Who started an operation or a history entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Initiator {
    pub username: String,
    pub automated: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ApplicationStatus {
    pub sync: SyncStatus,
    pub health: HealthStatus,
    pub operation_state: Option<OperationState>,
    /// Oldest first.
    pub history: Vec<HistoryEntry>,
    pub conditions: Vec<AppCondition>,
    pub resources: Vec<ResourceStatus>,
    /// `""` (health inline in `resources[]`) or `appTree` (Argo CD 3.x default: not persisted).
    pub resource_health_source: String,
    pub reconciled_at: Option<Time>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SyncStatus {
    /// `Synced`, `OutOfSync` or `Unknown`.
    pub status: String,
    pub revision: String,
    pub revisions: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct HealthStatus {
    pub status: String,
    pub message: String,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct OperationState {
    /// `Running`, `Terminating`, `Failed`, `Error` or `Succeeded`.
    pub phase: String,
    pub message: String,
    pub started_at: Option<Time>,
    pub finished_at: Option<Time>,
    pub sync_result: Option<SyncResult>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SyncResult {
    pub revision: String,
    pub revisions: Vec<String>,
}

/// One deployment in `status.history[]`. `source`/`sources` stay raw JSON: a rollback sends
/// them back exactly as Argo CD recorded them (Helm parameters, Kustomize images and all).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct HistoryEntry {
    pub id: i64,
    pub revision: String,
    pub revisions: Vec<String>,
    pub deployed_at: Option<Time>,
    pub deploy_started_at: Option<Time>,
    pub source: Option<Value>,
    pub sources: Vec<Value>,
    pub initiated_by: Initiator,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AppCondition {
    #[serde(rename = "type")]
    pub kind: String,
    pub message: String,
    pub last_transition_time: Option<Time>,
}

/// One managed resource in `status.resources[]`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ResourceStatus {
    pub group: String,
    pub version: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
    /// The resource's sync status: `Synced`, `OutOfSync` or `Unknown`.
    pub status: String,
    /// Absent on Argo CD 3.x defaults (see [`ApplicationStatus::resource_health_source`]).
    pub health: Option<HealthStatus>,
    pub requires_pruning: bool,
    pub hook: bool,
}

impl Application {
    #[must_use]
    pub fn name(&self) -> &str {
        self.metadata.name.as_deref().unwrap_or_default()
    }

    #[must_use]
    pub fn namespace(&self) -> &str {
        self.metadata.namespace.as_deref().unwrap_or_default()
    }

    #[must_use]
    pub fn annotations(&self) -> BTreeMap<String, String> {
        self.metadata.annotations.clone().unwrap_or_default()
    }

    /// The primary source: `spec.source`, or the first of `spec.sources`.
    #[must_use]
    pub fn primary_source(&self) -> Option<&ApplicationSource> {
        self.spec.source.as_ref().or(self.spec.sources.first())
    }

    /// Auto-sync is on when `syncPolicy.automated` is present and not switched off.
    #[must_use]
    pub fn auto_sync(&self) -> Option<&AutomatedSync> {
        self.spec
            .sync_policy
            .as_ref()
            .and_then(|p| p.automated.as_ref())
            .filter(|a| a.enabled != Some(false))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn partial_objects_parse_and_unknown_fields_are_ignored() {
        let app: Application = serde_json::from_value(json!({
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "Application",
            "metadata": {"name": "cart", "namespace": "argocd"},
            "spec": {"destination": {"server": "https://kubernetes.default.svc"}},
            "status": {"summary": {"images": ["x"]}, "sync": {"status": "Synced"}}
        }))
        .expect("parses");
        assert_eq!(app.name(), "cart");
        assert_eq!(app.status.sync.status, "Synced");
        assert!(app.operation.is_none());
        assert!(app.auto_sync().is_none());
    }

    #[test]
    fn automated_with_enabled_false_is_not_auto_sync() {
        let app: Application = serde_json::from_value(json!({
            "spec": {"syncPolicy": {"automated": {"prune": true, "enabled": false}}}
        }))
        .expect("parses");
        assert!(app.auto_sync().is_none());
    }
}
