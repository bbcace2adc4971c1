//! Geometry and frame of centred dialogs.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::{Block, BorderType, Borders, Clear};

use crate::theme::{Role, Theme};

pub use crate::app::layout::centered;

/// Clears `area` and draws a dialog frame; returns the inner area.
pub fn frame(frame: &mut Frame<'_>, area: Rect, title: &str, theme: &Theme) -> Rect {
    frame.render_widget(Clear, area);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Double)
        .border_style(theme.style(Role::BorderFocus))
        .style(theme.style(Role::Dialog))
        .title(Span::styled(format!(" {title} "), theme.style(Role::Title)));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    inner
}

/// A note on the bottom border of `rect`, right-aligned (a scrolled view's position).
pub fn corner_note(frame: &mut Frame<'_>, rect: Rect, note: String, style: ratatui::style::Style) {
    let width = u16::try_from(note.chars().count()).unwrap_or(0);
    let at = Rect {
        x: (rect.x + rect.width).saturating_sub(width + 2),
        y: rect.y + rect.height.saturating_sub(1),
        width: width.min(rect.width),
        height: 1,
    };
    frame.render_widget(
        ratatui::widgets::Paragraph::new(ratatui::text::Span::styled(note, style)),
        at,
    );
}
