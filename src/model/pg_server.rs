//! Server-wide figures of a PostgreSQL snapshot: connections by state against the usable
//! `max_connections`, the counters behind transactions per second and the cache hit ratio,
//! and per database the oldest transaction and the wraparound horizon.
//!
//! Rates come from deltas between two samples, as `pg_activity` (`dalibo/pg_activity@f407dcab`,
//! `pgactivity/data.py`, the server-info delta) and pgcenter (lesovsky/pgcenter@5f6f0a1e,
//! `internal/stat/postgres.go`) compute them. A negative delta (`pg_stat_reset()`, or a
//! failover to a server with other counters) makes no rate: that interval is dropped.

use std::time::Duration;

use jiff::Timestamp;

/// Everything a snapshot knows beyond its sessions. Each part is `None` when the source
/// could not read it (older server, no privilege) or does not read it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PgFacts {
    pub server: Option<ServerStats>,
    pub replication: Option<crate::model::pg_replication::Replication>,
    pub statements: Option<crate::model::pg_statements::Statements>,
    /// Maintenance commands in progress, by pid.
    pub progress: Vec<crate::model::pg_statements::Progress>,
}

/// Client backends by state, counted over every backend of the server (the sessions list
/// leaves idle ones out; these counts do not).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Connections {
    pub active: u32,
    pub idle: u32,
    /// `idle in transaction` and `idle in transaction (aborted)`.
    pub idle_in_transaction: u32,
    /// Waiting on a heavyweight lock (`wait_event_type = 'Lock'`), whatever their state.
    pub waiting: u32,
    /// Any other state (`fastpath function call`, `disabled`).
    pub other: u32,
    /// Every client backend.
    pub total: u32,
}

/// One database's facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseFacts {
    /// `datname`.
    pub name: String,
    /// Client backends connected to it.
    pub backends: u32,
    /// Of which waiting on a lock.
    pub waiting: u32,
    /// Start of its oldest open transaction.
    pub oldest_xact: Option<Timestamp>,
    /// `age(datfrozenxid)`: XIDs since the database was last fully frozen. Anti-wraparound
    /// autovacuum is forced at `autovacuum_freeze_max_age` (200 M by default).
    pub frozen_xid_age: i64,
    /// The oldest `backend_xmin` age of its sessions: what holds back vacuum's horizon.
    pub oldest_xmin_age: Option<i64>,
}

/// One sample of the server's counters and settings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServerStats {
    /// The server's clock when the sample was taken.
    pub at: Option<Timestamp>,
    pub connections: Connections,
    pub max_connections: u32,
    /// `superuser_reserved_connections` plus (PG16+) `reserved_connections`: slots ordinary
    /// roles cannot use.
    pub reserved_connections: u32,
    /// Sums over `pg_stat_database`.
    pub xact_commit: i64,
    pub xact_rollback: i64,
    pub blks_hit: i64,
    pub blks_read: i64,
    pub databases: Vec<DatabaseFacts>,
    /// Age of the oldest xmin held by a replication slot, if any slot holds one.
    pub slot_xmin_age: Option<i64>,
    /// Age of the oldest prepared transaction's XID.
    pub prepared_xid_age: Option<i64>,
}

/// Rates between two samples.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rates {
    /// Commits plus rollbacks per second.
    pub tps: f64,
    /// Percentage of block reads served from shared buffers; `None` without any read.
    pub hit_ratio: Option<f64>,
    /// The interval the rates cover.
    pub over: Duration,
}

/// `autovacuum_freeze_max_age`'s default: the age at which anti-wraparound vacuum is forced.
pub const FREEZE_MAX_AGE: i64 = 200_000_000;

impl ServerStats {
    /// Connections ordinary roles may still open: `max_connections` minus the reserved slots
    /// (`runtime-config-connection.html`).
    #[must_use]
    pub fn usable_connections(&self) -> u32 {
        self.max_connections
            .saturating_sub(self.reserved_connections)
    }

    /// The rates from `earlier` to `self`, or `None` when they cannot be trusted: no time
    /// passed, a clock is missing, or a counter went backwards (reset).
    #[must_use]
    #[expect(
        clippy::cast_precision_loss,
        reason = "counter deltas per interval are far below 2^52"
    )]
    pub fn rates_since(&self, earlier: &Self) -> Option<Rates> {
        let (now, then) = (self.at?, earlier.at?);
        let over = Duration::try_from(now.duration_since(then)).ok()?;
        if over.is_zero() {
            return None;
        }
        let delta = |a: i64, b: i64| (a >= b).then(|| a - b);
        let commits = delta(self.xact_commit, earlier.xact_commit)?;
        let rollbacks = delta(self.xact_rollback, earlier.xact_rollback)?;
        let hit = delta(self.blks_hit, earlier.blks_hit)?;
        let read = delta(self.blks_read, earlier.blks_read)?;
        let tps = (commits + rollbacks) as f64 / over.as_secs_f64();
        let hit_ratio = (hit + read > 0).then(|| 100.0 * hit as f64 / (hit + read) as f64);
        Some(Rates {
            tps,
            hit_ratio,
            over,
        })
    }

    /// The database with the oldest `datfrozenxid`, the first to need anti-wraparound vacuum.
    #[must_use]
    pub fn oldest_frozen(&self) -> Option<&DatabaseFacts> {
        self.databases.iter().max_by_key(|d| d.frozen_xid_age)
    }

    /// The oldest open transaction of the server, with its database.
    #[must_use]
    pub fn oldest_xact(&self) -> Option<(&DatabaseFacts, Timestamp)> {
        self.databases
            .iter()
            .filter_map(|d| d.oldest_xact.map(|t| (d, t)))
            .min_by_key(|(_, t)| *t)
    }

    /// The oldest xmin horizon and who holds it: a session, a replication slot or a
    /// prepared transaction.
    #[must_use]
    pub fn horizon(&self) -> Option<(i64, &'static str)> {
        let sessions = self
            .databases
            .iter()
            .filter_map(|d| d.oldest_xmin_age)
            .max();
        [
            (sessions, "a session"),
            (self.slot_xmin_age, "a replication slot"),
            (self.prepared_xid_age, "a prepared transaction"),
        ]
        .into_iter()
        .filter_map(|(age, who)| age.map(|a| (a, who)))
        .max_by_key(|(a, _)| *a)
    }
}

/// An XID age as `1.2M` or `830k` (ages run to 2^31).
#[must_use]
#[expect(
    clippy::cast_precision_loss,
    reason = "a rounded figure for display; XID ages are below 2^31"
)]
pub fn xid_age(age: i64) -> String {
    match age {
        ..1_000 => age.to_string(),
        1_000..1_000_000 => format!("{}k", age / 1_000),
        _ => format!("{:.1}M", age as f64 / 1e6),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(secs: i64, commit: i64, rollback: i64, hit: i64, read: i64) -> ServerStats {
        ServerStats {
            at: Some(Timestamp::from_second(1_700_000_000 + secs).unwrap()),
            xact_commit: commit,
            xact_rollback: rollback,
            blks_hit: hit,
            blks_read: read,
            ..ServerStats::default()
        }
    }

    #[test]
    fn rates_from_deltas() {
        let a = sample(0, 100, 10, 1_000, 0);
        let b = sample(2, 300, 10, 1_900, 100);
        let r = b.rates_since(&a).unwrap();
        assert!((r.tps - 100.0).abs() < 1e-9);
        assert!((r.hit_ratio.unwrap() - 90.0).abs() < 1e-9);
        assert_eq!(r.over, Duration::from_secs(2));
    }

    #[test]
    fn a_reset_or_no_time_makes_no_rate() {
        let a = sample(0, 100, 10, 1_000, 50);
        assert!(
            sample(2, 5, 10, 1_000, 50).rates_since(&a).is_none(),
            "reset"
        );
        assert!(
            sample(2, 200, 10, 10, 50).rates_since(&a).is_none(),
            "hit reset"
        );
        assert!(
            sample(0, 200, 10, 1_000, 50).rates_since(&a).is_none(),
            "no time"
        );
        let r = sample(1, 100, 10, 1_000, 50).rates_since(&a).unwrap();
        assert_eq!(r.hit_ratio, None, "no reads at all: no ratio");
        assert!(r.tps.abs() < 1e-9);
    }

    #[test]
    fn usable_connections_and_horizon() {
        let db = |name: &str, frozen, xmin| DatabaseFacts {
            name: name.into(),
            backends: 1,
            waiting: 0,
            oldest_xact: None,
            frozen_xid_age: frozen,
            oldest_xmin_age: xmin,
        };
        let s = ServerStats {
            max_connections: 100,
            reserved_connections: 3,
            databases: vec![db("a", 10, Some(5)), db("b", 900, None)],
            slot_xmin_age: Some(50),
            ..ServerStats::default()
        };
        assert_eq!(s.usable_connections(), 97);
        assert_eq!(s.oldest_frozen().unwrap().name, "b");
        assert_eq!(s.horizon(), Some((50, "a replication slot")));
        assert_eq!(xid_age(999), "999");
        assert_eq!(xid_age(830_500), "830k");
        assert_eq!(xid_age(1_250_000), "1.2M");
    }
}
