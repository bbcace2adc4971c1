//! `:messages`: every toast of the session, oldest first and newest last, each with its time
//! and its level as a glyph and a word (so it reads without colour), wrapped to the width.
//! j/k, page up/down and g/G scroll; esc closes.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::popup;
use crate::app::State;
use crate::app::layout::messages_dialog;
use crate::app::messages::{PREFIX, Row, rows};
use crate::theme::{Role, Theme};

/// Every message, wrapped to `width` columns.
fn lines(state: &State, theme: &Theme, width: u16) -> Vec<Line<'static>> {
    let muted = theme.style(Role::Muted);
    rows(&state.messages, width)
        .into_iter()
        .map(|row| match row {
            Row::Dropped(n) => Line::from(Span::styled(
                format!(
                    "({n} older messages dropped; the last {} are kept)",
                    crate::app::messages::Messages::CAP
                ),
                muted,
            )),
            Row::Empty => Line::from(Span::styled("no messages yet", muted)),
            Row::First(message, text) => {
                let (role, glyph, word) = super::toast::tag(message.level);
                let time = message.time.strftime("%H:%M:%S").to_string();
                Line::from(vec![
                    Span::styled(format!("{time} "), muted),
                    Span::styled(format!("{glyph} {word:<5}  "), theme.style(role)),
                    Span::styled(text, theme.style(Role::Text)),
                ])
            }
            Row::More(text) => Line::from(vec![
                Span::raw(" ".repeat(PREFIX)),
                Span::styled(text, theme.style(Role::Text)),
            ]),
        })
        .collect()
}

pub fn render(frame: &mut Frame<'_>, area: Rect, state: &State, scroll: usize) {
    let theme = &state.ui.theme;
    let rect = messages_dialog(area);
    let title = format!(
        "messages ({}) · esc closes · j/k scroll",
        state.messages.len()
    );
    let inner = popup::frame(frame, rect, &title, theme);
    let all = lines(state, theme, inner.width);
    let max = all.len().saturating_sub(usize::from(inner.height));
    let scroll = scroll.min(max);
    if max > 0 {
        let last = (scroll + usize::from(inner.height)).min(all.len());
        let position = format!(" rows {}–{last} of {} ", scroll + 1, all.len());
        popup::corner_note(frame, rect, position, theme.style(Role::Muted));
    }
    frame.render_widget(
        Paragraph::new(all).scroll((u16::try_from(scroll).unwrap_or(u16::MAX), 0)),
        inner,
    );
}
