//! What the rollout tree and the stuck diagnosis need from a Pod: a kubectl-like status word
//! with the plugin's icon, readiness, restarts, the owning ReplicaSet, and the container or
//! scheduling problems that keep it from becoming ready.

use k8s_openapi::api::core::v1::{ContainerStatus, Pod};

use super::status::{StatusIcon, StatusLabel};

/// A container that is waiting for a reason other than normal start-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerProblem {
    pub container: String,
    pub image: String,
    /// `ImagePullBackOff`, `ErrImagePull`, `CrashLoopBackOff`, `CreateContainerConfigError`, …
    pub reason: String,
    pub message: String,
    pub restarts: i32,
    /// Exit code and reason of the last run, for crash loops.
    pub last_exit: Option<(i32, String)>,
}

/// One pod, summarised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodSummary {
    pub name: String,
    pub status: StatusLabel,
    pub ready: usize,
    pub total: usize,
    pub restarts: i32,
    pub problems: Vec<ContainerProblem>,
    /// The scheduler's message when `PodScheduled` is False with reason `Unschedulable`.
    pub unschedulable: Option<String>,
    /// The ReplicaSet that owns the pod.
    pub owner: Option<String>,
}

/// Waiting reasons that are part of a normal start.
fn benign_waiting(reason: &str) -> bool {
    matches!(reason, "ContainerCreating" | "PodInitializing")
}

fn problem(c: &ContainerStatus) -> Option<ContainerProblem> {
    let waiting = c.state.as_ref()?.waiting.as_ref()?;
    let reason = waiting.reason.clone().unwrap_or_default();
    if reason.is_empty() || benign_waiting(&reason) {
        return None;
    }
    let last_exit = c
        .last_state
        .as_ref()
        .and_then(|s| s.terminated.as_ref())
        .map(|t| (t.exit_code, t.reason.clone().unwrap_or_default()));
    Some(ContainerProblem {
        container: c.name.clone(),
        image: c.image.clone(),
        reason,
        message: waiting.message.clone().unwrap_or_default(),
        restarts: c.restart_count,
        last_exit,
    })
}

impl PodSummary {
    #[must_use]
    pub fn of(pod: &Pod) -> Self {
        // Borrowed, not cloned: this runs for every pod of every snapshot.
        let empty = k8s_openapi::api::core::v1::PodStatus::default();
        let status = pod.status.as_ref().unwrap_or(&empty);
        let containers = status.container_statuses.as_deref().unwrap_or(&[]);
        let init = status.init_container_statuses.as_deref().unwrap_or(&[]);
        let total = pod
            .spec
            .as_ref()
            .map_or(containers.len(), |s| s.containers.len());
        let ready = containers.iter().filter(|c| c.ready).count();
        let restarts = containers.iter().map(|c| c.restart_count).sum();
        let problems: Vec<ContainerProblem> =
            init.iter().chain(containers).filter_map(problem).collect();
        let unschedulable = status
            .conditions
            .as_ref()
            .and_then(|cs| {
                cs.iter().find(|c| {
                    c.type_ == "PodScheduled"
                        && c.status == "False"
                        && c.reason.as_deref() == Some("Unschedulable")
                })
            })
            .map(|c| c.message.clone().unwrap_or_default());
        let owner = pod
            .metadata
            .owner_references
            .as_ref()
            .and_then(|refs| refs.iter().find(|r| r.kind == "ReplicaSet"))
            .map(|r| r.name.clone());
        let phase = status.phase.as_deref().unwrap_or("Unknown");
        let label = if pod.metadata.deletion_timestamp.is_some() {
            StatusLabel::new(StatusIcon::Progressing, "Terminating")
        } else if let Some(p) = problems.first() {
            StatusLabel::new(StatusIcon::Warning, p.reason.clone())
        } else if unschedulable.is_some() {
            StatusLabel::new(StatusIcon::Warning, "Unschedulable")
        } else {
            match phase {
                "Running" if ready == total => StatusLabel::new(StatusIcon::Ok, "Running"),
                "Running" => StatusLabel::new(StatusIcon::Progressing, "Running"),
                "Pending" => StatusLabel::new(StatusIcon::Waiting, "Pending"),
                "Succeeded" => StatusLabel::new(StatusIcon::Ok, "Completed"),
                "Failed" => StatusLabel::new(StatusIcon::Bad, "Failed"),
                other => StatusLabel::new(StatusIcon::Unknown, other),
            }
        };
        Self {
            name: pod.metadata.name.clone().unwrap_or_default(),
            status: label,
            ready,
            total,
            restarts,
            problems,
            unschedulable,
            owner,
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use serde_json::{Value, json};

    use super::*;

    pub(crate) fn pod(name: &str, owner: &str, status: &Value) -> Pod {
        serde_json::from_value(json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "shop",
                         "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                                              "name": owner, "uid": "u-1", "controller": true}]},
            "spec": {"containers": [{"name": "api", "image": "registry.example.com/api:v2"}]},
            "status": status
        }))
        .expect("fixture parses")
    }

    pub(crate) fn image_pull_backoff(name: &str, owner: &str) -> Pod {
        pod(
            name,
            owner,
            &json!({"phase": "Pending", "containerStatuses": [{
                "name": "api", "image": "registry.example.com/api:v2", "imageID": "", "ready": false,
                "restartCount": 0,
                "state": {"waiting": {"reason": "ImagePullBackOff",
                    "message": "Back-off pulling image \"registry.example.com/api:v2\": ErrImagePull: rpc error: code = NotFound desc = failed to pull and unpack image \"registry.example.com/api:v2\": failed to resolve reference \"registry.example.com/api:v2\": registry.example.com/api:v2: not found"}}}]}),
        )
    }

    pub(crate) fn crash_loop(name: &str, owner: &str) -> Pod {
        pod(
            name,
            owner,
            &json!({"phase": "Running", "containerStatuses": [{
                "name": "api", "image": "registry.example.com/api:v2", "imageID": "", "ready": false,
                "restartCount": 7,
                "state": {"waiting": {"reason": "CrashLoopBackOff",
                    "message": "back-off 5m0s restarting failed container=api pod=api-7c9d8f6b5-abcde_shop"}},
                "lastState": {"terminated": {"exitCode": 1, "reason": "Error"}}}]}),
        )
    }

    pub(crate) fn config_error(name: &str, owner: &str) -> Pod {
        pod(
            name,
            owner,
            &json!({"phase": "Pending", "containerStatuses": [{
                "name": "api", "image": "registry.example.com/api:v2", "imageID": "", "ready": false,
                "restartCount": 0,
                "state": {"waiting": {"reason": "CreateContainerConfigError",
                                      "message": "secret \"api-db\" not found"}}}]}),
        )
    }

    pub(crate) fn unschedulable(name: &str, owner: &str) -> Pod {
        pod(
            name,
            owner,
            &json!({"phase": "Pending", "conditions": [{
                "type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                "message": "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod."}]}),
        )
    }

    pub(crate) fn running(name: &str, owner: &str) -> Pod {
        pod(
            name,
            owner,
            &json!({"phase": "Running", "containerStatuses": [{
                "name": "api", "image": "registry.example.com/api:v1", "imageID": "", "ready": true,
                "restartCount": 0, "state": {"running": {"startedAt": "2026-08-20T08:00:00Z"}}}]}),
        )
    }

    #[test]
    fn summaries() {
        let s = PodSummary::of(&image_pull_backoff("api-1", "api-7c9d8f6b5"));
        assert_eq!(s.status.to_string(), "⚠ ImagePullBackOff");
        assert_eq!((s.ready, s.total), (0, 1));
        assert_eq!(s.owner.as_deref(), Some("api-7c9d8f6b5"));
        let s = PodSummary::of(&crash_loop("api-2", "api-7c9d8f6b5"));
        assert_eq!(s.restarts, 7);
        assert_eq!(s.problems[0].last_exit, Some((1, "Error".into())));
        let s = PodSummary::of(&unschedulable("api-3", "api-7c9d8f6b5"));
        assert_eq!(s.status.to_string(), "⚠ Unschedulable");
        assert_eq!(
            PodSummary::of(&running("api-4", "api-6b7c8d9e0"))
                .status
                .to_string(),
            "✔ Running"
        );
    }
}
