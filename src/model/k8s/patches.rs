//! The exact JSON merge patches each [`RolloutOp`] sends: the `kubectl argo rollouts` plugin's
//! for Rollouts (argoproj/argo-rollouts, pkg/kubectl-argo-rollouts/cmd/), kubectl's for
//! Deployments (kubernetes/kubernetes, staging/src/k8s.io/kubectl/pkg/polymorphichelpers/).
//! A plan is one or two patches in order; promote, abort and retry write the `status`
//! subresource, which needs `patch` on `rollouts/status` in RBAC.

use std::collections::BTreeMap;

use jiff::Timestamp;
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use serde_json::{Map, Value, json};
use thiserror::Error;

use super::deployment::is_paused;
use super::enablement::RESTART_PAUSED;
use super::rollout::Rollout;
use super::workload::Workload;
use crate::model::action::RolloutOp;

/// Revision annotations on ReplicaSets.
pub const ROLLOUT_REVISION: &str = "rollout.argoproj.io/revision";
pub const DEPLOYMENT_REVISION: &str = "deployment.kubernetes.io/revision";
/// The pod-template hash labels each controller adds to the templates it copies.
pub const ROLLOUT_HASH_LABEL: &str = "rollouts-pod-template-hash";
pub const DEPLOYMENT_HASH_LABEL: &str = "pod-template-hash";
/// The annotation `kubectl rollout restart` sets on a Deployment's pod template.
pub const RESTARTED_AT: &str = "kubectl.kubernetes.io/restartedAt";

/// One JSON merge patch and where it goes.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchPlan {
    /// `Some("status")` for the status subresource, `None` for the object itself.
    pub subresource: Option<&'static str>,
    pub patch: Value,
}

impl PatchPlan {
    fn main(patch: Value) -> Self {
        Self {
            subresource: None,
            patch,
        }
    }

    fn status(patch: Value) -> Self {
        Self {
            subresource: Some("status"),
            patch,
        }
    }
}

/// Why no patch is built. Messages follow the tools that refuse the same thing.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PatchError {
    #[error("{0} is not available for a Deployment (Argo Rollouts only)")]
    NotForDeployment(&'static str),
    #[error("rollout is not paused")]
    NotPaused,
    #[error("rollout is already fully promoted")]
    AlreadyPromoted,
    #[error("{}", RESTART_PAUSED)]
    RestartPaused,
    #[error("unable to find specified revision {0} in history")]
    NoSuchRevision(i64),
    #[error("no revision found for {kind} \"{name}\"")]
    NoPreviousRevision { kind: &'static str, name: String },
    #[error("skipped rollback (current template already matches revision {0})")]
    AlreadyAtRevision(i64),
    #[error("replicas cannot be negative")]
    NegativeReplicas,
    #[error("rollout has no canary steps")]
    NoSteps,
    #[error("rollout is at the last step")]
    AtLastStep,
    #[error("analysis run already completed ({0})")]
    RunCompleted(String),
}

/// The patches for `op` on `workload`, in the order they are sent. `replica_sets` are the
/// workload's own ReplicaSets (only undo reads them); `now` stamps restarts.
pub fn plan(
    workload: Workload<'_>,
    op: RolloutOp,
    replica_sets: &[ReplicaSet],
    now: Timestamp,
) -> Result<Vec<PatchPlan>, PatchError> {
    match workload {
        Workload::Rollout(r) => rollout_plan(r, op, replica_sets, now),
        Workload::Deployment(d) => deployment_plan(d, op, replica_sets, now),
    }
}

/// RFC 3339 in UTC to the second, as Kubernetes' `metav1.Time` writes it.
fn rfc3339(now: Timestamp) -> String {
    Timestamp::from_second(now.as_second())
        .unwrap_or(now)
        .to_string()
}

fn scale(replicas: i32) -> Result<Vec<PatchPlan>, PatchError> {
    if replicas < 0 {
        return Err(PatchError::NegativeReplicas);
    }
    Ok(vec![PatchPlan::main(
        json!({"spec": {"replicas": replicas}}),
    )])
}

/// `GetCurrentCanaryStep`'s index: `None` without steps, else `currentStepIndex` (0 when
/// unset), and the index after it, which never passes the number of steps.
fn canary_step_indexes(r: &Rollout) -> Option<(i32, i32)> {
    let steps = i32::try_from(r.steps().len()).ok().filter(|n| *n > 0)?;
    let index = r.status.current_step_index.unwrap_or(0);
    Some((index, if index < steps { index + 1 } else { index }))
}

/// `promote` (not `--full`), exactly as `getPatches` chooses.
fn promote(r: &Rollout) -> Result<Vec<PatchPlan>, PatchError> {
    let status = &r.status;
    let has_conditions = !status.pause_conditions.is_empty();
    let inconclusive = r.spec.strategy.canary.is_some()
        && status
            .canary
            .current_step_analysis_run_status
            .as_ref()
            .is_some_and(|a| a.status == "Inconclusive");
    let status_patch = if inconclusive && has_conditions && status.controller_pause {
        canary_step_indexes(r).map(|(_, next)| {
            json!({"status": {"pauseConditions": null, "controllerPause": false,
                              "currentStepIndex": next}})
        })
    } else if has_conditions {
        Some(json!({"status": {"pauseConditions": null}}))
    } else if r.spec.strategy.canary.is_some() {
        // Mid-analysis or mid-experiment: nothing to unpause, so step past it.
        canary_step_indexes(r)
            .map(|(_, next)| json!({"status": {"pauseConditions": null, "currentStepIndex": next}}))
    } else {
        None
    };
    let mut plans: Vec<PatchPlan> = status_patch.into_iter().map(PatchPlan::status).collect();
    if r.spec.paused {
        plans.push(PatchPlan::main(json!({"spec": {"paused": false}})));
    }
    if plans.is_empty() {
        return Err(PatchError::NotPaused);
    }
    Ok(plans)
}

fn rollout_plan(
    r: &Rollout,
    op: RolloutOp,
    replica_sets: &[ReplicaSet],
    now: Timestamp,
) -> Result<Vec<PatchPlan>, PatchError> {
    let unpause = || {
        r.spec
            .paused
            .then(|| PatchPlan::main(json!({"spec": {"paused": false}})))
    };
    Ok(match op {
        RolloutOp::Promote { full: false } => promote(r)?,
        RolloutOp::Promote { full: true } => {
            if r.fully_promoted() {
                return Err(PatchError::AlreadyPromoted);
            }
            let mut plans = vec![PatchPlan::status(json!({"status": {"promoteFull": true}}))];
            plans.extend(unpause());
            plans
        }
        RolloutOp::Abort => vec![PatchPlan::status(json!({"status": {"abort": true}}))],
        RolloutOp::Retry => vec![PatchPlan::status(json!({"status": {"abort": false}}))],
        RolloutOp::Pause => vec![PatchPlan::main(json!({"spec": {"paused": true}}))],
        // Argo CD's `resume` action: clear the controller's pause and the manual one, without
        // the promote's step increment.
        RolloutOp::Resume => {
            let mut plans = Vec::new();
            if !r.status.pause_conditions.is_empty() {
                plans.push(PatchPlan::status(
                    json!({"status": {"pauseConditions": null}}),
                ));
            }
            plans.extend(unpause());
            if plans.is_empty() {
                return Err(PatchError::NotPaused);
            }
            plans
        }
        RolloutOp::Restart => vec![PatchPlan::main(
            json!({"spec": {"restartAt": rfc3339(now)}}),
        )],
        RolloutOp::Undo { revision } => vec![undo(
            UndoTarget {
                kind: "rollout",
                name: r.name(),
                revision_annotation: ROLLOUT_REVISION,
                hash_label: ROLLOUT_HASH_LABEL,
                current: &r.spec.template,
            },
            replica_sets,
            revision,
        )?],
        RolloutOp::Scale { replicas } => scale(replicas)?,
        RolloutOp::SkipStep => skip_step(r)?,
    })
}

/// Argo CD's `skip-current-step` action (argoproj/argo-cd at 37ee0097,
/// `resource_customizations/argoproj.io/Rollout/actions/skip-current-step/action.lua`): for a
/// canary with steps whose `currentStepIndex` is before the last step, clear the pause
/// conditions (when there are any) and move the index one on. Written to the status
/// subresource, as the plugin's promote writes `currentStepIndex`
/// (argoproj/argo-rollouts `pkg/kubectl-argo-rollouts/cmd/promote/promote.go`).
fn skip_step(r: &Rollout) -> Result<Vec<PatchPlan>, PatchError> {
    if r.spec.strategy.canary.is_none() || r.steps().is_empty() {
        return Err(PatchError::NoSteps);
    }
    let steps = i32::try_from(r.steps().len()).unwrap_or(i32::MAX);
    let index = r.status.current_step_index.unwrap_or(0);
    if index >= steps {
        return Err(PatchError::AtLastStep);
    }
    let mut status = Map::new();
    if !r.status.pause_conditions.is_empty() {
        status.insert("pauseConditions".into(), Value::Null);
    }
    status.insert("currentStepIndex".into(), json!(index + 1));
    Ok(vec![PatchPlan::status(json!({ "status": status }))])
}

/// The `AnalysisRun` phases after which terminating changes nothing.
const COMPLETED_RUN_PHASES: [&str; 4] = ["Successful", "Failed", "Error", "Inconclusive"];

/// `kubectl argo rollouts terminate analysisrun` (argoproj/argo-rollouts at 9f8d111d,
/// `pkg/kubectl-argo-rollouts/cmd/terminate/terminate.go`): the merge patch
/// `{"spec":{"terminate":true}}` on the `AnalysisRun` itself. The plugin sends it whatever the
/// phase; opsdeck refuses a run that already completed, where it would only write an audit
/// record for nothing.
///
/// # Errors
/// [`PatchError::RunCompleted`] for a run in a completed phase.
pub fn terminate_analysis_run(run: &super::tree::AnalysisRun) -> Result<PatchPlan, PatchError> {
    let phase = run.status.phase.as_str();
    if COMPLETED_RUN_PHASES.contains(&phase) {
        return Err(PatchError::RunCompleted(phase.to_owned()));
    }
    Ok(PatchPlan::main(json!({"spec": {"terminate": true}})))
}

/// The run `t` terminates: the newest of the workload's runs that has not completed.
#[must_use]
pub fn terminable_run(runs: &[super::tree::AnalysisRun]) -> Option<&super::tree::AnalysisRun> {
    runs.iter()
        .filter(|r| !COMPLETED_RUN_PHASES.contains(&r.status.phase.as_str()))
        .max_by(|a, b| {
            let created = |r: &super::tree::AnalysisRun| r.metadata.creation_timestamp.clone();
            created(a)
                .cmp(&created(b))
                .then_with(|| a.metadata.name.cmp(&b.metadata.name))
        })
}

fn deployment_plan(
    d: &Deployment,
    op: RolloutOp,
    replica_sets: &[ReplicaSet],
    now: Timestamp,
) -> Result<Vec<PatchPlan>, PatchError> {
    Ok(match op {
        RolloutOp::Promote { .. } => return Err(PatchError::NotForDeployment("promote")),
        RolloutOp::Abort => return Err(PatchError::NotForDeployment("abort")),
        RolloutOp::Retry => return Err(PatchError::NotForDeployment("retry")),
        RolloutOp::SkipStep => return Err(PatchError::NotForDeployment("skip-step")),
        RolloutOp::Pause => vec![PatchPlan::main(json!({"spec": {"paused": true}}))],
        RolloutOp::Resume => vec![PatchPlan::main(json!({"spec": {"paused": false}}))],
        RolloutOp::Restart => {
            if is_paused(d) {
                return Err(PatchError::RestartPaused);
            }
            vec![PatchPlan::main(json!({"spec": {"template": {"metadata": {
                "annotations": {RESTARTED_AT: rfc3339(now)}}}}}))]
        }
        RolloutOp::Undo { revision } => {
            let current = Workload::Deployment(d).template();
            vec![undo(
                UndoTarget {
                    kind: "deployment",
                    name: d.metadata.name.as_deref().unwrap_or_default(),
                    revision_annotation: DEPLOYMENT_REVISION,
                    hash_label: DEPLOYMENT_HASH_LABEL,
                    current: &current,
                },
                replica_sets,
                revision,
            )?]
        }
        RolloutOp::Scale { replicas } => scale(replicas)?,
    })
}

#[derive(Clone, Copy)]
struct UndoTarget<'a> {
    kind: &'static str,
    name: &'a str,
    revision_annotation: &'static str,
    hash_label: &'static str,
    current: &'a Value,
}

/// A ReplicaSet's revision number from its annotation.
#[must_use]
pub fn replica_set_revision(rs: &ReplicaSet, annotation: &str) -> Option<i64> {
    rs.metadata
        .annotations
        .as_ref()
        .and_then(|a: &BTreeMap<String, String>| a.get(annotation))
        .and_then(|v| v.parse().ok())
}

/// Undo: the chosen ReplicaSet's pod template, hash label removed, written over the
/// workload's. The tools send a JSON-patch `replace` of `/spec/template`; as a merge patch
/// that is the RFC 7386 diff from the current template (keys only the current one has are
/// set to `null`), so nothing of the newer template survives.
fn undo(
    target: UndoTarget<'_>,
    replica_sets: &[ReplicaSet],
    revision: Option<i64>,
) -> Result<PatchPlan, PatchError> {
    let mut by_revision: Vec<(i64, &ReplicaSet)> = replica_sets
        .iter()
        .filter_map(|rs| replica_set_revision(rs, target.revision_annotation).map(|n| (n, rs)))
        .collect();
    by_revision.sort_by_key(|(n, _)| std::cmp::Reverse(*n));
    let (number, rs) = match revision {
        Some(n) => by_revision
            .iter()
            .find(|(r, _)| *r == n)
            .copied()
            .ok_or(PatchError::NoSuchRevision(n))?,
        // The previous revision: the second newest.
        None => by_revision
            .get(1)
            .copied()
            .ok_or_else(|| PatchError::NoPreviousRevision {
                kind: target.kind,
                name: target.name.to_owned(),
            })?,
    };
    let mut wanted = rs
        .spec
        .as_ref()
        .and_then(|s| s.template.as_ref())
        .and_then(|t| serde_json::to_value(t).ok())
        .unwrap_or(Value::Null);
    remove_label(&mut wanted, target.hash_label);
    let mut current = target.current.clone();
    remove_label(&mut current, target.hash_label);
    if wanted == current {
        return Err(PatchError::AlreadyAtRevision(number));
    }
    Ok(PatchPlan::main(json!({"spec": {
        "template": merge_diff(target.current, &wanted)}})))
}

fn remove_label(template: &mut Value, label: &str) {
    if let Some(labels) = template
        .pointer_mut("/metadata/labels")
        .and_then(Value::as_object_mut)
    {
        labels.remove(label);
    }
}

/// The JSON merge patch (RFC 7386) that turns `from` into `to`.
#[must_use]
pub fn merge_diff(from: &Value, to: &Value) -> Value {
    match (from, to) {
        (Value::Object(a), Value::Object(b)) => {
            let mut out = Map::new();
            for (k, vb) in b {
                match a.get(k) {
                    Some(va) if va == vb => {}
                    Some(va) => {
                        out.insert(k.clone(), merge_diff(va, vb));
                    }
                    None => {
                        out.insert(k.clone(), vb.clone());
                    }
                }
            }
            for k in a.keys().filter(|k| !b.contains_key(*k)) {
                out.insert(k.clone(), Value::Null);
            }
            Value::Object(out)
        }
        _ => to.clone(),
    }
}

/// Applies an RFC 7386 JSON merge patch, as the API server does: the inverse of
/// [`merge_diff`] (the sandbox's simulated cluster applies the patches actions send).
pub fn apply_merge_patch(target: &mut Value, patch: &Value) {
    let Some(patch) = patch.as_object() else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Some(obj) = target.as_object_mut() {
        for (key, value) in patch {
            if value.is_null() {
                obj.remove(key);
            } else {
                apply_merge_patch(obj.entry(key.clone()).or_insert(Value::Null), value);
            }
        }
    }
}

/// The deprecated `promote --skip-current-step` (Argo CD's `skip-current-step`):
/// `{"status":{"currentStepIndex":N+1}}` on the status subresource.
pub fn skip_step_plan(r: &Rollout) -> Result<PatchPlan, PatchError> {
    let (_, next) = canary_step_indexes(r).ok_or(PatchError::NotForDeployment("skip step"))?;
    Ok(PatchPlan::status(
        json!({"status": {"currentStepIndex": next}}),
    ))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::model::k8s::deployment::tests as dep;
    use crate::model::k8s::rollout::tests as ro;

    fn now() -> Timestamp {
        "2026-08-20T12:34:56.789Z".parse().expect("ts")
    }

    fn run(r: &Rollout, op: RolloutOp) -> Result<Vec<PatchPlan>, PatchError> {
        plan(Workload::Rollout(r), op, &[], now())
    }

    fn status(patch: Value) -> PatchPlan {
        PatchPlan::status(patch)
    }

    fn main(patch: Value) -> PatchPlan {
        PatchPlan::main(patch)
    }

    fn analysis_run(name: &str, phase: &str, created: &str) -> super::super::tree::AnalysisRun {
        serde_json::from_value(json!({
            "metadata": {"name": name, "namespace": "shop", "creationTimestamp": created},
            "status": {"phase": phase}
        }))
        .expect("run parses")
    }

    /// The plugin's terminate (pkg/kubectl-argo-rollouts/cmd/terminate/terminate.go): one
    /// merge patch on the run itself; the newest unfinished run is the one `t` picks.
    #[test]
    fn terminate_analysis_run_patches_spec_terminate() {
        let running = analysis_run("checkout-6d8f9c7b4-9", "Running", "2026-08-20T10:05:00Z");
        assert_eq!(
            terminate_analysis_run(&running),
            Ok(main(json!({"spec": {"terminate": true}})))
        );
        let failed = analysis_run("checkout-6d8f9c7b4-8", "Failed", "2026-08-20T10:00:00Z");
        assert_eq!(
            terminate_analysis_run(&failed),
            Err(PatchError::RunCompleted("Failed".into()))
        );
        let pending = analysis_run("checkout-6d8f9c7b4-7", "", "2026-08-20T09:00:00Z");
        let runs = vec![failed.clone(), running.clone(), pending];
        assert_eq!(
            terminable_run(&runs).and_then(|r| r.metadata.name.as_deref()),
            Some("checkout-6d8f9c7b4-9")
        );
        assert!(terminable_run(&[failed]).is_none());
    }

    /// Argo CD's skip-current-step
    /// (`resource_customizations/argoproj.io/Rollout/actions/skip-current-step/action.lua`): pause conditions cleared only when present, the index
    /// moved one on, refused at the end and without steps.
    #[test]
    fn skip_step_follows_argo_cds_action() {
        let paused = ro::canary_paused();
        assert_eq!(
            run(&paused, RolloutOp::SkipStep),
            Ok(vec![status(
                json!({"status": {"pauseConditions": null, "currentStepIndex": 2}})
            )])
        );
        let mut analysing = ro::canary_paused();
        analysing.status.pause_conditions.clear();
        analysing.status.current_step_index = Some(4);
        assert_eq!(
            run(&analysing, RolloutOp::SkipStep),
            Ok(vec![status(json!({"status": {"currentStepIndex": 5}}))])
        );
        let mut done = ro::canary_paused();
        done.status.current_step_index = Some(8);
        assert_eq!(run(&done, RolloutOp::SkipStep), Err(PatchError::AtLastStep));
        assert_eq!(
            run(&ro::blue_green_paused(), RolloutOp::SkipStep),
            Err(PatchError::NoSteps)
        );
        assert_eq!(
            plan(
                Workload::Deployment(&dep::rolling()),
                RolloutOp::SkipStep,
                &[],
                now()
            ),
            Err(PatchError::NotForDeployment("skip-step"))
        );
    }

    #[test]
    fn promote_clears_pause_conditions() {
        assert_eq!(
            run(&ro::canary_paused(), RolloutOp::Promote { full: false }),
            Ok(vec![status(json!({"status": {"pauseConditions": null}}))])
        );
        assert_eq!(
            run(&ro::blue_green_paused(), RolloutOp::Promote { full: false }),
            Ok(vec![status(json!({"status": {"pauseConditions": null}}))])
        );
    }

    #[test]
    fn promote_mid_analysis_steps_past_it() {
        let mut r = ro::canary_paused();
        r.status.pause_conditions.clear();
        r.status.controller_pause = false;
        r.status.current_step_index = Some(4);
        assert_eq!(
            run(&r, RolloutOp::Promote { full: false }),
            Ok(vec![status(
                json!({"status": {"pauseConditions": null, "currentStepIndex": 5}})
            )])
        );
    }

    #[test]
    fn promote_inconclusive_clears_controller_pause() {
        let mut r = ro::canary_paused();
        r.status.current_step_index = Some(4);
        r.status.pause_conditions[0].reason = "InconclusiveAnalysisRun".into();
        r.status.canary.current_step_analysis_run_status =
            Some(crate::model::k8s::rollout::RolloutAnalysisRunStatus::default());
        if let Some(a) = r.status.canary.current_step_analysis_run_status.as_mut() {
            a.status = "Inconclusive".into();
        }
        assert_eq!(
            run(&r, RolloutOp::Promote { full: false }),
            Ok(vec![status(json!({"status": {
                "pauseConditions": null, "controllerPause": false, "currentStepIndex": 5}}))])
        );
    }

    #[test]
    fn promote_also_unpauses_the_spec() {
        let mut r = ro::canary_paused();
        r.spec.paused = true;
        assert_eq!(
            run(&r, RolloutOp::Promote { full: false }),
            Ok(vec![
                status(json!({"status": {"pauseConditions": null}})),
                main(json!({"spec": {"paused": false}})),
            ])
        );
        let mut bg = ro::blue_green_paused();
        bg.status.pause_conditions.clear();
        assert_eq!(
            run(&bg, RolloutOp::Promote { full: false }),
            Err(PatchError::NotPaused)
        );
    }

    #[test]
    fn promote_full_abort_retry_pause() {
        let r = ro::canary_paused();
        assert_eq!(
            run(&r, RolloutOp::Promote { full: true }),
            Ok(vec![status(json!({"status": {"promoteFull": true}}))])
        );
        assert_eq!(
            run(&ro::canary_promoted(), RolloutOp::Promote { full: true }),
            Err(PatchError::AlreadyPromoted)
        );
        assert_eq!(
            run(&r, RolloutOp::Abort),
            Ok(vec![status(json!({"status": {"abort": true}}))])
        );
        assert_eq!(
            run(&ro::canary_aborted(), RolloutOp::Retry),
            Ok(vec![status(json!({"status": {"abort": false}}))])
        );
        assert_eq!(
            run(&r, RolloutOp::Pause),
            Ok(vec![main(json!({"spec": {"paused": true}}))])
        );
        assert_eq!(
            run(&r, RolloutOp::Resume),
            Ok(vec![status(json!({"status": {"pauseConditions": null}}))])
        );
        assert_eq!(
            skip_step_plan(&r),
            Ok(status(json!({"status": {"currentStepIndex": 2}})))
        );
    }

    #[test]
    fn restart_and_scale() {
        assert_eq!(
            run(&ro::canary_promoted(), RolloutOp::Restart),
            Ok(vec![main(
                json!({"spec": {"restartAt": "2026-08-20T12:34:56Z"}})
            )])
        );
        let d = dep::complete();
        assert_eq!(
            plan(Workload::Deployment(&d), RolloutOp::Restart, &[], now()),
            Ok(vec![main(
                json!({"spec": {"template": {"metadata": {"annotations": {
                "kubectl.kubernetes.io/restartedAt": "2026-08-20T12:34:56Z"}}}}})
            )])
        );
        let paused = dep::paused();
        let err = plan(
            Workload::Deployment(&paused),
            RolloutOp::Restart,
            &[],
            now(),
        )
        .expect_err("refused");
        assert_eq!(
            err.to_string(),
            "can't restart paused deployment (run rollout resume first)"
        );
        assert_eq!(
            plan(
                Workload::Deployment(&d),
                RolloutOp::Scale { replicas: 0 },
                &[],
                now()
            ),
            Ok(vec![main(json!({"spec": {"replicas": 0}}))])
        );
        assert_eq!(
            plan(Workload::Deployment(&d), RolloutOp::Abort, &[], now())
                .expect_err("rollouts only")
                .to_string(),
            "abort is not available for a Deployment (Argo Rollouts only)"
        );
        assert_eq!(
            plan(Workload::Deployment(&paused), RolloutOp::Resume, &[], now()),
            Ok(vec![main(json!({"spec": {"paused": false}}))])
        );
    }

    fn replica_set(name: &str, annotation: &str, revision: i64, template: &Value) -> ReplicaSet {
        serde_json::from_value(json!({
            "metadata": {"name": name, "namespace": "shop",
                         "annotations": {annotation: revision.to_string()}},
            "spec": {"replicas": 0, "selector": {"matchLabels": {"app": "checkout"}},
                     "template": template}
        }))
        .expect("fixture parses")
    }

    #[test]
    fn rollout_undo_restores_the_replica_set_template() {
        let r = ro::canary_paused();
        let sets = [
            replica_set(
                "checkout-5c7d8e9f1",
                ROLLOUT_REVISION,
                4,
                &ro::canary_template_with_hash("registry.example.com/checkout:v1", "5c7d8e9f1"),
            ),
            replica_set(
                "checkout-6d8f9c7b4",
                ROLLOUT_REVISION,
                5,
                &ro::canary_template_with_hash("registry.example.com/checkout:v2", "6d8f9c7b4"),
            ),
        ];
        let expected = Ok(vec![main(
            json!({"spec": {"template": {"spec": {"containers": [
            {"name": "checkout", "image": "registry.example.com/checkout:v1",
             "ports": [{"containerPort": 8080}]}]}}}}),
        )]);
        let undo = |revision| {
            plan(
                Workload::Rollout(&r),
                RolloutOp::Undo { revision },
                &sets,
                now(),
            )
        };
        assert_eq!(undo(None), expected);
        assert_eq!(undo(Some(4)), expected);
        assert_eq!(undo(Some(5)), Err(PatchError::AlreadyAtRevision(5)));
        assert_eq!(
            undo(Some(9)).expect_err("missing").to_string(),
            "unable to find specified revision 9 in history"
        );
    }

    #[test]
    fn deployment_undo_drops_what_the_old_template_lacked() {
        let mut d = dep::complete();
        if let Some(t) = d.spec.as_mut().map(|s| &mut s.template) {
            t.metadata.get_or_insert_default().annotations = Some(BTreeMap::from([(
                RESTARTED_AT.to_owned(),
                "2026-08-19T08:00:00Z".to_owned(),
            )]));
        }
        let old = json!({
            "metadata": {"labels": {"app": "api", "pod-template-hash": "6b7c8d9e0"}},
            "spec": {"containers": [{"name": "api", "image": "registry.example.com/api:v1"}]}
        });
        let sets = [replica_set("api-6b7c8d9e0", DEPLOYMENT_REVISION, 2, &old)];
        assert_eq!(
            plan(
                Workload::Deployment(&d),
                RolloutOp::Undo { revision: Some(2) },
                &sets,
                now()
            ),
            Ok(vec![main(json!({"spec": {"template": {
                "metadata": {"annotations": null},
                "spec": {"containers": [{"name": "api", "image": "registry.example.com/api:v1"}]}
            }}}))])
        );
        assert_eq!(
            plan(
                Workload::Deployment(&d),
                RolloutOp::Undo { revision: None },
                &sets,
                now()
            )
            .expect_err("only one revision")
            .to_string(),
            "no revision found for deployment \"api\""
        );
    }

    #[test]
    fn merge_diff_is_rfc7386() {
        assert_eq!(
            merge_diff(
                &json!({"a": 1, "b": {"c": 2, "d": 3}}),
                &json!({"b": {"c": 2, "d": 4}, "e": [1]})
            ),
            json!({"a": null, "b": {"d": 4}, "e": [1]})
        );
    }

    #[test]
    fn applying_the_diff_gives_the_target() {
        let from = json!({"a": 1, "b": {"c": 2, "d": 3}, "x": [1, 2]});
        let to = json!({"b": {"c": 2, "d": 4}, "e": [1], "x": [3]});
        let mut live = from.clone();
        apply_merge_patch(&mut live, &merge_diff(&from, &to));
        assert_eq!(live, to);
    }
}
