//! The `/` filter shared by every table: substring, regex or fuzzy (nucleo), with `!` to
//! invert. The compiled matcher lives in state so a keystroke costs one pass over the rows.

use nucleo_matcher::pattern::{AtomKind, CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config as MatcherConfig, Matcher, Utf32Str};
use regex::{Regex, RegexBuilder};

/// How the filter text is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FilterMode {
    #[default]
    Substring,
    Regex,
    Fuzzy,
}

impl FilterMode {
    #[must_use]
    pub fn next(self) -> Self {
        match self {
            Self::Substring => Self::Regex,
            Self::Regex => Self::Fuzzy,
            Self::Fuzzy => Self::Substring,
        }
    }

    #[must_use]
    pub fn label(self) -> &'static str {
        match self {
            Self::Substring => "text",
            Self::Regex => "regex",
            Self::Fuzzy => "fuzzy",
        }
    }
}

/// A compiled filter.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// What the user typed, including a leading `!`.
    pub text: String,
    pub mode: FilterMode,
    /// True while the filter line has focus.
    pub editing: bool,
    /// Why the regex does not compile; the previous matches stay shown.
    pub error: Option<String>,
    compiled: Compiled,
}

#[derive(Debug, Clone, Default)]
enum Compiled {
    #[default]
    All,
    Substring(String),
    Regex(Regex),
    Fuzzy(Pattern),
}

impl Filter {
    /// Whether the filter restricts anything.
    #[must_use]
    pub fn is_active(&self) -> bool {
        !matches!(self.compiled, Compiled::All)
    }

    #[must_use]
    pub fn inverted(&self) -> bool {
        self.text.starts_with('!')
    }

    /// The pattern without its `!`.
    #[must_use]
    pub fn pattern(&self) -> &str {
        self.text.strip_prefix('!').unwrap_or(&self.text)
    }

    /// Sets text and mode and recompiles. A bad regex keeps the previous matcher and sets
    /// `error`, so the table does not flash empty while the user is typing.
    pub fn set(&mut self, text: String, mode: FilterMode) {
        self.text = text;
        self.mode = mode;
        self.error = None;
        let pattern = self.pattern().to_owned();
        if pattern.is_empty() {
            self.compiled = Compiled::All;
            return;
        }
        self.compiled = match mode {
            FilterMode::Substring => Compiled::Substring(pattern.to_lowercase()),
            FilterMode::Regex => {
                match RegexBuilder::new(&pattern)
                    .case_insensitive(true)
                    .size_limit(1 << 20)
                    .build()
                {
                    Ok(re) => Compiled::Regex(re),
                    Err(e) => {
                        self.error = Some(first_line(&e.to_string()));
                        return;
                    }
                }
            }
            FilterMode::Fuzzy => Compiled::Fuzzy(Pattern::new(
                &pattern,
                CaseMatching::Smart,
                Normalization::Smart,
                AtomKind::Fuzzy,
            )),
        };
    }

    pub fn clear(&mut self) {
        let mode = self.mode;
        self.set(String::new(), mode);
        self.editing = false;
    }

    /// Whether one row's search text passes, for a filter that does not rank rows (`None`
    /// for fuzzy matching, whose order depends on every row's score).
    #[must_use]
    pub fn keeps(&self, haystack: &str) -> Option<bool> {
        let hit = match &self.compiled {
            Compiled::All => return Some(true),
            Compiled::Substring(needle) => haystack.contains(needle.as_str()),
            Compiled::Regex(re) => re.is_match(haystack),
            Compiled::Fuzzy(_) => return None,
        };
        Some(hit != self.inverted())
    }

    /// Keeps the indices of `haystacks` (lower-cased search text per row) that match.
    #[must_use]
    pub fn apply(&self, haystacks: &[String]) -> Vec<usize> {
        let invert = self.inverted();
        let keep = |hit: bool| hit != invert;
        match &self.compiled {
            Compiled::All => (0..haystacks.len()).collect(),
            Compiled::Substring(needle) => haystacks
                .iter()
                .enumerate()
                .filter(|(_, h)| keep(h.contains(needle.as_str())))
                .map(|(i, _)| i)
                .collect(),
            Compiled::Regex(re) => haystacks
                .iter()
                .enumerate()
                .filter(|(_, h)| keep(re.is_match(h)))
                .map(|(i, _)| i)
                .collect(),
            Compiled::Fuzzy(pattern) => {
                let mut buf = Vec::new();
                let mut scored: Vec<(usize, u32)> = MATCHER.with_borrow_mut(|matcher| {
                    haystacks
                        .iter()
                        .enumerate()
                        .filter_map(|(i, h)| {
                            let score = pattern.score(Utf32Str::new(h, &mut buf), matcher);
                            match (score, invert) {
                                (Some(s), false) => Some((i, s)),
                                (None, true) => Some((i, 0)),
                                _ => None,
                            }
                        })
                        .collect()
                });
                if !invert {
                    // Best matches first, the way fuzzy finders present them.
                    scored.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
                }
                scored.into_iter().map(|(i, _)| i).collect()
            }
        }
    }

    /// Whether fuzzy mode decides the row order (then table sorting is not applied).
    #[must_use]
    pub fn orders_rows(&self) -> bool {
        matches!(self.compiled, Compiled::Fuzzy(_)) && !self.inverted()
    }

    /// Character ranges (as char indices) of `cell` to highlight. Empty when inverted.
    #[must_use]
    pub fn highlights(&self, cell: &str) -> Vec<usize> {
        if self.inverted() {
            return Vec::new();
        }
        match &self.compiled {
            Compiled::All => Vec::new(),
            Compiled::Substring(needle) => {
                let lower = cell.to_lowercase();
                if lower.len() != cell.len() {
                    return Vec::new();
                }
                let mut out = Vec::new();
                for (start, m) in lower.match_indices(needle.as_str()) {
                    let first = cell[..start].chars().count();
                    out.extend(first..first + m.chars().count());
                }
                out
            }
            Compiled::Regex(re) => {
                let mut out = Vec::new();
                for m in re.find_iter(cell) {
                    let first = cell[..m.start()].chars().count();
                    out.extend(first..first + m.as_str().chars().count());
                }
                out
            }
            Compiled::Fuzzy(pattern) => {
                let mut buf = Vec::new();
                let mut indices = Vec::new();
                // One matcher per thread: building one per cell cost a quarter of a frame.
                MATCHER.with_borrow_mut(|matcher| {
                    pattern.indices(Utf32Str::new(cell, &mut buf), matcher, &mut indices);
                });
                indices.sort_unstable();
                indices.dedup();
                indices
                    .into_iter()
                    .filter_map(|i| usize::try_from(i).ok())
                    .collect()
            }
        }
    }
}

thread_local! {
    static MATCHER: std::cell::RefCell<Matcher> = std::cell::RefCell::new(Matcher::new(MatcherConfig::DEFAULT));
}

fn first_line(s: &str) -> String {
    s.lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or(s)
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows() -> Vec<String> {
        [
            "checkout-api payments",
            "cart-service checkout",
            "search-api search",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect()
    }

    #[test]
    fn substring_and_invert() {
        let mut f = Filter::default();
        f.set("checkout".into(), FilterMode::Substring);
        assert_eq!(f.apply(&rows()), vec![0, 1]);
        f.set("!checkout".into(), FilterMode::Substring);
        assert_eq!(f.apply(&rows()), vec![2]);
    }

    #[test]
    fn regex_and_bad_regex_keeps_previous() {
        let mut f = Filter::default();
        f.set("^c.*api".into(), FilterMode::Regex);
        assert_eq!(f.apply(&rows()), vec![0]);
        f.set("(".into(), FilterMode::Regex);
        assert!(f.error.is_some());
        assert_eq!(f.apply(&rows()), vec![0], "previous matcher kept");
    }

    #[test]
    fn fuzzy_ranks_and_highlights() {
        let mut f = Filter::default();
        f.set("srchapi".into(), FilterMode::Fuzzy);
        assert_eq!(f.apply(&rows()), vec![2]);
        assert!(!f.highlights("search-api").is_empty());
    }

    #[test]
    fn substring_highlights_char_indices() {
        let mut f = Filter::default();
        f.set("API".into(), FilterMode::Substring);
        assert_eq!(f.highlights("checkout-api"), vec![9, 10, 11]);
    }
}
