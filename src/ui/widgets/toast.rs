//! A toast too long for the status line, wrapped over the rows just above it (over the
//! bottom of the pane, above the tour panel if one shows; the layout does not move). It takes at most a third of the screen;
//! what still does not fit ends with a pointer to `:messages`, which keeps every toast whole.
//!
//! ```text
//! │ … pane rows …                                                 │
//!  ✗ pg.terminate pg.backend:orders-db/22511 NOT executed: policy
//!    denies terminate in production outside a change window
//!  catalog ✓ platform ✓ …                        ? help : cmd q quit
//! ```

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;
use ratatui::widgets::{Clear, Paragraph};
use unicode_width::UnicodeWidthStr;

use crate::app::State;
use crate::app::layout::Areas;
use crate::app::state::ToastLevel;
use crate::theme::Role;
use crate::ui::text::wrap_all;

/// Ends the last row when the toast is longer than its rows.
pub const MORE: &str = "… :messages for the rest";

/// A level's colour role, glyph and word (the glyph and word read without colour).
#[must_use]
pub fn tag(level: ToastLevel) -> (Role, &'static str, &'static str) {
    match level {
        ToastLevel::Info => (Role::Info, "i", "info"),
        ToastLevel::Warn => (Role::Warn, "!", "warn"),
        ToastLevel::Error => (Role::Error, "✗", "error"),
    }
}

/// The rows of a wrapped toast: ` ✗ ` before the first, an indent before the others, at
/// most `max_rows` of them, the last ending with [`MORE`] when text is left over.
#[must_use]
pub fn rows(level: ToastLevel, text: &str, width: u16, max_rows: usize) -> Vec<String> {
    let (_, glyph, _) = tag(level);
    let text_width = usize::from(width).saturating_sub(4).max(1);
    let mut lines = wrap_all(text, text_width);
    let max_rows = max_rows.max(1);
    if lines.len() > max_rows {
        let keep = text_width.saturating_sub(MORE.width() + 1);
        let last = cut(&lines[max_rows - 1], keep);
        lines.truncate(max_rows - 1);
        lines.push(if last.is_empty() {
            MORE.to_owned()
        } else {
            format!("{last} {MORE}")
        });
    }
    lines
        .into_iter()
        .enumerate()
        .map(|(i, line)| {
            if i == 0 {
                format!(" {glyph} {line}")
            } else {
                format!("   {line}")
            }
        })
        .collect()
}

/// `text` cut to at most `width` columns, without a marker.
fn cut(text: &str, width: usize) -> String {
    let mut used = 0;
    text.chars()
        .take_while(|c| {
            used += unicode_width::UnicodeWidthChar::width(*c).unwrap_or(0);
            used <= width
        })
        .collect()
}

/// Draws the toast above the status line (above the tour panel while a tour runs, so the
/// tour's progress stays in sight) when it does not fit on the status line.
pub fn render(frame: &mut Frame<'_>, area: Rect, areas: &Areas, state: &State) {
    let Some(toast) = &state.toast else {
        return;
    };
    let status = areas.status;
    if super::status::toast_inline(state, status.width) {
        return;
    }
    let bottom = areas.tour.map_or(status.y, |tour| tour.y);
    // A third of the screen, and only over the pane's body.
    let max_rows = usize::from((area.height / 3).min(bottom.saturating_sub(areas.body.y)));
    if max_rows == 0 {
        return;
    }
    let rows = rows(toast.level, &toast.text, status.width, max_rows);
    let height = u16::try_from(rows.len()).unwrap_or(u16::MAX);
    let rect = Rect {
        x: status.x,
        y: bottom.saturating_sub(height),
        width: status.width,
        height,
    };
    let theme = &state.ui.theme;
    let (role, _, _) = tag(toast.level);
    let style = theme.style(Role::StatusBar).patch(theme.style(role));
    let lines: Vec<Line<'_>> = rows.into_iter().map(Line::from).collect();
    frame.render_widget(Clear, rect);
    frame.render_widget(Paragraph::new(lines).style(style), rect);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_toasts() {
        assert_eq!(rows(ToastLevel::Error, "no", 20, 3), [" ✗ no"]);
        let rows3 = rows(ToastLevel::Warn, "one two three four five six", 14, 3);
        assert_eq!(rows3, [" ! one two", "   three four", "   five six"]);
        let long = "word ".repeat(200);
        let cut = rows(ToastLevel::Info, &long, 40, 4);
        assert_eq!(cut.len(), 4);
        assert!(cut[3].ends_with(MORE), "{cut:?}");
        assert!(cut.iter().all(|r| r.width() <= 40), "{cut:?}");
    }
}
