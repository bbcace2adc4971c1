//! Resize robustness: every view at sizes from 1×1 to 130×45 draws without panicking, and a
//! live state survives being shrunk and grown through `update` with its cursor at the end.

use crossterm::event::{Event, KeyCode};
use opsdeck::app::{Msg, PaneId, update};
use opsdeck::theme::ColorDepth;

use crate::render::{buffer, key, state_in, typed};

const WIDTHS: [u16; 12] = [1, 2, 10, 39, 40, 41, 60, 79, 80, 81, 100, 130];
const HEIGHTS: [u16; 10] = [1, 2, 5, 9, 10, 11, 20, 24, 40, 45];

fn views() -> Vec<&'static str> {
    let mut v = vec!["svc", "card", "help", "palette"];
    v.extend(PaneId::ALL.iter().map(|p| p.command()));
    v
}

#[test]
fn every_view_draws_at_every_size() {
    for view in views() {
        for depth in [ColorDepth::TrueColor, ColorDepth::Mono] {
            // One sandbox state per view and depth (building it is the slow part), resized
            // into every size the way a terminal resize reaches the app.
            let base = state_in(view, 80, 24, depth);
            for w in WIDTHS {
                for h in HEIGHTS {
                    let mut s = base.clone();
                    update(&mut s, Msg::Input(Event::Resize(w, h)));
                    let buf = buffer(&s);
                    assert_eq!((buf.area.width, buf.area.height), (w, h), "{view} {w}×{h}");
                }
            }
        }
    }
}

#[test]
fn live_state_survives_shrinking_and_growing() {
    for view in views() {
        let mut s = state_in(view, 130, 45, ColorDepth::TrueColor);
        // Cursor at the far end, a filter showing, a scrolled help page.
        key(&mut s, KeyCode::End);
        key(&mut s, KeyCode::PageDown);
        if view == "svc" {
            typed(&mut s, "/e");
        }
        let mut sizes: Vec<(u16, u16)> = WIDTHS
            .iter()
            .rev()
            .flat_map(|&w| HEIGHTS.iter().rev().map(move |&h| (w, h)))
            .collect();
        sizes.extend(
            WIDTHS
                .iter()
                .zip(HEIGHTS.iter().cycle())
                .map(|(&w, &h)| (w, h)),
        );
        for (w, h) in sizes {
            update(&mut s, Msg::Input(Event::Resize(w, h)));
            let buf = buffer(&s);
            assert_eq!((buf.area.width, buf.area.height), (w, h), "{view} {w}×{h}");
            if view == "svc" {
                let t = &s.panes.catalog.table;
                assert!(t.visible.is_empty() || t.selected < t.visible.len());
                assert!(t.offset <= t.visible.len(), "offset stays in the rows");
            }
        }
    }
}
