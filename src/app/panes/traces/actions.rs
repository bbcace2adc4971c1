//! Keys and pivots of the traces pane: open a trace (from the list, or by id from a log
//! line), move through its spans, collapse and expand, the span detail, errors only and a
//! minimum duration for the list, and from a span to the logs of its trace.

use crate::app::ctx::{Ctx, Focus, Intent};
use crate::app::msg::Cmd;
use crate::app::panes::PaneId;
use crate::app::panes::traces::TracesPane;
use crate::app::state::{Prompt, PromptPurpose, ToastLevel};
use crate::keymap::Action;
use crate::model::window::TimeWindow;

/// The pane's own keys (besides the global and `[table]` ones): what its keymap section
/// may bind, and what the router lets through to [`on_action`].
pub const ACTIONS: &[crate::keymap::Action] = &[
    crate::keymap::Action::OpenLogs,
    crate::keymap::Action::Expand,
    crate::keymap::Action::Collapse,
    crate::keymap::Action::ErrorsOnly,
    crate::keymap::Action::MinDuration,
    crate::keymap::Action::ServiceMap,
    crate::keymap::Action::TimeWindow,
    crate::keymap::Action::SearchTraces,
];

/// Opens the trace `trace_id` in the traces pane and asks the source for it.
pub fn open_trace_by_id(traces: &mut TracesPane, ctx: &mut Ctx<'_>, trace_id: &str) -> Vec<Cmd> {
    let id = trace_id.trim().to_ascii_lowercase();
    traces.open_id = Some(id.clone());
    traces.open = None;
    traces.error = None;
    ctx.show(PaneId::Traces);
    vec![Cmd::LoadTrace { trace_id: id }]
}

fn search(traces: &TracesPane) -> Vec<Cmd> {
    vec![Cmd::TraceSearch(Box::new(traces.search()))]
}

/// `T` on the card: the traces of a service (the scope's when none is named).
pub fn open_traces(
    traces: &mut TracesPane,
    ctx: &mut Ctx<'_>,
    service: Option<String>,
) -> Vec<Cmd> {
    traces.service = service.or_else(|| ctx.scope.map(str::to_owned));
    ctx.show(PaneId::Traces);
    search(traces)
}

/// Another pane asked for the traces of a service, or for one trace.
pub fn focus(traces: &mut TracesPane, ctx: &mut Ctx<'_>, focus: &Focus) -> Vec<Cmd> {
    match focus {
        Focus::Traces { service } => open_traces(traces, ctx, service.clone()),
        Focus::Trace(trace_id) => open_trace_by_id(traces, ctx, trace_id),
        _ => Vec::new(),
    }
}

/// How far either side of a span's start the logs pivot reads.
pub const PIVOT_MARGIN: std::time::Duration = std::time::Duration::from_mins(5);

/// The logs of a trace: every service's lines (the span's own service may have logged
/// nothing about it, its caller did), around `at` (the span's start) ± [`PIVOT_MARGIN`].
fn logs_of(ctx: &mut Ctx<'_>, trace_id: String, at: Option<jiff::Timestamp>) -> Vec<Cmd> {
    ctx.intent(Intent::Focus(Focus::Logs {
        service: None,
        trace_id: Some(trace_id),
        errors_only: false,
        window: at.map(|t| TimeWindow::around(t, PIVOT_MARGIN)),
    }));
    Vec::new()
}

/// Sets the window of the trace list (`None`: the backend's recent data) and searches again.
pub fn set_window(traces: &mut TracesPane, window: Option<TimeWindow>) -> Vec<Cmd> {
    traces.window = window;
    traces.search_error = None;
    search(traces)
}

/// Runs a traces-pane action; `None` when the action is not the pane's.
pub fn on_action(traces: &mut TracesPane, ctx: &mut Ctx<'_>, action: Action) -> Option<Vec<Cmd>> {
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
            Action::OpenLogs => {
                let trace_id = open.trace.trace_id.clone();
                let at = open
                    .selected_span()
                    .or_else(|| open.trace.root())
                    .and_then(|s| jiff::Timestamp::from_nanosecond(i128::from(s.start_ns)).ok());
                return Some(logs_of(ctx, trace_id, at));
            }
            _ => return None,
        }
        return Some(Vec::new());
    }
    if traces.map.is_some() {
        return map_action(traces, ctx, action);
    }
    match action {
        Action::ServiceMap => {
            let rows = traces.rows();
            let ids: Vec<String> = traces
                .table
                .visible
                .iter()
                .filter_map(|&i| rows.get(i))
                .map(|r| r.trace_id.clone())
                .collect();
            if ids.is_empty() {
                ctx.toast(ToastLevel::Info, "no traces in the list to map");
                return Some(Vec::new());
            }
            Some(super::map::start(&mut traces.map, ids))
        }
        Action::Select => {
            let id = traces.selected()?.trace_id.clone();
            Some(open_trace_by_id(traces, ctx, &id))
        }
        Action::OpenLogs => {
            let row = traces.selected()?;
            let (trace_id, at) = (row.trace_id.clone(), row.start);
            Some(logs_of(ctx, trace_id, Some(at)))
        }
        Action::TimeWindow => {
            ctx.prompt(crate::app::panes::window_prompt(
                PromptPurpose::TraceWindow,
                "traces",
                traces.window,
            ));
            Some(Vec::new())
        }
        Action::SearchTraces => {
            ctx.prompt(Prompt {
                title: "search traces".into(),
                input: super::search::input_of(traces),
                error: None,
                purpose: PromptPurpose::TraceSearch,
                hint: super::search::HINT.into(),
            });
            Some(Vec::new())
        }
        Action::ErrorsOnly => {
            traces.errors_only = !traces.errors_only;
            let word = if traces.errors_only {
                "only traces with errors"
            } else {
                "all traces"
            };
            ctx.toast(ToastLevel::Info, word);
            Some(search(traces))
        }
        Action::MinDuration => {
            ctx.prompt(Prompt {
                title: "show traces at least this long".into(),
                input: String::new(),
                error: None,
                purpose: PromptPurpose::MinDuration,
                hint: "500ms, 2s, 1.5s; empty shows every trace".into(),
            });
            Some(Vec::new())
        }
        _ => None,
    }
}

/// Keys while the service map shows: `enter` narrows the list to the selected link's
/// traces, `M` closes the map.
fn map_action(traces: &mut TracesPane, ctx: &mut Ctx<'_>, action: Action) -> Option<Vec<Cmd>> {
    match action {
        Action::ServiceMap => {
            traces.map = None;
            Some(Vec::new())
        }
        Action::Select => {
            let filter = super::map::EdgeFilter::of(traces.map.as_ref()?.selected()?);
            ctx.toast(
                ToastLevel::Info,
                format!("traces with {}: esc shows every trace", filter.label()),
            );
            traces.map = None;
            traces.set_edge_filter(Some(filter));
            Some(Vec::new())
        }
        _ => None,
    }
}

/// A traces prompt was answered: the minimum duration, the window or the search.
pub fn on_prompt(
    traces: &mut TracesPane,
    ctx: &Ctx<'_>,
    purpose: &PromptPurpose,
    input: &str,
) -> Result<Vec<Cmd>, String> {
    match purpose {
        PromptPurpose::TraceWindow => {
            let window = crate::app::panes::parse_window_input(input, ctx.now)?;
            Ok(set_window(traces, window))
        }
        PromptPurpose::TraceSearch => {
            let filters = super::search::parse(input)?;
            super::search::apply(traces, filters, ctx.scope);
            Ok(search(traces))
        }
        _ => min_duration_entered(traces, input),
    }
}

/// The minimum-duration prompt was answered.
pub fn min_duration_entered(traces: &mut TracesPane, input: &str) -> Result<Vec<Cmd>, String> {
    traces.min_duration = crate::app::panes::traces::parse_min_duration(input)?;
    traces.search_error = None;
    Ok(search(traces))
}
