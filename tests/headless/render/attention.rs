//! The attention view and the alerts pane as an on-call engineer reads them at 80×24 and
//! 120×40, in colour and without: what is on fire in both contexts, worst first, severity
//! and state in words, production marked, and the silence that mutes an alert.

use opsdeck::theme::ColorDepth;

use crate::render::{state_in, text};

const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

#[test]
fn what_is_on_fire_shows_both_contexts_worst_first_in_words() {
    for (w, h) in SIZES {
        let s = state_in("fire", w, h, ColorDepth::Mono);
        let screen = text(&s);
        assert!(screen.contains("On fire:"), "{w}×{h}\n{screen}");
        // Both contexts, the production one marked in text, not only in colour.
        assert!(screen.contains("⚑sandbox-p"), "{w}×{h}\n{screen}");
        assert!(screen.contains("sandbox-st"), "{w}×{h}\n{screen}");
        assert!(
            screen.contains("✖ crit"),
            "{w}×{h}: severity in words\n{screen}"
        );
        assert!(screen.contains("checkout-api"), "{w}×{h}\n{screen}");
        // The first row is critical and in production (ranked before staging).
        let first = &s.panes.attention.rows[0];
        assert_eq!(first.level, opsdeck::model::attention::Level::Critical);
        assert!(first.production, "{first:?}");
        // Every row's worst signal is named.
        assert!(s.panes.attention.rows.iter().all(|r| !r.signals.is_empty()));
    }
}

#[test]
fn the_alerts_pane_groups_by_service_and_says_silenced_in_words() {
    for (w, h) in SIZES {
        let s = state_in("alerts", w, h, ColorDepth::Mono);
        let screen = text(&s);
        assert!(screen.contains("▲ firing"), "{w}×{h}\n{screen}");
        assert!(screen.contains("◌ silenced"), "{w}×{h}\n{screen}");
        assert!(
            screen.contains("(no service)"),
            "{w}×{h}: the watchdog\n{screen}"
        );
        let s = state_in("silences", w, h, ColorDepth::Mono);
        let screen = text(&s);
        assert!(screen.contains("◌ active"), "{w}×{h}\n{screen}");
        assert!(screen.contains("backfill running"), "{w}×{h}\n{screen}");
    }
}
