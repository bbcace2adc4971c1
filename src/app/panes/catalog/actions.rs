//! The catalog pane's own keys: opening a service's card.

use crate::app::msg::Cmd;
use crate::app::panes::catalog::card::CardState;
use crate::app::state::{State, View};
use crate::keymap::Action;

/// The catalog pane's own keys; `None` for an action that is not the pane's.
pub fn on_action(state: &mut State, action: Action) -> Option<Vec<Cmd>> {
    match action {
        Action::Select => {
            let service = state
                .panes
                .catalog
                .selected()
                .and_then(|e| e.as_service())
                .map(|s| s.name.clone());
            if let Some(service) = service {
                state.history.push(View::Card(CardState::new(service)));
            }
            Some(Vec::new())
        }
        _ => None,
    }
}
