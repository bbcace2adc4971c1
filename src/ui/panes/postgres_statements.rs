//! The Postgres pane's top statements: `pg_stat_statements` ranked by total time, with
//! calls, mean time and rows, and how many sessions run each one now (linked by query id);
//! or, plainly, why there is no list.

use ratatui::text::{Line, Span};

use crate::model::pg::PgSnapshot;
use crate::model::pg_statements::{Statements, micros};
use crate::theme::{Role, Theme};

/// The view's lines.
#[must_use]
pub fn lines(snapshot: &PgSnapshot, theme: &Theme) -> Vec<Line<'static>> {
    let (list, unlinked) = match snapshot.facts.statements.as_ref() {
        None => {
            return vec![Line::from(Span::styled(
                "statement figures are not read for this database",
                theme.style(Role::Muted),
            ))];
        }
        Some(Statements::Missing(why)) => {
            return vec![Line::from(Span::styled(
                format!("✗ {}", why.sentence()),
                theme.style(Role::Warn),
            ))];
        }
        Some(Statements::Top { list, unlinked }) => (list, *unlinked),
    };
    let mut out = vec![Line::from(Span::styled(
        format!(
            "{:>9} {:>9} {:>8} {:>9} {:>3}  QUERY",
            "TOTAL", "CALLS", "MEAN", "ROWS", "RUN"
        ),
        theme.style(Role::TableHeader),
    ))];
    if list.is_empty() {
        out.push(Line::from(Span::styled(
            "no statements recorded yet",
            theme.style(Role::Muted),
        )));
    }
    for st in list {
        let running = st.running(&snapshot.sessions);
        let run = if unlinked {
            "?".to_owned()
        } else {
            running.len().to_string()
        };
        let mut spans = vec![Span::styled(
            format!(
                "{:>9} {:>9} {:>8} {:>9} {:>3}  ",
                micros(st.total_us),
                st.calls,
                micros(st.mean_us),
                st.rows,
                run
            ),
            theme.style(if running.is_empty() {
                Role::Text
            } else {
                Role::Accent
            }),
        )];
        if !running.is_empty() {
            let pids: Vec<String> = running.iter().take(3).map(|s| s.pid.to_string()).collect();
            spans.push(Span::styled(
                format!("[pid {}] ", pids.join(",")),
                theme.style(Role::Accent),
            ));
        }
        spans.push(Span::styled(st.query.clone(), theme.style(Role::Text)));
        out.push(Line::from(spans));
    }
    if unlinked {
        out.push(Line::from(Span::styled(
            "RUN ?: compute_query_id is off, so sessions carry no query id to link",
            theme.style(Role::Muted),
        )));
    }
    out
}
