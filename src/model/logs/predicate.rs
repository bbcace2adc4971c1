//! Field predicates: `level=error user_id=42 duration_ms>500 path!=/health msg~timeout`.
//!
//! A predicate is a list of terms, all of which must hold (AND). A term is `key OP value`:
//!
//! - `=` / `!=`: equal (numerically when both sides are numbers, as durations when both are
//!   durations, else as exact text);
//! - `>` `>=` `<` `<=`: ordered the same way; text compares byte-wise, which orders RFC 3339
//!   times correctly;
//! - `~` / `!~`: a regex (regex crate, linear time; smart case like `/`: case-insensitive
//!   unless the pattern has an upper-case letter). A plain word is a substring test.
//!
//! Keys are JSON members (a dotted path descends into objects and also finds literal dotted
//! keys) or logfmt keys. Three keys read the line itself: `level` is the detected level when
//! the line has one (so `level=error` matches `ERROR …`, `"severity":"ERROR"` and pino's 50,
//! and `level>=warn` works), `msg`/`message` fall back to the line's message when no such
//! field exists. A missing field makes `!=` and `!~` hold and every other operator fail (as
//! LogQL treats a missing label as empty).
//!
//! A duration (`500ms`, `1.5s`, `2m`, `1h30m`) on the right compares with a duration value,
//! or with a bare number when the key names its unit (`duration_ms`, `took_us`, `latency_s`).
//!
//! Everything is compiled once ([`Predicate::parse`]): keys to byte finders, numbers and
//! durations parsed, regexes built, so testing a line allocates nothing in the common case.

use std::cmp::Ordering;

use regex::{Regex, RegexBuilder};

use super::level::Level;
use super::level::LevelSet;
use super::line::LogLine;
use super::lookup::{FieldKey, FieldValue, ValueKind, parse_number};
use super::ring::LogBuffer;
use super::search::LogQuery;

/// Compiled regexes larger than this are refused, to bound memory.
const REGEX_SIZE_LIMIT: usize = 1024 * 1024;

/// Why a predicate did not parse: the term, where it starts (1-based column in the input),
/// and the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{term}` at column {column}: {reason}")]
pub struct PredicateError {
    pub term: String,
    pub column: usize,
    pub reason: Reason,
}

/// What is wrong with a term.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Reason {
    #[error("no operator (use = != > >= < <= ~ !~)")]
    NoOperator,
    #[error("no field name before `{0}`")]
    NoKey(&'static str),
    #[error("no value after `{0}` (use \"\" for empty text)")]
    NoValue(&'static str),
    #[error("`{0}` is not an operator (use = != > >= < <= ~ !~)")]
    BadOperator(String),
    #[error("unclosed quote")]
    UnclosedQuote,
    #[error("invalid regex: {0}")]
    BadRegex(String),
}

/// A comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    Match,
    NotMatch,
}

impl Op {
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Eq => "=",
            Self::Ne => "!=",
            Self::Gt => ">",
            Self::Ge => ">=",
            Self::Lt => "<",
            Self::Le => "<=",
            Self::Match => "~",
            Self::NotMatch => "!~",
        }
    }

    /// Whether a line without the field passes.
    fn holds_when_missing(self) -> bool {
        matches!(self, Self::Ne | Self::NotMatch)
    }

    /// Whether `ordering` (value compared to the term's right side) satisfies this operator.
    fn accepts(self, ordering: Ordering) -> bool {
        match self {
            Self::Eq => ordering == Ordering::Equal,
            Self::Ne => ordering != Ordering::Equal,
            Self::Gt => ordering == Ordering::Greater,
            Self::Ge => ordering != Ordering::Less,
            Self::Lt => ordering == Ordering::Less,
            Self::Le => ordering != Ordering::Greater,
            Self::Match | Self::NotMatch => false,
        }
    }
}

/// Keys that read the line rather than (only) its fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Special {
    None,
    Level,
    Message,
}

/// The right side, read every way it can be, once.
#[derive(Debug, Clone)]
struct Rhs {
    text: String,
    number: Option<f64>,
    duration_nanos: Option<f64>,
    level: Option<Level>,
    regex: Option<Regex>,
}

/// One compiled `key OP value`.
#[derive(Debug, Clone)]
struct Term {
    key: FieldKey,
    special: Special,
    /// Nanoseconds per unit of a bare number under this key (`_ms` → 1e6), for durations.
    unit_nanos: Option<f64>,
    op: Op,
    rhs: Rhs,
}

/// A compiled predicate. The empty predicate holds for every line.
#[derive(Debug, Clone)]
pub struct Predicate {
    input: String,
    terms: Vec<Term>,
}

impl Predicate {
    /// Parses and compiles `input`.
    ///
    /// # Errors
    /// The first term that does not parse, with its column and the reason.
    pub fn parse(input: &str) -> Result<Self, PredicateError> {
        let mut terms = Vec::new();
        for (column, word) in split_terms(input)? {
            terms.push(compile_term(&word, column)?);
        }
        Ok(Self {
            input: crate::model::sanitize::clean(input.trim()),
            terms,
        })
    }

    /// The text it was parsed from, trimmed and sanitized (it is shown in the status line).
    #[must_use]
    pub fn input(&self) -> &str {
        &self.input
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// Whether every term holds for `line`.
    #[must_use]
    pub fn matches(&self, line: &LogLine) -> bool {
        self.terms.iter().all(|term| term.matches(line))
    }
}

impl Term {
    fn matches(&self, line: &LogLine) -> bool {
        if self.special == Special::Level
            && let Some(level) = line.level()
        {
            return self.level_matches(level);
        }
        match self.key.in_line(line) {
            Some(value) => self.value_matches(&value),
            None if self.special == Special::Message => self.value_matches(&FieldValue {
                raw: line.message(),
                kind: ValueKind::Bare,
            }),
            None => self.op.holds_when_missing(),
        }
    }

    /// `~` / `!~`: whether the term's regex matching `text` is what the operator wants.
    fn regex_holds(&self, text: &str) -> bool {
        let hit = self.rhs.regex.as_ref().is_some_and(|r| r.is_match(text));
        hit == (self.op == Op::Match)
    }

    fn level_matches(&self, level: Level) -> bool {
        match self.op {
            Op::Match | Op::NotMatch => self.regex_holds(level.as_str()),
            // A word that is no level (`level=foo`) equals no detected level.
            op => match self.rhs.level {
                Some(wanted) => op.accepts(level.cmp(&wanted)),
                None => op == Op::Ne,
            },
        }
    }

    fn value_matches(&self, value: &FieldValue<'_>) -> bool {
        match self.op {
            Op::Match | Op::NotMatch => self.regex_holds(&value.text()),
            op => match self.ordering(value) {
                Some(ordering) => op.accepts(ordering),
                // Not comparable (a word against a number): only `!=` holds.
                None => op == Op::Ne,
            },
        }
    }

    /// The value compared to the right side: as numbers, as durations, or as text.
    fn ordering(&self, value: &FieldValue<'_>) -> Option<Ordering> {
        if let Some(rhs) = self.rhs.number {
            return value.number()?.partial_cmp(&rhs);
        }
        if let Some(rhs) = self.rhs.duration_nanos {
            let nanos = match (value.kind, self.unit_nanos) {
                (ValueKind::Composite, _) => return None,
                (_, unit) => {
                    parse_duration_nanos(value.raw).or_else(|| Some(value.number()? * unit?))?
                }
            };
            return nanos.partial_cmp(&rhs);
        }
        Some(value.text().as_ref().cmp(self.rhs.text.as_str()))
    }
}

/// Splits the input into `(column, term)` at spaces outside double quotes; quotes stay in
/// the term for [`compile_term`].
fn split_terms(input: &str) -> Result<Vec<(usize, String)>, PredicateError> {
    let mut terms = Vec::new();
    let mut current = String::new();
    let mut start = 0;
    let mut quote_at = None;
    let mut escaped = false;
    for (column, c) in input.chars().enumerate().map(|(i, c)| (i + 1, c)) {
        if quote_at.is_none() && c.is_whitespace() {
            if !current.is_empty() {
                terms.push((start, std::mem::take(&mut current)));
            }
            continue;
        }
        if current.is_empty() {
            start = column;
        }
        current.push(c);
        if quote_at.is_some() && escaped {
            escaped = false;
        } else if quote_at.is_some() && c == '\\' {
            escaped = true;
        } else if c == '"' {
            quote_at = if quote_at.is_some() {
                None
            } else {
                Some(column)
            };
        }
    }
    if let Some(at) = quote_at {
        return Err(PredicateError {
            term: crate::model::sanitize::clean(&current),
            column: at,
            reason: Reason::UnclosedQuote,
        });
    }
    if !current.is_empty() {
        terms.push((start, current));
    }
    Ok(terms)
}

/// Reads `key OP value` from one term that starts at `column`.
fn compile_term(word: &str, column: usize) -> Result<Term, PredicateError> {
    let error = |at: usize, reason: Reason| PredicateError {
        term: crate::model::sanitize::clean(word),
        column: column + at,
        reason,
    };
    let Some(op_at) = word.find(['=', '!', '<', '>', '~']) else {
        return Err(error(0, Reason::NoOperator));
    };
    let rest = &word[op_at..];
    let op = if rest.starts_with("!=") {
        Op::Ne
    } else if rest.starts_with("!~") {
        Op::NotMatch
    } else if rest.starts_with(">=") {
        Op::Ge
    } else if rest.starts_with("<=") {
        Op::Le
    } else {
        match rest.as_bytes()[0] {
            b'=' => Op::Eq,
            b'>' => Op::Gt,
            b'<' => Op::Lt,
            b'~' => Op::Match,
            _ => {
                let shown: String = rest.chars().take(2).collect();
                return Err(error(
                    word[..op_at].chars().count(),
                    Reason::BadOperator(shown),
                ));
            }
        }
    };
    let key = &word[..op_at];
    let op_column = key.chars().count();
    if key.is_empty() || key.contains('"') {
        return Err(error(0, Reason::NoKey(op.as_str())));
    }
    let raw_value = &word[op_at + op.as_str().len()..];
    // `==`, `=>`, `>>`, `~=`: a second operator character is a typo, not a value.
    if let Some(next) = raw_value.chars().next()
        && matches!(next, '=' | '<' | '>' | '~')
        && !raw_value.starts_with('"')
    {
        return Err(error(
            op_column,
            Reason::BadOperator(format!("{}{next}", op.as_str())),
        ));
    }
    let value = if let Some(inner) = raw_value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
    {
        inner.replace("\\\"", "\"").replace("\\\\", "\\")
    } else if raw_value.is_empty() {
        return Err(error(op_column, Reason::NoValue(op.as_str())));
    } else {
        raw_value.to_owned()
    };
    let regex = match op {
        Op::Match | Op::NotMatch => Some(
            RegexBuilder::new(&value)
                .case_insensitive(!value.chars().any(char::is_uppercase))
                .size_limit(REGEX_SIZE_LIMIT)
                .build()
                .map_err(|e| {
                    error(
                        op_column + op.as_str().len(),
                        Reason::BadRegex(crate::model::sanitize::clean(&e.to_string())),
                    )
                })?,
        ),
        _ => None,
    };
    let special = match key {
        "level" => Special::Level,
        "msg" | "message" => Special::Message,
        _ => Special::None,
    };
    Ok(Term {
        key: FieldKey::new(key),
        special,
        unit_nanos: key_unit_nanos(key),
        op,
        rhs: Rhs {
            number: parse_number(&value),
            duration_nanos: parse_duration_nanos(&value),
            level: Level::from_word(&value),
            regex,
            text: value,
        },
    })
}

/// The unit a key's name gives its bare numbers (`duration_ms` → milliseconds).
fn key_unit_nanos(key: &str) -> Option<f64> {
    let last = key.rsplit(['_', '.', '-']).next()?.to_ascii_lowercase();
    let unit = match last.as_str() {
        "ns" | "nanos" => 1.0,
        "us" | "micros" => 1e3,
        "ms" | "millis" => 1e6,
        "s" | "sec" | "secs" | "seconds" => 1e9,
        _ => return None,
    };
    (key.len() > last.len()).then_some(unit)
}

/// Reads a duration with units: `500ms`, `1.5s`, `2m`, `1h30m`, `250us`/`250µs`, `10ns`.
/// A bare number is not a duration.
#[must_use]
pub fn parse_duration_nanos(text: &str) -> Option<f64> {
    let mut rest = text;
    let mut total = 0.0;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if number_len == 0 {
            return None;
        }
        let number: f64 = rest[..number_len].parse().ok()?;
        rest = &rest[number_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ns" => 1.0,
            "us" | "µs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        total += number * scale;
        rest = &rest[unit_len..];
    }
    Some(total)
}

/// Buffers at least this long are filtered in two halves on two threads, as
/// [`super::filter`] does.
const PARALLEL_MIN_LINES: usize = 50_000;

/// Sequence numbers of the lines that pass `levels`, `query` and `predicate`, oldest first.
/// Like [`super::filter`], a large buffer is split across two threads, each with its own
/// clone of the compiled regexes (a shared `Regex` makes the second thread lock its cache
/// pool on every call).
#[must_use]
pub fn filter_with(
    buffer: &LogBuffer,
    query: &LogQuery,
    levels: LevelSet,
    predicate: &Predicate,
) -> Vec<u64> {
    let len = buffer.len();
    let pass = |positions: std::ops::Range<usize>, query: &LogQuery, predicate: &Predicate| {
        buffer
            .range(positions)
            .filter(|line| {
                levels.contains(line.level()) && predicate.matches(line) && query.matches_line(line)
            })
            .map(LogLine::seq)
            .collect::<Vec<u64>>()
    };
    if len < PARALLEL_MIN_LINES {
        return pass(0..len, query, predicate);
    }
    let middle = len / 2;
    let (second_query, second_predicate) = (query.clone(), predicate.clone());
    std::thread::scope(|scope| {
        let second = scope.spawn(move || pass(middle..len, &second_query, &second_predicate));
        let mut matches = pass(0..middle, query, predicate);
        match second.join() {
            Ok(rest) => matches.extend(rest),
            Err(panic) => std::panic::resume_unwind(panic),
        }
        matches
    })
}

#[cfg(test)]
mod tests;
