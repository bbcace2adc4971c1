//! `:messages`: every toast of the session, oldest first and newest last, each with its time
//! and its level as a glyph and a word (so it reads without colour), wrapped to the width.
//! j/k, page up/down and g/G scroll; esc closes.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::popup;
use crate::app::State;
use crate::theme::{Role, Theme};
use crate::ui::text::wrap_all;

/// Columns before a message's text: `HH:MM:SS ✗ error `.
const PREFIX: usize = 18;

/// The dialog's area on a screen `area`.
fn dialog(area: Rect) -> Rect {
    popup::centered(area, 110, area.height.saturating_sub(2), 1)
}

/// The inner area (inside the frame) of the dialog.
fn inner(area: Rect) -> Rect {
    let rect = dialog(area);
    Rect {
        x: rect.x + 1,
        y: rect.y + 1,
        width: rect.width.saturating_sub(2),
        height: rect.height.saturating_sub(2),
    }
}

/// Every message, wrapped to `width` columns.
fn lines(state: &State, theme: &Theme, width: u16) -> Vec<Line<'static>> {
    let messages = &state.messages;
    let mut out = Vec::new();
    if messages.dropped() > 0 {
        out.push(Line::from(Span::styled(
            format!(
                "({} older messages dropped; the last {} are kept)",
                messages.dropped(),
                crate::app::messages::Messages::CAP
            ),
            theme.style(Role::Muted),
        )));
    }
    if messages.is_empty() {
        out.push(Line::from(Span::styled(
            "no messages yet",
            theme.style(Role::Muted),
        )));
    }
    let text_width = usize::from(width).saturating_sub(PREFIX).max(10);
    for message in messages.iter() {
        let (role, glyph, word) = super::toast::tag(message.level);
        let time = message.time.strftime("%H:%M:%S").to_string();
        for (i, row) in wrap_all(&message.text, text_width).into_iter().enumerate() {
            let head = if i == 0 {
                vec![
                    Span::styled(format!("{time} "), theme.style(Role::Muted)),
                    Span::styled(format!("{glyph} {word:<5}  "), theme.style(role)),
                ]
            } else {
                vec![Span::raw(" ".repeat(PREFIX))]
            };
            let mut spans = head;
            spans.push(Span::styled(row, theme.style(Role::Text)));
            out.push(Line::from(spans));
        }
    }
    out
}

/// The largest first row on the current screen (the view of the newest messages).
#[must_use]
pub fn max_scroll(state: &State) -> usize {
    let (width, height) = state.size;
    let inner = inner(Rect::new(0, 0, width, height));
    lines(state, &state.ui.theme, inner.width)
        .len()
        .saturating_sub(usize::from(inner.height))
}

pub fn render(frame: &mut Frame<'_>, area: Rect, state: &State, scroll: usize) {
    let theme = &state.ui.theme;
    let rect = dialog(area);
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
        let width = u16::try_from(position.chars().count()).unwrap_or(0);
        let at = Rect {
            x: (rect.x + rect.width).saturating_sub(width + 2),
            y: rect.y + rect.height.saturating_sub(1),
            width: width.min(rect.width),
            height: 1,
        };
        frame.render_widget(
            Paragraph::new(Span::styled(position, theme.style(Role::Muted))),
            at,
        );
    }
    frame.render_widget(
        Paragraph::new(all).scroll((u16::try_from(scroll).unwrap_or(u16::MAX), 0)),
        inner,
    );
}
