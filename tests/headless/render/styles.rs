//! Buffer style assertions, since insta text ignores colour: the selection, mono signals,
//! filter match highlights, and SLO states that never rely on colour alone.

use crossterm::event::KeyCode;
use opsdeck::app::panes::catalog::card::CardState;
use opsdeck::app::state::View;
use opsdeck::model::SloStatus;
use opsdeck::theme::{ColorDepth, Role};
use ratatui::buffer::{Buffer, Cell};
use ratatui::style::{Color, Modifier, Style};

use crate::render::{buffer, find, find_in_row, key, state, state_in, typed};

/// Whether a cell shows `style`: its colours where the style sets them, and its modifiers.
fn shows(cell: &Cell, style: Style) -> bool {
    style.fg.is_none_or(|fg| cell.fg == fg)
        && style.bg.is_none_or(|bg| cell.bg == bg)
        && cell.modifier.contains(style.add_modifier)
}

fn describe(cell: &Cell) -> String {
    format!(
        "{:?} fg {:?} bg {:?} {:?}",
        cell.symbol(),
        cell.fg,
        cell.bg,
        cell.modifier
    )
}

/// The inner columns of the catalog table on row `y` (inside the pane border).
fn table_row(buf: &Buffer, y: u16) -> impl Iterator<Item = &Cell> {
    let area = buf.area;
    (area.left() + 1..area.right() - 1).map(move |x| &buf[(x, y)])
}

fn selected_name(s: &opsdeck::app::State) -> String {
    s.panes
        .catalog
        .selected()
        .map(|e| e.name().to_owned())
        .expect("a selected row")
}

#[test]
fn selected_row_carries_the_selection_style() {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut s = state(w, h);
        key(&mut s, KeyCode::Down);
        key(&mut s, KeyCode::Down);
        let selection = s.ui.theme.style(Role::Selection);
        assert!(
            selection.bg.is_some(),
            "the default theme gives selection a background"
        );
        let buf = buffer(&s);
        let name = selected_name(&s);
        let (_, y) = find(&buf, &name).expect("selected row on screen");
        for cell in table_row(&buf, y) {
            assert_eq!(
                cell.bg,
                selection.bg.unwrap(),
                "selected row background at {w}×{h}: {}",
                describe(cell)
            );
            assert!(
                cell.modifier.contains(selection.add_modifier),
                "selected row modifiers at {w}×{h}: {}",
                describe(cell)
            );
        }
        // Other rows do not.
        let other = y + 1;
        assert!(
            table_row(&buf, other).all(|c| c.bg != selection.bg.unwrap()),
            "only one row is selected"
        );
    }
}

/// The selected row's plain text (name, owner, tier, on-call) keeps the selection's
/// foreground, so the row reads as one bar with the theme's contrast (black on cyan in the
/// default theme).
#[test]
fn selected_row_text_keeps_the_selection_foreground() {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut s = state(w, h);
        key(&mut s, KeyCode::Down);
        let selection = s.ui.theme.style(Role::Selection);
        let buf = buffer(&s);
        let name = selected_name(&s);
        let (x, y) = find(&buf, &name).expect("selected row on screen");
        for dx in 0..u16::try_from(name.len()).unwrap() {
            let cell = &buf[(x + dx, y)];
            assert!(
                shows(cell, selection),
                "selected name cell at {w}×{h}: {}",
                describe(cell)
            );
        }
    }
}

#[test]
fn mono_has_no_colour_but_keeps_reverse_and_bold() {
    for view in ["svc", "card", "help", "palette", "apps"] {
        for (w, h) in [(80, 24), (120, 40)] {
            let mut s = state_in(view, w, h, ColorDepth::Mono);
            s.context.production = true;
            let buf = buffer(&s);
            for cell in &buf.content {
                assert!(
                    cell.fg == Color::Reset && cell.bg == Color::Reset,
                    "{view} {w}×{h}: colour in mono: {}",
                    describe(cell)
                );
            }
            // The production badge is reversed and bold.
            let (x, y) = find(&buf, "PROD").expect("prod badge");
            assert_eq!(y, 0, "the badge is in the header");
            for dx in 0..4 {
                let cell = &buf[(x + dx, y)];
                assert!(
                    cell.modifier.contains(Modifier::REVERSED | Modifier::BOLD),
                    "{view} {w}×{h}: prod badge {}",
                    describe(cell)
                );
            }
        }
    }
}

#[test]
fn mono_selected_row_is_reversed() {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut s = state_in("svc", w, h, ColorDepth::Mono);
        key(&mut s, KeyCode::Down);
        let buf = buffer(&s);
        let name = selected_name(&s);
        let (_, y) = find(&buf, &name).expect("selected row on screen");
        for cell in table_row(&buf, y) {
            assert!(
                cell.modifier.contains(Modifier::REVERSED),
                "mono selected row at {w}×{h}: {}",
                describe(cell)
            );
        }
        assert!(
            table_row(&buf, y + 1).all(|c| !c.modifier.contains(Modifier::REVERSED)),
            "the next row is not reversed"
        );
    }
}

#[test]
fn filter_matches_carry_the_match_highlight() {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut s = state(w, h);
        typed(&mut s, "/api");
        key(&mut s, KeyCode::Enter);
        let highlight = s.ui.theme.style(Role::MatchHighlight);
        let buf = buffer(&s);
        let selected = selected_name(&s);
        // A visible, unselected row whose name contains the match.
        let (y, name) = s.panes.catalog.table.visible[s.panes.catalog.table.offset..]
            .iter()
            .filter_map(|&i| s.panes.catalog.catalog.entries[i].as_service())
            .filter(|svc| svc.name != selected && svc.name.contains("api"))
            .find_map(|svc| find(&buf, &svc.name).map(|(_, y)| (y, svc.name.clone())))
            .expect("an unselected matching row on screen");
        let x = find_in_row(&buf, y, &name).unwrap();
        let at = u16::try_from(name.find("api").unwrap()).unwrap();
        for dx in 0..3 {
            let cell = &buf[(x + at + dx, y)];
            assert!(
                shows(cell, highlight),
                "{name}: matched char at {w}×{h}: {}",
                describe(cell)
            );
        }
        if at > 0 {
            let cell = &buf[(x + at - 1, y)];
            assert!(
                !cell.modifier.contains(highlight.add_modifier),
                "{name}: unmatched char is plain: {}",
                describe(cell)
            );
        }
    }
}

fn breached_service() -> String {
    let s = state(120, 40);
    s.panes
        .catalog
        .catalog
        .services()
        .find(|svc| svc.slo_status() == SloStatus::Breached)
        .map(|svc| svc.name.clone())
        .expect("the sandbox has a breached service")
}

/// Asserts the cells from `x` on row `y` spelling `text` are in `style`.
fn assert_styled(buf: &Buffer, x: u16, y: u16, text: &str, style: Style, what: &str) {
    for (i, _) in text.chars().enumerate() {
        let cell = &buf[(x + u16::try_from(i).unwrap(), y)];
        assert!(shows(cell, style), "{what}: {}", describe(cell));
    }
}

#[test]
fn breached_slo_uses_the_error_role_a_glyph_and_a_word() {
    let name = breached_service();
    for (w, h) in [(80, 24), (120, 40)] {
        let mut s = state(w, h);
        let error = s.ui.theme.style(Role::Error);
        typed(&mut s, &format!("/{name}"));
        key(&mut s, KeyCode::Enter);
        // The row may be the selected one: the error role sets its own foreground, so the
        // selection's background does not hide it.
        let buf = buffer(&s);
        let (_, y) = (0..buf.area.height)
            .find_map(|y| {
                find_in_row(&buf, y, &format!("{name} "))
                    .filter(|_| find_in_row(&buf, y, "✗ breached").is_some())
                    .map(|x| (x, y))
            })
            .unwrap_or_else(|| panic!("{name}'s row with `✗ breached` at {w}×{h}"));
        let x = find_in_row(&buf, y, "✗ breached").unwrap();
        assert_styled(&buf, x, y, "✗ breached", error, "catalog SLO cell");

        // The card says it the same way.
        s.history.push(View::Card(CardState::new(name.clone())));
        let buf = buffer(&s);
        let (x, y) = find(&buf, "✗").expect("the card's SLO glyph");
        assert!(
            find_in_row(&buf, y, "SLO").is_some(),
            "the glyph is on the SLO line"
        );
        assert!(
            find_in_row(&buf, y, "breached").is_some(),
            "the card names the state in words"
        );
        assert_styled(&buf, x, y, "✗", error, "card SLO glyph");
        let wx = find_in_row(&buf, y, "breached").unwrap();
        assert_styled(&buf, wx, y, "breached", error, "card SLO word");
    }
}
