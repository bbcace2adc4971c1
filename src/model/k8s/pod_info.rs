//! A pod's line in `kubectl argo rollouts get rollout`: its status word, icon, ready count and
//! restarts, ported from argoproj/argo-rollouts `pkg/kubectl-argo-rollouts/info/pod_info.go`
//! (`newPodInfo`, `podIcon`) at 9f8d111d8f8e3e88b6d7f8bbdf62fd3cd863ef9d. The word follows
//! kubectl's `get pods` STATUS: the phase or reason, then the first failing init container,
//! then the last container's waiting or terminated reason, `Terminating` when deleted.

use std::collections::HashSet;

use k8s_openapi::api::core::v1::{ContainerStateTerminated, Pod, PodStatus};

use super::status::{StatusIcon, StatusLabel};

/// What the plugin prints for one pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodInfo {
    pub status: String,
    pub ready: usize,
    pub total: usize,
    pub restarts: i32,
}

impl PodInfo {
    #[must_use]
    pub fn label(&self) -> StatusLabel {
        StatusLabel::new(pod_icon(&self.status), self.status.clone())
    }
}

/// `Signal:N` or `ExitCode:N` for a termination without a reason.
fn exit_word(prefix: &str, t: &ContainerStateTerminated) -> String {
    match t.signal.filter(|s| *s != 0) {
        Some(signal) => format!("{prefix}Signal:{signal}"),
        None => format!("{prefix}ExitCode:{}", t.exit_code),
    }
}

/// `newPodInfo`.
#[must_use]
pub fn pod_info(pod: &Pod) -> PodInfo {
    let empty = PodStatus::default();
    let status = pod.status.as_ref().unwrap_or(&empty);
    let spec = pod.spec.as_ref();
    let init_specs = spec
        .and_then(|s| s.init_containers.as_deref())
        .unwrap_or(&[]);
    // Sidecars: init containers with restartPolicy Always keep running.
    let sidecars: HashSet<&str> = init_specs
        .iter()
        .filter(|c| c.restart_policy.as_deref() == Some("Always"))
        .map(|c| c.name.as_str())
        .collect();
    let total = spec.map_or(0, |s| s.containers.len());
    let mut reason = status.phase.clone().unwrap_or_default();
    if let Some(r) = status.reason.as_deref().filter(|r| !r.is_empty()) {
        r.clone_into(&mut reason);
    }
    let mut restarts = 0;
    let mut initializing = false;
    let init = status.init_container_statuses.as_deref().unwrap_or(&[]);
    for (i, c) in init.iter().enumerate() {
        restarts += c.restart_count;
        let state = c.state.clone().unwrap_or_default();
        if let Some(t) = &state.terminated {
            if t.exit_code == 0 {
                continue;
            }
            reason = match t.reason.as_deref().filter(|r| !r.is_empty()) {
                Some(r) => format!("Init:{r}"),
                None => exit_word("Init:", t),
            };
            initializing = true;
        } else if sidecars.contains(c.name.as_str()) && c.started == Some(true) {
            if c.ready {
                continue;
            }
        } else if let Some(w) = state
            .waiting
            .as_ref()
            .and_then(|w| w.reason.as_deref())
            .filter(|r| !r.is_empty() && *r != "PodInitializing")
        {
            reason = format!("Init:{w}");
            initializing = true;
        } else {
            reason = format!("Init:{i}/{}", init_specs.len());
            initializing = true;
        }
        break;
    }
    let mut ready = 0;
    if !initializing {
        restarts = 0;
        let mut running = false;
        let containers = status.container_statuses.as_deref().unwrap_or(&[]);
        // Last to first, so the first container's reason is the one left.
        for c in containers.iter().rev() {
            restarts += c.restart_count;
            let state = c.state.clone().unwrap_or_default();
            let waiting = state.waiting.as_ref().and_then(|w| w.reason.clone());
            if let Some(w) = waiting.filter(|r| !r.is_empty()) {
                reason = w;
            } else if let Some(t) = &state.terminated {
                reason = match t.reason.as_deref().filter(|r| !r.is_empty()) {
                    Some(r) => r.to_owned(),
                    None => exit_word("", t),
                };
            } else if c.ready && state.running.is_some() {
                running = true;
                ready += 1;
            }
        }
        if reason == "Completed" && running {
            reason = "Running".into();
        }
    }
    if pod.metadata.deletion_timestamp.is_some() {
        reason = if status.reason.as_deref() == Some("NodeLost") {
            "Unknown".into()
        } else {
            "Terminating".into()
        };
    }
    PodInfo {
        status: reason,
        ready,
        total,
        restarts,
    }
}

/// `podIcon`. The plugin leaves a word it does not know (e.g. `OOMKilled`) without an icon;
/// opsdeck shows the neutral `•` there so every cell has a glyph.
#[must_use]
pub fn pod_icon(status: &str) -> StatusIcon {
    if status.starts_with("Init:") {
        return StatusIcon::Progressing;
    }
    if status.starts_with("Signal:") || status.starts_with("ExitCode:") {
        return StatusIcon::Bad;
    }
    if status.ends_with("Error") || status.starts_with("Err") {
        return StatusIcon::Warning;
    }
    match status {
        "Pending" | "Terminating" | "ContainerCreating" => StatusIcon::Progressing,
        "Running" | "Completed" => StatusIcon::Ok,
        "Failed" | "InvalidImageName" | "CrashLoopBackOff" => StatusIcon::Bad,
        "ImagePullBackOff" | "RegistryUnavailable" => StatusIcon::Warning,
        "Unknown" => StatusIcon::Unknown,
        _ => StatusIcon::Neutral,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn pod(status: &serde_json::Value) -> Pod {
        serde_json::from_value(json!({
            "metadata": {"name": "p"},
            "spec": {"initContainers": [{"name": "init"}], "containers": [{"name": "a"}, {"name": "b"}]},
            "status": status
        }))
        .expect("pod")
    }

    fn word(status: &serde_json::Value) -> String {
        pod_info(&pod(status)).label().to_string()
    }

    /// The words `newPodInfo` gives, case by case.
    #[test]
    fn words_like_the_plugin() {
        assert_eq!(word(&json!({"phase": "Pending"})), "◌ Pending");
        assert_eq!(
            word(
                &json!({"phase": "Pending", "initContainerStatuses": [{"name": "init", "image": "", "imageID": "",
                "ready": false, "restartCount": 0, "state": {"terminated": {"exitCode": 3}}}]})
            ),
            "◌ Init:ExitCode:3"
        );
        assert_eq!(
            word(
                &json!({"phase": "Pending", "initContainerStatuses": [{"name": "init", "image": "", "imageID": "",
                "ready": false, "restartCount": 0, "state": {"running": {}}}]})
            ),
            "◌ Init:0/1"
        );
        let running = json!({"phase": "Running", "initContainerStatuses": [{"name": "init", "image": "", "imageID": "",
                "ready": false, "restartCount": 0, "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}}],
            "containerStatuses": [
                {"name": "a", "image": "", "imageID": "", "ready": true, "restartCount": 1, "state": {"running": {}}},
                {"name": "b", "image": "", "imageID": "", "ready": false, "restartCount": 4,
                 "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]});
        let info = pod_info(&pod(&running));
        assert_eq!(info.label().to_string(), "✖ CrashLoopBackOff");
        assert_eq!((info.ready, info.total, info.restarts), (1, 2, 5));
        assert_eq!(
            word(&json!({"phase": "Running", "containerStatuses": [
                {"name": "a", "image": "", "imageID": "", "ready": false, "restartCount": 0,
                 "state": {"terminated": {"exitCode": 137, "reason": "OOMKilled"}}}]})),
            "• OOMKilled"
        );
    }
}
