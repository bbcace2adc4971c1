//! The Kubernetes source of a configured context: a [`KubeWatch`] on the context's kube
//! context, its snapshots forwarded to the app as `SourceBody::Kube`, and its health: the first
//! failing kind's error (an RBAC denial on one kind shows, while the others keep updating), else
//! ok. Without configured workload namespaces it watches the kube context's own namespace.

use std::path::PathBuf;
use std::sync::Arc;

use jiff::Timestamp;
use tokio::sync::mpsc;

use super::{KindHealth, KubeKind, KubeWatch, WatchScope, client_for_context};
use crate::model::SourceHealth;
use crate::sources::{Control, Reporter, SourceBody, SourceEvent, SourceHandle, SourceId};

/// Starts watching `kube_context` within `scope`. The kubeconfig is kubectl's (`KUBECONFIG`
/// or `~/.kube/config`) unless `kubeconfig` names one.
#[must_use]
pub fn spawn(
    kubeconfig: Option<PathBuf>,
    kube_context: String,
    scope: WatchScope,
    generation: u64,
    events: mpsc::Sender<SourceEvent>,
) -> SourceHandle {
    let (control_tx, control_rx) = mpsc::channel::<Control>(8);
    let reporter = Reporter::new(SourceId::Kube, generation, events);
    let task = tokio::spawn(run(kubeconfig, kube_context, scope, reporter, control_rx));
    SourceHandle::new(SourceId::Kube, control_tx, task)
}

async fn run(
    kubeconfig: Option<PathBuf>,
    kube_context: String,
    scope: WatchScope,
    reporter: Reporter,
    mut control: mpsc::Receiver<Control>,
) {
    let client = match client_for_context(&kube_context, kubeconfig.as_deref()).await {
        Ok(client) => client,
        Err(message) => {
            reporter.error(message, None).await;
            return;
        }
    };
    let mut scope = scope;
    if scope.workload_namespaces.is_empty() {
        scope.workload_namespaces = vec![client.default_namespace().to_owned()];
    }
    let watch = KubeWatch::spawn(&client, &scope);
    let mut snapshots = watch.subscribe();
    let mut last_good = None;
    let mut paused = false;
    loop {
        tokio::select! {
            changed = snapshots.changed() => {
                if changed.is_err() {
                    return;
                }
                if paused {
                    continue;
                }
                let snapshot = Arc::clone(&snapshots.borrow_and_update());
                if snapshot.generation == 0 {
                    continue;
                }
                let failing = KubeKind::ALL.into_iter().find_map(|kind| match snapshot.health(kind) {
                    KindHealth::Error(message) => Some(message),
                    _ => None,
                });
                let health = match failing {
                    Some(message) => SourceHealth::Error {
                        message: message.clone(),
                        since: Timestamp::now(),
                        last_good,
                    },
                    None => {
                        let now = Timestamp::now();
                        last_good = Some(now);
                        SourceHealth::Ok { at: now }
                    }
                };
                if !reporter.send(SourceBody::Kube(snapshot)).await
                    || !reporter.health(health).await
                {
                    return;
                }
            }
            message = control.recv() => match message {
                None => return,
                // Watches push every change; there is nothing to poll.
                Some(Control::Pause(p)) => paused = p,
                Some(
                    Control::Refresh
                    | Control::SetScope(_)
                    | Control::SetInterval(_)
                    | Control::Logs(_)
                    | Control::TraceSearch(_),
                ) => {}
            },
        }
    }
}
