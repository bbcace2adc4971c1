//! Two-key sequences (`] e`, vim-unimpaired style): the first key of a sequence bound in the
//! current view waits, shown in the status line, for the second. A second key that completes
//! a sequence runs its action; any other key falls back to the first key's own meaning and
//! then runs as itself, and `esc` runs only the first key's meaning. So `]` still goes forward
//! in history, with no timeout: nothing on screen ever changes by itself.

use super::msg::Cmd;
use super::state::State;
use crate::keymap::{Action, KeyCode2, KeyCombo};

/// Handles one key through the keymap, sequences included.
pub fn on_key(state: &mut State, combo: KeyCombo) -> Vec<Cmd> {
    let contexts = state.view().key_contexts();
    if let Some(lead) = state.pending_key.take() {
        state.dirty = true;
        if let Some(action) = state.ui.keymap.lookup(contexts, combo.after(lead)) {
            return super::update::run_action(state, action);
        }
        let mut cmds = run_single(state, lead);
        let esc = combo.code == KeyCode2::Esc && !combo.ctrl && !combo.alt;
        if !esc {
            cmds.extend(on_key(state, combo));
        }
        return cmds;
    }
    if state.ui.keymap.is_lead(contexts, combo) {
        state.pending_key = Some(combo);
        state.dirty = true;
        return Vec::new();
    }
    run_single(state, combo)
}

fn run_single(state: &mut State, combo: KeyCombo) -> Vec<Cmd> {
    let contexts = state.view().key_contexts();
    match state.ui.keymap.lookup(contexts, combo) {
        Some(action) => super::update::run_action(state, action),
        None => super::custom::on_key(state, combo).unwrap_or_default(),
    }
}

/// What the status line says while a sequence waits: `] … e next_error · esc history_forward`.
#[must_use]
pub fn pending_hint(state: &State) -> Option<String> {
    let lead = state.pending_key?;
    let contexts = state.view().key_contexts();
    let keymap = &state.ui.keymap;
    let mut parts: Vec<String> = keymap
        .sequences_after(contexts, lead)
        .into_iter()
        .map(|(key, action)| format!("{key} {}", action_word(action)))
        .collect();
    let alone = keymap
        .lookup(contexts, lead)
        .map_or_else(|| "cancel".to_owned(), |a| action_word(a).to_owned());
    parts.push(format!("esc {alone}"));
    Some(format!("{lead} … {}", parts.join(" · ")))
}

fn action_word(action: Action) -> &'static str {
    action.name()
}
