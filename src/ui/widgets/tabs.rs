//! The pane tabs with their number keys, and the breadcrumbs of the current view. The current
//! tab is bracketed as well as styled. Which tabs show and where is `app::tab_strip`'s (a
//! mouse click finds its tab there).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::app::State;
use crate::app::tab_strip::Tab;
use crate::theme::Role;

pub fn render(frame: &mut Frame<'_>, area: Rect, state: &State) {
    let theme = &state.ui.theme;
    let mut spans = Vec::new();
    for tab in crate::app::tab_strip::tabs(state, area.width) {
        let Tab {
            key,
            label,
            current,
            ..
        } = tab;
        if current {
            spans.push(Span::styled(
                format!("[{key} {label}]"),
                theme.style(Role::Selection),
            ));
        } else {
            spans.push(Span::styled(
                format!(" {key} "),
                theme.on_text(Role::KeyHint),
            ));
            spans.push(Span::styled(
                format!("{label} "),
                theme.on_text(Role::Muted),
            ));
        }
    }
    let (pos, len) = state.history.position();
    let crumbs = format!("{} ({pos}/{len}) ", state.view().crumbs().join(" › "));
    let used: usize = spans.iter().map(|s| s.content.chars().count()).sum();
    let room = usize::from(area.width).saturating_sub(used);
    if room > crumbs.chars().count() {
        spans.push(Span::raw(" ".repeat(room - crumbs.chars().count())));
        spans.push(Span::styled(crumbs, theme.on_text(Role::Accent)));
    }
    frame.render_widget(
        Paragraph::new(Line::from(spans)).style(theme.style(Role::Text)),
        area,
    );
}
