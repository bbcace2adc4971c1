//! The mouse, when it is on (`--mouse`, config `mouse`; off by default, as in k9s, since a
//! terminal that reports the mouse no longer selects text without shift):
//!
//! - a left click on a table row selects that row (the row drawn there, by identity:
//!   [`super::drawn`]);
//! - a left click on a tab shows its pane, as its number key does;
//! - the wheel moves the cursor of the list showing, a row per notch, or scrolls the
//!   dialog open (help, messages), as the arrow keys do.
//!
//! Every other report (release, drag, right and middle buttons) is ignored, and so is every
//! report at all while the mouse is off.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::Rect;

use super::msg::Cmd;
use super::state::{State, View};
use crate::keymap::Action;

/// One mouse report.
pub fn on_mouse(state: &mut State, event: MouseEvent) -> Vec<Cmd> {
    if !state.mouse {
        return Vec::new();
    }
    match event.kind {
        MouseEventKind::ScrollDown => wheel(state, KeyCode::Down, Action::Down),
        MouseEventKind::ScrollUp => wheel(state, KeyCode::Up, Action::Up),
        MouseEventKind::Down(MouseButton::Left) => click(state, event.column, event.row),
        _ => Vec::new(),
    }
}

/// The wheel: a dialog scrolls as with the arrow key, else the view's cursor moves.
fn wheel(state: &mut State, arrow: KeyCode, action: Action) -> Vec<Cmd> {
    if state.modal.is_some() {
        return super::update::on_key(state, KeyEvent::new(arrow, KeyModifiers::NONE));
    }
    super::update::run_action(state, action)
}

/// A left click: on a tab, its pane; on a row of the table showing, that row. A click while
/// a dialog is open does nothing (the dialog has the keys).
fn click(state: &mut State, column: u16, row: u16) -> Vec<Cmd> {
    let (width, height) = state.size;
    if state.modal.is_some() || super::layout::too_small(width, height) {
        return Vec::new();
    }
    let tour_rows = super::layout::tour_panel_rows(state.tour.is_some(), height);
    let areas = super::layout::areas_with(Rect::new(0, 0, width, height), tour_rows);
    if areas.tabs.is_some_and(|tabs| tabs.y == row) {
        return match super::tab_strip::tab_at(state, width, column) {
            Some(pane) => super::update::run_action(state, pane.info().goto),
            None => Vec::new(),
        };
    }
    if !matches!(state.view(), View::Pane(_)) {
        return Vec::new();
    }
    let key = state
        .active_table()
        .and_then(|table| table.drawn.get())
        .and_then(|drawn| drawn.key_at(column, row).cloned());
    if let (Some(key), Some(table)) = (key, state.active_table_mut())
        && table.select_key(&key)
    {
        state.dirty = true;
    }
    Vec::new()
}
