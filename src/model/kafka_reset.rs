//! Resetting a consumer group's committed offsets: the target, the scope, and the plan that is
//! shown before anything is committed (per partition: the committed offset now, the new one,
//! the lag before and after, and whether the new offset was clamped). Pure: the source reads
//! the watermarks and the offsets for a time, this module decides.
//!
//! The rules are those of Kafka's own tool (apache/kafka,
//! `tools/src/main/java/org/apache/kafka/tools/consumer/group/ConsumerGroupCommand.java`,
//! `prepareOffsetsToReset` and `checkOffsetsRange`, read through the code search), in our
//! words:
//! - a requested offset below the log start becomes the log start, above the log end becomes
//!   the log end (the plan says so: "clamped");
//! - `--shift-by` needs a committed offset ("Cannot shift offset for partition … since there
//!   is no current committed offset"); so does skipping the stuck message (committed + 1);
//! - `--to-datetime` takes the earliest offset whose timestamp is at or after the time
//!   (`offsets_for_times`); a partition with no such message goes to the log end;
//! - the group must have no active member: "Assignments can only be reset if the group is
//!   inactive" (the broker's rule too, first-aid.md §4.2).

use serde::{Deserialize, Serialize};

/// Where the new offsets point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ResetTarget {
    Earliest,
    Latest,
    /// The first offset whose timestamp is at or after this time (ms since the epoch).
    Time {
        ms: i64,
    },
    /// An exact offset.
    Offset {
        offset: i64,
    },
    /// The committed offset moved by this many (negative: back).
    Shift {
        by: i64,
    },
    /// Committed + 1: past the message the consumer is stuck on.
    Skip,
}

impl ResetTarget {
    /// In words, for titles and the audit.
    #[must_use]
    pub fn words(&self) -> String {
        match self {
            Self::Earliest => "to earliest".into(),
            Self::Latest => "to latest".into(),
            Self::Time { ms } => format!(
                "to time {}",
                jiff::Timestamp::from_millisecond(*ms)
                    .map_or_else(|_| ms.to_string(), |t| t.to_string())
            ),
            Self::Offset { offset } => format!("to offset {offset}"),
            Self::Shift { by } => format!("shift by {by:+}"),
            Self::Skip => "skip one message (committed + 1)".into(),
        }
    }
}

/// Which partitions of the group a reset touches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ResetScope {
    /// Every topic the group has committed offsets for (`--all-topics`).
    AllTopics,
    /// Every partition of one topic (`--topic t`).
    Topic { topic: String },
    /// One partition (`--topic t:p`).
    Partition { topic: String, partition: i32 },
}

impl ResetScope {
    #[must_use]
    pub fn words(&self) -> String {
        match self {
            Self::AllTopics => "every topic of the group".into(),
            Self::Topic { topic } => format!("topic {topic}"),
            Self::Partition { topic, partition } => format!("{topic}:{partition}"),
        }
    }

    /// Whether `(topic, partition)` is in scope.
    #[must_use]
    pub fn covers(&self, topic: &str, partition: i32) -> bool {
        match self {
            Self::AllTopics => true,
            Self::Topic { topic: t } => t == topic,
            Self::Partition {
                topic: t,
                partition: p,
            } => t == topic && *p == partition,
        }
    }
}

/// One partition as the planner needs it: the group's commit and the log's bounds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionState {
    pub topic: String,
    pub partition: i32,
    /// `None`: the group never committed here.
    pub committed: Option<i64>,
    /// Log start offset (low watermark).
    pub low: i64,
    /// Log end offset (high watermark).
    pub high: i64,
    /// For a [`ResetTarget::Time`]: the offsets-for-times answer (`None`: no message at or
    /// after the time).
    pub at_time: Option<i64>,
}

/// Why a requested offset was moved into the log's bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Clamp {
    /// It was below the log start.
    ToStart,
    /// It was above the log end.
    ToEnd,
    /// No message at or after the time: the log end.
    NoMessageAfterTime,
}

impl Clamp {
    #[must_use]
    pub fn words(self) -> &'static str {
        match self {
            Self::ToStart => "clamped up to the log start",
            Self::ToEnd => "clamped down to the log end",
            Self::NoMessageAfterTime => "no message after the time: log end",
        }
    }
}

/// One partition of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedOffset {
    pub topic: String,
    pub partition: i32,
    /// The committed offset when planned (`None`: no commit). Execution refuses a partition
    /// whose commit moved since (the guard).
    pub current: Option<i64>,
    pub new: i64,
    pub low: i64,
    pub high: i64,
    pub lag_before: i64,
    pub lag_after: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clamped: Option<Clamp>,
}

/// Clamps `requested` into `[low, high]` as `checkOffsetsRange` does.
#[must_use]
pub fn clamp(requested: i64, low: i64, high: i64) -> (i64, Option<Clamp>) {
    if requested > high {
        (high, Some(Clamp::ToEnd))
    } else if requested < low {
        (low, Some(Clamp::ToStart))
    } else {
        (requested, None)
    }
}

/// The plan over `partitions` (already limited to the scope), sorted by topic and partition.
///
/// # Errors
/// A shift or a skip on a partition without a committed offset, or nothing in scope.
pub fn plan(
    target: ResetTarget,
    partitions: &[PartitionState],
) -> Result<Vec<PlannedOffset>, String> {
    if partitions.is_empty() {
        return Err("no partition of the group is in this scope".into());
    }
    let mut rows = Vec::with_capacity(partitions.len());
    for p in partitions {
        let need_commit = || {
            p.committed.ok_or_else(|| {
                format!(
                    "cannot {} on {}:{}: the group has no committed offset there",
                    target.words(),
                    p.topic,
                    p.partition
                )
            })
        };
        let (new, clamped) = match target {
            ResetTarget::Earliest => (p.low, None),
            ResetTarget::Latest => (p.high, None),
            ResetTarget::Time { .. } => match p.at_time {
                Some(o) => clamp(o, p.low, p.high),
                None => (p.high, Some(Clamp::NoMessageAfterTime)),
            },
            ResetTarget::Offset { offset } => clamp(offset, p.low, p.high),
            ResetTarget::Shift { by } => clamp(need_commit()?.saturating_add(by), p.low, p.high),
            ResetTarget::Skip => clamp(need_commit()?.saturating_add(1), p.low, p.high),
        };
        rows.push(PlannedOffset {
            topic: p.topic.clone(),
            partition: p.partition,
            current: p.committed,
            new,
            low: p.low,
            high: p.high,
            lag_before: crate::model::kafka::lag(p.low, p.high, p.committed),
            lag_after: crate::model::kafka::lag(p.low, p.high, Some(new)),
            clamped,
        });
    }
    rows.sort_by(|a, b| (&a.topic, a.partition).cmp(&(&b.topic, b.partition)));
    Ok(rows)
}

/// Kafka's rule: offsets are reset only while the group has no active member. `state` is
/// the broker's (`Empty`, `Dead`, `Stable`, …); `members` how many it listed.
///
/// # Errors
/// The reason, in the words of Kafka's tool.
pub fn check_inactive(group: &str, state: &str, members: usize) -> Result<(), String> {
    let inactive_state = matches!(state, "Empty" | "Dead" | "" | "Unknown");
    if members == 0 && inactive_state {
        return Ok(());
    }
    Err(format!(
        "offsets can only be reset while the group {group} is inactive, but it has {members} \
         active member(s) (state {state}); stop its consumers first (Kafka's rule: the broker \
         refuses a commit from outside a group with members)"
    ))
}

/// The broker refused the commit: the usual reason is that the group has members again.
#[must_use]
pub fn explain_commit_error(code: &str) -> String {
    match code {
        "UNKNOWN_MEMBER_ID" | "Broker: Unknown member" => format!(
            "the broker refused the commit ({code}): the group has active members again \
             (Kafka's rule: offsets are reset only while the group is empty)"
        ),
        "ILLEGAL_GENERATION" | "REBALANCE_IN_PROGRESS" | "Broker: Group rebalance in progress" => {
            format!(
                "the broker refused the commit ({code}): the group is rebalancing, so it is not empty"
            )
        }
        other => format!("the broker refused the commit: {other}"),
    }
}

/// Sums of a plan, for titles: partitions, total lag before and after, clamped count.
#[must_use]
pub fn totals(rows: &[PlannedOffset]) -> (usize, i64, i64, usize) {
    (
        rows.len(),
        rows.iter().map(|r| r.lag_before).sum(),
        rows.iter().map(|r| r.lag_after).sum(),
        rows.iter().filter(|r| r.clamped.is_some()).count(),
    )
}

/// Parses the reset prompt: `<target> [<topic>[:<partition>]]`. Targets: `earliest`,
/// `latest`, `offset N` (or `=N`), `shift ±N` (or `+N` / `-N`), `time <RFC 3339>` (or
/// `@<RFC 3339>`), `skip`. No topic: every topic of the group.
///
/// # Errors
/// What to type instead.
pub fn parse_request(input: &str) -> Result<(ResetTarget, ResetScope), String> {
    let mut words = input.split_whitespace();
    let Some(first) = words.next() else {
        return Err("type a target: earliest, latest, offset N, shift ±N, time <when>".into());
    };
    let number = |w: Option<&str>, what: &str| -> Result<i64, String> {
        let w = w.ok_or_else(|| format!("{what} needs a number"))?;
        w.trim_start_matches('+')
            .parse::<i64>()
            .map_err(|_| format!("`{w}`: {what} needs a whole number"))
    };
    let time = |w: Option<&str>| -> Result<i64, String> {
        let w = w.ok_or("time needs a moment, e.g. 2026-12-07T01:00:00Z")?;
        w.parse::<jiff::Timestamp>()
            .map(jiff::Timestamp::as_millisecond)
            .map_err(|e| format!("`{w}`: a time like 2026-12-07T01:00:00Z ({e})"))
    };
    let target = match first {
        "earliest" | "oldest" => ResetTarget::Earliest,
        "latest" | "newest" => ResetTarget::Latest,
        "skip" => ResetTarget::Skip,
        "offset" => ResetTarget::Offset {
            offset: number(words.next(), "offset")?,
        },
        "shift" => ResetTarget::Shift {
            by: number(words.next(), "shift")?,
        },
        "time" => ResetTarget::Time {
            ms: time(words.next())?,
        },
        w if w.starts_with('=') => ResetTarget::Offset {
            offset: number(Some(&w[1..]), "offset")?,
        },
        w if w.starts_with('@') => ResetTarget::Time {
            ms: time(Some(&w[1..]))?,
        },
        w if w.starts_with('+') || w.starts_with('-') => ResetTarget::Shift {
            by: number(Some(w), "shift")?,
        },
        other => {
            return Err(format!(
                "`{other}`: earliest, latest, offset N, shift ±N, time <when> or skip"
            ));
        }
    };
    if let ResetTarget::Offset { offset } = target
        && offset < 0
    {
        return Err("an offset is 0 or more".into());
    }
    let scope = match words.next() {
        None | Some("all" | "*") => ResetScope::AllTopics,
        Some(w) => match w.rsplit_once(':') {
            Some((topic, p)) if !topic.is_empty() => ResetScope::Partition {
                topic: topic.to_owned(),
                partition: p
                    .parse()
                    .map_err(|_| format!("`{w}`: topic:partition, e.g. orders:0"))?,
            },
            _ => ResetScope::Topic {
                topic: w.to_owned(),
            },
        },
    };
    if let Some(extra) = words.next() {
        return Err(format!("`{extra}`: one target and at most one topic"));
    }
    if target == ResetTarget::Skip && !matches!(scope, ResetScope::Partition { .. }) {
        return Err("skip works on one partition: skip <topic>:<partition>".into());
    }
    Ok((target, scope))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(
        topic: &str,
        partition: i32,
        committed: Option<i64>,
        low: i64,
        high: i64,
    ) -> PartitionState {
        PartitionState {
            topic: topic.into(),
            partition,
            committed,
            low,
            high,
            at_time: None,
        }
    }

    #[test]
    fn each_target_with_lag_before_and_after() {
        let parts = [p("o", 1, Some(5), 2, 20), p("o", 0, None, 3, 10)];
        let rows = plan(ResetTarget::Earliest, &parts).unwrap();
        assert_eq!(
            (rows[0].partition, rows[0].new),
            (0, 3),
            "sorted by partition"
        );
        assert_eq!(
            (rows[1].new, rows[1].lag_before, rows[1].lag_after),
            (2, 15, 18)
        );
        let rows = plan(ResetTarget::Latest, &parts).unwrap();
        assert_eq!(rows.iter().map(|r| r.lag_after).sum::<i64>(), 0);
        assert_eq!(rows[0].lag_before, 7, "no commit counts from the log start");
        let rows = plan(ResetTarget::Offset { offset: 15 }, &parts).unwrap();
        assert_eq!((rows[0].new, rows[0].clamped), (10, Some(Clamp::ToEnd)));
        assert_eq!((rows[1].new, rows[1].clamped), (15, None));
        let rows = plan(ResetTarget::Offset { offset: 0 }, &parts[..1]).unwrap();
        assert_eq!((rows[0].new, rows[0].clamped), (2, Some(Clamp::ToStart)));
    }

    #[test]
    fn shift_and_skip_need_a_commit_and_clamp() {
        let parts = [p("o", 0, Some(5), 2, 20)];
        assert_eq!(
            plan(ResetTarget::Shift { by: -2 }, &parts).unwrap()[0].new,
            3
        );
        let r = &plan(ResetTarget::Shift { by: -10 }, &parts).unwrap()[0];
        assert_eq!((r.new, r.clamped), (2, Some(Clamp::ToStart)));
        let r = &plan(ResetTarget::Shift { by: 100 }, &parts).unwrap()[0];
        assert_eq!((r.new, r.clamped, r.lag_after), (20, Some(Clamp::ToEnd), 0));
        let r = &plan(ResetTarget::Skip, &parts).unwrap()[0];
        assert_eq!((r.new, r.lag_before, r.lag_after), (6, 15, 14));
        let none = [p("o", 0, None, 0, 4)];
        let e = plan(ResetTarget::Shift { by: 1 }, &none).unwrap_err();
        assert!(e.contains("no committed offset"), "{e}");
        assert!(plan(ResetTarget::Skip, &none).is_err());
        let at_end = [p("o", 0, Some(4), 0, 4)];
        let r = &plan(ResetTarget::Skip, &at_end).unwrap()[0];
        assert_eq!(
            (r.new, r.clamped),
            (4, Some(Clamp::ToEnd)),
            "nothing to skip"
        );
        assert!(plan(ResetTarget::Latest, &[]).is_err());
    }

    #[test]
    fn time_uses_offsets_for_times_or_the_log_end() {
        let mut a = p("o", 0, Some(1), 0, 9);
        a.at_time = Some(4);
        let b = p("o", 1, Some(1), 0, 9);
        let rows = plan(ResetTarget::Time { ms: 1 }, &[a, b]).unwrap();
        assert_eq!((rows[0].new, rows[0].clamped), (4, None));
        assert_eq!(
            (rows[1].new, rows[1].clamped),
            (9, Some(Clamp::NoMessageAfterTime))
        );
        let (n, before, after, clamped) = totals(&rows);
        assert_eq!((n, before, after, clamped), (2, 16, 5, 1));
    }

    #[test]
    fn only_an_inactive_group_is_reset() {
        assert!(check_inactive("g", "Empty", 0).is_ok());
        assert!(check_inactive("g", "Unknown", 0).is_ok());
        let e = check_inactive("g", "Stable", 2).unwrap_err();
        assert!(
            e.contains("2 active member(s)") && e.contains("Stable"),
            "{e}"
        );
        assert!(check_inactive("g", "PreparingRebalance", 0).is_err());
        assert!(explain_commit_error("UNKNOWN_MEMBER_ID").contains("active members"));
    }

    #[test]
    fn the_prompt_reads_targets_and_scopes() {
        use ResetTarget as T;
        let all = ResetScope::AllTopics;
        assert_eq!(
            parse_request("earliest").unwrap(),
            (T::Earliest, all.clone())
        );
        assert_eq!(
            parse_request("latest all").unwrap(),
            (T::Latest, all.clone())
        );
        assert_eq!(
            parse_request("offset 42 orders").unwrap(),
            (
                T::Offset { offset: 42 },
                ResetScope::Topic {
                    topic: "orders".into()
                }
            )
        );
        assert_eq!(parse_request("=7").unwrap().0, T::Offset { offset: 7 });
        assert_eq!(parse_request("-10").unwrap().0, T::Shift { by: -10 });
        assert_eq!(parse_request("shift +3").unwrap().0, T::Shift { by: 3 });
        assert_eq!(
            parse_request("@2026-12-07T01:00:00Z a.b:3").unwrap(),
            (
                T::Time {
                    ms: 1_796_605_200_000
                },
                ResetScope::Partition {
                    topic: "a.b".into(),
                    partition: 3
                }
            )
        );
        assert_eq!(
            parse_request("skip orders:1").unwrap().1,
            ResetScope::Partition {
                topic: "orders".into(),
                partition: 1
            }
        );
        for bad in [
            "",
            "soon",
            "offset",
            "offset x",
            "offset -1",
            "time yesterday",
            "skip",
            "skip orders",
            "latest a b",
            "earliest o:x",
        ] {
            assert!(parse_request(bad).is_err(), "{bad:?} is refused");
        }
    }
}
