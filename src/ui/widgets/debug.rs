//! The `--debug` overlay: frames drawn so far, size and generation. It proves idle means zero
//! frames: the counter does not move while nothing happens.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::Paragraph;

use crate::app::State;
use crate::theme::Role;

pub fn render(frame: &mut Frame<'_>, area: Rect, state: &State) {
    let text = format!(
        " frames {} · {}×{} · gen {} ",
        state.frames, state.size.0, state.size.1, state.generation
    );
    let width = u16::try_from(text.chars().count())
        .unwrap_or(u16::MAX)
        .min(area.width);
    let rect = Rect {
        x: area.right().saturating_sub(width),
        y: area.y + 1,
        width,
        height: 1,
    };
    frame.render_widget(
        Paragraph::new(Span::styled(
            text,
            state
                .ui
                .theme
                .style(Role::Info)
                .patch(state.ui.theme.style(Role::Dialog)),
        )),
        rect,
    );
}
