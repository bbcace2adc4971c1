//! The `:` command palette dialog: the input line, completions, and any error.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::popup;
use crate::app::State;
use crate::app::modal::palette::PaletteState;
use crate::theme::Role;

/// Completions shown at most.
const MAX_COMPLETIONS: usize = 8;

pub fn render(frame: &mut Frame<'_>, area: Rect, state: &State, palette: &PaletteState) {
    let theme = &state.ui.theme;
    let shown = palette.completions.len().min(MAX_COMPLETIONS);
    let height = u16::try_from(shown).unwrap_or(0) + 3 + u16::from(palette.error.is_some());
    let rect = popup::centered(area, 60, height, 2);
    let inner = popup::frame(frame, rect, "command", theme);
    let mut lines = vec![Line::from(vec![
        Span::styled(":", theme.style(Role::KeyHint)),
        Span::styled(palette.input.clone(), theme.style(Role::Input)),
        Span::styled("█", theme.style(Role::Input)),
    ])];
    if let Some(error) = &palette.error {
        lines.push(Line::from(Span::styled(
            format!("✗ {error}"),
            theme.style(Role::Error),
        )));
    }
    let first = palette
        .selected
        .map_or(0, |s| s.saturating_sub(MAX_COMPLETIONS - 1));
    for (i, completion) in palette
        .completions
        .iter()
        .enumerate()
        .skip(first)
        .take(MAX_COMPLETIONS)
    {
        let selected = palette.selected == Some(i);
        let (marker, style) = if selected {
            ("▶ ", theme.style(Role::Selection))
        } else {
            ("  ", theme.style(Role::Muted))
        };
        lines.push(Line::from(Span::styled(
            format!("{marker}{completion}"),
            style,
        )));
    }
    frame.render_widget(Paragraph::new(lines), inner);
    let cursor_x = inner.x + 1 + u16::try_from(palette.input.chars().count()).unwrap_or(0);
    frame.set_cursor_position((cursor_x.min(inner.right().saturating_sub(1)), inner.y));
}
