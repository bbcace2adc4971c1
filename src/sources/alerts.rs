//! The alerts source: polls the context's [`AlertsBackend`] (Alertmanager, or the
//! sandbox's simulated one) and reports every alert and silence it holds. The same backend
//! runs the silence actions, so what the pane lists and what a silence changes are one
//! system.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use super::backend::AlertsBackend;
use super::poller::{self, PollSettings};
use super::{Reporter, SourceBody, SourceHandle, SourceId};

/// How often alerts are read: Alertmanager's own UI refreshes every 10 s; a page should show
/// within a few seconds of its notification.
pub const DEFAULT_REFRESH: Duration = Duration::from_secs(5);

/// Starts polling `backend` every `refresh`.
#[must_use]
pub fn spawn(
    backend: Arc<dyn AlertsBackend>,
    refresh: Duration,
    generation: u64,
    events: mpsc::Sender<super::SourceEvent>,
) -> SourceHandle {
    let (control_tx, control_rx) = mpsc::channel(8);
    let reporter = Reporter::new(SourceId::Alerts, generation, events);
    let task = tokio::spawn(async move {
        let settings = PollSettings {
            interval: refresh,
            timeout: Duration::from_secs(10),
        };
        poller::run(reporter, control_rx, settings, move |_scope| {
            let backend = Arc::clone(&backend);
            async move {
                backend
                    .snapshot()
                    .await
                    .map(|snapshot| SourceBody::Alerts(Arc::new(snapshot)))
                    .map_err(|e| e.to_string())
            }
        })
        .await;
    });
    SourceHandle::new(SourceId::Alerts, control_tx, task)
}
