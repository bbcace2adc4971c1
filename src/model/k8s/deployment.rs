//! A plain `apps/v1` Deployment's rollout progress, checked in the order `kubectl rollout
//! status` checks it (`DeploymentStatusViewer` in kubernetes/kubectl,
//! `pkg/polymorphichelpers/rollout_status.go`, checked against
//! dee3483a3d6a64c07fdf746caf80af446dee99ac), with kubectl's messages. Argo CD's own
//! Deployment health borrows the same checks with other words
//! ([`super::health_rules::deployment_health`]); both are shown.

use k8s_openapi::api::apps::v1::Deployment;

use super::rollout::RolloutPhase;

/// Where a Deployment's rollout stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeploymentProgress {
    /// Still rolling; kubectl keeps waiting.
    Waiting(String),
    /// Progressing condition reports `ProgressDeadlineExceeded`; kubectl exits with an error.
    Failed(String),
    Complete(String),
}

impl DeploymentProgress {
    #[must_use]
    pub fn message(&self) -> &str {
        match self {
            Self::Waiting(m) | Self::Failed(m) | Self::Complete(m) => m,
        }
    }
}

/// `kubectl rollout status deployment/<name>`, one check at a time in kubectl's order.
#[must_use]
pub fn deployment_status(deployment: &Deployment) -> DeploymentProgress {
    let name = deployment.metadata.name.as_deref().unwrap_or_default();
    let generation = deployment.metadata.generation.unwrap_or(0);
    let status = deployment.status.clone().unwrap_or_default();
    if generation > status.observed_generation.unwrap_or(0) {
        return DeploymentProgress::Waiting(
            "Waiting for deployment spec update to be observed...".into(),
        );
    }
    if progress_deadline_exceeded(deployment) {
        return DeploymentProgress::Failed(format!(
            "deployment \"{name}\" exceeded its progress deadline"
        ));
    }
    let updated = status.updated_replicas.unwrap_or(0);
    let replicas = status.replicas.unwrap_or(0);
    let available = status.available_replicas.unwrap_or(0);
    if let Some(desired) = deployment.spec.as_ref().and_then(|s| s.replicas)
        && updated < desired
    {
        return DeploymentProgress::Waiting(format!(
            "Waiting for deployment \"{name}\" rollout to finish: {updated} out of {desired} new replicas have been updated..."
        ));
    }
    if replicas > updated {
        return DeploymentProgress::Waiting(format!(
            "Waiting for deployment \"{name}\" rollout to finish: {} old replicas are pending termination...",
            replicas - updated
        ));
    }
    if available < updated {
        return DeploymentProgress::Waiting(format!(
            "Waiting for deployment \"{name}\" rollout to finish: {available} of {updated} updated replicas are available..."
        ));
    }
    DeploymentProgress::Complete(format!("deployment \"{name}\" successfully rolled out"))
}

/// The `Progressing` condition says the deadline passed.
#[must_use]
pub fn progress_deadline_exceeded(deployment: &Deployment) -> bool {
    deployment
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|cs| {
            cs.iter().any(|c| {
                c.type_ == "Progressing" && c.reason.as_deref() == Some("ProgressDeadlineExceeded")
            })
        })
}

#[must_use]
pub fn is_paused(deployment: &Deployment) -> bool {
    deployment
        .spec
        .as_ref()
        .and_then(|s| s.paused)
        .unwrap_or(false)
}

/// The same four words as a Rollout, so both share one status column: a deadline failure is
/// Degraded, a paused Deployment is Paused (as Argo CD's health check calls it Suspended),
/// otherwise kubectl's verdict.
#[must_use]
pub fn deployment_phase(deployment: &Deployment) -> (RolloutPhase, String) {
    match deployment_status(deployment) {
        DeploymentProgress::Failed(m) => (RolloutPhase::Degraded, m),
        _ if is_paused(deployment) => (RolloutPhase::Paused, "deployment is paused".into()),
        DeploymentProgress::Waiting(m) => (RolloutPhase::Progressing, m),
        DeploymentProgress::Complete(m) => (RolloutPhase::Healthy, m),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use serde_json::{Value, json};

    use super::*;

    pub(crate) fn deployment(spec_extra: Value, status: Value, generation: i64) -> Deployment {
        let mut spec = json!({
            "replicas": 3,
            "selector": {"matchLabels": {"app": "api"}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
            "template": {
                "metadata": {"labels": {"app": "api"}},
                "spec": {"containers": [{"name": "api", "image": "registry.example.com/api:v2"}]}
            }
        });
        if let (Some(s), Value::Object(extra)) = (spec.as_object_mut(), spec_extra) {
            s.extend(extra);
        }
        let mut object = json!({
            "apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": "api", "namespace": "shop", "generation": generation},
            "spec": spec,
        });
        object["status"] = status;
        serde_json::from_value(object).expect("fixture parses")
    }

    pub(crate) fn rolling() -> Deployment {
        deployment(
            json!({}),
            json!({"observedGeneration": 4, "replicas": 4, "updatedReplicas": 1,
                   "readyReplicas": 3, "availableReplicas": 3,
                   "conditions": [{"type": "Progressing", "status": "True", "reason": "ReplicaSetUpdated"}]}),
            4,
        )
    }

    pub(crate) fn complete() -> Deployment {
        deployment(
            json!({}),
            json!({"observedGeneration": 4, "replicas": 3, "updatedReplicas": 3,
                   "readyReplicas": 3, "availableReplicas": 3,
                   "conditions": [{"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"}]}),
            4,
        )
    }

    pub(crate) fn paused() -> Deployment {
        deployment(
            json!({"paused": true}),
            json!({"observedGeneration": 5, "replicas": 3, "updatedReplicas": 0,
                   "readyReplicas": 3, "availableReplicas": 3,
                   "conditions": [{"type": "Progressing", "status": "Unknown", "reason": "DeploymentPaused"}]}),
            5,
        )
    }

    pub(crate) fn deadline_exceeded() -> Deployment {
        deployment(
            json!({}),
            json!({"observedGeneration": 6, "replicas": 4, "updatedReplicas": 1,
                   "readyReplicas": 3, "availableReplicas": 3, "unavailableReplicas": 1,
                   "conditions": [{"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded",
                                   "message": "ReplicaSet \"api-7c9d8f6b5\" has timed out progressing."}]}),
            6,
        )
    }

    #[test]
    fn kubectl_messages_in_order() {
        let unobserved = deployment(json!({}), json!({"observedGeneration": 3}), 4);
        assert_eq!(
            deployment_status(&unobserved),
            DeploymentProgress::Waiting(
                "Waiting for deployment spec update to be observed...".into()
            )
        );
        assert_eq!(
            deployment_status(&deadline_exceeded()),
            DeploymentProgress::Failed("deployment \"api\" exceeded its progress deadline".into())
        );
        assert_eq!(
            deployment_status(&rolling()).message(),
            "Waiting for deployment \"api\" rollout to finish: 1 out of 3 new replicas have been updated..."
        );
        let terminating = deployment(
            json!({}),
            json!({"observedGeneration": 4, "replicas": 4, "updatedReplicas": 3, "availableReplicas": 3}),
            4,
        );
        assert_eq!(
            deployment_status(&terminating).message(),
            "Waiting for deployment \"api\" rollout to finish: 1 old replicas are pending termination..."
        );
        let unavailable = deployment(
            json!({}),
            json!({"observedGeneration": 4, "replicas": 3, "updatedReplicas": 3, "availableReplicas": 2}),
            4,
        );
        assert_eq!(
            deployment_status(&unavailable).message(),
            "Waiting for deployment \"api\" rollout to finish: 2 of 3 updated replicas are available..."
        );
        assert_eq!(
            deployment_status(&complete()),
            DeploymentProgress::Complete("deployment \"api\" successfully rolled out".into())
        );
    }

    #[test]
    fn phases_for_the_shared_status_column() {
        assert_eq!(deployment_phase(&complete()).0, RolloutPhase::Healthy);
        assert_eq!(deployment_phase(&rolling()).0, RolloutPhase::Progressing);
        assert_eq!(
            deployment_phase(&paused()),
            (RolloutPhase::Paused, "deployment is paused".into())
        );
        assert_eq!(
            deployment_phase(&deadline_exceeded()).0,
            RolloutPhase::Degraded
        );
    }
}
