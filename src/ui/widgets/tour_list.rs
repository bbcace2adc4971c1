//! The `:tour` list: every tour with its progress and summary, and the tour files that did
//! not load, each with its error.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::popup;
use crate::app::State;
use crate::theme::Role;
use crate::tour::progress::Standing;

/// `✓ done`, `▶ running`, `2/4 chapters` or `new`.
fn progress_label(state: &State, name: &str, chapters: usize) -> (String, Role) {
    if state.tour.as_ref().is_some_and(|t| t.spec.name() == name) {
        return ("▶ running".into(), Role::Accent);
    }
    let standing = Standing::of(state.tour_progress.get(name), chapters);
    match standing {
        Standing::Done => (format!("✓ {}", standing.word()), Role::Ok),
        Standing::Partly(..) => (standing.word(), Role::Warn),
        Standing::New => (standing.word(), Role::Muted),
    }
}

pub fn render(frame: &mut Frame<'_>, area: Rect, state: &State, selected: usize) {
    let theme = &state.ui.theme;
    let library = &state.tours;
    let height = u16::try_from(library.tours.len() + library.broken.len() * 2 + 8).unwrap_or(40);
    let rect = popup::centered(area, 86, height, 2);
    let inner = popup::frame(
        frame,
        rect,
        "Tours · enter starts or resumes · esc closes",
        theme,
    );
    let width = usize::from(inner.width);
    let mut lines = Vec::new();
    let title_width = width.saturating_sub(2 + 22 + 1 + 14);
    for (i, tour) in library.tours.iter().enumerate() {
        let (label, role) = progress_label(state, tour.name(), tour.chapters().len());
        let marker = if i == selected { "▶ " } else { "  " };
        let title = crate::ui::text::fit(&tour.title, title_width);
        let text = format!("{marker}{:<22} {title:<title_width$}", tour.name());
        let style = if i == selected {
            theme.style(Role::Selection).add_modifier(Modifier::BOLD)
        } else {
            theme.style(Role::Text)
        };
        lines.push(Line::from(vec![
            Span::styled(text, style),
            Span::styled(format!(" {label:>13}"), theme.style(role)),
        ]));
    }
    if let Some(tour) = library.tours.get(selected) {
        lines.push(Line::raw(""));
        let minutes = tour
            .minutes
            .map(|m| format!(" (about {m} minutes)"))
            .unwrap_or_default();
        lines.push(Line::from(Span::styled(
            format!("{}{minutes}", tour.summary),
            theme.style(Role::Muted),
        )));
        let chapters: Vec<&str> = tour.chapters().iter().map(|c| c.title.as_str()).collect();
        lines.push(Line::from(Span::styled(
            format!("Chapters: {}", chapters.join(" · ")),
            theme.style(Role::Muted),
        )));
    }
    if !state.context.sandbox && !state.tour_allow_writes {
        lines.push(Line::from(Span::styled(
            "Not a sandbox context: tours here are read-only (`opsdeck tour NAME` uses the sandbox).",
            theme.style(Role::Warn),
        )));
    }
    for broken in &library.broken {
        lines.push(Line::from(Span::styled(
            format!("✗ {broken}"),
            theme.style(Role::Error),
        )));
    }
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .style(theme.style(Role::Dialog)),
        inner,
    );
}
