//! Geometry and frame of centred dialogs.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::{Block, BorderType, Borders, Clear};

use crate::theme::{Role, Theme};

/// A rectangle of at most `width`×`height`, centred horizontally in `area`, `top` rows down.
#[must_use]
pub fn centered(area: Rect, width: u16, height: u16, top: u16) -> Rect {
    let width = width.min(area.width.saturating_sub(2)).max(1);
    let height = height.min(area.height.saturating_sub(top + 1)).max(1);
    Rect {
        x: area.x + (area.width.saturating_sub(width)) / 2,
        y: area.y + top.min(area.height.saturating_sub(height)),
        width,
        height,
    }
}

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
