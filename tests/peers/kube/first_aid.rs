//! Pod first aid against the Kubernetes peer: a pod delete sends `DeleteOptions` with the
//! pod's uid as a precondition (and the grace period only when one was chosen), a pod
//! recreated under the same name is refused with the API server's 409, and RBAC refuses it
//! in the API's words, before (an access review) and after (a 403) the confirmation. The
//! audit record names `kube.pod.delete` with the pod and its uid.

use opsdeck::actions::gate::Executor;
use opsdeck::app::kube_access::{AccessAnswer, KubeAccess};
use opsdeck::model::action::ActionRequest;
use opsdeck::model::platform::OutcomeStatus;
use opsdeck::sources::kube::exec::KubeExecutor;
use serde_json::json;

use crate::support::kube::{ForbidRule, KubeServer, pod_object};

async fn executor(server: &KubeServer) -> KubeExecutor {
    KubeExecutor::new(
        server.client().await,
        vec!["argocd".into()],
        None,
        "alice".into(),
    )
}

/// A peer with one pod, `shop/cart-a`; its uid as the server gave it.
async fn with_pod() -> (KubeServer, String) {
    let (server, _) = crate::kube::peer().await;
    let stored = server.insert(pod_object("shop", "cart-a", &[("app", "cart")], &["app"]));
    server.clear_records();
    let uid = stored["metadata"]["uid"].as_str().expect("uid").to_owned();
    (server, uid)
}

fn delete(uid: &str, grace_secs: Option<i64>) -> ActionRequest {
    ActionRequest::DeletePod {
        namespace: "shop".into(),
        name: "cart-a".into(),
        uid: uid.into(),
        grace_secs,
        production: false,
    }
}

#[tokio::test]
async fn a_pod_delete_sends_the_uid_precondition_and_the_chosen_grace_period() {
    let (server, uid) = with_pod().await;
    let e = executor(&server).await;
    let r = e.execute(&delete(&uid, Some(1))).await;
    assert_eq!(r.status, OutcomeStatus::Succeeded, "{}", r.detail);
    let writes = server.writes();
    assert_eq!(writes.len(), 1, "{writes:?}");
    let w = &writes[0];
    assert_eq!(w.method, "DELETE");
    assert_eq!(w.path, "/api/v1/namespaces/shop/pods/cart-a");
    assert_eq!(w.status, 200);
    assert_eq!(
        w.body,
        json!({"gracePeriodSeconds": 1, "preconditions": {"uid": uid}})
    );
    assert!(server.object("Pod", "shop", "cart-a").is_none());
    assert!(
        r.detail.contains("deleted pods/cart-a in shop"),
        "{}",
        r.detail
    );
}

#[tokio::test]
async fn the_pod_s_own_grace_period_sends_none() {
    let (server, uid) = with_pod().await;
    let r = executor(&server).await.execute(&delete(&uid, None)).await;
    assert_eq!(r.status, OutcomeStatus::Succeeded, "{}", r.detail);
    assert_eq!(
        server.writes()[0].body,
        json!({"preconditions": {"uid": uid}})
    );
}

#[tokio::test]
async fn a_pod_recreated_under_the_same_name_is_not_deleted() {
    let (server, _) = with_pod().await;
    let r = executor(&server)
        .await
        .execute(&delete("uid-of-the-pod-that-was-listed", Some(30)))
        .await;
    assert_eq!(r.status, OutcomeStatus::Failed);
    assert_eq!(server.writes()[0].status, 409);
    assert!(
        r.detail
            .contains("Precondition failed: UID in precondition"),
        "{}",
        r.detail
    );
    assert!(server.object("Pod", "shop", "cart-a").is_some(), "kept");
}

#[tokio::test]
async fn rbac_refuses_a_pod_delete_before_and_after_the_confirmation() {
    let (server, uid) = with_pod().await;
    server.deny_ssar("delete", "", "pods", "");
    server.allow_ssar("*", "*", "*", "");
    server.forbid(ForbidRule::new("delete", "", "pods"));
    let e = executor(&server).await;
    let mut access = KubeAccess::new(false);
    let request = delete(&uid, None);
    let keys = access.to_ask(std::slice::from_ref(&request));
    assert_eq!(keys.len(), 1);
    let kube = opsdeck::sources::kube::backend::RealKube {
        executor: e.clone(),
    };
    for (key, answer) in opsdeck::sources::backend::KubeBackend::review(&kube, keys).await {
        assert!(matches!(answer, AccessAnswer::Denied(_)), "{answer:?}");
        access.record(key, answer);
    }
    let denial = access.denial(&request).expect("denied");
    assert!(
        denial.starts_with("RBAC does not allow delete pods in shop"),
        "{denial}"
    );
    let r = e.execute(&request).await;
    assert_eq!(r.status, OutcomeStatus::Failed);
    assert!(
        r.detail.contains("delete pods/cart-a in shop"),
        "{}",
        r.detail
    );
    assert!(r.detail.contains("(403)"), "{}", r.detail);
}

#[test]
fn the_audit_record_names_the_pod_and_its_uid() {
    let request = delete("u-1", Some(1));
    assert_eq!(request.action_name(), "kube.pod.delete");
    assert_eq!(request.target().reference, "kube.pod:shop/cart-a");
    assert_eq!(
        request.params(),
        json!({"namespace": "shop", "name": "cart-a", "uid": "u-1",
               "grace_period_seconds": 1, "production": false})
    );
}
