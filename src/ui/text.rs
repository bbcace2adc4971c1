//! Small text helpers for widgets: highlighting matched characters, fitting to a width.

use ratatui::style::Style;
use ratatui::text::Span;
use unicode_width::UnicodeWidthStr;

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

/// Cuts `text` to `width` columns, ending with `…` when cut.
#[must_use]
pub fn fit(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push('…');
    out
}

/// A percentage with one decimal, or a dash.
#[must_use]
pub fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_owned(), |v| format!("{:.0}%", v * 100.0))
}

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
    use super::*;

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
