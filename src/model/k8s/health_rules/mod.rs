//! Argo CD's health assessment, ported rule by rule so opsdeck's words match what Argo CD
//! shows for the same object. Each function cites its upstream file and commit:
//! gitops-engine's built-in checks (now in-tree in argoproj/argo-cd under
//! `gitops-engine/pkg/health/`) for Pods, Deployments, `StatefulSets`, `DaemonSets`, ReplicaSets
//! and Jobs, and Argo CD's Lua customizations for Rollouts (`health.lua` and the actions'
//! `discovery.lua` under `resource_customizations/argoproj.io/Rollout/`).
//!
//! Upstream commit of every port here: argoproj/argo-cd
//! 37ee0097cf851bc2dd7665fc081bbce61a7e836e (2026-08-22). The table tests run upstream's own
//! fixtures (copied as data into `tests/support/fixtures/upstream/`) through these functions.

mod apps;
mod job;
mod lua;
mod pod;
mod rollout;
#[cfg(test)]
mod upstream_tests;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde::de::DeserializeOwned;
use serde_json::Value;

pub use apps::{daemon_set_health, deployment_health, replica_set_health, stateful_set_health};
pub use job::job_health;
pub use pod::pod_health;
pub use rollout::{RolloutActions, rollout_actions, rollout_health};

use super::app_row::HealthState;
use super::status::StatusLabel;

/// One health verdict: Argo CD's status code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Health {
    pub state: HealthState,
    pub message: String,
}

impl Health {
    /// The message is often the object's own text (a condition's message): made inert.
    #[must_use]
    pub fn new(state: HealthState, message: impl Into<String>) -> Self {
        Self {
            state,
            message: crate::model::clean(&message.into()),
        }
    }

    #[must_use]
    pub fn label(&self) -> StatusLabel {
        self.state.label()
    }
}

/// The finalizer that keeps a hook alive until its sync phase ends (`hook.HookFinalizer`).
const HOOK_FINALIZER: &str = "argocd.argoproj.io/hook-finalizer";

/// `GetResourceHealth` (gitops-engine/pkg/health/health.go): an object being deleted is
/// Progressing "Pending deletion" (unless a hook finalizer holds it); otherwise the check of
/// its kind, `None` for a kind without one. A Rollout gets Argo CD's Lua check, which Argo
/// CD ships as a built-in customization. An object that does not convert to its kind's type
/// is Unknown with the reason, as upstream reports a conversion error.
#[must_use]
pub fn resource_health(object: &Value) -> Option<Health> {
    let meta = &object["metadata"];
    let held_by_hook = meta["finalizers"]
        .as_array()
        .is_some_and(|f| f.iter().any(|v| v.as_str() == Some(HOOK_FINALIZER)));
    if !meta["deletionTimestamp"].is_null() && !held_by_hook {
        return Some(Health::new(HealthState::Progressing, "Pending deletion"));
    }
    let api_version = object["apiVersion"].as_str().unwrap_or_default();
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    let kind = object["kind"].as_str().unwrap_or_default();
    Some(match (group, kind) {
        ("apps", "Deployment") => typed(object, deployment_health),
        ("apps", "StatefulSet") => typed(object, stateful_set_health),
        ("apps", "ReplicaSet") => typed(object, replica_set_health),
        ("apps", "DaemonSet") => typed(object, daemon_set_health),
        ("", "Pod") => typed(object, pod_health),
        ("batch", "Job") => typed(object, job_health),
        ("argoproj.io", "Rollout") => rollout_health(object),
        _ => return None,
    })
}

fn typed<T: DeserializeOwned>(object: &Value, check: impl Fn(&T) -> Health) -> Health {
    match serde_json::from_value::<T>(object.clone()) {
        Ok(typed) => check(&typed),
        Err(e) => Health::new(
            HealthState::Unknown,
            format!("failed to convert unstructured object to typed: {e}"),
        ),
    }
}

/// `hook.IsHook` (gitops-engine/pkg/sync/hook/hook.go): an Argo CD hook annotation with a
/// hook type other than only `Skip`, else a Helm hook annotation other than `crd-install`.
#[must_use]
pub fn is_hook(meta: &ObjectMeta) -> bool {
    let annotations = meta.annotations.as_ref();
    let get = |key: &str| annotations.and_then(|a| a.get(key));
    if let Some(value) = get("argocd.argoproj.io/hook") {
        // `Skip` (`hook.Skip`): the only listed type is Skip. Types are the valid names in
        // the comma-separated list, deduplicated; without any, Helm's types count.
        let mut types: Vec<&str> = Vec::new();
        for t in value.split(',').map(str::trim) {
            let valid = matches!(t, "PreSync" | "Sync" | "PostSync" | "SyncFail" | "Skip");
            if valid && !types.contains(&t) {
                types.push(t);
            }
        }
        if types.is_empty() {
            types = helm_hook_types(get("helm.sh/hook").map_or("", String::as_str));
        }
        let skip = types.contains(&"Skip") && types.len() == 1;
        return !skip;
    }
    get("helm.sh/hook").is_some_and(|v| v != "crd-install")
}

/// Helm hook names mapped to Argo CD hook types (gitops-engine/pkg/sync/hook/helm/type.go).
fn helm_hook_types(value: &str) -> Vec<&'static str> {
    let mut types = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for t in value.split(',').map(str::trim) {
        if t.is_empty() || seen.contains(&t) {
            continue;
        }
        seen.push(t);
        match t {
            "pre-install" | "pre-upgrade" => types.push("PreSync"),
            "post-upgrade" | "post-install" => types.push("PostSync"),
            _ => {}
        }
    }
    types
}
