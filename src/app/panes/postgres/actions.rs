//! Postgres pane actions: opening a session's detail (its locks are loaded on demand) and
//! building the guarded cancel/terminate confirmation.

use crate::app::ctx::{Ctx, Focus};
use crate::app::modal::confirm::{Confirm, NoteLevel};
use crate::app::msg::Cmd;
use crate::app::panes::PaneId;
use crate::app::panes::postgres::{PgView, PostgresPane, SessionDetail};
use crate::app::state::ToastLevel;
use crate::model::action::{ActionRequest, KillMode};
use crate::model::pg::{KillAdvice, advice, kill_permission, pin};

/// The pane's own keys (besides the global and `[table]` ones): what its keymap section
/// may bind, and what the router lets through to [`on_action`].
pub const ACTIONS: &[crate::keymap::Action] = &[
    crate::keymap::Action::ToggleView,
    crate::keymap::Action::NextDatabase,
    crate::keymap::Action::Freeze,
    crate::keymap::Action::FasterRefresh,
    crate::keymap::Action::SlowerRefresh,
    crate::keymap::Action::CancelQuery,
    crate::keymap::Action::TerminateBackend,
    crate::keymap::Action::MarkSession,
    crate::keymap::Action::MarkWhere,
    crate::keymap::Action::ClearMarks,
    crate::keymap::Action::PreparedXacts,
];

/// A duration as `1h02m`, `3m05s` or `42s`.
#[must_use]
pub fn short_age(d: std::time::Duration) -> String {
    let s = d.as_secs();
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
    }
}

/// Enter on a session: show the whole query and load its locks.
pub fn open_detail(pg: &mut PostgresPane) -> Vec<Cmd> {
    let (Some(session), Some(database)) = (pg.selected_session(), pg.current_database()) else {
        return Vec::new();
    };
    let pid = session.pid;
    let database = database.to_owned();
    pg.detail = Some(SessionDetail { pid, locks: None });
    vec![Cmd::LoadLocks { database, pid }]
}

/// `c` / `x`: the confirmation of a guarded kill, or the reason it cannot be offered.
pub fn ask_kill(pg: &PostgresPane, ctx: &mut Ctx<'_>, mode: KillMode) {
    let (Some(snapshot), Some(session)) = (pg.shown.clone(), pg.selected_session().cloned()) else {
        ctx.toast(ToastLevel::Info, "select a session first");
        return;
    };
    if let Err(reason) = kill_permission(&snapshot.role, &session) {
        ctx.toast(ToastLevel::Warn, format!("disabled: {reason}"));
        return;
    }
    let now = pg.now.unwrap_or(snapshot.taken_at);
    let (direct, total) = pg
        .tree_line(session.pid)
        .map_or((0, 0), |l| (l.blocks_direct, l.blocks_total));
    let request = ActionRequest::KillQuery {
        database: snapshot.database.clone(),
        pid: session.pid,
        backend_start: pin(session.backend_start),
        query_start: match mode {
            KillMode::Cancel => session.query_start.map(pin),
            KillMode::Terminate => None,
        },
        mode,
    };
    let verb = match mode {
        KillMode::Cancel => "cancel the statement of",
        KillMode::Terminate => "terminate",
    };
    let ages = format!(
        "transaction {} · query {} · connected {}",
        session.xact_age(now).map_or_else(|| "-".into(), short_age),
        session.query_age(now).map_or_else(|| "-".into(), short_age),
        short_age(session.backend_age(now)),
    );
    let details = vec![
        (
            "pid".to_owned(),
            format!(
                "{} on {} ({})",
                session.pid, snapshot.database, session.state
            ),
        ),
        (
            "user".to_owned(),
            session.user.clone().unwrap_or_else(|| "-".into()),
        ),
        (
            "app".to_owned(),
            format!("{} from {}", session.application, session.client),
        ),
        ("age".to_owned(), ages),
        (
            "blocks".to_owned(),
            format!("{direct} sessions directly, {total} in total"),
        ),
        (
            "query".to_owned(),
            crate::model::text::fit(&session.query_line(), 200),
        ),
    ];
    let title = format!("{verb} backend {}?", session.pid);
    let KillAdvice {
        recommended,
        cancel_effective,
        reason,
    } = advice(&session);
    let mut confirm = Confirm::new(request, title, details);
    if mode == KillMode::Cancel && !cancel_effective {
        confirm = confirm
            .with_note(
                NoteLevel::Warn,
                format!("cancel will do nothing here. {reason}"),
            )
            .with_note(NoteLevel::Warn, "press esc, then terminate (x) instead");
    } else if mode != recommended {
        confirm = confirm.with_note(NoteLevel::Info, reason);
    }
    confirm = confirm.with_note(
        NoteLevel::Info,
        "guarded: it hits this pid only if backend_start (and query_start) still match",
    );
    ctx.confirm(confirm);
}

/// The Postgres pane's own keys; `None` for an action that is not the pane's.
pub fn on_action(
    pg: &mut PostgresPane,
    ctx: &mut Ctx<'_>,
    action: crate::keymap::Action,
) -> Option<Vec<Cmd>> {
    use crate::keymap::Action;
    use crate::model::source::SourceId;
    // Acting on this database's sessions chooses it: a pile-up elsewhere must not pull the
    // view away while the user marks, plans or awaits an outcome.
    if matches!(
        action,
        Action::CancelQuery
            | Action::TerminateBackend
            | Action::MarkSession
            | Action::MarkWhere
            | Action::PreparedXacts
    ) {
        pg.database_picked = true;
    }
    // The plan of a bulk action and the prepared transactions cover the pane: their keys
    // first.
    if pg.bulk.is_some() {
        match action {
            Action::Select => super::bulk::confirm_plan(pg, ctx),
            Action::CancelQuery | Action::TerminateBackend => {
                ctx.toast(ToastLevel::Info, "enter confirms this plan · esc closes it");
            }
            _ => return None,
        }
        return Some(Vec::new());
    }
    if pg.prepared_view.is_some() {
        match action {
            Action::TerminateBackend => super::prepared::rollback_selected(pg, ctx),
            Action::PreparedXacts => super::prepared::toggle(pg, ctx),
            Action::Select | Action::CancelQuery => ctx.toast(
                ToastLevel::Info,
                "x rolls the selected prepared transaction back (its gid typed) · esc closes",
            ),
            _ => return None,
        }
        return Some(Vec::new());
    }
    match action {
        Action::Select if pg.database_list.is_some() => pg.choose_database(),
        Action::Select => return Some(open_detail(pg)),
        Action::MarkSession => super::bulk::toggle_mark(pg, ctx),
        Action::MarkWhere => super::bulk::ask_where(pg, ctx),
        Action::ClearMarks => super::bulk::clear_marks(pg, ctx),
        Action::PreparedXacts => super::prepared::toggle(pg, ctx),
        Action::TerminateBackend if pg.on_prepared_line() => {
            super::prepared::on_pid_zero(pg, ctx);
        }
        Action::CancelQuery if pg.on_prepared_line() => ctx.toast(
            ToastLevel::Info,
            "a prepared transaction runs no statement: x offers ROLLBACK PREPARED",
        ),
        Action::CancelQuery if !pg.marks.is_empty() => {
            super::bulk::open_plan(pg, ctx, KillMode::Cancel);
        }
        Action::TerminateBackend if !pg.marks.is_empty() => {
            super::bulk::open_plan(pg, ctx, KillMode::Terminate);
        }
        Action::ToggleView => {
            pg.view = pg.view.next();
        }
        // `d` opens the list of databases (enter picks one) instead of cycling blindly.
        Action::NextDatabase => pg.open_database_list(),
        Action::Freeze => {
            pg.toggle_frozen();
            let frozen = pg.frozen;
            let word = if frozen {
                "frozen: the snapshot stays while you read"
            } else {
                "live again"
            };
            ctx.toast(ToastLevel::Info, word);
            return Some(vec![Cmd::Pause(SourceId::Postgres, frozen)]);
        }
        Action::FasterRefresh | Action::SlowerRefresh => {
            let ms = u64::try_from(pg.refresh.as_millis()).unwrap_or(2000);
            let ms = if action == Action::FasterRefresh {
                ms / 2
            } else {
                ms * 2
            }
            .clamp(500, 10_000);
            pg.refresh = std::time::Duration::from_millis(ms);
            let refresh = pg.refresh;
            #[expect(
                clippy::cast_precision_loss,
                reason = "at most 10 000 ms: exact in an f64"
            )]
            let secs = ms as f64 / 1000.0;
            ctx.toast(ToastLevel::Info, format!("Postgres refresh every {secs} s"));
            return Some(vec![Cmd::SetInterval(SourceId::Postgres, refresh)]);
        }
        Action::CancelQuery => ask_kill(pg, ctx, KillMode::Cancel),
        Action::TerminateBackend => ask_kill(pg, ctx, KillMode::Terminate),
        _ => return None,
    }
    Some(Vec::new())
}

/// The incident view's databases panel: the blocking tree of the service's database.
pub fn focus(pg: &mut PostgresPane, ctx: &mut Ctx<'_>, focus: &Focus) -> Vec<Cmd> {
    if let Focus::DatabaseTree(database) = focus {
        if let Some(db) = database {
            pg.select_database(db);
            // Scope chose it: the pane does not wander off to the busiest database.
            pg.database_picked = true;
        }
        pg.view = PgView::Tree;
        ctx.show(PaneId::Postgres);
    }
    Vec::new()
}
