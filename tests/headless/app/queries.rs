//! Typed queries and windows from keystrokes, against the sandbox: `:logs <LogQL>` runs as
//! typed (and is recalled with up), a query the backend refuses shows whole at 80×24 until
//! esc, `@` and `:window` set the windows shown in both titles, `:traces <TraceQL>` and the
//! structured search, and the span → logs pivot's ± 5 minutes.

use std::sync::Arc;
use std::time::Duration;

use crossterm::event::KeyCode;
use opsdeck::app::state::PaneId;
use opsdeck::app::{Cmd, Msg, State, update};
use opsdeck::model::window::TimeWindow;
use opsdeck::screenshot::epoch;
use opsdeck::sources::logs::{LogBatch, LogItem, LogTarget};
use opsdeck::sources::sandbox::{SandboxHandle, World};
use opsdeck::sources::{SourceBody, SourceEvent, SourceId};

use super::keys::{key, screen, state, typed};

/// Reads a log target from the sandbox as its source would, into the pane (with a refused
/// query's text, as the Loki source sends it).
pub(super) async fn read_logs(s: &mut State, sandbox: &SandboxHandle, target: LogTarget) {
    let window = sandbox.logs(target, None).await.expect("logs");
    let mut items: Vec<LogItem> = window
        .lines
        .iter()
        .map(|(pod, line)| {
            LogItem::Line(opsdeck::model::logs::parse_line(
                line.as_bytes(),
                Arc::from(pod.as_str()),
            ))
        })
        .collect();
    items.extend(window.query_error.map(LogItem::QueryError));
    s.panes.logs.ingest(&LogBatch::new(items));
    s.dirty = true;
}

fn log_target(cmds: &[Cmd]) -> Option<LogTarget> {
    cmds.iter().find_map(|c| match c {
        Cmd::LogTarget(t) => Some((**t).clone()),
        _ => None,
    })
}

const QUERY: &str = r#"{app="payments-api", namespace=~"pay.*"} |= "200" != "slow""#;

#[tokio::test]
async fn a_typed_logql_runs_as_typed_and_comes_back_with_up() {
    let sandbox = SandboxHandle::spawn(World::new(7, epoch()));
    let mut s = state();
    key(&mut s, KeyCode::Char(':'));
    typed(&mut s, &format!("logs {QUERY}"));
    let cmds = key(&mut s, KeyCode::Enter);
    assert_eq!(s.view().pane(), PaneId::Logs);
    let target = log_target(&cmds).expect("a new target");
    assert_eq!(target.logql.as_deref(), Some(QUERY), "exactly as typed");
    assert_eq!(target.service, None);
    assert!(
        cmds.iter().any(|c| matches!(c, Cmd::SaveQueryHistory(h)
            if h.list(&s.context.name, opsdeck::model::query_history::QueryLanguage::LogQl) == [QUERY])),
        "the history is saved"
    );
    read_logs(&mut s, &sandbox, target).await;
    assert!(
        s.panes.logs.shown_len() > 10,
        "the sandbox answers the query"
    );
    for i in 0..s.panes.logs.shown_len() {
        let line = s
            .panes
            .logs
            .buffer
            .get_seq(s.panes.logs.shown_seq(i).unwrap())
            .unwrap();
        assert!(
            line.source().starts_with("payments-api"),
            "{}",
            line.source()
        );
        assert!(line.raw().contains("200") && !line.raw().contains("slow"));
    }
    let top = screen(&s);
    assert!(
        top.contains(r#"{app="payments-api", namespace=~"pa…"#),
        "{top}"
    );
    // Up on `logs ` brings the query back.
    key(&mut s, KeyCode::Char(':'));
    typed(&mut s, "logs ");
    key(&mut s, KeyCode::Up);
    let Some(opsdeck::app::state::Modal::Palette(p)) = &s.modal else {
        panic!("the palette is open");
    };
    assert_eq!(p.input, format!("logs {QUERY}"));
}

#[tokio::test]
async fn a_refused_query_shows_whole_at_80x24_until_esc() {
    let sandbox = SandboxHandle::spawn(World::new(7, epoch()));
    let mut s = state();
    key(&mut s, KeyCode::Char(':'));
    typed(
        &mut s,
        r#"logs {app="payments-api"} | json | duration_ms > 300"#,
    );
    let cmds = key(&mut s, KeyCode::Enter);
    read_logs(&mut s, &sandbox, log_target(&cmds).unwrap()).await;
    let error = s.panes.logs.query_failure.clone().expect("refused");
    assert!(
        error.starts_with("parse error at line 1, col 22"),
        "{error}"
    );
    let shown = screen(&s);
    assert!(shown.contains("query refused"), "{shown}");
    // Every word of the reason is on the 80×24 screen: wrapped, not cut.
    for word in error.split_whitespace() {
        assert!(shown.contains(word), "`{word}` missing from\n{shown}");
    }
    key(&mut s, KeyCode::Esc);
    assert!(s.panes.logs.query_failure.is_none());
    assert!(!screen(&s).contains("query refused"));
    assert_eq!(s.view().pane(), PaneId::Logs, "esc closed the panel only");
}

#[test]
fn windows_are_set_with_at_and_with_the_command_and_shown_in_both_titles() {
    let mut s = state();
    key(&mut s, KeyCode::Char('6'));
    key(&mut s, KeyCode::Char('@'));
    typed(&mut s, "1h");
    key(&mut s, KeyCode::Enter);
    assert_eq!(
        s.panes.logs.window,
        Some(TimeWindow::Last(Duration::from_hours(1)))
    );
    assert!(screen(&s).contains("last 1h"), "{}", screen(&s));
    // A bad window keeps the prompt open with the reason.
    key(&mut s, KeyCode::Char('@'));
    key(&mut s, KeyCode::Backspace);
    key(&mut s, KeyCode::Backspace);
    typed(&mut s, "10:00..09:00");
    key(&mut s, KeyCode::Enter);
    assert!(screen(&s).contains("ends"), "{}", screen(&s));
    key(&mut s, KeyCode::Esc);

    key(&mut s, KeyCode::Char(':'));
    typed(&mut s, "window 2026-11-22 10:00..11:00");
    let cmds = key(&mut s, KeyCode::Enter);
    let window = TimeWindow::Between {
        from: "2026-11-22T10:00:00Z".parse().unwrap(),
        to: "2026-11-22T11:00:00Z".parse().unwrap(),
    };
    assert_eq!(s.panes.logs.window, Some(window));
    assert_eq!(s.panes.traces.window, Some(window));
    assert!(
        cmds.iter()
            .any(|c| matches!(c, Cmd::TraceSearch(q) if q.window == Some(window)))
    );
    assert!(screen(&s).contains("10:00–11:00 UTC"), "{}", screen(&s));
    key(&mut s, KeyCode::Char('7'));
    assert!(screen(&s).contains("10:00–11:00 UTC"), "{}", screen(&s));
}

#[tokio::test]
async fn traceql_and_the_structured_search_reach_the_search_and_a_refusal_shows_whole() {
    let sandbox = SandboxHandle::spawn(World::new(7, epoch()));
    let mut s = state();
    key(&mut s, KeyCode::Char(':'));
    typed(&mut s, "traces status = error");
    let cmds = key(&mut s, KeyCode::Enter);
    assert_eq!(s.view().pane(), PaneId::Traces);
    let Some(Cmd::TraceSearch(search)) = cmds.iter().find(|c| matches!(c, Cmd::TraceSearch(_)))
    else {
        panic!("a search: {cmds:?}");
    };
    assert_eq!(search.traceql.as_deref(), Some("status = error"));
    // The sandbox, as Tempo would, refuses TraceQL without braces; the feed's answer:
    let error = sandbox
        .trace_search((**search).clone())
        .await
        .expect_err("refused");
    let list = opsdeck::sources::trace_feed::TraceList {
        search: (**search).clone(),
        rows: Vec::new(),
        error: Some(error.clone()),
    };
    let generation = s.generation;
    update(
        &mut s,
        Msg::Source(SourceEvent {
            source: SourceId::Traces,
            generation,
            body: SourceBody::Traces(Arc::new(list)),
        }),
    );
    let shown = screen(&s);
    assert!(shown.contains("search refused"), "{shown}");
    for word in error.split_whitespace() {
        assert!(shown.contains(word), "`{word}` missing from\n{shown}");
    }
    assert!(!s.panes.traces.rows().is_empty(), "the last good rows stay");
    key(&mut s, KeyCode::Esc);
    assert!(s.panes.traces.search_error.is_none());

    // The structured search replaces the TraceQL.
    key(&mut s, KeyCode::Char('s'));
    typed(
        &mut s,
        "service=payments-api http.status_code=502 min=100ms",
    );
    let cmds = key(&mut s, KeyCode::Enter);
    let Some(Cmd::TraceSearch(search)) = cmds.first() else {
        panic!("a search: {cmds:?}");
    };
    assert_eq!(search.traceql, None);
    assert_eq!(search.service.as_deref(), Some("payments-api"));
    assert_eq!(
        search.tags,
        [("http.status_code".to_owned(), "502".to_owned())]
    );
    let rows = sandbox
        .trace_search((**search).clone())
        .await
        .expect("the sandbox understands it");
    assert!(
        rows.iter()
            .all(|r| r.error && r.root_service == "payments-api")
    );
}

#[test]
fn a_span_s_logs_cover_its_time_give_or_take_five_minutes() {
    let mut s = state();
    opsdeck::screenshot::show(&mut s, "trace".parse().expect("the trace view"));
    let open = s.panes.traces.open.as_ref().expect("open");
    let start_ns = open.selected_span().expect("a span").start_ns;
    let at = jiff::Timestamp::from_nanosecond(i128::from(start_ns)).unwrap();
    let cmds = key(&mut s, KeyCode::Char('l'));
    assert_eq!(s.view().pane(), PaneId::Logs);
    let expected = TimeWindow::around(at, Duration::from_mins(5));
    assert_eq!(s.panes.logs.window, Some(expected));
    let target = log_target(&cmds).expect("a target");
    assert_eq!(target.window, Some(expected));
    // Once the source answers, the title says which time is shown.
    s.panes.logs.ingest(&LogBatch::new(Vec::new()));
    assert!(screen(&s).contains(&expected.label()), "{}", screen(&s));
}

#[test]
fn logql_without_loki_is_refused_with_the_reason_and_the_lines_stay() {
    let mut s = state();
    key(&mut s, KeyCode::Char('6'));
    let before = s.panes.logs.buffer.len();
    s.context.no_logql = Some("these are local files: / searches them".into());
    key(&mut s, KeyCode::Char(':'));
    typed(&mut s, r#"logs {app="x"}"#);
    let cmds = key(&mut s, KeyCode::Enter);
    assert!(log_target(&cmds).is_none());
    assert_eq!(s.panes.logs.buffer.len(), before, "nothing was cleared");
    assert!(screen(&s).contains("LogQL needs Loki"), "{}", screen(&s));
}
