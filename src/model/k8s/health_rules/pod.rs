//! Pod health as Argo CD assesses it: gitops-engine/pkg/health/health_pod.go
//! (`getCorev1PodHealth`), argoproj/argo-cd at 37ee0097cf851bc2dd7665fc081bbce61a7e836e.
//!
//! Two rules kubectl's status word does not have: a Running pod that is not ready and has a
//! container that terminated before is Degraded, and a pod with `restartPolicy` Never or
//! `OnFailure` is job-like (Running is Progressing, never Healthy) unless annotated
//! `argocd.argoproj.io/ignore-restart-policy: "true"` (not honoured on hooks).

use k8s_openapi::api::core::v1::{ContainerStatus, Pod, PodStatus};

use super::{Health, is_hook};
use crate::model::k8s::app_row::HealthState;

/// `common.AnnotationIgnoreRestartPolicy`.
const IGNORE_RESTART_POLICY: &str = "argocd.argoproj.io/ignore-restart-policy";

/// A waiting reason Argo CD treats as an error: `Err…`, `…Error` or `…BackOff`.
fn failing_wait(reason: &str) -> bool {
    reason.starts_with("Err") || reason.ends_with("Error") || reason.ends_with("BackOff")
}

/// Why a container of a Failed pod failed (`getFailMessage`): its termination message, else
/// `OOMKilled`, else its non-zero exit code; empty if none of these.
fn fail_message(c: &ContainerStatus) -> String {
    let Some(t) = c.state.as_ref().and_then(|s| s.terminated.as_ref()) else {
        return String::new();
    };
    if let Some(m) = t.message.as_deref().filter(|m| !m.is_empty()) {
        return m.to_owned();
    }
    if t.reason.as_deref() == Some("OOMKilled") {
        return "OOMKilled".into();
    }
    if t.exit_code != 0 {
        return format!(
            "container \"{}\" failed with exit code {}",
            c.name, t.exit_code
        );
    }
    String::new()
}

/// `podutils.IsPodReady`: the `Ready` condition is True.
fn ready(status: &PodStatus) -> bool {
    status
        .conditions
        .iter()
        .flatten()
        .any(|c| c.type_ == "Ready" && c.status == "True")
}

/// Argo CD's health of one pod, with its message. `GetResourceHealth`'s first rule comes
/// first: a pod being deleted (and not held by a hook finalizer) is Progressing.
#[must_use]
pub fn pod_health(pod: &Pod) -> Health {
    use HealthState as H;
    let meta = &pod.metadata;
    let held_by_hook = meta
        .finalizers
        .iter()
        .flatten()
        .any(|f| f == super::HOOK_FINALIZER);
    if meta.deletion_timestamp.is_some() && !held_by_hook {
        return Health::new(H::Progressing, "Pending deletion");
    }
    let empty = PodStatus::default();
    let status = pod.status.as_ref().unwrap_or(&empty);
    let message = status.message.clone().unwrap_or_default();
    // An absent restartPolicy reads as "" like Go's zero value: neither Always nor job-like.
    // (The API server always defaults it to Always.)
    let policy = pod
        .spec
        .as_ref()
        .and_then(|s| s.restart_policy.as_deref())
        .unwrap_or("");
    let ignore_policy = meta
        .annotations
        .as_ref()
        .and_then(|a| a.get(IGNORE_RESTART_POLICY))
        .is_some_and(|v| v == "true");
    let long_running = policy == "Always" || (ignore_policy && !is_hook(meta));
    let containers = status.container_statuses.as_deref().unwrap_or(&[]);

    // Only for long-running pods: a hook pod marked Degraded while its image is still being
    // pulled would fail the sync too early (upstream's comment).
    if long_running {
        let waiting: Vec<String> = containers
            .iter()
            .filter_map(|c| c.state.as_ref()?.waiting.as_ref())
            .filter(|w| failing_wait(w.reason.as_deref().unwrap_or_default()))
            .map(|w| w.message.clone().unwrap_or_default())
            .collect();
        if !waiting.is_empty() {
            return Health::new(H::Degraded, waiting.join(", "));
        }
    }

    match status.phase.as_deref().unwrap_or_default() {
        "Pending" => Health::new(H::Progressing, message),
        "Succeeded" => Health::new(H::Healthy, message),
        "Failed" => {
            if !message.is_empty() {
                return Health::new(H::Degraded, message);
            }
            let init = status.init_container_statuses.as_deref().unwrap_or(&[]);
            let why = init
                .iter()
                .chain(containers)
                .map(fail_message)
                .find(|m| !m.is_empty())
                .unwrap_or_default();
            Health::new(H::Degraded, why)
        }
        "Running" if long_running => {
            if ready(status) {
                Health::new(H::Healthy, message)
            } else if containers.iter().any(|c| {
                c.last_state
                    .as_ref()
                    .is_some_and(|s| s.terminated.is_some())
            }) {
                // Not ready, and a container has terminated before: it is failing.
                Health::new(H::Degraded, message)
            } else {
                Health::new(H::Progressing, message)
            }
        }
        // Job-like pods have a finite life (typically hooks): Running is progress.
        "Running" if policy == "OnFailure" || policy == "Never" => {
            Health::new(H::Progressing, message)
        }
        _ => Health::new(H::Unknown, message),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn pod(value: serde_json::Value) -> Pod {
        serde_json::from_value(value).expect("pod parses")
    }

    /// The case: a Running pod whose container died with an error and is not ready
    /// (gitops-engine `health_pod.go`, "if it's not ready, check to see if any container
    /// terminated, if so, it's degraded").
    #[test]
    fn running_pod_with_a_terminated_container_is_degraded() {
        let p = pod(json!({
            "metadata": {"name": "api-1"},
            "spec": {"restartPolicy": "Always", "containers": [{"name": "api"}]},
            "status": {"phase": "Running",
                "conditions": [{"type": "Ready", "status": "False"}],
                "containerStatuses": [{"name": "api", "image": "api:v2", "imageID": "", "ready": false,
                    "restartCount": 3, "state": {"running": {}},
                    "lastState": {"terminated": {"exitCode": 137, "reason": "OOMKilled"}}}]}
        }));
        assert_eq!(pod_health(&p).state, HealthState::Degraded);
    }

    /// A job-like pod is Progressing while Running, even when ready (`health_pod.go`,
    /// "Pods set with a restart policy of `OnFailure` or Never have a finite life").
    #[test]
    fn job_like_running_pod_is_progressing() {
        let p = pod(json!({
            "metadata": {"name": "migrate"},
            "spec": {"restartPolicy": "Never", "containers": [{"name": "m"}]},
            "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}
        }));
        assert_eq!(pod_health(&p).state, HealthState::Progressing);
    }

    /// `getFailMessage`: `OOMKilled`, then a non-zero exit code, init containers first.
    #[test]
    fn failed_pod_says_why() {
        let p = pod(json!({
            "metadata": {"name": "api-2"},
            "spec": {"restartPolicy": "Always", "containers": [{"name": "api"}]},
            "status": {"phase": "Failed", "containerStatuses": [
                {"name": "api", "image": "", "imageID": "", "ready": false, "restartCount": 0,
                 "state": {"terminated": {"exitCode": 2}}}]}
        }));
        assert_eq!(
            pod_health(&p),
            Health::new(
                HealthState::Degraded,
                "container \"api\" failed with exit code 2"
            )
        );
    }
}
