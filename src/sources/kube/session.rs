//! A shell in a pod through kube-rs: `pods/exec` over WebSocket with a TTY
//! (`AttachParams::interactive_tty`: stdin, stdout and tty, no stderr, which a TTY merges
//! into stdout), wired to a [`Session`]'s channels. The kubelet's exit status (channel 3)
//! becomes the session's end.

use futures::SinkExt as _;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Status;
use kube::api::{Api, AttachParams, TerminalSize};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::model::action::ActionRequest;
use crate::model::k8s::shell::{SessionEnd, end_from_status};
use crate::sources::session::{self, Session};

use super::exec::KubeExecutor;

impl KubeExecutor {
    /// Opens the session of an admitted `ExecPod`.
    ///
    /// # Errors
    /// Not an `ExecPod`, no client, or the API server refused the upgrade (403, 404, ...).
    pub async fn open_session(&self, request: &ActionRequest) -> Result<Session, String> {
        let ActionRequest::ExecPod {
            namespace,
            name,
            container,
            command,
        } = request
        else {
            return Err(format!("{} is not a session", request.action_name()));
        };
        let api: Api<Pod> = Api::namespaced(self.client().await?, namespace);
        let params = AttachParams::interactive_tty().container(container.clone());
        let mut process = api
            .exec(name, command.clone(), &params)
            .await
            .map_err(|e| session_error(&format!("exec in pods/{name} in {namespace}"), &e))?;
        let (session, mut peer) = session::pair();
        let mut stdin = process.stdin().ok_or("kube-rs gave no stdin")?;
        let mut stdout = process.stdout().ok_or("kube-rs gave no stdout")?;
        let status = process.take_status().ok_or("kube-rs gave no status")?;
        let mut sizes = process.terminal_size();
        // Each direction is its own task: the output must flow while the user types nothing.
        tokio::spawn(async move {
            while let Some(bytes) = peer.input.recv().await {
                if stdin.write_all(&bytes).await.is_err() || stdin.flush().await.is_err() {
                    break;
                }
            }
            // End of input: kube-rs closes stdin (v5's CLOSE frame, else the socket).
            let _ = stdin.shutdown().await;
        });
        tokio::spawn(async move {
            while let Some((width, height)) = peer.resize.recv().await {
                if let Some(tx) = sizes.as_mut()
                    && tx.send(TerminalSize { width, height }).await.is_err()
                {
                    break;
                }
            }
        });
        let output = peer.output;
        tokio::spawn(async move {
            let mut buf = vec![0_u8; 8192];
            loop {
                match stdout.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        if output.send(buf[..n].to_vec()).await.is_err() {
                            break;
                        }
                    }
                }
            }
            drop(output);
            let end = match status.await {
                Some(status) => end_of(&status),
                None => SessionEnd::broken("the connection closed without an exit status"),
            };
            let _ = peer.end.send(end);
            let _ = process.join().await;
        });
        Ok(session)
    }
}

/// The kubelet's `metav1.Status` as a session end.
fn end_of(status: &Status) -> SessionEnd {
    let causes: Vec<(String, String)> = status
        .details
        .iter()
        .flat_map(|d| d.causes.iter().flatten())
        .map(|c| {
            (
                c.reason.clone().unwrap_or_default(),
                c.message.clone().unwrap_or_default(),
            )
        })
        .collect();
    end_from_status(
        status.status.as_deref().unwrap_or_default(),
        status.reason.as_deref().unwrap_or_default(),
        &crate::model::sanitize::clean(status.message.as_deref().unwrap_or_default()),
        &causes,
    )
}

/// A refused upgrade in the API server's words (the 403's message names the verb and
/// subresource).
fn session_error(what: &str, e: &kube::Error) -> String {
    match e {
        kube::Error::Api(status) => format!("{what}: {} ({})", status.message, status.code),
        kube::Error::UpgradeConnection(e) => format!("{what}: {e}"),
        other => format!("{what}: {other}"),
    }
}
