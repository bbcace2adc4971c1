//! Panes not built yet say so plainly; they never show fake data.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use crate::app::{PaneId, State};
use crate::theme::Role;

pub fn render(frame: &mut Frame<'_>, area: Rect, state: &State, pane: PaneId) {
    let theme = &state.ui.theme;
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.style(Role::Border))
        .title(Span::styled(
            format!(" {} ", pane.title()),
            theme.style(Role::Title),
        ));
    let release = pane.coming_in().unwrap_or("a later release");
    let mut lines = vec![
        Line::default(),
        Line::from(Span::styled(
            format!(
                "The {} pane is coming in a later release ({release}).",
                pane.title()
            ),
            theme.style(Role::Info),
        )),
        Line::from(Span::styled(
            "Nothing here is simulated or made up.",
            theme.style(Role::Muted),
        )),
    ];
    if let Some(scope) = &state.scope {
        lines.push(Line::default());
        lines.push(Line::from(Span::styled(
            format!("When it arrives it will open scoped to {scope}."),
            theme.style(Role::Muted),
        )));
    }
    frame.render_widget(
        Paragraph::new(lines).block(block).wrap(Wrap { trim: true }),
        area,
    );
}
