//! The logs pane's histogram strip, `e` (errors only) and the `] e` / `[ e` error jumps, from
//! keystrokes at 80×24 over the sandbox's lines (the demo state).

use std::sync::Arc;

use crossterm::event::KeyCode;
use opsdeck::app::State;
use opsdeck::app::state::{PaneId, View};
use opsdeck::model::logs::{Level, parse_line};
use opsdeck::screenshot::demo_state;
use opsdeck::sources::logs::{LogBatch, LogItem};
use opsdeck::theme::ColorDepth;

use super::keys::{key, screen, state, typed};

fn logs() -> State {
    let mut s = state();
    key(&mut s, KeyCode::Char('6'));
    assert_eq!(s.view().pane(), PaneId::Logs);
    s
}

fn level(s: &State) -> Option<Level> {
    s.panes
        .logs
        .selected()
        .and_then(opsdeck::model::logs::LogLine::level)
}

#[test]
fn the_strip_shows_above_the_lines_and_fits_80x24() {
    let s = logs();
    let text = screen(&s);
    println!("{text}");
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(rows.len(), 24);
    let bars = rows
        .iter()
        .position(|r| r.contains("/col"))
        .expect("the bars row");
    assert!(rows[bars].contains("max "), "{}", rows[bars]);
    assert!(rows[bars + 1].contains("worst"), "{}", rows[bars + 1]);
    assert!(
        rows[bars + 1].contains('E'),
        "the sandbox logs errors: {}",
        rows[bars + 1]
    );
    assert!(
        rows[bars + 2].contains('^'),
        "the lines on screen are marked"
    );
    for r in &rows {
        assert!(unicode_width::UnicodeWidthStr::width(*r) <= 80, "{r}");
    }
    // `i` hides it, and gives its rows back to the lines.
    let mut s = s;
    key(&mut s, KeyCode::Char('i'));
    assert!(!screen(&s).contains("/col"));
    key(&mut s, KeyCode::Char('i'));
    assert!(screen(&s).contains("/col"));
}

#[test]
fn a_short_terminal_hides_or_shrinks_the_strip() {
    let mut s = demo_state(7, 80, 18, ColorDepth::Mono).expect("demo state");
    key(&mut s, KeyCode::Char('6'));
    let text = screen(&s);
    assert!(text.contains("/col"), "one row at 18 lines\n{text}");
    assert!(!text.contains("worst"));
    let mut s = demo_state(7, 80, 14, ColorDepth::Mono).expect("demo state");
    key(&mut s, KeyCode::Char('6'));
    assert!(!screen(&s).contains("/col"));
    key(&mut s, KeyCode::Char('H'));
    assert!(!s.panes.logs.strip.focused());
    assert!(
        s.toast
            .as_ref()
            .is_some_and(|t| t.text.contains("taller terminal"))
    );
}

#[test]
fn h_focuses_the_strip_arrows_move_and_enter_jumps_to_the_bucket() {
    let mut s = logs();
    key(&mut s, KeyCode::Char('H'));
    let first = s.panes.logs.strip.cursor.expect("focused on a bucket");
    assert!(screen(&s).contains('▲'));
    let text = screen(&s);
    assert!(
        text.contains(" error · "),
        "the bucket's counts in the bottom line\n{text}"
    );
    key(&mut s, KeyCode::Home);
    let home = s.panes.logs.strip.cursor.expect("still focused");
    assert!(home <= first);
    key(&mut s, KeyCode::Char('l'));
    key(&mut s, KeyCode::Right);
    let moved = s.panes.logs.strip.cursor.expect("still focused");
    assert!(moved > home, "right moves to a later bucket");
    key(&mut s, KeyCode::Left);
    key(&mut s, KeyCode::Char('h'));
    assert_eq!(s.panes.logs.strip.cursor, Some(home));
    key(&mut s, KeyCode::Enter);
    assert!(!s.panes.logs.strip.focused(), "enter returns to the lines");
    assert!(!s.panes.logs.following(), "the jump pauses the tail");
    let seq = s.panes.logs.selected().expect("a line").seq();
    let t = s.panes.logs.strip.counts.time_of(seq).expect("a time");
    assert!(t >= home, "the line is in the chosen bucket");
    assert_eq!(
        s.panes.logs.shown_index(seq),
        0,
        "the first bucket's first line"
    );
    // Esc leaves the strip without moving, and stays in the pane.
    key(&mut s, KeyCode::Char('H'));
    key(&mut s, KeyCode::Esc);
    assert!(!s.panes.logs.strip.focused());
    assert_eq!(s.view(), &View::Pane(PaneId::Logs));
    assert_eq!(
        s.panes
            .logs
            .selected()
            .map(opsdeck::model::logs::LogLine::seq),
        Some(seq)
    );
}

#[test]
fn e_toggles_errors_only_and_back_to_the_previous_levels() {
    let mut s = logs();
    let all = s.panes.logs.shown_len();
    key(&mut s, KeyCode::Char('D'));
    let without_debug = s.panes.logs.shown_len();
    key(&mut s, KeyCode::Char('e'));
    assert!(s.panes.logs.shown_len() < without_debug);
    assert!(screen(&s).contains("errors only"));
    for i in 0..s.panes.logs.shown_len() {
        let seq = s.panes.logs.shown_seq(i).expect("shown");
        let line = s.panes.logs.buffer.get_seq(seq).expect("held");
        assert!(
            s.panes.logs.markers.contains(&seq)
                || matches!(line.level(), Some(Level::Error | Level::Fatal)),
            "{}",
            line.raw()
        );
    }
    key(&mut s, KeyCode::Char('e'));
    assert_eq!(
        s.panes.logs.shown_len(),
        without_debug,
        "back to what showed before"
    );
    assert!(!screen(&s).contains("errors only"));
    key(&mut s, KeyCode::Char('D'));
    assert_eq!(s.panes.logs.shown_len(), all);
}

#[test]
fn bracket_e_jumps_between_errors_and_wraps() {
    let mut s = logs();
    key(&mut s, KeyCode::Char('g'));
    key(&mut s, KeyCode::Char(']'));
    assert!(
        screen(&s).contains("] … e next_error"),
        "the pending key is shown"
    );
    key(&mut s, KeyCode::Char('e'));
    assert_eq!(s.view(), &View::Pane(PaneId::Logs), "no history move");
    assert!(matches!(level(&s), Some(Level::Error | Level::Fatal)));
    let first = s.panes.logs.selected().expect("an error").seq();
    typed(&mut s, "]e");
    let second = s.panes.logs.selected().expect("an error").seq();
    assert!(second > first);
    assert!(matches!(level(&s), Some(Level::Error | Level::Fatal)));
    typed(&mut s, "[e");
    assert_eq!(
        s.panes
            .logs
            .selected()
            .map(opsdeck::model::logs::LogLine::seq),
        Some(first)
    );
    // Before the first error: wraps to the last, and says so.
    typed(&mut s, "[e");
    assert!(
        s.toast
            .as_ref()
            .is_some_and(|t| t.text.contains("no earlier error"))
    );
    assert!(s.panes.logs.selected().expect("an error").seq() > second);
    // The cursor line stays on screen.
    let seq = s.panes.logs.selected().expect("line").seq();
    let time = opsdeck::app::panes::logs::histogram::body_height(&s.panes.logs, s.size);
    let start = s.panes.logs.view_start(time);
    let i = s.panes.logs.shown_index(seq);
    assert!(start <= i && i < start + time);
}

#[test]
fn a_bracket_not_followed_by_e_keeps_its_history_meaning() {
    let mut s = state();
    key(&mut s, KeyCode::Char('6'));
    key(&mut s, KeyCode::Char('['));
    // Waiting for the second key: nothing moved yet.
    assert_eq!(s.view().pane(), PaneId::Logs);
    key(&mut s, KeyCode::Esc);
    assert_eq!(
        s.view().pane(),
        PaneId::Catalog,
        "esc: `[` alone, back in history"
    );
    key(&mut s, KeyCode::Char(']'));
    assert_eq!(
        s.view().pane(),
        PaneId::Logs,
        "`]` outside the logs pane is immediate"
    );
    key(&mut s, KeyCode::Char('['));
    key(&mut s, KeyCode::Char('j'));
    assert_eq!(
        s.view().pane(),
        PaneId::Catalog,
        "`[` then another key: back, then the key"
    );
    assert!(s.pending_key.is_none());
}

#[test]
fn no_color_reads_and_hostile_bytes_stay_out_of_the_strip() {
    let mut s = demo_state(7, 80, 24, ColorDepth::Mono).expect("demo state");
    key(&mut s, KeyCode::Char('6'));
    let hostile: Vec<LogItem> = (0..50)
        .map(|i| {
            let text = format!(
                "2026-11-22T10:0{}:00Z ERROR \x1b]0;pwn\x07 \u{202e}evil\x1b[2J {i}",
                i % 10
            );
            LogItem::Line(parse_line(
                text.as_bytes(),
                Arc::from("pod\x1b[31m\u{202e}x"),
            ))
        })
        .collect();
    s.panes.logs.ingest(&LogBatch::new(hostile));
    s.dirty = true;
    let text = screen(&s);
    let rows: Vec<&str> = text.lines().collect();
    let bars = rows
        .iter()
        .position(|r| r.contains("/col"))
        .expect("the bars row");
    for row in &rows[bars..bars + 3] {
        assert!(
            row.chars().all(|c| !c.is_control() && c != '\u{202e}'),
            "{row:?}"
        );
        assert!(
            !row.contains("pwn") && !row.contains("evil") && !row.contains("pod"),
            "{row}"
        );
    }
    assert!(
        rows[bars + 1].contains('E'),
        "errors read as a letter: {}",
        rows[bars + 1]
    );
}
