//! Top statements from `pg_stat_statements` (total and mean time, calls, rows), linked to
//! the running sessions with the same query id (`pg_stat_activity.query_id`, PG14+ with
//! `compute_query_id`), and progress of long maintenance commands
//! (`pg_stat_progress_*`). First-aid reference §5.2 and §5.3.

use crate::model::pg::PgSession;

/// Why there are no statement figures, said plainly in the view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatementsMissing {
    /// `CREATE EXTENSION pg_stat_statements` was not run in this database.
    NotInstalled,
    /// The library is not in `shared_preload_libraries`: the view cannot be read.
    NotPreloaded,
    /// Reading it failed (privileges, a timeout), with the server's words.
    Unreadable(String),
}

impl StatementsMissing {
    /// A sentence for the view.
    #[must_use]
    pub fn sentence(&self) -> String {
        match self {
            Self::NotInstalled => "pg_stat_statements is not installed in this database \
                                   (CREATE EXTENSION pg_stat_statements)"
                .to_owned(),
            Self::NotPreloaded => "pg_stat_statements is installed but not loaded: add it to \
                                   shared_preload_libraries and restart the server"
                .to_owned(),
            Self::Unreadable(why) => format!("pg_stat_statements could not be read: {why}"),
        }
    }
}

/// One statement of the top list. Times are in microseconds so the snapshot stays `Eq`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopStatement {
    pub query_id: i64,
    /// Normalized text (`$1` for constants), sanitized, one line.
    pub query: String,
    pub calls: i64,
    pub total_us: i64,
    pub mean_us: i64,
    pub rows: i64,
}

/// The top statements, or why there are none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Statements {
    Top {
        list: Vec<TopStatement>,
        /// `compute_query_id` is off (or auto without the module loaded): sessions carry no
        /// query id, so no statement can be linked to them.
        unlinked: bool,
    },
    Missing(StatementsMissing),
}

impl TopStatement {
    /// Sessions running this statement now.
    #[must_use]
    pub fn running<'a>(&self, sessions: &'a [PgSession]) -> Vec<&'a PgSession> {
        sessions
            .iter()
            .filter(|s| s.query_id == Some(self.query_id))
            .collect()
    }
}

/// A duration in microseconds as `812µs`, `12.3ms`, `4.2s` or `3m05s`.
#[must_use]
#[expect(clippy::cast_precision_loss, reason = "a rounded figure for display")]
pub fn micros(us: i64) -> String {
    match us {
        ..1_000 => format!("{us}µs"),
        1_000..1_000_000 => format!("{:.1}ms", us as f64 / 1e3),
        1_000_000..60_000_000 => format!("{:.1}s", us as f64 / 1e6),
        60_000_000..3_600_000_000 => {
            let s = us / 1_000_000;
            format!("{}m{:02}s", s / 60, s % 60)
        }
        _ => {
            let m = us / 60_000_000;
            format!("{}h{:02}m", m / 60, m % 60)
        }
    }
}

/// One command in progress (a `pg_stat_progress_*` row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    pub pid: i32,
    /// `vacuum`, `analyze`, `create index`, `base backup`, `cluster`.
    pub command: String,
    pub phase: String,
    /// Work done and total in the view's unit (blocks, or bytes for a base backup).
    pub done: Option<i64>,
    pub total: Option<i64>,
}

impl Progress {
    /// `vacuum scanning heap 45%`, or without a percentage when the total is unknown.
    #[must_use]
    pub fn label(&self) -> String {
        match (self.done, self.total) {
            (Some(d), Some(t)) if t > 0 => {
                format!(
                    "{} {} {}%",
                    self.command,
                    self.phase,
                    (d.clamp(0, t) * 100) / t
                )
            }
            _ => format!("{} {}", self.command, self.phase),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_durations() {
        let p = Progress {
            pid: 1,
            command: "vacuum".into(),
            phase: "scanning heap".into(),
            done: Some(45),
            total: Some(100),
        };
        assert_eq!(p.label(), "vacuum scanning heap 45%");
        let q = Progress {
            total: Some(0),
            ..p.clone()
        };
        assert_eq!(q.label(), "vacuum scanning heap");
        assert_eq!(micros(812), "812µs");
        assert_eq!(micros(12_345), "12.3ms");
        assert_eq!(micros(4_200_000), "4.2s");
        assert_eq!(micros(185_000_000), "3m05s");
        assert_eq!(micros(320_419_000_000), "89h00m");
        assert!(
            StatementsMissing::NotPreloaded
                .sentence()
                .contains("shared_preload_libraries")
        );
    }
}
