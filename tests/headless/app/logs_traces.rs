//! The logs and traces panes from keystrokes, against the sandbox's sources: level toggles
//! and search, and the pivot both ways (a log line's trace, a trace's logs).

use crossterm::event::KeyCode;
use opsdeck::app::state::PaneId;
use opsdeck::app::{Cmd, Msg, State, update};
use opsdeck::model::logs::Level;
use opsdeck::screenshot::epoch;
use opsdeck::sources::sandbox::{SandboxHandle, World};
use opsdeck::sources::trace_feed::TraceLookup;

use super::keys::{key, state, typed};

/// Carries out the trace loads and log retargets the keys asked for, as the run loop does.
async fn carry(s: &mut State, sandbox: &SandboxHandle, cmds: Vec<Cmd>) {
    for cmd in cmds {
        match cmd {
            Cmd::LoadTrace { trace_id } => {
                let trace = TraceLookup::Sandbox(sandbox.clone()).trace(&trace_id).await;
                update(s, Msg::TraceLoaded { trace_id, trace });
            }
            Cmd::LogTarget(target) => super::queries::read_logs(s, sandbox, *target).await,
            _ => {}
        }
    }
}

#[tokio::test]
async fn an_error_line_opens_its_trace_and_the_trace_opens_its_logs() {
    let world = World::new(7, epoch());
    let service = world.burst_service().expect("a burst");
    let sandbox = SandboxHandle::spawn(world);
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    let mut s = state();
    key(&mut s, KeyCode::Char('6'));
    assert_eq!(s.view().pane(), PaneId::Logs);
    // Fresh lines from the running sandbox: only errors.
    s.panes.logs.clear();
    carry(&mut s, &sandbox, vec![Cmd::LogTarget(Box::default())]).await;
    for toggle in ['W', 'I', 'D'] {
        key(&mut s, KeyCode::Char(toggle));
    }
    assert!(s.panes.logs.shown_len() > 0, "the burst logs errors");
    let selected = s.panes.logs.selected().expect("a line");
    assert_eq!(selected.level(), Some(Level::Error));
    let trace_id = selected
        .trace_id()
        .expect("error lines carry a trace id")
        .to_owned();
    assert!(
        selected.source().starts_with(&service),
        "{}",
        selected.source()
    );

    let cmds = key(&mut s, KeyCode::Char('o'));
    assert_eq!(s.view().pane(), PaneId::Traces);
    carry(&mut s, &sandbox, cmds).await;
    let open = s.panes.traces.open.as_ref().expect("the trace opened");
    assert_eq!(open.trace.trace_id, trace_id);
    assert!(open.trace.has_error());
    let span = open.selected_span().expect("a span");
    assert!(span.is_error(), "the first error span is selected");

    // And back: every service's lines of this trace.
    let cmds = key(&mut s, KeyCode::Char('l'));
    assert_eq!(s.view().pane(), PaneId::Logs);
    assert_eq!(
        s.panes.logs.target.trace_id.as_deref(),
        Some(trace_id.as_str())
    );
    carry(&mut s, &sandbox, cmds).await;
    assert!(s.panes.logs.shown_len() >= 1);
    let line = s.panes.logs.selected().expect("the trace's line");
    assert_eq!(line.trace_id(), Some(trace_id.as_str()));
    // The search highlights the id.
    assert_eq!(s.panes.logs.query.input(), trace_id);
}

#[test]
fn search_narrows_and_n_walks_the_matches() {
    let mut s = state();
    key(&mut s, KeyCode::Char('6'));
    let total = s.panes.logs.shown_len();
    assert!(total > 100, "{total}");
    typed(&mut s, "/timed out");
    key(&mut s, KeyCode::Enter);
    let first = s.panes.logs.selected().expect("a match").seq();
    assert!(
        s.panes
            .logs
            .selected()
            .unwrap()
            .message()
            .contains("timed out")
    );
    key(&mut s, KeyCode::Char('N'));
    let earlier = s.panes.logs.selected().expect("an earlier match").seq();
    assert!(earlier < first);
    key(&mut s, KeyCode::Char('n'));
    assert_eq!(s.panes.logs.selected().unwrap().seq(), first);
    key(&mut s, KeyCode::Char('m'));
    assert!(s.panes.logs.shown_len() < total);
    // Regex mode through tab; a bad pattern says why and keeps the last good search.
    typed(&mut s, "/");
    key(&mut s, KeyCode::Tab);
    typed(&mut s, "(");
    assert!(s.panes.logs.query_error.is_some());
    key(&mut s, KeyCode::Esc);
    assert!(s.panes.logs.query.is_empty(), "esc clears the search");
}

#[test]
fn the_trace_list_filters_and_opens_on_enter() {
    let mut s = state();
    key(&mut s, KeyCode::Char('7'));
    assert!(!s.panes.traces.rows().is_empty());
    let cmds = key(&mut s, KeyCode::Char('e'));
    assert!(matches!(cmds.as_slice(), [Cmd::TraceSearch(q)] if q.errors_only));
    let cmds = key(&mut s, KeyCode::Char('m'));
    assert!(cmds.is_empty());
    typed(&mut s, "2s");
    let cmds = key(&mut s, KeyCode::Enter);
    assert!(
        matches!(cmds.as_slice(), [Cmd::TraceSearch(q)] if q.min_duration == Some(std::time::Duration::from_secs(2))),
        "{cmds:?}"
    );
    let cmds = key(&mut s, KeyCode::Enter);
    assert!(
        matches!(cmds.as_slice(), [Cmd::LoadTrace { .. }]),
        "{cmds:?}"
    );
    key(&mut s, KeyCode::Esc);
    assert!(s.panes.traces.open_id.is_none(), "esc closes the trace");
}
