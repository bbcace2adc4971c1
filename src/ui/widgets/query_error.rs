//! The panel of a query the backend refused (Loki's or Tempo's 400, the sandbox's subset):
//! the whole error text, wrapped, over the pane until esc. Reasons are shown whole: the
//! column in `parse error at line 1, col 42` is only useful with the rest of the line.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use unicode_width::UnicodeWidthStr as _;

use crate::theme::{Role, Theme};

/// Rows `text` takes wrapped at `width` columns (words may wrap earlier; one spare row per
/// line keeps the estimate on the safe side).
fn rows(text: &str, width: u16) -> u16 {
    let width = usize::from(width.max(1));
    let total: usize = text
        .lines()
        .map(|l| l.width().div_ceil(width).max(1) + usize::from(l.width() > width))
        .sum();
    u16::try_from(total).unwrap_or(u16::MAX)
}

/// Draws the panel over `area` (the pane), as large as the text needs and the pane allows.
pub fn render(frame: &mut Frame<'_>, area: Rect, theme: &Theme, title: &str, text: &str) {
    let width = area.width.saturating_sub(2).max(10);
    let inner_width = width.saturating_sub(2);
    let hint = "esc closes · : then ↑ recalls the query to fix it";
    let wanted = rows(text, inner_width).saturating_add(4);
    let height = wanted
        .min(area.height.saturating_sub(1))
        .max(5.min(area.height));
    let panel = Rect {
        x: area.x + (area.width.saturating_sub(width)) / 2,
        y: area.y + (area.height.saturating_sub(height)) / 2,
        width: width.min(area.width),
        height,
    };
    let inner = super::popup::frame(frame, panel, title, theme);
    let mut lines: Vec<Line<'static>> = text
        .lines()
        .map(|l| Line::from(Span::styled(l.to_owned(), theme.style(Role::Error))))
        .collect();
    lines.push(Line::default());
    lines.push(Line::from(Span::styled(hint, theme.style(Role::Muted))));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}
