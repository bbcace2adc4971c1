//! Sort markers come from the pane's declared sort keys: for every order a table pane
//! offers, the view marks the heading that order declares, once, at every width (or none
//! when that column is hidden or the order has no column).

use opsdeck::app::update::on_action;
use opsdeck::app::{PaneId, State};
use opsdeck::keymap::Action;
use opsdeck::theme::ColorDepth;

use crate::render::{state_in, text};

fn marked_headings(screen: &str) -> Vec<String> {
    screen
        .lines()
        .flat_map(|line| {
            line.split(['│', ' '])
                .filter(|w| w.chars().count() > 1 && (w.ends_with('↑') || w.ends_with('↓')))
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect()
}

fn keys_of(state: &State) -> &'static [opsdeck::app::table::SortKey] {
    state.pane().sort_keys()
}

#[test]
fn every_sort_key_marks_its_declared_heading() {
    for &pane in PaneId::ALL {
        for width in [80, 160] {
            let mut s = state_in(pane.command(), width, 30, ColorDepth::Mono);
            let keys = keys_of(&s);
            let mut seen = Vec::new();
            for _ in keys {
                let i = s.active_table().expect("a table pane").sort.column;
                seen.push(i);
                let key = keys[i];
                let marked = marked_headings(&text(&s));
                match key.heading {
                    None => assert!(marked.is_empty(), "{pane:?} key {i}: {marked:?}"),
                    Some(heading) => {
                        assert!(marked.len() <= 1, "{pane:?} key {i}: {marked:?}");
                        let last = heading.split(' ').next_back().unwrap_or(heading);
                        if width >= 160 {
                            assert_eq!(
                                marked,
                                vec![format!("{last}↑")],
                                "{pane:?} at {width}: key {i} marks {heading}"
                            );
                        } else if let Some(m) = marked.first() {
                            assert_eq!(m, &format!("{last}↑"), "{pane:?} at {width}");
                        }
                    }
                }
                on_action(&mut s, Action::SortNext);
            }
            seen.sort_unstable();
            assert_eq!(
                seen,
                (0..keys.len()).collect::<Vec<_>>(),
                "{pane:?}: all keys"
            );
        }
    }
}
