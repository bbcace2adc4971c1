//! Skip-step and `AnalysisRun` terminate against the Kubernetes peer: the exact patch each sends
//! (Argo CD's `skip-current-step` action, argoproj/argo-cd
//! `resource_customizations/argoproj.io/Rollout/actions/skip-current-step/action.lua`; the
//! plugin's `terminate analysisrun`, argoproj/argo-rollouts
//! `pkg/kubectl-argo-rollouts/cmd/terminate/terminate.go`), what is refused without writing,
//! the RBAC denial in the API's words, and the access review that greys the action out.

use opsdeck::actions::gate::Executor;
use opsdeck::app::kube_access::{AccessAnswer, KubeAccess};
use opsdeck::model::action::{ActionRequest, RolloutOp, WorkloadKind};
use opsdeck::model::platform::OutcomeStatus;
use opsdeck::sources::kube::exec::KubeExecutor;
use serde_json::json;

use crate::support::kube::{ForbidRule, KubeServer};

const RUN: &str = "payments-api-7c9d8f6b5-9-2";

async fn executor(server: &KubeServer) -> KubeExecutor {
    KubeExecutor::new(
        server.client().await,
        vec!["argocd".into()],
        None,
        "alice".into(),
    )
}

fn skip(name: &str) -> ActionRequest {
    ActionRequest::RolloutAction {
        namespace: "shop".into(),
        name: name.into(),
        kind: WorkloadKind::Rollout,
        op: RolloutOp::SkipStep,
    }
}

fn terminate(name: &str) -> ActionRequest {
    ActionRequest::TerminateAnalysisRun {
        namespace: "shop".into(),
        name: name.into(),
        rollout: "payments-api".into(),
    }
}

/// A background run of the paused canary, still measuring.
fn running_run(server: &KubeServer) {
    let _ = server.insert(json!({
        "apiVersion": "argoproj.io/v1alpha1", "kind": "AnalysisRun",
        "metadata": {"name": RUN, "namespace": "shop", "uid": "5ca1ab1e-00ff-40ff-80ff-0000000000a1",
            "resourceVersion": "1", "creationTimestamp": "2026-08-22T05:10:00Z",
            "labels": {"rollout-type": "Background", "rollouts-pod-template-hash": "7c9d8f6b5"},
            "annotations": {"rollout.argoproj.io/revision": "9"}},
        "spec": {"metrics": [{"name": "success-rate", "interval": "1m"}]},
        "status": {"phase": "Running", "startedAt": "2026-08-22T05:10:00Z"}
    }));
}

#[tokio::test]
async fn skip_step_patches_the_status_subresource_as_argo_cd_does() {
    let (server, _) = crate::kube::peer().await;
    let e = executor(&server).await;
    let r = e.execute(&skip("payments-api")).await;
    assert_eq!(r.status, OutcomeStatus::Succeeded, "{}", r.detail);
    let patches = server.patches();
    assert_eq!(patches.len(), 1, "{patches:?}");
    let p = &patches[0];
    assert_eq!(
        p.path,
        "/apis/argoproj.io/v1alpha1/namespaces/shop/rollouts/payments-api/status"
    );
    assert_eq!(p.content_type, "application/merge-patch+json");
    // Paused at step 2 of 8 (CanaryPauseStep): the pause goes and the index moves on.
    assert_eq!(
        p.body,
        json!({"status": {"pauseConditions": null, "currentStepIndex": 3}})
    );
    // A blue-green rollout has no steps: refused before anything is written.
    server.clear_records();
    let r = e.execute(&skip("storefront")).await;
    assert_eq!(r.status, OutcomeStatus::Failed);
    assert!(r.detail.starts_with("skip_step refused:"), "{}", r.detail);
    assert!(server.patches().is_empty());
}

#[tokio::test]
async fn terminate_sends_the_plugin_patch_to_the_run_and_refuses_a_finished_one() {
    let (server, _) = crate::kube::peer().await;
    running_run(&server);
    let e = executor(&server).await;
    let r = e.execute(&terminate(RUN)).await;
    assert_eq!(r.status, OutcomeStatus::Succeeded, "{}", r.detail);
    let patches = server.patches();
    assert_eq!(patches.len(), 1, "{patches:?}");
    let p = &patches[0];
    assert_eq!(
        p.path,
        format!("/apis/argoproj.io/v1alpha1/namespaces/shop/analysisruns/{RUN}")
    );
    assert_eq!(p.subresource, None);
    assert_eq!(p.content_type, "application/merge-patch+json");
    assert_eq!(p.body, json!({"spec": {"terminate": true}}));
    let stored = server.object("AnalysisRun", "shop", RUN).expect("run");
    assert_eq!(stored["spec"]["terminate"], true);

    server.clear_records();
    let r = e.execute(&terminate("search-api-6b8d7f9c4-4-1")).await;
    assert_eq!(r.status, OutcomeStatus::Failed);
    assert_eq!(r.detail, "analysis run already completed (Failed)");
    assert!(server.patches().is_empty());
}

#[tokio::test]
async fn rbac_refuses_terminate_and_skip_in_the_api_s_words() {
    let (server, _) = crate::kube::peer().await;
    running_run(&server);
    server.forbid(ForbidRule::new("patch", "argoproj.io", "analysisruns"));
    server.forbid(ForbidRule::new("patch", "argoproj.io", "rollouts").subresource("status"));
    let e = executor(&server).await;
    let r = e.execute(&terminate(RUN)).await;
    assert_eq!(r.status, OutcomeStatus::Failed);
    assert!(
        r.detail
            .contains(&format!("patch analysisruns/{RUN} in shop")),
        "{}",
        r.detail
    );
    assert!(r.detail.contains("(403)"), "{}", r.detail);
    let r = e.execute(&skip("payments-api")).await;
    assert_eq!(r.status, OutcomeStatus::Failed);
    assert!(
        r.detail
            .contains("patch rollouts/payments-api/status in shop"),
        "{}",
        r.detail
    );
    assert!(r.detail.contains("(403)"), "{}", r.detail);
}

#[tokio::test]
async fn access_reviews_grey_out_terminate_and_skip() {
    let (server, _) = crate::kube::peer().await;
    server.deny_ssar("patch", "argoproj.io", "analysisruns", "");
    server.deny_ssar("patch", "argoproj.io", "rollouts", "status");
    server.allow_ssar("*", "*", "*", "");
    let e = executor(&server).await;
    let mut access = KubeAccess::new(false);
    let (t, s) = (terminate(RUN), skip("payments-api"));
    let keys = access.to_ask(&[t.clone(), s.clone()]);
    assert_eq!(keys.len(), 2, "{keys:?}");
    let kube = opsdeck::sources::kube::backend::RealKube { executor: e };
    for (key, answer) in opsdeck::sources::backend::KubeBackend::review(&kube, keys).await {
        assert!(
            matches!(answer, AccessAnswer::Denied(_)),
            "{key:?}: {answer:?}"
        );
        access.record(key, answer);
    }
    let denial = access.denial(&t).expect("terminate is denied");
    assert!(
        denial.starts_with("RBAC does not allow patch analysisruns in shop"),
        "{denial}"
    );
    let denial = access.denial(&s).expect("skip is denied");
    assert!(
        denial.starts_with("RBAC does not allow patch rollouts/status in shop"),
        "{denial}"
    );
}
