//! Replication figures of one server: its standbys' lag per stage in bytes and time, its
//! replication slots with retained WAL, and on a standby how far replay trails receipt
//! (first-aid reference §5.1; byte lags as pgcenter computes them,
//! lesovsky/pgcenter@5f6f0a1e `internal/query/replication.go`).
//!
//! Two small statements: `pg_stat_replication` has one row per WAL sender and
//! `pg_replication_slots` one per slot. The view joins `pg_stat_get_activity()`, which copies
//! every backend's status (the cost that grows with connections), so it is read only when
//! `pg_stat_get_wal_senders()` (no such copy) says a sender exists: the uncorrelated `EXISTS`
//! becomes a one-time filter and a server without standbys skips the scan. On a standby `pg_current_wal_lsn()` fails ("recovery
//! is in progress"), so the reference position is `pg_last_wal_receive_lsn()` there, as
//! pgcenter does.

use std::time::{Duration, SystemTime};

use jiff::Timestamp;
use tokio_postgres::Row;

use crate::model::clean;
use crate::model::pg_replication::{Replication, Slot, Standby};

/// The reference WAL position: the current one on a primary, the received one on a standby.
const HERE: &str = "CASE WHEN pg_is_in_recovery() THEN pg_last_wal_receive_lsn() \
                    ELSE pg_current_wal_lsn() END";

/// Standbys of this server, and (one row of NULLs when there is none) whether it is itself
/// a standby.
#[must_use]
pub fn standbys_sql() -> String {
    format!(
        "SELECT pg_is_in_recovery() AS in_recovery,
       CASE WHEN pg_is_in_recovery()
            THEN pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn())::int8
       END AS replay_behind,
       CASE WHEN pg_is_in_recovery()
            THEN extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp())::float8
       END AS since_replay,
       r.application_name, host(r.client_addr) AS client, r.state, r.sync_state,
       pg_wal_lsn_diff({HERE}, r.sent_lsn)::int8 AS pending,
       pg_wal_lsn_diff(r.sent_lsn, r.write_lsn)::int8 AS write_bytes,
       pg_wal_lsn_diff(r.write_lsn, r.flush_lsn)::int8 AS flush_bytes,
       pg_wal_lsn_diff(r.flush_lsn, r.replay_lsn)::int8 AS replay_bytes,
       pg_wal_lsn_diff({HERE}, r.replay_lsn)::int8 AS total_bytes,
       extract(epoch FROM r.write_lag)::float8 AS write_lag,
       extract(epoch FROM r.flush_lag)::float8 AS flush_lag,
       extract(epoch FROM r.replay_lag)::float8 AS replay_lag,
       r.reply_time
  FROM (SELECT 1) AS one
  LEFT JOIN (SELECT * FROM pg_stat_replication
              WHERE EXISTS (SELECT 1 FROM pg_stat_get_wal_senders())) AS r ON true
 ORDER BY r.application_name"
    )
}

/// Replication slots with the WAL they retain. `wal_status` and `safe_wal_size` are PG13+.
#[must_use]
pub fn slots_sql(server_version_num: i32) -> String {
    let (status, safe) = if server_version_num >= 130_000 {
        ("wal_status", "safe_wal_size")
    } else {
        ("NULL::text", "NULL::int8")
    };
    format!(
        "SELECT slot_name::text AS slot_name, slot_type, database::text AS database, active,
       pg_wal_lsn_diff({HERE}, restart_lsn)::int8 AS retained,
       {status} AS wal_status, {safe} AS safe_wal_size
  FROM pg_replication_slots ORDER BY slot_name"
    )
}

fn get<'a, T: tokio_postgres::types::FromSql<'a>>(row: &'a Row, name: &str) -> Result<T, String> {
    row.try_get(name)
        .map_err(|e| format!("replication, column {name}: {e}"))
}

fn text(row: &Row, name: &str) -> Result<Option<String>, String> {
    Ok(get::<Option<String>>(row, name)?.map(|s| clean(&s)))
}

fn secs(row: &Row, name: &str) -> Result<Option<Duration>, String> {
    Ok(get::<Option<f64>>(row, name)?.and_then(|s| Duration::try_from_secs_f64(s.max(0.0)).ok()))
}

/// Reads both statements' rows.
pub fn replication_from_rows(standbys: &[Row], slots: &[Row]) -> Result<Replication, String> {
    let first = standbys.first().ok_or("replication: no row")?;
    let mut out = Replication {
        in_recovery: get(first, "in_recovery")?,
        replay_behind_bytes: get(first, "replay_behind")?,
        since_last_replay: secs(first, "since_replay")?,
        ..Replication::default()
    };
    for row in standbys {
        let Some(state) = text(row, "state")? else {
            continue; // the row of NULLs: no standby
        };
        out.standbys.push(Standby {
            name: text(row, "application_name")?.unwrap_or_default(),
            client: text(row, "client")?.unwrap_or_else(|| "local".into()),
            state,
            sync_state: text(row, "sync_state")?.unwrap_or_default(),
            pending_bytes: get(row, "pending")?,
            write_bytes: get(row, "write_bytes")?,
            flush_bytes: get(row, "flush_bytes")?,
            replay_bytes: get(row, "replay_bytes")?,
            total_bytes: get(row, "total_bytes")?,
            write_lag: secs(row, "write_lag")?,
            flush_lag: secs(row, "flush_lag")?,
            replay_lag: secs(row, "replay_lag")?,
            reply_time: get::<Option<SystemTime>>(row, "reply_time")?
                .and_then(|t| Timestamp::try_from(t).ok()),
        });
    }
    for row in slots {
        out.slots.push(Slot {
            name: text(row, "slot_name")?.unwrap_or_default(),
            kind: text(row, "slot_type")?.unwrap_or_default(),
            database: text(row, "database")?,
            active: get::<Option<bool>>(row, "active")?.unwrap_or(false),
            retained_bytes: get(row, "retained")?,
            wal_status: text(row, "wal_status")?,
            safe_wal_size: get(row, "safe_wal_size")?,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn older_servers_get_no_wal_status() {
        assert!(slots_sql(150_000).contains("wal_status AS wal_status"));
        assert!(slots_sql(120_000).contains("NULL::text AS wal_status"));
        assert!(standbys_sql().contains("pg_last_wal_receive_lsn"));
    }
}
