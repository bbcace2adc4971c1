//! One file per pane.

pub mod app_detail;
pub mod apps;
pub mod audit;
pub mod card;
pub mod catalog;
pub mod kafka;
pub mod logs;
pub mod placeholder;
pub mod postgres;
pub mod requests;
pub mod rollout_detail;
pub mod rollouts;
pub mod traces;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use crate::theme::{Role, Theme};

/// A pane whose source has sent nothing yet says why: the source's error, that it is not
/// configured (`off`, with what to configure), or that it is still connecting (`waiting`).
pub fn unavailable(
    frame: &mut Frame<'_>,
    area: Rect,
    state: &crate::app::State,
    source: crate::sources::SourceId,
    title: &str,
    off: &str,
    waiting: &str,
) {
    let why = match state.health.get(&source) {
        Some(crate::model::SourceHealth::Error { message, .. }) => format!("✗ {message}"),
        Some(crate::model::SourceHealth::Off) | None => off.to_owned(),
        _ => waiting.to_owned(),
    };
    notice(frame, area, &state.ui.theme, title, &why);
}

/// A pane that has nothing to show yet says why, in a bordered box.
pub fn notice(frame: &mut Frame<'_>, area: Rect, theme: &Theme, title: &str, text: &str) {
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.style(Role::Border))
        .title(Span::styled(format!(" {title} "), theme.style(Role::Title)));
    frame.render_widget(
        Paragraph::new(Span::styled(text.to_owned(), theme.style(Role::Muted)))
            .block(block)
            .wrap(Wrap { trim: true }),
        area,
    );
}
