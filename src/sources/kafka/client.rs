//! The cached librdkafka handles of one context and the blocking reads behind a snapshot.
//!
//! One [`AdminClient`] serves the group list and the topic admin calls; one `BaseConsumer`
//! (never subscribed, auto-commit off) answers metadata, with the cause of an unreachable
//! broker from its [`KafkaContext`], and `ListOffsets` for watermarks, in chunks. Never a
//! client per partition or per group. Every blocking librdkafka call runs
//! in `spawn_blocking` behind a shared semaphore, so a slow cluster cannot take every
//! blocking thread.
//!
//! Requests to a group's coordinator (each group's committed offsets, `ListConsumerGroupOffsets`
//! in [`super::group_offsets`], and group deletion) run on librdkafka instances of their
//! own, [`GroupAdmins`], with opsdeck's deadline in place of librdkafka's request timeout:
//! a librdkafka-side timeout of such a request aborts the process when the broker comes
//! back (librdkafka 2.12.1; the cause and the upstream references are in
//! [`super::coordinator`]).
//!
//! Every other admin call is given the call timeout as librdkafka's request timeout and
//! waited on [`ANSWER_GRACE`] longer, so librdkafka's own "timed out" ends it.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use jiff::Timestamp;
use rdkafka::admin::{AdminClient, AdminOptions, ResourceSpecifier};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::metadata::Metadata;
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use tokio::sync::Semaphore;

use super::admin_call::CallError;
use super::context::KafkaContext;
use super::coordinator::{GroupAdmins, LIBRDKAFKA_MAX_TIMEOUT};
use super::group_offsets::list_group_offsets;
use crate::config::KafkaConfig;
use crate::model::clean;
use crate::model::kafka::{
    BrokerInfo, ConfigSource, GroupInfo, GroupMember, KafkaSnapshot, PartitionInfo, TopicConfig,
    TopicInfo, decode_assignment,
};

/// Blocking calls allowed at once per context.
pub const MAX_BLOCKING: usize = 4;

/// How much longer than librdkafka's request timeout opsdeck waits for an admin answer, so
/// librdkafka ends the request and says why.
pub const ANSWER_GRACE: Duration = Duration::from_secs(2);

/// `((topic, partition), (low, high))`.
type PartitionWatermarks = ((String, i32), (i64, i64));

/// Partitions per `ListOffsets` request (`benches/kafka.rs`: 12,000 partitions in 500s take
/// about a tenth of the time one request over all of them does).
const WATERMARK_CHUNK: usize = 500;

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
    admin: AdminClient<DefaultClientContext>,
    /// Coordinator-targeted requests (group offsets, group deletion).
    groups: GroupAdmins,
    /// Answers metadata and `ListOffsets` (watermarks); it never subscribes or commits.
    /// A consumer serves its error events when polled (the admin client's are never
    /// served), so its context can tell why a broker was unreachable.
    offsets: BaseConsumer<KafkaContext>,
    limit: Arc<Semaphore>,
    /// The librdkafka configuration, for the short-lived readers of a peek.
    config: ClientConfig,
    /// Timestamps of the messages at committed offsets (lag in time).
    timestamps: super::time_lag::TimestampCache,
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
        let offsets = config
            .clone()
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .create_with_context::<_, BaseConsumer<KafkaContext>>(KafkaContext::default())
            .map_err(|e| format!("kafka client: {e}"))?;
        Ok(Arc::new(Self {
            admin,
            groups: GroupAdmins::new(config.clone()),
            config,
            timestamps: super::time_lag::TimestampCache::default(),
            offsets,
            limit: Arc::new(Semaphore::new(MAX_BLOCKING)),
            timeout,
        }))
    }

    /// The admin client (admin calls are futures over librdkafka's queue, not blocking).
    #[must_use]
    pub fn admin(&self) -> &AdminClient<DefaultClientContext> {
        &self.admin
    }

    /// The cluster's metadata (every topic), waiting up to `timeout`; a broker that cannot
    /// be reached is explained with the cause librdkafka reported (a certificate that does
    /// not verify, a refused connection). Blocking: call it from [`KafkaClient::blocking`].
    pub fn metadata(&self, timeout: Duration) -> Result<Metadata, String> {
        let started = Instant::now();
        self.offsets.fetch_metadata(None, timeout).map_err(|e| {
            // Polling the never-assigned consumer only serves its events (errors among
            // them), there are no messages to take.
            self.offsets
                .context()
                .explain(format!("metadata: {e}"), &e, started, || {
                    let _ = self.offsets.poll(Duration::from_millis(50));
                })
        })
    }

    /// Options for one admin call to the controller or any broker, with this client's
    /// timeout as librdkafka's: wait [`KafkaClient::answer_wait`] for the answer.
    #[must_use]
    pub fn admin_options(&self) -> AdminOptions {
        AdminOptions::new()
            .request_timeout(Some(self.timeout))
            .operation_timeout(Some(self.timeout))
    }

    /// How long to wait for the answer to a call made with [`KafkaClient::admin_options`].
    #[must_use]
    pub fn answer_wait(&self) -> Duration {
        self.timeout + ANSWER_GRACE
    }

    /// Options for one coordinator-targeted call: librdkafka must never time it out
    /// ([`super::coordinator`]); the caller waits [`KafkaClient::timeout`] and then destroys
    /// the instance the request is pending in.
    #[must_use]
    pub fn coordinator_options(&self) -> AdminOptions {
        AdminOptions::new().request_timeout(Some(LIBRDKAFKA_MAX_TIMEOUT))
    }

    /// The coordinator-targeted instances.
    #[must_use]
    pub fn group_admins(&self) -> &GroupAdmins {
        &self.groups
    }

    /// Every committed offset of `group` (`ListConsumerGroupOffsets`), waiting up to the call
    /// timeout; an abandoned request retires the shared group instance. Blocking: call it
    /// from [`KafkaClient::blocking`].
    pub fn group_offsets(&self, group: &str) -> Result<BTreeMap<(String, i32), i64>, String> {
        let admin = self.groups.current()?;
        match list_group_offsets(admin.admin().inner(), group, self.timeout) {
            Ok(offsets) => Ok(offsets),
            Err(CallError::Abandoned(why)) => {
                self.groups.retire(&admin);
                Err(why)
            }
            Err(CallError::Failed(why)) => Err(why),
        }
    }

    /// The controller's broker id (`DescribeCluster`); `None` when unknown. Blocking.
    pub fn controller(&self, timeout: Duration) -> Option<i32> {
        super::alter_offsets::controller_id(self.admin.inner(), timeout)
            .inspect_err(|e| tracing::debug!(%e, "describe cluster"))
            .ok()
            .flatten()
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

    /// The client's librdkafka configuration (brokers and secrets resolved).
    #[must_use]
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// The never-subscribed consumer that answers metadata and `ListOffsets`.
    #[must_use]
    pub fn offsets_consumer(&self) -> &BaseConsumer<KafkaContext> {
        &self.offsets
    }

    /// One `ListOffsets` request over `partitions` at `at` (a time in ms, the beginning or the
    /// end): each partition's offset, `None` when the broker has none to give (no message
    /// that recent). `what` names the call in errors. Blocking.
    pub fn list_offsets(
        &self,
        partitions: &[(String, i32)],
        at: Offset,
        what: &str,
        timeout: Duration,
    ) -> Result<BTreeMap<(String, i32), Option<i64>>, String> {
        let mut tpl = TopicPartitionList::new();
        for (topic, id) in partitions {
            tpl.add_partition_offset(topic, *id, at)
                .map_err(|e| format!("{what}: {e}"))?;
        }
        let answer = self
            .offsets
            .offsets_for_times(tpl, timeout)
            .map_err(|e| format!("{what}: {e}"))?;
        answer
            .elements()
            .iter()
            .map(|e| {
                if let Err(err) = e.error() {
                    return Err(format!(
                        "{what} of {}:{}: {err}",
                        clean(e.topic()),
                        e.partition()
                    ));
                }
                let offset = match e.offset() {
                    Offset::Offset(o) if o >= 0 => Some(o),
                    _ => None,
                };
                Ok(((e.topic().to_owned(), e.partition()), offset))
            })
            .collect()
    }

    /// Low and high watermarks of `partitions` (two `ListOffsets` requests). Blocking.
    pub fn watermarks(
        &self,
        partitions: &[(String, i32)],
        timeout: Duration,
    ) -> Result<Vec<PartitionWatermarks>, String> {
        // A partition without an offset (none answered) counts as 0.
        let ask = |at: Offset| -> Result<BTreeMap<(String, i32), i64>, String> {
            Ok(self
                .list_offsets(partitions, at, "watermarks", timeout)?
                .into_iter()
                .map(|(key, offset)| (key, offset.unwrap_or(0)))
                .collect())
        };
        let low = ask(Offset::Beginning)?;
        let high = ask(Offset::End)?;
        Ok(high
            .into_iter()
            .map(|(key, h)| {
                let l = low.get(&key).copied().unwrap_or(0);
                (key, (l, h))
            })
            .collect())
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
        let results = tokio::time::timeout(self.answer_wait(), fut)
            .await
            .map_err(|_| no_answer("describe configs", self.answer_wait()))?
            .map_err(|e| admin_error("describe configs", &e, self.timeout))?;
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
        self.snapshot_probed(scope, self.timeout).await
    }

    /// [`KafkaClient::snapshot`] whose first call, the metadata request, waits `probe` at
    /// most (the liveness check, [`super::KafkaSettings::probe_timeout`]); later calls wait
    /// the call timeout.
    pub async fn snapshot_probed(
        self: &Arc<Self>,
        scope: Option<&str>,
        probe: Duration,
    ) -> Result<KafkaSnapshot, String> {
        let timeout = self.timeout;
        let metadata = self
            .blocking(move |c| {
                let md = c.metadata(probe.min(timeout))?;
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
                // DescribeCluster names the controller (metadata through rust-rdkafka does
                // not); a broker that does not answer it leaves the column unknown.
                let controller = c.controller(timeout);
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
                Ok((brokers, topics, controller))
            })
            .await?;
        let (mut brokers, topics, controller) = metadata;
        for b in &mut brokers {
            b.controller = controller == Some(b.id);
        }
        brokers.sort_by_key(|b| b.id);
        let in_scope = |name: &str| scope.is_none_or(|s| name.contains(s));
        let topics: Vec<(String, Vec<PartitionInfo>)> =
            topics.into_iter().filter(|(n, _)| in_scope(n)).collect();

        // Watermarks: ListOffsets (earliest and latest) in chunks. librdkafka matches each
        // answer against its request list linearly, so one call over every partition costs
        // O(n²); chunks keep that small and run a few at a time.
        let all: Vec<(String, i32)> = topics
            .iter()
            .flat_map(|(name, parts)| parts.iter().map(move |p| (name.clone(), p.id)))
            .collect();
        let mut watermark_jobs = Vec::new();
        for chunk in all.chunks(WATERMARK_CHUNK) {
            let chunk = chunk.to_vec();
            watermark_jobs.push(self.blocking(move |c| c.watermarks(&chunk, timeout)));
        }
        let mut watermarks = BTreeMap::new();
        for r in futures::future::join_all(watermark_jobs).await {
            watermarks.extend(r?);
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
        let mut jobs = Vec::new();
        for (name, state, members) in listed {
            jobs.push(self.blocking(move |c| {
                let offsets = c
                    .group_offsets(&name)
                    .map_err(|e| format!("offsets of group {}: {e}", clean(&name)))?;
                Ok((name, state, members, offsets))
            }));
        }
        let mut groups = Vec::new();
        for r in futures::future::join_all(jobs).await {
            let (name, state, members, mut offsets) = r?;
            // Partitions a member owns but the group never committed to lag by everything
            // they hold; internal topics are Kafka's own business.
            for m in &members {
                for (topic, partitions) in &m.assignment {
                    for p in partitions {
                        offsets.entry((topic.clone(), *p)).or_insert(-1);
                    }
                }
            }
            offsets.retain(|(topic, _), _| !crate::model::kafka::is_internal(topic));
            groups.push(GroupInfo::new(
                &clean(&name),
                &clean(&state),
                members,
                &offsets,
                topics,
            ));
        }
        groups.sort_by(|a, b| a.name.cmp(&b.name));
        self.time_lag(&mut groups).await;
        Ok(groups)
    }

    /// Fills each group's oldest unconsumed timestamp from the messages at its committed
    /// offsets (bounded and cached, [`super::time_lag`]); a failure leaves them unknown.
    async fn time_lag(self: &Arc<Self>, groups: &mut [GroupInfo]) {
        let wanted: Vec<super::time_lag::At> = groups
            .iter()
            .flat_map(|g| g.lag.iter())
            .filter(|l| l.lag > 0)
            .filter_map(|l| l.committed.map(|c| (l.topic.clone(), l.partition, c)))
            .collect();
        if wanted.is_empty() {
            return;
        }
        let Ok(found) = self
            .blocking(move |c| Ok(c.timestamps.lookup(&c.config, &wanted)))
            .await
        else {
            return;
        };
        for g in groups {
            g.oldest_unconsumed_ms = g
                .lag
                .iter()
                .filter(|l| l.lag > 0)
                .filter_map(|l| {
                    let c = l.committed?;
                    found
                        .get(&(l.topic.clone(), l.partition, c))
                        .copied()
                        .flatten()
                })
                .min();
        }
    }
}

/// The error of an admin call, saying plainly when librdkafka's own request timeout (set
/// to `timeout`) ended it.
#[must_use]
pub fn admin_error(what: &str, e: &KafkaError, timeout: Duration) -> String {
    // rust-rdkafka's `rdkafka_error_code()` is `None` for admin errors.
    let code = match e {
        KafkaError::AdminOp(code) => Some(*code),
        other => other.rdkafka_error_code(),
    };
    if code.is_some_and(is_timeout) {
        timed_out(what, &e.to_string(), timeout)
    } else {
        format!("{what}: {e}")
    }
}

/// The error code of one item of an admin result (a topic, a group), like
/// [`admin_error`].
#[must_use]
pub fn item_error(what: &str, code: RDKafkaErrorCode, timeout: Duration) -> String {
    if is_timeout(code) {
        timed_out(what, &code.to_string(), timeout)
    } else {
        format!("{what}: {code}")
    }
}

fn is_timeout(code: RDKafkaErrorCode) -> bool {
    matches!(
        code,
        RDKafkaErrorCode::OperationTimedOut | RDKafkaErrorCode::RequestTimedOut
    )
}

fn timed_out(what: &str, detail: &str, timeout: Duration) -> String {
    format!(
        "{what}: timed out after {:.1} s without an answer from the broker ({detail})",
        timeout.as_secs_f64()
    )
}

/// opsdeck's own deadline passed (librdkafka should have answered first).
#[must_use]
pub fn no_answer(what: &str, waited: Duration) -> String {
    format!(
        "{what}: timed out, no answer within {:.1} s",
        waited.as_secs_f64()
    )
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
    fn timeouts_are_named_as_such() {
        let t = Duration::from_millis(1500);
        let e = KafkaError::AdminOp(RDKafkaErrorCode::OperationTimedOut);
        let m = admin_error("create topic", &e, t);
        assert!(m.starts_with("create topic: timed out after 1.5 s"), "{m}");
        let m = item_error("delete group g", RDKafkaErrorCode::RequestTimedOut, t);
        assert!(
            m.starts_with("delete group g: timed out after 1.5 s"),
            "{m}"
        );
        let e = KafkaError::AdminOp(RDKafkaErrorCode::UnknownTopicOrPartition);
        let m = admin_error("delete topic", &e, t);
        assert!(!m.contains("timed out"), "{m}");
        assert_eq!(
            no_answer("describe configs", t),
            "describe configs: timed out, no answer within 1.5 s"
        );
    }

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
