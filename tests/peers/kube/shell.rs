//! A shell in a pod against the Kubernetes peer: kube-rs opens `pods/exec` over WebSocket
//! with a TTY, the request carries the container and k9s's shell command, stdin, output,
//! resizes and the kubelet's exit status go through the session's channels, and the audit
//! gets an intent before and an outcome after (start, end, exit status; nothing typed or
//! shown). RBAC refuses it in the API's words, before (an access review) and at the upgrade
//! (a 403).

pub(super) use crate::audit_rig::platform;
use opsdeck::actions::gate::GateOutcome;
use opsdeck::app::kube_access::{AccessAnswer, KubeAccess};
use opsdeck::model::action::ActionRequest;
use opsdeck::model::k8s::shell::{SHELL_PROBE, SessionEnd, shell_command};
use opsdeck::model::platform::{EventBody, EventQuery, OutcomeStatus};
use opsdeck::runtime::terminal::{Host, SessionRun};
use opsdeck::sources::backend::KubeBackend;
use opsdeck::sources::kube::backend::RealKube;
use opsdeck::sources::kube::exec::KubeExecutor;
use opsdeck::sources::session::Session;
use serde_json::json;

use crate::support::kube::{ForbidRule, KubeServer, pod_object};

pub(super) async fn executor(server: &KubeServer) -> KubeExecutor {
    KubeExecutor::new(
        server.client().await,
        vec!["argocd".into()],
        None,
        "alice".into(),
    )
}

/// A peer with one pod, `shop/cart-a`, whose containers are `app` and `proxy`.
pub(super) async fn with_pod() -> KubeServer {
    let (server, _) = crate::kube::peer().await;
    server.insert(pod_object(
        "shop",
        "cart-a",
        &[("app", "cart")],
        &["app", "proxy"],
    ));
    server.clear_records();
    server
}

fn shell(container: &str) -> ActionRequest {
    ActionRequest::ExecPod {
        namespace: "shop".into(),
        name: "cart-a".into(),
        container: container.into(),
        command: shell_command(),
    }
}

#[tokio::test]
async fn a_shell_sends_the_container_and_command_with_a_tty_and_reads_the_exit_status() {
    let server = with_pod().await;
    let e = executor(&server).await;
    let mut session = e.open_session(&shell("proxy")).await.expect("opens");
    assert_eq!(session.exchange("", "ready").await, "ready\r\n");
    session.resize.send((80, 24)).await.expect("resize");
    let out = session.exchange("hello\r", "hello").await;
    assert_eq!(out, "you typed: hello\r\n");
    session
        .input
        .send(b"exit 3\r".to_vec())
        .await
        .expect("stdin");
    let (rest, end) = session.finish().await;
    assert_eq!(rest, "");
    assert_eq!(end, SessionEnd::exited(3));

    let sessions = server.exec_sessions();
    assert_eq!(sessions.len(), 1, "{sessions:?}");
    let s = &sessions[0];
    assert_eq!(s.path, "/api/v1/namespaces/shop/pods/cart-a/exec");
    let mut query = s.query.clone();
    query.sort();
    let pair = |k: &str, v: &str| (k.to_owned(), v.to_owned());
    assert_eq!(
        query,
        [
            pair("command", "-c"),
            pair("command", SHELL_PROBE),
            pair("command", "sh"),
            pair("container", "proxy"),
            pair("stdin", "true"),
            pair("stdout", "true"),
            pair("tty", "true"),
        ],
        "one `command` per argv element, no stderr with a TTY"
    );
    let argv: Vec<&str> = s
        .query
        .iter()
        .filter(|(k, _)| k == "command")
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(argv, ["sh", "-c", SHELL_PROBE], "in order");
    assert_eq!(s.protocol, "v5.channel.k8s.io");
    assert_eq!(s.stdin, b"hello\rexit 3\r");
    // kube-rs may send the size once more on its own; ours is the one sent.
    assert!(
        s.resizes.contains(&json!({"Width": 80, "Height": 24})),
        "{:?}",
        s.resizes
    );
    assert_eq!(s.exit, Some(3));
}

#[tokio::test]
async fn closing_stdin_ends_the_session_with_success() {
    let server = with_pod().await;
    let mut session = executor(&server)
        .await
        .open_session(&shell("app"))
        .await
        .expect("opens");
    session.exchange("", "ready").await;
    let Session {
        input,
        output,
        resize,
        end,
    } = session;
    drop(input);
    let (closed, _) = tokio::sync::mpsc::channel(1);
    let session = Session {
        input: closed,
        output,
        resize,
        end,
    };
    assert_eq!(session.finish().await.1, SessionEnd::exited(0));
}

#[tokio::test]
async fn an_unknown_container_is_the_api_server_s_400() {
    let server = with_pod().await;
    let err = executor(&server)
        .await
        .open_session(&shell("sidecar"))
        .await
        .expect_err("refused");
    assert!(
        err.contains("container sidecar is not valid for pod cart-a (400)"),
        "{err}"
    );
}

/// A terminal that types `lines` into the session and keeps what it showed.
pub(super) struct Script {
    pub(super) lines: Vec<&'static str>,
    pub(super) shown: String,
}

impl Host for Script {
    fn session<'a>(&'a mut self, _title: &'a str, mut session: Session) -> SessionRun<'a> {
        Box::pin(async move {
            self.shown.push_str(&session.exchange("", "ready").await);
            for line in &self.lines {
                let _ = session.input.send(line.as_bytes().to_vec()).await;
            }
            let (rest, end) = session.finish().await;
            self.shown.push_str(&rest);
            end
        })
    }
}

#[tokio::test]
async fn the_audit_records_the_intent_then_start_end_and_exit_status_not_the_content() {
    let server = with_pod().await;
    let kube = RealKube {
        executor: executor(&server).await,
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let (_platform, client, gate) = platform(dir.path()).await;
    let mut host = Script {
        lines: vec!["cat /etc/secret-token\r", "exit 3\r"],
        shown: String::new(),
    };
    let outcome =
        opsdeck::runtime::handover::run(Some(&gate), &kube, shell("app"), "", &mut host).await;
    let GateOutcome::Executed { result, .. } = &outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(result.status, OutcomeStatus::Succeeded, "{}", result.detail);
    assert!(host.shown.contains("you typed: cat /etc/secret-token"));

    let page = client
        .list_events(&EventQuery {
            action: Some("kube.pod.exec".into()),
            ..EventQuery::default()
        })
        .await
        .expect("events");
    assert_eq!(page.items.len(), 1, "{page:?}");
    let item = &page.items[0];
    let EventBody::Intent {
        action,
        target,
        params,
        ..
    } = &item.event.body
    else {
        panic!("{:?}", item.event)
    };
    assert_eq!(action, "kube.pod.exec");
    assert_eq!(target.reference, "kube.pod:shop/cart-a");
    assert_eq!(
        *params,
        json!({"namespace": "shop", "name": "cart-a", "container": "app",
               "command": ["sh", "-c", SHELL_PROBE], "tty": true, "stdin": true})
    );
    let outcome = item.outcome.as_ref().expect("an outcome");
    let EventBody::Outcome { status, detail, .. } = &outcome.body else {
        panic!("{outcome:?}")
    };
    assert_eq!(*status, OutcomeStatus::Succeeded);
    assert!(
        detail.starts_with("shell in shop/cart-a (container app): started 20"),
        "{detail}"
    );
    assert!(detail.contains(", ended 20"), "{detail}");
    assert!(detail.ends_with("exit status 3"), "{detail}");
    let whole = serde_json::to_string(&page).expect("json");
    assert!(
        !whole.contains("secret-token") && !whole.contains("you typed"),
        "the session's content is never audited: {whole}"
    );
}

#[tokio::test]
async fn rbac_refuses_a_shell_before_and_at_the_upgrade() {
    let server = with_pod().await;
    server.deny_ssar("create", "", "pods", "exec");
    server.allow_ssar("*", "*", "*", "");
    server.forbid(ForbidRule::new("create", "", "pods").subresource("exec"));
    let kube = RealKube {
        executor: executor(&server).await,
    };
    let mut access = KubeAccess::new(false);
    let request = shell("app");
    let keys = access.to_ask(std::slice::from_ref(&request));
    assert_eq!(keys.len(), 1);
    for (key, answer) in kube.review(keys).await {
        assert!(matches!(answer, AccessAnswer::Denied(_)), "{answer:?}");
        access.record(key, answer);
    }
    let denial = access.denial(&request).expect("denied");
    assert!(
        denial.starts_with("RBAC does not allow create pods/exec in shop"),
        "{denial}"
    );
    let asked = server.ssar_requests();
    assert_eq!(
        asked
            .last()
            .map(|r| r["spec"]["resourceAttributes"].clone()),
        Some(json!({"namespace": "shop", "verb": "create", "group": "",
                    "resource": "pods", "subresource": "exec"})),
        "{asked:?}"
    );

    // Past the review (an old answer), the upgrade itself is refused; the audit says so.
    let dir = tempfile::tempdir().expect("tempdir");
    let (_platform, _client, gate) = platform(dir.path()).await;
    let mut host = Script {
        lines: vec![],
        shown: String::new(),
    };
    let outcome = opsdeck::runtime::handover::run(Some(&gate), &kube, request, "", &mut host).await;
    let GateOutcome::Executed { result, .. } = &outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(result.status, OutcomeStatus::Failed);
    assert!(
        result.detail.contains("did not open")
            && result
                .detail
                .contains("cannot create resource \"pods/exec\"")
            && result.detail.contains("(403)"),
        "{}",
        result.detail
    );
    assert!(host.shown.is_empty(), "no terminal was handed over");
    assert!(server.exec_sessions().is_empty());
}
