//! Custom commands' templates: a command line with `{placeholder}`s filled from the
//! selection, as separate arguments (never through a shell) or, when the file asks for
//! `sh -c`, as one shell line with every value single-quoted.
//!
//! A template is split into words when it is loaded, before any value is known, so a value
//! with spaces, quotes or `;` stays one argument and is never read as shell syntax. A value
//! that would be a whole argument and starts with `-` is refused: `kubectl` would read a pod
//! named `--kubeconfig=/tmp/x` as an option (argument injection), whereas `--topic={topic}`
//! is safe and allowed.

use std::collections::BTreeMap;
use std::fmt;

/// Every placeholder a template may use, with what it is, for errors and help.
pub const PLACEHOLDERS: &[(&str, &str)] = &[
    (
        "context",
        "the kubeconfig context of the opsdeck context (as k9s's $CONTEXT)",
    ),
    ("opsdeck_context", "the opsdeck context's name"),
    ("namespace", "the selected object's namespace"),
    ("pod", "the selected pod"),
    ("container", "the selected pod's first app container"),
    ("workload", "the selected Deployment or Rollout"),
    ("app", "the selected Argo CD app"),
    ("service", "the selected (or scoped) service"),
    ("topic", "the selected Kafka topic"),
    ("group", "the selected consumer group"),
    ("partition", "the selected partition"),
    (
        "brokers",
        "the context's Kafka bootstrap servers, comma-separated",
    ),
    (
        "database",
        "the Postgres database shown (its name in the config)",
    ),
    (
        "dsn",
        "that database's DSN as configured (never a password)",
    ),
    ("pid", "the selected Postgres backend's pid"),
    ("trace_id", "the selected trace's id (or the log line's)"),
    ("request_id", "the selected self-service request's id"),
    ("alert", "the selected alert's name"),
];

/// Whether `name` is a known placeholder.
#[must_use]
pub fn is_placeholder(name: &str) -> bool {
    PLACEHOLDERS.iter().any(|(n, _)| *n == name)
}

/// One piece of a word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Text(String),
    Var(String),
}

/// A word of a command line: text and placeholders.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Word(pub Vec<Part>);

impl Word {
    /// Parses `{name}` placeholders (`{{` and `}}` are a literal brace).
    ///
    /// # Errors
    /// An unclosed or empty brace, or an unknown name.
    pub fn parse(text: &str) -> Result<Self, TemplateError> {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    literal.push('{');
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    literal.push('}');
                }
                '{' => {
                    let mut name = String::new();
                    let mut closed = false;
                    for c in chars.by_ref() {
                        if c == '}' {
                            closed = true;
                            break;
                        }
                        name.push(c);
                    }
                    if !closed {
                        return Err(TemplateError::Unclosed(text.to_owned()));
                    }
                    if !is_placeholder(&name) {
                        return Err(TemplateError::Unknown(name));
                    }
                    if !literal.is_empty() {
                        parts.push(Part::Text(std::mem::take(&mut literal)));
                    }
                    parts.push(Part::Var(name));
                }
                '}' => return Err(TemplateError::StrayBrace(text.to_owned())),
                c => literal.push(c),
            }
        }
        if !literal.is_empty() {
            parts.push(Part::Text(literal));
        }
        Ok(Self(parts))
    }

    fn vars(&self) -> impl Iterator<Item = &str> {
        self.0.iter().filter_map(|p| match p {
            Part::Var(v) => Some(v.as_str()),
            Part::Text(_) => None,
        })
    }
}

/// How a template runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Template {
    /// `program arg…`: each word one argument, values substituted inside their word.
    Argv(Vec<Word>),
    /// `sh -c LINE`: the line as written, each value a single-quoted shell word.
    Shell(Word),
}

/// Why a template or its values cannot make a command line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("unknown placeholder {{{0}}}; known: {known}", known = known_list())]
    Unknown(String),
    #[error("`{0}` has a `{{` without its `}}` (write `{{{{` for a literal brace)")]
    Unclosed(String),
    #[error("`{0}` has a `}}` without its `{{` (write `}}}}` for a literal brace)")]
    StrayBrace(String),
    #[error("the command line is empty")]
    Empty,
    #[error("the command line has an unclosed quote")]
    Unquoted,
    #[error("the program (the first word) cannot be a placeholder: {0}")]
    VarProgram(String),
    #[error(
        "{{{0}}} is inside quotes in an sh -c line; write it bare: opsdeck quotes every value itself"
    )]
    QuotedVar(String),
}

fn known_list() -> String {
    PLACEHOLDERS
        .iter()
        .map(|(n, _)| format!("{{{n}}}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Why a command cannot run for this selection.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    #[error("it needs {{{0}}}, which the selection does not give")]
    Missing(String),
    #[error("{{{0}}} is `{1}`, which starts with `-` and would be read as an option; nothing ran")]
    LooksLikeOption(String, String),
    #[error("{{{0}}} holds a NUL byte; nothing ran")]
    Nul(String),
}

impl Template {
    /// Splits `line` into words by POSIX shell rules (quotes and backslashes; no
    /// expansion), then reads the placeholders of each word.
    ///
    /// # Errors
    /// An unbalanced quote, an unknown placeholder, or a placeholder as the program.
    pub fn argv_line(line: &str) -> Result<Self, TemplateError> {
        let words = shell_words::split(line).map_err(|_| TemplateError::Unquoted)?;
        Self::argv(&words)
    }

    /// Each string one argument.
    ///
    /// # Errors
    /// Empty, an unknown placeholder, or a placeholder as the program.
    pub fn argv(words: &[String]) -> Result<Self, TemplateError> {
        let parsed = words
            .iter()
            .map(|w| Word::parse(w))
            .collect::<Result<Vec<_>, _>>()?;
        let Some(first) = parsed.first() else {
            return Err(TemplateError::Empty);
        };
        // The program is fixed by the file, never chosen by a value from the cluster.
        if let Some(var) = first.vars().next() {
            return Err(TemplateError::VarProgram(format!("{{{var}}}")));
        }
        Ok(Self::Argv(parsed))
    }

    /// A line for `sh -c`. Placeholders must stand outside quotes: each becomes a quoted
    /// word, and quoting it again would put the quotes into the value.
    ///
    /// # Errors
    /// Empty, unbalanced quotes, a quoted placeholder or an unknown one.
    pub fn shell_line(line: &str) -> Result<Self, TemplateError> {
        if line.trim().is_empty() {
            return Err(TemplateError::Empty);
        }
        check_unquoted_vars(line)?;
        Ok(Self::Shell(Word::parse(line)?))
    }

    /// The placeholders it uses, each once, in order.
    #[must_use]
    pub fn vars(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        let words: &[Word] = match self {
            Self::Argv(words) => words,
            Self::Shell(line) => std::slice::from_ref(line),
        };
        for var in words.iter().flat_map(Word::vars) {
            if !out.contains(&var) {
                out.push(var);
            }
        }
        out
    }

    /// The argument vector for these values: `[program, args…]`, or `["sh", "-c", line]`.
    ///
    /// # Errors
    /// A placeholder without a value, a value that would be an option, or a NUL.
    pub fn render(&self, vars: &Vars) -> Result<Vec<String>, RenderError> {
        for var in self.vars() {
            let value = vars
                .get(var)
                .ok_or_else(|| RenderError::Missing(var.to_owned()))?;
            if value.contains('\0') {
                return Err(RenderError::Nul(var.to_owned()));
            }
        }
        match self {
            Self::Argv(words) => words
                .iter()
                .map(|word| {
                    if let [Part::Var(var)] = word.0.as_slice() {
                        let value = &vars.0[var];
                        if value.starts_with('-') {
                            return Err(RenderError::LooksLikeOption(var.clone(), value.clone()));
                        }
                    }
                    Ok(fill(word, vars, str::to_owned))
                })
                .collect(),
            Self::Shell(line) => Ok(vec![
                "sh".to_owned(),
                "-c".to_owned(),
                fill(line, vars, shell_quote),
            ]),
        }
    }
}

fn fill(word: &Word, vars: &Vars, quote: impl Fn(&str) -> String) -> String {
    word.0
        .iter()
        .map(|part| match part {
            Part::Text(t) => t.clone(),
            Part::Var(v) => quote(vars.0.get(v).map_or("", String::as_str)),
        })
        .collect()
}

/// Fails on a `{placeholder}` inside single or double quotes of a shell line.
fn check_unquoted_vars(line: &str) -> Result<(), TemplateError> {
    let mut quote: Option<char> = None;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (None | Some('"'), '\\') => {
                chars.next();
            }
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (Some(_), '{') if chars.peek() != Some(&'{') => {
                let name: String = chars.clone().take_while(|&c| c != '}').collect();
                return Err(TemplateError::QuotedVar(name));
            }
            (_, '{') if chars.peek() == Some(&'{') => {
                chars.next();
            }
            _ => {}
        }
    }
    if quote.is_some() {
        return Err(TemplateError::Unquoted);
    }
    Ok(())
}

/// `value` as one POSIX shell word: single quotes, each `'` written `'\''`.
#[must_use]
pub fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

/// A command line for people: each argument that needs it quoted, so what the audit and the
/// confirmation show can be pasted into a shell and means the same.
#[must_use]
pub fn display_line(argv: &[String]) -> String {
    argv.iter()
        .map(|arg| {
            let plain = !arg.is_empty()
                && arg
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./:=,@%+".contains(c));
            if plain { arg.clone() } else { shell_quote(arg) }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The values of the placeholders for one selection.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Vars(BTreeMap<String, String>);

impl Vars {
    /// Sets `name` (a known placeholder) unless the value is empty.
    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        debug_assert!(is_placeholder(name), "unknown placeholder {name}");
        let value = value.into();
        if !value.is_empty() {
            self.0.insert(name.to_owned(), value);
        }
    }

    /// Sets `name` only when nothing more specific set it already.
    pub fn set_default(&mut self, name: &str, value: impl Into<String>) {
        if !self.0.contains_key(name) {
            self.set(name, value);
        }
    }

    #[must_use]
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let word = |w: &Word| -> String {
            w.0.iter()
                .map(|p| match p {
                    Part::Text(t) => t.replace('{', "{{").replace('}', "}}"),
                    Part::Var(v) => format!("{{{v}}}"),
                })
                .collect()
        };
        match self {
            Self::Argv(words) => {
                let shown: Vec<String> = words.iter().map(word).collect();
                write!(f, "{}", shown.join(" "))
            }
            Self::Shell(line) => write!(f, "sh -c {}", shell_quote(&word(line))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vars {
        let mut v = Vars::default();
        for (k, val) in pairs {
            v.set(k, *val);
        }
        v
    }

    #[test]
    fn values_are_separate_arguments_never_shell_syntax() {
        let t = Template::argv_line("kubectl -n {namespace} exec -it {pod} -- sh").unwrap();
        let argv = t
            .render(&vars(&[
                ("namespace", "shop"),
                ("pod", "api; rm -rf / $(id)"),
            ]))
            .unwrap();
        assert_eq!(
            argv,
            [
                "kubectl",
                "-n",
                "shop",
                "exec",
                "-it",
                "api; rm -rf / $(id)",
                "--",
                "sh"
            ]
        );
    }

    #[test]
    fn quotes_in_the_line_group_words_and_values_stay_inside_theirs() {
        let t = Template::argv_line(r#"echo "pod is {pod}" --x={namespace}/{pod}"#).unwrap();
        let argv = t
            .render(&vars(&[("namespace", "a b"), ("pod", "p")]))
            .unwrap();
        assert_eq!(argv, ["echo", "pod is p", "--x=a b/p"]);
    }

    #[test]
    fn a_whole_argument_value_that_looks_like_an_option_is_refused() {
        let t = Template::argv_line("kcat -t {topic}").unwrap();
        let err = t.render(&vars(&[("topic", "--help")])).unwrap_err();
        assert_eq!(
            err,
            RenderError::LooksLikeOption("topic".into(), "--help".into())
        );
        // Inside a word it is only text.
        let t = Template::argv_line("kcat --topic={topic}").unwrap();
        assert_eq!(
            t.render(&vars(&[("topic", "-x")])).unwrap(),
            ["kcat", "--topic=-x"]
        );
    }

    #[test]
    fn missing_values_and_nul_are_refused() {
        let t = Template::argv_line("psql {dsn}").unwrap();
        assert_eq!(
            t.render(&Vars::default()).unwrap_err(),
            RenderError::Missing("dsn".into())
        );
        assert_eq!(
            t.render(&vars(&[("dsn", "a\0b")])).unwrap_err(),
            RenderError::Nul("dsn".into())
        );
    }

    #[test]
    fn shell_lines_quote_every_value() {
        let t = Template::shell_line("kubectl logs -n {namespace} {pod} | grep -c ERROR").unwrap();
        let argv = t
            .render(&vars(&[("namespace", "shop"), ("pod", "it's $(boom)")]))
            .unwrap();
        assert_eq!(argv[..2], ["sh", "-c"]);
        assert_eq!(
            argv[2],
            r"kubectl logs -n 'shop' 'it'\''s $(boom)' | grep -c ERROR"
        );
        // What sh makes of it: the value comes back whole.
        let out = std::process::Command::new("sh")
            .args([
                "-c",
                &format!("printf %s {}", shell_quote("it's $(boom) `x` \"y\"")),
            ])
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "it's $(boom) `x` \"y\""
        );
    }

    #[test]
    fn template_errors_say_what_is_wrong() {
        assert_eq!(
            Template::argv_line("kubectl {podd}").unwrap_err(),
            TemplateError::Unknown("podd".into())
        );
        assert!(
            TemplateError::Unknown("podd".into())
                .to_string()
                .contains("{pod}")
        );
        assert_eq!(
            Template::argv_line("{pod} x").unwrap_err(),
            TemplateError::VarProgram("{pod}".into())
        );
        assert_eq!(
            Template::argv_line("echo 'x").unwrap_err(),
            TemplateError::Unquoted
        );
        assert_eq!(Template::argv_line("  ").unwrap_err(), TemplateError::Empty);
        assert_eq!(
            Template::shell_line("echo '{pod}'").unwrap_err(),
            TemplateError::QuotedVar("pod".into())
        );
        assert_eq!(
            Template::shell_line(r#"echo "{pod}""#).unwrap_err(),
            TemplateError::QuotedVar("pod".into())
        );
        assert!(Template::shell_line("echo {pod} '{{x}}'").is_ok());
        assert!(matches!(
            Word::parse("a{pod").unwrap_err(),
            TemplateError::Unclosed(_)
        ));
        assert_eq!(
            Word::parse("{{literal}}").unwrap(),
            Word(vec![Part::Text("{literal}".into())])
        );
    }

    #[test]
    fn display_lines_can_be_pasted_back() {
        let argv: Vec<String> = ["kubectl", "-n", "shop", "exec", "it's", "a b", ""]
            .map(str::to_owned)
            .to_vec();
        assert_eq!(
            display_line(&argv),
            r"kubectl -n shop exec 'it'\''s' 'a b' ''"
        );
        assert_eq!(shell_words::split(&display_line(&argv)).unwrap(), argv);
    }

    #[test]
    fn vars_lists_each_placeholder_once() {
        let t = Template::argv_line("x {pod} {namespace}/{pod}").unwrap();
        assert_eq!(t.vars(), ["pod", "namespace"]);
        assert_eq!(t.to_string(), "x {pod} {namespace}/{pod}");
    }
}
