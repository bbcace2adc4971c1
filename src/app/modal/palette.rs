//! The `:` command palette: parsing, aliases and completion.

use crate::app::state::PaneId;

/// A parsed palette command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Pane(PaneId, Option<String>),
    Context(String),
    Theme(String),
    Scope(Option<String>),
    /// `:tour` lists the tours, `:tour NAME` starts one, `:tour skip` skips the current
    /// step, `:tour stop` ends the running one.
    Tour(Option<String>),
    /// `:messages`: every toast of the session.
    Messages,
    /// `:logs <LogQL>`: the query exactly as typed (after the command word).
    Logs(String),
    /// `:traces <TraceQL>`: the query exactly as typed.
    Traces(String),
    /// `:window 1h` / `:window FROM..TO`: the logs' and traces' time window.
    Window(String),
    Help,
    Quit,
}

/// Commands that take an argument, with their aliases.
const ARG_COMMANDS: &[(&str, &[&str])] = &[
    ("ctx", &["context", "contexts"]),
    ("theme", &["themes"]),
    ("scope", &[]),
    ("tour", &["tours", "tutorial"]),
    ("window", &["win"]),
];
const PLAIN_COMMANDS: &[(&str, &[&str])] = &[
    ("help", &["h"]),
    ("messages", &["mes", "msgs"]),
    ("q", &["quit", "q!", "exit"]),
];

/// What completion can offer for arguments.
#[derive(Debug, Clone, Copy, Default)]
pub struct Vocabulary<'a> {
    pub contexts: &'a [String],
    pub themes: &'a [String],
    pub services: &'a [&'a str],
    pub tours: &'a [&'a str],
}

/// Why a command line was refused.
pub type ParseError = String;

/// Parses a command line (without the leading `:`).
pub fn parse(line: &str) -> Result<Command, ParseError> {
    if let Some(command) = parse_query_command(line) {
        return Ok(command);
    }
    let mut words = line.split_whitespace();
    let Some(word) = words.next() else {
        return Err("type a command; tab completes".to_owned());
    };
    let arg = words.next().map(str::to_owned);
    if words.next().is_some() {
        return Err(format!("`{word}` takes at most one argument"));
    }
    if let Some(pane) = PaneId::from_command(word) {
        return Ok(Command::Pane(pane, arg));
    }
    let is = |table: &[(&str, &[&str])], name: &str| {
        table
            .iter()
            .any(|(c, aliases)| *c == name && (*c == word || aliases.contains(&word)))
    };
    if is(ARG_COMMANDS, "ctx") {
        return arg
            .map(Command::Context)
            .ok_or_else(|| "usage: :ctx <context>".to_owned());
    }
    if is(ARG_COMMANDS, "theme") {
        return arg
            .map(Command::Theme)
            .ok_or_else(|| "usage: :theme <name>".to_owned());
    }
    if is(ARG_COMMANDS, "scope") {
        return match arg.as_deref() {
            None => Err("usage: :scope <service> | :scope all".to_owned()),
            Some("all" | "-" | "none") => Ok(Command::Scope(None)),
            Some(s) => Ok(Command::Scope(Some(s.to_owned()))),
        };
    }
    if is(ARG_COMMANDS, "window") {
        return Err(
            "usage: :window 15m | 1h | 24h | 7d | 2026-12-07 10:00..11:00 (RFC 3339 works too)"
                .to_owned(),
        );
    }
    if is(ARG_COMMANDS, "tour") {
        return Ok(Command::Tour(arg));
    }
    if is(PLAIN_COMMANDS, "help") {
        return Ok(Command::Help);
    }
    if is(PLAIN_COMMANDS, "messages") {
        return Ok(Command::Messages);
    }
    if is(PLAIN_COMMANDS, "q") {
        return Ok(Command::Quit);
    }
    Err(format!("unknown command `{word}`; tab lists commands"))
}

/// The commands whose argument is the rest of the line, spaces, quotes and all: `logs` and
/// `traces` (with their aliases) followed by a query, and `window` with its range.
fn parse_query_command(line: &str) -> Option<Command> {
    let line = line.trim_start();
    let (word, rest) = line.split_once(char::is_whitespace)?;
    let rest = rest.trim_start();
    if rest.is_empty() {
        return None;
    }
    match PaneId::from_command(word) {
        Some(PaneId::Logs) => return Some(Command::Logs(rest.to_owned())),
        Some(PaneId::Traces) => return Some(Command::Traces(rest.to_owned())),
        _ => {}
    }
    (word == "window" || word == "win").then(|| Command::Window(rest.to_owned()))
}

/// Which query language the palette's input is being typed in (`logs …`, `traces …`), for
/// recalling the history with up/down.
#[must_use]
pub fn query_language(input: &str) -> Option<crate::model::query_history::QueryLanguage> {
    use crate::model::query_history::QueryLanguage;
    let (word, _) = input.split_once(' ')?;
    match PaneId::from_command(word) {
        Some(PaneId::Logs) => Some(QueryLanguage::LogQl),
        Some(PaneId::Traces) => Some(QueryLanguage::TraceQl),
        _ => None,
    }
}

/// Every command word, primary names first.
fn command_words() -> Vec<&'static str> {
    let mut words: Vec<&str> = PaneId::ALL.iter().map(|p| p.command()).collect();
    words.extend(ARG_COMMANDS.iter().map(|(c, _)| *c));
    words.extend(PLAIN_COMMANDS.iter().map(|(c, _)| *c));
    words.extend(PaneId::ALL.iter().flat_map(|p| p.aliases().iter().copied()));
    words.extend(
        ARG_COMMANDS
            .iter()
            .chain(PLAIN_COMMANDS)
            .flat_map(|(_, a)| a.iter().copied()),
    );
    words
}

/// Completions for the current input: full replacement lines.
#[must_use]
pub fn complete(input: &str, vocab: &Vocabulary<'_>) -> Vec<String> {
    match input.split_once(' ') {
        None => command_words()
            .into_iter()
            .filter(|w| w.starts_with(input))
            .map(|w| {
                let takes_arg =
                    ARG_COMMANDS.iter().any(|(c, a)| *c == w || a.contains(&w)) || w == "incident";
                if takes_arg {
                    format!("{w} ")
                } else {
                    w.to_owned()
                }
            })
            .collect(),
        Some((cmd, partial)) => {
            let partial = partial.trim_start();
            let candidates: Vec<String> = match parse_word(cmd) {
                Some("ctx") => vocab.contexts.to_vec(),
                Some("theme") => vocab.themes.to_vec(),
                Some("scope") => std::iter::once("all".to_owned())
                    .chain(vocab.services.iter().map(|s| (*s).to_owned()))
                    .collect(),
                Some("incident") => vocab.services.iter().map(|s| (*s).to_owned()).collect(),
                Some("tour") => ["skip", "stop"]
                    .into_iter()
                    .chain(vocab.tours.iter().copied())
                    .map(str::to_owned)
                    .collect(),
                _ => Vec::new(),
            };
            candidates
                .into_iter()
                .filter(|c| c.starts_with(partial))
                .map(|c| format!("{cmd} {c}"))
                .collect()
        }
    }
}

fn parse_word(word: &str) -> Option<&'static str> {
    if PaneId::from_command(word) == Some(PaneId::Incident) {
        return Some("incident");
    }
    ARG_COMMANDS
        .iter()
        .find(|(c, a)| *c == word || a.contains(&word))
        .map(|(c, _)| *c)
}

/// The palette while it is open.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PaletteState {
    pub input: String,
    pub completions: Vec<String>,
    pub selected: Option<usize>,
    pub error: Option<String>,
    /// The history entry shown (up/down on `logs …`/`traces …`): its index, newest 0.
    pub recall: Option<usize>,
}

impl PaletteState {
    /// Recomputes completions after the input changed.
    pub fn update_completions(&mut self, vocab: &Vocabulary<'_>) {
        self.completions = complete(&self.input, vocab);
        self.selected = None;
        self.error = None;
        self.recall = None;
    }

    /// Up (`older`) or down through `history` (newest first) in place of the text after the
    /// command word; down past the newest leaves the word alone. False when there is nothing
    /// to recall.
    pub fn recall_query(&mut self, history: &[String], older: bool) -> bool {
        let Some((word, _)) = self.input.split_once(' ') else {
            return false;
        };
        let word = word.to_owned();
        let next = match (self.recall, older) {
            (None, true) => Some(0),
            (None, false) => return false,
            (Some(i), true) => Some((i + 1).min(history.len().saturating_sub(1))),
            (Some(0), false) => None,
            (Some(i), false) => Some(i - 1),
        };
        match next.and_then(|i| history.get(i).map(|q| (i, q))) {
            Some((i, query)) => {
                self.input = format!("{word} {query}");
                self.recall = Some(i);
            }
            None if next.is_none() => {
                self.input = format!("{word} ");
                self.recall = None;
            }
            None => return false,
        }
        self.selected = None;
        self.error = None;
        true
    }

    /// Tab: take the selected completion, or the only one, or the longest common prefix.
    pub fn accept_completion(&mut self, vocab: &Vocabulary<'_>) {
        let choice = match (self.selected, self.completions.as_slice()) {
            (Some(i), list) => list.get(i).cloned(),
            (None, [only]) => Some(only.clone()),
            (None, []) => None,
            (None, list) => Some(common_prefix(list)),
        };
        if let Some(choice) = choice
            && choice.len() >= self.input.len()
        {
            self.input = choice;
        }
        self.update_completions(vocab);
    }

    /// Up/down through completions.
    pub fn cycle(&mut self, forward: bool) {
        let n = self.completions.len();
        if n == 0 {
            return;
        }
        self.selected = Some(match (self.selected, forward) {
            (None, true) => 0,
            (None, false) => n - 1,
            (Some(i), true) => (i + 1) % n,
            (Some(i), false) => (i + n - 1) % n,
        });
    }

    /// The line Enter runs: the selected completion if one is highlighted.
    #[must_use]
    pub fn line_to_run(&self) -> String {
        self.selected
            .and_then(|i| self.completions.get(i))
            .unwrap_or(&self.input)
            .trim()
            .to_owned()
    }
}

fn common_prefix(list: &[String]) -> String {
    let first = &list[0];
    let mut len = first.len();
    for other in &list[1..] {
        len = first
            .char_indices()
            .zip(other.chars())
            .take_while(|((_, a), b)| a == b)
            .last()
            .map_or(0, |((i, c), _)| i + c.len_utf8())
            .min(len);
    }
    first[..len].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_parse_to_panes() {
        assert_eq!(parse("svc"), Ok(Command::Pane(PaneId::Catalog, None)));
        assert_eq!(parse("postgres"), Ok(Command::Pane(PaneId::Postgres, None)));
        assert_eq!(
            parse("incident checkout-api"),
            Ok(Command::Pane(PaneId::Incident, Some("checkout-api".into())))
        );
        assert_eq!(parse("ctx prod"), Ok(Command::Context("prod".into())));
        assert_eq!(parse("scope all"), Ok(Command::Scope(None)));
        assert_eq!(parse("q"), Ok(Command::Quit));
        assert_eq!(parse("messages"), Ok(Command::Messages));
        assert_eq!(parse("mes"), Ok(Command::Messages));
        assert!(parse("fly").is_err());
        assert!(parse("ctx").is_err());
    }

    #[test]
    fn query_commands_keep_the_whole_rest_of_the_line() {
        assert_eq!(
            parse(r#"logs {app="cart"} |= "time out" != `x`"#),
            Ok(Command::Logs(r#"{app="cart"} |= "time out" != `x`"#.into()))
        );
        assert_eq!(
            parse("traces { span.http.status_code = 500 }"),
            Ok(Command::Traces("{ span.http.status_code = 500 }".into()))
        );
        assert_eq!(parse("logs"), Ok(Command::Pane(PaneId::Logs, None)));
        assert_eq!(
            parse("window 2026-12-07 10:00..11:00"),
            Ok(Command::Window("2026-12-07 10:00..11:00".into()))
        );
        assert!(parse("window").is_err());
    }

    #[test]
    fn up_and_down_recall_queries() {
        let history = vec!["b".to_owned(), "a".to_owned()];
        let mut p = PaletteState {
            input: "logs ".into(),
            ..PaletteState::default()
        };
        assert!(!p.recall_query(&history, false));
        assert!(p.recall_query(&history, true));
        assert_eq!(p.input, "logs b");
        assert!(p.recall_query(&history, true));
        assert_eq!(p.input, "logs a");
        assert!(p.recall_query(&history, true));
        assert_eq!(p.input, "logs a", "the oldest stays");
        assert!(p.recall_query(&history, false));
        assert_eq!(p.input, "logs b");
        assert!(p.recall_query(&history, false));
        assert_eq!(p.input, "logs ");
        assert!(!p.recall_query(&[], true));
        assert_eq!(
            query_language("traces {}"),
            Some(crate::model::query_history::QueryLanguage::TraceQl)
        );
        assert_eq!(query_language("ctx x"), None);
    }

    #[test]
    fn completion_covers_commands_and_arguments() {
        let contexts = vec!["sandbox-prod".to_owned(), "sandbox-staging".to_owned()];
        let services = ["checkout-api", "cart-service"];
        let vocab = Vocabulary {
            contexts: &contexts,
            themes: &[],
            services: &services,
            tours: &[],
        };
        assert!(complete("ro", &vocab).contains(&"rollouts".to_owned()));
        assert_eq!(complete("ctx sandbox-p", &vocab), vec!["ctx sandbox-prod"]);
        let mut p = PaletteState {
            input: "ctx sa".into(),
            ..PaletteState::default()
        };
        p.update_completions(&vocab);
        p.accept_completion(&vocab);
        assert_eq!(p.input, "ctx sandbox-");
        let mut p = PaletteState {
            input: "scope ch".into(),
            ..PaletteState::default()
        };
        p.update_completions(&vocab);
        p.accept_completion(&vocab);
        assert_eq!(p.input, "scope checkout-api");
    }
}
