//! The attention view's own keys: `enter` opens the selected service's incident view in its
//! context (switching context first when it is another one); `S` silences its alerts.

use crate::app::ctx::{Ctx, Intent};
use crate::app::msg::Cmd;
use crate::app::panes::attention::AttentionPane;
use crate::keymap::Action;

/// The pane's own keys (besides the global and `[table]` ones).
pub const ACTIONS: &[Action] = &[Action::SilenceAlert, Action::OpenIncident];

/// The attention view's own keys; `None` for an action that is not the pane's.
pub fn on_action(pane: &mut AttentionPane, ctx: &mut Ctx<'_>, action: Action) -> Option<Vec<Cmd>> {
    match action {
        Action::Select | Action::OpenIncident => {
            if let Some(row) = pane.selected() {
                ctx.intent(Intent::IncidentIn {
                    context: row.context.clone(),
                    service: row.service.clone(),
                });
            }
            Some(Vec::new())
        }
        Action::SilenceAlert => {
            if let Some(row) = pane.selected() {
                ctx.intent(Intent::SilenceService {
                    context: row.context.clone(),
                    service: row.service.clone(),
                });
            }
            Some(Vec::new())
        }
        _ => None,
    }
}
