//! Keys of the logs pane: level toggles, the `/` search (substring or regex, `tab` switches),
//! `n`/`N`, show-only-matches, follow, wrap, timestamps, jump to a time, copy a line with
//! OSC 52, and the pivot to the line's trace. Also what the log source is asked to read: the
//! scope's service through the catalog's mapping, or one trace's lines.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::app::ctx::{Ctx, Focus, Intent};
use crate::app::msg::Cmd;
use crate::app::panes::PaneId;
use crate::app::panes::logs::LogsPane;
use crate::app::state::{Prompt, PromptPurpose, ToastLevel};
use crate::keymap::Action;
use crate::model::Catalog;
use crate::model::logs::{LevelGroup, LevelSet, QueryKind};
use crate::sources::logs::LogTarget;

/// The pane's own keys (besides the global and `[table]` ones): what its keymap section
/// may bind, and what the router lets through to [`on_action`].
pub const ACTIONS: &[crate::keymap::Action] = &[
    crate::keymap::Action::ToggleErrors,
    crate::keymap::Action::ToggleWarnings,
    crate::keymap::Action::ToggleInfo,
    crate::keymap::Action::ToggleDebugLines,
    crate::keymap::Action::NextMatch,
    crate::keymap::Action::PrevMatch,
    crate::keymap::Action::OnlyMatching,
    crate::keymap::Action::Follow,
    crate::keymap::Action::Wrap,
    crate::keymap::Action::Timestamps,
    crate::keymap::Action::JumpTime,
    crate::keymap::Action::OpenTrace,
    crate::keymap::Action::LogOptions,
    crate::keymap::Action::TimeWindow,
    crate::keymap::Action::FieldFilter,
    crate::keymap::Action::FieldColumns,
    crate::keymap::Action::ExportLines,
    crate::keymap::Action::ErrorsOnly,
    crate::keymap::Action::NextError,
    crate::keymap::Action::PrevError,
    crate::keymap::Action::Histogram,
    crate::keymap::Action::ToggleHistogram,
    crate::keymap::Action::HistLeft,
    crate::keymap::Action::HistRight,
];

/// What to read for a service: its pods (namespace and selector from the catalog) and its
/// Loki selector; everything when no service is named.
#[must_use]
pub fn target_for(catalog: &Catalog, service: Option<&str>) -> LogTarget {
    let Some(name) = service else {
        return LogTarget::default();
    };
    let mapping = catalog.service(name).map(|s| &s.mapping);
    LogTarget {
        namespace: mapping.and_then(|m| m.kube_namespace.clone()),
        selector: mapping.and_then(|m| m.pod_selector.clone()),
        logql: mapping.and_then(|m| m.log_selector.clone()),
        service: Some(name.to_owned()),
        ..LogTarget::default()
    }
}

/// Points the log source at `target` over the pane's window, forgetting the lines of the
/// previous one.
pub fn retarget(logs: &mut LogsPane, mut target: LogTarget) -> Vec<Cmd> {
    target.window = logs.window;
    if let Some(window) = logs.window {
        // Pods: Kubernetes reads from a start (sinceSeconds) up to now.
        target.since = Some(crate::sources::logs::window::pod_since(
            window,
            logs.window_set_at,
        ));
    }
    if logs.target == target && logs.loaded {
        return Vec::new();
    }
    logs.clear();
    logs.target = target.clone();
    vec![Cmd::LogTarget(Box::new(target))]
}

/// Sets the window (`None`: the source's default) and reads the current target again over
/// it (nothing is read before the pane has a target).
pub fn set_window(
    logs: &mut LogsPane,
    window: Option<crate::model::window::TimeWindow>,
    now: jiff::Timestamp,
) -> Vec<Cmd> {
    logs.window = window;
    logs.window_set_at = now;
    let mut target = logs.target.clone();
    target.window = None;
    target.since = None;
    if target == LogTarget::default() {
        return Vec::new();
    }
    let cmds = retarget(logs, target);
    if let Some(w) = window.filter(|w| !w.is_live()) {
        logs.notice = Some(format!(
            "window {}: pod logs and files are read from its start; lines after its end are dropped",
            w.label()
        ));
    }
    cmds
}

/// Runs a logs-pane action; `None` when the action is not the pane's.
pub fn on_action(logs: &mut LogsPane, ctx: &mut Ctx<'_>, action: Action) -> Option<Vec<Cmd>> {
    if let Some(cmds) = super::histogram::on_action(logs, ctx, action)
        .or_else(|| super::errors::on_action(logs, ctx, action))
    {
        return Some(cmds);
    }
    let page = page(ctx.size);
    match action {
        Action::ToggleErrors => logs.toggle_level(LevelGroup::Error),
        Action::ToggleWarnings => logs.toggle_level(LevelGroup::Warn),
        Action::ToggleInfo => logs.toggle_level(LevelGroup::Info),
        Action::ToggleDebugLines => logs.toggle_level(LevelGroup::Debug),
        Action::NextMatch | Action::PrevMatch => {
            if logs.query.is_empty() {
                ctx.toast(ToastLevel::Info, "search first (/)");
            } else if !logs.jump_match(action == Action::NextMatch) {
                let word = if action == Action::NextMatch {
                    "below"
                } else {
                    "above"
                };
                ctx.toast(ToastLevel::Info, format!("no more matches {word}"));
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
            ctx.prompt(Prompt {
                title: "jump to time".into(),
                input: String::new(),
                error: None,
                purpose: PromptPurpose::JumpTime,
                hint: "HH:MM or HH:MM:SS (UTC, today), or 2026-11-22T10:04:00Z".into(),
            });
        }
        Action::OpenTrace => {
            open_trace(logs, ctx);
            return Some(Vec::new());
        }
        Action::TimeWindow => {
            ctx.prompt(crate::app::panes::window_prompt(
                PromptPurpose::LogWindow,
                "logs",
                logs.window,
            ));
        }
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
            ctx.prompt(Prompt {
                title: "log options".into(),
                input: current.join(" "),
                error: None,
                purpose: PromptPurpose::LogOptions,
                hint: "container=NAME since=15m|2h|90s previous (empty: every container, the default window)".into(),
            });
        }
        Action::FieldFilter => ctx.prompt(super::fields::predicate_prompt(&logs.fields)),
        Action::FieldColumns => ctx.prompt(super::fields::columns_prompt(&logs.fields)),
        Action::ExportLines => ctx.prompt(super::export::prompt(logs, ctx.now)),
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
    let height = super::histogram::body_height(logs, ctx.size);
    logs.window_start(height);
    Some(Vec::new())
}

fn page(size: (u16, u16)) -> isize {
    isize::try_from(size.1.saturating_sub(8).max(1)).unwrap_or(1)
}

/// `o`: the selected line's trace, in the traces pane.
fn open_trace(logs: &LogsPane, ctx: &mut Ctx<'_>) {
    match logs.selected().and_then(|l| l.trace_id()) {
        Some(trace_id) => ctx.intent(Intent::Focus(Focus::Trace(trace_id.to_owned()))),
        None => ctx.toast(ToastLevel::Info, "this line has no trace_id"),
    }
}

/// Keys while the search is typed: text, `tab` (substring/regex), enter, esc.
pub fn search_key(logs: &mut LogsPane, key: KeyEvent) {
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

/// A logs prompt was answered: read again with new options, or jump to a time.
pub fn on_prompt(
    logs: &mut LogsPane,
    ctx: &Ctx<'_>,
    purpose: &PromptPurpose,
    input: &str,
) -> Result<Vec<Cmd>, String> {
    match purpose {
        PromptPurpose::LogOptions => {
            let target = parse_options(input, logs.target.clone())?;
            Ok(retarget(logs, target))
        }
        PromptPurpose::LogWindow => {
            let window = crate::app::panes::parse_window_input(input, ctx.now)?;
            Ok(set_window(logs, window, ctx.now))
        }
        PromptPurpose::JumpTime => {
            let at = crate::app::panes::logs::parse_jump_time(input, ctx.now)?;
            if logs.jump_to_time(at) {
                Ok(Vec::new())
            } else {
                Err(format!("no line at or after {at}"))
            }
        }
        PromptPurpose::FieldFilter | PromptPurpose::FieldColumns => {
            let cmds = super::fields::on_prompt(&mut logs.fields, purpose, input)?;
            if *purpose == PromptPurpose::FieldFilter {
                logs.recompute();
            }
            Ok(cmds)
        }
        PromptPurpose::ExportLogs => super::export::on_prompt(logs, input, ctx.now),
        _ => Ok(Vec::new()),
    }
}

/// `L` on the card, the pivot from a span, or the incident view's errors panel: the logs
/// of a service (the scope's when none is named) or of one trace.
pub fn focus(logs: &mut LogsPane, ctx: &mut Ctx<'_>, focus: &Focus) -> Vec<Cmd> {
    let Focus::Logs {
        service,
        trace_id,
        errors_only,
        window,
    } = focus
    else {
        return Vec::new();
    };
    if let Some(w) = window {
        // The pivot's window becomes the pane's, so the title says which time is shown.
        logs.window = Some(*w);
        logs.window_set_at = ctx.now;
    }
    let mut target = match (service, trace_id) {
        (None, Some(_)) => LogTarget::default(),
        (Some(name), _) => target_for(&ctx.catalog, Some(name)),
        (None, None) => target_for(&ctx.catalog, ctx.scope),
    };
    target.trace_id.clone_from(trace_id);
    ctx.show(PaneId::Logs);
    let cmds = retarget(logs, target);
    if let Some(id) = trace_id {
        // Highlight the trace id in what arrives.
        logs.set_query(id);
    }
    if *errors_only {
        logs.levels = LevelSet::NONE.with(LevelGroup::Error);
        logs.recompute();
        ctx.toast(
            ToastLevel::Info,
            "errors only: the level keys show the rest",
        );
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
