//! Prepared transactions: `P` lists them (gid, database, owner, age) over the pane, oldest
//! first; `x` on one of them, or on the blocking tree's pid-0 line (a prepared transaction
//! holding locks has no backend), asks for a `ROLLBACK PREPARED` that runs only once its gid
//! is typed, through the audit gate.

use crate::app::ctx::Ctx;
use crate::app::modal::confirm::{Confirm, NoteLevel};
use crate::app::panes::postgres::PostgresPane;
use crate::app::panes::postgres::actions::short_age;
use crate::app::state::ToastLevel;
use crate::model::pg::{PREPARED_PID, PreparedXact, pin};
use crate::model::pg_prepared::{oldest_first, rollback_permission};

/// The list of prepared transactions, over the pane.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PreparedView {
    /// The row under the cursor.
    pub selected: usize,
}

impl PostgresPane {
    /// The shown snapshot's prepared transactions, oldest first.
    #[must_use]
    pub fn prepared_rows(&self) -> Vec<PreparedXact> {
        self.shown
            .as_ref()
            .map(|s| oldest_first(&s.prepared))
            .unwrap_or_default()
    }

    /// Whether the cursor is on the blocking tree's prepared-transaction line.
    #[must_use]
    pub fn on_prepared_line(&self) -> bool {
        self.view == super::PgView::Tree
            && self
                .tree
                .get(self.tree_selected)
                .is_some_and(|l| l.pid == PREPARED_PID)
    }

    pub fn move_prepared(&mut self, delta: isize) {
        let n = self.prepared_rows().len();
        if let Some(view) = &mut self.prepared_view {
            view.selected = view
                .selected
                .saturating_add_signed(delta)
                .min(n.saturating_sub(1));
        }
    }
}

/// `P`: shows or hides the list.
pub fn toggle(pg: &mut PostgresPane, ctx: &mut Ctx<'_>) {
    if pg.prepared_view.take().is_some() {
        return;
    }
    if pg.shown.is_none() {
        ctx.toast(ToastLevel::Info, "no snapshot yet");
        return;
    }
    pg.prepared_view = Some(PreparedView::default());
}

/// `x` on the pid-0 line: the rollback of the prepared transaction, or the list to choose
/// from when there are several.
pub fn on_pid_zero(pg: &mut PostgresPane, ctx: &mut Ctx<'_>) {
    let rows = pg.prepared_rows();
    match rows.as_slice() {
        [] => ctx.toast(
            ToastLevel::Info,
            "the prepared transaction is gone since the last refresh",
        ),
        [only] => ask_rollback(pg, ctx, only),
        _ => {
            pg.prepared_view = Some(PreparedView::default());
            ctx.toast(
                ToastLevel::Info,
                format!(
                    "{} prepared transactions: pid 0 stands for all of them; choose one, then x",
                    rows.len()
                ),
            );
        }
    }
}

/// `x` in the list: the rollback of the selected one.
pub fn rollback_selected(pg: &PostgresPane, ctx: &mut Ctx<'_>) {
    let selected = pg.prepared_view.map_or(0, |v| v.selected);
    match pg.prepared_rows().get(selected) {
        Some(xact) => ask_rollback(pg, ctx, xact),
        None => ctx.toast(ToastLevel::Info, "no prepared transaction"),
    }
}

/// The confirmation of `ROLLBACK PREPARED`, where the gid must be typed.
pub fn ask_rollback(pg: &PostgresPane, ctx: &mut Ctx<'_>, xact: &PreparedXact) {
    let Some(snapshot) = pg.shown.as_ref() else {
        return;
    };
    if let Err(reason) = rollback_permission(&snapshot.role, xact) {
        ctx.toast(ToastLevel::Warn, format!("disabled: {reason}"));
        return;
    }
    let now = pg.now.unwrap_or(snapshot.taken_at);
    let blocked = pg.tree_line(PREPARED_PID).map_or(0, |l| l.blocks_total);
    let request = xact.rollback_request(&snapshot.database);
    let details = vec![
        ("gid".to_owned(), xact.gid.clone()),
        ("database".to_owned(), xact.database.clone()),
        ("owner".to_owned(), xact.owner.clone()),
        (
            "prepared".to_owned(),
            format!("{} ago ({})", short_age(xact.age(now)), pin(xact.prepared)),
        ),
        (
            "blocks".to_owned(),
            format!("{blocked} sessions wait on prepared transactions here"),
        ),
    ];
    let confirm = Confirm::new(
        request,
        format!(
            "ROLLBACK PREPARED {}?",
            crate::model::text::fit(&xact.gid, 40)
        ),
        details,
    )
    .with_note(
        NoteLevel::Warn,
        "its work is thrown away and its locks released; it cannot be committed afterwards",
    )
    .with_note(
        NoteLevel::Info,
        format!(
            "runs in database {} outside a transaction block, only while {} still names the \
             transaction prepared at {}",
            xact.database,
            xact.gid,
            pin(xact.prepared)
        ),
    );
    ctx.confirm(confirm);
}
