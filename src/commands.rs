//! Custom commands: the user's `commands.toml` in the config dir, each `[[command]]` a key in
//! some panes that runs a command line templated from the selection
//! ([`crate::model::custom_command`]). Dangerous and audited ones go through the audit gate
//! as their own action (`custom.<name>`, the command line recorded); dangerous ones vanish in
//! read-only contexts. A key that the keymap already binds in one of the command's panes is
//! an error naming the file, line and key, as is everything else wrong in the file.

use std::ops::Range;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

use serde::Deserialize;
use toml::Spanned;

use crate::app::panes::PaneId;
use crate::diagnostic::Diagnostic;
use crate::keymap::{KeyCombo, Keymap};
use crate::model::custom_command::Template;

/// The shipped examples (`opsdeck commands --example`): k9s hand-off, `kubectl describe`,
/// a shell in the pod, `psql` on the database, `kcat` on the topic.
pub const EXAMPLES: &str = include_str!("../commands/examples.toml");

/// The file's name in the config dir.
pub const FILE_NAME: &str = "commands.toml";

/// How the command uses the terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// opsdeck gives the terminal to the command (a shell, psql, k9s) until it exits.
    Interactive,
    /// opsdeck runs it without a terminal and shows what it printed in a scrollable view.
    Capture,
}

impl Mode {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Interactive => "interactive",
            Self::Capture => "capture",
        }
    }
}

/// One custom command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomCommand {
    /// `[a-z0-9-]`, unique; the audit action is `custom.<name>`.
    pub name: String,
    pub description: String,
    pub key: KeyCombo,
    pub panes: Vec<PaneId>,
    pub template: Template,
    pub mode: Mode,
    /// Hidden and refused in read-only contexts; confirmed and audited.
    pub dangerous: bool,
    /// Goes through the audit gate (always when dangerous; `audit = true` for reads of user
    /// data, such as messages of a topic).
    pub audited: bool,
    /// Where `key` is, for errors found once the keymap is known.
    key_span: Range<usize>,
}

impl CustomCommand {
    /// The audit action name.
    #[must_use]
    pub fn action(&self) -> String {
        format!("custom.{}", self.name)
    }

    /// Whether the command is offered in `pane`.
    #[must_use]
    pub fn applies_to(&self, pane: PaneId) -> bool {
        self.panes.contains(&pane)
    }
}

/// The loaded file (empty when there is none).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomCommands {
    pub commands: Vec<CustomCommand>,
    /// The file and its text, for errors found after parsing.
    file: String,
    source: Arc<str>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    command: Vec<RawCommand>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawLine {
    Line(String),
    Words(Vec<String>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCommand {
    name: Spanned<String>,
    #[serde(default)]
    description: Option<String>,
    key: Spanned<String>,
    panes: Spanned<Vec<String>>,
    command: Spanned<RawLine>,
    #[serde(default)]
    shell: bool,
    #[serde(default)]
    mode: Option<Spanned<String>>,
    #[serde(default)]
    dangerous: bool,
    #[serde(default)]
    audit: Option<Spanned<bool>>,
}

impl CustomCommands {
    /// Parses a commands file. Errors name the file, line, column and key.
    #[expect(
        clippy::too_many_lines,
        reason = "one check per field, in file order, each with its own message: the rules of the file read best in one place"
    )]
    pub fn parse(file: &str, source: &str) -> Result<Self, Diagnostic> {
        let raw: RawFile =
            toml::from_str(source).map_err(|e| Diagnostic::from_toml(file, source, &e))?;
        let err = |span: Range<usize>, key: String, message: String| {
            Diagnostic::at(file, source, Some(span), Some(key), message)
        };
        let mut commands: Vec<CustomCommand> = Vec::new();
        for (i, raw) in raw.command.into_iter().enumerate() {
            let at = |field: &str| format!("command[{i}].{field}");
            let name = raw.name.get_ref().clone();
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            {
                return Err(err(
                    raw.name.span(),
                    at("name"),
                    format!(
                        "`{name}`: use lowercase letters, digits and `-` (it becomes the audit action custom.NAME)"
                    ),
                ));
            }
            if commands.iter().any(|c| c.name == name) {
                return Err(err(
                    raw.name.span(),
                    at("name"),
                    format!("a command named `{name}` is already declared above"),
                ));
            }
            let key = KeyCombo::from_str(raw.key.get_ref())
                .map_err(|m| err(raw.key.span(), at("key"), m))?;
            if key.lead.is_some() {
                return Err(err(
                    raw.key.span(),
                    at("key"),
                    "a custom command takes one key, not a sequence".to_owned(),
                ));
            }
            let mut panes = Vec::new();
            for pane_name in raw.panes.get_ref() {
                let pane = PaneId::ALL
                    .iter()
                    .copied()
                    .find(|p| p.info().section == pane_name || p.command() == pane_name)
                    .ok_or_else(|| {
                        let known: Vec<&str> =
                            PaneId::ALL.iter().map(|p| p.info().section).collect();
                        err(
                            raw.panes.span(),
                            at("panes"),
                            format!("unknown pane `{pane_name}`; known: {}", known.join(", ")),
                        )
                    })?;
                if !panes.contains(&pane) {
                    panes.push(pane);
                }
            }
            if panes.is_empty() {
                return Err(err(
                    raw.panes.span(),
                    at("panes"),
                    "name at least one pane the command applies to".to_owned(),
                ));
            }
            let template = match (raw.command.get_ref(), raw.shell) {
                (RawLine::Line(line), false) => Template::argv_line(line),
                (RawLine::Words(words), false) => Template::argv(words),
                (RawLine::Line(line), true) => Template::shell_line(line),
                (RawLine::Words(_), true) => {
                    return Err(err(
                        raw.command.span(),
                        at("command"),
                        "with shell = true the command is one line (a string) for sh -c".into(),
                    ));
                }
            }
            .map_err(|e| err(raw.command.span(), at("command"), e.to_string()))?;
            let mode = match raw.mode.as_ref().map(|m| m.get_ref().as_str()) {
                None | Some("interactive") => Mode::Interactive,
                Some("capture") => Mode::Capture,
                Some(other) => {
                    let span = raw.mode.as_ref().map_or(0..0, Spanned::span);
                    return Err(err(
                        span,
                        at("mode"),
                        format!(
                            "`{other}`: expected `interactive` (the command gets the terminal) or `capture` (its output in a view)"
                        ),
                    ));
                }
            };
            if raw.dangerous
                && let Some(audit) = raw.audit.as_ref().filter(|a| !*a.get_ref())
            {
                return Err(err(
                    audit.span(),
                    at("audit"),
                    "a dangerous command is always audited; remove `audit = false`".into(),
                ));
            }
            let audited = raw.dangerous || raw.audit.is_some_and(|a| *a.get_ref());
            for other in &commands {
                if other.key == key && other.panes.iter().any(|p| panes.contains(p)) {
                    return Err(err(
                        raw.key.span(),
                        at("key"),
                        format!(
                            "`{key}` is already the command `{}` in a pane of this one",
                            other.name
                        ),
                    ));
                }
            }
            commands.push(CustomCommand {
                description: raw.description.unwrap_or_else(|| format!("run {template}")),
                name,
                key,
                panes,
                template,
                mode,
                dangerous: raw.dangerous,
                audited,
                key_span: raw.key.span(),
            });
        }
        Ok(Self {
            commands,
            file: file.to_owned(),
            source: source.into(),
        })
    }

    /// Loads `<config_dir>/commands.toml`; no file means no commands.
    pub fn load(config_dir: Option<&Path>) -> Result<Self, Diagnostic> {
        let Some(path) = config_dir.map(|d| d.join(FILE_NAME)) else {
            return Ok(Self::default());
        };
        match std::fs::read_to_string(&path) {
            Ok(source) => Self::parse(&path.display().to_string(), &source),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(Diagnostic {
                file: path.display().to_string(),
                line: 0,
                column: 0,
                key: None,
                message: format!("cannot read: {e}"),
            }),
        }
    }

    /// Fails on a command key the keymap already uses in one of the command's panes (its own
    /// section, the table keys, the global keys, or the first key of a sequence).
    pub fn check_keys(&self, keymap: &Keymap) -> Result<(), Diagnostic> {
        for (i, command) in self.commands.iter().enumerate() {
            for &pane in &command.panes {
                let contexts = pane.key_contexts();
                let taken = keymap
                    .lookup(contexts, command.key)
                    .map(|a| format!("`{a}`"))
                    .or_else(|| {
                        keymap
                            .is_lead(contexts, command.key)
                            .then(|| "the start of a two-key sequence".to_owned())
                    });
                if let Some(taken) = taken {
                    return Err(Diagnostic::at(
                        &self.file,
                        &self.source,
                        Some(command.key_span.clone()),
                        Some(format!("command[{i}].key")),
                        format!(
                            "`{}` is {taken} in [{}] with keymap `{}`; pick a free key (`opsdeck keys` lists the bound ones)",
                            command.key,
                            pane.info().section,
                            keymap.name
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// The command bound to `key` in `pane`.
    #[must_use]
    pub fn lookup(&self, pane: PaneId, key: KeyCombo) -> Option<&CustomCommand> {
        self.commands
            .iter()
            .find(|c| c.key == key && c.applies_to(pane))
    }

    /// The commands offered in `pane` (read-only mode hides the dangerous ones).
    pub fn for_pane(&self, pane: PaneId, readonly: bool) -> impl Iterator<Item = &CustomCommand> {
        self.commands
            .iter()
            .filter(move |c| c.applies_to(pane) && !(readonly && c.dangerous))
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.commands.is_empty()
    }

    /// The file they came from (empty when none).
    #[must_use]
    pub fn file(&self) -> &str {
        &self.file
    }
}

/// The commands as text for `opsdeck keys`: key, panes, name, flags and the command line.
#[must_use]
pub fn describe(commands: &CustomCommands) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    if commands.is_empty() {
        return out;
    }
    let _ = writeln!(out, "\n[custom commands] ({})", commands.file());
    for c in &commands.commands {
        let panes: Vec<&str> = c.panes.iter().map(|p| p.info().section).collect();
        let mut flags = vec![c.mode.as_str()];
        if c.dangerous {
            flags.push("dangerous");
        }
        if c.audited {
            flags.push("audited");
        }
        let _ = writeln!(
            out,
            "  {:<10} {:<22} {} [{}] in {}\n  {:<10} {:<22} {}",
            c.key.to_string(),
            c.name,
            c.description,
            flags.join(", "),
            panes.join(", "),
            "",
            "",
            c.template
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(src: &str) -> Result<CustomCommands, Diagnostic> {
        CustomCommands::parse("commands.toml", src)
    }

    #[test]
    fn the_shipped_examples_parse_and_fit_every_shipped_keymap() {
        let commands = parse(EXAMPLES).expect("examples parse");
        assert!(commands.commands.len() >= 4);
        for (name, _) in crate::keymap::SHIPPED {
            let keymap = Keymap::shipped(name).unwrap().unwrap();
            commands
                .check_keys(&keymap)
                .unwrap_or_else(|e| panic!("keymap {name}: {e}"));
        }
        let names: Vec<&str> = commands.commands.iter().map(|c| c.name.as_str()).collect();
        for wanted in ["k9s", "describe-pod", "pod-shell", "psql", "kcat-tail"] {
            assert!(names.contains(&wanted), "{wanted} in {names:?}");
        }
        let shell = commands
            .commands
            .iter()
            .find(|c| c.name == "pod-shell")
            .unwrap();
        assert!(shell.dangerous && shell.audited);
        assert_eq!(shell.action(), "custom.pod-shell");
    }

    #[test]
    fn errors_name_the_line_and_key() {
        let e = parse(
            "[[command]]\nname = \"x\"\nkey = \"ctrl-x\"\npanes = [\"pods\"]\ncommand = \"kubectl {podd}\"\n",
        )
        .unwrap_err();
        assert_eq!((e.line, e.key.as_deref()), (5, Some("command[0].command")));
        assert!(e.message.contains("unknown placeholder {podd}"), "{e}");

        let e = parse(
            "[[command]]\nname = \"x\"\nkey = \"ctrl-x\"\npanes = [\"podz\"]\ncommand = \"true\"\n",
        )
        .unwrap_err();
        assert_eq!(e.line, 4);
        assert!(e.message.contains("unknown pane `podz`"), "{e}");

        let e = parse("[[command]]\nname = \"x\"\nkey = \"ctrl-x\"\npanes = [\"pods\"]\ncommand = \"true\"\nmode = \"tty\"\n").unwrap_err();
        assert_eq!((e.line, e.key.as_deref()), (6, Some("command[0].mode")));

        let e = parse("[[command]]\nname = \"Bad Name\"\nkey = \"x\"\npanes = [\"pods\"]\ncommand = \"true\"\n").unwrap_err();
        assert_eq!(e.line, 2);

        let e = parse("[[command]]\nname = \"x\"\nkey = \"x\"\npanes = [\"pods\"]\ncommand = \"true\"\nfoo = 1\n").unwrap_err();
        assert_eq!(e.line, 6, "{e}");
        assert!(e.message.contains("unknown field `foo`"), "{e}");

        let e = parse("[[command]]\nname = \"x\"\nkey = \"x\"\npanes = [\"pods\"]\ncommand = \"true\"\ndangerous = true\naudit = false\n").unwrap_err();
        assert_eq!(e.line, 7);

        let e = parse("[[command]]\nname = \"x\"\nkey = \"x\"\npanes = [\"pods\"]\ncommand = [\"sh\", \"-c\", \"x\"]\nshell = true\n").unwrap_err();
        assert_eq!(e.line, 5);
    }

    #[test]
    fn a_key_the_keymap_binds_in_the_pane_is_refused_with_its_action() {
        let commands = parse(
            "[[command]]\nname = \"x\"\nkey = \"S\"\npanes = [\"pods\"]\ncommand = \"true\"\n",
        )
        .unwrap();
        let keymap = Keymap::shipped("default").unwrap().unwrap();
        let e = commands.check_keys(&keymap).unwrap_err();
        assert_eq!((e.line, e.key.as_deref()), (3, Some("command[0].key")));
        assert!(e.message.contains("`shell` in [pods]"), "{e}");
        // Two commands on one key in one pane.
        let e = parse("[[command]]\nname = \"a\"\nkey = \"ctrl-x\"\npanes = [\"pods\"]\ncommand = \"true\"\n[[command]]\nname = \"b\"\nkey = \"ctrl-x\"\npanes = [\"pods\", \"pg\"]\ncommand = \"true\"\n").unwrap_err();
        assert_eq!(e.line, 8);
    }

    #[test]
    fn readonly_hides_dangerous_commands() {
        let commands = parse(EXAMPLES).unwrap();
        let all: Vec<_> = commands
            .for_pane(PaneId::Pods, false)
            .map(|c| &c.name)
            .collect();
        let ro: Vec<_> = commands
            .for_pane(PaneId::Pods, true)
            .map(|c| &c.name)
            .collect();
        assert!(all.iter().any(|n| *n == "pod-shell"));
        assert!(!ro.iter().any(|n| *n == "pod-shell"));
        assert!(ro.iter().any(|n| *n == "describe-pod"));
    }
}
