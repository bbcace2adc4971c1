//! What RBAC lets the user do in the cluster, asked once per permission through
//! `SelfSubjectAccessReview` (as k9s offers only what RBAC allows: derailed/k9s,
//! internal/view/browser.go) so the Argo CD and rollout panes grey out an action with the
//! server's reason instead of letting the user meet a 403 after confirming.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::action::{ActionRequest, RolloutOp, WorkloadKind};

pub use crate::model::k8s::access::{AccessAnswer, AccessKey};

/// The permissions asked about so far in this context, and their answers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KubeAccess {
    answers: BTreeMap<AccessKey, AccessAnswer>,
    asked: BTreeSet<AccessKey>,
    /// Argo CD app actions go to its API server, whose own RBAC decides (no review).
    pub argo_api: bool,
}

/// The permissions `request` needs (the API-server path needs none the cluster can judge).
#[must_use]
pub fn needed(request: &ActionRequest, argo_api: bool) -> Vec<AccessKey> {
    match request {
        ActionRequest::SyncApp { namespace, .. }
        | ActionRequest::RefreshApp { namespace, .. }
        | ActionRequest::RollbackApp { namespace, .. }
        | ActionRequest::TerminateAppOperation { namespace, .. } => {
            if argo_api {
                Vec::new()
            } else {
                vec![AccessKey::new(
                    "patch",
                    "argoproj.io",
                    "applications",
                    "",
                    namespace,
                )]
            }
        }
        ActionRequest::RolloutAction {
            namespace,
            kind,
            op,
            ..
        } => {
            let mut keys = Vec::new();
            let (group, resource) = match kind {
                WorkloadKind::Rollout => ("argoproj.io", "rollouts"),
                WorkloadKind::Deployment => ("apps", "deployments"),
            };
            // promote, abort and retry write the status subresource (argoproj/argo-rollouts,
            // pkg/kubectl-argo-rollouts/cmd/{promote,abort,retry}); so does skip-step
            // (Argo CD's skip-current-step changes only status fields).
            let status = *kind == WorkloadKind::Rollout
                && matches!(
                    op,
                    RolloutOp::Promote { .. }
                        | RolloutOp::Abort
                        | RolloutOp::Retry
                        | RolloutOp::Resume
                        | RolloutOp::SkipStep
                );
            if status {
                keys.push(AccessKey::new(
                    "patch", group, resource, "status", namespace,
                ));
            }
            if !status || matches!(op, RolloutOp::Promote { .. } | RolloutOp::Resume) {
                keys.push(AccessKey::new("patch", group, resource, "", namespace));
            }
            if matches!(op, RolloutOp::Undo { .. }) {
                keys.push(AccessKey::new("list", "apps", "replicasets", "", namespace));
            }
            keys
        }
        // kubectl delete pod: the `delete` verb on core `pods` (no subresource).
        ActionRequest::DeletePod { namespace, .. } => {
            vec![AccessKey::new("delete", "", "pods", "", namespace)]
        }
        // `kubectl auth can-i create pods --subresource=exec`: the WebSocket upgrade is a GET,
        // but Kubernetes 1.35 authorizes it as `create` too (kubernetes/kubernetes#134577),
        // and `create` is the verb every version's RBAC roles grant for exec.
        ActionRequest::ExecPod { namespace, .. } => {
            vec![AccessKey::new("create", "", "pods", "exec", namespace)]
        }
        // `kubectl auth can-i create pods --subresource=portforward`: like exec, a GET
        // upgrade that RBAC roles grant (and Kubernetes 1.35 checks) as `create`
        // (kubernetes/kubernetes#134577).
        ActionRequest::PortForward { namespace, .. } => {
            vec![AccessKey::new(
                "create",
                "",
                "pods",
                "portforward",
                namespace,
            )]
        }
        // `kubectl debug` patches the `ephemeralcontainers` subresource.
        ActionRequest::DebugPod { namespace, .. } => vec![AccessKey::new(
            "patch",
            "",
            "pods",
            "ephemeralcontainers",
            namespace,
        )],
        // `kubectl argo rollouts terminate analysisrun` patches the object itself.
        ActionRequest::TerminateAnalysisRun { namespace, .. } => vec![AccessKey::new(
            "patch",
            "argoproj.io",
            "analysisruns",
            "",
            namespace,
        )],
        _ => Vec::new(),
    }
}

impl KubeAccess {
    #[must_use]
    pub fn new(argo_api: bool) -> Self {
        Self {
            argo_api,
            ..Self::default()
        }
    }

    /// The keys of `requests` not asked about yet; they count as asked from now on.
    pub fn to_ask(&mut self, requests: &[ActionRequest]) -> Vec<AccessKey> {
        let mut out = Vec::new();
        for request in requests {
            for key in needed(request, self.argo_api) {
                if self.asked.insert(key.clone()) {
                    out.push(key);
                }
            }
        }
        out
    }

    pub fn record(&mut self, key: AccessKey, answer: AccessAnswer) {
        self.answers.insert(key, answer);
    }

    /// Why RBAC refuses `request`, if it does (unknown answers do not refuse).
    #[must_use]
    pub fn denial(&self, request: &ActionRequest) -> Option<String> {
        needed(request, self.argo_api)
            .into_iter()
            .find_map(|key| match self.answers.get(&key) {
                Some(AccessAnswer::Denied(reason)) => Some(if reason.is_empty() {
                    format!("RBAC does not allow {}", key.describe())
                } else {
                    format!("RBAC does not allow {}: {reason}", key.describe())
                }),
                _ => None,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rollout(op: RolloutOp) -> ActionRequest {
        ActionRequest::RolloutAction {
            namespace: "shop".into(),
            name: "cart".into(),
            kind: WorkloadKind::Rollout,
            op,
        }
    }

    #[test]
    fn status_writes_need_the_status_subresource() {
        let keys: Vec<String> = needed(&rollout(RolloutOp::Abort), false)
            .iter()
            .map(AccessKey::describe)
            .collect();
        assert_eq!(keys, vec!["patch rollouts/status in shop"]);
        let keys: Vec<String> = needed(&rollout(RolloutOp::Promote { full: false }), false)
            .iter()
            .map(AccessKey::describe)
            .collect();
        assert_eq!(
            keys,
            vec!["patch rollouts/status in shop", "patch rollouts in shop"]
        );
        let keys: Vec<String> = needed(&rollout(RolloutOp::Undo { revision: None }), false)
            .iter()
            .map(AccessKey::describe)
            .collect();
        assert_eq!(
            keys,
            vec!["patch rollouts in shop", "list replicasets in shop"]
        );
    }

    #[test]
    fn denials_name_the_permission_and_api_server_apps_need_no_review() {
        let mut access = KubeAccess::new(false);
        let abort = rollout(RolloutOp::Abort);
        let asked = access.to_ask(&[abort.clone(), rollout(RolloutOp::Retry)]);
        assert_eq!(asked.len(), 1, "one review per permission");
        assert!(access.to_ask(std::slice::from_ref(&abort)).is_empty());
        access.record(asked[0].clone(), AccessAnswer::Denied(String::new()));
        assert_eq!(
            access.denial(&abort).as_deref(),
            Some("RBAC does not allow patch rollouts/status in shop")
        );
        assert_eq!(access.denial(&rollout(RolloutOp::Pause)), None);

        let sync = ActionRequest::SyncApp {
            namespace: "argocd".into(),
            app: "cart".into(),
            prune: false,
            resources: vec![],
            dry_run: false,
        };
        assert_eq!(needed(&sync, false).len(), 1);
        assert!(KubeAccess::new(true).to_ask(&[sync]).is_empty());
    }
}
