//! The `d` list of the Postgres pane: the context's databases with their sessions, waiters
//! and oldest transaction; enter shows the one under the cursor.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::app::panes::postgres::PostgresPane;
use crate::app::panes::postgres::actions::short_age;
use crate::theme::{Role, Theme};
use crate::ui::text::fit;
use crate::ui::widgets::popup;

/// Draws the list over `area` when it is open.
pub fn render(frame: &mut Frame<'_>, area: Rect, pg: &PostgresPane, theme: &Theme) {
    let Some(cursor) = pg.database_list else {
        return;
    };
    let rows = pg.database_rows();
    let height = u16::try_from(rows.len() + 4).unwrap_or(u16::MAX);
    let rect = popup::centered(area, 64, height, 2);
    let inner = popup::frame(frame, rect, "databases · enter shows · esc closes", theme);
    let mut lines = vec![Line::from(Span::styled(
        format!(
            "  {:<24} {:>8} {:>8} {:>11}",
            "DATABASE", "SESSIONS", "WAITING", "OLDEST TX"
        ),
        theme.style(Role::TableHeader),
    ))];
    for (i, row) in rows.iter().enumerate() {
        let selected = i == cursor;
        let n = |v: Option<usize>| v.map_or_else(|| "-".to_owned(), |v| v.to_string());
        let oldest = match (row.oldest_xact, row.taken_at) {
            (Some(t), Some(now)) => {
                short_age(std::time::Duration::try_from(now.duration_since(t)).unwrap_or_default())
            }
            (None, Some(_)) => "none".to_owned(),
            _ => "no data".to_owned(),
        };
        let current = if i == pg.current { "*" } else { " " };
        let text = format!(
            "{}{current}{:<24} {:>8} {:>8} {:>11}",
            if selected { "▶" } else { " " },
            fit(&row.name, 24),
            n(row.sessions),
            n(row.waiting),
            oldest
        );
        let role = if selected {
            Role::Selection
        } else if row.waiting.is_some_and(|w| w > 0) {
            Role::Warn
        } else {
            Role::Text
        };
        lines.push(Line::from(Span::styled(text, theme.style(role))));
    }
    lines.push(Line::from(Span::styled(
        "* shown now",
        theme.style(Role::Muted),
    )));
    frame.render_widget(Paragraph::new(lines), inner);
}
