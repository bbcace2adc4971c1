//! `pods/{name}/exec` over WebSocket, as the API server proxies it to the kubelet: the
//! subprotocol chosen from the client's list (`v5.channel.k8s.io`, else `v4`), and every
//! binary message prefixed by its channel byte: 0 stdin, 1 stdout, 2 stderr, 3 the exit
//! `Status` (v4+), 4 resize JSON (`{"Width":W,"Height":H}`), 255 close of a channel (v5)
//! (kubernetes, staging/src/k8s.io/apimachinery/pkg/util/remotecommand/constants.go, and the
//! kubelet's `remotecommand` `v4WriteStatusFunc`).
//!
//! The "container" is a line echo: it writes `ready` on connect, answers each stdin line with
//! `you typed: <line>`, ends with `exit N` (a `Success` status for 0, else `Failure` /
//! `NonZeroExitCode` with an `ExitCode` cause, as the kubelet writes it), and with `Success`
//! when stdin is closed. What it received (stdin bytes, sizes) is kept per session for tests.
//! RBAC: the upgrade is authorized as `create` on `pods/exec` (Kubernetes 1.35,
//! kubernetes/kubernetes#134577); a forbidden one is a 403 `Status` before any upgrade.

use std::sync::Arc;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use super::errors::status;
use super::routing::{Target, param};
use super::server::{Inner, KubeServer, Shared};

/// One exec session as the peer saw it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExecRecord {
    pub path: String,
    /// The query as sent, in order (`command` repeats, one per argv element).
    pub query: Vec<(String, String)>,
    /// The subprotocol agreed on.
    pub protocol: String,
    /// Every byte received on channel 0.
    pub stdin: Vec<u8>,
    /// Every resize received on channel 4, as sent.
    pub resizes: Vec<Value>,
    /// The exit status sent, if the session got that far.
    pub exit: Option<i32>,
}

impl KubeServer {
    /// The exec sessions so far, oldest first.
    #[must_use]
    pub fn exec_sessions(&self) -> Vec<ExecRecord> {
        self.shared
            .execs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

/// The upgrade a request may carry (the extractor's answer).
pub(super) type Upgrade =
    Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>;

/// The request addresses `pods/{name}/exec` or `pods/{name}/attach` (the same stream;
/// attach runs no command, it joins the container's own process).
pub(super) fn is_exec(target: &Target) -> bool {
    target.ty.plural == "pods" && matches!(target.subresource.as_deref(), Some("exec" | "attach"))
}

/// What a pod subresource that upgrades (exec, attach, portforward) checks first, like the
/// real server: RBAC `create` on it, then the pod. Its name and object, or the
/// error answer (boxed: a `Response` is large).
pub(super) fn creatable_pod<'a>(
    inner: &'a Inner,
    target: &Target,
) -> Result<(String, &'a Value), Box<Response>> {
    let ns = target.namespace.clone().unwrap_or_default();
    if let Some(response) = super::access::forbidden(inner, "create", target, &ns) {
        return Err(Box::new(response));
    }
    let name = target.name.clone().unwrap_or_default();
    match inner.objects.get(&target.key(&name)) {
        Some(pod) => Ok((name, pod)),
        None => Err(Box::new(status(
            StatusCode::NOT_FOUND,
            "NotFound",
            &format!("pods \"{name}\" not found"),
            json!({"name": name, "kind": "pods"}),
        ))),
    }
}

/// An exec request: checked like the real server (RBAC, the pod, its container), then
/// upgraded.
pub(super) fn exec(
    shared: &Arc<Shared>,
    inner: &Inner,
    target: &Target,
    query: Vec<(String, String)>,
    path: String,
    upgrade: Option<WebSocketUpgrade>,
) -> Response {
    let (name, pod) = match creatable_pod(inner, target) {
        Ok(found) => found,
        Err(response) => return *response,
    };
    let containers: Vec<String> = ["containers", "ephemeralContainers"]
        .iter()
        .filter_map(|list| pod["spec"][list].as_array())
        .flatten()
        .filter_map(|c| c["name"].as_str().map(str::to_owned))
        .collect();
    let container = param(&query, "container").unwrap_or_default().to_owned();
    if !containers.contains(&container) {
        return status(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            &format!("container {container} is not valid for pod {name}"),
            json!({}),
        );
    }
    let Some(upgrade) = upgrade else {
        return status(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "Upgrade request required",
            json!({}),
        );
    };
    let shared = Arc::clone(shared);
    upgrade
        .protocols(["v5.channel.k8s.io", "v4.channel.k8s.io"])
        .on_upgrade(move |socket| async move {
            let protocol = socket
                .protocol()
                .and_then(|p| p.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            let index = {
                let mut execs = shared
                    .execs
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                execs.push(ExecRecord {
                    path,
                    query,
                    protocol,
                    ..ExecRecord::default()
                });
                execs.len() - 1
            };
            serve(&shared, index, socket).await;
        })
}

fn frame(channel: u8, data: &[u8]) -> Message {
    let mut bytes = Vec::with_capacity(data.len() + 1);
    bytes.push(channel);
    bytes.extend_from_slice(data);
    Message::Binary(bytes.into())
}

/// The kubelet's exit `Status` for `code`.
fn exit_status(code: i32) -> Value {
    if code == 0 {
        json!({"metadata": {}, "status": "Success"})
    } else {
        json!({"metadata": {}, "status": "Failure",
               "message": format!("command terminated with non-zero exit code: error executing command [sh -c ...], exit code {code}"),
               "reason": "NonZeroExitCode",
               "details": {"causes": [{"reason": "ExitCode", "message": code.to_string()}]}})
    }
}

async fn serve(shared: &Shared, index: usize, mut socket: WebSocket) {
    let record = |f: &mut dyn FnMut(&mut ExecRecord)| {
        let mut execs = shared
            .execs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(r) = execs.get_mut(index) {
            f(r);
        }
    };
    if socket.send(frame(1, b"ready\r\n")).await.is_err() {
        return;
    }
    let mut line = Vec::new();
    let code = loop {
        let Some(Ok(message)) = socket.recv().await else {
            return;
        };
        let Message::Binary(bytes) = message else {
            continue;
        };
        let Some((&channel, data)) = bytes.split_first() else {
            continue;
        };
        match channel {
            0 => {
                record(&mut |r| r.stdin.extend_from_slice(data));
                let mut exit = None;
                for &b in data {
                    if b == b'\r' || b == b'\n' {
                        let text = String::from_utf8_lossy(&line).into_owned();
                        line.clear();
                        if let Some(code) = text.strip_prefix("exit ") {
                            exit = Some(code.trim().parse().unwrap_or(2));
                            break;
                        }
                        let answer = format!("you typed: {text}\r\n");
                        if socket.send(frame(1, answer.as_bytes())).await.is_err() {
                            return;
                        }
                    } else {
                        line.push(b);
                    }
                }
                if let Some(code) = exit {
                    break code;
                }
            }
            4 => {
                let size: Value = serde_json::from_slice(data).unwrap_or(Value::Null);
                record(&mut |r| r.resizes.push(size.clone()));
            }
            // v5: the client closed stdin.
            255 if data.first() == Some(&0) => break 0,
            _ => {}
        }
    };
    record(&mut |r| r.exit = Some(code));
    let body = serde_json::to_vec(&exit_status(code)).unwrap_or_default();
    let _ = socket.send(frame(3, &body)).await;
    // A normal closure (1000), as the API server's stream translator ends the stream
    // (golang.org/x/net/websocket's `Close` writes status 1000): kubectl's demultiplexer
    // (client-go, tools/remotecommand/websocket.go) takes any other close code, 1005 "no
    // status" included, for a broken stream and exits 1 without reading the exit status.
    let _ = socket
        .send(Message::Close(Some(axum::extract::ws::CloseFrame {
            code: axum::extract::ws::close_code::NORMAL,
            reason: "".into(),
        })))
        .await;
}
