//! The server-wide read of one refresh: client backends by state (every one, idle ones
//! included, not only those the sessions list shows), `max_connections` and the reserved
//! slots, the `pg_stat_database` counters behind the rates, and per database the oldest
//! transaction, `age(datfrozenxid)` and the oldest session xmin, plus the xmin horizons held
//! by replication slots and prepared transactions (first-aid reference §5.4, §5.5).
//!
//! One autocommit statement, catalog-light: `pg_stat_activity` is read once (the
//! `MATERIALIZED` CTE), `pg_database` is a small shared catalog, and nothing is sized.

use std::time::SystemTime;

use jiff::Timestamp;
use tokio_postgres::Row;

use crate::model::clean;
use crate::model::pg_server::{Connections, DatabaseFacts, ServerStats};

/// One row per database; the server-wide columns repeat on each. `reserved_connections`
/// exists from PG16 on: `current_setting(.., true)` gives NULL before.
pub const SERVER_SQL: &str = "WITH a AS MATERIALIZED (
  SELECT datname, state, wait_event_type, xact_start, age(backend_xmin)::int8 AS xmin_age
    FROM pg_stat_activity WHERE backend_type = 'client backend'),
c AS (
  SELECT count(*) FILTER (WHERE state = 'active')::int8 AS active,
         count(*) FILTER (WHERE state = 'idle')::int8 AS idle,
         count(*) FILTER (WHERE state LIKE 'idle in transaction%')::int8 AS idle_in_xact,
         count(*) FILTER (WHERE wait_event_type = 'Lock')::int8 AS waiting,
         count(*)::int8 AS total
    FROM a),
s AS (
  SELECT COALESCE(sum(xact_commit), 0)::int8 AS xact_commit,
         COALESCE(sum(xact_rollback), 0)::int8 AS xact_rollback,
         COALESCE(sum(blks_hit), 0)::int8 AS blks_hit,
         COALESCE(sum(blks_read), 0)::int8 AS blks_read
    FROM pg_stat_database),
per AS (
  SELECT datname, count(*)::int8 AS backends,
         count(*) FILTER (WHERE wait_event_type = 'Lock')::int8 AS waiting,
         min(xact_start) AS oldest_xact, max(xmin_age) AS xmin_age
    FROM a GROUP BY datname)
SELECT clock_timestamp() AS at, c.*, s.*,
       current_setting('max_connections')::int8 AS max_connections,
       current_setting('superuser_reserved_connections')::int8
         + COALESCE(current_setting('reserved_connections', true)::int8, 0) AS reserved,
       (SELECT max(greatest(age(xmin), age(catalog_xmin)))::int8 FROM pg_replication_slots)
         AS slot_xmin_age,
       (SELECT max(age(transaction))::int8 FROM pg_prepared_xacts) AS prepared_xid_age,
       d.datname::text AS datname, age(d.datfrozenxid)::int8 AS frozen_age,
       COALESCE(per.backends, 0) AS db_backends, COALESCE(per.waiting, 0) AS db_waiting,
       per.oldest_xact, per.xmin_age AS db_xmin_age
  FROM c, s, pg_database d LEFT JOIN per ON per.datname = d.datname
 ORDER BY d.datname";

fn get<'a, T: tokio_postgres::types::FromSql<'a>>(row: &'a Row, name: &str) -> Result<T, String> {
    row.try_get(name)
        .map_err(|e| format!("server figures, column {name}: {e}"))
}

fn count(row: &Row, name: &str) -> Result<u32, String> {
    let n: Option<i64> = get(row, name)?;
    Ok(u32::try_from(n.unwrap_or(0).max(0)).unwrap_or(u32::MAX))
}

fn ts(t: Option<SystemTime>) -> Option<Timestamp> {
    t.and_then(|t| Timestamp::try_from(t).ok())
}

/// Reads [`SERVER_SQL`]'s rows.
pub fn server_from_rows(rows: &[Row]) -> Result<ServerStats, String> {
    let first = rows.first().ok_or("server figures: no row")?;
    let connections = Connections {
        active: count(first, "active")?,
        idle: count(first, "idle")?,
        idle_in_transaction: count(first, "idle_in_xact")?,
        waiting: count(first, "waiting")?,
        total: count(first, "total")?,
        other: 0,
    };
    let connections = Connections {
        other: connections.total.saturating_sub(
            connections.active + connections.idle + connections.idle_in_transaction,
        ),
        ..connections
    };
    let mut databases = Vec::with_capacity(rows.len());
    for row in rows {
        databases.push(DatabaseFacts {
            name: clean(&get::<Option<String>>(row, "datname")?.unwrap_or_default()),
            backends: count(row, "db_backends")?,
            waiting: count(row, "db_waiting")?,
            oldest_xact: ts(get(row, "oldest_xact")?),
            frozen_xid_age: get::<Option<i64>>(row, "frozen_age")?.unwrap_or(0),
            oldest_xmin_age: get(row, "db_xmin_age")?,
        });
    }
    Ok(ServerStats {
        at: ts(get(first, "at")?),
        connections,
        max_connections: count(first, "max_connections")?,
        reserved_connections: count(first, "reserved")?,
        xact_commit: get(first, "xact_commit")?,
        xact_rollback: get(first, "xact_rollback")?,
        blks_hit: get(first, "blks_hit")?,
        blks_read: get(first, "blks_read")?,
        databases,
        slot_xmin_age: get(first, "slot_xmin_age")?,
        prepared_xid_age: get(first, "prepared_xid_age")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_activity_scan_and_no_sizing() {
        assert_eq!(SERVER_SQL.matches("pg_stat_activity").count(), 1);
        assert!(!SERVER_SQL.contains("regclass") && !SERVER_SQL.contains("_size("));
    }
}
