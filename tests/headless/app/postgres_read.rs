//! The Postgres pane's read side from keystrokes: it opens on the database where sessions
//! wait, `d` lists the databases and enter picks one, tab walks the views, and a failed poll
//! marks the data stale with its true age.

use std::time::Duration;

use crossterm::event::KeyCode;
use opsdeck::app::State;
use opsdeck::app::panes::postgres::PgView;
use opsdeck::app::state::{PaneId, View};
use opsdeck::model::SourceHealth;
use opsdeck::model::source::SourceId;

use super::keys::{key, screen, state};

fn in_pg() -> State {
    let mut s = state();
    s.history.push(View::Pane(PaneId::Postgres));
    s
}

#[test]
fn the_pane_opens_on_the_blocked_database_and_d_lists_them() {
    let mut s = in_pg();
    let pg = &s.panes.postgres;
    assert_ne!(pg.databases[0], "orders-db", "not the first configured one");
    assert_eq!(
        pg.current_database(),
        Some("orders-db"),
        "the one where sessions wait"
    );
    assert!(!pg.database_picked, "chosen by the pane, not the user");

    key(&mut s, KeyCode::Char('d'));
    assert_eq!(
        s.panes.postgres.database_list,
        Some(s.panes.postgres.current)
    );
    let text = screen(&s);
    assert!(text.contains("SESSIONS") && text.contains("WAITING") && text.contains("OLDEST TX"));
    assert!(
        text.contains("payments-db") && text.contains("growth-db"),
        "{text}"
    );
    key(&mut s, KeyCode::Up);
    key(&mut s, KeyCode::Enter);
    let pg = &s.panes.postgres;
    assert_eq!(pg.database_list, None);
    assert_eq!(pg.current_database(), Some(pg.databases[0].as_str()));
    assert!(pg.database_picked);
    assert!(screen(&s).contains(&format!("Postgres {}", pg.databases[0])));

    // esc closes the list without switching.
    key(&mut s, KeyCode::Char('d'));
    key(&mut s, KeyCode::Down);
    key(&mut s, KeyCode::Esc);
    assert_eq!(s.panes.postgres.database_list, None);
    assert_eq!(s.panes.postgres.current, 0);
}

#[test]
fn tab_walks_sessions_tree_replication_and_statements() {
    let mut s = in_pg();
    let mut seen = vec![s.panes.postgres.view];
    for _ in 0..4 {
        key(&mut s, KeyCode::Tab);
        seen.push(s.panes.postgres.view);
        let text = screen(&s);
        match s.panes.postgres.view {
            PgView::Tree => assert!(text.contains("■ held") && text.contains("□ queued")),
            PgView::Replication => {
                assert!(text.contains("STANDBY") && text.contains("orders-replica"));
                assert!(text.contains("streaming"));
            }
            PgView::Statements => assert!(text.contains("TOTAL") && text.contains("CALLS")),
            PgView::Sessions => assert!(text.contains("conn ")),
        }
    }
    assert_eq!(
        seen,
        vec![
            PgView::Sessions,
            PgView::Tree,
            PgView::Replication,
            PgView::Statements,
            PgView::Sessions
        ]
    );
}

#[test]
fn a_failed_poll_marks_the_data_stale_and_ages_keep_running() {
    let mut s = in_pg();
    let last_good = s.now;
    s.now = last_good + Duration::from_secs(30);
    s.health.insert(
        SourceId::Postgres,
        SourceHealth::Error {
            message: "connection refused".into(),
            since: last_good + Duration::from_secs(2),
            last_good: Some(last_good),
        },
    );
    let text = screen(&s);
    assert!(text.contains("stale: connection refused"), "{text}");
    assert!(text.contains("data from 30s ago"), "{text}");
}
