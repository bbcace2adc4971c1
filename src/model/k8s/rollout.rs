//! The Argo Rollouts `Rollout` (`argoproj.io/v1alpha1`): the spec and status fields the panes
//! use (argoproj/argo-rollouts, pkg/apis/rollouts/v1alpha1/types.go), defaulted so partial
//! objects parse, and the client-side status rule of `utils/rollout/rolloututil.go`
//! (`GetRolloutPhase`). A malformed field never hides the object: it is read field by field
//! ([`super::lenient`]) and keeps a "cannot read" note per value it could not read.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use super::lenient::read_lenient;
use super::status::{StatusIcon, StatusLabel};

/// One Argo Rollout. Read-only, like [`super::app::Application`]: changes go out as patches.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rollout {
    pub metadata: ObjectMeta,
    pub spec: RolloutSpec,
    pub status: RolloutStatus,
    /// One "cannot read <field>: <why>" per malformed value left out while reading.
    pub notes: Vec<String>,
    /// The object as read. The rules ported from Argo CD's Lua (`health.lua`,
    /// `discovery.lua`) tell an absent field from an empty one, which the typed fields
    /// above cannot.
    pub raw: Value,
}

/// The typed part of a [`Rollout`], read leniently.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct RolloutFields {
    metadata: ObjectMeta,
    spec: RolloutSpec,
    status: RolloutStatus,
}

impl<'de> Deserialize<'de> for Rollout {
    /// Never fails on valid JSON: a malformed field becomes a note, not an error that would
    /// fail the whole watch list.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Self::from_value(Value::deserialize(d)?))
    }
}

super::namespaced_crd!(Rollout, "argoproj.io", "v1alpha1", "Rollout", "rollouts");

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RolloutSpec {
    /// Absent means 1, as for Deployments.
    pub replicas: Option<i32>,
    pub paused: bool,
    pub restart_at: Option<Time>,
    pub strategy: RolloutStrategy,
    /// The pod template, kept raw: undo diffs it against a ReplicaSet's.
    pub template: Value,
    pub workload_ref: Option<WorkloadRef>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct WorkloadRef {
    pub api_version: String,
    pub kind: String,
    pub name: String,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RolloutStrategy {
    pub canary: Option<CanaryStrategy>,
    pub blue_green: Option<BlueGreenStrategy>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CanaryStrategy {
    pub steps: Vec<CanaryStep>,
    pub canary_service: Option<String>,
    pub stable_service: Option<String>,
    /// Only its presence matters: basic canary (no traffic routing) waits for old replicas
    /// to terminate before it is Healthy.
    pub traffic_routing: Option<Value>,
    /// Only its presence matters: ping-pong services tag the ReplicaSets `ping`/`pong`.
    pub ping_pong: Option<Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct BlueGreenStrategy {
    pub active_service: String,
    pub preview_service: Option<String>,
    pub auto_promotion_enabled: Option<bool>,
    pub post_promotion_analysis: Option<Value>,
}

/// One canary step. Exactly one field is set in a valid step; a kind this model does not
/// know reads as a step with no field set (the plugin prints it `invalid`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CanaryStep {
    pub set_weight: Option<i32>,
    pub pause: Option<PauseStep>,
    pub analysis: Option<Value>,
    pub experiment: Option<Value>,
    pub set_canary_scale: Option<SetCanaryScale>,
    pub plugin: Option<NamedStep>,
    pub set_header_route: Option<NamedStep>,
    pub set_mirror_route: Option<NamedStep>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct PauseStep {
    /// `30s`, `1h` or a bare number of seconds (an `IntOrString`); absent means "until
    /// promoted".
    pub duration: Option<Value>,
}

/// `setCanaryScale`: a weight, a replica count, or back to matching the traffic weight.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SetCanaryScale {
    pub weight: Option<i32>,
    pub replicas: Option<i32>,
    pub match_traffic_weight: bool,
}

/// A step that names what it sets: `plugin`, `setHeaderRoute`, `setMirrorRoute`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct NamedStep {
    pub name: String,
}

impl CanaryStep {
    /// How the plugin prints the step: argoproj/argo-rollouts utils/rollout/rolloututil.go
    /// `CanaryStepString` at 9f8d111d8f8e3e88b6d7f8bbdf62fd3cd863ef9d, check for check in its
    /// order. A pause duration is an `IntOrString` printed with its `String()`: `pause: 60`
    /// for a number, `pause: 1h` for a string.
    #[must_use]
    pub fn describe(&self) -> String {
        if let Some(w) = self.set_weight {
            return format!("setWeight: {w}");
        }
        if let Some(pause) = &self.pause {
            return match &pause.duration {
                Some(Value::String(d)) => format!("pause: {d}"),
                Some(Value::Number(n)) => format!("pause: {n}"),
                _ => "pause".into(),
            };
        }
        if self.experiment.is_some() {
            return "experiment".into();
        }
        if self.analysis.is_some() {
            return "analysis".into();
        }
        if let Some(scale) = &self.set_canary_scale {
            // Weight wins over matchTrafficWeight, which wins over replicas; a scale step
            // with none of them falls through to the checks below, as in the plugin.
            if let Some(w) = scale.weight {
                return format!("setCanaryScale{{weight: {w}}}");
            } else if scale.match_traffic_weight {
                return "setCanaryScale{matchTrafficWeight: true}".into();
            } else if let Some(r) = scale.replicas {
                return format!("setCanaryScale{{replicas: {r}}}");
            }
        }
        if let Some(plugin) = &self.plugin {
            return format!("plugin: {}", plugin.name);
        }
        if let Some(route) = &self.set_header_route {
            return format!("setHeaderRoute: {}", route.name);
        }
        if let Some(route) = &self.set_mirror_route {
            return format!("setMirrorRoute: {}", route.name);
        }
        "invalid".into()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RolloutStatus {
    pub phase: String,
    pub message: String,
    /// A number written as a string since v0.10; v0.9 wrote a hash here. Kept as text and
    /// read the way `isGenerationObserved` reads it.
    #[serde(deserialize_with = "string_or_number")]
    pub observed_generation: String,
    pub current_step_index: Option<i32>,
    pub current_pod_hash: String,
    #[serde(rename = "stableRS")]
    pub stable_rs: String,
    pub replicas: i32,
    pub updated_replicas: i32,
    pub ready_replicas: i32,
    pub available_replicas: i32,
    pub abort: bool,
    pub aborted_at: Option<Time>,
    pub controller_pause: bool,
    pub pause_conditions: Vec<PauseCondition>,
    pub promote_full: bool,
    pub restarted_at: Option<Time>,
    pub canary: CanaryStatus,
    pub blue_green: BlueGreenStatus,
    pub conditions: Vec<RolloutCondition>,
}

fn string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => s,
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    })
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PauseCondition {
    /// `CanaryPauseStep`, `BlueGreenPause`, `InconclusiveAnalysisRun` or
    /// `InconclusiveExperiment`.
    pub reason: String,
    pub start_time: Option<Time>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CanaryStatus {
    pub weights: Option<TrafficWeights>,
    pub current_step_analysis_run_status: Option<RolloutAnalysisRunStatus>,
    pub current_background_analysis_run_status: Option<RolloutAnalysisRunStatus>,
    /// `ping` or `pong`: which ping-pong service is the stable one.
    pub stable_ping_pong: String,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RolloutAnalysisRunStatus {
    pub name: String,
    /// `Pending`, `Running`, `Successful`, `Failed`, `Error` or `Inconclusive`.
    pub status: String,
    pub message: String,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TrafficWeights {
    pub canary: WeightDestination,
    pub stable: WeightDestination,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct WeightDestination {
    pub weight: i32,
    pub pod_template_hash: String,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct BlueGreenStatus {
    pub active_selector: String,
    pub preview_selector: String,
    pub post_promotion_analysis_run_status: Option<RolloutAnalysisRunStatus>,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RolloutCondition {
    #[serde(rename = "type")]
    pub kind: String,
    pub status: String,
    pub reason: String,
    pub message: String,
    pub last_transition_time: Option<Time>,
}

/// `status.phase` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RolloutPhase {
    Healthy,
    Degraded,
    Progressing,
    Paused,
}

impl RolloutPhase {
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "Healthy" => Self::Healthy,
            "Degraded" => Self::Degraded,
            "Progressing" => Self::Progressing,
            "Paused" => Self::Paused,
            _ => return None,
        })
    }

    #[must_use]
    pub fn word(self) -> &'static str {
        match self {
            Self::Healthy => "Healthy",
            Self::Degraded => "Degraded",
            Self::Progressing => "Progressing",
            Self::Paused => "Paused",
        }
    }

    /// The plugin's icons: ✔ Healthy, ✖ Degraded, ◌ Progressing, ॥ Paused.
    #[must_use]
    pub fn label(self) -> StatusLabel {
        let icon = match self {
            Self::Healthy => StatusIcon::Ok,
            Self::Degraded => StatusIcon::Bad,
            Self::Progressing => StatusIcon::Progressing,
            Self::Paused => StatusIcon::Paused,
        };
        StatusLabel::new(icon, self.word())
    }
}

impl Rollout {
    /// Reads a Rollout from its JSON, field by field: a malformed value is left out (its
    /// field keeps the default) with a note in [`Self::notes`].
    #[must_use]
    pub fn from_value(raw: Value) -> Self {
        let (fields, notes) = read_lenient::<RolloutFields>(raw.clone());
        Self {
            metadata: fields.metadata,
            spec: fields.spec,
            status: fields.status,
            notes,
            raw,
        }
    }

    /// Drops from [`Self::raw`] what no Lua rule reads and what can be bigger than the rest
    /// of the object: `managedFields`, the `kubectl apply` annotation, and the pod template
    /// (kept typed in `spec.template`).
    pub fn slim_raw(&mut self) {
        if let Some(meta) = self.raw.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.remove("managedFields");
            if let Some(annotations) = meta.get_mut("annotations").and_then(Value::as_object_mut) {
                annotations.remove("kubectl.kubernetes.io/last-applied-configuration");
            }
        }
        if let Some(spec) = self.raw.get_mut("spec").and_then(Value::as_object_mut) {
            spec.remove("template");
        }
    }

    #[must_use]
    pub fn name(&self) -> &str {
        self.metadata.name.as_deref().unwrap_or_default()
    }

    #[must_use]
    pub fn namespace(&self) -> &str {
        self.metadata.namespace.as_deref().unwrap_or_default()
    }

    /// `spec.replicas`, defaulting to 1.
    #[must_use]
    pub fn desired_replicas(&self) -> i32 {
        self.spec.replicas.unwrap_or(1)
    }

    /// `currentPodHash == stableRS` (`IsFullyPromoted`).
    #[must_use]
    pub fn fully_promoted(&self) -> bool {
        self.status.current_pod_hash == self.status.stable_rs
    }

    /// Paused by the controller (pause conditions) or by hand (`spec.paused`).
    #[must_use]
    pub fn paused(&self) -> bool {
        !self.status.pause_conditions.is_empty() || self.spec.paused
    }

    #[must_use]
    pub fn steps(&self) -> &[CanaryStep] {
        self.spec
            .strategy
            .canary
            .as_ref()
            .map_or(&[], |c| c.steps.as_slice())
    }

    /// `GetCurrentCanaryStep`'s index (argoproj/argo-rollouts utils/replicaset/canary.go at
    /// 9f8d111d8f8e3e88b6d7f8bbdf62fd3cd863ef9d): `currentStepIndex`, 0 when unset, `None`
    /// for a non-canary, without steps, or when the index is already past the last step.
    #[must_use]
    pub fn current_step_index(&self) -> Option<i32> {
        self.spec.strategy.canary.as_ref()?;
        let steps = i32::try_from(self.steps().len()).unwrap_or(i32::MAX);
        let index = self.status.current_step_index.unwrap_or(0);
        // The plugin would index out of range with a negative index; none is current then.
        (0..steps).contains(&index).then_some(index)
    }

    /// The plugin's `SetWeight` ([`super::rollout_info::set_weight`]).
    #[must_use]
    pub fn set_weight(&self) -> Option<i64> {
        super::rollout_info::set_weight(self)
    }

    /// `GetRolloutPhase` (argoproj/argo-rollouts utils/rollout/rolloututil.go at
    /// 9f8d111d8f8e3e88b6d7f8bbdf62fd3cd863ef9d): the controller's phase, unless the client
    /// can see it is stale. Its third check (a referenced workload's generation not yet
    /// observed) only runs when `spec.TemplateResolvedFromRef` is set, a field the controller
    /// sets in memory (`json:"-"`) and never on an object read from the API, so it never
    /// applies here; Argo CD's `health.lua` does check it ([`super::health_rules`]).
    #[must_use]
    pub fn phase(&self) -> (RolloutPhase, String) {
        if !self.generation_observed() {
            return (
                RolloutPhase::Progressing,
                "waiting for rollout spec update to be observed".into(),
            );
        }
        if self.status.controller_pause && self.status.pause_conditions.is_empty() {
            return (
                RolloutPhase::Progressing,
                "waiting for rollout to unpause".into(),
            );
        }
        match RolloutPhase::parse(&self.status.phase) {
            Some(phase) => (phase, self.status.message.clone()),
            None => self.calculate_phase(),
        }
    }

    /// Status as the pane prints it: `(label, message)`.
    #[must_use]
    pub fn status_label(&self) -> (StatusLabel, String) {
        let (phase, message) = self.phase();
        (phase.label(), message)
    }

    /// `isGenerationObserved`: a non-numeric value (a v0.9 hash) counts as observed.
    fn generation_observed(&self) -> bool {
        let Ok(observed) = self.status.observed_generation.parse::<i64>() else {
            return true;
        };
        let generation = self.metadata.generation.unwrap_or(0);
        observed >= generation
    }

    /// `CalculateRolloutPhase`, for controllers older than v1.0 that leave `status.phase`
    /// empty.
    fn calculate_phase(&self) -> (RolloutPhase, String) {
        let status = &self.status;
        for c in &status.conditions {
            if c.kind == "InvalidSpec" {
                return (
                    RolloutPhase::Degraded,
                    format!("InvalidSpec: {}", c.message),
                );
            }
            if c.reason == "RolloutAborted" || c.reason == "ProgressDeadlineExceeded" {
                return (
                    RolloutPhase::Degraded,
                    format!("{}: {}", c.reason, c.message),
                );
            }
        }
        if self.spec.paused {
            return (RolloutPhase::Paused, "manually paused".into());
        }
        if let Some(c) = status.pause_conditions.first() {
            return (RolloutPhase::Paused, c.reason.clone());
        }
        let restarting = self.spec.restart_at.as_ref().is_some_and(|at| {
            status
                .restarted_at
                .as_ref()
                .is_none_or(|done| done.0 != at.0)
        });
        if restarting {
            return (RolloutPhase::Progressing, "rollout is restarting".into());
        }
        if status.updated_replicas < self.desired_replicas() {
            return (
                RolloutPhase::Progressing,
                "more replicas need to be updated".into(),
            );
        }
        if status.available_replicas < status.updated_replicas {
            return (
                RolloutPhase::Progressing,
                "updated replicas are still becoming available".into(),
            );
        }
        if let Some(bg) = &self.spec.strategy.blue_green {
            let active = &status.blue_green.active_selector;
            if active.is_empty() || *active != status.current_pod_hash {
                return (
                    RolloutPhase::Progressing,
                    "active service cutover pending".into(),
                );
            }
            if status.stable_rs.is_empty() || !self.fully_promoted() {
                let analysis_done = status
                    .blue_green
                    .post_promotion_analysis_run_status
                    .as_ref()
                    .is_some_and(|a| analysis_completed(&a.status));
                let message = if bg.post_promotion_analysis.is_some() && !analysis_done {
                    "waiting for analysis to complete"
                } else {
                    "waiting for post-promotion verification to complete"
                };
                return (RolloutPhase::Progressing, message.into());
            }
        } else if let Some(canary) = &self.spec.strategy.canary {
            if canary.traffic_routing.is_none() && status.replicas > status.updated_replicas {
                return (
                    RolloutPhase::Progressing,
                    "old replicas are pending termination".into(),
                );
            }
            if status.stable_rs.is_empty() || !self.fully_promoted() {
                return (
                    RolloutPhase::Progressing,
                    "waiting for all steps to complete".into(),
                );
            }
        }
        (RolloutPhase::Healthy, String::new())
    }
}

/// An analysis phase that will not change any more.
#[must_use]
pub fn analysis_completed(phase: &str) -> bool {
    matches!(phase, "Successful" | "Failed" | "Error" | "Inconclusive")
}

#[cfg(test)]
pub(crate) mod tests {
    use serde_json::json;

    use super::*;

    pub(crate) fn rollout(value: Value) -> Rollout {
        serde_json::from_value(value).expect("fixture parses")
    }

    fn template(image: &str, hash_label: Option<&str>) -> Value {
        let mut labels = json!({"app": "checkout"});
        if let Some(h) = hash_label {
            labels["rollouts-pod-template-hash"] = json!(h);
        }
        json!({
            "metadata": {"labels": labels},
            "spec": {"containers": [{"name": "checkout", "image": image,
                                     "ports": [{"containerPort": 8080}]}]}
        })
    }

    pub(crate) fn canary_template(image: &str) -> Value {
        template(image, None)
    }

    pub(crate) fn canary_template_with_hash(image: &str, hash: &str) -> Value {
        template(image, Some(hash))
    }

    fn canary_steps() -> Value {
        json!([
            {"setWeight": 20},
            {"pause": {}},
            {"setWeight": 40},
            {"pause": {"duration": "10m"}},
            {"analysis": {"templates": [{"templateName": "success-rate"}]}},
            {"setWeight": 80},
            {"pause": {"duration": 60}},
            {"setWeight": 100}
        ])
    }

    /// Canary paused on `CanaryPauseStep` at step index 1 (the plugin prints `Step: 1/8`),
    /// having set weight 20.
    pub(crate) fn canary_paused() -> Rollout {
        rollout(json!({
            "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
            "metadata": {"name": "checkout", "namespace": "shop", "generation": 7},
            "spec": {
                "replicas": 5,
                "strategy": {"canary": {"canaryService": "checkout-canary", "stableService": "checkout-stable",
                    "trafficRouting": {"nginx": {"stableIngress": "checkout"}}, "steps": canary_steps()}},
                "template": canary_template("registry.example.com/checkout:v2")
            },
            "status": {
                "phase": "Paused", "message": "CanaryPauseStep",
                "observedGeneration": "7",
                "currentStepIndex": 1, "currentPodHash": "6d8f9c7b4", "stableRS": "5c7d8e9f1",
                "replicas": 6, "updatedReplicas": 1, "readyReplicas": 6, "availableReplicas": 6,
                "controllerPause": true,
                "pauseConditions": [{"reason": "CanaryPauseStep", "startTime": "2026-08-20T10:00:00Z"}],
                "canary": {"weights": {"canary": {"weight": 20, "podTemplateHash": "6d8f9c7b4"},
                                       "stable": {"weight": 80, "podTemplateHash": "5c7d8e9f1"}}},
                "conditions": [{"type": "Paused", "status": "True", "reason": "RolloutPaused", "message": "Rollout is paused"}]
            }
        }))
    }

    /// Blue-green with the new ReplicaSet up on preview, waiting for promotion.
    pub(crate) fn blue_green_paused() -> Rollout {
        rollout(json!({
            "metadata": {"name": "web", "namespace": "shop", "generation": 3},
            "spec": {
                "replicas": 2,
                "strategy": {"blueGreen": {"activeService": "web-active", "previewService": "web-preview",
                                           "autoPromotionEnabled": false}},
                "template": {"spec": {"containers": [{"name": "web", "image": "registry.example.com/web:v8"}]}}
            },
            "status": {
                "phase": "Paused", "message": "BlueGreenPause", "observedGeneration": "3",
                "currentPodHash": "7fbd9c5d6", "stableRS": "5b9c8d7e6",
                "replicas": 4, "updatedReplicas": 2, "readyReplicas": 4, "availableReplicas": 4,
                "controllerPause": true,
                "pauseConditions": [{"reason": "BlueGreenPause", "startTime": "2026-08-20T09:00:00Z"}],
                "blueGreen": {"activeSelector": "5b9c8d7e6", "previewSelector": "7fbd9c5d6"}
            }
        }))
    }

    /// A canary aborted after its analysis failed.
    pub(crate) fn canary_aborted() -> Rollout {
        rollout(json!({
            "metadata": {"name": "checkout", "namespace": "shop", "generation": 8},
            "spec": {"replicas": 5, "strategy": {"canary": {"steps": canary_steps()}},
                     "template": canary_template("registry.example.com/checkout:v3")},
            "status": {
                "phase": "Degraded",
                "message": "RolloutAborted: Rollout aborted update to revision 9: Metric \"success-rate\" assessed Failed due to failed (1) > failureLimit (0)",
                "observedGeneration": "8", "currentStepIndex": 0,
                "currentPodHash": "8a7b6c5d4", "stableRS": "5c7d8e9f1",
                "replicas": 5, "updatedReplicas": 0, "readyReplicas": 5, "availableReplicas": 5,
                "abort": true, "abortedAt": "2026-08-20T12:00:00Z",
                "canary": {"currentStepAnalysisRunStatus": {"name": "checkout-8a7b6c5d4-9-4", "status": "Failed"}},
                "conditions": [{"type": "Progressing", "status": "False", "reason": "RolloutAborted",
                                "message": "Rollout aborted update to revision 9"}]
            }
        }))
    }

    /// Every step done: stable == current.
    pub(crate) fn canary_promoted() -> Rollout {
        rollout(json!({
            "metadata": {"name": "checkout", "namespace": "shop", "generation": 9},
            "spec": {"replicas": 5, "strategy": {"canary": {"steps": canary_steps()}},
                     "template": canary_template("registry.example.com/checkout:v2")},
            "status": {
                "phase": "Healthy", "observedGeneration": "9", "currentStepIndex": 8,
                "currentPodHash": "6d8f9c7b4", "stableRS": "6d8f9c7b4",
                "replicas": 5, "updatedReplicas": 5, "readyReplicas": 5, "availableReplicas": 5
            }
        }))
    }

    #[test]
    fn phases_of_the_fixtures() {
        let status = |r: &Rollout| {
            let (label, message) = r.status_label();
            format!("{label} | {message}")
        };
        assert_eq!(status(&canary_paused()), "॥ Paused | CanaryPauseStep");
        assert_eq!(status(&blue_green_paused()), "॥ Paused | BlueGreenPause");
        assert!(status(&canary_aborted()).starts_with("✖ Degraded | RolloutAborted: "));
        assert_eq!(status(&canary_promoted()), "✔ Healthy | ");
    }

    #[test]
    fn unobserved_generation_and_unpausing_override_the_phase() {
        let mut r = canary_promoted();
        r.metadata.generation = Some(10);
        assert_eq!(
            r.phase(),
            (
                RolloutPhase::Progressing,
                "waiting for rollout spec update to be observed".into()
            )
        );
        let mut r = canary_paused();
        r.status.pause_conditions.clear();
        assert_eq!(
            r.phase(),
            (
                RolloutPhase::Progressing,
                "waiting for rollout to unpause".into()
            )
        );
        // A v0.9 hash in observedGeneration counts as observed.
        let mut r = canary_promoted();
        r.status.observed_generation = "5f7c8d9b".into();
        assert_eq!(r.phase().0, RolloutPhase::Healthy);
    }

    #[test]
    fn client_side_phase_for_old_controllers() {
        let mut r = canary_paused();
        r.status.phase.clear();
        assert_eq!(r.phase(), (RolloutPhase::Paused, "CanaryPauseStep".into()));
        let mut r = canary_aborted();
        r.status.phase.clear();
        assert_eq!(
            r.phase(),
            (
                RolloutPhase::Degraded,
                "RolloutAborted: Rollout aborted update to revision 9".into()
            )
        );
        let mut r = blue_green_paused();
        r.status.phase.clear();
        r.status.pause_conditions.clear();
        r.status.controller_pause = false;
        assert_eq!(
            r.phase(),
            (
                RolloutPhase::Progressing,
                "active service cutover pending".into()
            )
        );
    }

    #[test]
    fn steps_and_weights() {
        let r = canary_paused();
        assert_eq!(r.current_step_index(), Some(1));
        assert_eq!(r.set_weight(), Some(20));
        assert_eq!(r.steps()[3].describe(), "pause: 10m");
        // An IntOrString prints bare: the plugin shows `pause: 60`, not `60s`.
        assert_eq!(r.steps()[6].describe(), "pause: 60");
        assert_eq!(r.steps()[4].describe(), "analysis");
        let done = canary_promoted();
        assert_eq!(done.current_step_index(), None);
        assert_eq!(done.set_weight(), Some(100));
        assert_eq!(blue_green_paused().set_weight(), None);
    }

    /// The case: `status.conditions` that is not a list used to fail the whole
    /// object (and with it the watch list). Now the object reads, with a note.
    #[test]
    fn a_malformed_field_keeps_the_object_with_a_note() {
        let r = rollout(json!({
            "metadata": {"name": "checkout", "namespace": "shop", "generation": 2},
            "spec": {"replicas": 3, "strategy": {"canary": {"steps": [{"setWeight": "ten"}, {"pause": {}}]}}},
            "status": {"phase": "Healthy", "observedGeneration": "2", "conditions": "oops",
                       "currentPodHash": "abc", "stableRS": "abc"}
        }));
        assert_eq!(r.name(), "checkout");
        assert_eq!(r.phase().0, RolloutPhase::Healthy);
        assert_eq!(r.steps().len(), 2, "the step stays, without its weight");
        assert_eq!(
            r.notes,
            [
                "cannot read spec.strategy.canary.steps[0].setWeight: invalid type: string \"ten\", expected i32",
                "cannot read status.conditions: invalid type: string \"oops\", expected a sequence",
            ]
        );
        let list: Vec<Rollout> = serde_json::from_value(
            json!([{"status": {"pauseConditions": 5}}, {"metadata": {"name": "ok"}}]),
        )
        .expect("a list with a malformed item still reads");
        assert_eq!(list.len(), 2);
        assert_eq!(list[0].notes.len(), 1);
    }

    #[test]
    fn observed_generation_may_be_a_number() {
        let r = rollout(json!({"status": {"observedGeneration": 4}}));
        assert_eq!(r.status.observed_generation, "4");
    }
}
