//! The cached librdkafka handles of one context and the blocking reads behind a snapshot.
//!
//! One [`AdminClient`] serves metadata, watermarks, the group list and the admin calls; one
//! `BaseConsumer` per consumer group (cached, never subscribed, auto-commit off) answers that
//! group's committed offsets, as the reference recommends (§1.4, §2). Never a client per
//! partition. Every blocking librdkafka call runs in `spawn_blocking` behind a shared
//! semaphore, so a slow cluster cannot take every blocking thread.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiff::Timestamp;
use rdkafka::admin::{AdminClient, AdminOptions, ResourceSpecifier};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use tokio::sync::Semaphore;

use crate::config::KafkaConfig;
use crate::model::clean;
use crate::model::kafka::{
    BrokerInfo, ConfigSource, GroupInfo, GroupMember, KafkaSnapshot, PartitionInfo, TopicConfig,
    TopicInfo, decode_assignment,
};

/// Blocking calls allowed at once per context.
pub const MAX_BLOCKING: usize = 4;

/// Builds the librdkafka configuration: brokers, the pass-through properties, then the
/// secret properties resolved from their references (blocking when a command runs).
pub fn client_config(cfg: &KafkaConfig) -> Result<ClientConfig, String> {
    let mut config = ClientConfig::new();
    config.set("bootstrap.servers", cfg.brokers.join(","));
    for (key, value) in &cfg.properties {
        config.set(key, value);
    }
    for (key, secret) in &cfg.secret_properties {
        let value = secret
            .resolve()
            .map_err(|e| format!("kafka property {key} ({}): {e}", secret.describe()))?;
        config.set(key, value);
    }
    Ok(config)
}

/// The handles of one context. Cheap to share: clone the `Arc`.
pub struct KafkaClient {
    config: ClientConfig,
    admin: AdminClient<DefaultClientContext>,
    groups: Mutex<HashMap<String, Arc<BaseConsumer>>>,
    limit: Arc<Semaphore>,
    /// Per blocking call.
    pub timeout: Duration,
}

impl std::fmt::Debug for KafkaClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaClient")
            .field("timeout", &self.timeout)
            .finish_non_exhaustive()
    }
}

impl KafkaClient {
    /// Creates the admin client (no network traffic yet). Resolves secrets, so it may
    /// block; call it from `spawn_blocking` when a secret is a command.
    pub fn new(cfg: &KafkaConfig, timeout: Duration) -> Result<Arc<Self>, String> {
        let config = client_config(cfg)?;
        let admin = config
            .create::<AdminClient<DefaultClientContext>>()
            .map_err(|e| format!("kafka client: {e}"))?;
        Ok(Arc::new(Self {
            config,
            admin,
            groups: Mutex::new(HashMap::new()),
            limit: Arc::new(Semaphore::new(MAX_BLOCKING)),
            timeout,
        }))
    }

    /// The admin client (admin calls are futures over librdkafka's queue, not blocking).
    #[must_use]
    pub fn admin(&self) -> &AdminClient<DefaultClientContext> {
        &self.admin
    }

    /// Options for one admin call with this client's timeout.
    #[must_use]
    pub fn admin_options(&self) -> AdminOptions {
        AdminOptions::new()
            .request_timeout(Some(self.timeout))
            .operation_timeout(Some(self.timeout))
    }

    /// Runs one blocking call on the blocking pool, holding a permit of the semaphore.
    pub async fn blocking<T, F>(self: &Arc<Self>, f: F) -> Result<T, String>
    where
        T: Send + 'static,
        F: FnOnce(&Self) -> Result<T, String> + Send + 'static,
    {
        let _permit = self
            .limit
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| "kafka client closed".to_owned())?;
        let me = Arc::clone(self);
        tokio::task::spawn_blocking(move || f(&me))
            .await
            .map_err(|e| format!("kafka call panicked or was cancelled: {e}"))?
    }

    /// The cached consumer that reads `group`'s committed offsets (never subscribes).
    fn group_consumer(&self, group: &str) -> Result<Arc<BaseConsumer>, String> {
        let mut cache = self
            .groups
            .lock()
            .map_err(|_| "kafka consumer cache poisoned".to_owned())?;
        if let Some(c) = cache.get(group) {
            return Ok(Arc::clone(c));
        }
        let consumer: BaseConsumer = self
            .config
            .clone()
            .set("group.id", group)
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .create()
            .map_err(|e| format!("kafka consumer for group {group}: {e}"))?;
        let consumer = Arc::new(consumer);
        cache.insert(group.to_owned(), Arc::clone(&consumer));
        Ok(consumer)
    }

    /// Drops cached consumers of groups that no longer exist (bounded memory).
    fn retain_groups(&self, alive: &[String]) {
        if let Ok(mut cache) = self.groups.lock() {
            cache.retain(|g, _| alive.contains(g));
        }
    }

    /// Topic configs (`DescribeConfigs`), for the config view and the snapshot's retention.
    pub async fn describe_configs(
        &self,
        topics: &[String],
    ) -> Result<BTreeMap<String, Vec<TopicConfig>>, String> {
        if topics.is_empty() {
            return Ok(BTreeMap::new());
        }
        let specs: Vec<ResourceSpecifier<'_>> = topics
            .iter()
            .map(|t| ResourceSpecifier::Topic(t.as_str()))
            .collect();
        let fut = self.admin.describe_configs(&specs, &self.admin_options());
        let results = tokio::time::timeout(self.timeout, fut)
            .await
            .map_err(|_| "describe configs: no answer in time".to_owned())?
            .map_err(|e| format!("describe configs: {e}"))?;
        let mut out = BTreeMap::new();
        for (topic, result) in topics.iter().zip(results) {
            let Ok(resource) = result else { continue };
            let mut configs: Vec<TopicConfig> = resource
                .entries
                .into_iter()
                .map(|e| TopicConfig {
                    name: clean(&e.name),
                    value: if e.is_sensitive {
                        None
                    } else {
                        e.value.map(|v| clean(&v))
                    },
                    source: config_source(&e.source),
                })
                .collect();
            configs.sort_by(|a, b| a.name.cmp(&b.name));
            out.insert(topic.clone(), configs);
        }
        Ok(out)
    }

    /// One whole snapshot. `scope`, when set, keeps the topics and groups whose name
    /// contains it.
    pub async fn snapshot(self: &Arc<Self>, scope: Option<&str>) -> Result<KafkaSnapshot, String> {
        let timeout = self.timeout;
        let metadata = self
            .blocking(move |c| {
                let md = c
                    .admin
                    .inner()
                    .fetch_metadata(None, timeout)
                    .map_err(|e| format!("metadata: {e}"))?;
                let brokers: Vec<BrokerInfo> = md
                    .brokers()
                    .iter()
                    .map(|b| BrokerInfo {
                        id: b.id(),
                        host: clean(b.host()),
                        port: b.port(),
                        controller: false,
                    })
                    .collect();
                let topics: Vec<(String, Vec<PartitionInfo>)> = md
                    .topics()
                    .iter()
                    .filter(|t| t.error().is_none())
                    .map(|t| {
                        let parts = t
                            .partitions()
                            .iter()
                            .map(|p| PartitionInfo {
                                id: p.id(),
                                leader: p.leader(),
                                replicas: p.replicas().to_vec(),
                                isr: p.isr().to_vec(),
                                low: 0,
                                high: 0,
                            })
                            .collect();
                        (t.name().to_owned(), parts)
                    })
                    .collect();
                Ok((brokers, topics))
            })
            .await?;
        let (mut brokers, topics) = metadata;
        brokers.sort_by_key(|b| b.id);
        let in_scope = |name: &str| scope.is_none_or(|s| name.contains(s));
        let topics: Vec<(String, Vec<PartitionInfo>)> =
            topics.into_iter().filter(|(n, _)| in_scope(n)).collect();

        // Watermarks: one blocking call per partition, at most MAX_BLOCKING at once.
        let mut watermark_jobs = Vec::new();
        for (name, parts) in &topics {
            for p in parts {
                let (topic, id) = (name.clone(), p.id);
                watermark_jobs.push(self.blocking(move |c| {
                    match c.admin.inner().fetch_watermarks(&topic, id, timeout) {
                        Ok(w) => Ok((topic, id, w)),
                        Err(e) => Err(format!("watermarks of {}/{id}: {e}", clean(&topic))),
                    }
                }));
            }
        }
        let mut watermarks = BTreeMap::new();
        for r in futures::future::join_all(watermark_jobs).await {
            let (topic, id, w) = r?;
            watermarks.insert((topic, id), w);
        }

        let names: Vec<String> = topics.iter().map(|(n, _)| n.clone()).collect();
        // Configs are a nicety (retention, cleanup policy): a broker that refuses
        // DescribeConfigs still gets a snapshot.
        let configs = self.describe_configs(&names).await.unwrap_or_default();
        let mut topic_infos: Vec<TopicInfo> = topics
            .into_iter()
            .map(|(name, mut parts)| {
                for p in &mut parts {
                    if let Some((low, high)) = watermarks.get(&(name.clone(), p.id)) {
                        p.low = *low;
                        p.high = *high;
                    }
                }
                let cfg = configs.get(&name).map(Vec::as_slice).unwrap_or_default();
                TopicInfo::new(&clean(&name), parts, cfg)
            })
            .collect();
        topic_infos.sort_by(|a, b| a.name.cmp(&b.name));

        let groups = self.groups(&topic_infos, scope).await?;
        Ok(KafkaSnapshot {
            taken_at: Timestamp::now(),
            brokers,
            topics: topic_infos,
            groups,
        })
    }

    /// Groups with members and lag over `topics`.
    async fn groups(
        self: &Arc<Self>,
        topics: &[TopicInfo],
        scope: Option<&str>,
    ) -> Result<Vec<GroupInfo>, String> {
        let timeout = self.timeout;
        let listed = self
            .blocking(move |c| {
                let list = c
                    .admin
                    .inner()
                    .fetch_group_list(None, timeout)
                    .map_err(|e| format!("group list: {e}"))?;
                Ok(list
                    .groups()
                    .iter()
                    .map(|g| {
                        let members = g
                            .members()
                            .iter()
                            .map(|m| GroupMember {
                                id: clean(m.id()),
                                client_id: clean(m.client_id()),
                                host: clean(m.client_host()),
                                assignment: m
                                    .assignment()
                                    .and_then(decode_assignment)
                                    .unwrap_or_default(),
                            })
                            .collect::<Vec<_>>();
                        (g.name().to_owned(), g.state().to_owned(), members)
                    })
                    .collect::<Vec<_>>())
            })
            .await?;
        let listed: Vec<_> = listed
            .into_iter()
            .filter(|(name, _, _)| scope.is_none_or(|s| name.contains(s)))
            .collect();
        self.retain_groups(&listed.iter().map(|(n, _, _)| n.clone()).collect::<Vec<_>>());

        let mut tpl = TopicPartitionList::new();
        for t in topics.iter().filter(|t| !t.internal) {
            for p in &t.partitions {
                tpl.add_partition(&t.name, p.id);
            }
        }
        let mut jobs = Vec::new();
        for (name, state, members) in listed {
            let tpl = tpl.clone();
            jobs.push(self.blocking(move |c| {
                let consumer = c.group_consumer(&name)?;
                let offsets = if tpl.count() == 0 {
                    BTreeMap::new()
                } else {
                    committed(&consumer, &tpl, timeout)
                        .map_err(|e| format!("offsets of group {}: {e}", clean(&name)))?
                };
                Ok((name, state, members, offsets))
            }));
        }
        let mut groups = Vec::new();
        for r in futures::future::join_all(jobs).await {
            let (name, state, members, mut offsets) = r?;
            // Keep partitions the group committed to or owns now (no commit yet).
            offsets.retain(|(topic, partition), offset| {
                *offset >= 0
                    || members.iter().any(|m| {
                        m.assignment
                            .iter()
                            .any(|(t, ps)| t == topic && ps.contains(partition))
                    })
            });
            groups.push(GroupInfo::new(
                &clean(&name),
                &clean(&state),
                members,
                &offsets,
                topics,
            ));
        }
        groups.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(groups)
    }
}

/// Committed offsets of the consumer's group; `-1` where the group has none.
fn committed(
    consumer: &BaseConsumer,
    tpl: &TopicPartitionList,
    timeout: Duration,
) -> Result<BTreeMap<(String, i32), i64>, String> {
    let answer = consumer
        .committed_offsets(tpl.clone(), timeout)
        .map_err(|e| e.to_string())?;
    Ok(answer
        .elements()
        .iter()
        .map(|e| {
            let offset = match e.offset() {
                Offset::Offset(o) => o,
                _ => -1,
            };
            ((e.topic().to_owned(), e.partition()), offset)
        })
        .collect())
}

fn config_source(source: &rdkafka::admin::ConfigSource) -> ConfigSource {
    use rdkafka::admin::ConfigSource as S;
    match source {
        S::Default => ConfigSource::Default,
        S::DynamicTopic => ConfigSource::TopicOverride,
        S::DynamicBroker | S::DynamicDefaultBroker | S::StaticBroker => ConfigSource::Broker,
        S::Unknown => ConfigSource::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_sources_map_to_the_three_the_pane_shows() {
        use rdkafka::admin::ConfigSource as S;
        assert_eq!(config_source(&S::DynamicTopic), ConfigSource::TopicOverride);
        assert_eq!(config_source(&S::Default), ConfigSource::Default);
        for broker in [S::DynamicBroker, S::DynamicDefaultBroker, S::StaticBroker] {
            assert_eq!(config_source(&broker), ConfigSource::Broker);
        }
        assert_eq!(config_source(&S::Unknown), ConfigSource::Other);
    }
}
