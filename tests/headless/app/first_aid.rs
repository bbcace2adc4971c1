//! Pod first aid through `update` over the sandbox: from the stuck rollout, enter (tree) and
//! enter (its pods) show the last termination; `ctrl-d` on a pod asks the grace period, shows
//! the uid it is pinned to, and the sandbox's ReplicaSet replaces the pod under a new name.
//! `S` opens a shell in the pod the cursor starts on (the OOM-killed one): 3 keys from the
//! stuck rollout. RBAC and read-only mode refuse with the reason before any dialog.

use std::sync::Arc;

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use opsdeck::actions::gate::Executor;
use opsdeck::app::kube_access::{AccessAnswer, AccessKey};
use opsdeck::app::state::Modal;
use opsdeck::app::{Cmd, Msg, PaneId, State, update};
use opsdeck::model::action::ActionRequest;
use opsdeck::model::platform::OutcomeStatus;
use opsdeck::screenshot::epoch;
use opsdeck::sources::sandbox::apps::SandboxKubeExecutor;
use opsdeck::sources::sandbox::{SandboxHandle, World};
use opsdeck::sources::{SourceBody, SourceEvent, SourceId};

use super::keys::{key, screen, state, typed};

fn ctrl(s: &mut State, c: char) -> Vec<Cmd> {
    update(
        s,
        Msg::Input(Event::Key(KeyEvent::new(
            KeyCode::Char(c),
            KeyModifiers::CONTROL,
        ))),
    )
}

async fn feed(s: &mut State, sandbox: &SandboxHandle, n: u64) {
    let snapshot = sandbox.kube(n).await.expect("snapshot");
    update(
        s,
        Msg::Source(SourceEvent {
            source: SourceId::Kube,
            generation: s.generation,
            body: SourceBody::Kube(Arc::new(snapshot)),
        }),
    );
}

fn toast(s: &State) -> String {
    s.toast.as_ref().map(|t| t.text.clone()).unwrap_or_default()
}

/// The stuck rollout's pods: 2 keys from the rollouts list.
async fn stuck_pods(sandbox: &SandboxHandle) -> State {
    let mut s = state();
    feed(&mut s, sandbox, 1).await;
    key(&mut s, KeyCode::Char('3'));
    assert_eq!(
        s.panes.rollouts.selected().expect("rows").row.name,
        "shipping-api"
    );
    key(&mut s, KeyCode::Enter);
    key(&mut s, KeyCode::Enter);
    assert_eq!(s.view().pane(), PaneId::Pods);
    s
}

#[tokio::test(start_paused = true)]
async fn ctrl_d_deletes_the_selected_pod_pinned_to_its_uid_and_it_is_replaced() {
    let sandbox = SandboxHandle::spawn(World::new(7, epoch()));
    let executor = SandboxKubeExecutor {
        sandbox: sandbox.clone(),
        user: "maya.cohen".into(),
    };
    let mut s = stuck_pods(&sandbox).await;
    // The OOM-killed stable pod: its last termination is on screen.
    let oom_row = (0..s.panes.pods.table.visible.len())
        .find(|&v| {
            let pod = &s.panes.pods.pods[s.panes.pods.table.visible[v]];
            pod.last_termination()
                .is_some_and(|(_, t)| t.words().contains("OOMKilled"))
        })
        .expect("an OOM-killed pod is listed");
    s.panes.pods.table.select(oom_row);
    let pod = s.panes.pods.selected().expect("selected").clone();

    ctrl(&mut s, 'd');
    assert!(
        matches!(&s.modal, Some(Modal::Prompt(p)) if p.title.contains(&pod.name)),
        "{:?}",
        s.modal
    );
    typed(&mut s, "soon");
    key(&mut s, KeyCode::Enter);
    assert!(
        matches!(&s.modal, Some(Modal::Prompt(p)) if p.error.as_deref().is_some_and(|e| e.contains("`soon`"))),
        "a wrong grace period is said in the prompt: {:?}",
        s.modal
    );
    for _ in 0..4 {
        key(&mut s, KeyCode::Backspace);
    }
    typed(&mut s, "now");
    key(&mut s, KeyCode::Enter);
    let Some(Modal::Confirm(confirm)) = &s.modal else {
        panic!("the confirmation: {:?}", s.modal)
    };
    assert!(
        confirm
            .details
            .iter()
            .any(|(k, v)| k == "uid" && v.starts_with(&pod.uid)),
        "{:?}",
        confirm.details
    );
    assert!(
        confirm
            .details
            .iter()
            .any(|(k, v)| k == "grace" && v.contains("--now")),
        "{:?}",
        confirm.details
    );
    if let Some(name) = confirm.required_name() {
        typed(&mut s, &name);
    }
    let cmds = key(&mut s, KeyCode::Enter);
    let request = match cmds.as_slice() {
        [Cmd::Execute { request, .. }] => request.clone(),
        other => panic!("expected one Execute, got {other:?}"),
    };
    assert_eq!(
        request,
        ActionRequest::DeletePod {
            namespace: pod.namespace.clone(),
            name: pod.name.clone(),
            uid: pod.uid.clone(),
            grace_secs: Some(1),
            production: s.context.production,
        }
    );
    let r = executor.execute(&request).await;
    assert_eq!(r.status, OutcomeStatus::Succeeded, "{}", r.detail);
    assert!(r.detail.contains("its ReplicaSet created"), "{}", r.detail);

    // Deleting the same row again is refused: that uid is gone.
    let again = executor.execute(&request).await;
    assert_eq!(again.status, OutcomeStatus::Failed, "{}", again.detail);

    feed(&mut s, &sandbox, 2).await;
    let names: Vec<&str> = s.panes.pods.pods.iter().map(|p| p.name.as_str()).collect();
    assert!(!names.contains(&pod.name.as_str()), "{names:?}");
    assert_eq!(
        names.len(),
        stuck_pods(&sandbox).await.panes.pods.pods.len(),
        "replaced, not removed"
    );
}

#[tokio::test]
async fn rbac_and_read_only_refuse_a_pod_delete_with_the_reason() {
    let sandbox = SandboxHandle::spawn(World::new(7, epoch()));
    let mut s = stuck_pods(&sandbox).await;
    let pod = s.panes.pods.selected().expect("selected").clone();
    let probe = ActionRequest::DeletePod {
        namespace: pod.namespace.clone(),
        name: pod.name.clone(),
        uid: pod.uid.clone(),
        grace_secs: None,
        production: false,
    };
    // The access review was asked when the pods arrived; its answer comes back denied.
    assert!(s.kube_access.to_ask(&[probe]).is_empty(), "asked already");
    s.kube_access.record(
        AccessKey::new("delete", "", "pods", "", &pod.namespace),
        AccessAnswer::Denied("no RBAC policy matched".into()),
    );
    ctrl(&mut s, 'd');
    assert!(s.modal.is_none(), "{:?}", s.modal);
    assert_eq!(
        toast(&s),
        format!(
            "delete pod disabled: RBAC does not allow delete pods in {}: no RBAC policy matched",
            pod.namespace
        )
    );

    let mut s = stuck_pods(&sandbox).await;
    s.readonly = true;
    ctrl(&mut s, 'd');
    assert!(s.modal.is_none(), "{:?}", s.modal);
    assert!(toast(&s).contains("read-only"), "{}", toast(&s));
}

/// On the rollout's tree, ctrl-d needs a pod chosen with tab (marked `>`), then asks about
/// that pod, as the pods view does.
#[tokio::test]
async fn tab_chooses_a_pod_of_the_tree_and_ctrl_d_deletes_it() {
    let sandbox = SandboxHandle::spawn(World::new(7, epoch()));
    let mut s = opsdeck::screenshot::demo_state(7, 120, 40, opsdeck::theme::ColorDepth::Ansi16)
        .expect("demo state");
    feed(&mut s, &sandbox, 1).await;
    key(&mut s, KeyCode::Char('3'));
    key(&mut s, KeyCode::Enter);
    ctrl(&mut s, 'd');
    assert!(s.modal.is_none());
    assert!(
        toast(&s).contains("tab moves among its pods"),
        "{}",
        toast(&s)
    );

    key(&mut s, KeyCode::Tab);
    let first = s.panes.rollouts.tree_pod.clone().expect("a pod node");
    key(&mut s, KeyCode::Tab);
    key(&mut s, KeyCode::BackTab);
    assert_eq!(s.panes.rollouts.tree_pod.as_deref(), Some(first.as_str()));
    let screen = screen(&s);
    assert!(
        screen
            .lines()
            .any(|l| l.contains('>') && l.contains(first.as_str())),
        "the chosen pod is marked without colour:\n{screen}"
    );

    ctrl(&mut s, 'd');
    assert!(
        matches!(&s.modal, Some(Modal::Prompt(p)) if p.title.ends_with(&format!("/{first}: grace period"))),
        "{:?}",
        s.modal
    );
}

/// The issue's key count: from the stuck rollout selected in the rollouts list, enter (its
/// tree), enter (its pods, the cursor on the pod whose last termination is `OOMKilled`), `S`
/// (a shell in that pod's container) is 3 keys; the sandbox's fake shell answers it.
#[tokio::test]
async fn a_shell_in_the_oom_killed_pod_is_three_keys_from_the_stuck_rollout() {
    let sandbox = SandboxHandle::spawn(World::new(7, epoch()));
    let mut s = state();
    feed(&mut s, &sandbox, 1).await;
    key(&mut s, KeyCode::Char('3'));
    assert_eq!(
        s.panes.rollouts.selected().expect("rows").row.name,
        "shipping-api"
    );
    key(&mut s, KeyCode::Enter);
    key(&mut s, KeyCode::Enter);
    let pod = s.panes.pods.selected().expect("selected").clone();
    let (container, termination) = pod.last_termination().expect("the clue is on screen");
    assert!(termination.words().contains("OOMKilled"), "{termination:?}");
    assert!(screen(&s).contains("OOMKilled"));
    let cmds = key(&mut s, KeyCode::Char('S'));
    let request = match cmds.as_slice() {
        [Cmd::Session { request, .. }] => request.clone(),
        other => panic!("expected one session, got {other:?}"),
    };
    assert_eq!(
        request,
        ActionRequest::ExecPod {
            namespace: pod.namespace.clone(),
            name: pod.name.clone(),
            container: container.to_owned(),
            command: opsdeck::model::k8s::shell::shell_command(),
        }
    );
    assert!(s.modal.is_none(), "no confirmation before a shell");

    // The sandbox serves it.
    let backend = opsdeck::sources::sandbox::backend::SandboxBackend::new(sandbox, "dev".into());
    let mut session = opsdeck::sources::backend::KubeBackend::open_session(&backend, &request)
        .await
        .expect("the sandbox opens a shell");
    let banner = session.exchange("", "# ").await;
    assert!(banner.contains(&pod.name), "{banner}");
    let out = session.exchange("hostname\r", "# ").await;
    assert!(out.contains(&format!("\r\n{}\r\n", pod.name)), "{out:?}");
    session.input.send(b"exit\r".to_vec()).await.expect("types");
    assert_eq!(session.finish().await.1.exit, Some(0));
}

#[tokio::test]
async fn rbac_read_only_and_a_pod_not_running_refuse_a_shell_with_the_reason() {
    let sandbox = SandboxHandle::spawn(World::new(7, epoch()));
    let mut s = stuck_pods(&sandbox).await;
    let pod = s.panes.pods.selected().expect("selected").clone();
    s.kube_access.record(
        AccessKey::new("create", "", "pods", "exec", &pod.namespace),
        AccessAnswer::Denied("no RBAC policy matched".into()),
    );
    assert!(key(&mut s, KeyCode::Char('S')).is_empty());
    assert_eq!(
        toast(&s),
        format!(
            "shell disabled: RBAC does not allow create pods/exec in {}: no RBAC policy matched",
            pod.namespace
        )
    );

    let mut s = stuck_pods(&sandbox).await;
    s.readonly = true;
    assert!(key(&mut s, KeyCode::Char('S')).is_empty());
    assert!(toast(&s).contains("read-only"), "{}", toast(&s));

    // The image-pull-failing pod runs no container to open a shell in.
    let mut s = stuck_pods(&sandbox).await;
    let waiting = (0..s.panes.pods.table.visible.len())
        .find(|&v| s.panes.pods.pods[s.panes.pods.table.visible[v]].phase != "Running")
        .expect("a pod that is not running");
    s.panes.pods.table.select(waiting);
    assert!(key(&mut s, KeyCode::Char('S')).is_empty());
    assert!(toast(&s).contains("is not running"), "{}", toast(&s));
}

/// `K` asks the runtime to open the namespace in k9s, from a pod and from a workload (the
/// command line and the missing-k9s message are `opsdeck::runtime::k9s`'s unit tests).
#[tokio::test]
async fn k_opens_the_pod_s_or_the_workload_s_namespace_in_k9s() {
    let sandbox = SandboxHandle::spawn(World::new(7, epoch()));
    let mut s = stuck_pods(&sandbox).await;
    let pod = s.panes.pods.selected().expect("selected").clone();
    let cmds = key(&mut s, KeyCode::Char('K'));
    assert!(
        matches!(cmds.as_slice(), [Cmd::OpenK9s { namespace }] if *namespace == pod.namespace),
        "{cmds:?}"
    );

    let mut s = state();
    feed(&mut s, &sandbox, 1).await;
    key(&mut s, KeyCode::Char('3'));
    let namespace = s
        .panes
        .rollouts
        .selected()
        .expect("rows")
        .row
        .namespace
        .clone();
    let cmds = key(&mut s, KeyCode::Char('K'));
    assert!(
        matches!(cmds.as_slice(), [Cmd::OpenK9s { namespace: n }] if *n == namespace),
        "{cmds:?}"
    );
}

/// `D` adds a debug container of the configured image (default `busybox`) that shares the
/// shell's container's processes, named as kubectl names it; the sandbox serves it.
#[tokio::test]
async fn d_adds_a_debug_container_of_the_configured_image_and_attaches() {
    let sandbox = SandboxHandle::spawn(World::new(7, epoch()));
    let mut s = stuck_pods(&sandbox).await;
    let pod = s.panes.pods.selected().expect("selected").clone();
    let (container, _) = pod.last_termination().expect("the OOM-killed pod");
    let container = container.to_owned();
    let cmds = key(&mut s, KeyCode::Char('D'));
    let request = match cmds.as_slice() {
        [Cmd::Session { request, .. }] => request.clone(),
        other => panic!("expected one session, got {other:?}"),
    };
    let ActionRequest::DebugPod {
        namespace,
        name,
        target,
        image,
        container: debugger,
    } = &request
    else {
        panic!("{request:?}")
    };
    assert_eq!(
        (namespace, name, target, image.as_str()),
        (&pod.namespace, &pod.name, &container, "busybox")
    );
    assert!(
        debugger.starts_with("debugger-") && debugger.len() == 14,
        "{debugger}"
    );
    let backend =
        opsdeck::sources::sandbox::backend::SandboxBackend::new(sandbox.clone(), "dev".into());
    let mut session = opsdeck::sources::backend::KubeBackend::open_session(&backend, &request)
        .await
        .expect("the sandbox opens it");
    let banner = session.exchange("", "# ").await;
    assert!(
        banner.contains(&format!("debug container {debugger}, image busybox")),
        "{banner}"
    );

    let mut s = stuck_pods(&sandbox).await;
    s.context.debug_image = "nicolaka/netshoot".into();
    let cmds = key(&mut s, KeyCode::Char('D'));
    assert!(
        matches!(cmds.as_slice(), [Cmd::Session { request: ActionRequest::DebugPod { image, .. }, .. }] if image == "nicolaka/netshoot"),
        "{cmds:?}"
    );

    let mut s = stuck_pods(&sandbox).await;
    s.kube_access.record(
        AccessKey::new("patch", "", "pods", "ephemeralcontainers", &pod.namespace),
        AccessAnswer::Denied(String::new()),
    );
    assert!(key(&mut s, KeyCode::Char('D')).is_empty());
    assert_eq!(
        toast(&s),
        format!(
            "debug container disabled: RBAC does not allow patch pods/ephemeralcontainers in {}",
            pod.namespace
        )
    );
}

/// The running pod under the cursor of the stuck rollout's pods.
fn select_running(s: &mut State) -> Arc<opsdeck::model::k8s::PodFacts> {
    let running = (0..s.panes.pods.table.visible.len())
        .find(|&v| {
            let pod = &s.panes.pods.pods[s.panes.pods.table.visible[v]];
            pod.phase == "Running" && !pod.deleting
        })
        .expect("a running pod");
    s.panes.pods.table.select(running);
    s.panes.pods.selected().expect("selected").clone()
}

/// `F` on a pod opens the form on its declared port; enter lists the forward (starting) and
/// asks the runtime for it; `f` shows the list, which the runtime's news fill in; `x` stops
/// the selected forward by its number, and its end removes the row.
#[tokio::test]
async fn f_forwards_a_declared_port_f_lists_it_and_x_stops_it() {
    use opsdeck::model::k8s::forward::{ForwardEvent, ForwardStats, LocalPort};
    let sandbox = SandboxHandle::spawn(World::new(7, epoch()));
    let mut s = stuck_pods(&sandbox).await;
    let pod = select_running(&mut s);
    let asked = key(&mut s, KeyCode::Char('F'));
    assert!(
        asked.iter().all(|c| matches!(c, Cmd::CheckAccess(_))),
        "only the access review before the form: {asked:?}"
    );
    let Some(Modal::Form(form)) = &s.modal else {
        panic!("the port-forward form, got {:?}", s.modal)
    };
    assert_eq!(form.about, format!("{}/{}", pod.namespace, pod.name));
    assert_eq!(form.fields[0].value, "8080/http", "the declared port first");
    assert!(screen(&s).contains("8080/http"));

    // A bad local port is refused beside its field, input kept.
    key(&mut s, KeyCode::Tab);
    typed(&mut s, "0.0.0.0:80");
    assert!(key(&mut s, KeyCode::Enter).is_empty());
    assert!(
        screen(&s).contains("only a port: forwards listen on 127.0.0.1"),
        "{}",
        screen(&s)
    );
    for _ in 0.."0.0.0.0:80".len() {
        key(&mut s, KeyCode::Backspace);
    }
    typed(&mut s, "18080");
    let cmds = key(&mut s, KeyCode::Enter);
    let [
        Cmd::PortForward {
            id, request, local, ..
        },
    ] = cmds.as_slice()
    else {
        panic!("one forward, got {cmds:?}")
    };
    let id = *id;
    assert_eq!(*local, LocalPort::Exact(18_080));
    assert_eq!(
        *request,
        ActionRequest::PortForward {
            context: s.context.name.clone(),
            namespace: pod.namespace.clone(),
            name: pod.name.clone(),
            port: 8080,
            local_port: 18_080,
            service: None,
        }
    );
    assert!(s.modal.is_none());

    key(&mut s, KeyCode::Char('f'));
    assert_eq!(s.view().pane(), PaneId::Forwards);
    assert!(screen(&s).contains("starting"), "{}", screen(&s));
    update(
        &mut s,
        Msg::Forward(ForwardEvent::Listening {
            id,
            local: "127.0.0.1:18080".into(),
            pod: pod.name.clone(),
            port: 8080,
        }),
    );
    update(
        &mut s,
        Msg::Forward(ForwardEvent::Stats {
            id,
            stats: ForwardStats {
                connections: 2,
                active: 1,
                bytes_out: 120,
                bytes_in: 4200,
                last_error: Some("error forwarding port 8080: connection refused".into()),
            },
        }),
    );
    let shown = screen(&s);
    assert!(shown.contains("127.0.0.1:18080"), "{shown}");
    assert!(shown.contains("2 (1 open)"), "{shown}");
    assert!(shown.contains("error: error forw"), "{shown}");
    assert!(
        shown.contains("last error: error forwarding port 8080: connection refused"),
        "the summary shows it whole: {shown}"
    );

    assert_eq!(key(&mut s, KeyCode::Char('x')), vec![Cmd::StopForward(id)]);
    update(&mut s, Msg::Forward(ForwardEvent::Ended { id }));
    assert!(s.panes.forwards.rows.is_empty());
    assert!(screen(&s).contains("no port-forward: F on a pod starts one"));
    key(&mut s, KeyCode::Esc);
    assert_ne!(s.view().pane(), PaneId::Forwards, "esc goes back");
}

/// RBAC (`create pods/portforward`), read-only mode and a pod that is not running refuse `F`
/// with the reason, before any form and without asking the runtime for anything.
#[tokio::test]
async fn rbac_read_only_and_a_pod_not_running_refuse_a_port_forward_with_the_reason() {
    let sandbox = SandboxHandle::spawn(World::new(7, epoch()));
    let mut s = stuck_pods(&sandbox).await;
    let pod = select_running(&mut s);
    s.kube_access.record(
        AccessKey::new("create", "", "pods", "portforward", &pod.namespace),
        AccessAnswer::Denied("no RBAC policy matched".into()),
    );
    assert!(key(&mut s, KeyCode::Char('F')).is_empty());
    assert!(s.modal.is_none());
    assert_eq!(
        toast(&s),
        format!(
            "port-forward disabled: RBAC does not allow create pods/portforward in {}: no RBAC policy matched",
            pod.namespace
        )
    );

    let mut s = stuck_pods(&sandbox).await;
    select_running(&mut s);
    s.readonly = true;
    assert!(key(&mut s, KeyCode::Char('F')).is_empty());
    assert!(toast(&s).contains("read-only"), "{}", toast(&s));

    let mut s = stuck_pods(&sandbox).await;
    let waiting = (0..s.panes.pods.table.visible.len())
        .find(|&v| s.panes.pods.pods[s.panes.pods.table.visible[v]].phase != "Running")
        .expect("a pod that is not running");
    s.panes.pods.table.select(waiting);
    assert!(key(&mut s, KeyCode::Char('F')).is_empty());
    assert!(toast(&s).contains("no port-forward"), "{}", toast(&s));

    // An answer that arrives while the form is open refuses at enter, in the form.
    let mut s = stuck_pods(&sandbox).await;
    let pod = select_running(&mut s);
    key(&mut s, KeyCode::Char('F'));
    s.kube_access.record(
        AccessKey::new("create", "", "pods", "portforward", &pod.namespace),
        AccessAnswer::Denied(String::new()),
    );
    assert!(key(&mut s, KeyCode::Enter).is_empty());
    let Some(Modal::Form(form)) = &s.modal else {
        panic!("the form stays open")
    };
    assert_eq!(
        form.error.as_deref(),
        Some(
            format!(
                "RBAC does not allow create pods/portforward in {}",
                pod.namespace
            )
            .as_str()
        )
    );
    assert!(s.panes.forwards.rows.is_empty());
}

/// The sandbox's forward answers each connection with a canned HTTP response naming the pod
/// (what `curl http://127.0.0.1:<port>/` shows), through the runtime's real listener.
#[tokio::test]
async fn the_sandbox_forward_answers_curl_with_a_canned_response() {
    use opsdeck::model::k8s::forward::{ForwardEvent, LocalPort};
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let sandbox = SandboxHandle::spawn(World::new(7, epoch()));
    let dir = tempfile::tempdir().expect("tempdir");
    let setup = opsdeck::platform::sandbox::sandbox_setup(dir.path(), "dev");
    let platform = opsdeck::platform::server::spawn_local(setup.options)
        .await
        .expect("platform starts");
    let client = opsdeck::sources::platform::PlatformClient::new(
        &platform.url(),
        opsdeck::sources::platform::Token::new(setup.token),
    )
    .expect("client");
    let gate = opsdeck::actions::gate::AuditGate::new(
        client,
        opsdeck::actions::journal::Journal::open(dir.path()).expect("journal"),
        "dev",
        opsdeck::actions::gate::local_client_info(),
    );
    let backend = opsdeck::sources::sandbox::backend::SandboxBackend::new(sandbox, "dev".into());
    let (tx, mut rx) = tokio::sync::mpsc::channel(64);
    let mut forwards = opsdeck::runtime::forwards::Forwards::default();
    let request = ActionRequest::PortForward {
        context: "sandbox".into(),
        namespace: "shop".into(),
        name: "shipping-api-abc".into(),
        port: 8080,
        local_port: 0,
        service: None,
    };
    let plan = opsdeck::runtime::forwards::Plan {
        id: 7,
        request,
        local: LocalPort::Auto,
        reason: String::new(),
    };
    forwards.start(plan, Some(gate), Arc::new(backend), tx);
    let local = loop {
        match rx.recv().await.expect("open") {
            Msg::Forward(ForwardEvent::Listening { local, .. }) => break local,
            Msg::Forward(_) => {}
            other => panic!("{other:?}"),
        }
    };
    let mut tcp = tokio::net::TcpStream::connect(&local)
        .await
        .expect("connects");
    tcp.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nUser-Agent: curl/8\r\n\r\n")
        .await
        .expect("request");
    let mut answer = String::new();
    tcp.read_to_string(&mut answer).await.expect("answer");
    assert!(answer.starts_with("HTTP/1.1 200 OK\r\n"), "{answer}");
    assert!(
        answer.contains("opsdeck sandbox: pod shop/shipping-api-abc, port 8080"),
        "{answer}"
    );
    forwards.shutdown().await;
    assert!(tokio::net::TcpStream::connect(&local).await.is_err());
}

/// `F` on a described Service (an app's resource): the form on the Service's ports, a
/// request naming the Service and no pod yet; the sandbox resolves it to one of its running
/// pods and the target port, and its canned answer names that pod.
#[tokio::test]
async fn f_on_a_described_service_forwards_to_a_pod_behind_it() {
    use opsdeck::model::action::ViaService;
    use opsdeck::model::k8s::ObjectRef;
    use opsdeck::model::k8s::forward::LocalPort;
    let sandbox = SandboxHandle::spawn(World::new(7, epoch()));
    let mut s = stuck_pods(&sandbox).await;
    let reference = ObjectRef::new("", "Service", "logistics", "shipping-api");
    let doc = sandbox
        .kube_object(reference.clone())
        .await
        .expect("the sandbox serves its apps' Services");
    s.panes.describe.target = Some(reference.clone());
    let now = s.now;
    s.panes.describe.on_loaded(&reference, Ok(doc), now);
    typed(&mut s, ":describe");
    key(&mut s, KeyCode::Enter);
    assert_eq!(s.view().pane(), PaneId::Describe);
    assert!(screen(&s).contains("F forward"), "{}", screen(&s));
    key(&mut s, KeyCode::Char('F'));
    let Some(Modal::Form(form)) = &s.modal else {
        panic!("the form, got {:?}", s.modal)
    };
    assert_eq!(form.about, "svc:logistics/shipping-api");
    assert_eq!(form.fields[0].value, "80");
    let cmds = key(&mut s, KeyCode::Enter);
    let [Cmd::PortForward { request, local, .. }] = cmds.as_slice() else {
        panic!("one forward, got {cmds:?}")
    };
    assert_eq!(*local, LocalPort::Auto);
    assert_eq!(
        *request,
        ActionRequest::PortForward {
            context: s.context.name.clone(),
            namespace: "logistics".into(),
            name: String::new(),
            port: 80,
            local_port: 80,
            service: Some(ViaService {
                name: "shipping-api".into(),
                port: 80,
            }),
        }
    );
    assert_eq!(
        s.panes.forwards.rows[0].pod, "svc/shipping-api",
        "listed by its Service until the pod is chosen"
    );

    let backend = opsdeck::sources::sandbox::backend::SandboxBackend::new(sandbox, "dev".into());
    let target = opsdeck::sources::backend::KubeBackend::service_target(
        &backend,
        "logistics",
        "shipping-api",
        80,
    )
    .await
    .expect("resolves");
    assert!(target.pod.starts_with("shipping-api-"), "{target:?}");
    assert_eq!(target.port, 8080, "the Service's targetPort");
    let running = s
        .panes
        .pods
        .pods
        .iter()
        .find(|p| p.name == target.pod)
        .expect("a listed pod");
    assert_eq!(running.phase, "Running");
    let missing = opsdeck::sources::backend::KubeBackend::service_target(
        &backend,
        "logistics",
        "shipping-api",
        81,
    )
    .await
    .expect_err("no such port");
    assert!(String::from(missing).contains("service shipping-api does not have a service port 81"));
}

/// On the rollout's tree, `F` needs a pod chosen with tab (running ones get the form on
/// their declared port), its hint shows with the pod keys, and `f` opens the list from there.
#[tokio::test]
async fn tab_chooses_a_pod_of_the_tree_and_f_forwards_its_port() {
    let sandbox = SandboxHandle::spawn(World::new(7, epoch()));
    let mut s = opsdeck::screenshot::demo_state(7, 120, 40, opsdeck::theme::ColorDepth::Ansi16)
        .expect("demo state");
    feed(&mut s, &sandbox, 1).await;
    key(&mut s, KeyCode::Char('3'));
    key(&mut s, KeyCode::Enter);
    assert!(key(&mut s, KeyCode::Char('F')).is_empty());
    assert!(s.modal.is_none());
    assert!(
        toast(&s).contains("tab moves among its pods"),
        "{}",
        toast(&s)
    );
    // Tab until a running pod is chosen (the stuck rollout has a pod that cannot pull).
    let running: Vec<String> = s
        .panes
        .pods
        .pods
        .iter()
        .filter(|p| p.phase == "Running")
        .map(|p| p.name.clone())
        .collect();
    let mut chosen = None;
    for _ in 0..10 {
        key(&mut s, KeyCode::Tab);
        let pod = s.panes.rollouts.tree_pod.clone().expect("a pod node");
        if running.contains(&pod) {
            chosen = Some(pod);
            break;
        }
    }
    let chosen = chosen.expect("a running pod on the tree");
    assert!(screen(&s).contains("F forward"), "{}", screen(&s));
    key(&mut s, KeyCode::Char('F'));
    assert!(
        matches!(&s.modal, Some(Modal::Form(f)) if f.about.ends_with(&format!("/{chosen}")) && f.fields[0].value == "8080/http"),
        "{:?}",
        s.modal
    );
    key(&mut s, KeyCode::Esc);
    assert!(s.modal.is_none(), "esc closes the form");
    key(&mut s, KeyCode::Char('f'));
    assert_eq!(s.view().pane(), PaneId::Forwards);
}
