//! The sandbox's simulated Kafka cluster: [`snapshot`] builds a [`KafkaSnapshot`] from the
//! [`World`] (the topics the fleet produces, the topics created through the platform, one
//! consumer group per consuming service), and the `ConsumerLag` incident makes its group's
//! lag grow with the world's clock. [`KafkaOverlay`] holds what admin actions changed
//! (deleted topics and groups, config overrides, added partitions); [`apply`] is the
//! simulated executor's logic, checked by the same rules as the real one.

use std::collections::{BTreeMap, BTreeSet};

use crate::actions::ActionRequest;
use crate::model::kafka::{
    BrokerInfo, ConfigSource, GroupInfo, GroupMember, KafkaSnapshot, PartitionInfo, TopicConfig,
    TopicInfo, is_internal, validate_config, validate_new_topic, validate_partition_total,
};

use std::time::Duration;

use tokio::sync::mpsc;

use super::fleet::{Rng, SERVICES};
use super::{BROKERS, IncidentKind, SandboxHandle, World};
use crate::actions::gate::{ExecResult, Executor};
use crate::sources::poller::{self, PollSettings};
use crate::sources::{Control, Reporter, SourceBody, SourceEvent, SourceHandle, SourceId};

/// Partitions of the fleet's own topics.
const PARTITIONS: i32 = 6;
/// Messages per second each fleet topic receives (per partition, before jitter).
const RATE: u64 = 5;
/// Extra lag per second while a `ConsumerLag` incident is active.
const LAG_RATE: u64 = 40;

/// Changes made by admin actions on top of the seeded cluster.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct KafkaOverlay {
    pub deleted_topics: BTreeSet<String>,
    pub deleted_groups: BTreeSet<String>,
    /// Topic → key → value (topic overrides).
    pub configs: BTreeMap<String, BTreeMap<String, String>>,
    /// Topic → new partition total.
    pub partitions: BTreeMap<String, i32>,
    /// (group, topic, partition) → offset committed by a reset.
    pub offsets: BTreeMap<(String, String, i32), i64>,
}

fn seeded(seed: u64, name: &str) -> Rng {
    let h = name
        .bytes()
        .fold(seed, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
    Rng::new(h)
}

fn secs(world: &World) -> u64 {
    world.elapsed.as_secs()
}

fn fleet_topics() -> BTreeSet<&'static str> {
    SERVICES
        .iter()
        .flat_map(|t| t.5.iter().chain(t.6.iter()).copied())
        .collect()
}

fn topic(world: &World, overlay: &KafkaOverlay, name: &str, partitions: i32, rf: i16) -> TopicInfo {
    let mut rng = seeded(world.seed, name);
    let total = overlay.partitions.get(name).copied().unwrap_or(partitions);
    let rf = usize::try_from(rf).unwrap_or(1).clamp(1, BROKERS);
    let created = world.created_topics.contains_key(name);
    let parts = (0..total)
        .map(|id| {
            let leader = i32::try_from(usize::try_from(id).unwrap_or(0) % BROKERS).unwrap_or(0) + 1;
            let replicas: Vec<i32> = (0..rf)
                .map(|r| {
                    let b = (usize::try_from(leader).unwrap_or(1) - 1 + r) % BROKERS;
                    i32::try_from(b).unwrap_or(0) + 1
                })
                .collect();
            let base = if created {
                0
            } else {
                1_000 + rng.below(50_000) as u64
            };
            let rate = if created {
                0
            } else {
                RATE + rng.below(5) as u64
            };
            let high = i64::try_from(base + rate * secs(world)).unwrap_or(i64::MAX);
            PartitionInfo {
                id,
                leader,
                isr: replicas.clone(),
                replicas,
                low: 0,
                high,
            }
        })
        .collect();
    TopicInfo::new(name, parts, &configs(world, overlay, name))
}

/// What every simulated topic inherits: Kafka's defaults, and one value the simulated
/// brokers set in their own configuration (as a real cluster with three brokers would).
const DEFAULT_CONFIGS: &[(&str, &str, ConfigSource)] = &[
    ("cleanup.policy", "delete", ConfigSource::Default),
    ("compression.type", "producer", ConfigSource::Default),
    ("max.message.bytes", "1048588", ConfigSource::Default),
    ("min.insync.replicas", "2", ConfigSource::Broker),
    ("retention.bytes", "-1", ConfigSource::Default),
    ("retention.ms", "604800000", ConfigSource::Default),
    ("segment.bytes", "1073741824", ConfigSource::Default),
    (
        "unclean.leader.election.enable",
        "false",
        ConfigSource::Default,
    ),
];

/// The topic's configs: its overrides (from creation and later alters) over the defaults.
#[must_use]
pub fn configs(world: &World, overlay: &KafkaOverlay, name: &str) -> Vec<TopicConfig> {
    let mut out: BTreeMap<String, TopicConfig> = DEFAULT_CONFIGS
        .iter()
        .map(|&(k, v, source)| {
            (
                k.to_owned(),
                TopicConfig {
                    name: k.to_owned(),
                    value: Some(v.to_owned()),
                    source,
                },
            )
        })
        .collect();
    let created = world.created_topics.get(name).map(|s| &s.configs);
    for (k, v) in created
        .into_iter()
        .flatten()
        .chain(overlay.configs.get(name).into_iter().flatten())
    {
        out.insert(
            k.clone(),
            TopicConfig {
                name: k.clone(),
                value: Some(v.clone()),
                source: ConfigSource::TopicOverride,
            },
        );
    }
    out.into_values().collect()
}

/// The simulated cluster now.
#[must_use]
pub fn snapshot(world: &World, overlay: &KafkaOverlay) -> KafkaSnapshot {
    let mut topics: Vec<TopicInfo> = fleet_topics()
        .into_iter()
        .map(|n| topic(world, overlay, n, PARTITIONS, 3))
        .chain(
            world
                .created_topics
                .values()
                .map(|s| topic(world, overlay, &s.name, s.partitions, s.replication)),
        )
        .filter(|t| !overlay.deleted_topics.contains(&t.name))
        .collect();
    topics.sort_by(|a, b| a.name.cmp(&b.name));
    topics.dedup_by(|a, b| a.name == b.name);

    let lagging: BTreeSet<&str> = world
        .active_incidents()
        .filter_map(|i| match &i.kind {
            IncidentKind::ConsumerLag { group, .. } => Some(group.as_str()),
            _ => None,
        })
        .collect();
    let mut groups = Vec::new();
    for t in SERVICES.iter().filter(|t| !t.6.is_empty()) {
        let name = format!("{}-consumer", t.0);
        if overlay.deleted_groups.contains(&name) {
            continue;
        }
        let mut rng = seeded(world.seed, &name);
        let extra = if lagging.contains(name.as_str()) {
            LAG_RATE * secs(world) + 500
        } else {
            0
        };
        let mut committed = BTreeMap::new();
        let mut assignment = Vec::new();
        for topic_name in t.6 {
            let Some(info) = topics.iter().find(|x| x.name == *topic_name) else {
                continue;
            };
            for p in &info.partitions {
                let behind = rng.below(20) as u64 + extra / info.partitions.len().max(1) as u64;
                let offset = (p.high - i64::try_from(behind).unwrap_or(0)).max(0);
                committed.insert(((*topic_name).to_owned(), p.id), offset);
            }
            assignment.push((
                (*topic_name).to_owned(),
                info.partitions.iter().map(|p| p.id).collect(),
            ));
        }
        let members = vec![GroupMember {
            id: format!("{}-0", t.0),
            client_id: t.0.to_owned(),
            host: format!("/10.0.{}.{}", rng.below(8), rng.below(250)),
            assignment,
        }];
        groups.push(GroupInfo::new(
            &name, "Stable", members, &committed, &topics,
        ));
    }
    super::kafka_first_aid::add_groups(
        &overlay.offsets,
        &topics,
        &mut groups,
        world.now().as_millisecond(),
    );
    groups.sort_by(|a, b| a.name.cmp(&b.name));
    KafkaSnapshot {
        taken_at: world.now(),
        brokers: (1..=BROKERS)
            .map(|i| BrokerInfo {
                id: i32::try_from(i).unwrap_or(0),
                host: format!("kafka-{i}.sandbox"),
                port: 9092,
                controller: i == 1,
            })
            .collect(),
        topics,
        groups,
    }
}

/// Carries out one Kafka action on the simulated cluster, with the real executor's rules.
/// Topic creation goes through [`World::create_topic`], as the platform's fulfilment does.
pub fn apply(
    world: &mut World,
    overlay: &mut KafkaOverlay,
    request: &ActionRequest,
) -> Result<String, String> {
    let current = snapshot(world, overlay);
    match request {
        ActionRequest::CreateTopic {
            name,
            partitions,
            replication,
            configs,
        } => {
            validate_new_topic(name, *partitions, *replication, BROKERS, configs)?;
            if current.topic(name).is_some() {
                return Err(format!("topic {name} already exists"));
            }
            overlay.deleted_topics.remove(name);
            overlay.configs.remove(name);
            overlay.partitions.remove(name);
            world.created_topics.remove(name);
            world.create_topic(crate::model::platform::KafkaTopicSpec {
                name: name.clone(),
                partitions: *partitions,
                replication: *replication,
                configs: configs.clone(),
                owner_service: String::new(),
                reason: "sandbox action".into(),
            })?;
            Ok(format!("created topic {name}"))
        }
        ActionRequest::DeleteTopic { name } => {
            if is_internal(name) {
                return Err(format!(
                    "{name} is internal to Kafka; opsdeck never deletes it"
                ));
            }
            current
                .topic(name)
                .ok_or_else(|| format!("no topic named {name}"))?;
            overlay.deleted_topics.insert(name.clone());
            Ok(format!("deleted topic {name}"))
        }
        ActionRequest::AlterTopicConfigs { name, set, delete } => {
            current
                .topic(name)
                .ok_or_else(|| format!("no topic named {name}"))?;
            for (k, v) in set {
                validate_config(k, v)?;
            }
            let o = overlay.configs.entry(name.clone()).or_default();
            o.extend(set.clone());
            for k in delete {
                o.remove(k);
            }
            if let Some(spec) = world.created_topics.get_mut(name) {
                for k in delete {
                    spec.configs.remove(k);
                }
            }
            Ok(format!(
                "topic {name}: set {}, reset {}",
                set.len(),
                delete.len()
            ))
        }
        ActionRequest::AddPartitions { name, total } => {
            let t = current
                .topic(name)
                .ok_or_else(|| format!("no topic named {name}"))?;
            validate_partition_total(t.partitions.len(), *total)?;
            overlay.partitions.insert(name.clone(), *total);
            Ok(format!(
                "topic {name}: {} → {total} partitions",
                t.partitions.len()
            ))
        }
        ActionRequest::DeleteGroup { group } => {
            let g = current
                .group(group)
                .ok_or_else(|| format!("no group named {group}"))?;
            if !g.members.is_empty() {
                return Err(format!("group {group} has active members; stop them first"));
            }
            overlay.deleted_groups.insert(group.clone());
            Ok(format!("deleted consumer group {group}"))
        }
        ActionRequest::ResetGroupOffsets { .. } => {
            let mut o = std::mem::take(overlay);
            std::mem::swap(&mut world.kafka, &mut o);
            let r = super::kafka_first_aid::reset(world, &current, request);
            std::mem::swap(&mut world.kafka, &mut o);
            *overlay = o;
            r
        }
        ActionRequest::PeekMessages { .. } => super::kafka_first_aid::peek(&current, request)
            .map(|r| crate::model::kafka_peek::summary(&r)),
        other => Err(format!("{} is not a Kafka action", other.action_name())),
    }
}

impl World {
    /// The simulated Kafka cluster now.
    #[must_use]
    pub fn kafka_snapshot(&self) -> KafkaSnapshot {
        snapshot(self, &self.kafka)
    }

    /// One topic's configs with their sources, for the topic detail.
    pub fn kafka_configs(&self, topic: &str) -> Result<Vec<TopicConfig>, String> {
        if self.kafka_snapshot().topic(topic).is_none() {
            return Err(format!("no topic named {topic}"));
        }
        Ok(configs(self, &self.kafka, topic))
    }

    /// Checks a new topic's plan against the simulated cluster without creating it.
    pub fn kafka_plan(&self, request: &ActionRequest) -> Result<String, String> {
        let name = crate::model::kafka::check_create_request(request, BROKERS)?;
        if self.kafka_snapshot().topic(name).is_some() {
            return Err(format!("topic {name} already exists"));
        }
        Ok(format!(
            "✓ the simulated brokers accepted this plan (validate_only); {BROKERS} brokers"
        ))
    }

    /// Carries out one Kafka action on the simulated cluster.
    pub fn kafka_action(&mut self, request: &ActionRequest) -> Result<String, String> {
        let mut overlay = std::mem::take(&mut self.kafka);
        let result = apply(self, &mut overlay, request);
        self.kafka = overlay;
        result
    }
}

/// Runs admitted Kafka actions against the sandbox's simulated cluster.
#[derive(Debug, Clone)]
pub struct SandboxKafkaExecutor {
    pub sandbox: SandboxHandle,
}

impl Executor for SandboxKafkaExecutor {
    async fn execute(&self, request: &ActionRequest) -> ExecResult {
        self.sandbox.kafka_action(request.clone()).await.into()
    }
}

/// Starts the sandbox Kafka source (a snapshot every 2 s, like a busy real cluster).
#[must_use]
pub fn spawn_kafka(
    sandbox: SandboxHandle,
    generation: u64,
    events: mpsc::Sender<SourceEvent>,
) -> SourceHandle {
    let (control_tx, control_rx) = mpsc::channel::<Control>(8);
    let reporter = Reporter::new(SourceId::Kafka, generation, events);
    let settings = PollSettings {
        interval: Duration::from_secs(2),
        timeout: Duration::from_secs(2),
    };
    let task = tokio::spawn(poller::run(reporter, control_rx, settings, move |_scope| {
        let sandbox = sandbox.clone();
        async move { sandbox.kafka().await.map(SourceBody::Kafka) }
    }));
    SourceHandle::new(SourceId::Kafka, control_tx, task)
}

#[cfg(test)]
mod tests {
    use jiff::Timestamp;

    use super::*;

    #[test]
    fn the_lag_incident_grows_its_group() {
        let mut world = World::new(7, Timestamp::UNIX_EPOCH);
        let overlay = KafkaOverlay::default();
        let before = snapshot(&world, &overlay);
        assert!(!before.topics.is_empty());
        assert_eq!(before.brokers.len(), BROKERS);
        let lagging = before
            .group("analytics-ingest-consumer")
            .expect("group")
            .total_lag;
        world.advance(Duration::from_mins(1));
        let after = snapshot(&world, &overlay);
        let grown = after
            .group("analytics-ingest-consumer")
            .expect("group")
            .total_lag;
        assert!(grown >= lagging + 60 * 40 - 100, "{lagging} → {grown}");
        let calm = after
            .groups
            .iter()
            .filter(|g| g.name != "analytics-ingest-consumer")
            .map(|g| g.total_lag)
            .max()
            .unwrap_or(0);
        assert!(calm < grown);
        assert_eq!(snapshot(&world, &overlay), after, "deterministic");
    }

    #[test]
    fn actions_change_the_simulated_cluster() {
        let mut world = World::new(7, Timestamp::UNIX_EPOCH);
        let mut o = KafkaOverlay::default();
        let create = ActionRequest::CreateTopic {
            name: "sandbox.new".into(),
            partitions: 2,
            replication: 2,
            configs: BTreeMap::from([("cleanup.policy".into(), "compact".into())]),
        };
        apply(&mut world, &mut o, &create).expect("create");
        assert!(apply(&mut world, &mut o, &create).is_err(), "exists");
        let t = snapshot(&world, &o)
            .topic("sandbox.new")
            .cloned()
            .expect("listed");
        assert_eq!((t.partitions.len(), t.replication), (2, 2));
        assert_eq!(t.cleanup_policy.as_deref(), Some("compact"));
        let alter = ActionRequest::AlterTopicConfigs {
            name: "sandbox.new".into(),
            set: BTreeMap::from([("retention.ms".into(), "3600000".into())]),
            delete: vec!["cleanup.policy".into()],
        };
        apply(&mut world, &mut o, &alter).expect("alter");
        let t = snapshot(&world, &o)
            .topic("sandbox.new")
            .cloned()
            .expect("listed");
        assert_eq!(t.retention_ms, Some(3_600_000));
        assert_eq!(
            t.cleanup_policy.as_deref(),
            Some("delete"),
            "back to the default"
        );
        let grow = ActionRequest::AddPartitions {
            name: "sandbox.new".into(),
            total: 4,
        };
        apply(&mut world, &mut o, &grow).expect("grow");
        assert_eq!(
            snapshot(&world, &o)
                .topic("sandbox.new")
                .map(|t| t.partitions.len()),
            Some(4)
        );
        let internal = ActionRequest::DeleteTopic {
            name: "__consumer_offsets".into(),
        };
        assert!(apply(&mut world, &mut o, &internal).is_err());
        let delete = ActionRequest::DeleteTopic {
            name: "sandbox.new".into(),
        };
        apply(&mut world, &mut o, &delete).expect("delete");
        assert!(snapshot(&world, &o).topic("sandbox.new").is_none());
        let group = ActionRequest::DeleteGroup {
            group: "analytics-ingest-consumer".into(),
        };
        assert!(
            apply(&mut world, &mut o, &group)
                .expect_err("members")
                .contains("active")
        );
    }
}
