//! Port-forward against the Kubernetes peer, through the runtime's forwards as opsdeck runs
//! them: a loopback listener, the audit's intent with the address bound, then one kube-rs
//! `pods/portforward` WebSocket per local connection (the exact request: `GET`, the pod's
//! path, `ports=N`, `v4.channel.k8s.io`), bytes copied both ways; a pod port nobody listens
//! on is an error on that connection, not the end of the forward; `stop` closes the listener
//! and the audit gets the outcome (connections and bytes, never the bytes). RBAC refuses it
//! in the API's words, before (an access review) and at the upgrade (a 403).

use std::sync::Arc;
use std::time::Duration;

use opsdeck::actions::gate::GateOutcome;
use opsdeck::app::kube_access::{AccessAnswer, KubeAccess};
use opsdeck::app::msg::Msg;
use opsdeck::model::action::ActionRequest;
use opsdeck::model::k8s::forward::{ForwardEvent, ForwardStats, LocalPort};
use opsdeck::model::platform::{EventBody, EventQuery, OutcomeStatus};
use opsdeck::runtime::forwards::{Forwards, Plan};
use opsdeck::sources::backend::KubeBackend;
use opsdeck::sources::kube::backend::RealKube;
use serde_json::json;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

use super::shell::{executor, platform};
use crate::support::kube::{ForbidRule, KubeServer, pod_object};

/// A peer with one pod, `shop/cart-a`, whose `app` container declares port 8080 (`http`).
async fn with_pod() -> KubeServer {
    let (server, _) = crate::kube::peer().await;
    let mut pod = pod_object("shop", "cart-a", &[("app", "cart")], &["app"]);
    pod["spec"]["containers"][0]["ports"] =
        json!([{"name": "http", "containerPort": 8080, "protocol": "TCP"}]);
    server.insert(pod);
    server.clear_records();
    server
}

fn forward(port: u16) -> ActionRequest {
    ActionRequest::PortForward {
        context: "kind-shop".into(),
        namespace: "shop".into(),
        name: "cart-a".into(),
        port,
        local_port: 0,
        service: None,
    }
}

/// The next message about forwards (others are skipped), within 10 s.
async fn next(rx: &mut mpsc::Receiver<Msg>) -> Msg {
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .expect("a message within 10 s")
            .expect("the channel is open");
        if matches!(
            msg,
            Msg::Forward(_) | Msg::ActionDone(_) | Msg::Notice { .. }
        ) {
            return msg;
        }
    }
}

/// Waits for the forward to listen; its local address.
async fn listening(rx: &mut mpsc::Receiver<Msg>) -> String {
    loop {
        match next(rx).await {
            Msg::Forward(ForwardEvent::Listening { local, .. }) => return local,
            Msg::Forward(ForwardEvent::Stats { .. }) => {}
            other => panic!("not listening: {other:?}"),
        }
    }
}

/// Waits until the figures show no connection open and at least `connections` made.
async fn settled(rx: &mut mpsc::Receiver<Msg>, connections: u64) -> ForwardStats {
    loop {
        if let Msg::Forward(ForwardEvent::Stats { stats, .. }) = next(rx).await
            && stats.connections >= connections
            && stats.active == 0
        {
            return stats;
        }
    }
}

/// Sends `bytes` and reads as many back (the pod echoes), then closes. kube-rs ends the whole
/// connection when the local side stops sending, so there is no half-close.
async fn round_trip(local: &str, bytes: &[u8]) -> Vec<u8> {
    let mut tcp = TcpStream::connect(local).await.expect("connects");
    tcp.write_all(bytes).await.expect("write");
    let mut back = vec![0; bytes.len()];
    tokio::time::timeout(Duration::from_secs(10), tcp.read_exact(&mut back))
        .await
        .expect("the echo within 10 s")
        .expect("read");
    back
}

/// Sends `bytes` to a forward whose pod side fails; what came back before it closed (a
/// reset counts as closed).
async fn refused(local: &str, bytes: &[u8]) -> Vec<u8> {
    let mut tcp = TcpStream::connect(local).await.expect("connects");
    let _ = tcp.write_all(bytes).await;
    let mut back = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), tcp.read_to_end(&mut back)).await;
    assert!(read.is_ok(), "the connection ends within 10 s");
    back
}

/// Stops forward 1; its outcome report.
async fn stop(forwards: &mut Forwards, rx: &mut mpsc::Receiver<Msg>) -> GateOutcome {
    assert!(forwards.stop(1));
    let mut ended = false;
    loop {
        match next(rx).await {
            Msg::Forward(ForwardEvent::Ended { id }) => {
                assert_eq!(id, 1);
                ended = true;
            }
            Msg::ActionDone(report) => {
                assert!(ended, "the list hears of the end first");
                return report.outcome;
            }
            _ => {}
        }
    }
}

#[tokio::test]
async fn bytes_round_trip_through_the_local_port_with_the_exact_request_and_the_audit() {
    let server = with_pod().await;
    let kube: Arc<dyn KubeBackend> = Arc::new(RealKube {
        executor: executor(&server).await,
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let (_platform, client, gate) = platform(dir.path()).await;
    let (tx, mut rx) = mpsc::channel(64);
    let mut forwards = Forwards::default();
    let plan = Plan {
        id: 1,
        request: forward(8080),
        local: LocalPort::Auto,
        reason: String::new(),
    };
    forwards.start(plan, Some(gate), kube, tx);
    let local = listening(&mut rx).await;
    assert!(local.starts_with("127.0.0.1:"), "{local}");
    assert_eq!(forwards.len(), 1);

    assert_eq!(
        round_trip(&local, b"GET /secret-path").await,
        b"GET /secret-path"
    );
    let stats = settled(&mut rx, 1).await;
    assert_eq!((stats.bytes_out, stats.bytes_in), (16, 16), "{stats:?}");
    assert_eq!(stats.last_error, None);
    assert_eq!(round_trip(&local, b"again").await, b"again");
    let stats = settled(&mut rx, 2).await;
    assert_eq!(stats.connections, 2);
    // A connection still open shows its bytes as they pass, not only when it closes.
    let mut live = TcpStream::connect(&local).await.expect("connects");
    live.write_all(b"live").await.expect("write");
    let mut back = [0_u8; 4];
    live.read_exact(&mut back).await.expect("echo");
    loop {
        if let Msg::Forward(ForwardEvent::Stats { stats, .. }) = next(&mut rx).await
            && stats.active == 1
            && stats.bytes_in == 25
        {
            assert_eq!((stats.connections, stats.bytes_out), (3, 25));
            break;
        }
    }
    drop(live);
    settled(&mut rx, 3).await;

    let sessions = server.forward_sessions();
    assert_eq!(sessions.len(), 3, "one WebSocket per local connection");
    let s = &sessions[0];
    assert_eq!(s.method, "GET");
    assert_eq!(s.path, "/api/v1/namespaces/shop/pods/cart-a/portforward");
    assert_eq!(s.query.trim_start_matches('&'), "ports=8080");
    assert_eq!(s.ports, [8080]);
    assert_eq!(s.protocol, "v4.channel.k8s.io");
    assert_eq!(s.received, b"GET /secret-path");

    let outcome = stop(&mut forwards, &mut rx).await;
    let GateOutcome::Executed { result, .. } = &outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(result.status, OutcomeStatus::Succeeded);
    assert!(
        TcpStream::connect(&local).await.is_err(),
        "the listener is closed once stopped"
    );

    assert_audited(&client, &local).await;
}

/// The one `kube.pod.portforward` record: the intent with the bound address, the outcome
/// with the figures, and never the traffic.
async fn assert_audited(client: &opsdeck::sources::platform::PlatformClient, local: &str) {
    let page = client
        .list_events(&EventQuery {
            action: Some("kube.pod.portforward".into()),
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
    assert_eq!(action, "kube.pod.portforward");
    assert_eq!(target.reference, "kube.pod:shop/cart-a");
    assert_eq!(
        *params,
        json!({"context": "kind-shop", "namespace": "shop", "name": "cart-a", "port": 8080,
               "local_address": local})
    );
    let recorded = item.outcome.as_ref().expect("an outcome");
    let EventBody::Outcome { status, detail, .. } = &recorded.body else {
        panic!("{recorded:?}")
    };
    assert_eq!(*status, OutcomeStatus::Succeeded);
    assert!(
        detail.starts_with(&format!("{local} → shop/cart-a:8080: started 20")),
        "{detail}"
    );
    assert!(
        detail.ends_with("3 connections (0 open), 25 B out, 25 B in"),
        "{detail}"
    );
    let whole = serde_json::to_string(&page).expect("json");
    assert!(
        !whole.contains("secret-path"),
        "the traffic is never audited: {whole}"
    );
}

#[tokio::test]
async fn a_port_nobody_listens_on_fails_the_connection_not_the_forward() {
    let server = with_pod().await;
    let kube: Arc<dyn KubeBackend> = Arc::new(RealKube {
        executor: executor(&server).await,
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let (_platform, _client, gate) = platform(dir.path()).await;
    let (tx, mut rx) = mpsc::channel(64);
    let mut forwards = Forwards::default();
    let plan = Plan {
        id: 1,
        request: forward(9999),
        local: LocalPort::Auto,
        reason: String::new(),
    };
    forwards.start(plan, Some(gate), kube, tx);
    let local = listening(&mut rx).await;
    assert_eq!(refused(&local, b"ping").await, b"");
    let stats = settled(&mut rx, 1).await;
    let error = stats.last_error.expect("the kubelet's error is kept");
    assert!(
        error.starts_with("error forwarding port 9999 to pod cart-a")
            && error.contains("connection refused"),
        "{error}"
    );
    // The forward goes on: the next connection is accepted and tried again.
    assert_eq!(refused(&local, b"ping").await, b"");
    assert_eq!(settled(&mut rx, 2).await.connections, 2);
    assert_eq!(server.forward_sessions().len(), 2);
    let outcome = stop(&mut forwards, &mut rx).await;
    let GateOutcome::Executed { result, .. } = &outcome else {
        panic!("{outcome:?}")
    };
    assert!(
        result
            .detail
            .contains("; last error: error forwarding port 9999 to pod cart-a"),
        "{}",
        result.detail
    );
}

#[tokio::test]
async fn rbac_refuses_a_port_forward_before_and_at_the_upgrade() {
    let server = with_pod().await;
    server.deny_ssar("create", "", "pods", "portforward");
    server.allow_ssar("*", "*", "*", "");
    server.forbid(ForbidRule::new("create", "", "pods").subresource("portforward"));
    let kube = RealKube {
        executor: executor(&server).await,
    };
    let mut access = KubeAccess::new(false);
    let request = forward(8080);
    let keys = access.to_ask(std::slice::from_ref(&request));
    assert_eq!(keys.len(), 1);
    for (key, answer) in kube.review(keys).await {
        assert!(matches!(answer, AccessAnswer::Denied(_)), "{answer:?}");
        access.record(key, answer);
    }
    let denial = access.denial(&request).expect("denied");
    assert!(
        denial.starts_with("RBAC does not allow create pods/portforward in shop"),
        "{denial}"
    );
    let asked = server.ssar_requests();
    assert_eq!(
        asked
            .last()
            .map(|r| r["spec"]["resourceAttributes"].clone()),
        Some(json!({"namespace": "shop", "verb": "create", "group": "",
                    "resource": "pods", "subresource": "portforward"})),
        "{asked:?}"
    );

    // Past the review (an old answer), the upgrade itself is refused: the connection fails
    // with the API server's words, and no stream opened.
    let dir = tempfile::tempdir().expect("tempdir");
    let (_platform, _client, gate) = platform(dir.path()).await;
    let (tx, mut rx) = mpsc::channel(64);
    let mut forwards = Forwards::default();
    let plan = Plan {
        id: 1,
        request,
        local: LocalPort::Auto,
        reason: String::new(),
    };
    forwards.start(plan, Some(gate), Arc::new(kube), tx);
    let local = listening(&mut rx).await;
    assert_eq!(refused(&local, b"ping").await, b"");
    let error = settled(&mut rx, 1).await.last_error.expect("an error");
    assert!(
        error.contains("port-forward to pods/cart-a in shop")
            && error.contains("cannot create resource \"pods/portforward\"")
            && error.contains("(403)"),
        "{error}"
    );
    assert!(server.forward_sessions().is_empty());
    stop(&mut forwards, &mut rx).await;
}

#[tokio::test]
async fn without_an_audit_nothing_listens() {
    let server = with_pod().await;
    let kube: Arc<dyn KubeBackend> = Arc::new(RealKube {
        executor: executor(&server).await,
    });
    // A port known free a moment ago, asked for exactly.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let (tx, mut rx) = mpsc::channel(64);
    let mut forwards = Forwards::default();
    let plan = Plan {
        id: 1,
        request: forward(8080),
        local: LocalPort::Exact(port),
        reason: String::new(),
    };
    forwards.start(plan, None, kube, tx);
    assert!(matches!(
        next(&mut rx).await,
        Msg::Forward(ForwardEvent::Ended { id: 1 })
    ));
    let Msg::ActionDone(report) = next(&mut rx).await else {
        panic!("a report")
    };
    let GateOutcome::Refused(refusal) = &report.outcome else {
        panic!("{:?}", report.outcome)
    };
    assert!(refusal.reason.contains("no audit: nothing was forwarded"));
    assert!(
        TcpStream::connect(("127.0.0.1", port)).await.is_err(),
        "the listener was closed unused"
    );
    assert!(server.forward_sessions().is_empty());
}

/// `kubectl port-forward svc/cart 80`: the Service read, its pods listed by its selector, the
/// named `targetPort` looked up in the chosen pod, and the forward made to that pod's port;
/// the audit names the Service and its port beside the pod.
#[tokio::test]
async fn a_service_port_forwards_to_its_pod_s_target_port() {
    let server = with_pod().await;
    let mut pod = pod_object("shop", "cart-a", &[("forward-me", "yes")], &["app"]);
    pod["spec"]["containers"][0]["ports"] =
        json!([{"name": "http", "containerPort": 8080, "protocol": "TCP"}]);
    server.insert(pod);
    server.insert(json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "cart-web", "namespace": "shop"},
        "spec": {"selector": {"forward-me": "yes"}, "clusterIP": "10.96.0.7",
                 "ports": [{"name": "web", "port": 80, "targetPort": "http", "protocol": "TCP"}]},
    }));
    server.clear_records();
    let kube: Arc<dyn KubeBackend> = Arc::new(RealKube {
        executor: executor(&server).await,
    });
    let dir = tempfile::tempdir().expect("tempdir");
    let (_platform, client, gate) = platform(dir.path()).await;
    let (tx, mut rx) = mpsc::channel(64);
    let mut forwards = Forwards::default();
    let request = ActionRequest::PortForward {
        context: "kind-shop".into(),
        namespace: "shop".into(),
        name: String::new(),
        port: 80,
        local_port: 0,
        service: Some(opsdeck::model::action::ViaService {
            name: "cart-web".into(),
            port: 80,
        }),
    };
    let plan = Plan {
        id: 1,
        request,
        local: LocalPort::Auto,
        reason: String::new(),
    };
    forwards.start(plan, Some(gate), kube, tx);
    let (local, pod, port) = loop {
        match next(&mut rx).await {
            Msg::Forward(ForwardEvent::Listening {
                local, pod, port, ..
            }) => break (local, pod, port),
            Msg::Forward(ForwardEvent::Stats { .. }) => {}
            other => panic!("not listening: {other:?}"),
        }
    };
    assert_eq!((pod.as_str(), port), ("cart-a", 8080));
    assert_eq!(round_trip(&local, b"hello").await, b"hello");
    settled(&mut rx, 1).await;
    let reads: Vec<(String, String)> = server
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.subresource.is_none())
        .map(|r| (r.path.clone(), r.query.clone()))
        .collect();
    assert!(
        reads.contains(&(
            "/api/v1/namespaces/shop/services/cart-web".into(),
            String::new()
        )),
        "{reads:?}"
    );
    assert!(
        reads.contains(&(
            "/api/v1/namespaces/shop/pods".into(),
            "&labelSelector=forward-me%3Dyes".into()
        )) || reads.contains(&(
            "/api/v1/namespaces/shop/pods".into(),
            "labelSelector=forward-me%3Dyes".into()
        )),
        "{reads:?}"
    );
    let sessions = server.forward_sessions();
    assert_eq!(
        sessions[0].path,
        "/api/v1/namespaces/shop/pods/cart-a/portforward"
    );
    assert_eq!(sessions[0].ports, [8080]);
    stop(&mut forwards, &mut rx).await;

    let page = client
        .list_events(&EventQuery {
            action: Some("kube.pod.portforward".into()),
            ..EventQuery::default()
        })
        .await
        .expect("events");
    let EventBody::Intent { params, .. } = &page.items[0].event.body else {
        panic!("{page:?}")
    };
    assert_eq!(
        *params,
        json!({"context": "kind-shop", "namespace": "shop", "name": "cart-a", "port": 8080,
               "local_address": local, "service": "cart-web", "service_port": 80})
    );
}
