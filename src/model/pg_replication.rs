//! Replication as the primary sees it: each standby's lag per stage, in time and bytes
//! (`pg_stat_replication`), and the replication slots with the WAL they retain
//! (`pg_replication_slots`), as pgcenter reads them (lesovsky/pgcenter@5f6f0a1e,
//! `internal/query/replication.go`); on a standby, how far its replay trails what it
//! received (first-aid reference §5.1).
//!
//! An inactive slot whose retained WAL grows is the classic disk-fill incident, so a slot
//! says whether it is active in words, and `wal_status` (`reserved`, `extended`,
//! `unreserved`, `lost`) is shown as the server gives it.

use std::time::Duration;

use jiff::Timestamp;

/// One standby connected to this server (a `pg_stat_replication` row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standby {
    /// `application_name`: the standby's `cluster_name` or what its `primary_conninfo` set.
    pub name: String,
    pub client: String,
    /// `startup`, `catchup`, `streaming`, `backup`, `stopping`.
    pub state: String,
    /// `async`, `potential`, `sync`, `quorum`.
    pub sync_state: String,
    /// Bytes not yet sent, then the bytes each stage trails the previous one; `total` is
    /// the current WAL position minus the replayed one.
    pub pending_bytes: Option<i64>,
    pub write_bytes: Option<i64>,
    pub flush_bytes: Option<i64>,
    pub replay_bytes: Option<i64>,
    pub total_bytes: Option<i64>,
    /// `write_lag`, `flush_lag`, `replay_lag`: NULL once the standby is idle and caught up.
    pub write_lag: Option<Duration>,
    pub flush_lag: Option<Duration>,
    pub replay_lag: Option<Duration>,
    pub reply_time: Option<Timestamp>,
}

/// One replication slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slot {
    pub name: String,
    /// `physical` or `logical`.
    pub kind: String,
    /// The database of a logical slot.
    pub database: Option<String>,
    pub active: bool,
    /// WAL kept for it: the current position minus its `restart_lsn`.
    pub retained_bytes: Option<i64>,
    /// `reserved`, `extended`, `unreserved`, `lost` (PG13+).
    pub wal_status: Option<String>,
    /// Bytes that can still be written before the slot is lost (NULL without
    /// `max_slot_wal_keep_size`).
    pub safe_wal_size: Option<i64>,
}

/// The replication facts of one server.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Replication {
    /// This server is itself a standby (`pg_is_in_recovery()`).
    pub in_recovery: bool,
    /// On a standby: received but not yet replayed WAL.
    pub replay_behind_bytes: Option<i64>,
    /// On a standby: since the last replayed transaction's commit (overstates lag when
    /// the primary is idle).
    pub since_last_replay: Option<Duration>,
    pub standbys: Vec<Standby>,
    pub slots: Vec<Slot>,
}

impl Standby {
    /// The worst of the three time lags.
    #[must_use]
    pub fn worst_lag(&self) -> Option<Duration> {
        [self.write_lag, self.flush_lag, self.replay_lag]
            .into_iter()
            .flatten()
            .max()
    }
}

impl Replication {
    /// Slots that nobody reads but that keep WAL: disk fills while they wait.
    pub fn inactive_slots(&self) -> impl Iterator<Item = &Slot> {
        self.slots.iter().filter(|s| !s.active)
    }

    /// A one-line summary for a header or the incident view, e.g. `2 standbys, worst
    /// replay lag 1.2s, 40.0MiB behind · 1 inactive slot keeps 1.0GiB`.
    #[must_use]
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        if self.in_recovery {
            parts.push(format!(
                "standby: replay {} behind{}",
                self.replay_behind_bytes
                    .map_or_else(|| "?".to_owned(), bytes),
                self.since_last_replay
                    .map(|d| format!(", last replayed tx {} ago", secs(d)))
                    .unwrap_or_default()
            ));
        }
        if !self.standbys.is_empty() {
            let worst = self.standbys.iter().filter_map(Standby::worst_lag).max();
            let behind = self.standbys.iter().filter_map(|s| s.total_bytes).max();
            parts.push(format!(
                "{} standby{}, worst lag {}{}",
                self.standbys.len(),
                if self.standbys.len() == 1 { "" } else { "s" },
                worst.map_or_else(|| "none".to_owned(), secs),
                behind
                    .map(|b| format!(", {} behind", bytes(b)))
                    .unwrap_or_default()
            ));
        } else if !self.in_recovery {
            parts.push("no standby".to_owned());
        }
        let inactive: Vec<&Slot> = self.inactive_slots().collect();
        if !inactive.is_empty() {
            let kept: i64 = inactive.iter().filter_map(|s| s.retained_bytes).sum();
            parts.push(format!(
                "{} inactive slot{} keep{} {}",
                inactive.len(),
                if inactive.len() == 1 { "" } else { "s" },
                if inactive.len() == 1 { "s" } else { "" },
                bytes(kept)
            ));
        }
        parts.join(" · ")
    }
}

/// Bytes in binary units (`crate::model::text::byte_size`), negatives as zero.
#[must_use]
#[expect(clippy::cast_precision_loss, reason = "a rounded figure for display")]
pub fn bytes(n: i64) -> String {
    crate::model::text::byte_size(n.max(0) as f64)
}

/// A lag as `0.004s`, `1.2s` or `3m05s`.
#[must_use]
pub fn secs(d: Duration) -> String {
    match d.as_secs() {
        0 => format!("{:.3}s", d.as_secs_f64()),
        1..60 => format!("{:.1}s", d.as_secs_f64()),
        s if s < 3600 => format!("{}m{:02}s", s / 60, s % 60),
        s => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(name: &str, active: bool, retained: i64) -> Slot {
        Slot {
            name: name.into(),
            kind: "physical".into(),
            database: None,
            active,
            retained_bytes: Some(retained),
            wal_status: Some("reserved".into()),
            safe_wal_size: None,
        }
    }

    #[test]
    fn summary_names_the_worst_lag_and_idle_slots() {
        let standby = Standby {
            name: "replica1".into(),
            client: "10.0.0.2".into(),
            state: "streaming".into(),
            sync_state: "async".into(),
            pending_bytes: Some(0),
            write_bytes: Some(0),
            flush_bytes: Some(0),
            replay_bytes: Some(2048),
            total_bytes: Some(2048),
            write_lag: Some(Duration::from_millis(1)),
            flush_lag: Some(Duration::from_millis(2)),
            replay_lag: Some(Duration::from_millis(1500)),
            reply_time: None,
        };
        let r = Replication {
            standbys: vec![standby],
            slots: vec![slot("replica1", true, 10), slot("old", false, 1 << 30)],
            ..Replication::default()
        };
        assert_eq!(
            r.summary(),
            "1 standby, worst lag 1.5s, 2.0 KiB behind · 1 inactive slot keeps 1.0 GiB"
        );
        assert_eq!(Replication::default().summary(), "no standby");
        let standby_side = Replication {
            in_recovery: true,
            replay_behind_bytes: Some(0),
            ..Replication::default()
        };
        assert!(
            standby_side
                .summary()
                .starts_with("standby: replay 0 B behind")
        );
        assert_eq!(secs(Duration::from_secs(185)), "3m05s");
    }
}
