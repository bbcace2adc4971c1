//! The Postgres pane's replication view: each standby's lag per stage in time and bytes,
//! and the replication slots with the WAL they retain and whether anyone reads them (in
//! words: `active` / `INACTIVE`, never colour alone).

use ratatui::text::{Line, Span};

use crate::model::pg::PgSnapshot;
use crate::model::pg_replication::{bytes, secs};
use crate::theme::{Role, Theme};
use crate::ui::text::fit;

/// A lag this long stands out.
const SLOW: std::time::Duration = std::time::Duration::from_secs(10);

/// The view's lines for an area `width` columns wide.
#[must_use]
pub fn lines(snapshot: &PgSnapshot, width: u16, theme: &Theme) -> Vec<Line<'static>> {
    let Some(r) = snapshot.facts.replication.as_ref() else {
        return vec![Line::from(Span::styled(
            "replication figures unavailable (see the log)",
            theme.style(Role::Muted),
        ))];
    };
    let name_w = if width >= 100 { 24 } else { 16 };
    let lag = |d: Option<std::time::Duration>| d.map_or_else(|| "-".to_owned(), secs);
    let b = |n: Option<i64>| n.map_or_else(|| "-".to_owned(), bytes);
    let mut out = vec![Line::from(Span::styled(
        r.summary(),
        theme.style(Role::Text),
    ))];
    if r.in_recovery {
        out.push(Line::from(Span::styled(
            "this server is a standby (in recovery)",
            theme.style(Role::Muted),
        )));
    }
    out.push(Line::default());
    out.push(Line::from(Span::styled(
        format!(
            "{:<name_w$} {:<15} {:>7} {:>7} {:>7} {:>10}",
            "STANDBY", "STATE", "WRITE", "FLUSH", "REPLAY", "BEHIND"
        ),
        theme.style(Role::TableHeader),
    )));
    if r.standbys.is_empty() {
        out.push(Line::from(Span::styled(
            "no standby streams from this server",
            theme.style(Role::Muted),
        )));
    }
    for s in &r.standbys {
        let slow = s.worst_lag().is_some_and(|l| l >= SLOW);
        out.push(Line::from(vec![
            Span::styled(
                format!(
                    "{:<name_w$} {:<15} {:>7} {:>7} {:>7} {:>10}",
                    fit(&s.name, name_w),
                    fit(&format!("{} {}", s.state, s.sync_state), 15),
                    lag(s.write_lag),
                    lag(s.flush_lag),
                    lag(s.replay_lag),
                    b(s.total_bytes),
                ),
                theme.style(if slow { Role::Warn } else { Role::Text }),
            ),
            Span::styled(
                if slow { " ▲ slow" } else { "" }.to_owned(),
                theme.style(Role::Warn),
            ),
        ]));
    }
    out.push(Line::default());
    out.push(Line::from(Span::styled(
        format!(
            "{:<name_w$} {:<9} {:<9} {:>10} {:<10}",
            "SLOT", "TYPE", "READER", "RETAINED", "WAL STATUS"
        ),
        theme.style(Role::TableHeader),
    )));
    if r.slots.is_empty() {
        out.push(Line::from(Span::styled(
            "no replication slots",
            theme.style(Role::Muted),
        )));
    }
    for s in &r.slots {
        let (reader, role) = if s.active {
            ("active", Role::Text)
        } else {
            ("INACTIVE", Role::Warn)
        };
        let status = s.wal_status.clone().unwrap_or_else(|| "-".into());
        let lost = matches!(status.as_str(), "lost" | "unreserved");
        out.push(Line::from(Span::styled(
            format!(
                "{:<name_w$} {:<9} {:<9} {:>10} {:<10}",
                fit(&s.name, name_w),
                fit(&s.kind, 9),
                reader,
                b(s.retained_bytes),
                status
            ),
            theme.style(if lost { Role::Error } else { role }),
        )));
    }
    out
}
