//! The sandbox's log source: the lines of every running pod of the services in the target
//! (all services when none is named), from the request model of [`super::telemetry`]. A new
//! target starts with the last five minutes, then new lines arrive every half second; pods
//! that start or stop (a restart, a rollout) show as `+`/`-` markers.

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

/// Lines of `[from, now)` for `target`, with the running pods of each service.
#[derive(Debug, Clone, Default)]
pub struct LogWindow {
    pub to: Option<Timestamp>,
    /// `(pod, raw line)`, oldest first.
    pub lines: Vec<(String, String)>,
    /// Running pods per service.
    pub pods: BTreeMap<String, Vec<String>>,
}

impl World {
    /// The log lines the sandbox's pods wrote in `[from, now)` for `target`.
    pub fn logs(&mut self, target: &LogTarget, from: Option<Timestamp>) -> LogWindow {
        let now = self.now();
        let from = from.unwrap_or(now - SignedDuration::from_secs(BACKLOG_SECONDS));
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
            .map(|s| cluster.running_pods(s, now))
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
                lines.push((r.at, pod.clone(), log_line(&r)));
            }
            window.pods.insert(service.to_owned(), pods);
        }
        lines.sort_by_key(|l| l.0);
        window.lines = lines
            .into_iter()
            .map(|(_, pod, line)| (pod, line))
            .collect();
        window
    }
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
    loop {
        if !paused {
            let Ok(window) = sandbox.logs(target.clone(), from).await else {
                return;
            };
            let mut items = Vec::new();
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
