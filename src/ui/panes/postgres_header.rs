//! The Postgres pane's server header (two lines above the sessions or the tree): every
//! client backend by state against the usable connections, transactions per second and
//! cache hit ratio, the oldest transaction, and the wraparound horizon; plus the stale note
//! when the last poll failed. Words and `+`/`-`-free figures only, so `NO_COLOR` reads.

use jiff::Timestamp;
use ratatui::text::{Line, Span};

use crate::app::panes::postgres::PostgresPane;
use crate::app::panes::postgres::actions::short_age;
use crate::model::SourceHealth;
use crate::model::pg::PgSnapshot;
use crate::model::pg_server::{FREEZE_MAX_AGE, xid_age};
use crate::theme::{Role, Theme};

/// Rows the header takes in an area `height` rows tall (none on a tiny screen).
#[must_use]
pub fn height(area_height: u16) -> u16 {
    if area_height >= 12 { 2 } else { 0 }
}

/// The header's two lines.
#[must_use]
pub fn lines(
    pg: &PostgresPane,
    snapshot: &PgSnapshot,
    now: Timestamp,
    theme: &Theme,
) -> Vec<Line<'static>> {
    let Some(server) = snapshot.facts.server.as_ref() else {
        return vec![
            Line::from(Span::styled(
                "server figures unavailable (see the log)",
                theme.style(Role::Muted),
            )),
            Line::default(),
        ];
    };
    let c = &server.connections;
    let usable = server.usable_connections();
    let used = if usable == 0 {
        0
    } else {
        u64::from(c.total) * 100 / u64::from(usable)
    };
    let conn_role = match used {
        90.. => Role::Error,
        75..90 => Role::Warn,
        _ => Role::Text,
    };
    let mut first = vec![Span::styled(
        format!("conn {}/{usable}", c.total),
        theme.style(conn_role),
    )];
    first.push(Span::styled(
        format!(
            ": {} active ({} waiting) {} idle {} idle-tx",
            c.active, c.waiting, c.idle, c.idle_in_transaction
        ),
        theme.style(Role::Text),
    ));
    match pg.rates.get(&snapshot.database) {
        Some(r) => {
            first.push(Span::styled(
                format!(" · {:.0} tps", r.tps),
                theme.style(Role::Text),
            ));
            first.push(Span::styled(
                r.hit_ratio
                    .map_or_else(|| " · hit n/a".to_owned(), |h| format!(" · hit {h:.1}%")),
                theme.style(if r.hit_ratio.is_some_and(|h| h < 90.0) {
                    Role::Warn
                } else {
                    Role::Text
                }),
            ));
        }
        None => first.push(Span::styled(
            " · tps after 2 samples",
            theme.style(Role::Muted),
        )),
    }
    let mut second = Vec::new();
    match server.oldest_xact() {
        Some((db, t)) => second.push(Span::styled(
            format!(
                "oldest tx {} ({})",
                short_age(std::time::Duration::try_from(now.duration_since(t)).unwrap_or_default()),
                db.name
            ),
            theme.style(Role::Text),
        )),
        None => second.push(Span::styled("no open tx", theme.style(Role::Muted))),
    }
    if let Some((age, who)) = server.horizon() {
        second.push(Span::styled(
            format!(" · xmin age {} held by {who}", xid_age(age)),
            theme.style(Role::Text),
        ));
    }
    if let Some(db) = server.oldest_frozen() {
        let role = if db.frozen_xid_age >= FREEZE_MAX_AGE {
            Role::Error
        } else if db.frozen_xid_age >= FREEZE_MAX_AGE * 3 / 4 {
            Role::Warn
        } else {
            Role::Text
        };
        let mark = if db.frozen_xid_age >= FREEZE_MAX_AGE {
            "▲ "
        } else {
            ""
        };
        second.push(Span::styled(
            format!(
                " · {mark}frozen age {} of {} ({})",
                xid_age(db.frozen_xid_age),
                xid_age(FREEZE_MAX_AGE),
                db.name
            ),
            theme.style(role),
        ));
    }
    vec![Line::from(first), Line::from(second)]
}

/// When the last poll failed: what failed, and how old the data on screen is (measured
/// against the wall clock, so it keeps growing while nothing arrives).
#[must_use]
pub fn stale_note(
    health: Option<&SourceHealth>,
    snapshot: &PgSnapshot,
    wall_now: Timestamp,
    theme: &Theme,
) -> Option<Line<'static>> {
    let (text, role) = match health? {
        SourceHealth::Error {
            message, last_good, ..
        } => {
            let from = last_good.unwrap_or(snapshot.taken_at);
            (
                format!(
                    " ✗ stale: {message} · data from {} ago ",
                    short_age(
                        std::time::Duration::try_from(wall_now.duration_since(from))
                            .unwrap_or_default()
                    )
                ),
                Role::Error,
            )
        }
        SourceHealth::Stale { reason, since } => (
            format!(
                " ◐ stale: {reason} · for {} ",
                short_age(
                    std::time::Duration::try_from(wall_now.duration_since(*since))
                        .unwrap_or_default()
                )
            ),
            Role::Warn,
        ),
        _ => return None,
    };
    Some(Line::from(Span::styled(text, theme.style(role))))
}

/// The clock the sessions' ages are measured against: the snapshot's own, moved on by
/// the wall-clock time since it arrived when polls are failing, so ages stay true while
/// the data is stale.
#[must_use]
pub fn ages_now(
    health: Option<&SourceHealth>,
    snapshot_now: Timestamp,
    wall_now: Timestamp,
) -> Timestamp {
    match health {
        Some(SourceHealth::Error {
            last_good: Some(good),
            ..
        }) => {
            let since = wall_now.duration_since(*good);
            if since.is_negative() {
                snapshot_now
            } else {
                snapshot_now.checked_add(since).unwrap_or(snapshot_now)
            }
        }
        _ => snapshot_now,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_move_on_while_polls_fail() {
        let snap = Timestamp::from_second(1_000).unwrap();
        let good = Timestamp::from_second(5_000).unwrap();
        let wall = Timestamp::from_second(5_030).unwrap();
        let failing = SourceHealth::Error {
            message: "x".into(),
            since: good,
            last_good: Some(good),
        };
        assert_eq!(
            ages_now(Some(&failing), snap, wall),
            Timestamp::from_second(1_030).unwrap()
        );
        assert_eq!(ages_now(None, snap, wall), snap);
    }
}
