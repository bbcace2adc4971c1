//! Log sources (Part 6): Kubernetes pod logs (stern-like multi-pod follow), Loki
//! (`query_range` history and the WebSocket tail), and local files or stdin. Each runs as its
//! own task, parses and sanitizes lines with [`crate::model::logs::parse_line`] off the UI
//! thread, and reports batches as `SourceBody::Logs`. The logs pane says what to read with a
//! [`LogTarget`] (sent as `Control::Logs`); a new target restarts the reading.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::model::SourceHealth;
use crate::model::logs::LogLine;
use crate::sources::{Control, Reporter, SourceBody};

pub mod follow;
pub mod local;
pub mod loki;
pub mod pods;
pub mod resume;
pub mod tail_gaps;
pub mod watchdog;
pub mod window;

/// Lines are sent in batches of at most this many, or every [`BATCH_INTERVAL`].
pub const BATCH_LINES: usize = 4096;
/// How long a source gathers lines before sending what it has.
pub const BATCH_INTERVAL: Duration = Duration::from_millis(50);

/// Sends `items` as one batch (nothing when empty). `false`: the app has gone away.
async fn send(reporter: &Reporter, items: Vec<LogItem>) -> bool {
    items.is_empty()
        || reporter
            .send(SourceBody::Logs(Arc::new(LogBatch::new(items))))
            .await
}

/// Nothing to read: the source is off and the pane shows `message` as a notice.
async fn idle(reporter: &Reporter, message: &str) {
    let _ = reporter.health(SourceHealth::Off).await;
    let _ = send(reporter, vec![LogItem::Notice(message.to_owned())]).await;
}

/// Follows one target at a time: each `Control::Logs` from the pane aborts the previous
/// session and starts one with `start` (the latest request wins); a target `start` refuses
/// leaves the source idle with the reason. Returns when the app drops the control channel.
async fn session_per_target(
    control: &mut mpsc::Receiver<Control>,
    reporter: &Reporter,
    mut start: impl FnMut(LogTarget) -> Result<JoinHandle<()>, String>,
) {
    let mut session: Option<JoinHandle<()>> = None;
    while let Some(message) = control.recv().await {
        let Control::Logs(target) = message else {
            continue;
        };
        if let Some(old) = session.take() {
            old.abort();
        }
        match start(*target) {
            Ok(handle) => session = Some(handle),
            Err(why) => idle(reporter, &why).await,
        }
    }
    if let Some(old) = session {
        old.abort();
    }
}

/// What to read. Built by the logs pane from the scope, the catalog's mapping and pivots.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LogTarget {
    /// The service in scope, when there is one.
    pub service: Option<String>,
    /// Kubernetes: the pods' namespace and label selector (`app=cart`).
    pub namespace: Option<String>,
    pub selector: Option<String>,
    /// One container (by name) instead of every container of each pod.
    pub container: Option<String>,
    /// How far back to start (`None`: the source's default).
    pub since: Option<Duration>,
    /// The previous (crashed) containers' logs instead of the running ones.
    pub previous: bool,
    /// Loki: the LogQL query (`None`: built from the service and selector).
    pub logql: Option<String>,
    /// Only lines of this trace (the span → logs pivot).
    pub trace_id: Option<String>,
    /// The time window chosen by the user (`None`: the source's default). Loki reads it as
    /// `query_range` start/end (and follows live only when it reaches now); pods get
    /// `since` from the logs pane, which also drops lines outside an absolute window.
    pub window: Option<crate::model::window::TimeWindow>,
}

/// Something a log source reports, in order.
#[derive(Debug, Clone)]
pub enum LogItem {
    Line(LogLine),
    /// A stream started (`+ pod › container`) or stopped (`- pod › container`).
    Stream {
        source: Arc<str>,
        started: bool,
        /// Why it stopped or could not start (empty when it simply ended or started).
        detail: String,
    },
    /// Something the user should know that is not an error of the whole source: the stream
    /// cap was reached, a stream is resuming after a disconnect, lines were dropped upstream.
    Notice(String),
    /// Lines the source counted but did not send because the ring could not keep them (the
    /// older part of a file bigger than the ring); they count as dropped.
    Skipped(u64),
    /// The backend refused the query itself (Loki's 400 `parse error at line 1, col 6: …`):
    /// its whole text, shown in an error panel; the source reads nothing more for it.
    QueryError(String),
}

/// One batch of items. Compared by id only (lines are large and come from one source).
#[derive(Debug, Clone)]
pub struct LogBatch {
    pub id: u64,
    pub items: Vec<LogItem>,
}

impl PartialEq for LogBatch {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl LogBatch {
    /// A batch with a process-unique id.
    #[must_use]
    pub fn new(items: Vec<LogItem>) -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        Self {
            id: NEXT.fetch_add(1, Ordering::Relaxed),
            items,
        }
    }
}
