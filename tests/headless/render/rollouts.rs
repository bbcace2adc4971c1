//! What the rollouts pane says about the stuck and the progressing rollout, and the mono
//! theme's signals: glyph and word on every status, never colour alone.

use crossterm::event::KeyCode;
use opsdeck::theme::ColorDepth;

use crate::render::{key, state_in, text};

#[test]
fn the_stuck_rollout_shows_its_reason_tree_steps_and_actions() {
    let mut s = state_in("rollouts-detail", 120, 60, ColorDepth::TrueColor);
    let screen = text(&s);
    for needle in [
        "✖ Degraded",
        "⚠ 1 pod ImagePullBackOff: image registry.acme.io/shipping-api:1.9.0 not found",
        "⚠ ProgressDeadlineExceeded",
        "├──· 1. setWeight: 20",
        "◌ current",
        "# revision:5",
        "⧉ shipping-api-",
        "□ shipping-api-",
        "⚠ ImagePullBackOff",
        "ready:0/1",
        "stable",
        "canary",
    ] {
        assert!(screen.contains(needle), "{needle:?} missing:\n{screen}");
    }
    // Scroll to the end: the actions, offered ones with keys and refused ones with reasons.
    for _ in 0..40 {
        key(&mut s, KeyCode::Down);
    }
    let screen = text(&s);
    assert!(screen.contains("a abort"), "{screen}");
    assert!(
        screen.contains("✗ p promote — rollout is not paused"),
        "{screen}"
    );
    assert!(
        screen.contains("✗ R retry — rollout is not aborted"),
        "{screen}"
    );
}

#[test]
fn the_progressing_canary_marks_its_current_step_in_mono() {
    let mut s = state_in("rollouts", 120, 40, ColorDepth::Mono);
    key(&mut s, KeyCode::Down);
    key(&mut s, KeyCode::Enter);
    let screen = text(&s);
    assert!(screen.contains("॥ Paused"), "{screen}");
    assert!(screen.contains("✔ done"), "{screen}");
    assert!(screen.contains("॥ current"), "{screen}");
    assert!(screen.contains("• pending"), "{screen}");
    assert!(screen.contains("CanaryPauseStep"), "{screen}");
}
