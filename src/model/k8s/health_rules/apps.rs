//! Health of the `apps/v1` workloads as Argo CD assesses them, from gitops-engine/pkg/health/
//! in argoproj/argo-cd at 37ee0097cf851bc2dd7665fc081bbce61a7e836e: `health_deployment.go`,
//! `health_statefulset.go`, `health_daemonset.go`, `health_replicaset.go`. Each borrows
//! kubectl's rollout-status checks and words them its own way; the messages are upstream's.
//! Absent numbers read as Go's zero values, as they do upstream.

use k8s_openapi::api::apps::v1::{
    DaemonSet, DaemonSetSpec, DaemonSetStatus, Deployment, DeploymentSpec, DeploymentStatus,
    ReplicaSet, ReplicaSetStatus, StatefulSet, StatefulSetSpec, StatefulSetStatus,
};

use super::Health;
use crate::model::k8s::app_row::HealthState;

/// `getAppsv1DeploymentHealth`: paused is Suspended; an unobserved generation is
/// Progressing; then the Progressing condition's `ProgressDeadlineExceeded` is Degraded, and
/// replicas still to update, old replicas still terminating or updated replicas not yet
/// available are Progressing.
#[must_use]
pub fn deployment_health(deployment: &Deployment) -> Health {
    use HealthState as H;
    // Borrowed, not cloned: this runs for every Deployment of every snapshot.
    let (no_spec, no_status) = (DeploymentSpec::default(), DeploymentStatus::default());
    let spec = deployment.spec.as_ref().unwrap_or(&no_spec);
    let status = deployment.status.as_ref().unwrap_or(&no_status);
    if spec.paused.unwrap_or(false) {
        return Health::new(H::Suspended, "Deployment is paused");
    }
    let name = deployment.metadata.name.as_deref().unwrap_or_default();
    if deployment.metadata.generation.unwrap_or(0) > status.observed_generation.unwrap_or(0) {
        return Health::new(
            H::Progressing,
            "Waiting for rollout to finish: observed deployment generation less than desired generation",
        );
    }
    let progressing = status
        .conditions
        .iter()
        .flatten()
        .find(|c| c.type_ == "Progressing");
    let updated = status.updated_replicas.unwrap_or(0);
    let replicas = status.replicas.unwrap_or(0);
    let available = status.available_replicas.unwrap_or(0);
    if progressing.is_some_and(|c| c.reason.as_deref() == Some("ProgressDeadlineExceeded")) {
        return Health::new(
            H::Degraded,
            format!("Deployment \"{name}\" exceeded its progress deadline"),
        );
    }
    if let Some(desired) = spec.replicas
        && updated < desired
    {
        return Health::new(
            H::Progressing,
            format!(
                "Waiting for rollout to finish: {updated} out of {desired} new replicas have been updated..."
            ),
        );
    }
    if replicas > updated {
        return Health::new(
            H::Progressing,
            format!(
                "Waiting for rollout to finish: {} old replicas are pending termination...",
                replicas - updated
            ),
        );
    }
    if available < updated {
        return Health::new(
            H::Progressing,
            format!(
                "Waiting for rollout to finish: {available} of {updated} updated replicas are available..."
            ),
        );
    }
    Health::new(H::Healthy, "")
}

/// `getAppsv1StatefulSetHealth`: an unobserved (or never observed) generation and pods not
/// yet ready are Progressing; a `RollingUpdate` with a partition waits for the pods above it;
/// `OnDelete` is Healthy once ready; otherwise the update revision must have replaced the
/// current one.
#[must_use]
pub fn stateful_set_health(sts: &StatefulSet) -> Health {
    use HealthState as H;
    let (no_spec, no_status) = (StatefulSetSpec::default(), StatefulSetStatus::default());
    let spec = sts.spec.as_ref().unwrap_or(&no_spec);
    let status = sts.status.as_ref().unwrap_or(&no_status);
    let observed = status.observed_generation.unwrap_or(0);
    if observed == 0 || sts.metadata.generation.unwrap_or(0) > observed {
        return Health::new(
            H::Progressing,
            "Waiting for statefulset spec update to be observed...",
        );
    }
    let ready = status.ready_replicas.unwrap_or(0);
    if let Some(desired) = spec.replicas
        && ready < desired
    {
        return Health::new(
            H::Progressing,
            format!("Waiting for {} pods to be ready...", desired - ready),
        );
    }
    let updated = status.updated_replicas.unwrap_or(0);
    let strategy = spec.update_strategy.as_ref();
    let kind = strategy
        .and_then(|s| s.type_.as_deref())
        .unwrap_or_default();
    if kind == "RollingUpdate"
        && let Some(rolling) = strategy.and_then(|s| s.rolling_update.as_ref())
    {
        if let (Some(desired), Some(partition)) = (spec.replicas, rolling.partition)
            && updated < desired - partition
        {
            return Health::new(
                H::Progressing,
                format!(
                    "Waiting for partitioned roll out to finish: {updated} out of {} new pods have been updated...",
                    desired - partition
                ),
            );
        }
        return Health::new(
            H::Healthy,
            format!("partitioned roll out complete: {updated} new pods have been updated..."),
        );
    }
    if kind == "OnDelete" {
        return Health::new(H::Healthy, format!("statefulset has {ready} ready pods"));
    }
    let update_revision = status.update_revision.as_deref().unwrap_or_default();
    let current_revision = status.current_revision.as_deref().unwrap_or_default();
    if update_revision != current_revision {
        return Health::new(
            H::Progressing,
            format!(
                "waiting for statefulset rolling update to complete {updated} pods at revision {update_revision}..."
            ),
        );
    }
    Health::new(
        H::Healthy,
        format!(
            "statefulset rolling update complete {} pods at revision {current_revision}...",
            status.current_replicas.unwrap_or(0)
        ),
    )
}

/// `getAppsv1DaemonSetHealth`: an unobserved generation is Progressing; `OnDelete` is Healthy;
/// otherwise every scheduled pod must be updated and available.
#[must_use]
pub fn daemon_set_health(daemon: &DaemonSet) -> Health {
    use HealthState as H;
    let (no_spec, no_status) = (DaemonSetSpec::default(), DaemonSetStatus::default());
    let spec = daemon.spec.as_ref().unwrap_or(&no_spec);
    let status = daemon.status.as_ref().unwrap_or(&no_status);
    let name = daemon.metadata.name.as_deref().unwrap_or_default();
    if daemon.metadata.generation.unwrap_or(0) > status.observed_generation.unwrap_or(0) {
        return Health::new(
            H::Progressing,
            "Waiting for rollout to finish: observed daemon set generation less than desired generation",
        );
    }
    let updated = status.updated_number_scheduled.unwrap_or(0);
    let desired = status.desired_number_scheduled;
    let on_delete = spec
        .update_strategy
        .as_ref()
        .and_then(|s| s.type_.as_deref())
        == Some("OnDelete");
    if on_delete {
        return Health::new(
            H::Healthy,
            format!("daemon set {updated} out of {desired} new pods have been updated"),
        );
    }
    if updated < desired {
        return Health::new(
            H::Progressing,
            format!(
                "Waiting for daemon set \"{name}\" rollout to finish: {updated} out of {desired} new pods have been updated..."
            ),
        );
    }
    let available = status.number_available.unwrap_or(0);
    if available < desired {
        return Health::new(
            H::Progressing,
            format!(
                "Waiting for daemon set \"{name}\" rollout to finish: {available} of {desired} updated pods are available..."
            ),
        );
    }
    Health::new(H::Healthy, "")
}

/// `getAppsv1ReplicaSetHealth`: an unobserved generation is Progressing; a True
/// `ReplicaFailure` condition is Degraded; fewer available than desired is Progressing.
#[must_use]
pub fn replica_set_health(rs: &ReplicaSet) -> Health {
    use HealthState as H;
    let no_status = ReplicaSetStatus::default();
    let status = rs.status.as_ref().unwrap_or(&no_status);
    if rs.metadata.generation.unwrap_or(0) > status.observed_generation.unwrap_or(0) {
        return Health::new(
            H::Progressing,
            "Waiting for rollout to finish: observed replica set generation less than desired generation",
        );
    }
    let failure = status
        .conditions
        .iter()
        .flatten()
        .find(|c| c.type_ == "ReplicaFailure");
    if let Some(c) = failure.filter(|c| c.status == "True") {
        return Health::new(H::Degraded, c.message.clone().unwrap_or_default());
    }
    let available = status.available_replicas.unwrap_or(0);
    if let Some(desired) = rs.spec.as_ref().and_then(|s| s.replicas)
        && available < desired
    {
        return Health::new(
            H::Progressing,
            format!(
                "Waiting for rollout to finish: {available} out of {desired} new replicas are available..."
            ),
        );
    }
    Health::new(H::Healthy, "")
}
