//! Searching the buffer: a query compiled once from what the user typed, the filtered list of
//! matching lines, match ranges for highlighting, and jumping to the next or previous match.
//!
//! Both query kinds compile to one `regex::Regex` (a substring is an escaped literal), so there
//! is one matching path, and the regex crate's literal prefilters make plain substrings fast.
//! Case follows "smart case": a query without upper-case letters ignores case.

use std::ops::Range;

use regex::{Regex, RegexBuilder};

use super::level::LevelSet;
use super::line::LogLine;
use super::ring::LogBuffer;

/// How the user's text is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum QueryKind {
    /// The text literally.
    #[default]
    Substring,
    /// The text as a regular expression (regex crate syntax; matching is linear time, so a
    /// hostile pattern cannot hang the UI).
    Regex,
}

/// The query could not be compiled; the message is fit to show under the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid search: {0}")]
pub struct QueryError(String);

/// Compiled regexes larger than this are refused rather than built, to bound memory.
const REGEX_SIZE_LIMIT: usize = 4 * 1024 * 1024;

/// A compiled search. An empty query matches every line.
#[derive(Debug, Clone)]
pub struct LogQuery {
    input: String,
    kind: QueryKind,
    /// `None` for the empty query.
    regex: Option<Regex>,
}

impl LogQuery {
    /// Compiles `input` as `kind`, with smart case.
    ///
    /// # Errors
    /// When `kind` is [`QueryKind::Regex`] and the pattern is invalid or too large.
    pub fn new(input: &str, kind: QueryKind) -> Result<Self, QueryError> {
        let regex = if input.is_empty() {
            None
        } else {
            let pattern = match kind {
                QueryKind::Substring => regex::escape(input),
                QueryKind::Regex => input.to_owned(),
            };
            let regex = RegexBuilder::new(&pattern)
                .case_insensitive(!has_upper_case(input, kind))
                .size_limit(REGEX_SIZE_LIMIT)
                .build()
                .map_err(|error| QueryError(crate::model::sanitize::clean(&error.to_string())))?;
            Some(regex)
        };
        Ok(Self {
            input: input.to_owned(),
            kind,
            regex,
        })
    }

    /// A substring query; this cannot fail.
    #[must_use]
    pub fn substring(input: &str) -> Self {
        let pattern = regex::escape(input);
        let regex = (!input.is_empty())
            .then(|| {
                RegexBuilder::new(&pattern)
                    .case_insensitive(!has_upper_case(input, QueryKind::Substring))
                    .build()
                    .ok()
            })
            .flatten();
        Self {
            input: input.to_owned(),
            kind: QueryKind::Substring,
            regex,
        }
    }

    /// The text the query was built from.
    #[must_use]
    pub fn input(&self) -> &str {
        &self.input
    }

    #[must_use]
    pub fn kind(&self) -> QueryKind {
        self.kind
    }

    /// Whether this query matches everything (nothing was typed).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.regex.is_none()
    }

    /// Whether `text` matches.
    #[must_use]
    pub fn is_match(&self, text: &str) -> bool {
        self.regex.as_ref().is_none_or(|regex| regex.is_match(text))
    }

    /// Whether a line matches: its raw text (so JSON members are searchable too) or, when the
    /// message was decoded separately, its message.
    #[must_use]
    pub fn matches_line(&self, line: &LogLine) -> bool {
        let Some(regex) = &self.regex else {
            return true;
        };
        regex.is_match(line.raw()) || (line.message_is_separate() && regex.is_match(line.message()))
    }

    /// Byte ranges of every match in `text`, for highlighting what is drawn. Empty matches
    /// (a regex like `a*`) are skipped, since they highlight nothing.
    #[must_use]
    pub fn match_ranges(&self, text: &str) -> Vec<Range<usize>> {
        self.regex.as_ref().map_or_else(Vec::new, |regex| {
            regex
                .find_iter(text)
                .map(|m| m.range())
                .filter(|range| !range.is_empty())
                .collect()
        })
    }
}

/// Smart case: any upper-case letter makes the query case-sensitive. In a regex, a letter right
/// after a backslash is an escape (`\S`, `\W`), not text, and does not count.
fn has_upper_case(input: &str, kind: QueryKind) -> bool {
    let mut escaped = false;
    for c in input.chars() {
        if kind == QueryKind::Regex && escaped {
            escaped = false;
            continue;
        }
        if c == '\\' {
            escaped = true;
            continue;
        }
        if c.is_uppercase() {
            return true;
        }
    }
    false
}

/// Whether `line` passes both the level set and the query.
#[must_use]
pub fn line_matches(line: &LogLine, query: &LogQuery, levels: LevelSet) -> bool {
    levels.contains(line.level()) && query.matches_line(line)
}

/// Buffers at least this long are filtered in two halves on two threads. Below it a thread
/// costs more than it saves.
const PARALLEL_MIN_LINES: usize = 50_000;

/// Sequence numbers of the lines that pass `levels` and `query`, oldest first. Sequence
/// numbers (not positions) so the list stays meaningful while the buffer evicts; look lines
/// up with [`LogBuffer::get_seq`].
///
/// A large buffer is split in two halves, the second matched on a scoped thread: a regex over
/// a million lines takes about 100 ms on one core, which is a visible stall on every keystroke
/// of the filter prompt, and the target machine has at least two cores.
#[must_use]
pub fn filter(buffer: &LogBuffer, query: &LogQuery, levels: LevelSet) -> Vec<u64> {
    let len = buffer.len();
    if len < PARALLEL_MIN_LINES {
        return filter_positions(buffer, query, levels, 0..len);
    }
    let middle = len / 2;
    // The second thread gets its own clone: a cloned Regex has its own cache pool, while a
    // shared one makes every non-owner thread lock the pool on each of its million calls.
    let second_query = query.clone();
    std::thread::scope(|scope| {
        let second =
            scope.spawn(move || filter_positions(buffer, &second_query, levels, middle..len));
        let mut matches = filter_positions(buffer, query, levels, 0..middle);
        match second.join() {
            Ok(rest) => matches.extend(rest),
            // Matching does not panic; if it ever did, the caller sees the same panic.
            Err(panic) => std::panic::resume_unwind(panic),
        }
        matches
    })
}

/// Like [`filter`], but only over lines pushed after sequence number `after` (or all held
/// lines when `after` is `None`). A view with an active filter calls this for each batch of
/// new lines and appends the result, so a full rescan only happens when the query changes.
#[must_use]
pub fn filter_since(
    buffer: &LogBuffer,
    query: &LogQuery,
    levels: LevelSet,
    after: Option<u64>,
) -> Vec<u64> {
    let start = after.map_or(0, |seq| buffer.position_at_or_after(seq.saturating_add(1)));
    filter_positions(buffer, query, levels, start..buffer.len())
}

/// [`filter`] over the lines at `positions`.
fn filter_positions(
    buffer: &LogBuffer,
    query: &LogQuery,
    levels: LevelSet,
    positions: Range<usize>,
) -> Vec<u64> {
    buffer
        .range(positions)
        .filter(|line| line_matches(line, query, levels))
        .map(LogLine::seq)
        .collect()
}

/// First matching line strictly after sequence number `after`.
#[must_use]
pub fn next_match(
    buffer: &LogBuffer,
    query: &LogQuery,
    levels: LevelSet,
    after: u64,
) -> Option<u64> {
    let start = buffer.position_at_or_after(after.saturating_add(1));
    buffer
        .iter_from(start)
        .find(|line| line.seq() > after && line_matches(line, query, levels))
        .map(LogLine::seq)
}

/// Last matching line strictly before sequence number `before`.
#[must_use]
pub fn prev_match(
    buffer: &LogBuffer,
    query: &LogQuery,
    levels: LevelSet,
    before: u64,
) -> Option<u64> {
    let end = buffer.position_at_or_after(before);
    buffer
        .iter()
        .take(end)
        .rev()
        .find(|line| line_matches(line, query, levels))
        .map(LogLine::seq)
}

/// In an already filtered list (from [`filter`]), the first entry after `after`.
#[must_use]
pub fn next_in(matches: &[u64], after: u64) -> Option<u64> {
    let index = matches.partition_point(|&seq| seq <= after);
    matches.get(index).copied()
}

/// In an already filtered list (from [`filter`]), the last entry before `before`.
#[must_use]
pub fn prev_in(matches: &[u64], before: u64) -> Option<u64> {
    let index = matches.partition_point(|&seq| seq < before);
    index.checked_sub(1).map(|i| matches[i])
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::model::logs::level::LevelGroup;
    use crate::model::logs::parse_line;

    fn buffer(lines: &[&str]) -> LogBuffer {
        let mut buffer = LogBuffer::new(100);
        for text in lines {
            buffer.push(parse_line(text.as_bytes(), Arc::from("src")));
        }
        buffer
    }

    #[test]
    fn smart_case_substring() {
        let lower = LogQuery::substring("timeout");
        assert!(lower.is_match("Connection TIMEOUT"));
        let mixed = LogQuery::substring("Timeout");
        assert!(!mixed.is_match("connection timeout"));
        assert!(mixed.is_match("Timeout after 5s"));
        // Regex metacharacters are literal in a substring query.
        assert!(LogQuery::substring("a.b(").is_match("x a.b( y"));
        assert!(!LogQuery::substring("a.b").is_match("axb"));
    }

    #[test]
    fn regex_queries_and_errors() {
        let query = LogQuery::new(r"status=5\d\d", QueryKind::Regex).unwrap();
        assert!(query.is_match("GET / status=503"));
        assert!(!query.is_match("GET / status=200"));
        // `\S` is an escape, not an upper-case letter: still case-insensitive.
        assert!(
            LogQuery::new(r"err\S+", QueryKind::Regex)
                .unwrap()
                .is_match("ERRORS")
        );
        let error = LogQuery::new("(unclosed", QueryKind::Regex).unwrap_err();
        assert!(error.to_string().starts_with("invalid search"));
        assert_eq!(
            LogQuery::new("x", QueryKind::Regex).unwrap().kind(),
            QueryKind::Regex
        );
    }

    #[test]
    fn match_ranges_for_highlighting() {
        let query = LogQuery::substring("ab");
        assert_eq!(query.match_ranges("xAByab"), vec![1..3, 4..6]);
        let empty_matches = LogQuery::new("z*", QueryKind::Regex).unwrap();
        assert!(empty_matches.match_ranges("abc").is_empty());
        assert!(LogQuery::substring("").match_ranges("abc").is_empty());
    }

    #[test]
    fn empty_query_matches_everything() {
        let query = LogQuery::new("", QueryKind::Regex).unwrap();
        assert!(query.is_empty());
        assert_eq!(query.input(), "");
        let buffer = buffer(&["a", "b"]);
        assert_eq!(filter(&buffer, &query, LevelSet::ALL), vec![0, 1]);
    }

    #[test]
    fn filter_combines_query_and_levels() {
        let buffer = buffer(&[
            "INFO request ok",
            "ERROR request failed",
            r#"{"level":"warn","msg":"request slow","user":"ann"}"#,
            "DEBUG request details",
            "no level request",
            "ERROR unrelated",
        ]);
        let query = LogQuery::substring("request");
        assert_eq!(filter(&buffer, &query, LevelSet::ALL), vec![0, 1, 2, 3, 4]);
        let mut levels = LevelSet::ALL;
        levels.toggle(LevelGroup::Debug);
        levels.toggle(LevelGroup::Info);
        assert_eq!(filter(&buffer, &query, levels), vec![1, 2, 4]);
        // JSON members are searchable through the raw text.
        assert_eq!(
            filter(&buffer, &LogQuery::substring("ann"), LevelSet::ALL),
            vec![2]
        );
    }

    #[test]
    fn decoded_messages_are_searched_too() {
        let buffer = buffer(&[r#"{"msg":"tab\there"}"#]);
        // The raw text has `\t`; the decoded message has the tab shown as spaces.
        assert_eq!(
            filter(&buffer, &LogQuery::substring("tab    here"), LevelSet::ALL),
            vec![0]
        );
    }

    #[test]
    fn next_and_previous_matches() {
        let buffer = buffer(&["ERROR a", "INFO b", "ERROR c", "INFO d", "ERROR e"]);
        let errors = LevelSet::NONE.with(LevelGroup::Error);
        let all = LogQuery::substring("");
        assert_eq!(next_match(&buffer, &all, errors, 0), Some(2));
        assert_eq!(next_match(&buffer, &all, errors, 2), Some(4));
        assert_eq!(next_match(&buffer, &all, errors, 4), None);
        assert_eq!(prev_match(&buffer, &all, errors, 4), Some(2));
        assert_eq!(prev_match(&buffer, &all, errors, 0), None);
        assert_eq!(prev_match(&buffer, &all, errors, 99), Some(4));

        let list = filter(&buffer, &all, errors);
        assert_eq!(list, vec![0, 2, 4]);
        assert_eq!(next_in(&list, 0), Some(2));
        assert_eq!(next_in(&list, 1), Some(2));
        assert_eq!(next_in(&list, 4), None);
        assert_eq!(prev_in(&list, 4), Some(2));
        assert_eq!(prev_in(&list, 3), Some(2));
        assert_eq!(prev_in(&list, 0), None);
    }

    #[test]
    fn large_buffers_filter_in_order_across_halves() {
        let mut buffer = LogBuffer::new(PARALLEL_MIN_LINES + 10);
        for i in 0..PARALLEL_MIN_LINES + 10 {
            let level = if i % 3 == 0 { "ERROR" } else { "INFO" };
            buffer.push(parse_line(
                format!("{level} line {i}").as_bytes(),
                Arc::from("src"),
            ));
        }
        let errors = LevelSet::NONE.with(LevelGroup::Error);
        let matches = filter(&buffer, &LogQuery::substring("line"), errors);
        let expected: Vec<u64> = (0..buffer.len() as u64).filter(|i| i % 3 == 0).collect();
        assert_eq!(matches, expected);
    }

    #[test]
    fn filter_since_only_looks_at_new_lines() {
        let mut buffer = buffer(&["ERROR a", "INFO b"]);
        let query = LogQuery::substring("");
        let mut matches = filter(&buffer, &query, LevelSet::ALL);
        let last_seen = buffer.next_seq().checked_sub(1);
        buffer.push(parse_line(b"WARN c", Arc::from("src")));
        matches.extend(filter_since(&buffer, &query, LevelSet::ALL, last_seen));
        assert_eq!(matches, vec![0, 1, 2]);
        assert_eq!(
            filter_since(&buffer, &query, LevelSet::ALL, None),
            vec![0, 1, 2]
        );
        assert!(filter_since(&buffer, &query, LevelSet::ALL, Some(2)).is_empty());
    }

    #[test]
    fn next_match_after_eviction_starts_at_the_oldest_line() {
        let mut buffer = LogBuffer::new(2);
        for text in ["ERROR a", "ERROR b", "ERROR c"] {
            buffer.push(parse_line(text.as_bytes(), Arc::from("src")));
        }
        let all = LogQuery::substring("");
        assert_eq!(next_match(&buffer, &all, LevelSet::ALL, 0), Some(1));
    }
}
