//! The catalog pane's own keys: opening a service's card.

use crate::app::ctx::{Ctx, Intent};
use crate::app::msg::Cmd;
use crate::app::panes::catalog::CatalogPane;
use crate::keymap::Action;

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
