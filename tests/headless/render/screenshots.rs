//! The committed `screenshots/*.svg` are current: each equals what
//! `opsdeck::screenshot::render_svg(view, 120, 36, 7)` draws today, and there is one file per
//! view. Regenerate them with `screenshots/regenerate.sh`.

use std::collections::BTreeSet;
use std::path::PathBuf;

use opsdeck::screenshot::{DemoView, render_svg};

fn views() -> Vec<DemoView> {
    DemoView::all()
}

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("screenshots")
}

#[test]
fn screenshots_are_current() {
    let mut stale = Vec::new();
    for view in views() {
        let path = dir().join(format!("{view}.svg"));
        let expected = render_svg(view, 120, 36, 7).expect("renders");
        match std::fs::read_to_string(&path) {
            Ok(committed) if committed == expected => {}
            Ok(_) => stale.push(format!("{} differs", path.display())),
            Err(e) => stale.push(format!("{}: {e}", path.display())),
        }
    }
    assert!(
        stale.is_empty(),
        "screenshots are out of date; run `screenshots/regenerate.sh` and commit screenshots/:\n  {}",
        stale.join("\n  ")
    );
}

#[test]
#[expect(
    clippy::case_sensitive_file_extension_comparisons,
    reason = "the generator writes `.svg` in lower case; the test wants exactly that"
)]
fn every_screenshot_is_a_known_view() {
    let known: BTreeSet<String> = views().iter().map(|v| format!("{v}.svg")).collect();
    let extra: Vec<String> = std::fs::read_dir(dir())
        .expect("screenshots/ exists")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".svg") && !known.contains(n))
        .collect();
    assert!(
        extra.is_empty(),
        "screenshots of no view: {extra:?}; delete them or run `screenshots/regenerate.sh`"
    );
}

#[test]
fn regenerate_script_lists_every_view() {
    let script = std::fs::read_to_string(dir().join("regenerate.sh")).expect("script exists");
    for view in views() {
        assert!(
            script
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
                .any(|w| w == view.name()),
            "screenshots/regenerate.sh does not list `{view}`"
        );
    }
}
