//! Kafka topics, partitions, consumer groups and their lag. Plain data with no I/O: the real
//! source (`sources::kafka`) and the sandbox build these values, the app stores them and the
//! Kafka pane draws them.
//!
//! Lag is computed as kafkactl does (deviceinsight/kafkactl,
//! internal/consumergroups/consumer-group-operation.go): `lag = high watermark − committed
//! offset`; a partition with no commit (absent or negative) counts from the low watermark,
//! and keeps `committed: None` so the pane can say "no commit" instead of a number that looks
//! like progress. Under-replicated and offline partitions come from metadata alone (`leader`,
//! `replicas` and `isr` in fede1024/rust-rdkafka, src/metadata.rs).

use std::collections::{BTreeMap, VecDeque};

use jiff::Timestamp;

use crate::model::validate;

/// How many lag totals [`LagHistory`] keeps per group (one sparkline's width).
pub const LAG_HISTORY: usize = 30;

/// One partition as metadata and the watermarks describe it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PartitionInfo {
    pub id: i32,
    /// Broker id of the leader; `-1` when there is none (offline).
    pub leader: i32,
    pub replicas: Vec<i32>,
    pub isr: Vec<i32>,
    /// Low watermark (first offset still stored).
    pub low: i64,
    /// High watermark (next offset to be written).
    pub high: i64,
}

impl PartitionInfo {
    /// Fewer in-sync replicas than replicas.
    #[must_use]
    pub fn under_replicated(&self) -> bool {
        self.isr.len() < self.replicas.len()
    }

    /// No leader: nobody can read or write this partition.
    #[must_use]
    pub fn offline(&self) -> bool {
        self.leader < 0
    }

    /// Messages currently stored (`high − low`, never negative).
    #[must_use]
    pub fn messages(&self) -> i64 {
        (self.high - self.low).max(0)
    }
}

/// Where a topic config value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ConfigSource {
    /// Kafka's built-in default.
    Default,
    /// Set on this topic (what an incremental alter changes).
    TopicOverride,
    /// Inherited from the broker's (static or dynamic) configuration.
    Broker,
    Other,
}

/// One topic configuration entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicConfig {
    pub name: String,
    /// `None` for sensitive values the broker does not reveal.
    pub value: Option<String>,
    pub source: ConfigSource,
}

/// One topic with its partitions and the figures the topic list shows.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TopicInfo {
    pub name: String,
    pub partitions: Vec<PartitionInfo>,
    /// Replication factor (the largest replica list; 0 without partitions).
    pub replication: usize,
    pub under_replicated: usize,
    pub offline: usize,
    /// Sum of `high − low` over the partitions.
    pub messages: i64,
    pub retention_ms: Option<i64>,
    pub cleanup_policy: Option<String>,
    /// Kafka's own topics (`__consumer_offsets`, `__transaction_state`, ...).
    pub internal: bool,
}

impl TopicInfo {
    /// Builds a topic from its partitions (sorted by id) and the configs known for it; the
    /// counts are derived here so every producer of snapshots agrees on them.
    #[must_use]
    pub fn new(name: &str, mut partitions: Vec<PartitionInfo>, configs: &[TopicConfig]) -> Self {
        partitions.sort_by_key(|p| p.id);
        let config = |key: &str| {
            configs
                .iter()
                .find(|c| c.name == key)
                .and_then(|c| c.value.clone())
        };
        Self {
            name: name.to_owned(),
            replication: partitions
                .iter()
                .map(|p| p.replicas.len())
                .max()
                .unwrap_or(0),
            under_replicated: partitions.iter().filter(|p| p.under_replicated()).count(),
            offline: partitions.iter().filter(|p| p.offline()).count(),
            messages: partitions.iter().map(PartitionInfo::messages).sum(),
            retention_ms: config("retention.ms").and_then(|v| v.trim().parse().ok()),
            cleanup_policy: config("cleanup.policy"),
            internal: is_internal(name),
            partitions,
        }
    }

    #[must_use]
    pub fn partition(&self, id: i32) -> Option<&PartitionInfo> {
        self.partitions.iter().find(|p| p.id == id)
    }
}

/// Names starting with `__` belong to Kafka itself; opsdeck never deletes them.
#[must_use]
pub fn is_internal(name: &str) -> bool {
    name.starts_with("__")
}

/// One member of a consumer group.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GroupMember {
    pub id: String,
    pub client_id: String,
    pub host: String,
    /// Assigned `(topic, partitions)`.
    pub assignment: Vec<(String, Vec<i32>)>,
}

/// Lag of one group on one partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionLag {
    pub topic: String,
    pub partition: i32,
    /// `None`: the group never committed here.
    pub committed: Option<i64>,
    pub low: i64,
    pub high: i64,
    pub lag: i64,
    /// The member id that owns the partition now, if any.
    pub member: Option<String>,
}

/// A consumer group with its members and lag.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GroupInfo {
    pub name: String,
    /// As the broker says: `Stable`, `Empty`, `PreparingRebalance`, ... (`Unknown` on tansu).
    pub state: String,
    pub members: Vec<GroupMember>,
    /// Per topic-partition, sorted by topic then partition.
    pub lag: Vec<PartitionLag>,
    pub total_lag: i64,
    pub max_lag_per_topic: BTreeMap<String, i64>,
    /// Timestamp (ms) of the oldest message the group has not consumed: the earliest over
    /// its lagging partitions of the message at the committed offset (`None`: not read).
    pub oldest_unconsumed_ms: Option<i64>,
}

impl GroupInfo {
    /// Builds a group from its committed offsets and the topics' watermarks. `committed` maps
    /// `(topic, partition)` to the broker's answer (negative = no commit); partitions of
    /// topics missing from `topics` are skipped (the topic is gone or out of scope).
    #[must_use]
    pub fn new(
        name: &str,
        state: &str,
        members: Vec<GroupMember>,
        committed: &BTreeMap<(String, i32), i64>,
        topics: &[TopicInfo],
    ) -> Self {
        let mut lags = Vec::new();
        for ((topic, partition), offset) in committed {
            let Some(p) = topics
                .iter()
                .find(|t| &t.name == topic)
                .and_then(|t| t.partition(*partition))
            else {
                continue;
            };
            let committed = (*offset >= 0).then_some(*offset);
            let member = members
                .iter()
                .find(|m| {
                    m.assignment
                        .iter()
                        .any(|(t, ps)| t == topic && ps.contains(partition))
                })
                .map(|m| m.id.clone());
            lags.push(PartitionLag {
                topic: topic.clone(),
                partition: *partition,
                committed,
                low: p.low,
                high: p.high,
                lag: lag(p.low, p.high, committed),
                member,
            });
        }
        let mut group = Self {
            name: name.to_owned(),
            state: state.to_owned(),
            members,
            lag: lags,
            total_lag: 0,
            max_lag_per_topic: BTreeMap::new(),
            oldest_unconsumed_ms: None,
        };
        group.recompute();
        group
    }

    /// Sorts the lag rows and derives `total_lag` and `max_lag_per_topic` from them.
    pub fn recompute(&mut self) {
        self.lag
            .sort_by(|a, b| (&a.topic, a.partition).cmp(&(&b.topic, b.partition)));
        self.total_lag = self.lag.iter().map(|l| l.lag).sum();
        self.max_lag_per_topic.clear();
        for l in &self.lag {
            let max = self.max_lag_per_topic.entry(l.topic.clone()).or_insert(0);
            *max = (*max).max(l.lag);
        }
    }

    /// Topics the group has offsets for.
    #[must_use]
    pub fn topics(&self) -> Vec<&str> {
        self.max_lag_per_topic.keys().map(String::as_str).collect()
    }
}

/// `high − committed`, or `high − low` without a commit; never negative (a commit past the
/// high watermark after a truncation is not negative lag).
#[must_use]
pub fn lag(low: i64, high: i64, committed: Option<i64>) -> i64 {
    match committed {
        Some(c) if c >= 0 => (high - c).max(0),
        _ => (high - low).max(0),
    }
}

/// One broker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerInfo {
    pub id: i32,
    pub host: String,
    pub port: i32,
    /// Named by `DescribeCluster`; `false` on every broker when the cluster did not say.
    pub controller: bool,
}

/// The whole view of one Kafka cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KafkaSnapshot {
    pub taken_at: Timestamp,
    pub brokers: Vec<BrokerInfo>,
    /// Sorted by name.
    pub topics: Vec<TopicInfo>,
    /// Sorted by name.
    pub groups: Vec<GroupInfo>,
}

impl KafkaSnapshot {
    #[must_use]
    pub fn topic(&self, name: &str) -> Option<&TopicInfo> {
        self.topics.iter().find(|t| t.name == name)
    }

    #[must_use]
    pub fn group(&self, name: &str) -> Option<&GroupInfo> {
        self.groups.iter().find(|g| g.name == name)
    }

    /// The groups that read `topic`, with their total lag on it (the sum over its
    /// partitions), most first: the group furthest behind on this topic leads.
    #[must_use]
    pub fn readers(&self, topic: &str) -> Vec<(&GroupInfo, i64)> {
        let mut readers: Vec<(&GroupInfo, i64)> = self
            .groups
            .iter()
            .filter(|g| g.max_lag_per_topic.contains_key(topic))
            .map(|g| {
                let total = g
                    .lag
                    .iter()
                    .filter(|l| l.topic == topic)
                    .map(|l| l.lag)
                    .sum();
                (g, total)
            })
            .collect();
        readers.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.name.cmp(&b.0.name)));
        readers
    }

    /// Partitions with fewer in-sync replicas than replicas, over all topics.
    #[must_use]
    pub fn under_replicated(&self) -> usize {
        self.topics.iter().map(|t| t.under_replicated).sum()
    }

    /// Partitions without a leader, over all topics.
    #[must_use]
    pub fn offline(&self) -> usize {
        self.topics.iter().map(|t| t.offline).sum()
    }

    /// Equal apart from `taken_at`: the poller sends a snapshot only when this is false.
    #[must_use]
    pub fn same_data(&self, other: &Self) -> bool {
        self.brokers == other.brokers && self.topics == other.topics && self.groups == other.groups
    }
}

/// The last [`LAG_HISTORY`] total-lag values per group, oldest first, for sparklines. Groups
/// that leave the snapshot are forgotten, so memory stays bounded.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LagHistory {
    groups: BTreeMap<String, VecDeque<i64>>,
}

impl LagHistory {
    /// Appends each group's total lag from `snapshot`.
    pub fn record(&mut self, snapshot: &KafkaSnapshot) {
        self.groups
            .retain(|name, _| snapshot.groups.iter().any(|g| &g.name == name));
        for g in &snapshot.groups {
            self.push(&g.name, g.total_lag);
        }
    }

    /// Appends one value for one group, dropping the oldest beyond [`LAG_HISTORY`].
    pub fn push(&mut self, group: &str, total: i64) {
        let ring = self.groups.entry(group.to_owned()).or_default();
        if ring.len() == LAG_HISTORY {
            ring.pop_front();
        }
        ring.push_back(total);
    }

    /// The group's lag is higher now than at the start of the kept history (the incident
    /// view's "rising").
    #[must_use]
    pub fn rising(&self, group: &str) -> bool {
        self.groups
            .get(group)
            .is_some_and(|r| r.len() > 1 && r.back() > r.front())
    }

    /// Oldest first, as a sparkline wants them (negative values clamp to 0).
    #[must_use]
    pub fn series(&self, group: &str) -> Vec<u64> {
        self.groups
            .get(group)
            .map(|r| r.iter().map(|v| u64::try_from(*v).unwrap_or(0)).collect())
            .unwrap_or_default()
    }
}

/// Checks a topic creation against the request form's rules (`app::validate`): name,
/// partitions, replication (at most the number of brokers) and the known configs.
pub fn validate_new_topic(
    name: &str,
    partitions: i32,
    replication: i16,
    brokers: usize,
    configs: &BTreeMap<String, String>,
) -> Result<(), String> {
    validate::topic_name(name).map_err(|e| format!("topic name: {e}"))?;
    validate::partitions(&partitions.to_string()).map_err(|e| format!("partitions: {e}"))?;
    validate::replication(&replication.to_string(), brokers)
        .map_err(|e| format!("replication: {e}"))?;
    for (key, value) in configs {
        validate_config(key, value)?;
    }
    Ok(())
}

/// Checks a topic-creation request against the form's rules; returns the topic's name.
pub fn check_create_request(
    request: &crate::model::action::ActionRequest,
    brokers: usize,
) -> Result<&str, String> {
    let crate::model::action::ActionRequest::CreateTopic {
        name,
        partitions,
        replication,
        configs,
    } = request
    else {
        return Err(format!("{} is not a topic creation", request.action_name()));
    };
    validate_new_topic(name, *partitions, *replication, brokers, configs)?;
    Ok(name)
}

/// Checks one config value opsdeck understands (`retention.ms`, `cleanup.policy`); other
/// keys are left to the broker, which answers with its own message.
pub fn validate_config(key: &str, value: &str) -> Result<(), String> {
    match key {
        "retention.ms" => retention_ms(value).map(|_| ()),
        "cleanup.policy" if !validate::CLEANUP_POLICIES.contains(&value) => Err(format!(
            "cleanup.policy: choose one of {}",
            validate::CLEANUP_POLICIES.join(", ")
        )),
        _ => Ok(()),
    }
}

/// `retention.ms` from either milliseconds (`604800000`, `-1`) or a duration the request
/// form accepts (`7d`, `infinite`).
pub fn retention_ms(raw: &str) -> Result<String, String> {
    let trimmed = raw.trim();
    if let Ok(ms) = trimmed.parse::<i64>() {
        return if ms == -1 || ms > 0 {
            Ok(ms.to_string())
        } else {
            Err("retention.ms: -1 (no limit) or a positive number of milliseconds".into())
        };
    }
    validate::retention(trimmed).map_err(|e| format!("retention.ms: {e}"))
}

/// A new partition total must be larger than the current count and within the form's
/// limits.
pub fn validate_partition_total(current: usize, total: i32) -> Result<(), String> {
    validate::partitions(&total.to_string()).map_err(|e| format!("partitions: {e}"))?;
    if usize::try_from(total).unwrap_or(0) <= current {
        return Err(format!(
            "partitions can only grow: the topic has {current}, asked for {total}"
        ));
    }
    Ok(())
}

/// Decodes a member's assignment as the Kafka consumer protocol encodes it (big endian:
/// `version: i16`, `[topic: string(i16 len), [partition: i32]]`, user data). `None` on
/// anything malformed, so a foreign protocol never panics the source.
#[must_use]
pub fn decode_assignment(bytes: &[u8]) -> Option<Vec<(String, Vec<i32>)>> {
    fn take<'a>(bytes: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
        if bytes.len() < n {
            return None;
        }
        let (head, tail) = bytes.split_at(n);
        *bytes = tail;
        Some(head)
    }
    fn i16_(bytes: &mut &[u8]) -> Option<i16> {
        take(bytes, 2).and_then(|b| b.try_into().ok().map(i16::from_be_bytes))
    }
    fn i32_(bytes: &mut &[u8]) -> Option<i32> {
        take(bytes, 4).and_then(|b| b.try_into().ok().map(i32::from_be_bytes))
    }
    if bytes.is_empty() {
        return Some(Vec::new());
    }
    let mut rest = bytes;
    let _version = i16_(&mut rest)?;
    let topics = i32_(&mut rest)?;
    let mut out = Vec::new();
    for _ in 0..topics.max(0) {
        let len = usize::try_from(i16_(&mut rest)?).ok()?;
        let name = String::from_utf8_lossy(take(&mut rest, len)?).into_owned();
        let count = i32_(&mut rest)?;
        if usize::try_from(count).ok()? > rest.len() / 4 {
            return None;
        }
        let mut partitions = Vec::new();
        for _ in 0..count {
            partitions.push(i32_(&mut rest)?);
        }
        out.push((name, partitions));
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(
        id: i32,
        leader: i32,
        replicas: &[i32],
        isr: &[i32],
        low: i64,
        high: i64,
    ) -> PartitionInfo {
        PartitionInfo {
            id,
            leader,
            replicas: replicas.to_vec(),
            isr: isr.to_vec(),
            low,
            high,
        }
    }

    fn conf(name: &str, value: &str) -> TopicConfig {
        TopicConfig {
            name: name.into(),
            value: Some(value.into()),
            source: ConfigSource::TopicOverride,
        }
    }

    #[test]
    fn lag_counts_from_commit_or_low_watermark() {
        assert_eq!(lag(0, 10, Some(4)), 6);
        assert_eq!(lag(3, 10, None), 7);
        assert_eq!(lag(3, 10, Some(-1001)), 7);
        assert_eq!(lag(0, 10, Some(12)), 0);
        assert_eq!(lag(0, 0, None), 0);
    }

    #[test]
    fn urp_and_offline_from_metadata() {
        let t = TopicInfo::new(
            "orders",
            vec![
                part(2, -1, &[1, 2, 3], &[], 0, 0),
                part(0, 1, &[1, 2, 3], &[1, 2, 3], 5, 15),
                part(1, 2, &[1, 2, 3], &[2], 0, 7),
            ],
            &[
                conf("retention.ms", "604800000"),
                conf("cleanup.policy", "compact"),
            ],
        );
        assert_eq!(
            t.partitions.iter().map(|p| p.id).collect::<Vec<_>>(),
            [0, 1, 2]
        );
        assert_eq!(t.replication, 3);
        assert_eq!(t.under_replicated, 2);
        assert_eq!(t.offline, 1);
        assert_eq!(t.messages, 17);
        assert_eq!(t.retention_ms, Some(604_800_000));
        assert_eq!(t.cleanup_policy.as_deref(), Some("compact"));
        assert!(!t.internal);
        assert!(TopicInfo::new("__consumer_offsets", vec![], &[]).internal);
        let snap = KafkaSnapshot {
            taken_at: Timestamp::UNIX_EPOCH,
            brokers: vec![],
            topics: vec![t],
            groups: vec![],
        };
        assert_eq!(snap.under_replicated(), 2);
        assert_eq!(snap.offline(), 1);
    }

    #[test]
    fn group_lag_with_assignment() {
        let topics = vec![TopicInfo::new(
            "orders",
            vec![part(0, 1, &[1], &[1], 0, 10), part(1, 1, &[1], &[1], 2, 20)],
            &[],
        )];
        let committed = BTreeMap::from([
            (("orders".to_owned(), 0), 4),
            (("orders".to_owned(), 1), -1001),
            (("gone".to_owned(), 0), 3),
        ]);
        let members = vec![GroupMember {
            id: "m-1".into(),
            assignment: vec![("orders".into(), vec![1])],
            ..GroupMember::default()
        }];
        let g = GroupInfo::new("billing", "Stable", members, &committed, &topics);
        assert_eq!(g.lag.len(), 2);
        assert_eq!(g.lag[0].lag, 6);
        assert_eq!(g.lag[0].member, None);
        assert_eq!(g.lag[1].committed, None);
        assert_eq!(g.lag[1].lag, 18);
        assert_eq!(g.lag[1].member.as_deref(), Some("m-1"));
        assert_eq!(g.total_lag, 24);
        assert_eq!(g.max_lag_per_topic.get("orders"), Some(&18));
        assert_eq!(g.topics(), ["orders"]);
    }

    #[test]
    fn readers_are_ordered_by_their_total_lag_on_the_topic() {
        let lag = |topic: &str, partition, lag| PartitionLag {
            topic: topic.into(),
            partition,
            committed: Some(0),
            low: 0,
            high: lag,
            lag,
            member: None,
        };
        let group = |name: &str, lags: Vec<PartitionLag>| {
            let mut g = GroupInfo {
                name: name.into(),
                lag: lags,
                ..GroupInfo::default()
            };
            g.recompute();
            g
        };
        // "a" has the worst single partition, "b" the most lag on the topic in total.
        let snapshot = KafkaSnapshot {
            taken_at: Timestamp::UNIX_EPOCH,
            brokers: vec![],
            topics: vec![],
            groups: vec![
                group("a", vec![lag("t", 0, 50), lag("u", 0, 900)]),
                group("b", vec![lag("t", 0, 40), lag("t", 1, 40)]),
                group("c", vec![lag("u", 0, 1)]),
            ],
        };
        let order: Vec<(&str, i64)> = snapshot
            .readers("t")
            .into_iter()
            .map(|(g, lag)| (g.name.as_str(), lag))
            .collect();
        assert_eq!(order, [("b", 80), ("a", 50)]);
    }

    #[test]
    fn lag_history_is_a_bounded_ring() {
        let mut h = LagHistory::default();
        for i in 0..40 {
            h.push("g", i);
        }
        let s = h.series("g");
        assert_eq!(s.len(), LAG_HISTORY);
        assert_eq!(s[0], 10);
        assert_eq!(s[LAG_HISTORY - 1], 39);
        h.push("neg", -5);
        assert_eq!(h.series("neg"), [0]);
        let snap = KafkaSnapshot {
            taken_at: Timestamp::UNIX_EPOCH,
            brokers: vec![],
            topics: vec![],
            groups: vec![GroupInfo {
                name: "g".into(),
                total_lag: 7,
                ..GroupInfo::default()
            }],
        };
        h.record(&snap);
        assert_eq!(h.series("g").last(), Some(&7));
        assert!(h.series("neg").is_empty(), "groups that left are forgotten");
        assert!(h.series("nobody").is_empty());
    }

    #[test]
    fn validation_reuses_the_form_rules() {
        let none = BTreeMap::new();
        assert!(validate_new_topic("orders.v1", 6, 1, 1, &none).is_ok());
        assert!(validate_new_topic("__x", 6, 1, 1, &none).is_err());
        assert!(
            validate_new_topic("orders", 0, 1, 1, &none)
                .expect_err("zero partitions")
                .starts_with("partitions")
        );
        assert!(validate_new_topic("orders", 3, 3, 1, &none).is_err());
        let bad = BTreeMap::from([("cleanup.policy".to_owned(), "shred".to_owned())]);
        assert!(validate_new_topic("orders", 3, 1, 1, &bad).is_err());
        assert_eq!(retention_ms("7d"), Ok("604800000".into()));
        assert_eq!(retention_ms("604800000"), Ok("604800000".into()));
        assert_eq!(retention_ms("-1"), Ok("-1".into()));
        assert!(retention_ms("0").is_err());
        assert!(validate_config("retention.ms", "soon").is_err());
        assert!(validate_config("segment.bytes", "whatever").is_ok());
        assert!(validate_partition_total(3, 6).is_ok());
        assert!(validate_partition_total(3, 3).is_err());
        assert!(validate_partition_total(3, 0).is_err());
    }

    #[test]
    fn assignment_decoding() {
        let mut b = Vec::new();
        b.extend(0i16.to_be_bytes());
        b.extend(1i32.to_be_bytes());
        b.extend(6i16.to_be_bytes());
        b.extend(b"orders");
        b.extend(2i32.to_be_bytes());
        b.extend(0i32.to_be_bytes());
        b.extend(2i32.to_be_bytes());
        b.extend((-1i32).to_be_bytes());
        assert_eq!(
            decode_assignment(&b),
            Some(vec![("orders".to_owned(), vec![0, 2])])
        );
        assert_eq!(decode_assignment(&[]), Some(vec![]));
        assert_eq!(decode_assignment(&b[..9]), None);
        let mut huge = b[..14].to_vec();
        huge.extend(i32::MAX.to_be_bytes());
        assert_eq!(decode_assignment(&huge), None);
    }
}
