//! `pods/{name}/portforward?ports=N,M` over WebSocket, as the kubelet serves it behind the API
//! server: subprotocol `v4.channel.k8s.io` (the kubelet's list is `""`, `v4.channel.k8s.io`,
//! `v4.base64.channel.k8s.io`; it has no v5), and for the i-th requested port a data channel
//! `2i` and an error channel `2i+1`, each opened by the server with the port as a
//! little-endian u16 before any data; an error is text on the error channel, written once
//! (kubernetes, staging/src/k8s.io/kubelet/pkg/cri/streaming/portforward/websocket.go,
//! `handleWebSocketStreams` and `portForward`, read at commit 25d732ce).
//!
//! The "pod" echoes: every byte received on a port's data channel is sent back on it. A port
//! that no container of the pod declares is not listening: its error channel gets the
//! kubelet's "error forwarding port …" text and the socket closes. Each connection is recorded
//! (method, path, query as sent, subprotocol, bytes received) for tests. RBAC: the upgrade is
//! authorized as `create` on `pods/portforward` (kubernetes/kubernetes#134577); a forbidden
//! one is a 403 `Status` before any upgrade.

use std::sync::Arc;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use super::errors::status;
use super::routing::{Target, param};
use super::server::{Inner, KubeServer, Shared};

/// One port-forward connection as the peer saw it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ForwardRecord {
    pub method: String,
    pub path: String,
    /// The query string as sent (`ports=8080`, percent-encoded as the client wrote it).
    pub query: String,
    /// The ports asked for, in order.
    pub ports: Vec<u16>,
    /// The subprotocol agreed on.
    pub protocol: String,
    /// Every byte received on the data channels.
    pub received: Vec<u8>,
    /// The error text sent, if a port was not listening.
    pub error: Option<String>,
}

impl KubeServer {
    /// The port-forward connections so far, oldest first.
    #[must_use]
    pub fn forward_sessions(&self) -> Vec<ForwardRecord> {
        self.shared
            .forwards
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

/// The request addresses `pods/{name}/portforward`.
pub(super) fn is_portforward(target: &Target) -> bool {
    target.ty.plural == "pods" && target.subresource.as_deref() == Some("portforward")
}

/// A port-forward request: checked like the real server (RBAC, the pod, the ports), then
/// upgraded.
pub(super) fn portforward(
    shared: &Arc<Shared>,
    inner: &Inner,
    target: &Target,
    (method, path, raw_query): (String, String, String),
    query: &[(String, String)],
    upgrade: Option<WebSocketUpgrade>,
) -> Response {
    let (name, pod) = match super::exec::creatable_pod(inner, target) {
        Ok(found) => found,
        Err(response) => return *response,
    };
    let ports: Result<Vec<u16>, _> = param(query, "ports")
        .unwrap_or_default()
        .split(',')
        .map(str::parse::<u16>)
        .collect();
    let Ok(ports) = ports
        .map_err(|_| ())
        .and_then(|p| if p.is_empty() { Err(()) } else { Ok(p) })
    else {
        return status(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            "invalid port in the ports query",
            json!({}),
        );
    };
    let listening: Vec<u16> = pod["spec"]["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|c| c["ports"].as_array().cloned().unwrap_or_default())
        .filter_map(|p| p["containerPort"].as_u64())
        .filter_map(|p| u16::try_from(p).ok())
        .collect();
    let uid = pod["metadata"]["uid"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
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
        .protocols(["v4.channel.k8s.io"])
        .on_upgrade(move |socket| async move {
            let protocol = socket
                .protocol()
                .and_then(|p| p.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            let index = {
                let mut forwards = shared
                    .forwards
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                forwards.push(ForwardRecord {
                    method,
                    path,
                    query: raw_query,
                    ports: ports.clone(),
                    protocol,
                    ..ForwardRecord::default()
                });
                forwards.len() - 1
            };
            let closed = ports.iter().find(|p| !listening.contains(p)).map(|&port| {
                format!(
                    "error forwarding port {port} to pod {name}, uid {uid}: failed to \
                         connect to localhost:{port} inside namespace: connection refused"
                )
            });
            serve(&shared, index, socket, &ports, closed).await;
        })
}

fn frame(channel: u8, data: &[u8]) -> Message {
    let mut bytes = Vec::with_capacity(data.len() + 1);
    bytes.push(channel);
    bytes.extend_from_slice(data);
    Message::Binary(bytes.into())
}

async fn serve(
    shared: &Shared,
    index: usize,
    mut socket: WebSocket,
    ports: &[u16],
    closed: Option<String>,
) {
    let record = |f: &mut dyn FnMut(&mut ForwardRecord)| {
        let mut forwards = shared
            .forwards
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(r) = forwards.get_mut(index) {
            f(r);
        }
    };
    for (i, port) in ports.iter().enumerate() {
        let data = u8::try_from(2 * i).unwrap_or(u8::MAX);
        for channel in [data, data + 1] {
            if socket
                .send(frame(channel, &port.to_le_bytes()))
                .await
                .is_err()
            {
                return;
            }
        }
    }
    // The error goes on the first port's error channel; the socket stays open until the
    // client closes it (the client sees the port as unusable and gives up).
    if let Some(error) = &closed {
        record(&mut |r| r.error = Some(error.clone()));
        if socket.send(frame(1, error.as_bytes())).await.is_err() {
            return;
        }
    }
    while let Some(Ok(message)) = socket.recv().await {
        match message {
            Message::Binary(bytes) => {
                let Some((&channel, data)) = bytes.split_first() else {
                    continue;
                };
                if channel % 2 == 0 && usize::from(channel / 2) < ports.len() {
                    record(&mut |r| r.received.extend_from_slice(data));
                    if closed.is_none() && socket.send(frame(channel, data)).await.is_err() {
                        return;
                    }
                }
            }
            // The client closes once its local connection ended: reading on lets the
            // WebSocket send its half of the closing handshake before the socket is dropped.
            Message::Close(_) => {
                while let Some(Ok(_)) = socket.recv().await {}
                return;
            }
            _ => {}
        }
    }
}
