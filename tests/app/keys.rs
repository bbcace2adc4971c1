//! Navigation, palette, filter, history, scope and context switch, from keystrokes.

use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use opsdeck::app::state::{Modal, PaneId, View};
use opsdeck::app::{Cmd, Msg, State, update};
use opsdeck::screenshot::demo_state;
use opsdeck::theme::ColorDepth;

pub fn state() -> State {
    demo_state(7, 80, 24, ColorDepth::Ansi16).expect("demo state")
}

pub fn key(state: &mut State, code: KeyCode) -> Vec<Cmd> {
    update(
        state,
        Msg::Input(Event::Key(KeyEvent::new(code, KeyModifiers::NONE))),
    )
}

pub fn typed(state: &mut State, text: &str) -> Vec<Cmd> {
    let mut cmds = Vec::new();
    for c in text.chars() {
        cmds.extend(key(state, KeyCode::Char(c)));
    }
    cmds
}

fn selected_name(state: &State) -> String {
    state
        .catalog
        .selected()
        .map(|e| e.name().to_owned())
        .unwrap_or_default()
}

#[test]
fn filter_narrows_inverts_and_clears() {
    let mut s = state();
    let total = s.catalog.table.visible.len();
    typed(&mut s, "/chk");
    assert!(s.catalog.table.filter.editing);
    assert_eq!(s.catalog.table.filter.text, "chk");
    key(&mut s, KeyCode::Tab); // regex
    key(&mut s, KeyCode::Tab); // fuzzy
    assert!(s.catalog.table.visible.len() < total);
    assert!(s.catalog.table.visible.len() >= 1);
    assert_eq!(selected_name(&s), "checkout-api");
    key(&mut s, KeyCode::Enter);
    assert!(!s.catalog.table.filter.editing);
    key(&mut s, KeyCode::Esc);
    assert_eq!(
        s.catalog.table.visible.len(),
        total,
        "esc clears an applied filter"
    );
    typed(&mut s, "/!tier-1");
    let non_tier1 = s.catalog.table.visible.len();
    assert!(non_tier1 > 0 && non_tier1 < total);
}
