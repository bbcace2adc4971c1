//! The audit pane's own keys: the detail of a record, verifying the hash chain.

use crate::app::ctx::Ctx;
use crate::app::msg::{Cmd, PlatformCall};
use crate::app::panes::audit::AuditPane;
use crate::app::state::ToastLevel;
use crate::keymap::Action;

/// The pane's own keys (besides the global and `[table]` ones): what its keymap section
/// may bind, and what the router lets through to [`on_action`].
pub const ACTIONS: &[crate::keymap::Action] = &[crate::keymap::Action::VerifyChain];

/// The audit pane's own keys; `None` for an action that is not the pane's.
pub fn on_action(pane: &mut AuditPane, ctx: &mut Ctx<'_>, action: Action) -> Option<Vec<Cmd>> {
    match action {
        Action::Select => {
            pane.open_detail();
            Some(Vec::new())
        }
        Action::VerifyChain => {
            if !ctx.context.platform {
                ctx.toast(
                    ToastLevel::Error,
                    "no platform API configured in this context",
                );
                return Some(Vec::new());
            }
            pane.verifying = true;
            Some(vec![Cmd::Platform(PlatformCall::Verify)])
        }
        _ => None,
    }
}
