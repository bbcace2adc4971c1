//! State of the Postgres pane: the databases of the context, their latest snapshots, the
//! sessions table, the blocking tree cursor, the frozen flag and the open session detail.

pub mod actions;
pub mod bulk;
pub mod databases;
pub mod prepared;

use crate::model::custom_command::Vars;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;

use crate::app::panes::Pane;
use crate::app::table::{RowKey, SortKey, TableState};
use crate::model::pg::{BlockingLine, PgLock, PgSession, PgSnapshot, blocking_tree};

/// Which view of the pane is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PgView {
    #[default]
    Sessions,
    Tree,
    /// Standbys' lag and replication slots.
    Replication,
    /// Top statements from `pg_stat_statements`.
    Statements,
}

impl PgView {
    /// The view `tab` goes to next.
    #[must_use]
    pub fn next(self) -> Self {
        match self {
            Self::Sessions => Self::Tree,
            Self::Tree => Self::Replication,
            Self::Replication => Self::Statements,
            Self::Statements => Self::Sessions,
        }
    }

    /// The view's name in the title.
    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Sessions => "sessions",
            Self::Tree => "blocking tree",
            Self::Replication => "replication",
            Self::Statements => "top statements",
        }
    }
}

/// Sessions table columns.
pub const COLUMNS: [&str; 10] = [
    "PID", "USER", "APP", "CLIENT", "DB", "STATE", "XACT", "QUERY", "WAIT", "SQL",
];

/// The orders of the sessions: one per column.
pub const SORT_KEYS: [SortKey; 10] = SortKey::per_column(COLUMNS);

/// A transaction older than this stands out.
pub const LONG_XACT: Duration = Duration::from_mins(1);
/// An idle-in-transaction session older than this stands out.
pub const LONG_IDLE_XACT: Duration = Duration::from_secs(30);

/// The locks of one session, as loaded on demand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionDetail {
    pub pid: i32,
    pub locks: Option<Result<Vec<PgLock>, String>>,
}

/// The Postgres pane.
#[derive(Debug, Clone)]
pub struct PostgresPane {
    /// Database names of the context, in config order.
    pub databases: Vec<String>,
    pub current: usize,
    pub snapshots: BTreeMap<String, Arc<PgSnapshot>>,
    /// The snapshot on screen: the latest, or the one frozen by the user.
    pub shown: Option<Arc<PgSnapshot>>,
    pub view: PgView,
    pub table: TableState,
    pub tree: Vec<BlockingLine>,
    pub tree_selected: usize,
    /// Each tree line's identity (its session, and which of that session's lines), built
    /// once per snapshot; the cursor follows its line's identity across refreshes.
    tree_keys: Vec<(RowKey, usize)>,
    /// The session whose line was selected and is gone from the tree since the last
    /// refresh; the cursor is on its neighbour. Cleared by the next move.
    pub tree_vanished: Option<RowKey>,
    pub frozen: bool,
    pub detail: Option<SessionDetail>,
    /// Refresh interval asked of the sources.
    pub refresh: Duration,
    haystacks: Vec<String>,
    /// `now` of the last refresh of ages (the snapshot's own clock, so ages are consistent).
    pub now: Option<Timestamp>,
    /// The marked sessions, by identity ([`session_key`]).
    pub marks: BTreeSet<RowKey>,
    /// The plan (then the outcome) of a bulk cancel or terminate, over the pane.
    pub bulk: Option<bulk::BulkView>,
    /// The list of prepared transactions, over the pane.
    pub prepared_view: Option<prepared::PreparedView>,
    /// The `d` list of databases is open, with its cursor.
    pub database_list: Option<usize>,
    /// The user chose the database: the pane stops following the busiest one.
    pub database_picked: bool,
    /// Per database, the rates between its last two server samples (a sample whose
    /// counters went backwards is dropped and the previous rates stay).
    pub rates: BTreeMap<String, crate::model::pg_server::Rates>,
}

impl Default for PostgresPane {
    fn default() -> Self {
        Self::new(Vec::new())
    }
}

impl PostgresPane {
    #[must_use]
    pub fn new(databases: Vec<String>) -> Self {
        let mut pane = Self {
            databases,
            current: 0,
            snapshots: BTreeMap::new(),
            shown: None,
            view: PgView::default(),
            table: TableState::default(),
            tree: Vec::new(),
            tree_selected: 0,
            tree_keys: Vec::new(),
            tree_vanished: None,
            frozen: false,
            detail: None,
            refresh: Duration::from_secs(2),
            haystacks: Vec::new(),
            now: None,
            marks: BTreeSet::new(),
            bulk: None,
            prepared_view: None,
            database_list: None,
            database_picked: false,
            rates: BTreeMap::new(),
        };
        // Longest transactions first: that is where blockers hide.
        pane.table.sort.column = 6;
        pane
    }

    #[must_use]
    pub fn current_database(&self) -> Option<&str> {
        self.databases.get(self.current).map(String::as_str)
    }

    /// Stores a snapshot; shows it unless the view is frozen or it is another database's.
    pub fn set_snapshot(&mut self, snapshot: Arc<PgSnapshot>) {
        let name = snapshot.database.clone();
        if !self.databases.contains(&name) {
            self.databases.push(name.clone());
        }
        let earlier = self.snapshots.insert(name.clone(), snapshot.clone());
        if let Some(rates) = earlier
            .as_ref()
            .and_then(|e| Some((e.facts.server.as_ref()?, snapshot.facts.server.as_ref()?)))
            .and_then(|(then, now)| now.rates_since(then))
        {
            self.rates.insert(name.clone(), rates);
        }
        if !self.frozen && self.current_database() == Some(name.as_str()) {
            self.show(Some(snapshot));
        }
        self.follow_busiest();
    }

    fn show(&mut self, snapshot: Option<Arc<PgSnapshot>>) {
        let picked = self.tree_keys.get(self.tree_selected).cloned();
        self.tree = snapshot.as_deref().map(blocking_tree).unwrap_or_default();
        let keys = tree_keys(&self.tree, snapshot.as_deref());
        let found = picked
            .as_ref()
            .and_then(|k| keys.iter().position(|other| other == k))
            .or_else(|| {
                // The same session on another branch of the tree is still the same session.
                let (session, _) = picked.as_ref()?;
                keys.iter().position(|(other, _)| other == session)
            });
        match (found, picked) {
            (Some(line), _) => self.tree_selected = line,
            (None, gone) => {
                self.tree_selected = self.tree_selected.min(self.tree.len().saturating_sub(1));
                if let Some((session, _)) = gone
                    && snapshot.is_some()
                {
                    self.tree_vanished = Some(session);
                }
            }
        }
        self.tree_keys = keys;
        self.now = snapshot.as_ref().map(|s| s.taken_at);
        self.shown = snapshot;
        self.retain_marks();
        self.refresh_view();
    }

    /// Switches to the next database.
    pub fn next_database(&mut self) {
        if self.databases.is_empty() {
            return;
        }
        self.database_picked = true;
        self.current = (self.current + 1) % self.databases.len();
        self.frozen = false;
        self.detail = None;
        self.forget_selection();
        let snapshot = self
            .current_database()
            .and_then(|d| self.snapshots.get(d))
            .cloned();
        self.show(snapshot);
    }

    /// Shows `name` if it is one of the context's databases (scope follows the service).
    pub fn select_database(&mut self, name: &str) {
        if let Some(i) = self.databases.iter().position(|d| d == name)
            && i != self.current
        {
            self.current = i;
            self.frozen = false;
            self.detail = None;
            self.forget_selection();
            let snapshot = self.snapshots.get(name).cloned();
            self.show(snapshot);
        }
    }

    /// Another database's sessions come next: no cursor follows a session across databases.
    fn forget_selection(&mut self) {
        self.marks.clear();
        self.bulk = None;
        self.prepared_view = None;
        self.table.forget_selection();
        self.tree_selected = 0;
        self.tree_keys.clear();
        self.tree_vanished = None;
    }

    /// Freezes or thaws the view; thawing shows the latest snapshot at once.
    pub fn toggle_frozen(&mut self) {
        self.frozen = !self.frozen;
        self.database_picked = true;
        if !self.frozen {
            let snapshot = self
                .current_database()
                .and_then(|d| self.snapshots.get(d))
                .cloned();
            self.show(snapshot);
        }
    }

    pub fn reset(&mut self, databases: Vec<String>) {
        let page = self.table.page;
        *self = Self::new(databases);
        self.table.page = page;
    }

    #[must_use]
    pub fn sessions(&self) -> &[PgSession] {
        self.shown.as_ref().map_or(&[], |s| s.sessions.as_slice())
    }

    /// The session under the cursor of the current view.
    #[must_use]
    pub fn selected_session(&self) -> Option<&PgSession> {
        let shown = self.shown.as_ref()?;
        match self.view {
            PgView::Sessions => self
                .table
                .selected_row()
                .and_then(|i| shown.sessions.get(i)),
            PgView::Tree => {
                let line = self.tree.get(self.tree_selected)?;
                shown.session(line.pid)
            }
            PgView::Replication | PgView::Statements => None,
        }
    }

    /// The tree line of a pid (first occurrence), for blocked counts.
    #[must_use]
    pub fn tree_line(&self, pid: i32) -> Option<&BlockingLine> {
        self.tree.iter().find(|l| l.pid == pid)
    }

    /// The bulk plan or the prepared transactions cover the pane (its cursor keys go there).
    #[must_use]
    pub fn overlay_open(&self) -> bool {
        self.bulk.is_some() || self.prepared_view.is_some()
    }

    pub fn move_tree(&mut self, delta: isize) {
        // Reading the tree: a pile-up elsewhere must not pull the view away.
        self.database_picked = true;
        self.tree_selected = self
            .tree_selected
            .saturating_add_signed(delta)
            .min(self.tree.len().saturating_sub(1));
        self.tree_vanished = None;
    }
}

/// Each tree line's identity: its session's key (the pid alone for a prepared transaction or
/// a session that has exited), and the how-manieth line of that session it is.
fn tree_keys(tree: &[BlockingLine], snapshot: Option<&PgSnapshot>) -> Vec<(RowKey, usize)> {
    let mut seen: BTreeMap<RowKey, usize> = BTreeMap::new();
    tree.iter()
        .map(|line| {
            let key = snapshot
                .and_then(|s| s.session(line.pid))
                .map_or_else(|| line.pid.to_string(), session_key);
            let n = seen.entry(key.clone()).or_default();
            let occurrence = *n;
            *n += 1;
            (key, occurrence)
        })
        .collect()
}

/// A session's identity: a pid is reused once its backend exits, so the backend's start
/// tells two sessions with the same pid apart.
#[must_use]
pub fn session_key(s: &PgSession) -> RowKey {
    format!("pid {} (started {})", s.pid, s.backend_start)
}

fn sort_key(s: &PgSession, column: usize, now: Timestamp) -> (i64, String) {
    let secs =
        |d: Option<Duration>| d.map_or(-1, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    match column {
        0 => (i64::from(s.pid), String::new()),
        1 => (0, s.user.clone().unwrap_or_default()),
        2 => (0, s.application.clone()),
        3 => (0, s.client.clone()),
        4 => (0, s.database.clone()),
        5 => (0, s.state.clone()),
        6 => (-secs(s.xact_age(now)), String::new()),
        7 => (-secs(s.query_age(now)), String::new()),
        8 => (0, s.wait_label()),
        _ => (0, s.query_line()),
    }
}

impl Pane for PostgresPane {
    fn command_vars(&self, vars: &mut Vars) {
        if let Some(database) = self.databases.get(self.current) {
            vars.set("database", database.as_str());
        }
        if let Some(session) = self.selected_session() {
            vars.set("pid", session.pid.to_string());
        }
    }

    /// `y`: the selected session's query (its pid when it has none); `Y` its cells.
    fn copy_text(&self, kind: crate::app::copy::CopyKind) -> Option<crate::app::copy::Copied> {
        use crate::app::copy::{Copied, CopyKind};
        let session = self.selected_session()?;
        let pid = session.pid.to_string();
        Some(match kind {
            CopyKind::Key if session.query.is_empty() => Copied::key("backend", &pid),
            // The sanitized query the pane shows, newlines kept: nothing copied can carry an
            // escape sequence back into a terminal.
            CopyKind::Key => Copied::new(
                format!("the query of backend {pid}"),
                crate::model::clean_multiline(&session.query),
            ),
            CopyKind::Row => Copied::row(
                "backend",
                &pid,
                &[
                    pid.clone(),
                    session.user.clone().unwrap_or_default(),
                    session.application.clone(),
                    session.client.clone(),
                    session.database.clone(),
                    session.state.clone(),
                    session.wait_event.clone().unwrap_or_default(),
                    session.query_line(),
                ],
            ),
        })
    }

    delegate_to_actions!(on_action, focus);

    fn on_prompt(
        &mut self,
        ctx: &mut crate::app::ctx::Ctx<'_>,
        purpose: &crate::app::state::PromptPurpose,
        input: &str,
    ) -> Result<Vec<crate::app::msg::Cmd>, String> {
        if *purpose == crate::app::state::PromptPurpose::PgMarkWhere {
            bulk::mark_where(self, ctx, input)?;
        }
        Ok(Vec::new())
    }

    fn table(&self) -> Option<&TableState> {
        (self.view == PgView::Sessions && !self.overlay_open()).then_some(&self.table)
    }

    fn table_mut(&mut self) -> Option<&mut TableState> {
        (self.view == PgView::Sessions && !self.overlay_open()).then_some(&mut self.table)
    }

    fn tables_mut(&mut self) -> Vec<&mut TableState> {
        vec![&mut self.table]
    }

    fn sort_keys(&self) -> &'static [SortKey] {
        &SORT_KEYS
    }

    fn refresh_view(&mut self) {
        let sessions = self.sessions();
        self.haystacks = sessions
            .iter()
            .map(|s| {
                format!(
                    "{} {} {} {} {} {} {}",
                    s.pid,
                    s.user.as_deref().unwrap_or_default(),
                    s.application,
                    s.client,
                    s.state,
                    s.wait_label(),
                    s.query_line()
                )
                .to_lowercase()
            })
            .collect();
        let now = self.now.unwrap_or(Timestamp::UNIX_EPOCH);
        let column = self.table.sort.column;
        let sessions = self
            .shown
            .as_ref()
            .map_or(&[][..], |s| s.sessions.as_slice());
        self.table.rebuild(
            &self.haystacks,
            |i| session_key(&sessions[i]),
            |a, b| {
                (sort_key(&sessions[a], column, now), sessions[a].pid)
                    .cmp(&(sort_key(&sessions[b], column, now), sessions[b].pid))
            },
        );
    }

    fn close(&mut self) -> bool {
        self.bulk.take().is_some()
            || self.prepared_view.take().is_some()
            || self.database_list.take().is_some()
            || self.detail.take().is_some()
    }

    fn move_other(&mut self, delta: isize) -> bool {
        if let Some(bulk) = &mut self.bulk {
            bulk.move_by(delta);
            return true;
        }
        if self.prepared_view.is_some() {
            self.move_prepared(delta);
            return true;
        }
        if self.move_database_list(delta) {
            return true;
        }
        if self.view != PgView::Tree {
            return false;
        }
        self.move_tree(delta);
        true
    }

    fn reset(&mut self) {
        Self::reset(self, Vec::new());
    }
}
