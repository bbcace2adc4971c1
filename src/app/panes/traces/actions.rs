//! Keys and pivots of the traces pane: open a trace (from the list, or by id from a log
//! line), move through its spans, collapse and expand, the span detail, errors only and a
//! minimum duration for the list, and from a span to the logs of its trace.

use crate::app::msg::Cmd;
use crate::app::state::{Modal, PaneId, Prompt, PromptPurpose, State, ToastLevel, View};
use crate::keymap::Action;

/// Opens the trace `trace_id` in the traces pane and asks the source for it.
pub fn open_trace_by_id(state: &mut State, trace_id: &str) -> Vec<Cmd> {
    let id = trace_id.trim().to_ascii_lowercase();
    state.panes.traces.open_id = Some(id.clone());
    state.panes.traces.open = None;
    state.panes.traces.error = None;
    if state.view().pane() != PaneId::Traces {
        state.history.push(View::Pane(PaneId::Traces));
    }
    state.dirty = true;
    vec![Cmd::LoadTrace { trace_id: id }]
}

fn search(state: &State) -> Vec<Cmd> {
    vec![Cmd::TraceSearch(Box::new(state.panes.traces.search()))]
}

/// `T` on the card: the traces of a service (the scope's when none is named).
pub fn open_traces(state: &mut State, service: Option<String>) -> Vec<Cmd> {
    state.panes.traces.service = service.or_else(|| state.scope.clone());
    if state.view().pane() != PaneId::Traces {
        state.history.push(View::Pane(PaneId::Traces));
    }
    state.dirty = true;
    search(state)
}

/// Runs a traces-pane action; `None` when the action is not the pane's.
pub fn on_action(state: &mut State, action: Action) -> Option<Vec<Cmd>> {
    state.dirty = true;
    let traces = &mut state.panes.traces;
    if let Some(open) = traces.open.as_mut() {
        match action {
            Action::Up => open.move_by(-1),
            Action::Down => open.move_by(1),
            Action::PageUp => open.move_by(-10),
            Action::PageDown => open.move_by(10),
            Action::Top => open.selected = 0,
            Action::Bottom => open.move_by(isize::MAX / 2),
            Action::Select => open.detail = !open.detail,
            Action::Expand => open.set_collapsed(false),
            Action::Collapse => open.set_collapsed(true),
            // Every service's lines of the trace: the span's own service may have logged
            // nothing about it, its caller did.
            Action::OpenLogs => {
                let trace_id = open.trace.trace_id.clone();
                return Some(crate::app::panes::logs::actions::open_logs(
                    state,
                    None,
                    Some(trace_id),
                ));
            }
            _ => return None,
        }
        return Some(Vec::new());
    }
    match action {
        Action::Select => {
            let id = traces.selected()?.trace_id.clone();
            Some(open_trace_by_id(state, &id))
        }
        Action::OpenLogs => {
            let trace_id = traces.selected()?.trace_id.clone();
            Some(crate::app::panes::logs::actions::open_logs(
                state,
                None,
                Some(trace_id),
            ))
        }
        Action::ErrorsOnly => {
            traces.errors_only = !traces.errors_only;
            let word = if traces.errors_only {
                "only traces with errors"
            } else {
                "all traces"
            };
            state.toast(ToastLevel::Info, word);
            Some(search(state))
        }
        Action::MinDuration => {
            state.modal = Some(Modal::Prompt(Prompt {
                title: "show traces at least this long".into(),
                input: String::new(),
                error: None,
                purpose: PromptPurpose::MinDuration,
                hint: "500ms, 2s, 1.5s; empty shows every trace".into(),
            }));
            Some(Vec::new())
        }
        _ => None,
    }
}

/// The minimum-duration prompt was answered.
pub fn min_duration_entered(state: &mut State, input: &str) -> Result<Vec<Cmd>, String> {
    state.panes.traces.min_duration = crate::app::panes::traces::parse_min_duration(input)?;
    Ok(search(state))
}
