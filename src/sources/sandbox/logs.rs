//! The sandbox's log source: the lines of every running pod of the services in the target
//! (all services when none is named), from the request model of [`super::telemetry`]. A new
//! target starts with the last five minutes (or its window), then new lines arrive every half
//! second; pods that start or stop (a restart, a rollout) show as `+`/`-` markers. A target
//! with LogQL (`:logs {app="payments-api"} |= "timed out"`) is filtered through the subset of
//! [`super::logql`]; LogQL beyond it is refused with the reason, as Loki would. A window in
//! the past is read once.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use tokio::sync::mpsc;

use super::fleet::SERVICES;
use super::telemetry::{BACKLOG_SECONDS, log_line, requests};
use super::{SandboxHandle, World};
use crate::model::SourceHealth;
use crate::model::logs::parse_line;
use crate::sources::logs::{LogBatch, LogItem, LogTarget};
use crate::sources::{Control, Reporter, SourceBody, SourceEvent, SourceHandle, SourceId};

/// How often the source asks for new lines.
const POLL: Duration = Duration::from_millis(500);
/// Most lines one answer carries (the newest), so a week's window stays within the ring.
pub const MAX_LINES: usize = 20_000;

/// Lines of `[from, now)` for `target`, with the running pods of each service.
#[derive(Debug, Clone, Default)]
pub struct LogWindow {
    pub to: Option<Timestamp>,
    /// `(pod, raw line)`, oldest first.
    pub lines: Vec<(String, String)>,
    /// Running pods per service.
    pub pods: BTreeMap<String, Vec<String>>,
    /// Why the target's LogQL cannot be run (nothing else is then filled in).
    pub query_error: Option<String>,
    /// Lines left out (the oldest) beyond [`MAX_LINES`].
    pub cut: usize,
}

impl World {
    /// The log lines the sandbox's pods wrote in `[from, now)` for `target`.
    pub fn logs(&mut self, target: &LogTarget, from: Option<Timestamp>) -> LogWindow {
        let query = match target
            .logql
            .as_deref()
            .map(super::logql::SandboxLogQl::parse)
        {
            Some(Err(e)) => {
                return LogWindow {
                    query_error: Some(e),
                    ..LogWindow::default()
                };
            }
            Some(Ok(q)) => Some(q),
            None => None,
        };
        let clock = self.now();
        let (first, now) = match target.window {
            Some(w) => {
                let (f, t) = w.resolve(clock);
                (f, t.min(clock))
            }
            None => (clock - SignedDuration::from_secs(BACKLOG_SECONDS), clock),
        };
        let from = from.unwrap_or(first);
        let squad_of = |service: &str| SERVICES.iter().find(|t| t.0 == service).map_or("", |t| t.1);
        let services: Vec<&str> = match &target.service {
            Some(s) => SERVICES.iter().filter(|t| t.0 == s).map(|t| t.0).collect(),
            None => SERVICES.iter().map(|t| t.0).collect(),
        };
        let mut window = LogWindow {
            to: Some(now),
            ..LogWindow::default()
        };
        // One tick of the simulated cluster for the whole window, not one per service.
        let cluster = self.cluster();
        let pods_of: Vec<Vec<String>> = services
            .iter()
            .map(|s| cluster.running_pods(s, clock))
            .collect();
        let mut lines: Vec<(Timestamp, String, String)> = Vec::new();
        for (service, pods) in services.into_iter().zip(pods_of) {
            for r in requests(self, service, from, now) {
                if pods.is_empty() {
                    break;
                }
                if target
                    .trace_id
                    .as_deref()
                    .is_some_and(|id| !r.trace_id.eq_ignore_ascii_case(id))
                {
                    continue;
                }
                let pod = &pods[usize::try_from(r.number).unwrap_or(0) % pods.len()];
                let line = log_line(&r);
                if let Some(q) = &query {
                    let level = if r.error {
                        "error"
                    } else if r.duration_ms > 300 {
                        "warn"
                    } else {
                        "info"
                    };
                    let selected = q.selects(|name| match name {
                        "app" | "service" | "service_name" => Some(service),
                        "namespace" | "squad" => Some(squad_of(service)),
                        "pod" => Some(pod.as_str()),
                        "level" => Some(level),
                        _ => None,
                    });
                    if !selected || !q.keeps(&line) {
                        continue;
                    }
                }
                lines.push((r.at, pod.clone(), line));
            }
            window.pods.insert(service.to_owned(), pods);
        }
        lines.sort_by_key(|l| l.0);
        window.cut = lines.len().saturating_sub(MAX_LINES);
        lines.drain(..window.cut);
        window.lines = lines
            .into_iter()
            .map(|(_, pod, line)| (pod, line))
            .collect();
        window
    }
}

/// What the pane should know about an answer: lines left out, a window read once.
fn notices(window: &LogWindow, target: &LogTarget) -> Vec<LogItem> {
    let mut items = Vec::new();
    if window.cut > 0 {
        items.push(LogItem::Notice(format!(
            "the sandbox sent the newest {MAX_LINES} lines; {} older ones left out",
            window.cut
        )));
    }
    if let Some(w) = target.window.filter(|w| !w.is_live()) {
        items.push(LogItem::Notice(format!(
            "window {}: read once, no live tail (the window is in the past)",
            w.label()
        )));
    }
    items
}

/// Starts the sandbox's log source.
#[must_use]
pub fn spawn_logs(
    sandbox: SandboxHandle,
    generation: u64,
    events: mpsc::Sender<SourceEvent>,
) -> SourceHandle {
    let (control_tx, control_rx) = mpsc::channel::<Control>(8);
    let reporter = Reporter::new(SourceId::Logs, generation, events);
    let task = tokio::spawn(run(sandbox, reporter, control_rx));
    SourceHandle::new(SourceId::Logs, control_tx, task)
}

async fn run(sandbox: SandboxHandle, reporter: Reporter, mut control: mpsc::Receiver<Control>) {
    let mut target = LogTarget::default();
    let mut from: Option<Timestamp> = None;
    let mut pods: BTreeSet<String> = BTreeSet::new();
    let mut paused = false;
    // A query the sandbox refused, or a window in the past already read: nothing to poll.
    let mut done = false;
    loop {
        if !paused && !done {
            let Ok(window) = sandbox.logs(target.clone(), from).await else {
                return;
            };
            if let Some(e) = window.query_error {
                done = true;
                let batch = LogBatch::new(vec![LogItem::QueryError(e.clone())]);
                if !reporter.send(SourceBody::Logs(Arc::new(batch))).await
                    || !reporter.error(e, None).await
                {
                    return;
                }
                continue;
            }
            let mut items = notices(&window, &target);
            done = target.window.is_some_and(|w| !w.is_live());
            // One trace's lines need no pod comings and goings around them.
            let now_pods: BTreeSet<String> = if target.trace_id.is_some() {
                BTreeSet::new()
            } else {
                window.pods.values().flatten().cloned().collect()
            };
            for gone in pods.difference(&now_pods) {
                items.push(LogItem::Stream {
                    source: Arc::from(gone.as_str()),
                    started: false,
                    detail: String::new(),
                });
            }
            for new in now_pods.difference(&pods) {
                items.push(LogItem::Stream {
                    source: Arc::from(new.as_str()),
                    started: true,
                    detail: String::new(),
                });
            }
            pods = now_pods;
            let mut sources: BTreeMap<String, Arc<str>> = BTreeMap::new();
            for (pod, line) in window.lines {
                let source = sources
                    .entry(pod)
                    .or_insert_with_key(|p| Arc::from(p.as_str()))
                    .clone();
                items.push(LogItem::Line(parse_line(line.as_bytes(), source)));
            }
            from = window.to;
            if !items.is_empty()
                && !reporter
                    .send(SourceBody::Logs(Arc::new(LogBatch::new(items))))
                    .await
            {
                return;
            }
            if !reporter
                .health(SourceHealth::Ok {
                    at: Timestamp::now(),
                })
                .await
            {
                return;
            }
        }
        tokio::select! {
            () = tokio::time::sleep(POLL) => {}
            message = control.recv() => match message {
                None => return,
                Some(Control::Logs(new)) => {
                    target = *new;
                    from = None;
                    pods.clear();
                    done = false;
                }
                Some(Control::Pause(p)) => paused = p,
                Some(
                    Control::Refresh
                    | Control::SetScope(_)
                    | Control::SetInterval(_)
                    | Control::TraceSearch(_),
                ) => {}
            },
        }
    }
}
