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

/// The screen as text, one line per row.
pub fn screen(s: &State) -> String {
    let buffer = opsdeck::screenshot::draw(s).expect("draws");
    let width = usize::from(buffer.area.width);
    buffer
        .content()
        .chunks(width)
        .map(|row| {
            row.iter()
                .map(ratatui::buffer::Cell::symbol)
                .collect::<String>()
                + "\n"
        })
        .collect()
}

fn selected_name(state: &State) -> String {
    state
        .panes
        .catalog
        .selected()
        .map(|e| e.name().to_owned())
        .unwrap_or_default()
}

#[test]
fn filter_narrows_inverts_and_clears() {
    let mut s = state();
    let total = s.panes.catalog.table.visible.len();
    typed(&mut s, "/chk");
    assert!(s.panes.catalog.table.filter.editing);
    assert_eq!(s.panes.catalog.table.filter.text, "chk");
    key(&mut s, KeyCode::Tab); // regex
    key(&mut s, KeyCode::Tab); // fuzzy
    assert!(s.panes.catalog.table.visible.len() < total);
    assert!(!s.panes.catalog.table.visible.is_empty());
    assert_eq!(selected_name(&s), "checkout-api");
    key(&mut s, KeyCode::Enter);
    assert!(!s.panes.catalog.table.filter.editing);
    key(&mut s, KeyCode::Esc);
    assert_eq!(
        s.panes.catalog.table.visible.len(),
        total,
        "esc clears an applied filter"
    );
    // The mode survives esc; fuzzy looks at name and owner only, so switch back to text.
    typed(&mut s, "/");
    key(&mut s, KeyCode::Tab);
    assert_eq!(
        s.panes.catalog.table.filter.mode,
        opsdeck::app::filter::FilterMode::Substring
    );
    typed(&mut s, "!tier-1");
    let non_tier1 = s.panes.catalog.table.visible.len();
    assert!(non_tier1 > 0 && non_tier1 < total);
}

#[test]
fn number_keys_enter_and_history() {
    let mut s = state();
    key(&mut s, KeyCode::Char('5'));
    assert_eq!(s.view().pane(), PaneId::Postgres);
    key(&mut s, KeyCode::Char('1'));
    typed(&mut s, "jj");
    let name = selected_name(&s);
    key(&mut s, KeyCode::Enter);
    assert!(matches!(s.view(), View::Card(c) if c.service == name));
    key(&mut s, KeyCode::Char('['));
    assert_eq!(*s.view(), View::Pane(PaneId::Catalog));
    key(&mut s, KeyCode::Char('['));
    assert_eq!(*s.view(), View::Pane(PaneId::Postgres));
    key(&mut s, KeyCode::Char(']'));
    key(&mut s, KeyCode::Char(']'));
    assert!(
        matches!(s.view(), View::Card(_)),
        "forward walks the history back"
    );
    key(&mut s, KeyCode::Esc);
    assert_eq!(*s.view(), View::Pane(PaneId::Catalog), "esc goes back");
}

#[test]
fn card_tree_navigates_into_dependencies() {
    let mut s = state();
    typed(&mut s, "/checkout-api");
    key(&mut s, KeyCode::Enter);
    key(&mut s, KeyCode::Enter);
    assert!(matches!(s.view(), View::Card(c) if c.service == "checkout-api"));
    key(&mut s, KeyCode::Down); // first dependency under "depends on"
    key(&mut s, KeyCode::Enter);
    assert!(matches!(s.view(), View::Card(c) if c.service == "cart-service"));
}

#[test]
fn palette_aliases_completion_and_errors() {
    let mut s = state();
    typed(&mut s, ":");
    assert!(matches!(s.modal, Some(Modal::Palette(_))));
    typed(&mut s, "ro");
    key(&mut s, KeyCode::Tab);
    let Some(Modal::Palette(p)) = &s.modal else {
        panic!("palette open")
    };
    assert_eq!(
        p.input, "ro",
        "ambiguous: ro, rollouts, rollout keep the common prefix"
    );
    typed(&mut s, "llouts");
    key(&mut s, KeyCode::Enter);
    assert!(s.modal.is_none());
    assert_eq!(s.view().pane(), PaneId::Rollouts);
    typed(&mut s, ":postgres");
    key(&mut s, KeyCode::Enter);
    assert_eq!(s.view().pane(), PaneId::Postgres);
    typed(&mut s, ":fly");
    key(&mut s, KeyCode::Enter);
    let Some(Modal::Palette(p)) = &s.modal else {
        panic!("palette stays open on error")
    };
    assert!(
        p.error
            .as_deref()
            .unwrap_or_default()
            .contains("unknown command")
    );
    assert_eq!(p.input, "fly", "typed input is kept");
    key(&mut s, KeyCode::Esc);
    assert!(s.modal.is_none());
    typed(&mut s, ":q");
    let cmds = key(&mut s, KeyCode::Enter);
    assert_eq!(cmds, vec![Cmd::Quit]);
}

#[test]
fn scope_from_catalog_and_palette() {
    let mut s = state();
    typed(&mut s, "/ledger");
    key(&mut s, KeyCode::Enter);
    let cmds = typed(&mut s, "s");
    assert_eq!(cmds[0], Cmd::SetScope(Some("ledger-service".into())));
    // The logs pane follows the scope: the service's pods and Loki selector.
    assert!(
        matches!(&cmds[1], Cmd::LogTarget(t) if t.service.as_deref() == Some("ledger-service")
            && t.selector.is_some()),
        "{cmds:?}"
    );
    assert_eq!(s.scope.as_deref(), Some("ledger-service"));
    typed(&mut s, ":scope nope");
    key(&mut s, KeyCode::Enter);
    assert_eq!(
        s.scope.as_deref(),
        Some("ledger-service"),
        "unknown services are refused"
    );
    assert!(
        s.toast
            .as_ref()
            .is_some_and(|t| t.text.contains("no service named"))
    );
    typed(&mut s, ":scope all");
    let cmds = key(&mut s, KeyCode::Enter);
    assert_eq!(cmds[0], Cmd::SetScope(None));
    assert_eq!(s.scope, None);
}

#[test]
fn context_switch_bumps_generation_and_drops_stale_events() {
    use opsdeck::model::{Catalog, SourceHealth};
    use opsdeck::sources::{SourceBody, SourceEvent, SourceId};
    use std::sync::Arc;
    let mut s = state();
    let old = s.generation;
    typed(&mut s, ":ctx sandbox-prod");
    let cmds = key(&mut s, KeyCode::Enter);
    assert_eq!(
        cmds,
        vec![Cmd::SwitchContext {
            name: "sandbox-prod".into(),
            generation: old + 1
        }]
    );
    assert_eq!(s.context.name, "sandbox-prod");
    assert!(!s.panes.catalog.loaded, "the old context's data is gone");
    let stale = SourceEvent {
        source: SourceId::Catalog,
        generation: old,
        body: SourceBody::Catalog(Arc::new(Catalog::default())),
    };
    update(&mut s, Msg::Source(stale));
    assert!(
        !s.panes.catalog.loaded,
        "events of the old generation are dropped"
    );
    let fresh = SourceEvent {
        source: SourceId::Catalog,
        generation: old + 1,
        body: SourceBody::Health(SourceHealth::Off),
    };
    update(&mut s, Msg::Source(fresh));
    assert_eq!(s.health.get(&SourceId::Catalog), Some(&SourceHealth::Off));
    typed(&mut s, ":ctx nowhere");
    assert!(key(&mut s, KeyCode::Enter).is_empty());
    assert!(
        s.toast
            .as_ref()
            .is_some_and(|t| t.text.contains("no context"))
    );
}

#[test]
fn help_lists_keys_from_the_keymap_and_sort_cycles() {
    let mut s = state();
    key(&mut s, KeyCode::Char('?'));
    assert!(matches!(s.modal, Some(Modal::Help { .. })));
    let screen = |s: &State| -> String {
        let buffer = opsdeck::screenshot::draw(s).expect("draws");
        buffer
            .content()
            .iter()
            .map(ratatui::buffer::Cell::symbol)
            .collect()
    };
    assert!(
        screen(&s).contains("scope every pane"),
        "this pane's keys come first"
    );
    assert!(screen(&s).contains("filter the table"), "then the table's");
    for _ in 0..8 {
        key(&mut s, KeyCode::Down);
    }
    assert!(
        screen(&s).contains("quit opsdeck"),
        "global keys after scrolling"
    );
    key(&mut s, KeyCode::Esc);
    assert!(s.modal.is_none());
    let first = selected_name(&s);
    let top = s.panes.catalog.table.visible[0];
    key(&mut s, KeyCode::Char('='));
    assert_ne!(s.panes.catalog.table.visible[0], top, "reversed order");
    assert_eq!(selected_name(&s), first, "the cursor stays on its service");
    key(&mut s, KeyCode::Char('>'));
    assert_eq!(s.panes.catalog.table.sort.column, 1);
}
