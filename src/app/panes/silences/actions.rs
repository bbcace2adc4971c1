//! The silences pane's own key: expire the selected silence (a dialog that shows what it
//! mutes now, then the audit gate).

use crate::app::ctx::Ctx;
use crate::app::modal::confirm::{Confirm, NoteLevel};
use crate::app::msg::Cmd;
use crate::app::panes::silences::SilencesPane;
use crate::app::state::ToastLevel;
use crate::keymap::Action;
use crate::model::action::ActionRequest;
use crate::model::silence::matchers_text;

/// The pane's own keys (besides the global and `[table]` ones).
pub const ACTIONS: &[Action] = &[Action::ExpireSilence];

/// The silences pane's own keys; `None` for an action that is not the pane's.
pub fn on_action(pane: &mut SilencesPane, ctx: &mut Ctx<'_>, action: Action) -> Option<Vec<Cmd>> {
    match action {
        Action::ExpireSilence => {
            let Some((silence, caught)) = pane.selected() else {
                ctx.toast(ToastLevel::Info, "no silence selected");
                return Some(Vec::new());
            };
            // The policy target is what the silence is about: its service matcher, else
            // its alert name, else its id.
            let about = ["service", "app", "job", "alertname"]
                .iter()
                .find_map(|name| {
                    silence
                        .matchers
                        .iter()
                        .find(|m| &m.name == name && m.is_equal && !m.is_regex)
                        .map(|m| m.value.clone())
                })
                .unwrap_or_else(|| silence.id.clone());
            let request = ActionRequest::ExpireSilence {
                id: silence.id.clone(),
                service: about.clone(),
            };
            let details = vec![
                ("Silence".to_owned(), silence.id.clone()),
                ("Matchers".to_owned(), matchers_text(&silence.matchers)),
                (
                    "By".to_owned(),
                    format!("{} · {}", silence.created_by, silence.comment),
                ),
                ("Ends".to_owned(), silence.ends_at.clone()),
            ];
            let mut dialog =
                Confirm::new(request, format!("expire the silence of {about}"), details);
            if caught > 0 {
                dialog = dialog.with_note(
                    NoteLevel::Warn,
                    format!(
                        "{caught} alert{} it mutes will notify again",
                        if caught == 1 { "" } else { "s" }
                    ),
                );
            }
            ctx.confirm(dialog);
            Some(Vec::new())
        }
        _ => None,
    }
}
