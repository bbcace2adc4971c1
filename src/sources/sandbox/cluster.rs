//! The sandbox's Kubernetes cluster: the Argo CD Applications and the workloads behind them,
//! with a simulated Argo CD controller next to the simulated rollout controller of
//! [`super::workloads`].
//!
//! Actions arrive as [`ActionRequest`]s and are turned into the same patches a real cluster
//! gets ([`app_ops::cr_patch`] with its in-progress guard and `resourceVersion` precondition,
//! [`crate::model::k8s::plan`] with the discovery.lua enablement), so the sandbox refuses what
//! Argo CD and the rollouts plugin refuse. The controllers then move the objects on with the
//! world's clock: a requested sync runs and succeeds a few seconds later (or when its rollout
//! is healthy), applies git's pod template and records history; terminate fails the running
//! operation; a refresh stamps `reconciledAt`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};
use k8s_openapi::api::apps::v1::ReplicaSet;
use k8s_openapi::api::core::v1::Pod;
use serde_json::{Value, json};

use super::apps::{ARGO_NAMESPACE, Shape};
use super::fleet::SERVICES;
use super::workloads::{Scenario, SimWorkload};
use crate::model::action::{ActionRequest, WorkloadKind};
use crate::model::k8s::ObjectRef;
use crate::model::k8s::app_ops::{self, REFRESH_ANNOTATION};
use crate::model::k8s::object_ref::ObjectDoc;
use crate::model::k8s::patches::{ROLLOUT_HASH_LABEL, ROLLOUT_REVISION, apply_merge_patch};
use crate::model::k8s::{
    Application, Enablement, PodFacts, Rollout, Workload, op_enablement, plan,
};
use crate::sources::kube::{KindHealth, KubeKind, KubeSnapshot};

/// How long a sync takes in the sandbox when nothing waits for a rollout.
const SYNC_TAKES: SignedDuration = SignedDuration::from_secs(4);

/// The simulated cluster.
#[derive(Debug, Clone)]
pub struct SandboxCluster {
    /// Applications as served, by name.
    apps: BTreeMap<String, Value>,
    workloads: Vec<SimWorkload>,
    /// The app whose sync waits for its rollout to become healthy.
    waits_for_rollout: Option<String>,
    /// `AnalysisRuns` terminated with `t`, by namespace and name: they then read as the
    /// controller leaves a terminated run (Successful, "Run Terminated").
    terminated_runs: BTreeSet<(String, String)>,
    /// The app under a change freeze: an active deny sync window without manual override,
    /// so a refused sync can be seen. A synced, healthy app, never one a tour syncs.
    frozen: Option<String>,
}

/// The sandbox's change-freeze window, as `ApplicationSyncWindowsResponse` lists it.
fn freeze_window(app: &str) -> Value {
    json!({"kind": "deny", "schedule": "0 0 * * *", "duration": "24h", "timeZone": "UTC",
        "manualSync": false, "applications": [app]})
}

fn resource_version(object: &mut Value) {
    let next = object["metadata"]["resourceVersion"]
        .as_str()
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(1)
        + 1;
    object["metadata"]["resourceVersion"] = json!(next.to_string());
}

impl SandboxCluster {
    /// The cluster the seed describes, at `now`.
    #[must_use]
    pub(super) fn new(apps: Vec<Value>, shapes: &[Shape], now: Timestamp) -> Self {
        let mut blue_green_taken = false;
        let mut waits_for_rollout = None;
        let workloads = SERVICES
            .iter()
            .zip(shapes)
            .map(|(t, shape)| {
                let scenario = match shape {
                    Shape::Degraded => Scenario::StuckCanary,
                    Shape::Syncing => {
                        waits_for_rollout = Some(t.0.to_owned());
                        Scenario::ProgressingCanary
                    }
                    Shape::Healthy if t.2 == 1 && !blue_green_taken => {
                        blue_green_taken = true;
                        Scenario::BlueGreen
                    }
                    _ => Scenario::Healthy,
                };
                let replicas = match t.2 {
                    1 => 3,
                    2 => 2,
                    _ => 1,
                };
                SimWorkload::new(t.0, t.1, scenario, replicas, now)
            })
            .collect();
        let apps = apps
            .into_iter()
            .filter_map(|a| Some((a["metadata"]["name"].as_str()?.to_owned(), a)))
            .collect();
        // Tier 1 services may be the blue-green one; a plain healthy canary is frozen.
        let frozen = SERVICES
            .iter()
            .zip(shapes)
            .find(|(t, shape)| **shape == Shape::Healthy && t.2 != 1)
            .map(|(t, _)| t.0.to_owned());
        let mut cluster = Self {
            apps,
            workloads,
            waits_for_rollout,
            terminated_runs: BTreeSet::new(),
            frozen,
        };
        cluster.tick(now);
        cluster
    }

    fn workload_index(&self, namespace: &str, name: &str) -> Option<usize> {
        self.workloads
            .iter()
            .position(|w| w.namespace() == namespace && w.name() == name)
    }

    fn service_workload(&self, service: &str) -> Option<usize> {
        self.workloads.iter().position(|w| w.service == service)
    }

    /// Moves both controllers on to `now`.
    pub fn tick(&mut self, now: Timestamp) {
        for w in &mut self.workloads {
            w.reconcile(now);
            w.publish_status(now);
        }
        let names: Vec<String> = self.apps.keys().cloned().collect();
        for name in names {
            self.reconcile_app(&name, now);
        }
    }

    #[expect(
        clippy::too_many_lines,
        reason = "one reconcile of a simulated app, phase after phase on the same state"
    )]
    fn reconcile_app(&mut self, name: &str, now: Timestamp) {
        let workload = self.service_workload(name);
        let rollout_healthy =
            workload.is_some_and(|i| self.workloads[i].argo_health().0 == "Healthy");
        let waits = self.waits_for_rollout.as_deref() == Some(name);
        let Some(app) = self.apps.get_mut(name) else {
            return;
        };
        let mut changed = false;
        if let Some(obj) = app["metadata"]["annotations"].as_object_mut()
            && obj.remove(REFRESH_ANNOTATION).is_some()
        {
            app["status"]["reconciledAt"] = json!(now.to_string());
            changed = true;
        }
        let phase = app["status"]["operationState"]["phase"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let mut apply_git = false;
        if app.get("operation").is_some_and(|o| !o.is_null()) {
            if phase == "Running" || phase == "Terminating" {
                let started: Timestamp = app["status"]["operationState"]["startedAt"]
                    .as_str()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(now);
                let done = if waits {
                    rollout_healthy
                } else {
                    started + SYNC_TAKES <= now
                };
                if phase == "Terminating" {
                    finish(app, now, "Failed", "Operation terminated");
                    changed = true;
                } else if done {
                    finish(app, now, "Succeeded", "successfully synced (all tasks run)");
                    record_history(app, now);
                    mark_synced(app);
                    apply_git = true;
                    changed = true;
                }
            } else {
                let operation = app["operation"].clone();
                app["status"]["operationState"] = json!({
                    "phase": "Running",
                    "message": "one or more tasks are running",
                    "startedAt": now.to_string(),
                    "operation": operation,
                });
                changed = true;
            }
        } else if phase == "Terminating" {
            finish(app, now, "Failed", "Operation terminated");
            changed = true;
        }
        if apply_git {
            if waits {
                self.waits_for_rollout = None;
            }
            if let Some(i) = workload {
                let git = self.workloads[i].git_template.clone();
                self.workloads[i].merge_patch(&json!({"spec": {"template": git}}));
                self.workloads[i].reconcile(now);
                self.workloads[i].publish_status(now);
            }
        }
        let Some(app) = self.apps.get_mut(name) else {
            return;
        };
        if let Some(i) = workload {
            let w = &self.workloads[i];
            let (health, message) = w.argo_health();
            let resource_sync = if w.drifted() { "OutOfSync" } else { "Synced" };
            let (group, kind) = match w.kind {
                WorkloadKind::Rollout => ("argoproj.io", "Rollout"),
                WorkloadKind::Deployment => ("apps", "Deployment"),
            };
            if let Some(r) = app["status"]["resources"].get_mut(0) {
                let before = r.clone();
                r["group"] = json!(group);
                r["kind"] = json!(kind);
                r["status"] = json!(resource_sync);
                r["health"] = json!({"status": health, "message": message});
                changed |= *r != before;
            }
            let before = app["status"]["health"].clone();
            app["status"]["health"] = json!({"status": health, "message": message});
            changed |= app["status"]["health"] != before;
        }
        let comparison_error = app["status"]["conditions"]
            .as_array()
            .is_some_and(|cs| cs.iter().any(|c| c["type"] == "ComparisonError"));
        let out_of_sync = app["status"]["resources"]
            .as_array()
            .is_some_and(|rs| rs.iter().any(|r| r["status"] == "OutOfSync"));
        let sync = if comparison_error {
            "Unknown"
        } else if out_of_sync {
            "OutOfSync"
        } else {
            "Synced"
        };
        if app["status"]["sync"]["status"] != sync {
            app["status"]["sync"]["status"] = json!(sync);
            changed = true;
        }
        if changed {
            resource_version(app);
        }
    }

    /// Deletes one pod of a Deployment or Rollout (uid-checked); its ReplicaSet replaces it
    /// under a new name, as a real one does.
    fn delete_pod(
        &mut self,
        namespace: &str,
        name: &str,
        uid: &str,
        grace_secs: Option<i64>,
        now: Timestamp,
    ) -> Result<String, String> {
        let replacement = self
            .workloads
            .iter_mut()
            .filter(|w| w.namespace() == namespace)
            .find_map(|w| w.delete_pod(name, uid, now))
            .ok_or_else(|| {
                format!(
                    "pods \"{name}\" not found in namespace {namespace} (the sandbox deletes \
                     the pods of its Deployments and Rollouts)"
                )
            })??;
        let grace = crate::model::action::grace_words(grace_secs);
        Ok(format!(
            "deleted pods/{name} in {namespace} (uid {uid}) with {grace}; its ReplicaSet created {replacement}"
        ))
    }

    /// Runs one action the way the real executor would, at `now`.
    ///
    /// # Errors
    /// The message Argo CD, the plugin or the API server would give.
    pub fn act(
        &mut self,
        request: &ActionRequest,
        username: &str,
        now: Timestamp,
    ) -> Result<String, String> {
        self.tick(now);
        let detail = match request {
            ActionRequest::RolloutAction {
                namespace,
                name,
                kind,
                op,
            } => {
                let i = self
                    .workload_index(namespace, name)
                    .filter(|&i| self.workloads[i].kind == *kind)
                    .ok_or_else(|| format!("{} {namespace}/{name} not found", kind.as_str()))?;
                let (replica_sets, _, _) = self.workloads[i].children(now);
                let replica_sets: Vec<ReplicaSet> = replica_sets
                    .into_iter()
                    .filter_map(|v| serde_json::from_value(v).ok())
                    .collect();
                let object = self.workloads[i].object.clone();
                let plans = match kind {
                    WorkloadKind::Rollout => {
                        let rollout: Rollout =
                            serde_json::from_value(object).map_err(|e| e.to_string())?;
                        checked(Workload::Rollout(&rollout), *op, &replica_sets, now)?
                    }
                    WorkloadKind::Deployment => {
                        let deployment =
                            serde_json::from_value(object).map_err(|e| e.to_string())?;
                        checked(Workload::Deployment(&deployment), *op, &replica_sets, now)?
                    }
                };
                let mut sent = Vec::new();
                for p in &plans {
                    self.workloads[i].merge_patch(&p.patch);
                    let target = match p.subresource {
                        Some(sub) => format!("{}s/{name}/{sub}", kind.as_str()),
                        None => format!("{}s/{name}", kind.as_str()),
                    };
                    sent.push(format!("{target} {}", p.patch));
                }
                format!("patched in {namespace}: {}", sent.join("; "))
            }
            ActionRequest::DeletePod {
                namespace,
                name,
                uid,
                grace_secs,
                ..
            } => self.delete_pod(namespace, name, uid, *grace_secs, now)?,
            ActionRequest::TerminateAnalysisRun {
                namespace, name, ..
            } => self.terminate_analysis_run(namespace, name, now)?,
            ActionRequest::ExecPod { .. }
            | ActionRequest::DebugPod { .. }
            | ActionRequest::PortForward { .. } => {
                return Err(crate::sources::kube::exec::SESSION_ONLY.to_owned());
            }
            _ => self.app_action(request, username)?,
        };
        self.tick(now);
        Ok(detail)
    }

    /// Sync, refresh, rollback or terminate on an Argo CD app: the CR patch the real executor
    /// sends, with its resourceVersion precondition.
    fn app_action(&mut self, request: &ActionRequest, username: &str) -> Result<String, String> {
        let (ActionRequest::SyncApp {
            namespace,
            app: app_name,
            ..
        }
        | ActionRequest::RefreshApp {
            namespace,
            app: app_name,
            ..
        }
        | ActionRequest::RollbackApp {
            namespace,
            app: app_name,
            ..
        }
        | ActionRequest::TerminateAppOperation {
            namespace,
            app: app_name,
        }) = request
        else {
            return Err("not a Kubernetes action".into());
        };
        if !namespace.is_empty() && namespace != ARGO_NAMESPACE {
            return Err(format!(
                "application {namespace}/{app_name} not found (the sandbox keeps apps in {ARGO_NAMESPACE})"
            ));
        }
        // Argo CD's API server refuses a sync (and a rollback, which syncs) that the app's
        // windows block, with these words (argoproj/argo-cd server/application/application.go,
        // `Sync` and `Rollback`: PermissionDenied "cannot sync: blocked by sync window").
        if matches!(
            request,
            ActionRequest::SyncApp { .. } | ActionRequest::RollbackApp { .. }
        ) && self.frozen.as_deref() == Some(app_name.as_str())
        {
            return Err("cannot sync: blocked by sync window".into());
        }
        if let ActionRequest::SyncApp {
            dry_run: true,
            prune,
            ..
        } = request
        {
            return self.dry_run(app_name, *prune);
        }
        let object = self
            .apps
            .get_mut(app_name)
            .ok_or_else(|| format!("application {app_name} not found"))?;
        let app: Application = serde_json::from_value(object.clone()).map_err(|e| e.to_string())?;
        let patch = app_ops::cr_patch(request, &app, username).map_err(|e| e.to_string())?;
        let body = patch.with_precondition();
        if let Some(rv) = body["metadata"]["resourceVersion"].as_str()
            && object["metadata"]["resourceVersion"].as_str() != Some(rv)
        {
            return Err("the application changed since it was read; retry".into());
        }
        apply_merge_patch(object, &patch.patch);
        resource_version(object);
        Ok(format!(
            "patched applications/{app_name} in {ARGO_NAMESPACE}: {}",
            patch.patch
        ))
    }

    /// An application's sync windows as the Argo CD API server answers them
    /// (`ApplicationSyncWindowsResponse`): the frozen app has its active deny window, the
    /// others none (proto3 JSON leaves empty lists out).
    ///
    /// # Errors
    /// When the application does not exist.
    pub fn sync_windows(&self, app_name: &str) -> Result<Value, String> {
        if !self.apps.contains_key(app_name) {
            return Err(format!("application {app_name} not found"));
        }
        Ok(if self.frozen.as_deref() == Some(app_name) {
            let window = freeze_window(app_name);
            json!({"assignedWindows": [window.clone()], "activeWindows": [window],
                "canSync": false})
        } else {
            json!({"canSync": true})
        })
    }

    /// A dry-run sync as the controller would report it: each managed resource applied with
    /// kubectl's client dry run (created when it has no live state, configured when it
    /// differs, unchanged otherwise), and one with no desired state pruned or left, as
    /// gitops-engine words it. Nothing changes.
    fn dry_run(&self, app_name: &str, prune: bool) -> Result<String, String> {
        use crate::model::k8s::dry_run::{DryRun, ResourceResult};
        let body = self.managed_resources(app_name)?;
        let resources = body["items"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|item| {
                let text = |k: &str| item[k].as_str().unwrap_or_default().to_owned();
                let (kind, name) = (text("kind"), text("name"));
                let applied = format!("{}/{name}", kind.to_lowercase());
                let absent = |k: &str| item[k].as_str().is_none_or(|s| s == "null" || s.is_empty());
                let (status, message) = if absent("targetState") {
                    if prune {
                        ("Pruned", "pruned (dry run)".to_owned())
                    } else {
                        ("PruneSkipped", "ignored (requires pruning)".to_owned())
                    }
                } else if absent("liveState") {
                    ("Synced", format!("{applied} created (dry run)"))
                } else if item["modified"] == json!(true) {
                    ("Synced", format!("{applied} configured (dry run)"))
                } else {
                    ("Synced", format!("{applied} unchanged (dry run)"))
                };
                ResourceResult {
                    kind,
                    namespace: text("namespace"),
                    name,
                    status: status.to_owned(),
                    message,
                }
            })
            .collect();
        let run = DryRun {
            phase: "Succeeded".to_owned(),
            message: "successfully synced (all tasks run)".to_owned(),
            resources,
        };
        Ok(format!("dry run: {}", run.summary(4)))
    }

    /// The plugin's terminate patch on a running `AnalysisRun`; it then reads as terminated.
    fn terminate_analysis_run(
        &mut self,
        namespace: &str,
        name: &str,
        now: Timestamp,
    ) -> Result<String, String> {
        let snapshot = self.snapshot(0, now);
        let run = snapshot
            .analysis_runs
            .iter()
            .find(|r| {
                r.metadata.namespace.as_deref() == Some(namespace)
                    && r.metadata.name.as_deref() == Some(name)
            })
            .ok_or_else(|| format!("analysisrun {namespace}/{name} not found"))?;
        let plan =
            crate::model::k8s::patches::terminate_analysis_run(run).map_err(|e| e.to_string())?;
        self.terminated_runs
            .insert((namespace.to_owned(), name.to_owned()));
        Ok(format!(
            "patched in {namespace}: analysisruns/{name} {}",
            plan.patch
        ))
    }

    /// One object read whole with its events, as `kubectl get -o json` and the object's
    /// events give them (the describe and YAML views).
    pub fn object(&self, reference: &ObjectRef, now: Timestamp) -> Result<ObjectDoc, String> {
        let matches = |v: &Value| {
            v["kind"].as_str() == Some(reference.kind.as_str())
                && v["metadata"]["name"].as_str() == Some(reference.name.as_str())
                && (reference.namespace.is_empty()
                    || v["metadata"]["namespace"].as_str() == Some(reference.namespace.as_str()))
        };
        let mut found = self.apps.values().find(|v| matches(v)).cloned();
        let mut events = Vec::new();
        for w in &self.workloads {
            let (replica_sets, pods, workload_events) = w.children(now);
            if found.is_none() {
                found = std::iter::once(w.object.clone())
                    .chain(replica_sets)
                    .chain(pods)
                    .find(|v| matches(v));
            }
            events.extend(workload_events.into_iter().filter(|e| {
                e["involvedObject"]["kind"].as_str() == Some(reference.kind.as_str())
                    && e["involvedObject"]["name"].as_str() == Some(reference.name.as_str())
            }));
        }
        if found.is_none() {
            let (stateful_sets, daemon_sets, jobs, pods) = super::read_only::objects(now);
            found = stateful_sets
                .into_iter()
                .chain(daemon_sets)
                .chain(jobs)
                .chain(pods)
                .find(|v| matches(v));
        }
        if found.is_none() {
            // The apps' other resources (ConfigMaps, Services) live only as the API server's
            // managed-resources states.
            found = self
                .apps
                .keys()
                .filter_map(|app| self.managed_resources(app).ok())
                .flat_map(|body| body["items"].as_array().cloned().unwrap_or_default())
                .filter_map(|item| serde_json::from_str::<Value>(item["liveState"].as_str()?).ok())
                .find(|v| matches(v));
        }
        let object = found.ok_or_else(|| {
            format!(
                "{} \"{}\" not found in namespace {}",
                reference.known_plural().unwrap_or("objects"),
                reference.name,
                reference.namespace
            )
        })?;
        Ok(ObjectDoc { object, events })
    }

    /// Every pod at `now`, whole (a Service's port-forward picks one by its labels).
    #[must_use]
    pub fn pods(&self, now: Timestamp) -> Vec<Value> {
        let mut pods: Vec<Value> = self
            .workloads
            .iter()
            .flat_map(|w| w.children(now).1)
            .collect();
        pods.extend(super::read_only::objects(now).3);
        pods
    }

    /// A watch snapshot at `now`, as the real watch layer publishes one.
    #[must_use]
    pub fn snapshot(&self, generation: u64, now: Timestamp) -> KubeSnapshot {
        let mut snapshot = KubeSnapshot {
            generation,
            ..KubeSnapshot::default()
        };
        let mut apps: Vec<Arc<Application>> = self
            .apps
            .values()
            .filter_map(|v| {
                serde_json::from_value(v.clone())
                    .inspect_err(|e| {
                        tracing::error!("sandbox application does not parse: {e}: {v}");
                    })
                    .ok()
            })
            .map(Arc::new)
            .collect();
        apps.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
        snapshot.applications = apps;
        for w in &self.workloads {
            match w.kind {
                WorkloadKind::Deployment => {
                    if let Ok(d) = serde_json::from_value(w.object.clone()) {
                        snapshot.deployments.push(Arc::new(d));
                    }
                }
                WorkloadKind::Rollout => {
                    if let Ok(r) = serde_json::from_value(w.object.clone()) {
                        snapshot.rollouts.push(Arc::new(r));
                    }
                }
            }
            let (replica_sets, pods, events) = w.children(now);
            if let Some(run) = self.background_run(w, &replica_sets, now) {
                snapshot.analysis_runs.extend(
                    serde_json::from_value(run)
                        .inspect_err(|e| tracing::error!("sandbox analysis run: {e}"))
                        .ok()
                        .map(Arc::new),
                );
            }
            snapshot.replica_sets.extend(
                replica_sets
                    .into_iter()
                    .filter_map(|v| serde_json::from_value(v).ok())
                    .map(Arc::new),
            );
            snapshot.pods.extend(
                pods.into_iter()
                    .filter_map(|v| serde_json::from_value::<Pod>(v).ok())
                    .map(|p| Arc::new(PodFacts::of(&p))),
            );
            snapshot.events.extend(
                events
                    .into_iter()
                    .filter_map(|v| serde_json::from_value(v).ok())
                    .map(Arc::new),
            );
        }
        let (stateful_sets, daemon_sets, jobs, pods) = super::read_only::objects(now);
        snapshot.stateful_sets = parse_all(stateful_sets);
        snapshot.daemon_sets = parse_all(daemon_sets);
        snapshot.jobs = parse_all(jobs);
        snapshot.pods.extend(
            parse_all::<Pod>(pods)
                .into_iter()
                .map(|p| Arc::new(PodFacts::of(&p))),
        );
        for kind in KubeKind::ALL {
            snapshot.health.insert(kind, KindHealth::Ok);
        }
        snapshot
    }

    /// An application's managed resources as the Argo CD API server answers them
    /// (`ManagedResourcesResponse`, states as JSON strings). The workload compares its live
    /// template with git's (a rollback or undo makes them differ); the `ConfigMap` of a drifted
    /// app has a live edit (a log level turned up by hand and a hotfix key) that git does not
    /// have; the Service matches.
    ///
    /// # Errors
    /// When the application does not exist.
    pub fn managed_resources(&self, app_name: &str) -> Result<Value, String> {
        let app = self
            .apps
            .get(app_name)
            .ok_or_else(|| format!("application {app_name} not found"))?;
        let workload = self.service_workload(app_name).map(|i| &self.workloads[i]);
        let mut items = Vec::new();
        for r in app["status"]["resources"].as_array().into_iter().flatten() {
            let kind = r["kind"].as_str().unwrap_or_default();
            let namespace = r["namespace"].as_str().unwrap_or_default();
            let name = r["name"].as_str().unwrap_or_default();
            let meta = json!({"name": name, "namespace": namespace,
                "labels": {"app.kubernetes.io/instance": app_name}});
            let (live, target, predicted) = match (kind, workload) {
                ("Deployment" | "Rollout", Some(w)) => {
                    let live = w.object.clone();
                    let mut predicted = live.clone();
                    predicted["spec"]["template"] = w.git_template.clone();
                    let mut target = predicted.clone();
                    if let Some(t) = target.as_object_mut() {
                        t.remove("status");
                    }
                    (live, target, Some(predicted))
                }
                ("ConfigMap", _) => {
                    let target = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta,
                        "data": {"LOG_LEVEL": "info", "CACHE_TTL": "300s"}});
                    let mut live = target.clone();
                    if r["status"] == "OutOfSync" {
                        live["data"] = json!({"LOG_LEVEL": "debug", "CACHE_TTL": "300s",
                            "HOTFIX_DISABLE_RECS": "true"});
                    }
                    live["metadata"]["uid"] = json!(format!("uid-cm-{namespace}-{name}"));
                    live["metadata"]["resourceVersion"] = json!("7");
                    (live, target, None)
                }
                _ => {
                    let target = json!({"apiVersion": "v1", "kind": kind, "metadata": meta,
                        "spec": {"selector": {"app": app_name},
                                 "ports": [{"port": 80, "targetPort": 8080}]}});
                    (target.clone(), target, None)
                }
            };
            let mut item = json!({
                "group": r["group"].as_str().unwrap_or_default(), "kind": kind,
                "namespace": namespace, "name": name,
                "liveState": live.to_string(), "normalizedLiveState": live.to_string(),
                "targetState": target.to_string(),
                "modified": r["status"] == "OutOfSync",
            });
            if let Some(p) = predicted {
                item["predictedLiveState"] = json!(p.to_string());
            }
            items.push(item);
        }
        Ok(json!({"items": items}))
    }

    /// The background `AnalysisRun` of a canary with an update in flight (the canary's pod hash
    /// is not the stable one), as the Rollouts controller names and owns it: Running until
    /// terminated. It carries the canary ReplicaSet's revision so the tree files it there.
    fn background_run(
        &self,
        w: &SimWorkload,
        replica_sets: &[Value],
        now: Timestamp,
    ) -> Option<Value> {
        if w.kind != WorkloadKind::Rollout || !w.object["spec"]["strategy"]["canary"].is_object() {
            return None;
        }
        let status = &w.object["status"];
        let current = status["currentPodHash"]
            .as_str()
            .filter(|h| !h.is_empty())?;
        let stable = status["stableRS"]
            .as_str()
            .or_else(|| status["canary"]["stableRS"].as_str());
        if stable == Some(current) {
            return None;
        }
        let revision = replica_sets
            .iter()
            .find(|rs| rs["metadata"]["labels"][ROLLOUT_HASH_LABEL].as_str() == Some(current))
            .and_then(|rs| rs["metadata"]["annotations"][ROLLOUT_REVISION].as_str())?;
        let namespace = w.namespace();
        let rollout = w.object["metadata"]["name"].as_str().unwrap_or_default();
        let name = format!("{rollout}-{current}-{revision}");
        let terminated = self
            .terminated_runs
            .contains(&(namespace.to_owned(), name.clone()));
        let (phase, message) = if terminated {
            ("Successful", "Run Terminated")
        } else {
            ("Running", "")
        };
        let started = replica_sets
            .iter()
            .find(|rs| rs["metadata"]["labels"][ROLLOUT_HASH_LABEL].as_str() == Some(current))
            .and_then(|rs| rs["metadata"]["creationTimestamp"].as_str())
            .map_or_else(|| now.to_string(), str::to_owned);
        Some(json!({
            "apiVersion": "argoproj.io/v1alpha1", "kind": "AnalysisRun",
            "metadata": {"name": name, "namespace": namespace, "uid": format!("uid-ar-{name}"),
                "creationTimestamp": started,
                "labels": {ROLLOUT_HASH_LABEL: current, "rollout-type": "Background"},
                "annotations": {ROLLOUT_REVISION: revision},
                "ownerReferences": [{"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
                    "name": rollout, "uid": w.object["metadata"]["uid"], "controller": true}]},
            "spec": {"terminate": terminated,
                "metrics": [{"name": "success-rate", "interval": "1m",
                    "successCondition": "result[0] >= 0.95"}]},
            "status": {"phase": phase, "message": message, "startedAt": started}
        }))
    }

    /// The names of the service's running pods at `now` (the ones that write logs).
    #[must_use]
    pub fn running_pods(&self, service: &str, now: Timestamp) -> Vec<String> {
        let Some(i) = self.service_workload(service) else {
            return Vec::new();
        };
        let (_, pods, _) = self.workloads[i].children(now);
        pods.iter()
            .filter(|p| p["status"]["phase"] == "Running")
            .filter_map(|p| p["metadata"]["name"].as_str().map(str::to_owned))
            .collect()
    }

    /// Whether the service's workload is Degraded (its rollout stuck).
    #[must_use]
    pub fn service_degraded(&self, service: &str) -> bool {
        self.service_workload(service)
            .is_some_and(|i| self.workloads[i].argo_health().0 == "Degraded")
    }

    /// The `StuckRollout` scenario injected later: the service's next image is missing.
    pub fn break_rollout(&mut self, service: &str, now: Timestamp) {
        if let Some(i) = self.service_workload(service) {
            self.workloads[i].break_next_image(now);
            self.tick(now);
        }
    }
}

fn checked(
    workload: Workload<'_>,
    op: crate::model::action::RolloutOp,
    replica_sets: &[ReplicaSet],
    now: Timestamp,
) -> Result<Vec<crate::model::k8s::PatchPlan>, String> {
    if let Enablement::Disabled(reason) = op_enablement(workload, op) {
        return Err(format!("{} refused: {reason}", op.as_str()));
    }
    plan(workload, op, replica_sets, now).map_err(|e| e.to_string())
}

fn finish(app: &mut Value, now: Timestamp, phase: &str, message: &str) {
    let state = &mut app["status"]["operationState"];
    state["phase"] = json!(phase);
    state["message"] = json!(message);
    state["finishedAt"] = json!(now.to_string());
    if let Some(obj) = app.as_object_mut() {
        obj.remove("operation");
    }
}

/// A finished sync joins the history: the revision it synced (a rollback's history entry, or
/// the target's head), when, and who started it.
fn record_history(app: &mut Value, now: Timestamp) {
    let operation = app["status"]["operationState"]["operation"].clone();
    let history = app["status"]["history"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let head = history
        .last()
        .and_then(|h| h["revision"].as_str())
        .unwrap_or_default()
        .to_owned();
    let revision = operation["sync"]["revision"]
        .as_str()
        .map_or(head, str::to_owned);
    let id = history
        .iter()
        .filter_map(|h| h["id"].as_i64())
        .max()
        .unwrap_or(0)
        + 1;
    let started = app["status"]["operationState"]["startedAt"].clone();
    let mut history = history;
    history.push(json!({
        "id": id, "revision": revision, "deployedAt": now.to_string(),
        "deployStartedAt": started,
        "source": operation["sync"]["source"].as_object().map_or_else(
            || app["spec"]["source"].clone(),
            |s| Value::Object(s.clone()),
        ),
        "initiatedBy": if operation["initiatedBy"].is_object() {
            operation["initiatedBy"].clone()
        } else {
            json!({"automated": true})
        },
    }));
    // Argo CD keeps the last ten by default (revisionHistoryLimit).
    let excess = history.len().saturating_sub(10);
    history.drain(..excess);
    app["status"]["history"] = Value::Array(history);
    app["status"]["sync"]["revision"] = json!(revision);
}

/// The synced resources (all, or only those a selective sync named) match git now.
fn mark_synced(app: &mut Value) {
    let selected: Vec<(String, String)> =
        app["status"]["operationState"]["operation"]["sync"]["resources"]
            .as_array()
            .map(|rs| {
                rs.iter()
                    .map(|r| {
                        (
                            r["kind"].as_str().unwrap_or_default().to_owned(),
                            r["name"].as_str().unwrap_or_default().to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
    if let Some(resources) = app["status"]["resources"].as_array_mut() {
        for r in resources {
            let key = (
                r["kind"].as_str().unwrap_or_default().to_owned(),
                r["name"].as_str().unwrap_or_default().to_owned(),
            );
            if selected.is_empty() || selected.contains(&key) {
                r["status"] = json!("Synced");
            }
        }
    }
}

/// Typed objects from the sandbox's JSON (they all parse: the sandbox writes them).
fn parse_all<T: serde::de::DeserializeOwned>(values: Vec<Value>) -> Vec<Arc<T>> {
    values
        .into_iter()
        .filter_map(|v| serde_json::from_value(v).ok())
        .map(Arc::new)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::action::RolloutOp;
    use crate::model::k8s::{StuckKind, WorkloadRow, diagnose};
    use crate::sources::sandbox::World;

    fn secs(n: i64) -> SignedDuration {
        SignedDuration::from_secs(n)
    }

    fn world() -> (World, Timestamp) {
        let mut world = World::new(7, crate::screenshot::epoch());
        world.cluster();
        let t0 = world.now();
        (world, t0)
    }

    /// The stuck canary's background `AnalysisRun` is measuring; terminating it sends the
    /// plugin's patch and leaves it as the controller leaves a terminated run; a second
    /// terminate is refused.
    #[test]
    fn the_stuck_canary_runs_an_analysis_that_terminate_ends() {
        let (mut world, t0) = world();
        let snap = world.cluster().snapshot(1, t0);
        let run = snap
            .analysis_runs
            .iter()
            .find(|r| r.status.phase == "Running")
            .expect("a running analysis")
            .clone();
        let namespace = run.metadata.namespace.clone().expect("namespace");
        let name = run.metadata.name.clone().expect("name");
        let owner = run.metadata.owner_references.clone().unwrap_or_default();
        let request = ActionRequest::TerminateAnalysisRun {
            namespace: namespace.clone(),
            name: name.clone(),
            rollout: owner.first().map(|o| o.name.clone()).unwrap_or_default(),
        };
        let detail = world
            .cluster()
            .act(&request, "maya.cohen", t0 + secs(1))
            .expect("terminated");
        assert_eq!(
            detail,
            format!(
                "patched in {namespace}: analysisruns/{name} {{\"spec\":{{\"terminate\":true}}}}"
            )
        );
        let snap = world.cluster().snapshot(2, t0 + secs(2));
        let after = snap
            .analysis_runs
            .iter()
            .find(|r| r.metadata.name.as_deref() == Some(name.as_str()))
            .expect("still listed");
        assert_eq!(after.status.phase, "Successful");
        assert_eq!(after.status.message, "Run Terminated");
        let err = world
            .cluster()
            .act(&request, "maya.cohen", t0 + secs(3))
            .expect_err("already completed");
        assert_eq!(err, "analysis run already completed (Successful)");
    }

    /// A drifted app's managed resources, as the API server would answer, diff to its
    /// `ConfigMap`'s live edit; the others match.
    #[test]
    fn a_drifted_app_s_managed_resources_diff_to_its_config_map_edit() {
        let (mut world, _) = world();
        let cluster = world.cluster();
        let drifted = cluster
            .apps
            .iter()
            .find(|(_, a)| {
                a["status"]["sync"]["status"] == "OutOfSync" && a.get("operation").is_none()
            })
            .map(|(n, _)| n.clone())
            .expect("a drifted app");
        let body = cluster.managed_resources(&drifted).expect("resources");
        let diff = crate::model::k8s::app_diff::build(&body).expect("diff");
        let headers: Vec<String> = diff
            .resources
            .iter()
            .map(crate::model::k8s::app_diff::ResourceDiff::header)
            .collect();
        assert_eq!(headers.len(), 1, "{headers:?}");
        assert!(headers[0].starts_with("/ConfigMap "), "{headers:?}");
        assert!(
            headers[0].ends_with(&format!("/{drifted}-config (changed)")),
            "{headers:?}"
        );
        assert_eq!(diff.unchanged, 2);
        assert!(cluster.managed_resources("no-such-app").is_err());
    }

    fn rollout<'a>(snapshot: &'a KubeSnapshot, name: &str) -> &'a Rollout {
        snapshot
            .rollouts
            .iter()
            .find(|r| r.name() == name)
            .expect("rollout")
    }

    fn app<'a>(snapshot: &'a KubeSnapshot, name: &str) -> &'a Application {
        snapshot
            .applications
            .iter()
            .find(|a| a.name() == name)
            .unwrap_or_else(|| panic!("app {name} in {:?}", snapshot.applications.len()))
    }

    fn progressing_service(cluster: &SandboxCluster) -> String {
        cluster
            .waits_for_rollout
            .clone()
            .expect("a canary in progress")
    }

    fn act(
        cluster: &mut SandboxCluster,
        request: &ActionRequest,
        now: Timestamp,
    ) -> Result<String, String> {
        cluster.act(request, "maya.cohen", now)
    }

    fn rollout_op(namespace: &str, name: &str, op: RolloutOp) -> ActionRequest {
        ActionRequest::RolloutAction {
            namespace: namespace.into(),
            name: name.into(),
            kind: WorkloadKind::Rollout,
            op,
        }
    }

    #[test]
    fn the_canary_walks_its_steps_waits_for_promote_and_its_sync_finishes_when_healthy() {
        let (mut world, t0) = world();
        let cluster = world.cluster();
        let name = progressing_service(cluster);
        let at = |cluster: &mut SandboxCluster, s: i64| {
            cluster.tick(t0 + secs(s));
            cluster.snapshot(1, t0 + secs(s))
        };
        let snap = at(cluster, 0);
        let r = rollout(&snap, &name);
        assert_eq!(r.status.current_step_index, Some(0));
        assert_eq!(
            app(&snap, &name)
                .status
                .operation_state
                .as_ref()
                .unwrap()
                .phase,
            "Running"
        );

        let snap = at(cluster, 4);
        let row = WorkloadRow::from_rollout(rollout(&snap, &name), &[]);
        assert_eq!(row.step_text(), "1/6");
        assert_eq!(row.status.word, "Paused");
        assert_eq!(row.message, "CanaryPauseStep");
        assert_eq!(row.set_weight, Some(20));

        // 20 s pause, then setWeight 50 (its new pod takes 3 s), then the pause without a
        // duration.
        let snap = at(cluster, 24);
        assert_eq!(rollout(&snap, &name).status.current_step_index, Some(2));
        let snap = at(cluster, 30);
        let r = rollout(&snap, &name);
        assert_eq!(r.status.current_step_index, Some(3));
        assert!(r.paused());
        assert_eq!(r.set_weight(), Some(50));
        let snap = at(cluster, 120);
        assert_eq!(
            rollout(&snap, &name).status.current_step_index,
            Some(3),
            "waits for promote"
        );

        let namespace = rollout(&snap, &name).namespace().to_owned();
        let detail = act(
            cluster,
            &rollout_op(&namespace, &name, RolloutOp::Promote { full: false }),
            t0 + secs(121),
        )
        .expect("promote");
        assert!(
            detail.contains(r"rollouts/")
                && detail.contains(r#"{"status":{"pauseConditions":null}}"#),
            "{detail}"
        );
        let snap = at(cluster, 125);
        assert_eq!(rollout(&snap, &name).status.current_step_index, Some(5));
        let snap = at(cluster, 140);
        let r = rollout(&snap, &name);
        assert!(r.fully_promoted());
        assert_eq!(r.phase().0.word(), "Healthy");
        let a = app(&snap, &name);
        let state = a.status.operation_state.as_ref().unwrap();
        assert_eq!(state.phase, "Succeeded");
        assert!(a.operation.is_none());
        assert_eq!(a.status.sync.status, "Synced");
        assert_eq!(a.status.health.status, "Healthy");
    }

    #[test]
    fn the_stuck_canary_is_diagnosed_then_abort_and_undo_recover_it() {
        let (mut world, t0) = world();
        let cluster = world.cluster();
        let name = "shipping-api";
        let snap = cluster.snapshot(1, t0);
        let r = rollout(&snap, name);
        let (phase, message) = r.phase();
        assert_eq!(phase.word(), "Degraded");
        assert!(message.starts_with("ProgressDeadlineExceeded"), "{message}");
        let replica_sets: Vec<ReplicaSet> =
            snap.replica_sets.iter().map(|r| (**r).clone()).collect();
        let pods: Vec<_> = snap
            .pods
            .iter()
            .filter(|p| p.name.starts_with(name))
            .map(|p| (**p).clone())
            .collect();
        let reasons = diagnose(Workload::Rollout(r), &replica_sets, &pods);
        assert_eq!(reasons[0].kind, StuckKind::ImagePull, "{reasons:?}");
        assert!(reasons[0].message.contains("not found"), "{reasons:?}");
        assert_eq!(app(&snap, name).status.health.status, "Degraded");

        let namespace = r.namespace().to_owned();
        act(
            cluster,
            &rollout_op(&namespace, name, RolloutOp::Abort),
            t0 + secs(1),
        )
        .expect("abort");
        let snap = cluster.snapshot(2, t0 + secs(1));
        let (phase, message) = rollout(&snap, name).phase();
        assert_eq!(phase.word(), "Degraded");
        assert!(message.starts_with("RolloutAborted"), "{message}");
        let err = act(
            cluster,
            &rollout_op(&namespace, name, RolloutOp::Abort),
            t0 + secs(2),
        )
        .expect_err("already aborted");
        assert!(err.contains("abort refused"), "{err}");

        act(
            cluster,
            &rollout_op(&namespace, name, RolloutOp::Undo { revision: None }),
            t0 + secs(3),
        )
        .expect("undo");
        cluster.tick(t0 + secs(8));
        let snap = cluster.snapshot(3, t0 + secs(8));
        let r = rollout(&snap, name);
        assert_eq!(r.phase().0.word(), "Healthy", "{:?}", r.phase());
        assert!(r.fully_promoted());
        let a = app(&snap, name);
        assert_eq!(a.status.health.status, "Healthy");
        assert_eq!(
            a.status.sync.status, "OutOfSync",
            "undo leaves the live template off git"
        );
    }

    #[test]
    fn the_frozen_app_has_an_active_deny_window_and_refuses_a_sync() {
        let (mut world, t0) = world();
        let cluster = world.cluster();
        let frozen = cluster.frozen.clone().expect("a frozen app");
        let body = cluster.sync_windows(&frozen).expect("windows");
        let windows = crate::model::k8s::sync_windows::parse(&body).expect("parsed");
        let verdict = crate::model::k8s::sync_windows::decide(&windows, true);
        assert!(!verdict.can_sync(), "{verdict:?}");
        assert!(
            verdict.sentence().contains("deny '0 0 * * *' for 24h"),
            "{}",
            verdict.sentence()
        );
        let request = ActionRequest::SyncApp {
            namespace: ARGO_NAMESPACE.into(),
            app: frozen.clone(),
            prune: false,
            resources: Vec::new(),
            dry_run: false,
        };
        assert_eq!(
            cluster.act(&request, "alice", t0),
            Err("cannot sync: blocked by sync window".to_owned())
        );
        let other = cluster
            .apps
            .keys()
            .find(|n| **n != frozen)
            .expect("another app")
            .clone();
        let free =
            crate::model::k8s::sync_windows::parse(&cluster.sync_windows(&other).expect("windows"))
                .expect("parsed");
        assert_eq!(
            crate::model::k8s::sync_windows::decide(&free, true),
            crate::model::k8s::sync_windows::Verdict::NoWindows
        );
        assert!(cluster.sync_windows("no-such-app").is_err());
    }

    #[test]
    fn app_actions_follow_argo_cd_rules() {
        let (mut world, t0) = world();
        let cluster = world.cluster();
        let drifted = cluster
            .apps
            .iter()
            .find(|(_, a)| {
                a["status"]["sync"]["status"] == "OutOfSync" && a.get("operation").is_none()
            })
            .map(|(n, _)| n.clone())
            .expect("a drifted app");
        let sync = ActionRequest::SyncApp {
            namespace: ARGO_NAMESPACE.into(),
            app: drifted.clone(),
            prune: true,
            resources: vec![],
            dry_run: false,
        };
        let detail = act(cluster, &sync, t0).expect("sync");
        assert!(detail.contains(r#""prune":true"#), "{detail}");
        assert_eq!(
            act(cluster, &sync, t0 + secs(1)),
            Err("another operation is already in progress".into())
        );
        let snap = cluster.snapshot(1, t0 + secs(1));
        assert_eq!(
            app(&snap, &drifted)
                .status
                .operation_state
                .as_ref()
                .unwrap()
                .phase,
            "Running"
        );
        cluster.tick(t0 + secs(6));
        let snap = cluster.snapshot(2, t0 + secs(6));
        let a = app(&snap, &drifted);
        assert_eq!(a.status.sync.status, "Synced");
        assert_eq!(
            a.status.history.last().unwrap().initiated_by.username,
            "maya.cohen"
        );

        // Terminate a running sync: it fails as terminated.
        act(cluster, &sync, t0 + secs(7)).expect("sync again");
        let terminate = ActionRequest::TerminateAppOperation {
            namespace: ARGO_NAMESPACE.into(),
            app: drifted.clone(),
        };
        act(cluster, &terminate, t0 + secs(8)).expect("terminate");
        let snap = cluster.snapshot(3, t0 + secs(9));
        let state = app(&snap, &drifted).status.operation_state.clone().unwrap();
        assert_eq!(
            (state.phase.as_str(), state.message.as_str()),
            ("Failed", "Operation terminated")
        );
        assert_eq!(
            act(cluster, &terminate, t0 + secs(10)),
            Err("Unable to terminate operation. No operation is in progress".into())
        );

        // Refresh stamps reconciledAt and removes its annotation.
        let refresh = ActionRequest::RefreshApp {
            namespace: ARGO_NAMESPACE.into(),
            app: drifted.clone(),
            hard: true,
        };
        act(cluster, &refresh, t0 + secs(20)).expect("refresh");
        let a = &cluster.apps[&drifted];
        assert!(
            a["metadata"]["annotations"]
                .get(REFRESH_ANNOTATION)
                .is_none()
        );
        assert_eq!(
            a["status"]["reconciledAt"],
            json!((t0 + secs(20)).to_string())
        );

        // Rollback is refused under auto-sync (tier-3 apps are automated).
        let automated = cluster
            .apps
            .iter()
            .find(|(_, a)| a["spec"]["syncPolicy"]["automated"].is_object())
            .map(|(n, _)| n.clone())
            .expect("an automated app");
        let rollback = ActionRequest::RollbackApp {
            namespace: ARGO_NAMESPACE.into(),
            app: automated,
            history_id: 40,
        };
        assert_eq!(
            act(cluster, &rollback, t0 + secs(21)),
            Err("rollback cannot be initiated when auto-sync is enabled".into())
        );
    }

    #[test]
    fn deployments_restart_scale_and_refuse_restart_while_paused() {
        let (mut world, t0) = world();
        let cluster = world.cluster();
        let snap = cluster.snapshot(1, t0);
        let d = snap.deployments.first().expect("a deployment").clone();
        let (namespace, name) = (
            d.metadata.namespace.clone().unwrap(),
            d.metadata.name.clone().unwrap(),
        );
        let op = |op| ActionRequest::RolloutAction {
            namespace: namespace.clone(),
            name: name.clone(),
            kind: WorkloadKind::Deployment,
            op,
        };
        let pods_of = |snap: &KubeSnapshot| -> Vec<String> {
            let mut v: Vec<String> = snap
                .pods
                .iter()
                .map(|p| p.name.clone())
                .filter(|n| n.starts_with(&format!("{name}-")))
                .collect();
            v.sort();
            v
        };
        let before = pods_of(&snap);
        act(cluster, &op(RolloutOp::Restart), t0 + secs(1)).expect("restart");
        cluster.tick(t0 + secs(6));
        let snap = cluster.snapshot(2, t0 + secs(6));
        let after = pods_of(&snap);
        assert_eq!(after.len(), before.len());
        assert!(
            after.iter().all(|p| !before.contains(p)),
            "new pods: {before:?} → {after:?}"
        );
        let row = WorkloadRow::from_deployment(
            snap.deployments
                .iter()
                .find(|d| d.metadata.name.as_deref() == Some(&name))
                .unwrap(),
        );
        assert_eq!(row.status.word, "Healthy", "{row:?}");

        act(cluster, &op(RolloutOp::Scale { replicas: 5 }), t0 + secs(7)).expect("scale");
        cluster.tick(t0 + secs(12));
        assert_eq!(pods_of(&cluster.snapshot(3, t0 + secs(12))).len(), 5);

        act(cluster, &op(RolloutOp::Pause), t0 + secs(13)).expect("pause");
        let err = act(cluster, &op(RolloutOp::Restart), t0 + secs(14)).expect_err("paused");
        assert!(err.contains("can't restart paused deployment"), "{err}");
        let err =
            act(cluster, &op(RolloutOp::Abort), t0 + secs(14)).expect_err("not for deployments");
        assert!(err.contains("abort"), "{err}");
    }

    #[test]
    fn an_injected_stuck_rollout_breaks_a_healthy_deployment() {
        let (mut world, _) = world();
        world.advance(std::time::Duration::from_secs(10));
        world.inject(crate::sources::sandbox::Incident {
            kind: crate::sources::sandbox::IncidentKind::StuckRollout {
                service: "ledger-service".into(),
            },
            starts_after: std::time::Duration::ZERO,
            ends_after: None,
        });
        world.advance(std::time::Duration::from_secs(10));
        let snap = crate::sources::sandbox::apps::kube_snapshot(&mut world, 1);
        let pulling = snap.pods.iter().any(|p| {
            p.name.starts_with("ledger-service")
                && crate::model::k8s::PodSummary::of(p)
                    .problems
                    .iter()
                    .any(|c| c.reason == "ImagePullBackOff")
        });
        assert!(pulling);
    }
}
