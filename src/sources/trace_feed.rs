//! The traces source of a context: searches the trace backend (Tempo, Jaeger or the sandbox)
//! for the traces pane's current search every ten seconds, or at once when the search, the
//! scope or a refresh asks, and opens single traces on demand through [`TraceLookup`].

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::mpsc;

use crate::model::SourceHealth;
use crate::model::traces::service_map::{MapAnswer, ServiceMap};
use crate::model::traces::{Trace, TraceSummary};
use crate::sources::sandbox::SandboxHandle;
use crate::sources::traces::{TraceBackend, TraceSearch};
use crate::sources::{Control, Reporter, SourceBody, SourceEvent, SourceHandle, SourceId};

/// How often the trace list is searched again.
const EVERY: Duration = Duration::from_secs(10);

/// One answer to a search: the rows, for which search (the pane drops answers to any
/// search but its latest), or why the search failed (shown whole when the user wrote it).
#[derive(Debug, Clone, PartialEq)]
pub struct TraceList {
    pub search: TraceSearch,
    pub rows: Vec<TraceSummary>,
    pub error: Option<String>,
}

/// Where traces come from in the current context.
#[derive(Debug, Clone)]
pub enum TraceLookup {
    Sandbox(SandboxHandle),
    Backend(TraceBackend),
    Unavailable(String),
}

impl TraceLookup {
    /// Searches for traces.
    ///
    /// # Errors
    /// The backend's error, or why there is none.
    pub async fn search(&self, search: &TraceSearch) -> Result<Vec<TraceSummary>, String> {
        match self {
            Self::Sandbox(s) => s.trace_search(search.clone()).await,
            Self::Backend(b) => b.search(search).await,
            Self::Unavailable(why) => Err(why.clone()),
        }
    }

    /// One trace by id.
    ///
    /// # Errors
    /// The backend's error, or why there is none.
    pub async fn trace(&self, trace_id: &str) -> Result<Trace, String> {
        match self {
            Self::Sandbox(s) => s
                .trace(trace_id.to_owned())
                .await?
                .ok_or_else(|| format!("trace {trace_id} not found in the sandbox")),
            Self::Backend(b) => b.trace(trace_id).await,
            Self::Unavailable(why) => Err(why.clone()),
        }
    }
}

/// Traces fetched at once for a service map: enough to hide latency, few enough not to
/// hammer the backend.
const MAP_FETCHES_AT_ONCE: usize = 4;

impl TraceLookup {
    /// Loads `trace_ids` whole (a few at a time) and builds their service map. Traces that
    /// fail are counted, with the first reason; the map fails only when every one does.
    ///
    /// # Errors
    /// The first trace's error when none could be loaded.
    pub async fn service_map(&self, trace_ids: Vec<String>) -> Result<MapAnswer, String> {
        use futures::StreamExt;
        let asked = trace_ids.len();
        let results: Vec<Result<Trace, String>> = futures::stream::iter(trace_ids)
            .map(|id| async move { self.trace(&id).await })
            .buffer_unordered(MAP_FETCHES_AT_ONCE)
            .collect()
            .await;
        let mut traces = Vec::with_capacity(results.len());
        let mut first_error = None;
        for result in results {
            match result {
                Ok(trace) => traces.push(trace),
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        if traces.is_empty() && asked > 0 {
            return Err(first_error.unwrap_or_default());
        }
        // Same order whatever order the fetches finished in.
        traces.sort_by(|a, b| a.trace_id.cmp(&b.trace_id));
        Ok(MapAnswer {
            map: ServiceMap::from_traces(&traces),
            failed: asked - traces.len(),
            first_error,
            built_at: Timestamp::now(),
        })
    }
}

/// Starts searching with `lookup`.
#[must_use]
pub fn spawn(
    lookup: TraceLookup,
    generation: u64,
    events: mpsc::Sender<SourceEvent>,
) -> SourceHandle {
    let (control_tx, control_rx) = mpsc::channel::<Control>(8);
    let reporter = Reporter::new(SourceId::Traces, generation, events);
    let task = tokio::spawn(run(lookup, reporter, control_rx));
    SourceHandle::new(SourceId::Traces, control_tx, task)
}

/// What a control message does to the loop: `false` when the app has gone away.
fn apply(message: Option<Control>, search: &mut TraceSearch, paused: &mut bool) -> bool {
    match message {
        None => return false,
        Some(Control::TraceSearch(new)) => *search = *new,
        Some(Control::SetScope(scope)) => search.service = scope,
        Some(Control::Pause(p)) => *paused = p,
        Some(Control::Refresh | Control::SetInterval(_) | Control::Logs(_)) => {}
    }
    true
}

async fn run(lookup: TraceLookup, reporter: Reporter, mut control: mpsc::Receiver<Control>) {
    let mut search = TraceSearch {
        limit: 50,
        ..TraceSearch::default()
    };
    let mut last_good = None;
    let mut paused = false;
    loop {
        if !paused {
            // The window becomes start/end now, so a relative window slides with each poll.
            let resolved = search.resolved(Timestamp::now());
            // A message while the search runs abandons it: the latest request wins at once
            // instead of waiting behind a slow answer nobody wants any more.
            let answer = tokio::select! {
                answer = lookup.search(&resolved) => answer,
                message = control.recv() => {
                    if !apply(message, &mut search, &mut paused) {
                        return;
                    }
                    continue;
                }
            };
            let (list, health) = match answer {
                Ok(rows) => {
                    let now = Timestamp::now();
                    last_good = Some(now);
                    let list = TraceList {
                        search: search.clone(),
                        rows,
                        error: None,
                    };
                    (list, SourceHealth::Ok { at: now })
                }
                Err(message) => {
                    let list = TraceList {
                        search: search.clone(),
                        rows: Vec::new(),
                        error: Some(message.clone()),
                    };
                    let health = SourceHealth::Error {
                        message,
                        since: Timestamp::now(),
                        last_good,
                    };
                    (list, health)
                }
            };
            if !reporter.send(SourceBody::Traces(Arc::new(list))).await
                || !reporter.health(health).await
            {
                return;
            }
        }
        tokio::select! {
            () = tokio::time::sleep(EVERY) => {}
            message = control.recv() => {
                if !apply(message, &mut search, &mut paused) {
                    return;
                }
            }
        }
    }
}
