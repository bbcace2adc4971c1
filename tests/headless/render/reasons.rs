//! Reasons are readable in full: a long toast wraps above the status line, `:messages`
//! keeps every toast with its time after the status line has moved on, and the audit
//! detail wraps a long decision and outcome and scrolls through them.

use std::sync::Arc;

use crossterm::event::KeyCode;
use jiff::Timestamp;
use opsdeck::actions::gate::{GateOutcome, Refusal, RefusalKind};
use opsdeck::app::msg::ActionReport;
use opsdeck::app::state::{Modal, ToastLevel};
use opsdeck::app::{Msg, State, update};
use opsdeck::model::action::{ActionRequest, KillMode};
use opsdeck::model::platform::{Decision, EventBody, OutcomeStatus};
use opsdeck::theme::ColorDepth;
use opsdeck::ui::widgets::toast::MORE;
use ratatui::buffer::Buffer;

use crate::render::{buffer, find, key, state, state_in, text, typed};

/// Words separated by single spaces, so wrapped text compares with the original.
fn words(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The text of row `y` between columns `from` and `to` (exclusive), trailing blanks cut.
fn row(buffer: &Buffer, y: u16, from: u16, to: u16) -> String {
    (from..to)
        .map(|x| buffer[(x, y)].symbol().to_owned())
        .collect::<String>()
        .trim_end()
        .to_owned()
}

const DENIAL: &str = "policy `pg-prod-terminate` denies pg.terminate in production outside \
    a change window: terminating a backend of orders-db needs an approved change (CHG-2291) \
    or the dba role; ask in #dba-oncall, or cancel the statement instead, which policy allows";

fn refused_kill(s: &mut State, reason: &str) {
    let report = ActionReport {
        request: ActionRequest::KillQuery {
            database: "orders-db".into(),
            pid: 22511,
            backend_start: "2026-11-02T02:41:07.118Z".into(),
            query_start: None,
            mode: KillMode::Terminate,
        },
        outcome: GateOutcome::Refused(Refusal {
            kind: RefusalKind::Denied,
            reason: reason.to_owned(),
        }),
    };
    update(s, Msg::ActionDone(Box::new(report)));
}

#[test]
fn a_long_refusal_toast_is_shown_whole_at_80x24() {
    let mut s = state(80, 24);
    refused_kill(&mut s, DENIAL);
    let toast = s.toast.clone().expect("a toast");
    assert_eq!(toast.level, ToastLevel::Error);
    assert!(toast.text.len() > 150, "{}", toast.text);
    let b = buffer(&s);
    // The toast's rows sit just above the status line, the first with its level glyph.
    let (x, top) = find(&b, "✗ pg.terminate").expect("the toast's first row");
    assert_eq!(x, 1);
    let rows: Vec<String> = (top..23).map(|y| row(&b, y, 0, 80)).collect();
    assert!(rows.len() > 1 && rows.len() <= 8, "{rows:?}");
    assert_eq!(
        words(&rows.join(" ")),
        format!("✗ {}", words(&toast.text)),
        "every word of the toast is on screen"
    );
    // The status line keeps its hints.
    assert!(
        row(&b, 23, 0, 80).contains("? help"),
        "{}",
        row(&b, 23, 0, 80)
    );
    insta::assert_snapshot!("toast_long_80x24", text(&s));
}

#[test]
fn a_toast_longer_than_a_third_of_the_screen_points_to_messages() {
    let mut s = state(80, 24);
    refused_kill(&mut s, &DENIAL.repeat(6));
    let b = buffer(&s);
    let (_, top) = find(&b, "✗ pg.terminate").expect("the toast's first row");
    assert_eq!(23 - top, 8, "at most a third of 24 rows");
    assert!(row(&b, 22, 0, 80).ends_with(MORE), "{}", row(&b, 22, 0, 80));
    // A short toast stays on the status line.
    key(&mut s, KeyCode::Esc);
    typed(&mut s, ":scope checkout-api");
    key(&mut s, KeyCode::Enter);
    let b = buffer(&s);
    assert!(
        row(&b, 23, 0, 80).ends_with("i scope: checkout-api (every pane)"),
        "{}",
        row(&b, 23, 0, 80)
    );
    assert!(!row(&b, 22, 0, 80).contains("scope"));
}

fn at(s: &mut State, time: &str) {
    let now: Timestamp = time.parse().expect("time");
    update(s, Msg::Now(now));
}

#[test]
fn messages_lists_earlier_toasts_with_their_times() {
    let mut s = state(80, 24);
    at(&mut s, "2026-11-02T03:01:05Z");
    typed(&mut s, ":scope no-such-service");
    key(&mut s, KeyCode::Enter);
    assert!(s.toast.is_some());
    at(&mut s, "2026-11-02T03:02:10Z");
    refused_kill(&mut s, DENIAL);
    key(&mut s, KeyCode::Esc);
    assert!(s.toast.is_none(), "a key clears the status line");
    assert!(!text(&s).contains("no-such-service"));
    typed(&mut s, ":messages");
    key(&mut s, KeyCode::Enter);
    assert!(matches!(s.modal, Some(Modal::Messages { .. })));
    let screen = text(&s);
    assert!(
        screen.contains("03:01:05 ✗ error  no service named `no-such-service`"),
        "{screen}"
    );
    assert!(
        screen.contains("03:02:10 ✗ error  pg.terminate"),
        "{screen}"
    );
    // The refusal is there in full, wrapped under its first row.
    let b = buffer(&s);
    let (x, y) = find(&b, "pg.terminate").expect("refusal");
    let rows: Vec<String> = (y..22).map(|r| row(&b, r, x, 78)).collect();
    let joined = words(&rows.join(" "));
    assert!(joined.contains(&words(DENIAL)), "{joined}");
    insta::assert_snapshot!("messages_80x24", screen);
    key(&mut s, KeyCode::Esc);
    assert!(s.modal.is_none());
}

#[test]
fn messages_scroll_and_keep_the_newest_last() {
    let mut s = state(80, 24);
    for i in 0..60 {
        s.toast(ToastLevel::Info, format!("message number {i}"));
    }
    typed(&mut s, ":messages");
    key(&mut s, KeyCode::Enter);
    let screen = text(&s);
    assert!(screen.contains("message number 59"), "opens on the newest");
    assert!(!screen.contains("message number 0\n"));
    key(&mut s, KeyCode::Char('g'));
    let screen = text(&s);
    assert!(screen.contains("i info   message number 0"), "{screen}");
    assert!(!screen.contains("message number 59"));
    key(&mut s, KeyCode::Char('j'));
    assert!(!text(&s).contains("message number 0 "));
    key(&mut s, KeyCode::Char('G'));
    key(&mut s, KeyCode::Char('k'));
    let screen = text(&s);
    assert!(
        !screen.contains("message number 59"),
        "k after G moves at once"
    );
    assert!(screen.contains("message number 58"));
}

const DECISION: &str = "policy `pg-prod-terminate` (rule 4 of 7, owner team dba, reviewed \
    2026-10-01) refused this intent because terminating a backend in a production database \
    needs an approved change request or the dba role and the caller had neither";

const OUTCOME: &str = "the backend had already exited when the executor reached it: \
    pg_terminate_backend returned false for pid 22511 started at 02:41:07.118, and a new \
    session with the same pid was left alone because its backend_start differs";

/// The audit pane with its first event denied for a long reason and failed for a long one.
fn audit_with_long_reasons() -> State {
    let mut s = state(120, 40);
    key(&mut s, KeyCode::Char('9'));
    let mut snapshot = (**s.panes.audit.snapshot.as_ref().expect("audit data")).clone();
    let seq = s.panes.audit.selected().expect("a selected event").seq;
    let item = snapshot
        .events
        .iter_mut()
        .find(|i| i.seq == seq)
        .expect("the event");
    let EventBody::Intent {
        decision,
        decision_reason,
        action,
        target,
        ..
    } = &mut item.event.body
    else {
        panic!("an intent")
    };
    *decision = Decision::Deny;
    *decision_reason = Some([DECISION; 4].join(" "));
    let body = EventBody::Outcome {
        intent_id: item.event.event_id.clone(),
        action: action.clone(),
        target: target.clone(),
        status: OutcomeStatus::Failed,
        detail: [OUTCOME; 4].join(" "),
    };
    let mut outcome = item.event.clone();
    outcome.body = body;
    item.outcome = Some(outcome);
    s.panes.audit.set_snapshot(Arc::new(snapshot));
    s
}

/// The open detail box's inner rows: from under its title to above its bottom border.
fn detail_rows(b: &Buffer) -> Vec<String> {
    let (_, title) = find(b, "event #").expect("the open detail");
    (title + 1..b.area.bottom())
        .take_while(|&y| b[(0, y)].symbol() == "│")
        .map(|y| row(b, y, 1, 119))
        .collect()
}

#[test]
fn the_audit_detail_shows_a_long_decision_and_outcome_in_full_and_scrolls() {
    let mut s = audit_with_long_reasons();
    // Closed, the small box says how to read it all.
    assert!(text(&s).contains("enter read it all"), "{}", text(&s));
    key(&mut s, KeyCode::Enter);
    insta::assert_snapshot!("audit-detail_120x40", text(&s));
    let first = detail_rows(&buffer(&s));
    assert!(first[0].starts_with("Event    #"), "{first:?}");
    assert!(
        !first.iter().any(|r| r.starts_with("Hash")),
        "the end is below"
    );
    // j scrolls one row at a time; collect every row there is.
    let mut all = first.clone();
    let mut shown = first.clone();
    for _ in 0..200 {
        key(&mut s, KeyCode::Char('j'));
        let rows = detail_rows(&buffer(&s));
        if rows == shown {
            break;
        }
        assert_eq!(rows[..rows.len() - 1], shown[1..], "one row at a time");
        all.push(rows.last().cloned().unwrap_or_default());
        shown = rows;
    }
    assert!(all.last().is_some_and(|r| r.starts_with("Hash")), "{all:?}");
    let text_all = words(&all.join(" "));
    assert!(
        text_all.contains(&words(&format!(
            "Decision ✗ deny: {}",
            [DECISION; 4].join(" ")
        ))),
        "{text_all}"
    );
    assert!(
        text_all.contains(&words(&format!(
            "Outcome ✗ failed: {}",
            [OUTCOME; 4].join(" ")
        ))),
        "{text_all}"
    );
    // g goes back to the top, k does not go above it, esc closes the detail.
    key(&mut s, KeyCode::Char('g'));
    assert_eq!(detail_rows(&buffer(&s)), first);
    key(&mut s, KeyCode::Up);
    assert_eq!(detail_rows(&buffer(&s)), first);
    key(&mut s, KeyCode::Esc);
    assert!(s.panes.audit.detail.is_none());
    assert!(find(&buffer(&s), "event #").is_none());
}

#[test]
fn a_long_toast_leaves_the_tour_panel_in_sight() {
    let mut s = state_in("tour", 120, 40, ColorDepth::TrueColor);
    assert!(s.tour.is_some(), "the tour runs");
    let panel = find(&buffer(&s), " Tour ")
        .expect("the tour panel's title")
        .1;
    refused_kill(&mut s, &DENIAL.repeat(2));
    let b = buffer(&s);
    assert_eq!(
        find(&b, " Tour ").map(|p| p.1),
        Some(panel),
        "the panel stays"
    );
    let (_, top) = find(&b, "✗ pg.terminate").expect("the toast");
    let rows: Vec<String> = (top..panel).map(|y| row(&b, y, 0, 120)).collect();
    let toast = s.toast.as_ref().expect("toast");
    assert_eq!(words(&rows.join(" ")), format!("✗ {}", words(&toast.text)));
}
