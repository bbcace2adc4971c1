//! Kafka first aid in the sandbox: one stopped consumer group (`ledger-replay`, no members,
//! behind on the first fleet topic) that can be reset or skipped, offsets committed by those
//! actions, and peeks at synthetic messages (JSON orders, one binary record and one whose
//! value carries terminal escape sequences, to show they are inert). The rules are the real
//! ones ([`crate::model::kafka_reset`]): a group with members is refused.

use std::collections::BTreeMap;

use crate::model::action::ActionRequest;
use crate::model::kafka::{GroupInfo, KafkaSnapshot, TopicInfo};
use crate::model::kafka_peek::{
    PeekFrom, PeekLimits, PeekMessage, PeekResult, TimestampKind, cut, start_offset,
};
use crate::model::kafka_reset::{PartitionState, PlannedOffset, ResetScope, check_inactive, plan};

use super::World;

/// The sandbox's stopped group.
pub const STOPPED_GROUP: &str = "ledger-replay";

/// How far behind the stopped group is, per partition, before any reset.
const BEHIND: i64 = 120;

/// What a first-aid request answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Plan(Vec<PlannedOffset>),
    Peek(PeekResult),
}

/// Adds the stopped group (reading the first topic), applies committed offsets set by
/// resets to every group, and dates each group's oldest unconsumed message as the simulated
/// producers wrote it (about five messages a second per partition).
pub fn add_groups(
    offsets: &BTreeMap<(String, String, i32), i64>,
    topics: &[TopicInfo],
    groups: &mut Vec<GroupInfo>,
    now_ms: i64,
) {
    if let Some(t) = topics
        .iter()
        .find(|t| !t.internal && !t.partitions.is_empty())
    {
        let committed = t
            .partitions
            .iter()
            .map(|p| ((t.name.clone(), p.id), (p.high - BEHIND).max(p.low)))
            .collect();
        groups.push(GroupInfo::new(
            STOPPED_GROUP,
            "Empty",
            Vec::new(),
            &committed,
            topics,
        ));
    }
    for g in groups.iter_mut() {
        let mut changed = false;
        for l in &mut g.lag {
            if let Some(o) = offsets.get(&(g.name.clone(), l.topic.clone(), l.partition)) {
                l.committed = Some(*o);
                l.lag = crate::model::kafka::lag(l.low, l.high, Some(*o));
                changed = true;
            }
        }
        if changed {
            g.recompute();
        }
        g.oldest_unconsumed_ms = g
            .lag
            .iter()
            .map(|l| l.lag)
            .max()
            .filter(|lag| *lag > 0)
            .map(|lag| now_ms - lag * 200);
    }
}

/// The plan of a reset on the simulated cluster.
pub fn plan_reset(
    snapshot: &KafkaSnapshot,
    request: &ActionRequest,
) -> Result<Vec<PlannedOffset>, String> {
    let ActionRequest::ResetGroupOffsets {
        group,
        scope,
        target,
        ..
    } = request
    else {
        return Err(format!("{} is not an offset reset", request.action_name()));
    };
    let g = snapshot
        .group(group)
        .ok_or_else(|| format!("no group named {group}"))?;
    check_inactive(group, &g.state, g.members.len())?;
    let mut parts = Vec::new();
    let committed = |t: &str, p: i32| {
        g.lag
            .iter()
            .find(|l| l.topic == t && l.partition == p)
            .and_then(|l| l.committed)
    };
    for t in &snapshot.topics {
        let wanted = match scope {
            ResetScope::AllTopics => g.max_lag_per_topic.contains_key(&t.name),
            ResetScope::Topic { topic } | ResetScope::Partition { topic, .. } => *topic == t.name,
        };
        if !wanted {
            continue;
        }
        for p in &t.partitions {
            if scope.covers(&t.name, p.id) {
                parts.push(PartitionState {
                    topic: t.name.clone(),
                    partition: p.id,
                    committed: committed(&t.name, p.id),
                    low: p.low,
                    high: p.high,
                    // Five simulated messages a second: a time maps to an offset linearly.
                    at_time: match target {
                        crate::model::kafka_reset::ResetTarget::Time { ms } => {
                            let age = (snapshot.taken_at.as_millisecond() - ms).max(0) / 200;
                            Some((p.high - age).max(p.low)).filter(|o| *o < p.high)
                        }
                        _ => None,
                    },
                });
            }
        }
    }
    plan(*target, &parts)
}

/// Commits a reset on the simulated cluster (planned again, guarded as the real one is).
pub fn reset(
    world: &mut World,
    snapshot: &KafkaSnapshot,
    request: &ActionRequest,
) -> Result<String, String> {
    let ActionRequest::ResetGroupOffsets {
        group,
        target,
        plan: confirmed,
        ..
    } = request
    else {
        return Err(format!("{} is not an offset reset", request.action_name()));
    };
    let now = plan_reset(snapshot, request)?;
    for c in confirmed {
        if !now
            .iter()
            .any(|n| n.topic == c.topic && n.partition == c.partition && n.current == c.current)
        {
            return Err(format!(
                "nothing committed: {}:{} moved since the plan; plan again",
                c.topic, c.partition
            ));
        }
    }
    for r in &now {
        world
            .kafka
            .offsets
            .insert((group.clone(), r.topic.clone(), r.partition), r.new);
    }
    Ok(format!(
        "group {group}: {} on {} partition(s)",
        target.words(),
        now.len()
    ))
}

/// Synthetic messages of a simulated partition.
pub fn peek(snapshot: &KafkaSnapshot, request: &ActionRequest) -> Result<PeekResult, String> {
    let ActionRequest::PeekMessages {
        topic,
        partition,
        from,
        ..
    } = request
    else {
        return Err(format!("{} is not a peek", request.action_name()));
    };
    let p = snapshot
        .topic(topic)
        .and_then(|t| t.partition(*partition))
        .ok_or_else(|| format!("{topic}:{partition}: no such partition"))?;
    let limits = PeekLimits::default();
    let now = snapshot.taken_at.as_millisecond();
    let at_time = match from {
        PeekFrom::Time { ms } => Some(p.high - (now - ms).max(0) / 200).filter(|o| *o < p.high),
        _ => None,
    };
    let start = start_offset(*from, p.low, p.high, at_time);
    let end = p
        .high
        .min(start + i64::try_from(limits.messages).unwrap_or(100));
    let messages = (start..end)
        .map(|offset| {
            let value: Vec<u8> = match offset % 17 {
                // The stuck kind: a record a consumer cannot parse, with escape sequences.
                3 => b"\x1b[2J\x1b]0;pwned\x07 not json {".to_vec(),
                11 => vec![0, 1, 2, 0xfe, 0xff, 0x1b, b'[', b'm'],
                _ => format!(
                    r#"{{"order_id":"o-{offset}","amount_cents":{},"currency":"EUR"}}"#,
                    offset % 9000
                )
                .into_bytes(),
            };
            PeekMessage {
                partition: *partition,
                offset,
                timestamp: Some((now - (p.high - offset) * 200, TimestampKind::Create)),
                key: Some(format!("customer-{}", offset % 50).into_bytes()),
                headers: vec![(
                    "trace-id".into(),
                    Some(format!("{offset:016x}").into_bytes()),
                )],
                value_len: value.len(),
                value: Some(cut(&value, limits.value_bytes)),
            }
        })
        .collect();
    Ok(PeekResult {
        topic: topic.clone(),
        partition: *partition,
        from: *from,
        start,
        low: p.low,
        high: p.high,
        messages,
        note: (end == p.high).then(|| "reached the end of the log".to_owned()),
    })
}

impl World {
    /// Plans a reset or reads a peek on the simulated cluster.
    pub fn kafka_first_aid(&self, request: &ActionRequest) -> Result<Answer, String> {
        let snapshot = self.kafka_snapshot();
        match request {
            ActionRequest::ResetGroupOffsets { .. } => {
                plan_reset(&snapshot, request).map(Answer::Plan)
            }
            ActionRequest::PeekMessages { .. } => peek(&snapshot, request).map(Answer::Peek),
            other => Err(format!("{} is not Kafka first aid", other.action_name())),
        }
    }
}
