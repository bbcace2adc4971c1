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

/// `text` word-wrapped to `width` columns, in at most `rows` rows; the last row ends with `…`
/// when text is left over. A word longer than the width is cut.
#[must_use]
pub fn wrap(text: &str, width: usize, rows: usize) -> Vec<String> {
    // A text that fits keeps its spacing (aligned columns).
    if text.width() <= width {
        return vec![text.to_owned()];
    }
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let needed = if line.is_empty() {
            word.width()
        } else {
            line.width() + 1 + word.width()
        };
        if needed > width && !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    if lines.len() > rows && rows > 0 {
        let rest = lines[rows - 1..].join(" ");
        lines.truncate(rows - 1);
        lines.push(format!("{rest}…"));
    }
    lines.truncate(rows);
    lines.into_iter().map(|l| fit(&l, width)).collect()
}

/// `text` word-wrapped to `width` columns with nothing left out: a word longer than a row
/// is broken across rows, and a line break starts a new row. Always at least one row.
#[must_use]
pub fn wrap_all(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut rows = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        let mut used = 0;
        for word in paragraph.split(' ').filter(|w| !w.is_empty()) {
            let w = word.width();
            if used > 0 && used + 1 + w <= width {
                line.push(' ');
                line.push_str(word);
                used += 1 + w;
                continue;
            }
            if used > 0 {
                rows.push(std::mem::take(&mut line));
                used = 0;
            }
            if w <= width {
                line.push_str(word);
                used = w;
                continue;
            }
            for c in word.chars() {
                let cw = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
                if used > 0 && used + cw > width {
                    rows.push(std::mem::take(&mut line));
                    used = 0;
                }
                line.push(c);
                used += cw;
            }
        }
        rows.push(line);
    }
    rows
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
