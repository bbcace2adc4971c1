//! The incident view: every panel's key facts at 80×24 and 120×40, the focus marker in mono
//! (no colour: a glyph, reverse and bold), and the instruction shown without a service.

use crossterm::event::KeyCode;
use opsdeck::app::panes::incident::Panel;
use opsdeck::app::state::{PaneId, View};
use opsdeck::theme::ColorDepth;
use ratatui::style::{Color, Modifier};

use crate::render::{buffer, find, key, state, state_in, text};

const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

/// The sandbox's error-burst service (seed 7), which the incident screenshot shows.
const SERVICE: &str = "ledger-service";

#[test]
fn every_panel_shows_its_key_facts() {
    for (w, h) in SIZES {
        let s = state_in("incident", w, h, ColorDepth::TrueColor);
        assert_eq!(s.scope.as_deref(), Some(SERVICE));
        let screen = text(&s);
        for (panel, fact) in [
            ("Service", "SLO breached"),
            ("Argo CD", "Synced"),
            ("Rollout", "rollout ledger-service"),
            ("Databases", "payments-db"),
            ("Consumer lag", "ledger-service-consumer"),
            ("Error logs", "/min now, peak"),
            ("Traces", "failing of"),
        ] {
            assert!(screen.contains(panel), "{w}×{h}: panel {panel}\n{screen}");
            assert!(
                screen.contains(fact),
                "{w}×{h}: {panel} says `{fact}`\n{screen}"
            );
        }
        assert!(screen.contains(&format!("Incident: {SERVICE}")), "{screen}");
        // Severity is said with glyphs, not colour alone.
        assert!(screen.contains("✖ SLO breached"), "{screen}");
    }
}

#[test]
fn the_focused_panel_is_marked_without_colour() {
    for (w, h) in SIZES {
        let mut s = state_in("incident", w, h, ColorDepth::Mono);
        for _ in 0..3 {
            key(&mut s, KeyCode::Tab);
        }
        assert_eq!(s.panes.incident.focus, Panel::Argo);
        let buf = buffer(&s);
        for cell in &buf.content {
            assert!(
                cell.fg == Color::Reset && cell.bg == Color::Reset,
                "colour in mono: {cell:?}"
            );
        }
        let (x, y) = find(&buf, "▶ Argo CD").expect("the focus glyph before the title");
        for dx in 2..9 {
            let cell = &buf[(x + dx, y)];
            assert!(
                cell.modifier.contains(Modifier::REVERSED | Modifier::BOLD),
                "{w}×{h}: focused title {cell:?}"
            );
        }
        // Only one panel is focused.
        assert!(find(&buf, "▶ Service").is_none());
        assert_eq!(text(&s).matches('▶').count(), 1);
    }
}

#[test]
fn without_a_service_it_says_how_to_choose_one() {
    for (w, h) in SIZES {
        let mut s = state(w, h);
        s.history.push(View::Pane(PaneId::Incident));
        let screen = text(&s);
        assert!(
            screen.contains(":incident <service>"),
            "{w}×{h}: the instruction\n{screen}"
        );
    }
}

#[test]
fn severities_and_focus_use_the_theme_roles() {
    use opsdeck::theme::Role;
    for (w, h) in SIZES {
        let s = state_in("incident", w, h, ColorDepth::TrueColor);
        let theme = &s.ui.theme;
        let buf = buffer(&s);
        let (x, y) = find(&buf, "✖ SLO breached").expect("the breached SLO");
        assert_eq!(
            buf[(x, y)].fg,
            theme.style(Role::Error).fg.expect("error colour")
        );
        let (x, y) = find(&buf, "✔ payments-db").expect("the quiet database");
        assert_eq!(buf[(x, y)].fg, theme.style(Role::Ok).fg.expect("ok colour"));
        // The focused panel's title is in the selection role, and bold.
        let selection = theme.style(Role::Selection);
        let (x, y) = find(&buf, "▶ Alerts").expect("the focused title");
        let cell = &buf[(x, y)];
        assert_eq!(cell.bg, selection.bg.expect("selection background"));
        assert!(cell.modifier.contains(Modifier::BOLD));
        let (x, y) = find(&buf, "Argo CD").expect("an unfocused title");
        assert_ne!(
            buf[(x, y)].bg,
            cell.bg,
            "only the focused title is selected"
        );
    }
}

/// The other sandbox incidents show in their services' views, opened with keys.
#[test]
fn the_stuck_rollout_and_the_blocked_database_show_in_their_services() {
    use crate::render::typed;
    for (service, needles) in [
        ("shipping-api", ["✖ stuck: ", "Rollout ✖"]),
        ("checkout-api", ["✖ orders-db: ", "root blocker"]),
    ] {
        let mut s = state(120, 40);
        typed(&mut s, &format!(":incident {service}"));
        key(&mut s, KeyCode::Enter);
        let screen = text(&s);
        for needle in needles {
            assert!(screen.contains(needle), "{service}: `{needle}`\n{screen}");
        }
    }
}
