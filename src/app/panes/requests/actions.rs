//! The requests pane's own keys: the approval queue, approving and rejecting.

use crate::app::modal::platform::decide;
use crate::app::msg::Cmd;
use crate::app::panes::Pane;
use crate::app::state::{State, ToastLevel};
use crate::keymap::Action;

/// The requests pane's own keys; `None` for an action that is not the pane's.
pub fn on_action(state: &mut State, action: Action) -> Option<Vec<Cmd>> {
    match action {
        Action::ToggleQueue => {
            let requests = &mut state.panes.requests;
            if requests.is_approver() {
                requests.queue = !requests.queue;
                // Another list: the cursor starts on its newest request (the one just made).
                requests.table.forget_selection();
                requests.refresh_view();
                let newest = (0..requests.rows.len()).max_by_key(|&i| &requests.rows[i].created);
                if let Some(row) = newest {
                    requests.table.select_row(row);
                }
            } else {
                state.toast(ToastLevel::Info, "the approval queue is for approvers");
            }
            Some(Vec::new())
        }
        Action::Approve => Some(decide(state, true)),
        Action::Reject => Some(decide(state, false)),
        _ => None,
    }
}
