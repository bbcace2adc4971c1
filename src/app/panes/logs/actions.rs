//! Keys of the logs pane: level toggles, the `/` search (substring or regex, `tab` switches),
//! `n`/`N`, show-only-matches, follow, wrap, timestamps, jump to a time, copy a line with
//! OSC 52, and the pivot to the line's trace. Also what the log source is asked to read: the
//! scope's service through the catalog's mapping, or one trace's lines.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::app::msg::Cmd;
use crate::app::state::{Modal, PaneId, Prompt, PromptPurpose, State, ToastLevel, View};
use crate::keymap::Action;
use crate::model::logs::{LevelGroup, QueryKind};
use crate::sources::logs::LogTarget;

/// What to read for the scope: the service's pods (namespace and selector from the catalog)
/// and its Loki selector; everything when no service is in scope.
#[must_use]
pub fn target_for_scope(state: &State) -> LogTarget {
    let Some(name) = state.scope.clone() else {
        return LogTarget::default();
    };
    let service = state.panes.catalog.catalog.service(&name);
    let mapping = service.map(|s| &s.mapping);
    LogTarget {
        namespace: mapping.and_then(|m| m.kube_namespace.clone()),
        selector: mapping.and_then(|m| m.pod_selector.clone()),
        logql: mapping.and_then(|m| m.log_selector.clone()),
        service: Some(name),
        ..LogTarget::default()
    }
}

/// Points the log source at `target`, forgetting the lines of the previous one.
pub fn retarget(state: &mut State, target: LogTarget) -> Vec<Cmd> {
    if state.panes.logs.target == target && state.panes.logs.loaded {
        return Vec::new();
    }
    state.panes.logs.clear();
    state.panes.logs.target = target.clone();
    state.dirty = true;
    vec![Cmd::LogTarget(Box::new(target))]
}

/// Runs a logs-pane action; `None` when the action is not the pane's.
pub fn on_action(state: &mut State, action: Action) -> Option<Vec<Cmd>> {
    let page = page(state);
    let logs = &mut state.panes.logs;
    match action {
        Action::ToggleErrors => logs.toggle_level(LevelGroup::Error),
        Action::ToggleWarnings => logs.toggle_level(LevelGroup::Warn),
        Action::ToggleInfo => logs.toggle_level(LevelGroup::Info),
        Action::ToggleDebugLines => logs.toggle_level(LevelGroup::Debug),
        Action::NextMatch | Action::PrevMatch => {
            if logs.query.is_empty() {
                state.toast(ToastLevel::Info, "search first (/)");
            } else if !logs.jump_match(action == Action::NextMatch) {
                let word = if action == Action::NextMatch {
                    "below"
                } else {
                    "above"
                };
                state.toast(ToastLevel::Info, format!("no more matches {word}"));
            }
        }
        Action::OnlyMatching => {
            logs.only_matches = !logs.only_matches;
            logs.recompute();
        }
        Action::Follow => logs.toggle_follow(),
        Action::Wrap => logs.wrap = !logs.wrap,
        Action::Timestamps => logs.timestamps = !logs.timestamps,
        Action::Select => logs.expanded = !logs.expanded,
        Action::JumpTime => {
            state.modal = Some(Modal::Prompt(Prompt {
                title: "jump to time".into(),
                input: String::new(),
                error: None,
                purpose: PromptPurpose::JumpTime,
                hint: "HH:MM or HH:MM:SS (UTC, today), or 2026-11-22T10:04:00Z".into(),
            }));
        }
        Action::CopyLine => {
            let Some(line) = logs.selected() else {
                state.toast(ToastLevel::Info, "no line to copy");
                return Some(Vec::new());
            };
            let text = line.raw().to_owned();
            state.toast(
                ToastLevel::Info,
                format!("copied {} bytes (OSC 52)", text.len()),
            );
            return Some(vec![Cmd::Copy(text)]);
        }
        Action::OpenTrace => return Some(open_trace(state)),
        Action::LogOptions => {
            let t = &logs.target;
            let mut current = Vec::new();
            if let Some(c) = &t.container {
                current.push(format!("container={c}"));
            }
            if let Some(d) = t.since {
                current.push(format!("since={}s", d.as_secs()));
            }
            if t.previous {
                current.push("previous".to_owned());
            }
            state.modal = Some(Modal::Prompt(Prompt {
                title: "log options".into(),
                input: current.join(" "),
                error: None,
                purpose: PromptPurpose::LogOptions,
                hint: "container=NAME since=15m|2h|90s previous (empty: every container, the default window)".into(),
            }));
        }
        Action::Filter => {
            logs.editing = Some(logs.query.input().to_owned());
        }
        Action::Up => logs.move_by(-1),
        Action::Down => logs.move_by(1),
        Action::PageUp => logs.move_by(-page),
        Action::PageDown => logs.move_by(page),
        Action::Top => logs.top(),
        Action::Bottom => logs.bottom(),
        _ => return None,
    }
    // Keep the view's first line where the cursor stays in sight.
    let height = usize::from(state.size.1.saturating_sub(6));
    state.panes.logs.window_start(height);
    state.dirty = true;
    Some(Vec::new())
}

fn page(state: &State) -> isize {
    isize::try_from(state.size.1.saturating_sub(8).max(1)).unwrap_or(1)
}

/// `o`: the selected line's trace, in the traces pane.
fn open_trace(state: &mut State) -> Vec<Cmd> {
    let Some(trace_id) = state
        .panes
        .logs
        .selected()
        .and_then(|l| l.trace_id())
        .map(str::to_owned)
    else {
        state.toast(ToastLevel::Info, "this line has no trace_id");
        return Vec::new();
    };
    crate::app::panes::traces::actions::open_trace_by_id(state, &trace_id)
}

/// Keys while the search is typed: text, `tab` (substring/regex), enter, esc.
pub fn search_key(state: &mut State, key: KeyEvent) {
    state.dirty = true;
    let logs = &mut state.panes.logs;
    let Some(text) = logs.editing.as_mut() else {
        return;
    };
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        KeyCode::Esc => {
            logs.editing = None;
            logs.set_query("");
            return;
        }
        KeyCode::Enter => {
            logs.editing = None;
            // Jump to the newest match at or above the cursor, like `less` after `?`.
            if !logs.query.is_empty()
                && logs.selected().is_some_and(|l| !logs.query.matches_line(l))
            {
                logs.jump_match(false);
            }
            return;
        }
        KeyCode::Tab => {
            logs.query_kind = match logs.query_kind {
                QueryKind::Substring => QueryKind::Regex,
                QueryKind::Regex => QueryKind::Substring,
            };
        }
        KeyCode::Backspace => {
            text.pop();
        }
        KeyCode::Char('u') if ctrl => text.clear(),
        KeyCode::Char(c) if !ctrl => text.push(c),
        _ => return,
    }
    let typed = logs.editing.clone().unwrap_or_default();
    logs.set_query(&typed);
}

/// Reads `container=NAME since=15m previous`.
///
/// # Errors
/// An unknown word or a bad duration, named.
pub fn parse_options(input: &str, mut target: LogTarget) -> Result<LogTarget, String> {
    target.container = None;
    target.since = None;
    target.previous = false;
    for word in input.split_whitespace() {
        match word.split_once('=') {
            Some(("container", name)) if !name.is_empty() => {
                target.container = Some(name.to_owned());
            }
            Some(("since", text)) => {
                let ms = crate::model::validate::duration_ms(text)
                    .map_err(|e| format!("`{word}`: since takes 90s, 15m or 2h ({e})"))?;
                target.since = Some(std::time::Duration::from_millis(
                    u64::try_from(ms).unwrap_or(0),
                ));
            }
            None if word == "previous" => target.previous = true,
            _ => {
                return Err(format!(
                    "`{word}`: use container=NAME, since=15m or previous"
                ));
            }
        }
    }
    Ok(target)
}

/// The log-options prompt was answered: read again with them.
pub fn options_entered(state: &mut State, input: &str) -> Result<Vec<Cmd>, String> {
    let target = parse_options(input, state.panes.logs.target.clone())?;
    Ok(retarget(state, target))
}

/// The jump-to-time prompt was answered.
pub fn time_entered(state: &mut State, input: &str) -> Result<Vec<Cmd>, String> {
    let at = crate::app::panes::logs::parse_jump_time(input, state.now)?;
    if state.panes.logs.jump_to_time(at) {
        Ok(Vec::new())
    } else {
        Err(format!("no line at or after {at}"))
    }
}

/// `L` on the card (or the pivot from a span): the logs of a service or of one trace.
pub fn open_logs(state: &mut State, service: Option<String>, trace_id: Option<String>) -> Vec<Cmd> {
    let mut target = match service {
        None if trace_id.is_some() => LogTarget::default(),
        Some(name) if state.scope.as_ref() == Some(&name) => target_for_scope(state),
        Some(name) => {
            let mapping = state
                .panes
                .catalog
                .catalog
                .service(&name)
                .map(|s| s.mapping.clone());
            LogTarget {
                service: Some(name),
                namespace: mapping.as_ref().and_then(|m| m.kube_namespace.clone()),
                selector: mapping.as_ref().and_then(|m| m.pod_selector.clone()),
                logql: mapping.as_ref().and_then(|m| m.log_selector.clone()),
                ..LogTarget::default()
            }
        }
        None => target_for_scope(state),
    };
    target.trace_id.clone_from(&trace_id);
    if state.view().pane() != PaneId::Logs {
        state.history.push(View::Pane(PaneId::Logs));
    }
    let cmds = retarget(state, target);
    if let Some(id) = trace_id {
        // Highlight the trace id in what arrives.
        state.panes.logs.set_query(&id);
    }
    cmds
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_parse_and_reset() {
        let t = parse_options("container=api since=15m previous", LogTarget::default()).unwrap();
        assert_eq!(t.container.as_deref(), Some("api"));
        assert_eq!(t.since, Some(std::time::Duration::from_mins(15)));
        assert!(t.previous);
        let t = parse_options("", t).unwrap();
        assert_eq!((t.container, t.since, t.previous), (None, None, false));
        assert!(parse_options("since=soon", LogTarget::default()).is_err());
        assert!(parse_options("tail=5", LogTarget::default()).is_err());
    }
}
