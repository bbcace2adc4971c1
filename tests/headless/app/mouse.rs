//! The mouse (`--mouse`, config `mouse`): off by default; when on, a click selects the row
//! drawn under it (by identity) or shows the tab's pane, and the wheel moves the cursor or
//! scrolls a dialog.

use crossterm::event::{Event, KeyCode, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use opsdeck::app::state::{Modal, PaneId};
use opsdeck::app::{Msg, State, update};

use super::keys::{key, state};

fn mouse(s: &mut State, kind: MouseEventKind, column: u16, row: u16) {
    update(
        s,
        Msg::Input(Event::Mouse(MouseEvent {
            kind,
            column,
            row,
            modifiers: KeyModifiers::NONE,
        })),
    );
}

fn click(s: &mut State, column: u16, row: u16) {
    mouse(s, MouseEventKind::Down(MouseButton::Left), column, row);
}

/// Draws a frame (as the run loop does before any click) and returns where `text` starts
/// on screen, first match top to bottom.
fn find(s: &State, text: &str) -> (u16, u16) {
    let buffer = opsdeck::screenshot::draw(s).expect("draws");
    let area = buffer.area;
    for y in 0..area.height {
        let cells: Vec<&str> = (0..area.width)
            .map(|x| buffer.cell((x, y)).map_or(" ", |c| c.symbol()))
            .collect();
        let line: String = cells.concat();
        if let Some(byte) = line.find(text) {
            let column = line[..byte].chars().count();
            return (u16::try_from(column).unwrap(), y);
        }
    }
    panic!("{text:?} is not on screen")
}

fn selected(s: &State) -> String {
    s.panes.catalog.selected().unwrap().name().to_owned()
}

/// The name in the catalog's `n`th visible row.
fn row_name(s: &State, n: usize) -> String {
    let row = s.panes.catalog.table.visible[n];
    s.panes.catalog.catalog.entries[row].name().to_owned()
}

#[test]
fn the_mouse_is_off_by_default_and_its_reports_do_nothing_then() {
    assert!(!opsdeck::cli::args::UiArgs::default().mouse);
    assert!(!opsdeck::config::Config::default().mouse);
    let mut s = state();
    assert!(!s.mouse, "the console starts without the mouse");
    let before = selected(&s);
    let target = row_name(&s, 3);
    let (column, row) = find(&s, &target);
    click(&mut s, column, row);
    mouse(&mut s, MouseEventKind::ScrollDown, column, row);
    let (column, row) = find(&s, "apps");
    click(&mut s, column, row);
    assert_eq!(selected(&s), before);
    assert_eq!(s.view().pane(), PaneId::Catalog);
}

#[test]
fn a_click_selects_the_row_drawn_under_it_even_after_a_resort() {
    let mut s = state();
    s.mouse = true;
    let target = row_name(&s, 4);
    assert_ne!(selected(&s), target);
    let (column, row) = find(&s, &target);
    click(&mut s, column + 2, row);
    assert_eq!(selected(&s), target);

    // Another row, drawn; then the order flips before the click lands (no frame between):
    // the click still picks the row the user saw there, not what is at that position now.
    let seen = row_name(&s, 2);
    let (column, row) = find(&s, &seen);
    key(&mut s, KeyCode::Char('='));
    assert_ne!(row_name(&s, 2), seen, "the order changed");
    click(&mut s, column, row);
    assert_eq!(selected(&s), seen);
}

#[test]
fn a_click_outside_the_rows_selects_nothing() {
    let mut s = state();
    s.mouse = true;
    let before = selected(&s);
    let (column, row) = find(&s, "NAME");
    click(&mut s, column, row); // the heading
    let (width, height) = s.size;
    click(&mut s, width - 1, height - 1); // the status line
    assert_eq!(selected(&s), before);
}

#[test]
fn the_wheel_moves_the_cursor_and_scrolls_help() {
    let mut s = state();
    s.mouse = true;
    let first = selected(&s);
    mouse(&mut s, MouseEventKind::ScrollDown, 10, 10);
    mouse(&mut s, MouseEventKind::ScrollDown, 10, 10);
    assert_eq!(selected(&s), row_name(&s, 2));
    mouse(&mut s, MouseEventKind::ScrollUp, 10, 10);
    mouse(&mut s, MouseEventKind::ScrollUp, 10, 10);
    assert_eq!(selected(&s), first);

    key(&mut s, KeyCode::Char('?'));
    mouse(&mut s, MouseEventKind::ScrollDown, 10, 10);
    assert!(
        matches!(s.modal, Some(Modal::Help { scroll: 1 })),
        "{:?}",
        s.modal
    );
    assert_eq!(selected(&s), first, "the wheel scrolled help, not the list");
}

#[test]
fn a_click_on_a_tab_shows_its_pane() {
    let mut s = state();
    s.mouse = true;
    let (column, row) = find(&s, "apps");
    assert_eq!(row, 1, "the tab row");
    click(&mut s, column, row);
    assert_eq!(s.view().pane(), PaneId::Apps);
    let (column, row) = find(&s, "kafka");
    click(&mut s, column + 1, row);
    assert_eq!(s.view().pane(), PaneId::Kafka);
}

#[test]
fn a_click_while_a_dialog_is_open_does_nothing() {
    let mut s = state();
    s.mouse = true;
    let (column, row) = find(&s, "apps");
    key(&mut s, KeyCode::Char('?'));
    click(&mut s, column, row);
    assert_eq!(s.view().pane(), PaneId::Catalog);
    assert!(matches!(s.modal, Some(Modal::Help { .. })));
}
