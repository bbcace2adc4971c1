//! A shell in a pod through kube-rs: `pods/exec` over WebSocket with a TTY, or a debug
//! container added through `pods/ephemeralcontainers` and attached (`pods/attach`)
//! (`AttachParams::interactive_tty`: stdin, stdout and tty, no stderr, which a TTY merges
//! into stdout), wired to a [`Session`]'s channels. The kubelet's exit status (channel 3)
//! becomes the session's end.

use futures::SinkExt as _;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Status;
use kube::api::{Api, AttachParams, AttachedProcess, Patch, PatchParams, TerminalSize};
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
        let process = match request {
            ActionRequest::ExecPod {
                namespace,
                name,
                container,
                command,
            } => {
                let api: Api<Pod> = Api::namespaced(self.client().await?, namespace);
                let params = AttachParams::interactive_tty().container(container.clone());
                api.exec(name, command.clone(), &params)
                    .await
                    .map_err(|e| {
                        session_error(&format!("exec in pods/{name} in {namespace}"), &e)
                    })?
            }
            ActionRequest::DebugPod {
                namespace,
                name,
                target,
                image,
                container,
            } => {
                self.debug(namespace, name, target, image, container)
                    .await?
            }
            other => return Err(format!("{} is not a session", other.action_name())),
        };
        Ok(wire(process))
    }

    /// `kubectl debug -it --image --target`: the ephemeral container is added with a
    /// strategic merge patch of `pods/ephemeralcontainers`, waited for until it runs (as
    /// kubectl's `waitForContainer` does; it gives up when the container terminates), then
    /// attached with a TTY (kubernetes/kubectl, pkg/cmd/debug/debug.go, `Run`,
    /// `debugByEphemeralContainer`, `handleAttachPod`).
    async fn debug(
        &self,
        namespace: &str,
        name: &str,
        target: &str,
        image: &str,
        container: &str,
    ) -> Result<AttachedProcess, String> {
        let api: Api<Pod> = Api::namespaced(self.client().await?, namespace);
        let patch = crate::model::k8s::shell::ephemeral_patch(container, image, target);
        api.patch_ephemeral_containers(name, &PatchParams::default(), &Patch::Strategic(&patch))
            .await
            .map_err(|e| {
                // A 404 naming no object: the subresource itself is missing (debug.go).
                if let kube::Error::Api(s) = &e
                    && s.code == 404
                    && s.details.as_ref().is_none_or(|d| d.name.is_empty())
                {
                    return format!(
                        "add a debug container to pods/{name} in {namespace}: ephemeral \
                         containers are disabled for this cluster"
                    );
                }
                session_error(
                    &format!("add a debug container to pods/{name} in {namespace}"),
                    &e,
                )
            })?;
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_mins(2);
        loop {
            let pod = api
                .get(name)
                .await
                .map_err(|e| session_error(&format!("get pods/{name} in {namespace}"), &e))?;
            let state = pod
                .status
                .as_ref()
                .and_then(|s| s.ephemeral_container_statuses.as_ref())
                .and_then(|all| all.iter().find(|c| c.name == container))
                .and_then(|c| c.state.clone());
            match state {
                Some(s) if s.running.is_some() => break,
                Some(s) if s.terminated.is_some() => {
                    return Err(format!(
                        "debug container {container} in pods/{name} ended before it could be attached"
                    ));
                }
                _ => {}
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(format!(
                    "debug container {container} in pods/{name} did not start within 2 minutes (image {image})"
                ));
            }
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
        let params = AttachParams::interactive_tty().container(container.to_owned());
        api.attach(name, &params).await.map_err(|e| {
            session_error(
                &format!("attach to {container} in pods/{name} in {namespace}"),
                &e,
            )
        })
    }
}

/// The channels of a [`Session`] wired to kube-rs's attached process.
fn wire(mut process: AttachedProcess) -> Session {
    let (session, mut peer) = session::pair();
    // interactive_tty asks for stdin, stdout and the status: kube-rs gives all three.
    let (Some(mut stdin), Some(mut stdout), Some(status)) =
        (process.stdin(), process.stdout(), process.take_status())
    else {
        let (session, peer) = session::pair();
        let _ = peer.end.send(SessionEnd::broken(
            "kube-rs gave no stdin, stdout or status",
        ));
        return session;
    };
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
    session
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
