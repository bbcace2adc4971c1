//! The prepared transactions of the Postgres pane's server, over the pane: gid, database,
//! owner and how long ago each was prepared, oldest first, and whether the monitoring role
//! may roll it back.
//!
//! ```text
//! ┌ prepared transactions · 2 · oldest first ────────────────────────────────┐
//! │  AGE      DATABASE      OWNER            GID                              │
//! │▶ 47m00s   logistics     logistics_batch  xa:logistics:batch-2041          │
//! └ x ROLLBACK PREPARED (gid typed, audited) · esc close ────────────────────┘
//! ```

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use crate::app::panes::postgres::PostgresPane;
use crate::app::panes::postgres::actions::short_age;
use crate::model::pg_prepared::rollback_permission;
use crate::model::text::fit;
use crate::theme::{Role, Theme};

pub fn render(frame: &mut Frame<'_>, area: Rect, theme: &Theme, pg: &PostgresPane) {
    let rows = pg.prepared_rows();
    let selected = pg.prepared_view.map_or(0, |v| v.selected);
    let Some(snapshot) = pg.shown.as_ref() else {
        return;
    };
    let now = pg.now.unwrap_or(snapshot.taken_at);
    let width = usize::from(area.width.saturating_sub(2));
    let footer = match rows
        .get(selected)
        .map(|x| rollback_permission(&snapshot.role, x))
    {
        Some(Err(why)) => Span::styled(
            format!(
                " rollback disabled: {} ",
                fit(&why, width.saturating_sub(22))
            ),
            theme.style(Role::Disabled),
        ),
        _ => Span::styled(
            " x ROLLBACK PREPARED (gid typed, audited) · esc close ",
            theme.style(Role::Muted),
        ),
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.style(Role::BorderFocus))
        .title(Span::styled(
            format!(" prepared transactions · {} · oldest first ", rows.len()),
            theme.style(Role::Title),
        ))
        .title_bottom(footer);
    let mut lines = vec![Line::from(Span::styled(
        "  AGE      DATABASE      OWNER            GID",
        theme.style(Role::TableHeader),
    ))];
    if rows.is_empty() {
        lines.push(Line::from(Span::styled(
            "  ✓ no prepared transaction",
            theme.style(Role::Ok),
        )));
    }
    let page = usize::from(area.height.saturating_sub(3)).max(1);
    let offset = selected.saturating_sub(page - 1);
    for (i, x) in rows.iter().enumerate().skip(offset).take(page) {
        let mine = i == selected;
        lines.push(Line::from(vec![
            Span::styled(
                if mine { "▶ " } else { "  " }.to_owned(),
                theme.style(Role::Accent),
            ),
            Span::styled(
                format!(
                    "{:<8} {:<13} {:<16} ",
                    short_age(x.age(now)),
                    fit(&x.database, 13),
                    fit(&x.owner, 16)
                ),
                theme.style(Role::Text),
            ),
            Span::styled(
                fit(&x.gid, width.saturating_sub(42)),
                theme.style(if mine { Role::Selection } else { Role::Title }),
            ),
        ]));
    }
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
