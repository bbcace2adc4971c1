//! Field columns of the logs pane (`C`): each chosen field's value before the message, `-`
//! when the line lacks it. Widths come from the values on screen, each capped, and the
//! columns together never take the room the message needs: the ones that do not fit are left
//! out. Values are slices of the stored, sanitized text (JSON escapes are decoded and cleaned
//! again), so nothing in a cell can drive the terminal.

use ratatui::text::Span;
use unicode_width::UnicodeWidthStr;

use crate::app::panes::logs::LogsPane;
use crate::model::logs::LogLine;
use crate::theme::{Role, Theme};

/// Widest a column gets.
const MAX_WIDTH: usize = 20;
/// Columns narrower than this are left out rather than cut to nothing.
const MIN_WIDTH: usize = 3;
/// Columns the message keeps at least.
pub const MIN_MESSAGE: usize = 24;

/// The text of `line`'s value in column `i`, or `-`.
fn value(pane: &LogsPane, line: &LogLine, i: usize) -> String {
    pane.fields.columns[i]
        .in_line(line)
        .map_or_else(|| "-".to_owned(), |v| v.text().into_owned())
}

/// The width of each column (0: left out) for the `lines` on screen, in a body `width` wide
/// whose fixed columns (time, source, level) take `fixed`.
#[must_use]
pub fn widths(pane: &LogsPane, lines: &[&LogLine], width: usize, fixed: usize) -> Vec<usize> {
    let mut room = width.saturating_sub(fixed + MIN_MESSAGE);
    let mut out = Vec::with_capacity(pane.fields.columns.len());
    for i in 0..pane.fields.columns.len() {
        let wanted = lines
            .iter()
            .map(|line| value(pane, line, i).width())
            .max()
            .unwrap_or(1)
            .clamp(1, MAX_WIDTH);
        // One column of space after each.
        let given = wanted.min(room.saturating_sub(1));
        if given < wanted.min(MIN_WIDTH) || room == 0 {
            out.resize(pane.fields.columns.len(), 0);
            break;
        }
        room -= given + 1;
        out.push(given);
    }
    out
}

/// The cells of `line`, padded to `widths` and cut with `…`.
#[must_use]
pub fn cells(
    pane: &LogsPane,
    line: &LogLine,
    widths: &[usize],
    theme: &Theme,
) -> Vec<Span<'static>> {
    widths
        .iter()
        .enumerate()
        .filter(|(_, w)| **w > 0)
        .map(|(i, &w)| {
            let text = crate::model::text::fit(&value(pane, line, i), w);
            let pad = w.saturating_sub(text.width());
            Span::styled(
                format!("{text}{} ", " ".repeat(pad)),
                theme.style(Role::Accent),
            )
        })
        .collect()
}

/// `cols a b` for the status line, naming the ones left out.
#[must_use]
pub fn status(pane: &LogsPane, widths: &[usize]) -> Option<String> {
    if pane.fields.columns.is_empty() {
        return None;
    }
    let hidden = widths.iter().filter(|w| **w == 0).count();
    let names = crate::model::clean(&pane.fields.columns_text());
    Some(if hidden > 0 {
        format!("cols {names} ({hidden} too wide to show)")
    } else {
        format!("cols {names}")
    })
}
