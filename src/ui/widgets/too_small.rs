//! The message shown when the terminal is below the minimum size.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use crate::app::layout::{MIN_HEIGHT, MIN_WIDTH};
use crate::theme::{Role, Theme};

pub fn render(frame: &mut Frame<'_>, area: Rect, theme: &Theme) {
    let lines = vec![
        Line::from(Span::styled(
            "terminal too small",
            theme.on_text(Role::Warn),
        )),
        Line::from(Span::styled(
            format!(
                "{}×{} now, {MIN_WIDTH}×{MIN_HEIGHT} needed",
                area.width, area.height
            ),
            theme.on_text(Role::Muted),
        )),
    ];
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), area);
}
