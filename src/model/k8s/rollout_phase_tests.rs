//! argoproj/argo-rollouts `utils/rollout/rolloututil_test.go` at
//! 9f8d111d8f8e3e88b6d7f8bbdf62fd3cd863ef9d, ported case by case: `GetRolloutPhase`
//! (through [`Rollout::phase`]), `isGenerationObserved` and `CanaryStepString`. Each case
//! builds the same object from JSON, with upstream's expected phase and message.

use serde_json::{Value, json};

use super::rollout::{CanaryStep, Rollout, RolloutPhase};

/// `newCanaryRollout`.
fn canary() -> Value {
    json!({
        "metadata": {"name": "can-guestbook", "namespace": "test"},
        "spec": {"replicas": 5, "strategy": {"canary": {"steps": [
            {"setWeight": 10}, {"pause": {"duration": 60}}, {"setWeight": 20}]}}},
        "status": {"currentStepIndex": 1, "replicas": 4, "readyReplicas": 1,
                   "updatedReplicas": 3, "availableReplicas": 2}
    })
}

/// `newBlueGreenRollout`.
fn blue_green() -> Value {
    json!({
        "metadata": {"name": "bg-guestbook", "namespace": "test"},
        "spec": {"replicas": 5, "strategy": {"blueGreen": {}}},
        "status": {"currentStepIndex": 1, "replicas": 4, "readyReplicas": 1,
                   "updatedReplicas": 3, "availableReplicas": 2}
    })
}

/// Merges `patch` into `base` (objects recursively, anything else replaced).
fn with(mut base: Value, patch: Value) -> Value {
    fn merge(a: &mut Value, b: Value) {
        match (a, b) {
            (Value::Object(a), Value::Object(b)) => {
                for (k, v) in b {
                    merge(a.entry(k).or_insert(Value::Null), v);
                }
            }
            (a, b) => *a = b,
        }
    }
    merge(&mut base, patch);
    base
}

fn phase(object: Value) -> (RolloutPhase, String) {
    Rollout::from_value(object).phase()
}

fn full(replicas: i32) -> Value {
    json!({"status": {"replicas": replicas, "updatedReplicas": replicas,
                      "availableReplicas": replicas, "readyReplicas": replicas}})
}

#[test]
#[expect(
    clippy::too_many_lines,
    reason = "one table of upstream's cases, kept in upstream's order"
)]
fn rollout_phases() {
    use RolloutPhase as P;
    let cases: Vec<(&str, Value, P, &str)> = vec![
        (
            "TestRolloutStatusDegraded",
            with(
                canary(),
                json!({"status": {"conditions": [
                {"type": "Progressing", "reason": "ProgressDeadlineExceeded", "message": "timed out"}]}}),
            ),
            P::Degraded,
            "ProgressDeadlineExceeded: timed out",
        ),
        (
            "TestRolloutStatusPaused",
            with(canary(), json!({"spec": {"paused": true}})),
            P::Paused,
            "manually paused",
        ),
        (
            "TestRolloutStatusProgressing: more replicas",
            with(
                canary(),
                json!({"status": {"updatedReplicas": 4, "availableReplicas": 4, "replicas": 5}}),
            ),
            P::Progressing,
            "more replicas need to be updated",
        ),
        (
            "TestRolloutStatusProgressing: becoming available",
            with(
                canary(),
                json!({"status": {"updatedReplicas": 5, "availableReplicas": 4, "replicas": 5}}),
            ),
            P::Progressing,
            "updated replicas are still becoming available",
        ),
        (
            "TestRolloutStatusProgressing: old replicas",
            with(
                canary(),
                json!({"status": {"updatedReplicas": 5, "availableReplicas": 5, "replicas": 7}}),
            ),
            P::Progressing,
            "old replicas are pending termination",
        ),
        (
            "TestRolloutStatusProgressing: cutover pending",
            with(
                with(blue_green(), full(5)),
                json!({"status": {"blueGreen": {"activeSelector": "abc1234"},
                                  "stableRS": "abc1234", "currentPodHash": "def5678"}}),
            ),
            P::Progressing,
            "active service cutover pending",
        ),
        (
            "TestRolloutStatusProgressing: analysis",
            with(
                with(blue_green(), full(5)),
                json!({"spec": {"strategy": {"blueGreen": {"postPromotionAnalysis": {}}}},
                       "status": {"blueGreen": {"activeSelector": "def5678"},
                                  "stableRS": "abc1234", "currentPodHash": "def5678"}}),
            ),
            P::Progressing,
            "waiting for analysis to complete",
        ),
        (
            "TestRolloutStatusProgressing: post-promotion verification",
            with(
                with(blue_green(), full(5)),
                json!({"status": {"blueGreen": {"activeSelector": "def5678"},
                                  "stableRS": "abc1234", "currentPodHash": "def5678"}}),
            ),
            P::Progressing,
            "waiting for post-promotion verification to complete",
        ),
        (
            "TestRolloutStatusProgressing: partially filled status",
            with(
                canary(),
                json!({"spec": {"replicas": null},
                "status": {"observedGeneration": "0", "stableRS": "abc1234", "currentPodHash": "abc1234",
                           "currentStepIndex": null, "replicas": 0, "readyReplicas": 0,
                           "updatedReplicas": 0, "availableReplicas": 0}}),
            ),
            P::Progressing,
            "more replicas need to be updated",
        ),
        (
            "TestRolloutStatusProgressing: generation not observed",
            with(
                canary(),
                json!({"metadata": {"generation": 2}, "spec": {"replicas": null},
                "status": {"observedGeneration": "1", "stableRS": "abc1234", "currentPodHash": "abc1234"}}),
            ),
            P::Progressing,
            "waiting for rollout spec update to be observed",
        ),
        (
            "TestRolloutStatusProgressing: v0.9 hash",
            with(
                canary(),
                json!({"metadata": {"generation": 2}, "spec": {"replicas": null},
                "status": {"observedGeneration": "7d66d4485f", "stableRS": "abc1234", "currentPodHash": "abc1234",
                           "replicas": 0, "readyReplicas": 0, "updatedReplicas": 0, "availableReplicas": 0}}),
            ),
            P::Progressing,
            "more replicas need to be updated",
        ),
        (
            "TestRolloutStatusProgressing: v0.9 all-numeric hash",
            with(
                canary(),
                json!({"metadata": {"generation": 2}, "spec": {"replicas": null},
                "status": {"observedGeneration": "1366344857", "stableRS": "abc1234", "currentPodHash": "abc1234",
                           "replicas": 0, "readyReplicas": 0, "updatedReplicas": 0, "availableReplicas": 0}}),
            ),
            P::Progressing,
            "more replicas need to be updated",
        ),
        (
            "TestRolloutStatusProgressing: restarting",
            with(
                with(canary(), full(5)),
                json!({"spec": {"restartAt": "2026-08-20T10:00:00Z"},
                       "status": {"stableRS": "abc1234", "currentPodHash": "abc1234"}}),
            ),
            P::Progressing,
            "rollout is restarting",
        ),
        (
            "TestRolloutStatusHealthy: canary",
            with(
                with(canary(), full(5)),
                json!({"status": {"stableRS": "abc1234", "currentPodHash": "abc1234"}}),
            ),
            P::Healthy,
            "",
        ),
        (
            "TestRolloutStatusHealthy: blue-green",
            with(
                with(blue_green(), full(5)),
                json!({"status": {"blueGreen": {"activeSelector": "abc1234"},
                                  "stableRS": "abc1234", "currentPodHash": "abc1234"}}),
            ),
            P::Healthy,
            "",
        ),
        (
            "TestRolloutStatusHealthy: restarted",
            with(
                with(canary(), full(5)),
                json!({"spec": {"restartAt": "2026-08-20T10:00:00Z"},
                       "status": {"restartedAt": "2026-08-20T10:00:00Z",
                                  "stableRS": "abc1234", "currentPodHash": "abc1234"}}),
            ),
            P::Healthy,
            "",
        ),
        (
            // The annotation only counts with TemplateResolvedFromRef, which a read object
            // never has (see `Rollout::phase`).
            "TestRolloutStatusHealthy: workload generation observed",
            with(
                with(canary(), full(5)),
                json!({"metadata": {"annotations": {"rollout.argoproj.io/workload-generation": "2"}},
                       "status": {"stableRS": "abc1234", "currentPodHash": "abc1234",
                                  "workloadObservedGeneration": "2"}}),
            ),
            P::Healthy,
            "",
        ),
    ];
    let mut failures = Vec::new();
    for (name, object, want_phase, want_message) in cases {
        let got = phase(object);
        if got != (want_phase, want_message.to_owned()) {
            failures.push(format!(
                "{name}: got {got:?}, want {want_phase:?} {want_message:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// `Test_isGenerationObserved`: observed unless a number below `metadata.generation`.
#[test]
fn generation_observed_cases() {
    let cases = [
        ("test parse generation failed", "invalid", 0, true),
        (
            "test status.generation more than spec.generation",
            "10",
            9,
            true,
        ),
        (
            "test status.generation equal to spec.generation",
            "10",
            10,
            true,
        ),
        (
            "test status.generation less than spec.generation",
            "10",
            11,
            false,
        ),
    ];
    for (name, observed, generation, want) in cases {
        let r = Rollout::from_value(json!({
            "metadata": {"generation": generation},
            "spec": {"strategy": {"canary": {}}},
            "status": {"observedGeneration": observed, "phase": "Healthy"}
        }));
        let observed_now = r.phase().1 != "waiting for rollout spec update to be observed";
        assert_eq!(observed_now, want, "{name}");
    }
}

/// `TestCanaryStepString`: every step kind.
#[test]
fn canary_step_strings() {
    let cases = [
        (json!({"setWeight": 20}), "setWeight: 20"),
        (json!({"pause": {}}), "pause"),
        (json!({"pause": {"duration": 10}}), "pause: 10"),
        (json!({"pause": {"duration": "10s"}}), "pause: 10s"),
        (json!({"experiment": {}}), "experiment"),
        (json!({"analysis": {}}), "analysis"),
        (
            json!({"setCanaryScale": {"weight": 20}}),
            "setCanaryScale{weight: 20}",
        ),
        (
            json!({"setCanaryScale": {"matchTrafficWeight": true}}),
            "setCanaryScale{matchTrafficWeight: true}",
        ),
        (
            json!({"setCanaryScale": {"replicas": 5}}),
            "setCanaryScale{replicas: 5}",
        ),
        (json!({"plugin": {"name": "foo"}}), "plugin: foo"),
        (
            json!({"setHeaderRoute": {"name": "foo"}}),
            "setHeaderRoute: foo",
        ),
        (
            json!({"setMirrorRoute": {"name": "foo"}}),
            "setMirrorRoute: foo",
        ),
    ];
    for (step, want) in cases {
        let step: CanaryStep = serde_json::from_value(step).expect("step");
        assert_eq!(step.describe(), want);
    }
}
