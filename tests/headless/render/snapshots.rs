//! Text snapshots of every view at 80×24 and 120×40 (insta; colours are checked in
//! `styles`). Accept changes with `INSTA_UPDATE=always cargo test --test headless render::`
//! and review the `.snap` files.

use crossterm::event::KeyCode;
use opsdeck::app::PaneId;
use opsdeck::theme::ColorDepth;

use crate::render::{key, state, state_in, text, typed};

const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

fn snap(name: &str, width: u16, height: u16, screen: &str) {
    insta::assert_snapshot!(format!("{name}_{width}x{height}"), screen);
}

fn view(view: &str) {
    for (w, h) in SIZES {
        let s = state_in(view, w, h, ColorDepth::TrueColor);
        snap(view, w, h, &text(&s));
    }
}

#[test]
fn catalog_list() {
    view("svc");
}

#[test]
fn service_card() {
    view("card");
}

#[test]
fn help_overlay() {
    view("help");
}

#[test]
fn palette() {
    view("palette");
}

/// Every pane besides the catalog, as the demo state shows them.
#[test]
fn other_panes() {
    for pane in PaneId::ALL.iter().copied() {
        if pane != PaneId::Catalog {
            view(pane.command());
        }
    }
}

#[test]
fn filtered_catalog() {
    for (w, h) in SIZES {
        let mut s = state(w, h);
        typed(&mut s, "/api");
        assert!(s.panes.catalog.table.filter.editing, "`/` opens the filter");
        snap("filter_editing", w, h, &text(&s));
        key(&mut s, KeyCode::Enter);
        snap("filter_kept", w, h, &text(&s));
    }
}

#[test]
fn filtered_catalog_without_matches() {
    let mut s = state(80, 24);
    typed(&mut s, "/zzzz-no-such-service");
    snap("filter_no_match", 80, 24, &text(&s));
}

#[test]
fn too_small() {
    let s = state(39, 9);
    let screen = text(&s);
    assert!(screen.contains("terminal too small"), "{screen}");
    snap("too_small", 39, 9, &screen);
    // One column or row more than the minimum draws the console.
    for (w, h) in [(40, 9), (39, 10)] {
        assert!(text(&state(w, h)).contains("too small"), "{w}×{h}");
    }
    assert!(!text(&state(40, 10)).contains("too small"));
}

#[test]
fn production_context_header() {
    for (w, h) in SIZES {
        let mut s = state(w, h);
        s.context.production = true;
        s.context.name = "sandbox-prod".into();
        let screen = text(&s);
        assert!(screen.lines().next().unwrap().contains("PROD"), "{screen}");
        snap("prod_header", w, h, &screen);
    }
}

/// The views reached by keys rather than a pane command (details, dialogs, forms): the
/// same list the screenshots show.
#[test]
fn extra_views() {
    for extra in opsdeck::screenshot::DemoView::EXTRA {
        view(extra.name());
    }
}

/// The logs pane with its histogram strip focused on a bucket (`H`, then two buckets left).
#[test]
fn logs_histogram_focused() {
    for (w, h) in SIZES {
        let mut s = state_in("logs", w, h, ColorDepth::TrueColor);
        key(&mut s, KeyCode::Char('H'));
        key(&mut s, KeyCode::Left);
        key(&mut s, KeyCode::Left);
        assert!(s.panes.logs.strip.focused());
        snap("logs-histogram-focused", w, h, &text(&s));
    }
}
