//! Actions reach only the view on screen: a pane's own action that arrives while another
//! view shows does nothing, whether it comes from a key or from a direct call.

use crossterm::event::KeyCode;
use opsdeck::app::panes::catalog::card::CardState;
use opsdeck::app::state::{PaneId, View};
use opsdeck::app::update::on_action;
use opsdeck::app::{Cmd, State};
use opsdeck::keymap::Action;
use opsdeck::sources::SourceId;

use super::keys::{key, state, typed};

fn is_pause(cmd: &Cmd) -> bool {
    matches!(cmd, Cmd::Pause(..))
}

#[test]
fn postgres_freeze_in_the_kafka_pane_does_nothing() {
    let mut s = state();
    key(&mut s, KeyCode::Char('4'));
    assert_eq!(s.view().pane(), PaneId::Kafka);
    // Postgres's freeze key, pressed in Kafka.
    let cmds = typed(&mut s, "p");
    assert!(!cmds.iter().any(is_pause), "{cmds:?}");
    // The action itself, sent straight to `on_action` as a keymap would.
    let cmds = on_action(&mut s, Action::Freeze);
    assert!(!cmds.iter().any(is_pause), "{cmds:?}");
    assert!(
        !s.panes.postgres.frozen,
        "the hidden Postgres source is not frozen"
    );
    assert!(s.toast.is_none(), "and nothing claims it was");
    // In its own pane the same action freezes.
    key(&mut s, KeyCode::Char('5'));
    let cmds = on_action(&mut s, Action::Freeze);
    assert_eq!(cmds, vec![Cmd::Pause(SourceId::Postgres, true)]);
    assert!(s.panes.postgres.frozen);
}

fn views() -> Vec<View> {
    let mut views: Vec<View> = PaneId::ALL.iter().copied().map(View::Pane).collect();
    views.push(View::Card(CardState::new("checkout-api".into())));
    views
}

fn accepted(s: &State, action: Action) -> bool {
    s.view().key_contexts().iter().any(|c| c.accepts(action))
}

#[test]
fn no_view_runs_an_action_its_keymap_sections_refuse() {
    for view in views() {
        let mut s = state();
        s.history.push(view.clone());
        let mut refused = 0;
        for &action in Action::ALL {
            if accepted(&s, action) {
                continue;
            }
            refused += 1;
            s.dirty = false;
            let cmds = on_action(&mut s, action);
            assert!(cmds.is_empty(), "{view:?} {action}: {cmds:?}");
            assert!(!s.dirty, "{view:?} {action} changed the screen");
            assert!(s.modal.is_none(), "{view:?} {action} opened a dialog");
            assert!(s.toast.is_none(), "{view:?} {action} said something");
            assert_eq!(*s.view(), view, "{action} moved away");
        }
        assert!(refused > 0, "{view:?} refuses other panes' actions");
    }
}

#[test]
fn every_bound_key_of_a_view_is_an_action_it_accepts() {
    for view in views() {
        let mut s = state();
        s.history.push(view.clone());
        for context in s.view().key_contexts() {
            for (action, _) in s.ui.keymap.context(*context) {
                assert!(
                    accepted(&s, *action),
                    "{view:?}: [{}] {action}",
                    context.name()
                );
            }
        }
    }
}

/// A pane's update code answers only the actions it declares (`PaneInfo::actions`) and the
/// `[table]` ones: an action it handled without declaring could never reach it, and one it
/// declares is what its keymap section may bind.
#[test]
fn a_pane_handles_only_the_actions_it_declares() {
    let base = state();
    for &pane in PaneId::ALL {
        let info = pane.info();
        for &action in Action::ALL {
            let declared = info.actions.contains(&action)
                || (info.table && opsdeck::keymap::KeyContext::Table.accepts(action));
            if declared {
                continue;
            }
            let mut s = base.clone();
            s.history.push(View::Pane(pane));
            let (handled, _) = s.lend(|panes, ctx| panes.get_mut(pane).on_action(ctx, action));
            assert!(
                handled.is_none(),
                "{pane:?} handles {action} without declaring it"
            );
        }
    }
}
