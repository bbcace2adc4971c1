//! Planning and carrying out a consumer group's offset reset against a real cluster: the
//! group's state and members first (`DescribeGroups`; refused while it has active members),
//! then its committed offsets, the partitions' watermarks and, for a time, the broker's
//! offsets for that time; [`crate::model::kafka_reset::plan`] decides. Executing plans again
//! and refuses when a partition's commit moved since the confirmed plan (someone consumed
//! or reset in between), then commits through `AlterConsumerGroupOffsets`.

use std::collections::BTreeMap;
use std::sync::Arc;

use rdkafka::Offset;

use super::admin_call::CallError;
use super::client::KafkaClient;
use crate::model::clean;
use crate::model::kafka::is_internal;
use crate::model::kafka_reset::{
    PartitionState, PlannedOffset, ResetScope, ResetTarget, check_inactive, explain_commit_error,
    plan,
};

/// The group's state and member count as the broker says now (`DescribeGroups`). Blocking.
pub fn group_state(client: &KafkaClient, group: &str) -> Result<(String, usize), String> {
    let list = client
        .admin()
        .inner()
        .fetch_group_list(Some(group), client.timeout)
        .map_err(|e| format!("describe group {}: {e}", clean(group)))?;
    Ok(list
        .groups()
        .iter()
        .find(|g| g.name() == group)
        .map_or_else(
            || ("Dead".to_owned(), 0),
            |g| (clean(g.state()), g.members().len()),
        ))
}

/// The partitions of `topic` from metadata (`None`: no such topic). Blocking.
fn topic_partitions(client: &KafkaClient, topic: &str) -> Result<Option<Vec<i32>>, String> {
    let md = client.metadata(client.timeout)?;
    Ok(md
        .topics()
        .iter()
        .find(|t| t.name() == topic && t.error().is_none())
        .map(|t| {
            t.partitions()
                .iter()
                .map(rdkafka::metadata::MetadataPartition::id)
                .collect()
        }))
}

/// Offsets for a time (`offsets_for_times`): the first offset at or after `ms`, `None` when
/// no message is that recent. Blocking.
pub fn offsets_for_time(
    client: &KafkaClient,
    partitions: &[(String, i32)],
    ms: i64,
) -> Result<BTreeMap<(String, i32), Option<i64>>, String> {
    client.list_offsets(
        partitions,
        Offset::Offset(ms),
        "offsets for time",
        client.timeout,
    )
}

/// The plan of a reset, checked against the group's state first. Blocking.
pub fn plan_reset(
    client: &KafkaClient,
    group: &str,
    scope: &ResetScope,
    target: ResetTarget,
) -> Result<Vec<PlannedOffset>, String> {
    let (state, members) = group_state(client, group)?;
    check_inactive(group, &state, members)?;
    let committed = client.group_offsets(group)?;
    let partitions: Vec<(String, i32)> = match scope {
        ResetScope::AllTopics => committed
            .keys()
            .filter(|(t, _)| !is_internal(t))
            .cloned()
            .collect(),
        ResetScope::Topic { topic } => topic_partitions(client, topic)?
            .ok_or_else(|| format!("no topic named {}", clean(topic)))?
            .into_iter()
            .map(|p| (topic.clone(), p))
            .collect(),
        ResetScope::Partition { topic, partition } => {
            let parts = topic_partitions(client, topic)?
                .ok_or_else(|| format!("no topic named {}", clean(topic)))?;
            if !parts.contains(partition) {
                return Err(format!("{} has no partition {partition}", clean(topic)));
            }
            vec![(topic.clone(), *partition)]
        }
    };
    if partitions.is_empty() {
        return Err(format!(
            "the group {} has no committed offsets to reset; name a topic",
            clean(group)
        ));
    }
    let marks: BTreeMap<(String, i32), (i64, i64)> = partitions
        .chunks(500)
        .map(|chunk| client.watermarks(chunk, client.timeout))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .flatten()
        .collect();
    let at_time = match target {
        ResetTarget::Time { ms } => offsets_for_time(client, &partitions, ms)?,
        _ => BTreeMap::new(),
    };
    let states: Vec<PartitionState> = partitions
        .into_iter()
        .map(|key| {
            let (low, high) = marks.get(&key).copied().unwrap_or((0, 0));
            PartitionState {
                committed: committed.get(&key).copied(),
                at_time: at_time.get(&key).copied().flatten(),
                topic: key.0,
                partition: key.1,
                low,
                high,
            }
        })
        .collect();
    plan(target, &states).map_err(|e| clean(&e))
}

/// Plans again, checks the guard (every partition's commit is still the one the plan was
/// confirmed with), and commits. `Ok` says what was committed. Blocking.
pub fn execute_reset(
    client: &Arc<KafkaClient>,
    group: &str,
    scope: &ResetScope,
    target: ResetTarget,
    confirmed: &[PlannedOffset],
) -> Result<String, String> {
    let now = plan_reset(client, group, scope, target)?;
    let moved: Vec<String> = confirmed
        .iter()
        .filter_map(|c| {
            let n = now
                .iter()
                .find(|n| n.topic == c.topic && n.partition == c.partition);
            match n {
                Some(n) if n.current == c.current => None,
                Some(n) => Some(format!(
                    "{}:{} (committed {} when planned, {} now)",
                    c.topic,
                    c.partition,
                    words(c.current),
                    words(n.current)
                )),
                None => Some(format!("{}:{} (gone)", c.topic, c.partition)),
            }
        })
        .collect();
    if !moved.is_empty() {
        return Err(format!(
            "nothing committed: the group's offsets moved since the plan: {}; plan again",
            moved.join(", ")
        ));
    }
    if now.len() != confirmed.len() {
        return Err(format!(
            "nothing committed: the scope now covers {} partitions, the plan {}; plan again",
            now.len(),
            confirmed.len()
        ));
    }
    let offsets: Vec<(String, i32, i64)> = now
        .iter()
        .map(|r| (r.topic.clone(), r.partition, r.new))
        .collect();
    let admin = client.group_admins().fresh()?;
    let result = super::alter_offsets::alter_group_offsets(
        admin.admin().inner(),
        group,
        &offsets,
        client.timeout,
    );
    // Destroys the instance, cancelling the request if it is still pending.
    drop(admin);
    let refused = match result {
        Ok(refused) => refused,
        Err(CallError::Abandoned(why)) => {
            return Err(format!(
                "{why}; the request was cancelled, but a coordinator that received it may \
                 still commit the offsets"
            ));
        }
        Err(CallError::Failed(why)) => return Err(explain_commit_error(&why)),
    };
    if let Some(((topic, p), code)) = refused.first() {
        return Err(format!(
            "{} of {} partitions refused, first {}:{p}: {}",
            refused.len(),
            offsets.len(),
            clean(topic),
            explain_commit_error(code)
        ));
    }
    let lag_after: i64 = now.iter().map(|r| r.lag_after).sum();
    Ok(format!(
        "group {group}: {} {} on {} partition(s); lag now {lag_after}",
        target.words(),
        scope.words(),
        now.len()
    ))
}

fn words(offset: Option<i64>) -> String {
    offset.map_or_else(|| "nothing".into(), |o| o.to_string())
}
