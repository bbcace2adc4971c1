//! Table tests that run upstream's own fixtures through the ports, asserting upstream's
//! expected status and message for each case. The fixtures are copied, unchanged, as data
//! into `tests/support/fixtures/upstream/` (each file names its source and commit):
//! - Argo CD `resource_customizations/argoproj.io/Rollout/health_test.yaml` and
//!   `actions/action_test.yaml` (`discoveryTests`), which carry their expectations;
//! - gitops-engine `pkg/health/testdata/*.yaml`, with the expectations of
//!   `pkg/health/health_test.go` written below per test function.

use std::path::PathBuf;

use serde::Deserialize;
use serde_json::Value;

use super::*;

fn upstream(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/support/fixtures/upstream")
        .join(path)
}

/// A YAML fixture as the JSON the API server would send.
fn load(path: &str) -> Value {
    let text = std::fs::read_to_string(upstream(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LuaHealthTests {
    tests: Vec<LuaHealthTest>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LuaHealthTest {
    health_status: ExpectedHealth,
    input_path: String,
}

#[derive(Deserialize)]
struct ExpectedHealth {
    status: String,
    #[serde(default)]
    message: String,
}

/// argo-cd `resource_customizations/argoproj.io/Rollout/health_test.yaml`: every case, status
/// and message (Argo CD's Lua test compares the whole health status).
#[test]
fn rollout_health_lua_cases() {
    let dir = "argo-cd/argoproj.io/Rollout";
    let cases: LuaHealthTests =
        serde_json::from_value(load(&format!("{dir}/health_test.yaml"))).expect("health_test.yaml");
    assert_eq!(cases.tests.len(), 24, "every upstream case is run");
    let mut failures = Vec::new();
    for case in &cases.tests {
        let object = load(&format!("{dir}/{}", case.input_path));
        let got = rollout_health(&object);
        let want = Health::new(
            HealthState::parse(&case.health_status.status),
            case.health_status.message.clone(),
        );
        if got != want {
            failures.push(format!("{}: got {got:?}, want {want:?}", case.input_path));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ActionTests {
    discovery_tests: Vec<DiscoveryTest>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DiscoveryTest {
    input_path: String,
    result: Vec<DiscoveredAction>,
}

#[derive(Deserialize)]
struct DiscoveredAction {
    name: String,
    disabled: bool,
}

/// argo-cd `resource_customizations/argoproj.io/Rollout/actions/action_test.yaml`
/// `discoveryTests`: every case, every action's `disabled`.
#[test]
fn rollout_discovery_lua_cases() {
    let dir = "argo-cd/argoproj.io/Rollout/actions";
    let cases: ActionTests =
        serde_json::from_value(load(&format!("{dir}/action_test.yaml"))).expect("action_test.yaml");
    assert_eq!(cases.discovery_tests.len(), 9, "every upstream case is run");
    let mut failures = Vec::new();
    for case in &cases.discovery_tests {
        let actions = rollout_actions(&load(&format!("{dir}/{}", case.input_path)));
        assert_eq!(actions.error, None, "{}", case.input_path);
        for want in &case.result {
            let enabled = match want.name.as_str() {
                "restart" => true,
                "resume" => actions.resume,
                "abort" => actions.abort,
                "retry" => actions.retry,
                "pause" => actions.pause,
                "promote-full" => actions.promote_full,
                "skip-current-step" => actions.skip_current_step,
                other => panic!("unknown upstream action {other}"),
            };
            if enabled == want.disabled {
                failures.push(format!(
                    "{}: {} disabled={} upstream, {} here",
                    case.input_path, want.name, want.disabled, !enabled
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// gitops-engine `pkg/health/health_test.go`, per test function: (fixture, expected status).
/// The fixtures live under `pkg/health/testdata/` except nginx.yaml (`pkg/utils/kube/`).
const GITOPS_ENGINE_CASES: &[(&str, &str, HealthState)] = {
    use HealthState as H;
    &[
        (
            "TestDeploymentHealth",
            "../utils/kube/testdata/nginx.yaml",
            H::Healthy,
        ),
        (
            "TestDeploymentHealth",
            "deployment-progressing.yaml",
            H::Progressing,
        ),
        (
            "TestDeploymentHealth",
            "deployment-suspended.yaml",
            H::Suspended,
        ),
        (
            "TestDeploymentHealth",
            "deployment-degraded.yaml",
            H::Degraded,
        ),
        ("TestStatefulSetHealth", "statefulset.yaml", H::Healthy),
        (
            "TestStatefulSetOnDeleteHealth",
            "statefulset-ondelete.yaml",
            H::Healthy,
        ),
        (
            "TestDaemonSetOnDeleteHealth",
            "daemonset-ondelete.yaml",
            H::Healthy,
        ),
        ("TestJob", "job-running.yaml", H::Progressing),
        ("TestJob", "job-failed.yaml", H::Degraded),
        ("TestJob", "job-succeeded.yaml", H::Healthy),
        ("TestJob", "job-suspended.yaml", H::Suspended),
        ("TestPod", "pod-pending.yaml", H::Progressing),
        ("TestPod", "pod-running-not-ready.yaml", H::Progressing),
        ("TestPod", "pod-crashloop.yaml", H::Degraded),
        ("TestPod", "pod-imagepullbackoff.yaml", H::Degraded),
        ("TestPod", "pod-error.yaml", H::Degraded),
        ("TestPod", "pod-running-restart-always.yaml", H::Healthy),
        ("TestPod", "pod-running-restart-never.yaml", H::Progressing),
        (
            "TestPod",
            "pod-running-restart-never-with-ignore-annotation.yaml",
            H::Healthy,
        ),
        (
            "TestPod",
            "pod-running-restart-never-hook-with-ignore-annotation.yaml",
            H::Progressing,
        ),
        (
            "TestPod",
            "pod-running-restart-never-with-ignore-annotation-backoff.yaml",
            H::Degraded,
        ),
        (
            "TestPod",
            "pod-running-restart-onfailure.yaml",
            H::Progressing,
        ),
        ("TestPod", "pod-failed.yaml", H::Degraded),
        ("TestPod", "pod-succeeded.yaml", H::Healthy),
        ("TestPod", "pod-deletion.yaml", H::Progressing),
    ]
};

#[test]
fn gitops_engine_health_cases() {
    let mut failures = Vec::new();
    for (test, fixture, want) in GITOPS_ENGINE_CASES {
        let path = format!("argo-cd/gitops-engine/pkg/health/testdata/{fixture}");
        let path = path.replace("health/testdata/../utils", "utils");
        let got = resource_health(&load(&path));
        if got.as_ref().map(|h| h.state) != Some(*want) {
            failures.push(format!("{test} {fixture}: got {got:?}, want {want:?}"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// gitops-engine `health_test.go` `TestJob`: "A suspended Job should surface its Suspended
/// condition message, not an empty string."
#[test]
fn gitops_engine_suspended_job_message() {
    let health = resource_health(&load(
        "argo-cd/gitops-engine/pkg/health/testdata/job-suspended.yaml",
    ));
    assert_eq!(
        health,
        Some(Health::new(HealthState::Suspended, "Job suspended"))
    );
}
