//! The pane tabs with their number keys, and the breadcrumbs of the current view. The current
//! tab is bracketed as well as styled.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::app::{PaneId, State};
use crate::theme::Role;

fn short(pane: PaneId) -> &'static str {
    match pane {
        PaneId::Rollouts => "ro",
        PaneId::Traces => "trc",
        PaneId::Requests => "req",
        PaneId::Incident => "inc",
        PaneId::Oncall => "onc",
        other => other.command(),
    }
}

pub fn render(frame: &mut Frame<'_>, area: Rect, state: &State) {
    let theme = &state.ui.theme;
    let compact = area.width < 110;
    let current = state.view().pane();
    let mut spans = Vec::new();
    for pane in PaneId::ALL.iter().copied() {
        // The pane's goto key in the keymap (1..0 by default), so a tab never shows a key
        // that goes elsewhere.
        let key = state
            .ui
            .keymap
            .key_for(&[crate::keymap::KeyContext::Global], pane.info().goto)
            .map_or_else(|| "·".to_owned(), |k| k.to_string());
        let label = if compact { short(pane) } else { pane.command() };
        if pane == current {
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
