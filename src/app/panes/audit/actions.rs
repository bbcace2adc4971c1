//! The audit pane's own keys: verifying the hash chain.

use crate::app::msg::{Cmd, PlatformCall};
use crate::app::state::{State, ToastLevel};
use crate::keymap::Action;

/// The audit pane's own keys; `None` for an action that is not the pane's.
pub fn on_action(state: &mut State, action: Action) -> Option<Vec<Cmd>> {
    match action {
        Action::Select => {
            state.panes.audit.open_detail();
            Some(Vec::new())
        }
        Action::VerifyChain => {
            if !state.context.platform {
                state.toast(
                    ToastLevel::Error,
                    "no platform API configured in this context",
                );
                return Some(Vec::new());
            }
            state.panes.audit.verifying = true;
            Some(vec![Cmd::Platform(PlatformCall::Verify)])
        }
        _ => None,
    }
}
