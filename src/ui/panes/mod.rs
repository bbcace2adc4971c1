//! One file per pane.

pub mod alerts;
pub mod app_detail;
pub mod app_diff;
pub mod apps;
pub mod attention;
pub mod audit;
pub mod card;
pub mod catalog;
pub mod describe;
pub mod events;
pub mod forwards;
pub mod incident;
pub mod incident_changes;
pub mod incident_metrics;
pub mod kafka;
pub mod kafka_peek;
pub mod logs;
pub mod logs_detail;
pub mod logs_fields;
pub mod logs_histogram;
pub mod oncall;
pub mod pg_bulk;
pub mod pg_prepared;
pub mod pods;
pub mod postgres;
pub mod postgres_databases;
pub mod postgres_header;
pub mod postgres_replication;
pub mod postgres_statements;
pub mod requests;
pub mod rollout_detail;
pub mod rollouts;
pub mod setup;
pub mod silences;
pub mod trace_map;
pub mod traces;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use crate::theme::{Role, Theme};

/// The list above and, below it, the open item's detail (taking `detail_percent` of the
/// height) or a few lines about the selected row; the list alone on very short terminals.
#[must_use]
pub fn list_and_detail(area: Rect, open: bool, detail_percent: u16) -> [Rect; 2] {
    use ratatui::layout::{Constraint, Layout};
    if open && area.height >= 14 {
        Layout::vertical([
            Constraint::Percentage(100 - detail_percent),
            Constraint::Percentage(detail_percent),
        ])
        .areas(area)
    } else if area.height >= 12 {
        Layout::vertical([Constraint::Fill(1), Constraint::Length(4)]).areas(area)
    } else {
        [area, Rect::default()]
    }
}

/// The few wrapped lines about the selected row under a list, titled with how to open it.
pub fn selected_summary(
    frame: &mut Frame<'_>,
    area: Rect,
    theme: &Theme,
    title: String,
    text: String,
) {
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.style(Role::Border))
        .title(Span::styled(title, theme.style(Role::Title)));
    frame.render_widget(
        Paragraph::new(Span::styled(text, theme.style(Role::Text)))
            .wrap(Wrap { trim: true })
            .block(block),
        area,
    );
}

/// A watched kind's error, for a table's title line (`None` when it is fine).
#[must_use]
pub fn kind_error_note(
    health: Option<&crate::model::k8s::snapshot::KindHealth>,
    theme: &Theme,
) -> Option<ratatui::text::Line<'static>> {
    match health {
        Some(crate::model::k8s::snapshot::KindHealth::Error(e)) => Some(ratatui::text::Line::from(
            Span::styled(format!(" ✗ {e} "), theme.style(Role::Error)),
        )),
        _ => None,
    }
}

/// What an empty table of a watched kind says: its error in full when the watch failed
/// (it is why there are no rows), otherwise `empty`.
#[must_use]
pub fn empty_or_error<'a>(
    health: Option<&crate::model::k8s::snapshot::KindHealth>,
    empty: &'a str,
) -> std::borrow::Cow<'a, str> {
    match health {
        Some(crate::model::k8s::snapshot::KindHealth::Error(e)) => format!("✗ {e}").into(),
        _ => empty.into(),
    }
}

/// A pane whose source has sent nothing yet says why: the source's error, that it is not
/// configured (`off`, with what to configure), or that it is still connecting (`waiting`).
pub fn unavailable(
    frame: &mut Frame<'_>,
    area: Rect,
    state: &crate::app::State,
    source: crate::model::source::SourceId,
    title: &str,
    off: setup::Needs,
    waiting: &str,
) {
    let why = why_unavailable(state, source, off, waiting);
    notice(frame, area, &state.ui.theme, title, &why);
}

/// Why `source` has sent nothing yet, in words: its error, what to configure when it is off,
/// or `waiting` while it has not reported at all (at start-up, before the context is ready).
#[must_use]
pub fn why_unavailable(
    state: &crate::app::State,
    source: crate::model::source::SourceId,
    off: setup::Needs,
    waiting: &str,
) -> String {
    match state.health.get(&source) {
        Some(crate::model::SourceHealth::Error { message, .. }) => format!("✗ {message}"),
        Some(crate::model::SourceHealth::Off) => setup::what_to_add(off, &state.context.name),
        _ => waiting.to_owned(),
    }
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
