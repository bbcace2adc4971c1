//! The Argo CD pane over the sandbox's Applications.

use crossterm::event::KeyCode;

use super::keys::{key, state};

/// `:apps`: the apps needing attention first; enter opens the detail, esc closes it.
#[test]
fn apps_list_opens_the_detail_and_esc_closes_it() {
    let mut s = state();
    key(&mut s, KeyCode::Char('2'));
    assert_eq!(s.view().pane(), opsdeck::app::PaneId::Apps);
    let first = s.apps.selected().expect("apps").clone();
    assert_eq!(
        first.attention,
        opsdeck::model::k8s::app_row::Attention::Critical
    );
    key(&mut s, KeyCode::Enter);
    assert_eq!(s.apps.detail.as_deref(), Some(first.name.as_str()));
    assert!(s.apps.detail_app().is_some());
    key(&mut s, KeyCode::Esc);
    assert!(s.apps.detail.is_none());
    assert_eq!(
        s.view().pane(),
        opsdeck::app::PaneId::Apps,
        "esc closed only the detail"
    );
}
