//! A captured custom command's output: its command line and exit status in the title, the
//! lines as printed (sanitized, not wrapped, so columns of `kubectl` stay aligned), and the
//! position when it does not fit. j/k, page keys, g/G scroll; esc closes.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::popup;
use crate::app::State;
use crate::app::custom::{CommandOutput, OUTPUT_LINES};
use crate::app::layout::messages_dialog;
use crate::theme::Role;

pub fn render(frame: &mut Frame<'_>, area: Rect, state: &State, output: &CommandOutput) {
    let theme = &state.ui.theme;
    let rect = messages_dialog(area);
    let inner = popup::frame(frame, rect, &output.title, theme);
    let text = theme.style(Role::Text);
    let muted = theme.style(Role::Muted);
    let mut lines: Vec<Line<'static>> = output
        .lines
        .iter()
        .map(|l| Line::from(Span::styled(l.clone(), text)))
        .collect();
    if output.lines.is_empty() {
        lines.push(Line::from(Span::styled("(it printed nothing)", muted)));
    }
    if output.dropped > 0 {
        lines.push(Line::from(Span::styled(
            format!(
                "({} more lines not kept: the first {OUTPUT_LINES} are shown)",
                output.dropped
            ),
            muted,
        )));
    }
    let height = usize::from(inner.height);
    let max = lines.len().saturating_sub(height);
    let scroll = output.scroll.min(max);
    if max > 0 {
        let last = (scroll + height).min(lines.len());
        let position = format!(
            " lines {}–{last} of {} · j/k scroll · esc closes ",
            scroll + 1,
            lines.len()
        );
        super::popup::corner_note(frame, rect, position, muted);
    }
    frame.render_widget(
        Paragraph::new(lines).scroll((u16::try_from(scroll).unwrap_or(u16::MAX), 0)),
        inner,
    );
}
