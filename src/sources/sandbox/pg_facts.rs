//! The simulated servers' wide figures (one server per squad database): every pool
//! connection counted by state, counters that grow at a steady per-database rate (so the
//! header shows transactions per second and a cache hit ratio from deltas, as the real one
//! does), and per database the oldest transaction and xmin horizon.

use std::time::Duration;

use jiff::Timestamp;

use super::World;
use crate::model::pg::PgSession;
use crate::model::pg_replication::{Replication, Slot, Standby};
use crate::model::pg_server::{Connections, DatabaseFacts, ServerStats};
use crate::model::pg_statements::{Progress, Statements, TopStatement};

/// Connections each simulated server allows, and its reserved slots (the defaults).
const MAX_CONNECTIONS: u32 = 100;
const RESERVED: u32 = 3;

impl World {
    /// The server figures of `database`'s simulated server, given the sessions its poll
    /// shows (`pool` connections in all; those not shown are idle).
    pub(super) fn pg_server(
        &self,
        database: &str,
        sessions: &[PgSession],
        pool: u32,
        now: Timestamp,
    ) -> ServerStats {
        let hash = super::pg::name_hash(database);
        let client = || {
            sessions
                .iter()
                .filter(|s| s.backend_type == "client backend")
        };
        let count = |f: &dyn Fn(&PgSession) -> bool| {
            u32::try_from(client().filter(|s| f(s)).count()).unwrap_or(u32::MAX)
        };
        let active = count(&|s| s.is_running());
        let idle_in_transaction = count(&PgSession::is_idle_in_transaction);
        let waiting = count(&PgSession::is_waiting_on_lock);
        let shown = u32::try_from(client().count()).unwrap_or(u32::MAX);
        // Pool slots the poll did not show are idle; chain members are extra connections.
        let idle = pool.saturating_sub(shown.min(pool)) + 1; // + the monitor itself
        let total = shown + idle;
        let connections = Connections {
            active,
            idle,
            idle_in_transaction,
            waiting,
            other: total.saturating_sub(active + idle + idle_in_transaction),
            total,
        };
        // Steady rates: 40–240 tx/s, 97–99.9 % hits.
        let secs = i64::try_from(self.elapsed.as_millis()).unwrap_or(i64::MAX) / 1_000;
        let tps = 40 + i64::try_from(hash % 200).unwrap_or(0);
        let reads_per_s = 5 + i64::try_from((hash >> 8) % 60).unwrap_or(0);
        let oldest_xact = client().filter_map(|s| s.xact_start).min();
        let frozen = 150_000_000 + i64::try_from((hash >> 16) % 40_000_000).unwrap_or(0);
        let xmin = oldest_xact.map(|t| {
            let held = now.duration_since(t).as_secs().max(0);
            held * tps
        });
        let this = DatabaseFacts {
            name: database.to_owned(),
            backends: total - 1,
            waiting,
            oldest_xact,
            frozen_xid_age: frozen + secs * tps,
            oldest_xmin_age: xmin,
        };
        let monitor_db = DatabaseFacts {
            name: "postgres".into(),
            backends: 1,
            waiting: 0,
            oldest_xact: None,
            frozen_xid_age: frozen / 2 + secs * tps,
            oldest_xmin_age: None,
        };
        ServerStats {
            at: Some(now),
            connections,
            max_connections: MAX_CONNECTIONS,
            reserved_connections: RESERVED,
            xact_commit: 9_000_000 + secs * tps,
            xact_rollback: 12_000 + secs * (tps / 50),
            blks_hit: 800_000_000 + secs * reads_per_s * 180,
            blks_read: 2_000_000 + secs * reads_per_s,
            databases: vec![monitor_db, this],
            slot_xmin_age: None,
            prepared_xid_age: None,
        }
    }
}

impl World {
    /// The simulated server's replication: one streaming read replica (the self-service
    /// product), lagging a little; `growth-db` also has a forgotten logical slot whose
    /// retained WAL grows the longer the sandbox runs.
    pub(super) fn pg_replication(&self, database: &str) -> Replication {
        let hash = super::pg::name_hash(database);
        let secs = i64::try_from(self.elapsed.as_secs()).unwrap_or(i64::MAX);
        let wobble = i64::try_from((hash >> 4) % 7).unwrap_or(0) + secs % 5;
        let replay_ms = 3 + u64::try_from(wobble).unwrap_or(0) * 40;
        let standby = Standby {
            name: format!("{}-replica", database.trim_end_matches("-db")),
            client: format!("10.43.{}.21", hash % 200),
            state: "streaming".into(),
            sync_state: "async".into(),
            pending_bytes: Some(0),
            write_bytes: Some(wobble * 512),
            flush_bytes: Some(wobble * 256),
            replay_bytes: Some(wobble * 8_192),
            total_bytes: Some(wobble * 8_960),
            write_lag: Some(Duration::from_millis(1 + replay_ms / 10)),
            flush_lag: Some(Duration::from_millis(2 + replay_ms / 5)),
            replay_lag: Some(Duration::from_millis(replay_ms)),
            reply_time: Some(self.now()),
        };
        let mut slots = vec![Slot {
            name: standby.name.replace('-', "_"),
            kind: "physical".into(),
            database: None,
            active: true,
            retained_bytes: Some(wobble * 8_960 + 16 * 1024 * 1024),
            wal_status: Some("reserved".into()),
            safe_wal_size: None,
        }];
        if database == "growth-db" {
            slots.push(Slot {
                name: "analytics_cdc".into(),
                kind: "logical".into(),
                database: Some(database.to_owned()),
                active: false,
                // About 4 MiB of WAL a second since a day before the sandbox started.
                retained_bytes: Some((86_400 + secs) * 4 * 1024 * 1024),
                wal_status: Some("extended".into()),
                safe_wal_size: None,
            });
        }
        Replication {
            in_recovery: false,
            replay_behind_bytes: None,
            since_last_replay: None,
            standbys: vec![standby],
            slots,
        }
    }
}

impl World {
    /// The simulated `pg_stat_statements`: the pools' statements on each table, their calls
    /// growing at a steady rate, with the same query ids the sessions carry.
    pub(super) fn pg_statements(&self, database: &str) -> Statements {
        let secs = i64::try_from(self.elapsed.as_secs()).unwrap_or(i64::MAX);
        let mut list = Vec::new();
        for (t, table) in super::pg::tables(database).iter().enumerate() {
            for k in 0..4usize {
                let query = super::pg::pool_query(table, k);
                let id = super::pg::query_id(&crate::model::pg::clean_query(&query));
                let weight = i64::try_from((super::pg::name_hash(&query) % 90) + 10).unwrap_or(10);
                let calls = weight * (40_000 + secs * 3) / (1 + i64::try_from(t).unwrap_or(0));
                // The count(*) scan is the slow one.
                let mean_us = if k == 3 {
                    180_000 + weight * 900
                } else {
                    200 + weight * 15
                };
                list.push(TopStatement {
                    query_id: id,
                    query: query.split_whitespace().collect::<Vec<_>>().join(" "),
                    calls,
                    total_us: calls.saturating_mul(mean_us),
                    mean_us,
                    rows: if k == 3 {
                        calls
                    } else {
                        calls * (1 + weight % 3)
                    },
                });
            }
        }
        list.sort_by_key(|s| std::cmp::Reverse(s.total_us));
        list.truncate(15);
        Statements::Top {
            list,
            unlinked: false,
        }
    }

    /// Progress of the autovacuum fixtures: a heap scan that advances with the clock.
    pub(super) fn pg_progress(&self, sessions: &[PgSession]) -> Vec<Progress> {
        let secs = i64::try_from(self.elapsed.as_secs()).unwrap_or(0);
        sessions
            .iter()
            .filter(|s| s.backend_type == "autovacuum worker")
            .map(|s| {
                let total = 96_000;
                let done = (31_000 + secs * 150).min(total);
                Progress {
                    pid: s.pid,
                    command: "vacuum".into(),
                    phase: if done < total {
                        "scanning heap".into()
                    } else {
                        "vacuuming indexes".into()
                    },
                    done: Some(done),
                    total: Some(total),
                }
            })
            .collect()
    }
}
