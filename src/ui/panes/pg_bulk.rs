//! The plan of a bulk cancel or terminate over the Postgres pane, then its outcome: one
//! entry per marked session, two rows each (the session; then its guard, why it is left
//! out, or what happened to it), with glyphs and words so it reads without colour.
//!
//! ```text
//! ┌ terminate 3 marked backends of orders-db · plan ─────────────────────────┐
//! │▶ 21101  checkout_api  idle in transaction  3m05s   send                  │
//! │     guard backend_start 2026-12-07T01:02:03.123456Z                       │
//! │  21102  postgres      active               12s     ✗ left out            │
//! │     postgres is a superuser; only a superuser may signal its sessions     │
//! └ enter confirm · esc close ───────────────────────────────────────────────┘
//! ```

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use crate::app::panes::postgres::actions::short_age;
use crate::app::panes::postgres::bulk::BulkView;
use crate::model::action::KillMode;
use crate::model::pg_bulk::{PlanRow, TargetStatus, Verdict};
use crate::model::text::{fit, wrap_all};
use crate::theme::{Role, Theme};

fn status_role(status: TargetStatus) -> Role {
    match status {
        TargetStatus::Succeeded => Role::Ok,
        TargetStatus::Refused => Role::Warn,
        TargetStatus::Failed => Role::Error,
    }
}

/// The rows of one target: the session, then its guard, why it is left out, or its
/// outcome, wrapped whole (a reason is never cut).
fn entry(
    view: &BulkView,
    row: &PlanRow,
    selected: bool,
    width: usize,
    theme: &Theme,
) -> Vec<Line<'static>> {
    let (word, role, second) = match (view.outcome(row.pid), &row.verdict) {
        (Some(o), _) => (
            format!("{} {}", o.status.glyph(), o.status.word()),
            status_role(o.status),
            o.message.clone(),
        ),
        (None, Verdict::Skip(why)) => ("✗ left out".to_owned(), Role::Muted, why.clone()),
        (None, Verdict::Send) if view.outcomes.is_some() => (
            "? no outcome".to_owned(),
            Role::Warn,
            "the outcome names no result for this target".to_owned(),
        ),
        (None, Verdict::Send) => (
            "→ send".to_owned(),
            Role::Text,
            format!("guard {}", row.guard()),
        ),
    };
    let age = row.age.map_or_else(|| "-".to_owned(), short_age);
    let mut lines = vec![Line::from(vec![
        Span::styled(
            if selected { "▶ " } else { "  " }.to_owned(),
            theme.style(Role::Accent),
        ),
        Span::styled(
            format!("{:<7} ", row.pid),
            theme.style(if selected {
                Role::Selection
            } else {
                Role::Title
            }),
        ),
        Span::styled(
            format!(
                "{:<14} {:<20} {:>7}  ",
                fit(&row.user, 14),
                fit(&row.state, 20),
                age
            ),
            theme.style(Role::Text),
        ),
        Span::styled(word, theme.style(role)),
    ])];
    for text in wrap_all(&second, width.saturating_sub(5).max(10)) {
        lines.push(Line::from(Span::styled(
            format!("     {text}"),
            theme.style(Role::Muted),
        )));
    }
    lines
}

/// The first entry to draw so the selected one is whole on screen: as many entries before
/// it as fit in `rows`.
fn first_shown(heights: &[usize], selected: usize, rows: usize) -> usize {
    let mut start = selected.min(heights.len().saturating_sub(1));
    let mut used = heights.get(start).copied().unwrap_or(0);
    while start > 0 && used + heights[start - 1] <= rows {
        start -= 1;
        used += heights[start];
    }
    start
}

pub fn render(frame: &mut Frame<'_>, area: Rect, theme: &Theme, view: &BulkView) {
    let verb = match view.mode {
        KillMode::Cancel => "cancel",
        KillMode::Terminate => "terminate",
    };
    let stage = if view.outcomes.is_some() {
        "outcome"
    } else {
        "plan"
    };
    let title = format!(
        " {verb} {} marked backends of {} · {stage} ",
        view.rows.len(),
        view.database
    );
    let footer = if view.outcomes.is_some() {
        " ↑↓ move · esc close (each row: its own outcome) "
    } else {
        " enter confirm (one audited action) · ↑↓ move · esc close "
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.style(Role::BorderFocus))
        .title(Span::styled(title, theme.style(Role::Title)))
        .title_bottom(Span::styled(footer, theme.style(Role::Muted)));
    let inner_width = usize::from(area.width.saturating_sub(2));
    let mut lines: Vec<Line<'static>> = Vec::new();
    if let Some(summary) = &view.summary {
        lines.push(Line::from(Span::styled(
            fit(summary, inner_width),
            theme.style(Role::Info),
        )));
    } else {
        let sent = view
            .rows
            .iter()
            .filter(|r| r.verdict == Verdict::Send)
            .count();
        lines.push(Line::from(Span::styled(
            fit(
                &format!(
                    "{sent} to {verb}, {} left out; each only if its guard still matches",
                    view.rows.len() - sent
                ),
                inner_width,
            ),
            theme.style(Role::Info),
        )));
    }
    // Under the summary line: the entries from the first that keeps the selected one whole.
    let rows = usize::from(area.height.saturating_sub(3)).max(1);
    let entries: Vec<Vec<Line<'static>>> = view
        .rows
        .iter()
        .enumerate()
        .map(|(i, row)| entry(view, row, i == view.selected, inner_width, theme))
        .collect();
    let heights: Vec<usize> = entries.iter().map(Vec::len).collect();
    let start = first_shown(&heights, view.selected, rows);
    lines.extend(entries.into_iter().skip(start).flatten().take(rows));
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

#[cfg(test)]
mod tests {
    use super::first_shown;

    #[test]
    fn the_selected_entry_stays_whole() {
        assert_eq!(first_shown(&[2, 2, 2, 2], 0, 5), 0);
        assert_eq!(first_shown(&[2, 2, 2, 2], 3, 5), 2);
        assert_eq!(first_shown(&[2, 4, 2, 2], 2, 6), 1);
        assert_eq!(first_shown(&[2, 4, 2, 2], 2, 5), 2);
        assert_eq!(first_shown(&[], 0, 5), 0);
    }
}
