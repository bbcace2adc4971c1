//! Paging and selection by identity in every table pane: `PageDown` moves one page wherever a
//! table shows, rows above the cursor stay on screen when everything fits, and a refresh that
//! reorders or drops rows keeps the cursor on the same item (or says it is gone).

use std::sync::Arc;

use crossterm::event::KeyCode;
use opsdeck::app::panes::postgres::{PgView, session_key};
use opsdeck::app::state::{PaneId, View};
use opsdeck::app::{Msg, State, update};
use opsdeck::model::pg::PgSnapshot;
use opsdeck::sources::{SourceBody, SourceEvent, SourceId};

use super::keys::{key, screen, state};

/// The demo state in `pane`, with as many rows as the pane's table can get from it.
fn in_pane(pane: PaneId) -> State {
    let mut s = state();
    s.history.push(View::Pane(pane));
    s
}

#[test]
fn page_down_moves_one_page_in_every_table_pane() {
    let mut tables = 0;
    for &pane in PaneId::ALL {
        let mut s = in_pane(pane);
        let Some(table) = s.active_table() else {
            continue;
        };
        tables += 1;
        let (page, rows) = (table.page, table.visible.len());
        assert!(
            page > 1,
            "{pane:?}: the layout gave the table a page of {page}"
        );
        key(&mut s, KeyCode::PageDown);
        let table = s.active_table().expect("still a table");
        assert_eq!(
            table.selected,
            page.min(rows.saturating_sub(1)),
            "{pane:?}: PageDown moves one page of {page} over {rows} rows"
        );
        key(&mut s, KeyCode::PageUp);
        assert_eq!(s.active_table().expect("table").selected, 0, "{pane:?}");
    }
    assert!(tables >= 7, "every table pane was tried ({tables})");
}

#[test]
fn rows_above_the_cursor_stay_visible_when_everything_fits() {
    for &pane in PaneId::ALL {
        let mut s = in_pane(pane);
        let Some(table) = s.active_table() else {
            continue;
        };
        if table.visible.len() > table.page {
            continue;
        }
        for _ in 0..table.visible.len() {
            key(&mut s, KeyCode::Char('j'));
        }
        key(&mut s, KeyCode::Char('G'));
        assert_eq!(
            s.active_table().expect("table").offset,
            0,
            "{pane:?}: nothing scrolls out of view while every row fits"
        );
    }
}

/// The Postgres pane's next snapshot, with the sessions of `shown` changed by `edit`.
fn next_snapshot(s: &mut State, edit: impl FnOnce(&mut PgSnapshot)) {
    let mut snapshot = s
        .panes
        .postgres
        .shown
        .as_deref()
        .expect("a snapshot shows")
        .clone();
    edit(&mut snapshot);
    let event = SourceEvent {
        source: SourceId::Postgres,
        generation: s.generation,
        body: SourceBody::Postgres(Arc::new(snapshot)),
    };
    update(s, Msg::Source(event));
}

fn selected_session(s: &State) -> String {
    session_key(
        s.panes
            .postgres
            .selected_session()
            .expect("a session is selected"),
    )
}

#[test]
fn the_sessions_cursor_follows_its_session_when_a_refresh_reorders_rows() {
    let mut s = in_pane(PaneId::Postgres);
    assert_eq!(s.panes.postgres.view, PgView::Sessions);
    assert!(s.panes.postgres.table.visible.len() >= 3, "enough sessions");
    key(&mut s, KeyCode::Char('j'));
    key(&mut s, KeyCode::Char('j'));
    let picked = selected_session(&s);
    let position = s.panes.postgres.table.selected;
    // The next refresh makes the picked session the youngest: it sorts last now.
    next_snapshot(&mut s, |snap| {
        let pid = snap.sessions[s_index(snap, &picked)].pid;
        for session in &mut snap.sessions {
            if session.pid == pid {
                session.xact_start = Some(snap.taken_at);
            }
        }
    });
    assert_eq!(
        selected_session(&s),
        picked,
        "the cursor follows the session"
    );
    assert_ne!(
        s.panes.postgres.table.selected, position,
        "the session moved in the table"
    );
    assert_eq!(s.panes.postgres.table.vanished, None);
}

fn s_index(snapshot: &PgSnapshot, key: &str) -> usize {
    snapshot
        .sessions
        .iter()
        .position(|s| session_key(s) == key)
        .expect("the session is in the snapshot")
}

#[test]
fn a_session_that_ends_leaves_the_cursor_on_its_neighbour_and_the_pane_says_so() {
    let mut s = in_pane(PaneId::Postgres);
    key(&mut s, KeyCode::Char('j'));
    let picked = selected_session(&s);
    next_snapshot(&mut s, |snap| {
        let i = s_index(snap, &picked);
        snap.sessions.remove(i);
    });
    assert_ne!(selected_session(&s), picked);
    assert_eq!(
        s.panes.postgres.table.vanished.as_deref(),
        Some(picked.as_str())
    );
    let screen = screen(&s);
    assert!(screen.contains("is gone"), "the pane says so:\n{screen}");
    key(&mut s, KeyCode::Char('k'));
    assert_eq!(s.panes.postgres.table.vanished, None, "a move clears it");
}

#[test]
fn a_session_with_a_reused_pid_is_another_session() {
    let mut s = in_pane(PaneId::Postgres);
    let picked = selected_session(&s);
    next_snapshot(&mut s, |snap| {
        let i = s_index(snap, &picked);
        snap.sessions[i].backend_start = snap.taken_at;
    });
    assert_eq!(
        s.panes.postgres.table.vanished.as_deref(),
        Some(picked.as_str()),
        "same pid, new backend: not the session the user picked"
    );
}

#[test]
fn the_blocking_tree_cursor_follows_its_pid_when_a_refresh_reorders_the_tree() {
    let mut s = in_pane(PaneId::Postgres);
    key(&mut s, KeyCode::Tab);
    assert_eq!(s.panes.postgres.view, PgView::Tree);
    let lines = s.panes.postgres.tree.len();
    assert!(lines >= 2, "the demo database has a blocking chain");
    key(&mut s, KeyCode::Char('G'));
    let picked = s.panes.postgres.selected_session().map(|x| x.pid);
    let position = s.panes.postgres.tree_selected;
    // A waiter listed above the cursor's line gives up: every line below moves up. (A
    // pointer line has no children but its session may block others: not a leaf.)
    let tree = &s.panes.postgres.tree;
    let leaf = (1..position)
        .find(|&i| {
            !tree[i].pointer
                && tree
                    .get(i + 1)
                    .is_none_or(|next| next.depth <= tree[i].depth)
        })
        .map(|i| tree[i].pid)
        .expect("a leaf above the last line");
    next_snapshot(&mut s, |snap| {
        snap.sessions.retain(|x| x.pid != leaf);
        for session in &mut snap.sessions {
            session.blocked_by.retain(|&b| b != leaf);
        }
    });
    assert_eq!(
        s.panes.postgres.selected_session().map(|x| x.pid),
        picked,
        "the tree cursor stays on the same session, not the same line"
    );
    assert_ne!(s.panes.postgres.tree_selected, position);
    // The kill dialog names the session the user picked.
    key(&mut s, KeyCode::Char('x'));
    if let Some(opsdeck::app::state::Modal::Confirm(confirm)) = &s.modal {
        let target = confirm.request.target().reference;
        let pid = picked.expect("a pid").to_string();
        assert!(target.contains(&pid), "{target} names pid {pid}");
    }
}

#[test]
fn the_kafka_cursor_follows_its_topic_across_a_refresh() {
    let mut s = in_pane(PaneId::Kafka);
    key(&mut s, KeyCode::Char('j'));
    key(&mut s, KeyCode::Char('j'));
    let kafka = &s.panes.kafka;
    let picked = kafka.table.selected_key().expect("a topic").to_owned();
    let mut snapshot = kafka.snapshot.as_deref().expect("kafka data").clone();
    snapshot.topics.reverse();
    // The first topic gets an offline partition: it sorts first now.
    if let Some(last) = snapshot.topics.iter_mut().find(|t| t.name != picked) {
        last.offline += 1;
    }
    let event = SourceEvent {
        source: SourceId::Kafka,
        generation: s.generation,
        body: SourceBody::Kafka(Arc::new(snapshot)),
    };
    update(&mut s, Msg::Source(event));
    assert_eq!(s.panes.kafka.table.selected_key(), Some(picked.as_str()));
}
