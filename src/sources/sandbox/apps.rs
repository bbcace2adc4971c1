//! The sandbox's Argo CD: one `Application` per fleet service, built as the JSON the
//! Kubernetes API would serve and parsed through the same model as a real cluster's. Most
//! apps are Synced and Healthy; the seed picks two that drifted, one mid-sync and one whose
//! comparison fails, and the `StuckRollout` incident's service is Degraded.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::mpsc;

use jiff::{SignedDuration, Timestamp};
use serde_json::{Value, json};

use super::fleet::{Rng, SERVICES};
use super::{IncidentKind, World};
use crate::actions::ActionRequest;
use crate::actions::gate::{ExecResult, Executor};
use crate::model::k8s::Application;
use crate::sources::kube::KubeSnapshot;

/// The namespace Argo CD runs in, in the sandbox.
pub const ARGO_NAMESPACE: &str = "argocd";

fn sha(rng: &mut Rng) -> String {
    format!(
        "{:016x}{:016x}{:08x}",
        rng.next_u64(),
        rng.next_u64(),
        rng.next_u64() & 0xffff_ffff
    )
}

fn ago(now: Timestamp, minutes: i64) -> String {
    (now - SignedDuration::from_mins(minutes)).to_string()
}

/// What the seed made of one app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Shape {
    Healthy,
    Drifted,
    Syncing,
    ComparisonError,
    Degraded,
}

#[expect(
    clippy::too_many_lines,
    reason = "one simulated Argo CD application, written out the way the API returns it"
)]
fn application(
    name: &str,
    squad: &str,
    tier: u8,
    shape: Shape,
    now: Timestamp,
    rng: &mut Rng,
) -> Value {
    let head = sha(rng);
    let previous = sha(rng);
    let history: Vec<Value> = (0..3_i64)
        .map(|i| {
            let revision = if i == 2 { head.clone() } else { sha(rng) };
            json!({
                "id": 40 + i,
                "revision": revision,
                "deployedAt": ago(now, (3 - i) * 190),
                "deployStartedAt": ago(now, (3 - i) * 190 + 1),
                "initiatedBy": if tier == 3 { json!({"automated": true}) } else { json!({"username": "ci-bot"}) },
                "source": {"repoURL": format!("https://github.com/acme/{name}.git"), "path": "deploy", "targetRevision": "main"},
            })
        })
        .collect();
    let resources = |drift: bool| {
        json!([
            {"group": "apps", "version": "v1", "kind": "Deployment", "namespace": squad, "name": name,
             "status": if drift { "OutOfSync" } else { "Synced" }, "health": {"status": "Healthy"}},
            {"version": "v1", "kind": "Service", "namespace": squad, "name": name, "status": "Synced", "health": {"status": "Healthy"}},
            {"version": "v1", "kind": "ConfigMap", "namespace": squad, "name": format!("{name}-config"),
             "status": if drift { "OutOfSync" } else { "Synced" }},
        ])
    };
    let succeeded = |minutes: i64| {
        json!({"phase": "Succeeded", "message": "successfully synced (all tasks run)",
               "startedAt": ago(now, minutes + 1), "finishedAt": ago(now, minutes)})
    };
    let (sync, health, health_message, conditions, operation_state, operation, synced) = match shape
    {
        Shape::Healthy => (
            "Synced",
            "Healthy",
            String::new(),
            json!([]),
            succeeded(190),
            Value::Null,
            head.clone(),
        ),
        Shape::Drifted => (
            "OutOfSync",
            "Healthy",
            String::new(),
            json!([]),
            succeeded(190),
            Value::Null,
            previous.clone(),
        ),
        Shape::Syncing => (
            "OutOfSync",
            "Progressing",
            "Waiting for rollout to finish: 1 of 3 updated replicas are available...".to_owned(),
            json!([]),
            json!({"phase": "Running", "message": "waiting for healthy state of apps/Deployment/".to_owned() + name, "startedAt": ago(now, 2), "operation": {"sync": {"revision": head}, "initiatedBy": {"username": "maya.cohen"}}}),
            json!({"sync": {"revision": head, "syncStrategy": {"hook": {}}}, "initiatedBy": {"username": "maya.cohen"}}),
            previous.clone(),
        ),
        Shape::ComparisonError => (
            "Unknown",
            "Healthy",
            String::new(),
            json!([{"type": "ComparisonError", "message": "Failed to load target state: failed to generate manifest for source 1 of 1: rpc error: code = Unknown desc = `helm template` failed: values.yaml: line 12: mapping values are not allowed in this context", "lastTransitionTime": ago(now, 14)}]),
            succeeded(190),
            Value::Null,
            previous.clone(),
        ),
        Shape::Degraded => (
            "Synced",
            "Degraded",
            format!("Deployment \"{name}\" exceeded its progress deadline"),
            json!([]),
            succeeded(25),
            Value::Null,
            head.clone(),
        ),
    };
    let drift = matches!(shape, Shape::Drifted | Shape::Syncing);
    let mut resources = resources(drift);
    if shape == Shape::Degraded
        && let Some(r) = resources.get_mut(0)
    {
        r["health"] = json!({"status": "Degraded", "message": health_message});
    }
    let mut app = json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": name, "namespace": ARGO_NAMESPACE, "resourceVersion": "1", "generation": 1},
        "spec": {
            "project": squad,
            "source": {"repoURL": format!("https://github.com/acme/{name}.git"), "path": "deploy", "targetRevision": "main"},
            "destination": {"server": "https://kubernetes.default.svc", "namespace": squad},
            "syncPolicy": if tier == 3 { json!({"automated": {"prune": true, "selfHeal": true}}) } else { json!({}) },
        },
        "status": {
            "sync": {"status": sync, "revision": synced},
            "health": {"status": health, "message": health_message},
            "conditions": conditions,
            "operationState": operation_state,
            "history": history,
            "resources": resources,
            "reconciledAt": ago(now, 1),
        },
    });
    if !operation.is_null() {
        app["operation"] = operation;
    }
    app
}

/// What the seed made of each fleet service's app, in `SERVICES` order.
#[must_use]
pub(super) fn shapes(world: &World) -> Vec<Shape> {
    let mut rng = Rng::new(world.seed ^ 0xA26C_D0A5);
    let stuck: Vec<&str> = world
        .incidents
        .iter()
        .filter_map(|i| match &i.kind {
            IncidentKind::StuckRollout { service } => Some(service.as_str()),
            _ => None,
        })
        .collect();
    let n = SERVICES.len();
    let drifted = [rng.below(n), rng.below(n)];
    let syncing = rng.below(n);
    let broken = rng.below(n);
    SERVICES
        .iter()
        .enumerate()
        .map(|(i, t)| {
            if stuck.contains(&t.0) {
                Shape::Degraded
            } else if i == syncing {
                Shape::Syncing
            } else if i == broken {
                Shape::ComparisonError
            } else if drifted.contains(&i) {
                Shape::Drifted
            } else {
                Shape::Healthy
            }
        })
        .collect()
}

/// The sandbox's Applications as first served, in `SERVICES` order: the JSON the Kubernetes
/// API would return.
#[must_use]
pub(super) fn application_values(world: &World) -> Vec<Value> {
    let now = world.now();
    SERVICES
        .iter()
        .zip(shapes(world))
        .enumerate()
        .map(|(i, (t, shape))| {
            let mut app_rng = Rng::new(world.seed.wrapping_add(i as u64));
            application(t.0, t.1, t.2, shape, now, &mut app_rng)
        })
        .collect()
}

/// The sandbox's Applications as first served, sorted by name.
#[must_use]
pub fn applications(world: &World) -> Vec<Application> {
    let mut apps: Vec<Application> = application_values(world)
        .into_iter()
        .filter_map(|v| serde_json::from_value(v).ok())
        .collect();
    apps.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
    apps
}

/// A watch snapshot of the sandbox cluster at the world's time, as the real watch layer
/// publishes one.
#[must_use]
pub fn kube_snapshot(world: &mut World, generation: u64) -> KubeSnapshot {
    let now = world.now();
    world.cluster().snapshot(generation, now)
}

/// Runs Argo CD and rollout actions on the sandbox cluster, as the user.
#[derive(Debug, Clone)]
pub struct SandboxKubeExecutor {
    pub sandbox: super::SandboxHandle,
    pub user: String,
}

impl Executor for SandboxKubeExecutor {
    async fn execute(&self, request: &ActionRequest) -> ExecResult {
        self.sandbox
            .kube_action(request.clone(), self.user.clone())
            .await
            .into()
    }
}

/// Starts the sandbox's watch source (a snapshot every 2 s).
#[must_use]
pub fn spawn_kube(
    sandbox: super::SandboxHandle,
    generation: u64,
    events: mpsc::Sender<crate::sources::SourceEvent>,
) -> crate::sources::SourceHandle {
    use crate::sources::poller::{self, PollSettings};
    use crate::sources::{Control, Reporter, SourceBody, SourceHandle, SourceId};
    let (control_tx, control_rx) = mpsc::channel::<Control>(8);
    let reporter = Reporter::new(SourceId::Kube, generation, events);
    let settings = PollSettings {
        interval: Duration::from_secs(2),
        timeout: Duration::from_secs(2),
    };
    let publishes = Arc::new(AtomicU64::new(0));
    let task = tokio::spawn(poller::run(reporter, control_rx, settings, move |_scope| {
        let sandbox = sandbox.clone();
        let publishes = Arc::clone(&publishes);
        async move {
            let n = publishes.fetch_add(1, Ordering::Relaxed) + 1;
            sandbox
                .kube(n)
                .await
                .map(|snapshot| SourceBody::Kube(Arc::new(snapshot)))
        }
    }));
    SourceHandle::new(SourceId::Kube, control_tx, task)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::k8s::AppRow;
    use crate::model::k8s::app_row::{Attention, sort_by_attention};

    #[test]
    fn the_fleet_has_apps_in_every_state_and_the_stuck_service_is_degraded() {
        let world = World::new(7, crate::screenshot::epoch());
        let apps = applications(&world);
        assert_eq!(apps.len(), SERVICES.len(), "every template parses");
        let mut rows: Vec<AppRow> = apps.iter().map(AppRow::from_app).collect();
        sort_by_attention(&mut rows);
        assert_eq!(rows[0].attention, Attention::Critical, "{:?}", rows[0]);
        assert!(rows.iter().any(|r| r.conditions > 0));
        assert!(rows.iter().any(|r| r.operation.is_some()));
        assert!(
            rows.iter()
                .filter(|r| r.attention == Attention::Calm)
                .count()
                > SERVICES.len() / 2
        );
    }
}
