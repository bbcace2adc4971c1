//! Small text helpers for widgets: highlighting matched characters, fitting to a width.

use ratatui::style::Style;
use ratatui::text::Span;

/// Splits `text` into spans, with the characters at `indices` (sorted char indices) in
/// `highlight` and the rest in `base`.
#[must_use]
pub fn highlighted(
    text: &str,
    indices: &[usize],
    base: Style,
    highlight: Style,
) -> Vec<Span<'static>> {
    if indices.is_empty() {
        return vec![Span::styled(text.to_owned(), base)];
    }
    let mut spans = Vec::new();
    let mut current = String::new();
    let mut current_hl = false;
    let mut next = indices.iter().peekable();
    for (i, c) in text.chars().enumerate() {
        while next.peek().is_some_and(|&&n| n < i) {
            next.next();
        }
        let hl = next.peek().is_some_and(|&&n| n == i);
        if hl != current_hl && !current.is_empty() {
            spans.push(Span::styled(
                std::mem::take(&mut current),
                if current_hl { highlight } else { base },
            ));
        }
        current_hl = hl;
        current.push(c);
    }
    if !current.is_empty() {
        spans.push(Span::styled(
            current,
            if current_hl { highlight } else { base },
        ));
    }
    spans
}

pub use crate::model::text::{fit, percent, wrap, wrap_all};

/// ` key word · key word ` hints for actions, from the active keymap (so they never lie).
#[must_use]
pub fn key_hints(
    keymap: &crate::keymap::Keymap,
    contexts: &[crate::keymap::KeyContext],
    actions: &[(crate::keymap::Action, &str)],
) -> String {
    let parts: Vec<String> = actions
        .iter()
        .filter_map(|(action, word)| {
            keymap
                .key_for(contexts, *action)
                .map(|k| format!("{k} {word}"))
        })
        .collect();
    format!(" {} ", parts.join(" · "))
}

#[cfg(test)]
mod tests {
    #[test]
    fn wrap_fills_rows_and_marks_what_is_left_out() {
        assert_eq!(super::wrap("one two three", 7, 3), ["one two", "three"]);
        assert_eq!(
            super::wrap("one two three four", 7, 2),
            ["one two", "three …"]
        );
        assert_eq!(super::wrap("", 7, 2), [""]);
        assert_eq!(
            super::wrap("a    b", 7, 2),
            ["a    b"],
            "spacing kept when it fits"
        );
        assert_eq!(super::wrap("abcdefghij", 5, 1), ["abcd…"]);
    }

    use super::*;
    use unicode_width::UnicodeWidthStr;

    #[test]
    fn wrap_all_keeps_every_character() {
        assert_eq!(wrap_all("one two three", 7), ["one two", "three"]);
        assert_eq!(wrap_all("", 7), [""]);
        assert_eq!(
            wrap_all("ab abcdefghij c", 4),
            ["ab", "abcd", "efgh", "ij c"]
        );
        assert_eq!(wrap_all("one\ntwo", 10), ["one", "two"]);
        let text = "pg.terminate pg.backend:orders-db/22511 NOT executed: policy denies it";
        let rows = wrap_all(text, 12);
        assert!(rows.iter().all(|r| r.width() <= 12), "{rows:?}");
        assert_eq!(rows.join(" ").replace(' ', ""), text.replace(' ', ""));
        assert_eq!(
            wrap_all("界界界", 4),
            ["界界", "界"],
            "wide characters count twice"
        );
    }

    #[test]
    fn highlight_splits_runs() {
        let base = Style::default();
        let hl = Style::default().bold();
        let spans = highlighted("checkout-api", &[9, 10, 11], base, hl);
        assert_eq!(spans.len(), 2);
        assert_eq!(spans[1].content, "api");
    }

    #[test]
    fn fit_adds_ellipsis() {
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("abc", 4), "abc");
    }
}
