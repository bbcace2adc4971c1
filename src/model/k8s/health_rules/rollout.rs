//! Argo CD's built-in Lua customizations for Argo Rollouts, ported over the object's JSON so
//! an absent field stays distinct from an empty one, as in Lua: argoproj/argo-cd at
//! 37ee0097cf851bc2dd7665fc081bbce61a7e836e, `resource_customizations/argoproj.io/Rollout/`
//! `health.lua` ([`rollout_health`]) and `actions/discovery.lua` ([`rollout_actions`]).
//!
//! Older Rollouts versions are why the rules look the way they do: v0.7 kept the stable
//! hash in `status.canary.stableRS`, v0.9 wrote a hash into `status.observedGeneration`,
//! v1.0 started writing `status.phase`, v1.1 added `workloadRef` with its own generation.

use serde_json::Value;

use super::Health;
use super::lua::{field, getn, tonumber, truthy};
use crate::model::k8s::app_row::HealthState;

/// A Lua runtime error, which Argo CD reports as health Unknown with the error.
type LuaResult<T> = Result<T, String>;

fn index<'a>(value: Option<&'a Value>, key: &str, name: &str) -> LuaResult<Option<&'a Value>> {
    match value {
        Some(v) if v.is_object() => Ok(field(Some(v), key)),
        _ => Err(format!(
            "attempt to index a non-table object (field '{name}')"
        )),
    }
}

/// `isGenerationObserved`: no status is not observed; a non-numeric `observedGeneration`
/// (a v0.9 hash) or one above `metadata.generation` (an all-digit v0.9 hash) is observed;
/// otherwise the two must be equal.
fn generation_observed(obj: &Value) -> LuaResult<bool> {
    let Some(status) = field(Some(obj), "status") else {
        return Ok(false);
    };
    let Some(observed) = tonumber(field(Some(status), "observedGeneration")) else {
        return Ok(true);
    };
    let meta = index(Some(obj), "metadata", "metadata")?;
    let generation = index(meta, "generation", "generation")?
        .and_then(Value::as_f64)
        .ok_or("attempt to compare nil with number")?;
    // `observed > generation` (then true) or `observed == generation`.
    Ok(observed >= generation)
}

/// `isWorkloadGenerationObserved`: only for a `workloadRef` Rollout with annotations, the
/// `rollout.argoproj.io/workload-generation` annotation must equal
/// `status.workloadObservedGeneration` as numbers (both absent counts as equal).
fn workload_generation_observed(obj: &Value) -> LuaResult<bool> {
    let spec = index(Some(obj), "spec", "spec")?;
    let annotations = field(field(Some(obj), "metadata"), "annotations");
    if field(spec, "workloadRef").is_none() || annotations.is_none() {
        return Ok(true);
    }
    let workload = tonumber(field(
        annotations,
        "rollout.argoproj.io/workload-generation",
    ));
    let observed = tonumber(field(
        field(Some(obj), "status"),
        "workloadObservedGeneration",
    ));
    Ok(workload == observed)
}

/// A number field, or its default when nil (`getNumberValueOrDefault`).
fn number_or(value: Option<&Value>, default: f64) -> f64 {
    value.and_then(Value::as_f64).unwrap_or(default)
}

/// `health.lua`: Argo CD's health of a Rollout, with its message.
#[must_use]
pub fn rollout_health(obj: &Value) -> Health {
    match lua_health(obj) {
        Ok(health) => health,
        Err(e) => Health::new(HealthState::Unknown, e),
    }
}

fn lua_health(obj: &Value) -> LuaResult<Health> {
    use HealthState as H;
    if !generation_observed(obj)? || !workload_generation_observed(obj)? {
        return Ok(Health::new(
            H::Progressing,
            "Waiting for rollout spec update to be observed",
        ));
    }
    let status = field(Some(obj), "status");
    let spec = field(Some(obj), "spec");
    let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or_default().to_owned();

    // Rollouts v1.0+ record a phase and message, surfaced as is (Paused reads Suspended).
    if let Some(phase) = field(status, "phase") {
        let state = match phase.as_str() {
            Some("Paused") => H::Suspended,
            Some(other) => H::parse(other),
            None => H::Unknown,
        };
        return Ok(Health::new(state, text(field(status, "message"))));
    }

    // `ipairs(obj.status.conditions)` fails on nil in Argo CD's Lua.
    let conditions = match field(status, "conditions") {
        Some(Value::Array(items)) => items.as_slice(),
        Some(Value::Object(_)) => &[],
        _ => return Err("bad argument #1 to ipairs (table expected, got nil)".into()),
    };
    for c in conditions {
        let kind = c["type"].as_str();
        let reason = c["reason"].as_str();
        let degraded = kind == Some("InvalidSpec")
            || (kind == Some("Progressing")
                && matches!(reason, Some("RolloutAborted" | "ProgressDeadlineExceeded")));
        if degraded {
            return Ok(Health::new(H::Degraded, text(field(Some(c), "message"))));
        }
    }

    // `checkPaused`.
    let pause_conditions = field(status, "pauseConditions");
    if (pause_conditions.is_some() && getn(pause_conditions) > 0) || truthy(field(spec, "paused")) {
        return Ok(Health::new(H::Suspended, "Rollout is paused"));
    }

    let current = field(status, "currentPodHash");
    if current.is_none() {
        return Ok(Health::new(
            H::Progressing,
            "Waiting for rollout to finish: status has not been reconciled.",
        ));
    }

    // `checkReplicasStatus`.
    let desired = number_or(field(spec, "replicas"), 1.0);
    let replicas = number_or(field(status, "replicas"), 0.0);
    let updated = number_or(field(status, "updatedReplicas"), 0.0);
    let available = number_or(field(status, "availableReplicas"), 0.0);
    if updated < desired {
        return Ok(Health::new(
            H::Progressing,
            "Waiting for roll out to finish: More replicas need to be updated",
        ));
    }
    if available < updated {
        return Ok(Health::new(
            H::Progressing,
            "Waiting for roll out to finish: updated replicas are still becoming available",
        ));
    }

    // `getStableRS`: v0.8 moved `status.canary.stableRS` to `status.stableRS`. Either may be
    // nil here, which is neither "" nor the current hash.
    let empty = Value::String(String::new());
    let stable = match field(status, "stableRS") {
        Some(s) => Some(s),
        None => match field(status, "canary") {
            Some(canary) => field(Some(canary), "stableRS"),
            None => Some(&empty),
        },
    };
    let is_empty = stable == Some(&empty);
    let strategy = index(spec, "strategy", "strategy")?;
    if field(strategy, "blueGreen").is_some() {
        let active = field(field(status, "blueGreen"), "activeSelector");
        if field(status, "blueGreen").is_none() || active != current {
            return Ok(Health::new(
                H::Progressing,
                "active service cutover pending",
            ));
        }
        // v0.7 blue-green had no stableRS, so an empty one passes.
        if !is_empty && stable != current {
            return Ok(Health::new(
                H::Progressing,
                "waiting for analysis to complete",
            ));
        }
    } else if field(strategy, "canary").is_some() {
        if replicas > updated {
            return Ok(Health::new(
                H::Progressing,
                "Waiting for roll out to finish: old replicas are pending termination",
            ));
        }
        if is_empty || stable != current {
            return Ok(Health::new(
                H::Progressing,
                "Waiting for rollout to finish steps",
            ));
        }
    }
    Ok(Health::new(H::Healthy, ""))
}

/// What `discovery.lua` offers for a Rollout: each field is true when the action is
/// enabled. `restart` is always offered. A Lua error (e.g. no `status` at all) offers nothing
/// and keeps the error.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "one flag per action of discovery.lua, named as Argo CD names them"
)]
pub struct RolloutActions {
    pub resume: bool,
    pub abort: bool,
    pub retry: bool,
    pub pause: bool,
    pub promote_full: bool,
    pub skip_current_step: bool,
    /// The facts the flags come from, for the reasons a menu shows.
    pub paused: bool,
    pub fully_promoted: bool,
    pub aborted: bool,
    pub manually_paused: bool,
    /// `observedGeneration` is a v0.9 hash: full promotion is canary-only there.
    pub v0_9: bool,
    pub error: Option<String>,
}

/// `discovery.lua`.
#[must_use]
pub fn rollout_actions(obj: &Value) -> RolloutActions {
    lua_actions(obj).unwrap_or_else(|e| RolloutActions {
        error: Some(e),
        ..RolloutActions::default()
    })
}

fn lua_actions(obj: &Value) -> LuaResult<RolloutActions> {
    let status = field(Some(obj), "status");
    let spec = index(Some(obj), "spec", "spec")?;
    // `pauseConditions`, when present, decides alone; `spec.paused` only without them.
    let paused = match field(status, "pauseConditions") {
        Some(conditions) => getn(Some(conditions)) > 0,
        None => truthy(field(spec, "paused")),
    };
    // `obj.status.currentPodHash` fails when there is no status.
    let current = index(status, "currentPodHash", "status")?;
    let fully_promoted = current == field(status, "stableRS");
    let aborted = truthy(field(status, "abort"));
    let manually_paused = truthy(field(spec, "paused"));

    let mut promote_full = false;
    let mut v0_9 = false;
    if status.is_some() && !fully_promoted {
        let generation = tonumber(field(status, "observedGeneration"));
        let meta_generation =
            field(field(Some(obj), "metadata"), "generation").and_then(Value::as_f64);
        v0_9 = match (generation, meta_generation) {
            (None, _) => true,
            (Some(g), Some(m)) => g > m,
            (Some(_), None) => return Err("attempt to compare nil with number".into()),
        };
        let blue_green = field(field(spec, "strategy"), "blueGreen").is_some();
        promote_full = !(v0_9 && blue_green);
    }

    let canary = field(field(spec, "strategy"), "canary");
    let steps = field(canary, "steps");
    #[expect(
        clippy::cast_precision_loss,
        reason = "a step count is far below 2^53, and Lua compares doubles"
    )]
    let at_end = field(status, "currentStepIndex")
        .filter(|v| v.is_number())
        .and_then(Value::as_f64)
        == Some(getn(steps) as f64);
    let skip = !(canary.is_none() || steps.is_none() || at_end);

    Ok(RolloutActions {
        resume: paused,
        abort: !(fully_promoted || aborted),
        // `fullyPromoted or not(obj.status.abort)`, negated.
        retry: !fully_promoted && aborted,
        pause: !(fully_promoted || aborted || manually_paused),
        promote_full,
        skip_current_step: skip,
        paused,
        fully_promoted,
        aborted,
        manually_paused,
        v0_9,
        error: None,
    })
}
