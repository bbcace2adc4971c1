//! Custom commands in the app: a key of `commands.toml` in the shown pane becomes a command
//! line from the selection. Plain ones run at once; dangerous and audited ones open the
//! confirmation, which shows the whole command line, and run through the audit gate as
//! `custom.<name>`. Their output, for `mode = "capture"`, comes back as a scrollable view.

use crossterm::event::KeyEvent;

use super::msg::Cmd;
use super::state::{Modal, State, ToastLevel, View};
use crate::commands::{CustomCommand, Mode};
use crate::keymap::KeyCombo;
use crate::model::action::{ActionRequest, CustomTarget};
use crate::model::custom_command::{Vars, display_line};

/// A command line ready to run, without the audit (commands that are neither dangerous nor
/// audited).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomRun {
    pub name: String,
    pub argv: Vec<String>,
    pub mode: Mode,
    /// The configured database whose password goes in `PGPASSWORD`.
    pub database: Option<String>,
}

/// What a captured command printed, in a scrollable view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandOutput {
    /// `describe-pod: kubectl … (exit 0)`.
    pub title: String,
    /// Sanitized lines, at most [`OUTPUT_LINES`].
    pub lines: Vec<String>,
    /// Lines left out past the cap.
    pub dropped: usize,
    pub scroll: usize,
}

/// At most this many lines of a captured command are kept.
pub const OUTPUT_LINES: usize = 5_000;

impl CommandOutput {
    /// Output bytes as lines: sanitized (escape sequences, control characters), capped.
    #[must_use]
    pub fn new(title: String, output: &[u8]) -> Self {
        let text = String::from_utf8_lossy(output);
        let all: Vec<&str> = text.lines().collect();
        let dropped = all.len().saturating_sub(OUTPUT_LINES);
        let lines = all
            .into_iter()
            .take(OUTPUT_LINES)
            .map(|line| crate::model::sanitize::clean(&expand_tabs(line)))
            .collect();
        Self {
            title,
            lines,
            dropped,
            scroll: 0,
        }
    }
}

/// Tabs to spaces at 8-column stops, as a terminal shows them (`kubectl`'s columns).
fn expand_tabs(line: &str) -> std::borrow::Cow<'_, str> {
    if !line.contains('\t') {
        return line.into();
    }
    let mut out = String::with_capacity(line.len() + 16);
    let mut column = 0;
    for c in line.chars() {
        if c == '\t' {
            let pad = 8 - column % 8;
            out.extend(std::iter::repeat_n(' ', pad));
            column += pad;
        } else {
            out.push(c);
            column += 1;
        }
    }
    out.into()
}

/// The command bound to `combo` in the shown pane, if any, run (or confirmed).
pub fn on_key(state: &mut State, combo: KeyCombo) -> Option<Vec<Cmd>> {
    let View::Pane(pane) = *state.view() else {
        return None;
    };
    let command = state.ui.commands.lookup(pane, combo)?.clone();
    Some(start(state, &command))
}

/// The placeholders' values now: the context's, then the shown pane's selection, then the
/// scoped service.
#[must_use]
pub fn selection_vars(state: &State) -> Vars {
    let mut vars = Vars::default();
    if let View::Pane(pane) = *state.view() {
        state.panes.get(pane).command_vars(&mut vars);
    }
    for (name, value) in state.context.command_vars.iter() {
        vars.set_default(name, value);
    }
    if let Some(scope) = &state.scope {
        vars.set_default("service", scope.as_str());
    }
    if let Some(dsn) = vars
        .get("database")
        .and_then(|db| state.context.dsns.get(db))
        .cloned()
    {
        // Empty means libpq's PG* variables: psql reads those too.
        vars.set_default("dsn", dsn);
    }
    vars
}

fn start(state: &mut State, command: &CustomCommand) -> Vec<Cmd> {
    state.dirty = true;
    if state.readonly && command.dangerous {
        state.toast(
            ToastLevel::Warn,
            format!("{} is dangerous and disabled: read-only mode", command.name),
        );
        return Vec::new();
    }
    let vars = selection_vars(state);
    let argv = match command.template.render(&vars) {
        Ok(argv) => argv,
        Err(e) => {
            state.toast(ToastLevel::Warn, format!("{}: {e}", command.name));
            return Vec::new();
        }
    };
    let uses = command.template.vars();
    let database = (uses.contains(&"dsn") || uses.contains(&"database"))
        .then(|| vars.get("database").map(str::to_owned))
        .flatten();
    if !command.audited {
        state.toast(
            ToastLevel::Info,
            format!("{}: {}", command.name, display_line(&argv)),
        );
        return vec![Cmd::RunCustom(Box::new(CustomRun {
            name: command.name.clone(),
            argv,
            mode: command.mode,
            database,
        }))];
    }
    let request = ActionRequest::CustomCommand {
        name: command.name.clone(),
        argv: argv.clone(),
        mode: command.mode.as_str().to_owned(),
        dangerous: command.dangerous,
        target: target_of(&vars, &uses),
        database,
    };
    let mut details = vec![
        ("command".to_owned(), display_line(&argv)),
        ("target".to_owned(), request.target().reference),
        ("mode".to_owned(), command.mode.as_str().to_owned()),
    ];
    if !command.dangerous {
        details.push((
            "audited".to_owned(),
            "it reads data (audit = true in commands.toml)".to_owned(),
        ));
    }
    let confirm = crate::app::modal::confirm::Confirm::new(
        request,
        format!("run {}: {}", command.name, command.description),
        details,
    );
    let ((), intents) = state.lend(|_, ctx| ctx.confirm(confirm));
    super::route::carry_out(state, intents)
}

/// What the command is about, for policy: the most specific thing its line names.
fn target_of(vars: &Vars, uses: &[&str]) -> CustomTarget {
    let get = |name: &str| vars.get(name).map(str::to_owned);
    let namespace = get("namespace");
    let pick = [
        ("pod", "kube.pod", true),
        ("workload", "workload", true),
        ("pid", "pg.backend", false),
        ("database", "pg.database", false),
        ("group", "kafka.group", false),
        ("topic", "kafka.topic", false),
        ("app", "argocd.app", false),
        ("trace_id", "trace", false),
        ("request_id", "request", false),
        ("alert", "alert", false),
        ("service", "service", false),
    ];
    for (var, kind, namespaced) in pick {
        // `{dsn}` names the database as surely as `{database}` does.
        let named = uses.contains(&var) || (var == "database" && uses.contains(&"dsn"));
        if named && let Some(name) = get(var) {
            let (namespace, name) = match (var, namespaced) {
                ("pid", _) => (get("database"), name),
                (_, true) => (namespace, name),
                _ => (None, name),
            };
            return CustomTarget {
                kind: kind.to_owned(),
                namespace,
                name,
            };
        }
    }
    CustomTarget {
        kind: "context".to_owned(),
        namespace: None,
        name: get("opsdeck_context").unwrap_or_default(),
    }
}

/// Keys of the output view: j/k, page keys, g/G scroll; esc, q or enter close.
pub fn output_key(state: &mut State, key: KeyEvent) {
    let page = usize::from(state.size.1.saturating_sub(6)).max(1);
    let Some(Modal::Output(output)) = &mut state.modal else {
        return;
    };
    state.dirty = true;
    let max = output.lines.len().saturating_sub(page);
    match super::scroll::scroll_key(key, output.scroll, page, max) {
        super::scroll::Scroll::To(line) => output.scroll = line,
        super::scroll::Scroll::Close => state.modal = None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_is_split_into_clean_lines_with_tabs_expanded_and_capped() {
        let out = CommandOutput::new(
            "t".into(),
            b"NAME\tSTATUS\nweb-1\tRunning\x1b[31m red\x1b]52;c;aGk=\x07\n",
        );
        assert_eq!(out.lines[0], "NAME    STATUS");
        assert!(
            out.lines[1].starts_with("web-1   Running"),
            "{:?}",
            out.lines[1]
        );
        assert!(!out.lines[1].contains('\x1b'), "{:?}", out.lines[1]);
        let many = "x\n".repeat(OUTPUT_LINES + 7);
        let out = CommandOutput::new("t".into(), many.as_bytes());
        assert_eq!((out.lines.len(), out.dropped), (OUTPUT_LINES, 7));
    }
}
