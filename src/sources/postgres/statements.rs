//! Top statements from `pg_stat_statements` and progress of maintenance commands.
//!
//! Whether the extension can be read is asked first, each refresh, in one cheap row
//! (pgcenter reads `shared_preload_libraries` the same way,
//! lesovsky/pgcenter@5f6f0a1e `internal/postgres/common.go`): installed in this database
//! (`pg_extension`), and loaded (`shared_preload_libraries`); the view itself fails
//! otherwise. The top list is ranked on `pg_stat_statements(false)` (no query texts: the
//! texts live in a file the server reads whole), and only the top rows' texts are read.
//! Column names changed in PG13 (`total_time` became `total_exec_time`).

use tokio_postgres::{Client, Row};

use crate::model::clean;
use crate::model::pg_statements::{Progress, Statements, StatementsMissing, TopStatement};

/// Statements in the top list.
pub const TOP: i64 = 15;

/// Installed here, preloaded, and `compute_query_id`.
pub const PROBE_SQL: &str = "SELECT
  EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements') AS installed,
  current_setting('shared_preload_libraries') ~ '(^|[ ,])pg_stat_statements($|[ ,])'
    AS preloaded,
  COALESCE(current_setting('compute_query_id', true), 'off') AS compute_query_id";

/// The top statements of this database by total execution time.
#[must_use]
pub fn top_sql(server_version_num: i32) -> String {
    // The mean is recomputed from the sums: one statement can have several rows (top
    // level and nested, PG14+), whose means do not add.
    let total = if server_version_num >= 130_000 {
        "total_exec_time"
    } else {
        "total_time"
    };
    format!(
        "WITH top AS (
  SELECT userid, dbid, queryid, sum(calls)::int8 AS calls, sum({total}) AS total_ms,
         sum({total}) / greatest(sum(calls), 1) AS mean_ms, sum(rows)::int8 AS rows
    FROM pg_stat_statements(false)
   WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
   GROUP BY userid, dbid, queryid
   ORDER BY total_ms DESC LIMIT {TOP})
SELECT top.queryid, top.calls, (top.total_ms * 1000)::int8 AS total_us,
       (top.mean_ms * 1000)::int8 AS mean_us, top.rows,
       (SELECT left(s.query, 512) FROM pg_stat_statements(true) s
         WHERE s.queryid = top.queryid AND s.userid = top.userid AND s.dbid = top.dbid
         LIMIT 1) AS query
  FROM top ORDER BY top.total_ms DESC"
    )
}

/// Progress of vacuum, analyze, index builds, cluster and base backups (the views exist
/// from 9.6, 13, 12, 12 and 13: older servers get the ones they have).
#[must_use]
pub fn progress_sql(server_version_num: i32) -> String {
    let mut parts = vec![
        "SELECT pid, 'vacuum' AS command, phase, heap_blks_scanned::int8 AS done,
                heap_blks_total::int8 AS total FROM pg_stat_progress_vacuum"
            .to_owned(),
    ];
    if server_version_num >= 120_000 {
        parts.push(
            "SELECT pid, lower(command), phase, blocks_done::int8, blocks_total::int8
               FROM pg_stat_progress_create_index"
                .to_owned(),
        );
        parts.push(
            "SELECT pid, lower(command), phase, heap_blks_scanned::int8, heap_blks_total::int8
               FROM pg_stat_progress_cluster"
                .to_owned(),
        );
    }
    if server_version_num >= 130_000 {
        parts.push(
            "SELECT pid, 'analyze', phase, sample_blks_scanned::int8, sample_blks_total::int8
               FROM pg_stat_progress_analyze"
                .to_owned(),
        );
        parts.push(
            "SELECT pid, 'base backup', phase, backup_streamed::int8, backup_total::int8
               FROM pg_stat_progress_basebackup"
                .to_owned(),
        );
    }
    parts.join("\nUNION ALL\n")
}

fn get<'a, T: tokio_postgres::types::FromSql<'a>>(row: &'a Row, name: &str) -> Result<T, String> {
    row.try_get(name)
        .map_err(|e| format!("statements, column {name}: {e}"))
}

/// Reads the top list, or says why there is none.
pub async fn read_statements(client: &Client, server_version_num: i32) -> Statements {
    let probe = match client.query_one(PROBE_SQL, &[]).await {
        Ok(row) => row,
        Err(e) => {
            return Statements::Missing(StatementsMissing::Unreadable(super::error_text(&e)));
        }
    };
    let installed: bool = probe.try_get("installed").unwrap_or(false);
    let preloaded: bool = probe.try_get("preloaded").unwrap_or(false);
    let compute: String = probe.try_get("compute_query_id").unwrap_or_default();
    if !installed {
        return Statements::Missing(StatementsMissing::NotInstalled);
    }
    if !preloaded {
        return Statements::Missing(StatementsMissing::NotPreloaded);
    }
    let rows = match client.query(&top_sql(server_version_num), &[]).await {
        Ok(rows) => rows,
        Err(e) => {
            return Statements::Missing(StatementsMissing::Unreadable(super::error_text(&e)));
        }
    };
    let list: Result<Vec<TopStatement>, String> = rows
        .iter()
        .map(|row| {
            Ok(TopStatement {
                query_id: get::<Option<i64>>(row, "queryid")?.unwrap_or(0),
                query: clean(
                    &get::<Option<String>>(row, "query")?
                        .unwrap_or_default()
                        .split_whitespace()
                        .collect::<Vec<_>>()
                        .join(" "),
                ),
                calls: get::<Option<i64>>(row, "calls")?.unwrap_or(0),
                total_us: get::<Option<i64>>(row, "total_us")?.unwrap_or(0),
                mean_us: get::<Option<i64>>(row, "mean_us")?.unwrap_or(0),
                rows: get::<Option<i64>>(row, "rows")?.unwrap_or(0),
            })
        })
        .collect();
    match list {
        // `auto` computes ids only when a module (pg_stat_statements) asks: it is loaded.
        Ok(list) => Statements::Top {
            list,
            unlinked: server_version_num < 140_000 || compute == "off",
        },
        Err(e) => Statements::Missing(StatementsMissing::Unreadable(e)),
    }
}

/// Reads the progress rows.
pub fn progress_from_rows(rows: &[Row]) -> Result<Vec<Progress>, String> {
    rows.iter()
        .map(|row| {
            Ok(Progress {
                pid: get(row, "pid")?,
                command: clean(&get::<Option<String>>(row, "command")?.unwrap_or_default()),
                phase: clean(&get::<Option<String>>(row, "phase")?.unwrap_or_default()),
                done: get(row, "done")?,
                total: get(row, "total")?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_follow_the_version() {
        assert!(top_sql(150_000).contains("total_exec_time"));
        assert!(top_sql(120_000).contains("total_time"));
        assert_eq!(progress_sql(150_000).matches("UNION ALL").count(), 4);
        assert_eq!(progress_sql(110_000).matches("UNION ALL").count(), 0);
    }
}
