//! Several sessions at once: `space` marks the session under the cursor (marks follow the
//! session's identity, pid and `backend_start`, and drop when it leaves the snapshot), `M`
//! marks by state and age, user or application, `U` unmarks all; `c`/`x` with marks open
//! the plan (every target with its guard, and the ones left out with why), `enter` on the
//! plan asks for the confirmation, and the one audited action's outcome fills each row with
//! its own result (succeeded, refused by guard, failed).

use std::collections::BTreeSet;

use crate::actions::gate::GateOutcome;
use crate::app::ctx::Ctx;
use crate::app::modal::confirm::{Confirm, NoteLevel};
use crate::app::msg::ActionReport;
use crate::app::panes::postgres::{PgView, PostgresPane, session_key};
use crate::app::state::{Prompt, PromptPurpose, ToastLevel};
use crate::app::table::RowKey;
use crate::model::action::{ActionRequest, KillMode};
use crate::model::pg::PgSession;
use crate::model::pg_bulk::{
    MAX_TARGETS, PlanRow, SELECTION_HINT, Selection, TargetOutcome, Verdict, parse_detail, pinned,
    plan,
};

/// The plan of a bulk action, then its outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkView {
    pub mode: KillMode,
    pub database: String,
    pub rows: Vec<PlanRow>,
    /// The row under the cursor.
    pub selected: usize,
    /// The request the confirmation sends (`None` when no row can be sent).
    pub request: Option<ActionRequest>,
    /// Each target's outcome, once the action ran.
    pub outcomes: Option<Vec<TargetOutcome>>,
    /// What the gate said when it did not run it, or the outcome's first line.
    pub summary: Option<String>,
}

impl BulkView {
    /// The outcome of the row's target, once known.
    #[must_use]
    pub fn outcome(&self, pid: i32) -> Option<&TargetOutcome> {
        self.outcomes.as_ref()?.iter().find(|o| o.pid == pid)
    }

    pub fn move_by(&mut self, delta: isize) {
        self.selected = self
            .selected
            .saturating_add_signed(delta)
            .min(self.rows.len().saturating_sub(1));
    }
}

impl PostgresPane {
    /// Whether this session is marked.
    #[must_use]
    pub fn is_marked(&self, s: &PgSession) -> bool {
        !self.marks.is_empty() && self.marks.contains(&session_key(s))
    }

    /// The marked sessions of the shown snapshot, by pid.
    #[must_use]
    pub fn marked_sessions(&self) -> Vec<&PgSession> {
        self.sessions()
            .iter()
            .filter(|s| self.marks.contains(&session_key(s)))
            .collect()
    }

    /// Drops the marks of sessions the snapshot no longer has: a mark never passes to
    /// another backend that reuses the pid.
    pub(super) fn retain_marks(&mut self) {
        if self.marks.is_empty() {
            return;
        }
        let live: BTreeSet<RowKey> = self.sessions().iter().map(session_key).collect();
        self.marks.retain(|k| live.contains(k));
    }
}

/// `space`: marks or unmarks the session under the cursor, then moves down (the sessions
/// view), as `pg_activity`'s tagging does.
pub fn toggle_mark(pg: &mut PostgresPane, ctx: &mut Ctx<'_>) {
    let Some(session) = pg.selected_session() else {
        ctx.toast(ToastLevel::Info, "select a session first");
        return;
    };
    let key = session_key(session);
    if !pg.marks.remove(&key) {
        if pg.marks.len() >= MAX_TARGETS {
            ctx.toast(
                ToastLevel::Warn,
                format!("at most {MAX_TARGETS} sessions can be marked at once"),
            );
            return;
        }
        pg.marks.insert(key);
    }
    match pg.view {
        PgView::Sessions => pg.table.move_by(1),
        PgView::Tree => pg.move_tree(1),
        // No session rows there: the cursor has nowhere to go.
        PgView::Replication | PgView::Statements => {}
    }
}

/// `U`: unmarks every session.
pub fn clear_marks(pg: &mut PostgresPane, ctx: &mut Ctx<'_>) {
    let n = pg.marks.len();
    pg.marks.clear();
    ctx.toast(ToastLevel::Info, format!("{n} sessions unmarked"));
}

/// `M`: asks which sessions to mark.
pub fn ask_where(pg: &PostgresPane, ctx: &mut Ctx<'_>) {
    let Some(database) = pg.current_database() else {
        return;
    };
    ctx.prompt(Prompt {
        title: format!("mark sessions of {database} where"),
        input: String::new(),
        error: None,
        purpose: PromptPurpose::PgMarkWhere,
        hint: SELECTION_HINT.to_owned(),
    });
}

/// The `M` prompt's answer: marks the sessions it picks (adding to the marks there are).
///
/// # Errors
/// The selection is not understood, or picks nothing (the prompt stays open with why).
pub fn mark_where(pg: &mut PostgresPane, ctx: &mut Ctx<'_>, input: &str) -> Result<(), String> {
    let selection = Selection::parse(input)?;
    let Some(snapshot) = pg.shown.clone() else {
        return Err("no snapshot yet".into());
    };
    let now = pg.now.unwrap_or(snapshot.taken_at);
    let picked: Vec<RowKey> = snapshot
        .sessions
        .iter()
        .filter(|s| selection.matches(s, now))
        .map(session_key)
        .collect();
    if picked.is_empty() {
        return Err(format!(
            "no session is {} (idle sessions are not polled)",
            selection.describe()
        ));
    }
    let before = pg.marks.len();
    for key in picked {
        if pg.marks.len() >= MAX_TARGETS {
            break;
        }
        pg.marks.insert(key);
    }
    let added = pg.marks.len() - before;
    ctx.toast(
        ToastLevel::Info,
        format!(
            "marked {added} sessions that are {} ({} marked) · c cancel · x terminate · U unmark",
            selection.describe(),
            pg.marks.len()
        ),
    );
    Ok(())
}

/// `c`/`x` with marks: the plan of the bulk action, over the pane.
pub fn open_plan(pg: &mut PostgresPane, ctx: &mut Ctx<'_>, mode: KillMode) {
    let Some(snapshot) = pg.shown.clone() else {
        return;
    };
    let marked = pg.marked_sessions();
    if marked.is_empty() {
        ctx.toast(ToastLevel::Info, "the marked sessions are gone");
        return;
    }
    let now = pg.now.unwrap_or(snapshot.taken_at);
    let rows = plan(&snapshot.role, &marked, mode, now);
    let targets = pinned(&rows);
    let request = (!targets.is_empty()).then(|| ActionRequest::BulkKill {
        database: snapshot.database.clone(),
        mode,
        targets,
    });
    if let Some(request) = &request
        && ctx.refused(request)
    {
        return;
    }
    pg.bulk = Some(BulkView {
        mode,
        database: snapshot.database.clone(),
        rows,
        selected: 0,
        request,
        outcomes: None,
        summary: None,
    });
}

/// `enter` on the plan: the confirmation of the one audited action.
pub fn confirm_plan(pg: &PostgresPane, ctx: &mut Ctx<'_>) {
    let Some(view) = &pg.bulk else {
        return;
    };
    if view.outcomes.is_some() {
        ctx.toast(ToastLevel::Info, "done: esc closes the outcome");
        return;
    }
    let Some(request) = view.request.clone() else {
        ctx.toast(
            ToastLevel::Warn,
            "no marked session can be sent this action: the plan says why for each",
        );
        return;
    };
    let sent: Vec<&PlanRow> = view
        .rows
        .iter()
        .filter(|r| r.verdict == Verdict::Send)
        .collect();
    let left_out = view.rows.len() - sent.len();
    let verb = match view.mode {
        KillMode::Cancel => "cancel the statements of",
        KillMode::Terminate => "terminate",
    };
    let pids: Vec<String> = sent.iter().map(|r| r.pid.to_string()).collect();
    let mut details = vec![
        ("database".to_owned(), view.database.clone()),
        (
            "targets".to_owned(),
            crate::model::text::fit(&pids.join(", "), 200),
        ),
    ];
    if left_out > 0 {
        details.push((
            "left out".to_owned(),
            format!("{left_out} (nothing is sent to them; the plan says why)"),
        ));
    }
    let mut confirm = Confirm::new(request, format!("{verb} {} backends?", sent.len()), details)
        .with_note(
            NoteLevel::Info,
            "one audited action; each target is guarded: it is hit only if its backend_start \
         (and, for a cancel, query_start) still match, else it is refused and the others go on",
        );
    if view.mode == KillMode::Terminate {
        confirm = confirm.with_note(
            NoteLevel::Warn,
            "terminate closes each connection and rolls its transaction back",
        );
    }
    ctx.confirm(confirm);
}

/// The gate finished a bulk action: every row gets its target's outcome, and the marks of
/// the targets are dropped.
pub fn after_bulk(pg: &mut PostgresPane, report: &ActionReport) {
    let Some(view) = &mut pg.bulk else {
        return;
    };
    if view.request.as_ref() != Some(&report.request) {
        return;
    }
    match &report.outcome {
        GateOutcome::Executed { result, .. } => {
            let outcomes = parse_detail(&result.detail);
            view.summary = result.detail.lines().next().map(str::to_owned);
            view.outcomes = Some(outcomes);
            pg.marks.clear();
        }
        GateOutcome::NeedsApproval { .. } | GateOutcome::Refused(_) => {
            view.summary = Some(report.summary());
        }
    }
}

/// Whether a request is one the bulk view waits for.
#[must_use]
pub fn is_bulk(request: &ActionRequest) -> bool {
    matches!(request, ActionRequest::BulkKill { .. })
}
