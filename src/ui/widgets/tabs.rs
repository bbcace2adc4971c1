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
        PaneId::Alerts => "alrt",
        PaneId::Silences => "sil",
        PaneId::Oncall => "onc",
        other => other.command(),
    }
}

pub fn render(frame: &mut Frame<'_>, area: Rect, state: &State) {
    let theme = &state.ui.theme;
    let compact = area.width < 110;
    let current = state.view().pane();
    // Each tab shows its pane's key (1..0, `!` for alerts, `O` for on-call). On a narrow
    // screen the tabs after the tenth give way when they do not all fit (their panes stay
    // one key or `:` command away), except the one showing.
    let tabs: Vec<(String, &str, PaneId)> = PaneId::ALL
        .iter()
        .copied()
        .enumerate()
        .map(|(i, pane)| {
            // The pane's goto key in the keymap (1..0 by default), so a tab never shows a
            // key that goes elsewhere.
            let key = state
                .ui
                .keymap
                .key_for(&[crate::keymap::KeyContext::Global], pane.info().goto)
                .map_or_else(|| "·".to_owned(), |k| k.to_string());
            (i, key, pane)
        })
        .map(|(_, key, pane)| {
            let label = match pane {
                // Pane 0 without a service is what is on fire everywhere.
                PaneId::Incident if state.scope.is_none() => "fire",
                _ if compact => short(pane),
                _ => pane.command(),
            };
            (key, label, pane)
        })
        // The attention view is tab 0's (above); it has no tab of its own.
        .filter(|(_, _, pane)| *pane != PaneId::Attention)
        .collect();
    let current = if current == PaneId::Attention {
        PaneId::Incident
    } else {
        current
    };
    let width =
        |(key, label, _): &(String, &str, PaneId)| key.chars().count() + label.chars().count() + 3;
    let all: usize = tabs.iter().map(width).sum();
    let fits_all = all <= usize::from(area.width);
    let mut spans = Vec::new();
    for (i, tab) in tabs.iter().enumerate() {
        let (key, label, pane) = tab;
        if i >= 10 && !fits_all && *pane != current {
            continue;
        }
        if *pane == current {
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
