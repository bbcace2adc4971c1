//! The real executor against the Kubernetes and Argo CD peers: each action sends exactly the
//! documented patch (argoproj/argo-cd, docs/user-guide/sync-kubectl.md; argoproj/argo-rollouts,
//! pkg/kubectl-argo-rollouts/cmd/; kubernetes/kubernetes,
//! staging/src/k8s.io/kubectl/pkg/polymorphichelpers/) to the right resource or subresource,
//! refuses what Argo CD and the plugin refuse without writing anything, and reports RBAC
//! denials in the API's own words. Access reviews go through `SelfSubjectAccessReview`.

use opsdeck::actions::gate::Executor;
use opsdeck::app::kube_access::{AccessAnswer, KubeAccess};
use opsdeck::config::SecretRef;
use opsdeck::model::action::{ActionRequest, RolloutOp, WorkloadKind};
use opsdeck::model::platform::OutcomeStatus;
use opsdeck::sources::kube::exec::{ArgoApi, KubeExecutor};
use serde_json::{Value, json};

use crate::support::kube::{ForbidRule, KubeServer, WriteRecord};

use crate::support;

async fn executor(server: &KubeServer, api: Option<ArgoApi>) -> KubeExecutor {
    KubeExecutor::new(
        server.client().await,
        vec!["argocd".into()],
        api,
        "alice".into(),
    )
}

fn sync(app: &str, prune: bool, resources: &[&str]) -> ActionRequest {
    ActionRequest::SyncApp {
        namespace: "argocd".into(),
        app: app.into(),
        prune,
        resources: resources.iter().map(|r| (*r).to_owned()).collect(),
        dry_run: false,
    }
}

fn rollout(name: &str, kind: WorkloadKind, op: RolloutOp) -> ActionRequest {
    ActionRequest::RolloutAction {
        namespace: "shop".into(),
        name: name.into(),
        kind,
        op,
    }
}

fn resource_version(server: &KubeServer, kind: &str, ns: &str, name: &str) -> String {
    server.object(kind, ns, name).expect("object")["metadata"]["resourceVersion"]
        .as_str()
        .expect("resourceVersion")
        .to_owned()
}

fn only_patch(server: &KubeServer) -> WriteRecord {
    let patches = server.patches();
    assert_eq!(patches.len(), 1, "{patches:?}");
    patches.into_iter().next().expect("one patch")
}

#[tokio::test]
async fn cr_sync_sends_the_documented_operation_with_the_read_resource_version() {
    let (server, _) = crate::kube::peer().await;
    let rv = resource_version(&server, "Application", "argocd", "checkout-api");
    let e = executor(&server, None).await;
    let r = e
        .execute(&sync(
            "checkout-api",
            true,
            &["apps:Deployment:shop/checkout-api"],
        ))
        .await;
    assert_eq!(r.status, OutcomeStatus::Succeeded, "{}", r.detail);
    let patch = only_patch(&server);
    assert_eq!(
        patch.path,
        "/apis/argoproj.io/v1alpha1/namespaces/argocd/applications/checkout-api"
    );
    assert_eq!(
        patch.subresource, None,
        "Applications have no status subresource"
    );
    assert_eq!(patch.content_type, "application/merge-patch+json");
    assert_eq!(
        patch.body,
        json!({"metadata": {"resourceVersion": rv},
               "operation": {"initiatedBy": {"username": "alice"}, "sync": {
                   "syncStrategy": {"hook": {}}, "prune": true,
                   "resources": [{"group": "apps", "kind": "Deployment",
                                  "name": "checkout-api", "namespace": "shop"}]}}})
    );
    assert_eq!(patch.status, 200);
    let app = server
        .object("Application", "argocd", "checkout-api")
        .expect("app");
    assert_eq!(app["operation"]["initiatedBy"]["username"], "alice");
}

#[tokio::test]
async fn cr_path_refuses_what_argo_cd_refuses_without_writing() {
    let (server, _) = crate::kube::peer().await;
    let e = executor(&server, None).await;
    let r = e.execute(&sync("payments-api", false, &[])).await;
    assert_eq!(r.status, OutcomeStatus::Failed);
    assert_eq!(r.detail, "another operation is already in progress");
    let r = e
        .execute(&ActionRequest::RollbackApp {
            namespace: "argocd".into(),
            app: "storefront".into(),
            history_id: 4,
        })
        .await;
    assert_eq!(
        r.detail,
        "rollback cannot be initiated when auto-sync is enabled"
    );
    let r = e
        .execute(&ActionRequest::TerminateAppOperation {
            namespace: "argocd".into(),
            app: "checkout-api".into(),
        })
        .await;
    assert_eq!(
        r.detail,
        "Unable to terminate operation. No operation is in progress"
    );
    assert!(server.patches().is_empty(), "{:?}", server.patches());
}

#[tokio::test]
async fn cr_refresh_and_terminate_patch_the_application() {
    let (server, _) = crate::kube::peer().await;
    let e = executor(&server, None).await;
    let r = e
        .execute(&ActionRequest::RefreshApp {
            namespace: "argocd".into(),
            app: "cart-service".into(),
            hard: true,
        })
        .await;
    assert_eq!(r.status, OutcomeStatus::Succeeded, "{}", r.detail);
    assert_eq!(
        only_patch(&server).body,
        json!({"metadata": {"annotations": {"argocd.argoproj.io/refresh": "hard"}}})
    );
    server.clear_records();
    let rv = resource_version(&server, "Application", "argocd", "payments-api");
    let r = e
        .execute(&ActionRequest::TerminateAppOperation {
            namespace: "argocd".into(),
            app: "payments-api".into(),
        })
        .await;
    assert_eq!(r.status, OutcomeStatus::Succeeded, "{}", r.detail);
    assert_eq!(
        only_patch(&server).body,
        json!({"metadata": {"resourceVersion": rv},
               "status": {"operationState": {"phase": "Terminating"}}})
    );
}

#[tokio::test]
async fn api_server_path_calls_the_rest_endpoints_with_the_token() {
    let (kube, _) = crate::kube::peer().await;
    let argo = support::argocd::ArgoServer::start(
        support::argocd::fixture_applications(),
        support::argocd::Options::default(),
    )
    .await;
    let api = ArgoApi {
        url: argo.url(),
        token: Some(SecretRef::Command(format!("printf %s {}", argo.token()))),
        tls: opsdeck::config::HttpTls::default(),
    };
    let e = executor(&kube, Some(api)).await;
    let r = e
        .execute(&sync("checkout-api", true, &[":Service:checkout-api"]))
        .await;
    assert_eq!(r.status, OutcomeStatus::Succeeded, "{}", r.detail);
    let r = e
        .execute(&ActionRequest::RefreshApp {
            namespace: "argocd".into(),
            app: "cart-service".into(),
            hard: true,
        })
        .await;
    assert_eq!(r.status, OutcomeStatus::Succeeded, "{}", r.detail);
    let r = e
        .execute(&ActionRequest::TerminateAppOperation {
            namespace: "argocd".into(),
            app: "payments-api".into(),
        })
        .await;
    assert_eq!(r.status, OutcomeStatus::Succeeded, "{}", r.detail);
    // The server's own guard answers, in its words.
    let r = e.execute(&sync("payments-api", false, &[])).await;
    assert_eq!(r.status, OutcomeStatus::Failed);
    assert!(
        r.detail
            .contains("another operation is already in progress"),
        "{}",
        r.detail
    );
    let calls: Vec<(String, String, String, Value)> = argo
        .calls()
        .into_iter()
        .map(|c| {
            assert_eq!(
                c.authorization.as_deref(),
                Some(format!("Bearer {}", argo.token()).as_str())
            );
            (c.method, c.path, c.query, c.body)
        })
        .collect();
    assert_eq!(
        calls[0],
        (
            "POST".into(),
            "/api/v1/applications/checkout-api/sync".into(),
            String::new(),
            json!({"name": "checkout-api", "prune": true,
                   "resources": [{"kind": "Service", "name": "checkout-api"}]})
        )
    );
    assert_eq!(
        (
            calls[1].0.as_str(),
            calls[1].1.as_str(),
            calls[1].2.as_str()
        ),
        ("GET", "/api/v1/applications/cart-service", "refresh=hard")
    );
    assert_eq!(
        (calls[2].0.as_str(), calls[2].1.as_str()),
        ("DELETE", "/api/v1/applications/payments-api/operation")
    );
    assert!(
        kube.patches().is_empty(),
        "the API path never patches the CR"
    );

    argo.deny("sync", "checkout-api");
    let r = e.execute(&sync("checkout-api", false, &[])).await;
    assert_eq!(r.status, OutcomeStatus::Failed);
    assert!(r.detail.contains("403"), "{}", r.detail);
    assert!(r.detail.contains("permission denied"), "{}", r.detail);
}

#[tokio::test]
async fn rollout_actions_send_the_plugin_patches_to_the_status_subresource() {
    let (server, _) = crate::kube::peer().await;
    let e = executor(&server, None).await;
    let r = e
        .execute(&rollout(
            "payments-api",
            WorkloadKind::Rollout,
            RolloutOp::Promote { full: false },
        ))
        .await;
    assert_eq!(r.status, OutcomeStatus::Succeeded, "{}", r.detail);
    let p = only_patch(&server);
    assert_eq!(
        p.path,
        "/apis/argoproj.io/v1alpha1/namespaces/shop/rollouts/payments-api/status"
    );
    assert_eq!(p.subresource.as_deref(), Some("status"));
    assert_eq!(p.body, json!({"status": {"pauseConditions": null}}));

    server.clear_records();
    let r = e
        .execute(&rollout(
            "payments-api",
            WorkloadKind::Rollout,
            RolloutOp::Abort,
        ))
        .await;
    assert_eq!(r.status, OutcomeStatus::Succeeded, "{}", r.detail);
    let p = only_patch(&server);
    assert_eq!(p.subresource.as_deref(), Some("status"));
    assert_eq!(p.body, json!({"status": {"abort": true}}));

    server.clear_records();
    let r = e
        .execute(&rollout(
            "search-api",
            WorkloadKind::Rollout,
            RolloutOp::Retry,
        ))
        .await;
    assert_eq!(r.status, OutcomeStatus::Succeeded, "{}", r.detail);
    assert_eq!(
        only_patch(&server).body,
        json!({"status": {"abort": false}})
    );

    server.clear_records();
    let r = e
        .execute(&rollout(
            "storefront",
            WorkloadKind::Rollout,
            RolloutOp::Restart,
        ))
        .await;
    assert_eq!(r.status, OutcomeStatus::Succeeded, "{}", r.detail);
    let p = only_patch(&server);
    assert_eq!(p.subresource, None, "restart patches the object");
    let at = p.body["spec"]["restartAt"].as_str().expect("restartAt");
    assert!(at.parse::<jiff::Timestamp>().is_ok(), "{at}");
    assert_eq!(p.body.as_object().map(serde_json::Map::len), Some(1));
}

#[tokio::test]
async fn discovery_rules_refuse_on_the_live_object_without_writing() {
    let (server, _) = crate::kube::peer().await;
    let e = executor(&server, None).await;
    // search-api is already aborted; recommendations is a paused Deployment.
    let r = e
        .execute(&rollout(
            "search-api",
            WorkloadKind::Rollout,
            RolloutOp::Abort,
        ))
        .await;
    assert_eq!(r.status, OutcomeStatus::Failed);
    assert!(r.detail.starts_with("abort refused:"), "{}", r.detail);
    let r = e
        .execute(&rollout(
            "recommendations",
            WorkloadKind::Deployment,
            RolloutOp::Restart,
        ))
        .await;
    assert_eq!(r.status, OutcomeStatus::Failed);
    assert!(
        r.detail
            .contains("can't restart paused deployment (run rollout resume first)"),
        "{}",
        r.detail
    );
    let r = e
        .execute(&rollout(
            "checkout-api",
            WorkloadKind::Deployment,
            RolloutOp::Promote { full: false },
        ))
        .await;
    assert_eq!(r.status, OutcomeStatus::Failed);
    assert!(server.patches().is_empty(), "{:?}", server.patches());
}

#[tokio::test]
async fn deployment_restart_undo_and_scale_use_kubectl_patches() {
    let (server, _) = crate::kube::peer().await;
    let e = executor(&server, None).await;
    let r = e
        .execute(&rollout(
            "checkout-api",
            WorkloadKind::Deployment,
            RolloutOp::Restart,
        ))
        .await;
    assert_eq!(r.status, OutcomeStatus::Succeeded, "{}", r.detail);
    let p = only_patch(&server);
    assert_eq!(
        p.path,
        "/apis/apps/v1/namespaces/shop/deployments/checkout-api"
    );
    let annotations = &p.body["spec"]["template"]["metadata"]["annotations"];
    assert!(
        annotations["kubectl.kubernetes.io/restartedAt"]
            .as_str()
            .is_some_and(|t| t.parse::<jiff::Timestamp>().is_ok()),
        "{}",
        p.body
    );

    // Undo to the previous revision: revision 6's template, without its pod-template-hash.
    server.clear_records();
    let r = e
        .execute(&rollout(
            "cart-service",
            WorkloadKind::Deployment,
            RolloutOp::Undo { revision: None },
        ))
        .await;
    assert_eq!(r.status, OutcomeStatus::Succeeded, "{}", r.detail);
    let mut template = server
        .object("ReplicaSet", "shop", "cart-service-84b6f7c9d")
        .expect("revision 6")["spec"]["template"]
        .clone();
    template["metadata"]["labels"]
        .as_object_mut()
        .expect("labels")
        .remove("pod-template-hash");
    // The patch is the merge diff from the live template to revision 6's, so applied it
    // leaves exactly that template.
    let p = only_patch(&server);
    assert_eq!(
        p.path,
        "/apis/apps/v1/namespaces/shop/deployments/cart-service"
    );
    assert_eq!(
        p.body.as_object().map(serde_json::Map::len),
        Some(1),
        "{}",
        p.body
    );
    let live = server
        .object("Deployment", "shop", "cart-service")
        .expect("deployment");
    assert_eq!(live["spec"]["template"], template);

    server.clear_records();
    let r = e
        .execute(&rollout(
            "inventory-worker",
            WorkloadKind::Deployment,
            RolloutOp::Scale { replicas: 5 },
        ))
        .await;
    assert_eq!(r.status, OutcomeStatus::Succeeded, "{}", r.detail);
    assert_eq!(only_patch(&server).body, json!({"spec": {"replicas": 5}}));
}

#[tokio::test]
async fn an_rbac_denial_is_reported_in_the_api_s_words() {
    let (server, _) = crate::kube::peer().await;
    server.forbid(ForbidRule::new("patch", "argoproj.io", "rollouts").subresource("status"));
    let e = executor(&server, None).await;
    let r = e
        .execute(&rollout(
            "payments-api",
            WorkloadKind::Rollout,
            RolloutOp::Abort,
        ))
        .await;
    assert_eq!(r.status, OutcomeStatus::Failed);
    assert!(
        r.detail
            .contains("patch rollouts/payments-api/status in shop"),
        "{}",
        r.detail
    );
    assert!(r.detail.contains("forbidden"), "{}", r.detail);
    assert!(r.detail.contains("(403)"), "{}", r.detail);
}

#[tokio::test]
async fn access_reviews_grey_out_what_rbac_denies() {
    let (server, _) = crate::kube::peer().await;
    server.deny_ssar("patch", "argoproj.io", "rollouts", "status");
    server.allow_ssar("*", "*", "*", "");
    let e = executor(&server, None).await;
    let mut access = KubeAccess::new(false);
    let abort = rollout("payments-api", WorkloadKind::Rollout, RolloutOp::Abort);
    let pause = rollout("payments-api", WorkloadKind::Rollout, RolloutOp::Pause);
    let keys = access.to_ask(&[abort.clone(), pause.clone()]);
    assert_eq!(keys.len(), 2);
    let kube = opsdeck::sources::kube::backend::RealKube { executor: e };
    let answers = opsdeck::sources::backend::KubeBackend::review(&kube, keys).await;
    for (key, answer) in answers {
        assert!(
            matches!(answer, AccessAnswer::Allowed | AccessAnswer::Denied(_)),
            "{key:?}: {answer:?}"
        );
        access.record(key, answer);
    }
    let denial = access.denial(&abort).expect("abort is denied");
    assert!(
        denial.starts_with("RBAC does not allow patch rollouts/status in shop"),
        "{denial}"
    );
    assert_eq!(access.denial(&pause), None);
}
