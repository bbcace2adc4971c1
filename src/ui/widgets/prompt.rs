//! A one-line text prompt (e.g. the reason for a rejection).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::popup;
use crate::app::State;
use crate::app::state::Prompt;
use crate::theme::Role;

pub fn render(frame: &mut Frame<'_>, area: Rect, state: &State, prompt: &Prompt) {
    let theme = &state.ui.theme;
    let rect = popup::centered(area, 70, 5 + u16::from(prompt.error.is_some()), 4);
    let inner = popup::frame(frame, rect, &prompt.title, theme);
    let mut lines = vec![Line::from(vec![
        Span::styled("> ", theme.style(Role::KeyHint)),
        Span::styled(format!("{}█", prompt.input), theme.style(Role::Input)),
    ])];
    if let Some(error) = &prompt.error {
        lines.push(Line::from(Span::styled(
            format!("✗ {error}"),
            theme.style(Role::Error),
        )));
    }
    lines.push(Line::from(Span::styled(
        format!("{} · enter send · esc cancel", prompt.hint),
        theme.style(Role::Muted),
    )));
    frame.render_widget(Paragraph::new(lines), inner);
}
