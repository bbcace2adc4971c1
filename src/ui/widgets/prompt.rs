//! A one-line text prompt (e.g. the reason for a rejection).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::popup;
use crate::app::State;
use crate::app::state::Prompt;
use crate::theme::Role;

pub fn render(frame: &mut Frame<'_>, area: Rect, state: &State, prompt: &Prompt) {
    let theme = &state.ui.theme;
    // The error and the hint wrap rather than being cut: the dialog grows by their rows.
    let inner_width = usize::from(70u16.min(area.width.saturating_sub(2)).saturating_sub(2)).max(1);
    let rows =
        |text: &str| u16::try_from(text.chars().count().div_ceil(inner_width).max(1)).unwrap_or(1);
    let error_rows = prompt
        .error
        .as_deref()
        .map_or(0, |e| rows(&format!("✗ {e}")));
    let height = 5 + error_rows + rows(&prompt.hint);
    let rect = popup::centered(area, 70, height, 4);
    let inner = popup::frame(frame, rect, &prompt.title, theme);
    // Long input scrolls: the end, where the user types, stays in sight.
    let room = usize::from(inner.width.saturating_sub(3)).max(2);
    let chars: Vec<char> = prompt.input.chars().collect();
    let shown: String = if chars.len() > room {
        std::iter::once('…')
            .chain(chars[chars.len() + 1 - room..].iter().copied())
            .collect()
    } else {
        prompt.input.clone()
    };
    let mut lines = vec![Line::from(vec![
        Span::styled("> ", theme.style(Role::KeyHint)),
        Span::styled(format!("{shown}█"), theme.style(Role::Input)),
    ])];
    if let Some(error) = &prompt.error {
        lines.push(Line::from(Span::styled(
            format!("✗ {error}"),
            theme.style(Role::Error),
        )));
    }
    lines.push(Line::from(Span::styled(
        prompt.hint.clone(),
        theme.style(Role::Muted),
    )));
    lines.push(Line::from(Span::styled(
        "enter send · esc cancel",
        theme.style(Role::Muted),
    )));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}
