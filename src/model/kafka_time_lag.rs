//! Lag in time: how old the oldest message a group has not consumed is, and, from the
//! consume and produce rates between two snapshots, how long the group needs to catch up or
//! that it is falling behind.
//!
//! The age is klag-exporter's way (nais/klag-exporter README, "reads the timestamp of the
//! message at the committed offset … instead of interpolating from lookup tables";
//! first-aid.md §4.5): the source reads that one message's timestamp, bounded and cached
//! (`sources::kafka::time_lag`). The rates are offsets per second over the interval between
//! two snapshots: consumed = Σ Δcommitted, produced = Σ Δhigh watermark, over the group's
//! partitions present in both.

use std::collections::BTreeMap;

use crate::model::kafka::KafkaSnapshot;

/// A group's rates, in messages per second.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GroupRates {
    pub consume: f64,
    pub produce: f64,
}

/// Where a group is heading at the current rates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CatchUp {
    /// No lag.
    CaughtUp,
    /// Lag shrinking: done in about this many seconds.
    In(f64),
    /// Producers outpace the group (or it consumes nothing while there is lag).
    FallingBehind,
    /// Rates unknown (the first snapshot).
    Unknown,
}

impl CatchUp {
    /// From the group's total lag and rates.
    #[must_use]
    pub fn of(lag: i64, rates: Option<GroupRates>) -> Self {
        if lag <= 0 {
            return Self::CaughtUp;
        }
        let Some(r) = rates else {
            return Self::Unknown;
        };
        let net = r.consume - r.produce;
        if net <= 0.0 {
            Self::FallingBehind
        } else {
            #[expect(clippy::cast_precision_loss, reason = "lag counts far below 2^52")]
            let lag = lag as f64;
            Self::In(lag / net)
        }
    }

    #[must_use]
    pub fn words(self) -> String {
        match self {
            Self::CaughtUp => "caught up".into(),
            Self::In(secs) => format!("catching up in ~{}", duration(secs)),
            Self::FallingBehind => "falling behind".into(),
            Self::Unknown => "rate: next refresh".into(),
        }
    }
}

/// `42s`, `5m`, `3h10m`, `2d`: coarse, as an estimate should be.
#[must_use]
pub fn duration(secs: f64) -> String {
    #[expect(clippy::cast_possible_truncation, reason = "clamped to a day count")]
    let s = secs.clamp(0.0, 1e9).round() as i64;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        3600..86_400 => format!("{}h{:02}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d", s / 86_400),
    }
}

/// Each group's rates between `before` and `after` (groups in both, interval > 0).
#[must_use]
pub fn rates(before: &KafkaSnapshot, after: &KafkaSnapshot) -> BTreeMap<String, GroupRates> {
    let secs = after.taken_at.duration_since(before.taken_at).as_secs_f64();
    let mut out = BTreeMap::new();
    if secs <= 0.0 {
        return out;
    }
    for g in &after.groups {
        let Some(old) = before.group(&g.name) else {
            continue;
        };
        let (mut consumed, mut produced) = (0i64, 0i64);
        for l in &g.lag {
            let Some(o) = old
                .lag
                .iter()
                .find(|o| o.topic == l.topic && o.partition == l.partition)
            else {
                continue;
            };
            produced += (l.high - o.high).max(0);
            if let (Some(a), Some(b)) = (o.committed, l.committed) {
                consumed += (b - a).max(0);
            }
        }
        #[expect(clippy::cast_precision_loss, reason = "offset deltas far below 2^52")]
        out.insert(
            g.name.clone(),
            GroupRates {
                consume: consumed as f64 / secs,
                produce: produced as f64 / secs,
            },
        );
    }
    out
}

/// "oldest unconsumed 5m old" from the message timestamp (ms) and now (ms).
#[must_use]
pub fn age_words(oldest_ms: Option<i64>, now_ms: i64) -> String {
    match oldest_ms {
        None => "oldest unconsumed: unknown".into(),
        #[expect(clippy::cast_precision_loss, reason = "milliseconds far below 2^52")]
        Some(ms) => format!(
            "oldest unconsumed {} old",
            duration((now_ms - ms).max(0) as f64 / 1000.0)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::kafka::{GroupInfo, PartitionLag};

    fn snap(at: i64, committed: i64, high: i64) -> KafkaSnapshot {
        KafkaSnapshot {
            taken_at: jiff::Timestamp::from_second(at).unwrap(),
            brokers: vec![],
            topics: vec![],
            groups: vec![GroupInfo {
                name: "g".into(),
                lag: vec![PartitionLag {
                    topic: "t".into(),
                    partition: 0,
                    committed: Some(committed),
                    low: 0,
                    high,
                    lag: high - committed,
                    member: None,
                }],
                ..GroupInfo::default()
            }],
        }
    }

    #[test]
    fn rates_and_the_time_to_catch_up() {
        let r = rates(&snap(0, 100, 1000), &snap(10, 600, 1100))["g"];
        assert_eq!((r.consume, r.produce), (50.0, 10.0));
        assert_eq!(CatchUp::of(500, Some(r)), CatchUp::In(12.5));
        assert_eq!(CatchUp::of(500, Some(r)).words(), "catching up in ~13s");
        let slow = GroupRates {
            consume: 5.0,
            produce: 10.0,
        };
        assert_eq!(CatchUp::of(1, Some(slow)).words(), "falling behind");
        assert_eq!(CatchUp::of(0, Some(slow)), CatchUp::CaughtUp);
        assert_eq!(CatchUp::of(3, None), CatchUp::Unknown);
        assert!(rates(&snap(5, 0, 0), &snap(5, 0, 0)).is_empty());
        assert_eq!(duration(7_400.0), "2h03m");
        assert_eq!(duration(90.0), "1m");
        assert_eq!(age_words(Some(0), 300_000), "oldest unconsumed 5m old");
        assert_eq!(age_words(None, 1), "oldest unconsumed: unknown");
    }
}
