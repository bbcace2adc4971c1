//! The palette's query commands: `:logs <LogQL>` and `:traces <TraceQL>` (each kept in the
//! context's query history, recalled with up/down in the palette), and `:window` (the
//! logs' and traces' time window at once).

use crate::app::modal::palette::{PaletteState, query_language};
use crate::app::msg::Cmd;
use crate::app::state::{PaneId, State, ToastLevel};
use crate::app::update::goto;
use crate::model::query_history::QueryLanguage;
use crate::model::window::TimeWindow;

/// Records `query` in the history; the save to ask for when it changed.
fn remember(state: &mut State, language: QueryLanguage, query: &str) -> Option<Cmd> {
    let context = state.context.name.clone();
    state
        .query_history
        .push(&context, language, query)
        .then(|| Cmd::SaveQueryHistory(state.query_history.clone()))
}

/// Up/down in the palette on `logs …` or `traces …`: the context's earlier queries. False
/// when the input is no query command or there is no history (the keys then move through
/// completions as usual).
pub fn recall(state: &State, palette: &mut PaletteState, older: bool) -> bool {
    let Some(language) = query_language(&palette.input) else {
        return false;
    };
    let history = state.query_history.list(&state.context.name, language);
    palette.recall_query(history, older)
}

/// `:logs <LogQL>`: the logs pane reads this query from the context's Loki (or the sandbox),
/// sent exactly as typed, over the pane's window.
pub fn run_logql(state: &mut State, query: String) -> Vec<Cmd> {
    if let Some(why) = state.context.no_logql.clone() {
        state.toast(ToastLevel::Error, format!("LogQL needs Loki; {why}"));
        return Vec::new();
    }
    let mut cmds: Vec<Cmd> = remember(state, QueryLanguage::LogQl, &query)
        .into_iter()
        .collect();
    goto(state, PaneId::Logs);
    let target = crate::sources::logs::LogTarget {
        logql: Some(query),
        ..crate::sources::logs::LogTarget::default()
    };
    cmds.extend(crate::app::panes::logs::actions::retarget(
        &mut state.panes.logs,
        target,
    ));
    cmds
}

/// `:traces <TraceQL>`: the trace list searches with this query (Tempo; the sandbox's
/// subset), sent exactly as typed, over the pane's window.
pub fn run_traceql(state: &mut State, query: String) -> Vec<Cmd> {
    let mut cmds: Vec<Cmd> = remember(state, QueryLanguage::TraceQl, &query)
        .into_iter()
        .collect();
    goto(state, PaneId::Traces);
    let traces = &mut state.panes.traces;
    traces.close();
    traces.traceql = Some(query);
    traces.search_error = None;
    cmds.push(Cmd::TraceSearch(Box::new(traces.search())));
    cmds
}

/// `:window 1h`: the time window of both the logs and the traces pane.
pub fn set_window(state: &mut State, text: &str) -> Vec<Cmd> {
    let window = match TimeWindow::parse(text, state.now) {
        Ok(w) => w,
        Err(e) => {
            state.toast(ToastLevel::Error, e.to_string());
            return Vec::new();
        }
    };
    state.toast(
        ToastLevel::Info,
        format!("window: {} (logs and traces)", window.label()),
    );
    let now = state.now;
    let mut cmds =
        crate::app::panes::logs::actions::set_window(&mut state.panes.logs, Some(window), now);
    cmds.extend(crate::app::panes::traces::actions::set_window(
        &mut state.panes.traces,
        Some(window),
    ));
    cmds
}
