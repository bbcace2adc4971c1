//! Which database the pane shows: it opens on the one with the most waiting sessions (a
//! pile-up is why someone opens it), and `d` opens the list of the context's databases with
//! their sessions, waiters and oldest transaction, to pick one with enter, instead of
//! cycling through them blindly.

use std::sync::Arc;

use jiff::Timestamp;

use crate::app::panes::postgres::PostgresPane;
use crate::model::pg::PgSnapshot;

/// One database of the list, from its latest snapshot (`None` figures: no snapshot yet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseRow {
    pub name: String,
    /// Sessions the poll shows (non-idle ones and every blocker).
    pub sessions: Option<usize>,
    /// Of which waiting on a lock.
    pub waiting: Option<usize>,
    /// Start of the oldest open transaction among them.
    pub oldest_xact: Option<Timestamp>,
    /// When the snapshot was taken, for the age of that transaction.
    pub taken_at: Option<Timestamp>,
}

impl DatabaseRow {
    fn of(name: &str, snapshot: Option<&PgSnapshot>) -> Self {
        Self {
            name: name.to_owned(),
            sessions: snapshot.map(|s| s.sessions.len()),
            waiting: snapshot.map(|s| s.waiting().count()),
            oldest_xact: snapshot
                .and_then(|s| s.sessions.iter().filter_map(|x| x.xact_start).min()),
            taken_at: snapshot.map(|s| s.taken_at),
        }
    }
}

impl PostgresPane {
    /// Every database of the context in config order, with its figures.
    #[must_use]
    pub fn database_rows(&self) -> Vec<DatabaseRow> {
        self.databases
            .iter()
            .map(|d| DatabaseRow::of(d, self.snapshots.get(d).map(Arc::as_ref)))
            .collect()
    }

    /// `d`: opens the list on the database shown.
    pub fn open_database_list(&mut self) {
        if !self.databases.is_empty() {
            self.database_list = Some(self.current);
        }
    }

    /// Moves the list's cursor; false when the list is not open.
    pub fn move_database_list(&mut self, delta: isize) -> bool {
        let Some(at) = self.database_list else {
            return false;
        };
        let last = self.databases.len().saturating_sub(1);
        self.database_list = Some(at.saturating_add_signed(delta).min(last));
        true
    }

    /// Enter in the list: shows the database under the cursor and closes the list. The
    /// choice is the user's from now on: the pane no longer follows the busiest database.
    pub fn choose_database(&mut self) {
        if let Some(at) = self.database_list.take()
            && let Some(name) = self.databases.get(at).cloned()
        {
            self.select_database(&name);
            self.database_picked = true;
        }
    }

    /// The database with the most waiting sessions, the first of equals in config order;
    /// `None` when nothing waits anywhere.
    #[must_use]
    pub fn busiest_database(&self) -> Option<usize> {
        let mut best: Option<(usize, usize)> = None;
        for (i, d) in self.databases.iter().enumerate() {
            let waiting = self.snapshots.get(d).map_or(0, |s| s.waiting().count());
            if waiting > 0 && best.is_none_or(|(_, w)| waiting > w) {
                best = Some((i, waiting));
            }
        }
        best.map(|(i, _)| i)
    }

    /// Until the user picks a database, show the one where most sessions wait (the current
    /// one stays while it has as many waiters as any other).
    pub(super) fn follow_busiest(&mut self) {
        if self.database_picked || self.frozen {
            return;
        }
        let Some(busiest) = self.busiest_database() else {
            return;
        };
        let waiting = |i: usize| {
            self.databases
                .get(i)
                .and_then(|d| self.snapshots.get(d))
                .map_or(0, |s| s.waiting().count())
        };
        if busiest != self.current && waiting(busiest) > waiting(self.current) {
            let name = self.databases[busiest].clone();
            self.select_database(&name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::pg::{PgRole, PgSession};

    fn ts(secs: i64) -> Timestamp {
        Timestamp::from_second(1_700_000_000 + secs).unwrap()
    }

    fn session(pid: i32, blocked_by: &[i32], xact: i64) -> PgSession {
        PgSession {
            pid,
            leader_pid: None,
            backend_type: "client backend".into(),
            user: Some("app".into()),
            application: String::new(),
            client: String::new(),
            database: String::new(),
            state: "active".into(),
            wait_event_type: (!blocked_by.is_empty()).then(|| "Lock".into()),
            wait_event: None,
            backend_start: ts(0),
            xact_start: Some(ts(xact)),
            query_start: None,
            state_change: None,
            query: String::new(),
            blocked_by: blocked_by.to_vec(),
            soft_blockers: Vec::new(),
            query_id: None,
            superuser: false,
            wait_start: None,
        }
    }

    fn snap(database: &str, sessions: Vec<PgSession>) -> Arc<PgSnapshot> {
        Arc::new(PgSnapshot {
            database: database.into(),
            server_version_num: 160_000,
            taken_at: ts(100),
            sessions,
            prepared: Vec::new(),
            role: PgRole::default(),
            facts: crate::model::pg_server::PgFacts::default(),
        })
    }

    fn pane() -> PostgresPane {
        PostgresPane::new(vec!["a".into(), "b".into(), "c".into()])
    }

    #[test]
    fn opens_on_the_database_with_most_waiters() {
        let mut pg = pane();
        pg.set_snapshot(snap("a", vec![session(1, &[], 10)]));
        assert_eq!(pg.current_database(), Some("a"), "nothing waits: stays");
        pg.set_snapshot(snap("b", vec![session(2, &[], 5), session(3, &[2], 20)]));
        assert_eq!(pg.current_database(), Some("b"));
        assert_eq!(pg.shown.as_ref().unwrap().database, "b");
        // A tie does not move the view away from what is shown.
        pg.set_snapshot(snap("c", vec![session(4, &[], 5), session(5, &[4], 20)]));
        assert_eq!(pg.current_database(), Some("b"));
        pg.set_snapshot(snap(
            "c",
            vec![
                session(4, &[], 5),
                session(5, &[4], 20),
                session(6, &[4], 20),
            ],
        ));
        assert_eq!(pg.current_database(), Some("c"));
    }

    #[test]
    fn the_list_shows_figures_and_enter_switches_for_good() {
        let mut pg = pane();
        pg.set_snapshot(snap("a", vec![session(1, &[], 10)]));
        pg.set_snapshot(snap("b", vec![session(2, &[], 5), session(3, &[2], 20)]));
        let rows = pg.database_rows();
        assert_eq!(rows.len(), 3);
        assert_eq!((rows[1].sessions, rows[1].waiting), (Some(2), Some(1)));
        assert_eq!(rows[1].oldest_xact, Some(ts(5)));
        assert_eq!(rows[2].sessions, None, "no snapshot yet");
        pg.open_database_list();
        assert_eq!(pg.database_list, Some(1), "opens on the one shown");
        assert!(pg.move_database_list(-5));
        pg.choose_database();
        assert_eq!(pg.database_list, None);
        assert_eq!(pg.current_database(), Some("a"));
        // Picked by the user: a pile-up elsewhere no longer moves the view.
        pg.set_snapshot(snap("c", vec![session(4, &[], 5), session(5, &[4], 20)]));
        assert_eq!(pg.current_database(), Some("a"));
        assert!(!pg.move_database_list(1), "closed");
    }
}
