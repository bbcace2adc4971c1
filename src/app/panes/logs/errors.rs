//! Errors in the logs pane: `e` shows errors and worse only, and toggles back to the levels
//! shown before (like the traces pane's `e`); `] e` / `[ e` jump to the next and previous error
//! line among the shown ones, wrapping around with a toast (lnav's `e`/`E`).

use crate::app::ctx::Ctx;
use crate::app::msg::Cmd;
use crate::app::panes::logs::LogsPane;
use crate::app::state::ToastLevel;
use crate::keymap::Action;
use crate::model::logs::{Level, LevelGroup, LevelSet};

/// The levels `e` shows.
#[must_use]
pub fn errors_set() -> LevelSet {
    LevelSet::NONE.with(LevelGroup::Error)
}

/// Whether the pane shows errors (and fatal) only.
#[must_use]
pub fn errors_only(logs: &LogsPane) -> bool {
    logs.levels == errors_set()
}

/// How a jump ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Jump {
    Found,
    /// Found only past the end (or the start), from the other side.
    Wrapped,
    NoError,
}

/// Moves the cursor to the next (or previous) shown error line, wrapping around.
pub fn jump_error(logs: &mut LogsPane, forward: bool) -> Jump {
    let Some(i) = logs.cursor_index() else {
        return Jump::NoError;
    };
    let len = logs.shown_len();
    let is_error = |j: usize| {
        logs.shown_seq(j).is_some_and(|seq| {
            !logs.markers.contains(&seq)
                && logs
                    .buffer
                    .get_seq(seq)
                    .is_some_and(|l| matches!(l.level(), Some(Level::Error | Level::Fatal)))
        })
    };
    let (hit, wrapped) = if forward {
        match (i + 1..len).find(|&j| is_error(j)) {
            Some(j) => (Some(j), false),
            None => ((0..=i).find(|&j| is_error(j)), true),
        }
    } else {
        match (0..i).rev().find(|&j| is_error(j)) {
            Some(j) => (Some(j), false),
            None => ((i..len).rev().find(|&j| is_error(j)), true),
        }
    };
    let Some(j) = hit else {
        return Jump::NoError;
    };
    logs.cursor = logs.shown_seq(j);
    if wrapped { Jump::Wrapped } else { Jump::Found }
}

/// `e`, `] e` and `[ e`; `None` for other actions.
pub fn on_action(logs: &mut LogsPane, ctx: &mut Ctx<'_>, action: Action) -> Option<Vec<Cmd>> {
    match action {
        Action::ErrorsOnly => {
            if errors_only(logs) {
                logs.levels = logs.levels_before_errors.take().unwrap_or_default();
            } else {
                logs.levels_before_errors = Some(logs.levels);
                logs.levels = errors_set();
            }
            logs.recompute();
        }
        Action::NextError | Action::PrevError => {
            let forward = action == Action::NextError;
            match jump_error(logs, forward) {
                Jump::Found => {}
                Jump::Wrapped if forward => {
                    ctx.toast(ToastLevel::Info, "no later error: wrapped to the first");
                }
                Jump::Wrapped => {
                    ctx.toast(ToastLevel::Info, "no earlier error: wrapped to the last");
                }
                Jump::NoError => ctx.toast(ToastLevel::Info, "no error lines shown"),
            }
        }
        _ => return None,
    }
    logs.window_start(super::histogram::body_height(logs, ctx.size));
    Some(Vec::new())
}
