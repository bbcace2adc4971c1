//! The catalog pane's own keys: opening a service's card.

use crate::app::ctx::{Ctx, Intent};
use crate::app::msg::Cmd;
use crate::app::panes::catalog::CatalogPane;
use crate::keymap::Action;

/// The pane's own keys (besides the global and `[table]` ones): what its keymap section
/// may bind, and what the router lets through to [`on_action`].
pub const ACTIONS: &[crate::keymap::Action] = &[
    crate::keymap::Action::Scope,
    crate::keymap::Action::OpenIncident,
    crate::keymap::Action::OpenLogs,
    crate::keymap::Action::OpenTraces,
];

/// The catalog pane's own keys; `None` for an action that is not the pane's.
pub fn on_action(pane: &mut CatalogPane, ctx: &mut Ctx<'_>, action: Action) -> Option<Vec<Cmd>> {
    match action {
        Action::Select => {
            let service = pane
                .selected()
                .and_then(|e| e.as_service())
                .map(|s| s.name.clone());
            if let Some(service) = service {
                ctx.intent(Intent::OpenCard(service));
            }
            Some(Vec::new())
        }
        _ => None,
    }
}
