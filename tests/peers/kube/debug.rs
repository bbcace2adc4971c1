//! A debug container against the Kubernetes peer, as `kubectl debug -it --image --target`:
//! a strategic merge patch of `pods/ephemeralcontainers` naming the target container, a wait
//! until it runs, then `pods/attach` with a TTY to it; the audit's intent names the image
//! and both containers. RBAC refuses it in the API's words (review and 403).

use opsdeck::actions::gate::GateOutcome;
use opsdeck::app::kube_access::{AccessAnswer, KubeAccess};
use opsdeck::model::action::ActionRequest;
use opsdeck::model::k8s::shell::{SessionEnd, ephemeral_patch};
use opsdeck::model::platform::{EventBody, EventQuery, OutcomeStatus};
use opsdeck::sources::backend::KubeBackend;
use opsdeck::sources::kube::backend::RealKube;
use serde_json::json;

use super::shell::{Script, executor, platform, with_pod};
use crate::support::kube::ForbidRule;

fn debug() -> ActionRequest {
    ActionRequest::DebugPod {
        namespace: "shop".into(),
        name: "cart-a".into(),
        target: "app".into(),
        image: "busybox".into(),
        container: "debugger-x7k2p".into(),
    }
}

#[tokio::test]
async fn a_debug_container_is_patched_in_waited_for_and_attached_with_a_tty() {
    let server = with_pod().await;
    let mut session = executor(&server)
        .await
        .open_session(&debug())
        .await
        .expect("opens");
    assert_eq!(session.exchange("", "ready").await, "ready\r\n");
    session
        .input
        .send(b"exit 0\r".to_vec())
        .await
        .expect("stdin");
    assert_eq!(session.finish().await.1, SessionEnd::exited(0));

    let writes = server.writes();
    assert_eq!(writes.len(), 1, "{writes:?}");
    let w = &writes[0];
    assert_eq!(w.method, "PATCH");
    assert_eq!(
        w.path,
        "/api/v1/namespaces/shop/pods/cart-a/ephemeralcontainers"
    );
    assert_eq!(w.content_type, "application/strategic-merge-patch+json");
    assert_eq!(w.body, ephemeral_patch("debugger-x7k2p", "busybox", "app"));
    assert_eq!(
        w.body["spec"]["ephemeralContainers"][0]["targetContainerName"],
        "app"
    );
    let pod = server.object("Pod", "shop", "cart-a").expect("pod");
    assert_eq!(
        pod["spec"]["ephemeralContainers"][0]["name"],
        "debugger-x7k2p"
    );

    let sessions = server.exec_sessions();
    assert_eq!(sessions.len(), 1, "{sessions:?}");
    let s = &sessions[0];
    assert_eq!(s.path, "/api/v1/namespaces/shop/pods/cart-a/attach");
    let mut query = s.query.clone();
    query.sort();
    let pair = |k: &str, v: &str| (k.to_owned(), v.to_owned());
    assert_eq!(
        query,
        [
            pair("container", "debugger-x7k2p"),
            pair("stdin", "true"),
            pair("stdout", "true"),
            pair("tty", "true"),
        ],
        "attach runs no command"
    );
}

#[tokio::test]
async fn the_audit_names_the_image_and_both_containers() {
    let server = with_pod().await;
    let kube = RealKube {
        executor: executor(&server).await,
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let (_platform, client, gate) = platform(dir.path()).await;
    let mut host = Script {
        lines: vec!["exit 0\r"],
        shown: String::new(),
    };
    let outcome = opsdeck::runtime::handover::run(Some(&gate), &kube, debug(), "", &mut host).await;
    let GateOutcome::Executed { result, .. } = &outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(result.status, OutcomeStatus::Succeeded, "{}", result.detail);
    assert!(
        result.detail.starts_with(
            "debug container debugger-x7k2p (busybox, sharing app's processes) in shop/cart-a: started"
        ),
        "{}",
        result.detail
    );
    let page = client
        .list_events(&EventQuery {
            action: Some("kube.pod.debug".into()),
            ..EventQuery::default()
        })
        .await
        .expect("events");
    assert_eq!(page.items.len(), 1, "{page:?}");
    let EventBody::Intent { params, target, .. } = &page.items[0].event.body else {
        panic!("{:?}", page.items[0].event)
    };
    assert_eq!(target.reference, "kube.pod:shop/cart-a");
    assert_eq!(
        *params,
        json!({"namespace": "shop", "name": "cart-a", "target_container": "app",
               "image": "busybox", "debug_container": "debugger-x7k2p",
               "tty": true, "stdin": true})
    );
    assert!(page.items[0].outcome.is_some());
}

#[tokio::test]
async fn rbac_refuses_a_debug_container_before_and_at_the_patch() {
    let server = with_pod().await;
    server.deny_ssar("patch", "", "pods", "ephemeralcontainers");
    server.allow_ssar("*", "*", "*", "");
    server.forbid(ForbidRule::new("patch", "", "pods").subresource("ephemeralcontainers"));
    let kube = RealKube {
        executor: executor(&server).await,
    };
    let mut access = KubeAccess::new(false);
    let keys = access.to_ask(&[debug()]);
    for (key, answer) in kube.review(keys).await {
        assert!(matches!(answer, AccessAnswer::Denied(_)), "{answer:?}");
        access.record(key, answer);
    }
    let denial = access.denial(&debug()).expect("denied");
    assert!(
        denial.starts_with("RBAC does not allow patch pods/ephemeralcontainers in shop"),
        "{denial}"
    );
    let err = kube.open_session(&debug()).await.expect_err("refused");
    let err = String::from(err);
    assert!(
        err.contains("cannot patch resource \"pods/ephemeralcontainers\"") && err.contains("(403)"),
        "{err}"
    );
    assert_eq!(server.writes()[0].status, 403);
    assert!(server.exec_sessions().is_empty(), "nothing attached");
}
