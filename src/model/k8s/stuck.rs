//! Why a rollout is not progressing, in words a human can act on: built from the workload's
//! conditions, its ReplicaSets and its pods (kubectl's rollout-status rules in
//! kubernetes/kubectl, `pkg/polymorphichelpers/rollout_status.go`, and the pod warnings of
//! <https://github.com/kubernetes/kubernetes/pull/140240>).
//! Pods with the same problem are counted together ("3 pods `ImagePullBackOff`: …").
//!
//! Causes come before effects: a pod's image pull error names what to fix, while
//! `ProgressDeadlineExceeded` only reports that the deadline passed because of it.

use std::borrow::Borrow;
use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::ReplicaSet;

use super::pod::{ContainerProblem, PodFacts};
use super::workload::Workload;

/// What kind of problem; declared most important first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StuckKind {
    /// `ImagePullBackOff` or `ErrImagePull`.
    ImagePull,
    /// `CreateContainerConfigError`: a missing Secret/ConfigMap or key.
    ContainerConfig,
    CrashLoop,
    Unschedulable,
    /// The ReplicaSet cannot create pods (quota, admission webhook, …).
    ReplicaFailure,
    ProgressDeadlineExceeded,
    /// `generation > observedGeneration`: the controller has not seen the latest spec.
    SpecNotObserved,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StuckReason {
    pub kind: StuckKind,
    pub message: String,
    /// `kind/name` of the object to look at (the first pod for grouped pod problems).
    pub object: String,
}

fn pods_word(n: usize) -> String {
    if n == 1 {
        "1 pod".into()
    } else {
        format!("{n} pods")
    }
}

/// The cause inside a pull error, shortened to what a human needs.
fn pull_detail(message: &str) -> String {
    let lower = message.to_ascii_lowercase();
    if lower.contains("not found") || lower.contains("manifest unknown") {
        "not found".into()
    } else if [
        "unauthorized",
        "denied",
        "authentication required",
        "forbidden",
    ]
    .iter()
    .any(|w| lower.contains(w))
    {
        "access denied (check imagePullSecrets)".into()
    } else if ["no such host", "i/o timeout", "connection refused", "tls"]
        .iter()
        .any(|w| lower.contains(w))
    {
        "registry unreachable".into()
    } else if message.is_empty() {
        "cannot be pulled".into()
    } else {
        format!("cannot be pulled: {message}")
    }
}

fn describe(kind: StuckKind, p: &ContainerProblem, count: usize) -> String {
    let pods = pods_word(count);
    match kind {
        StuckKind::ImagePull => format!(
            "{pods} {}: image {} {}",
            p.reason,
            p.image,
            pull_detail(&p.message)
        ),
        StuckKind::CrashLoop => {
            let exit = p
                .last_exit
                .as_ref()
                .map(|(code, reason)| {
                    if reason.is_empty() {
                        format!(", last exit code {code}")
                    } else {
                        format!(", last exit code {code} ({reason})")
                    }
                })
                .unwrap_or_default();
            format!(
                "{pods} CrashLoopBackOff: container {} restarted {} times{exit}",
                p.container, p.restarts
            )
        }
        _ => format!("{pods} {}: {}", p.reason, p.message),
    }
}

fn problem_kind(reason: &str) -> Option<StuckKind> {
    Some(match reason {
        "ImagePullBackOff" | "ErrImagePull" | "InvalidImageName" => StuckKind::ImagePull,
        "CreateContainerConfigError" => StuckKind::ContainerConfig,
        "CrashLoopBackOff" => StuckKind::CrashLoop,
        _ => return None,
    })
}

/// Every reason the workload is stuck, most important first.
#[must_use]
#[expect(
    clippy::too_many_lines,
    reason = "one pass over pods and replica sets; every reason shares the groups it builds"
)]
pub fn diagnose<R: Borrow<ReplicaSet>, P: Borrow<PodFacts>>(
    workload: Workload<'_>,
    replica_sets: &[R],
    pods: &[P],
) -> Vec<StuckReason> {
    type Group = (usize, String, ContainerProblem);
    let workload_ref = format!("{}/{}", workload.kind().as_str(), workload.name());
    let mut reasons = Vec::new();

    // Pods with the same problem, keyed so identical problems count once per group; the
    // first pod seen names the group.
    let mut groups: BTreeMap<(StuckKind, String, String), Group> = BTreeMap::new();
    let mut unschedulable: BTreeMap<String, (usize, String)> = BTreeMap::new();
    for pod in pods {
        let pod = pod.borrow();
        // Read from the facts, not a `PodSummary`: most pods have no problem, and a rollout
        // of 100,000 pods would otherwise build a label and copy names for each of them.
        let problems = pod.problems();
        if problems.is_empty() && pod.unschedulable.is_none() {
            continue;
        }
        let object = format!("pod/{}", pod.name);
        for p in &problems {
            let Some(kind) = problem_kind(&p.reason) else {
                continue;
            };
            // Crash loops group by container (messages name the pod); others by what failed.
            let detail = match kind {
                StuckKind::CrashLoop => p.container.clone(),
                StuckKind::ImagePull => p.image.clone(),
                _ => p.message.clone(),
            };
            let entry = groups
                .entry((kind, p.reason.clone(), detail))
                .or_insert_with(|| (0, object.clone(), p.clone()));
            entry.0 += 1;
            entry.2.restarts = entry.2.restarts.max(p.restarts);
        }
        if let Some(message) = &pod.unschedulable {
            unschedulable
                .entry(message.clone())
                .or_insert_with(|| (0, object.clone()))
                .0 += 1;
        }
    }
    for ((kind, _, _), (count, object, problem)) in groups {
        reasons.push((
            count,
            StuckReason {
                kind,
                message: describe(kind, &problem, count),
                object,
            },
        ));
    }
    for (message, (count, object)) in unschedulable {
        reasons.push((
            count,
            StuckReason {
                kind: StuckKind::Unschedulable,
                message: format!("{} Unschedulable: {message}", pods_word(count)),
                object,
            },
        ));
    }

    for rs in replica_sets {
        let rs = rs.borrow();
        let failure = rs
            .status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())
            .and_then(|cs| {
                cs.iter()
                    .find(|c| c.type_ == "ReplicaFailure" && c.status == "True")
            });
        if let Some(c) = failure {
            let name = rs.metadata.name.clone().unwrap_or_default();
            reasons.push((
                1,
                StuckReason {
                    kind: StuckKind::ReplicaFailure,
                    message: format!(
                        "ReplicaSet {name} cannot create pods: {}",
                        c.message.as_deref().unwrap_or_default()
                    ),
                    object: format!("replicaset/{name}"),
                },
            ));
        }
    }

    if let Some(message) = deadline_message(workload) {
        reasons.push((
            1,
            StuckReason {
                kind: StuckKind::ProgressDeadlineExceeded,
                message: format!("ProgressDeadlineExceeded: {message}"),
                object: workload_ref.clone(),
            },
        ));
    }

    let (generation, observed) = workload.generations();
    if let Some(observed) = observed
        && generation > observed
    {
        reasons.push((
            1,
            StuckReason {
                kind: StuckKind::SpecNotObserved,
                message: format!(
                    "spec update not observed yet (generation {generation}, observed {observed}): is the controller running?"
                ),
                object: workload_ref,
            },
        ));
    }

    reasons.sort_by(|(ca, a), (cb, b)| a.kind.cmp(&b.kind).then(cb.cmp(ca)));
    reasons.into_iter().map(|(_, r)| r).collect()
}

fn deadline_message(workload: Workload<'_>) -> Option<String> {
    match workload {
        Workload::Deployment(d) => d
            .status
            .as_ref()
            .and_then(|s| s.conditions.as_ref())?
            .iter()
            .find(|c| {
                c.type_ == "Progressing" && c.reason.as_deref() == Some("ProgressDeadlineExceeded")
            })
            .map(|c| c.message.clone().unwrap_or_default()),
        Workload::Rollout(r) => r
            .status
            .conditions
            .iter()
            .find(|c| c.reason == "ProgressDeadlineExceeded")
            .map(|c| c.message.clone()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::model::k8s::deployment::tests as dep;
    use crate::model::k8s::pod::tests as pods;

    fn quota_failed_rs() -> ReplicaSet {
        serde_json::from_value(json!({
            "metadata": {"name": "api-7c9d8f6b5", "namespace": "shop"},
            "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "api"}}},
            "status": {"replicas": 0, "conditions": [{"type": "ReplicaFailure", "status": "True",
                "reason": "FailedCreate",
                "message": "pods \"api-7c9d8f6b5-x\" is forbidden: exceeded quota: compute, requested: cpu=500m, used: cpu=4, limited: cpu=4"}]}
        }))
        .expect("fixture parses")
    }

    #[test]
    fn deadline_with_pull_errors_names_the_cause_first() {
        let d = dep::deadline_exceeded();
        let found = diagnose::<ReplicaSet, _>(
            Workload::Deployment(&d),
            &[],
            &[
                pods::image_pull_backoff("api-7c9d8f6b5-a", "api-7c9d8f6b5"),
                pods::image_pull_backoff("api-7c9d8f6b5-b", "api-7c9d8f6b5"),
                pods::image_pull_backoff("api-7c9d8f6b5-c", "api-7c9d8f6b5"),
                pods::running("api-6b7c8d9e0-z", "api-6b7c8d9e0"),
            ],
        );
        assert_eq!(
            found,
            vec![
                StuckReason {
                    kind: StuckKind::ImagePull,
                    message: "3 pods ImagePullBackOff: image registry.example.com/api:v2 not found"
                        .into(),
                    object: "pod/api-7c9d8f6b5-a".into(),
                },
                StuckReason {
                    kind: StuckKind::ProgressDeadlineExceeded,
                    message: "ProgressDeadlineExceeded: ReplicaSet \"api-7c9d8f6b5\" has timed out progressing."
                        .into(),
                    object: "deployment/api".into(),
                },
            ]
        );
    }

    #[test]
    fn every_pod_problem_in_order() {
        let d = dep::rolling();
        let found = diagnose(
            Workload::Deployment(&d),
            &[quota_failed_rs()],
            &[
                pods::unschedulable("api-u1", "api-7c9d8f6b5"),
                pods::crash_loop("api-c1", "api-7c9d8f6b5"),
                pods::crash_loop("api-c2", "api-7c9d8f6b5"),
                pods::config_error("api-e1", "api-7c9d8f6b5"),
            ],
        );
        let messages: Vec<(StuckKind, &str)> =
            found.iter().map(|r| (r.kind, r.message.as_str())).collect();
        assert_eq!(
            messages,
            vec![
                (
                    StuckKind::ContainerConfig,
                    "1 pod CreateContainerConfigError: secret \"api-db\" not found"
                ),
                (
                    StuckKind::CrashLoop,
                    "2 pods CrashLoopBackOff: container api restarted 7 times, last exit code 1 (Error)"
                ),
                (
                    StuckKind::Unschedulable,
                    "1 pod Unschedulable: 0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod."
                ),
                (
                    StuckKind::ReplicaFailure,
                    "ReplicaSet api-7c9d8f6b5 cannot create pods: pods \"api-7c9d8f6b5-x\" is forbidden: exceeded quota: compute, requested: cpu=500m, used: cpu=4, limited: cpu=4"
                ),
            ]
        );
        assert_eq!(found[1].object, "pod/api-c1");
    }

    #[test]
    fn unobserved_spec_and_healthy_workloads() {
        let unobserved = dep::deployment(json!({}), json!({"observedGeneration": 3}), 4);
        let found = diagnose::<ReplicaSet, PodFacts>(Workload::Deployment(&unobserved), &[], &[]);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].kind, StuckKind::SpecNotObserved);
        assert_eq!(
            found[0].message,
            "spec update not observed yet (generation 4, observed 3): is the controller running?"
        );
        let ok = dep::complete();
        assert!(
            diagnose::<ReplicaSet, PodFacts>(
                Workload::Deployment(&ok),
                &[],
                &[pods::running("api-1", "api-6b7c8d9e0")]
            )
            .is_empty()
        );
    }
}
