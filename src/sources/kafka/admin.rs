//! Topic and group administration, and [`KafkaExecutor`], which maps admitted
//! [`ActionRequest`]s onto it.
//!
//! The operations sit behind the [`KafkaAdmin`] trait so the executor's rules (validate
//! first, refuse internal topics, partitions only grow) are unit-tested without a broker.
//! Config edits go through `IncrementalAlterConfigs` (SET and DELETE per key) in the small
//! [`ffi`] module; the legacy `alter_configs`, which resets every key not sent, is never
//! used (<https://github.com/fede1024/rust-rdkafka/pull/660>,
//! <https://github.com/birdayz/kaf/issues/188>).
//!
//! Not implemented by tansu 0.6.0 (the test broker): `CreatePartitions` (answers
//! `UNSUPPORTED_FEATURE`), and `validate_only` on `CreateTopics`, which tansu ignores and so
//! creates the topic. Both are covered by unit tests against a fake [`KafkaAdmin`].

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use rdkafka::admin::{NewPartitions, NewTopic, TopicReplication};
use rdkafka::error::KafkaResult;

use super::client::{KafkaClient, admin_error, item_error, no_answer};
use crate::actions::gate::{ExecResult, Executor};
use crate::model::action::ActionRequest;
use crate::model::kafka::{is_internal, validate_config, validate_new_topic};
use crate::model::platform::OutcomeStatus;

/// The admin operations the executor needs.
pub trait KafkaAdmin: Send + Sync {
    /// Brokers in the cluster (the replication factor's upper bound).
    fn broker_count(&self) -> impl Future<Output = Result<usize, String>> + Send;
    /// Current partition count of a topic (`None`: no such topic).
    fn partition_count(
        &self,
        topic: &str,
    ) -> impl Future<Output = Result<Option<usize>, String>> + Send;
    /// `validate_only` asks the broker to check without creating.
    fn create_topic(
        &self,
        name: &str,
        partitions: i32,
        replication: i16,
        configs: &BTreeMap<String, String>,
        validate_only: bool,
    ) -> impl Future<Output = Result<(), String>> + Send;
    fn delete_topic(&self, name: &str) -> impl Future<Output = Result<(), String>> + Send;
    fn alter_configs(
        &self,
        name: &str,
        set: &BTreeMap<String, String>,
        delete: &[String],
    ) -> impl Future<Output = Result<(), String>> + Send;
    /// Not implemented by tansu 0.6.0.
    fn add_partitions(
        &self,
        name: &str,
        total: i32,
    ) -> impl Future<Output = Result<(), String>> + Send;
    fn delete_group(&self, group: &str) -> impl Future<Output = Result<(), String>> + Send;
}

/// The real operations over a context's cached [`KafkaClient`].
#[derive(Debug, Clone)]
pub struct RdKafkaAdmin {
    pub client: Arc<KafkaClient>,
    /// Send a `validate_only` `CreateTopics` before the real one. Off against tansu 0.6.0,
    /// which ignores the flag and creates the topic.
    pub validate_first: bool,
}

fn one(
    what: &str,
    results: KafkaResult<Vec<rdkafka::admin::TopicResult>>,
    timeout: Duration,
) -> Result<(), String> {
    match results {
        Err(e) => Err(admin_error(what, &e, timeout)),
        Ok(list) => match list.into_iter().next() {
            Some(Ok(_)) => Ok(()),
            Some(Err((name, code))) => Err(item_error(&format!("{what} {name}"), code, timeout)),
            None => Err(format!("{what}: no result from the broker")),
        },
    }
}

impl RdKafkaAdmin {
    /// Waits for a call made with [`KafkaClient::admin_options`]: librdkafka's request
    /// timeout ends it first, with its reason; the deadline here is a backstop (dropping a
    /// rust-rdkafka admin future early is harmless for these calls, see
    /// [`super::coordinator`]). Never for a coordinator-targeted call.
    async fn timed<F, T>(&self, what: &str, fut: F) -> Result<T, String>
    where
        F: Future<Output = T>,
    {
        let wait = self.client.answer_wait();
        tokio::time::timeout(wait, fut)
            .await
            .map_err(|_| no_answer(what, wait))
    }
}

impl KafkaAdmin for RdKafkaAdmin {
    async fn broker_count(&self) -> Result<usize, String> {
        let timeout = self.client.timeout;
        self.client
            .blocking(move |c| c.metadata(timeout).map(|m| m.brokers().len()))
            .await
    }

    async fn partition_count(&self, topic: &str) -> Result<Option<usize>, String> {
        let timeout = self.client.timeout;
        let topic = topic.to_owned();
        self.client
            .blocking(move |c| {
                let md = c.metadata(timeout)?;
                Ok(md
                    .topics()
                    .iter()
                    .find(|t| t.name() == topic && t.error().is_none())
                    .map(|t| t.partitions().len()))
            })
            .await
    }

    async fn create_topic(
        &self,
        name: &str,
        partitions: i32,
        replication: i16,
        configs: &BTreeMap<String, String>,
        validate_only: bool,
    ) -> Result<(), String> {
        let mut topic = NewTopic::new(
            name,
            partitions,
            TopicReplication::Fixed(replication.into()),
        );
        for (k, v) in configs {
            topic = topic.set(k, v);
        }
        let opts = self.client.admin_options().validate_only(validate_only);
        let what = if validate_only {
            "validate topic"
        } else {
            "create topic"
        };
        let r = self
            .timed(what, self.client.admin().create_topics([&topic], &opts))
            .await?;
        one(what, r, self.client.timeout)
    }

    async fn delete_topic(&self, name: &str) -> Result<(), String> {
        let opts = self.client.admin_options();
        let r = self
            .timed(
                "delete topic",
                self.client.admin().delete_topics(&[name], &opts),
            )
            .await?;
        one("delete topic", r, self.client.timeout)
    }

    async fn alter_configs(
        &self,
        name: &str,
        set: &BTreeMap<String, String>,
        delete: &[String],
    ) -> Result<(), String> {
        let (name, set, delete) = (name.to_owned(), set.clone(), delete.to_vec());
        let timeout = self.client.timeout;
        self.client
            .blocking(move |c| {
                ffi::incremental_alter_topic(c.admin().inner(), &name, &set, &delete, timeout)
            })
            .await
    }

    async fn add_partitions(&self, name: &str, total: i32) -> Result<(), String> {
        let total = usize::try_from(total).map_err(|_| "partitions must be positive".to_owned())?;
        let parts = NewPartitions::new(name, total);
        let opts = self.client.admin_options();
        let r = self
            .timed(
                "add partitions",
                self.client.admin().create_partitions([&parts], &opts),
            )
            .await?;
        one("add partitions", r, self.client.timeout)
    }

    /// `DeleteGroups` goes to the group's coordinator: it runs on a librdkafka instance of its
    /// own, without librdkafka's request timeout, and the instance is destroyed when the
    /// call ends, which cancels a request still pending at the deadline
    /// ([`super::coordinator`] says why).
    async fn delete_group(&self, group: &str) -> Result<(), String> {
        let client = Arc::clone(&self.client);
        let admin = tokio::task::spawn_blocking(move || client.group_admins().fresh())
            .await
            .map_err(|e| format!("delete group: {e}"))??;
        let opts = self.client.coordinator_options();
        let wait = self.client.timeout;
        let r = tokio::time::timeout(wait, admin.admin().delete_groups(&[group], &opts)).await;
        // Destroys the instance (off this thread), cancelling the request if it is pending.
        drop(admin);
        let r = r.map_err(|_| {
            format!(
                "delete group {group}: timed out, the group coordinator did not answer within \
                 {:.1} s; the request was cancelled, but a broker that received it may still \
                 delete the group",
                wait.as_secs_f64()
            )
        })?;
        match r {
            Err(e) => Err(admin_error("delete group", &e, wait)),
            Ok(list) => match list.into_iter().next() {
                Some(Ok(_)) => Ok(()),
                Some(Err((name, code))) => {
                    Err(item_error(&format!("delete group {name}"), code, wait))
                }
                None => Err("delete group: no result from the broker".into()),
            },
        }
    }
}

/// Runs admitted Kafka actions.
#[derive(Debug, Clone)]
pub struct KafkaExecutor<A> {
    pub admin: A,
}

impl KafkaExecutor<RdKafkaAdmin> {
    /// The executor of a real cluster.
    #[must_use]
    pub fn new(client: Arc<KafkaClient>, validate_first: bool) -> Self {
        Self {
            admin: RdKafkaAdmin {
                client,
                validate_first,
            },
        }
    }
}

fn done(detail: String) -> ExecResult {
    ExecResult {
        status: OutcomeStatus::Succeeded,
        detail,
    }
}

/// Whether the real admin validates creations first; fakes say so through this.
pub trait ValidateFirst {
    fn validate_first(&self) -> bool;
}

impl ValidateFirst for RdKafkaAdmin {
    fn validate_first(&self) -> bool {
        self.validate_first
    }
}

/// Checks a new topic's plan without creating it: the form's rules, the broker count, a
/// name not taken, and the broker's own `validate_only` `CreateTopics` where it has one.
/// `Ok` says how the plan was checked, for the confirmation dialog.
pub async fn plan_create<A: KafkaAdmin + ValidateFirst>(
    admin: &A,
    request: &ActionRequest,
) -> Result<String, String> {
    let ActionRequest::CreateTopic {
        name,
        partitions,
        replication,
        configs,
    } = request
    else {
        return Err(format!("{} is not a topic creation", request.action_name()));
    };
    let brokers = admin.broker_count().await?;
    crate::model::kafka::check_create_request(request, brokers)?;
    if admin.partition_count(name).await?.is_some() {
        return Err(format!("topic {name} already exists"));
    }
    if admin.validate_first() {
        admin
            .create_topic(name, *partitions, *replication, configs, true)
            .await
            .map_err(|e| format!("the broker refused the plan: {e}"))?;
        Ok(format!(
            "✓ the broker accepted this plan (validate_only); {brokers} brokers"
        ))
    } else {
        Ok(format!(
            "✓ checked by opsdeck against {brokers} brokers; this cluster is configured \
             without validate_only, so the broker does not dry-run it"
        ))
    }
}

impl<A: KafkaAdmin + ValidateFirst> KafkaExecutor<A> {
    /// Carries out one request; `Err` holds why nothing (or not everything) happened.
    pub async fn run(&self, request: &ActionRequest) -> Result<String, String> {
        match request {
            ActionRequest::CreateTopic {
                name,
                partitions,
                replication,
                configs,
            } => {
                let brokers = self.admin.broker_count().await?;
                validate_new_topic(name, *partitions, *replication, brokers, configs)?;
                if self.admin.validate_first() {
                    self.admin
                        .create_topic(name, *partitions, *replication, configs, true)
                        .await
                        .map_err(|e| format!("the broker refused the dry run: {e}"))?;
                }
                self.admin
                    .create_topic(name, *partitions, *replication, configs, false)
                    .await?;
                Ok(format!(
                    "created topic {name} ({partitions} partitions, replication {replication})"
                ))
            }
            ActionRequest::DeleteTopic { name } => {
                if is_internal(name) {
                    return Err(format!(
                        "{name} is internal to Kafka; opsdeck never deletes it"
                    ));
                }
                self.admin.delete_topic(name).await?;
                Ok(format!("deleted topic {name}"))
            }
            ActionRequest::AlterTopicConfigs { name, set, delete } => {
                if set.is_empty() && delete.is_empty() {
                    return Err("nothing to change".into());
                }
                if let Some(k) = delete.iter().find(|k| set.contains_key(*k)) {
                    return Err(format!("{k} is both set and deleted"));
                }
                for (k, v) in set {
                    validate_config(k, v)?;
                }
                self.admin.alter_configs(name, set, delete).await?;
                Ok(format!(
                    "topic {name}: set {} key(s), reset {} key(s) to default",
                    set.len(),
                    delete.len()
                ))
            }
            ActionRequest::AddPartitions { name, total } => {
                let current = self
                    .admin
                    .partition_count(name)
                    .await?
                    .ok_or_else(|| format!("no topic named {name}"))?;
                crate::model::kafka::validate_partition_total(current, *total)?;
                self.admin.add_partitions(name, *total).await?;
                Ok(format!("topic {name}: {current} → {total} partitions"))
            }
            ActionRequest::DeleteGroup { group } => {
                self.admin.delete_group(group).await?;
                Ok(format!("deleted consumer group {group}"))
            }
            other => Err(format!("{} is not a Kafka action", other.action_name())),
        }
    }
}

impl<A: KafkaAdmin + ValidateFirst> Executor for KafkaExecutor<A> {
    async fn execute(&self, request: &ActionRequest) -> ExecResult {
        match self.run(request).await {
            Ok(detail) => done(detail),
            Err(e) => ExecResult::failed(e),
        }
    }
}

/// The platform server fulfils approved `kafka_topic` requests through the same executor
/// the console uses, so a request is checked by the same rules (and dry-run first where the
/// broker supports it) as a direct creation.
impl crate::platform::fulfil::TopicCreator for KafkaExecutor<RdKafkaAdmin> {
    fn create_topic(
        &self,
        spec: crate::model::platform::KafkaTopicSpec,
    ) -> futures::future::BoxFuture<'static, Result<serde_json::Value, String>> {
        let executor = self.clone();
        Box::pin(async move {
            let request = ActionRequest::create_topic(&spec);
            let detail = executor.run(&request).await?;
            Ok(serde_json::json!({
                "topic": spec.name,
                "partitions": spec.partitions,
                "replication": spec.replication,
                "configs": spec.configs,
                "detail": detail,
            }))
        })
    }
}

/// `rd_kafka_IncrementalAlterConfigs` through `rdkafka::bindings`, which rust-rdkafka 0.39
/// does not wrap: build the resource, send it through an [`AdminCall`], read the result.
///
/// [`AdminCall`]: super::admin_call::AdminCall
#[allow(unsafe_code)]
pub mod ffi {
    use std::collections::BTreeMap;
    use std::time::Duration;

    use rdkafka::bindings as rd;
    use rdkafka::client::{Client, ClientContext};

    use super::super::admin_call::{AdminCall, cstring, text};
    use super::super::client::ANSWER_GRACE;

    /// Frees the config resource on every return path.
    struct Resource(*mut rd::rd_kafka_ConfigResource_t);

    impl Drop for Resource {
        fn drop(&mut self) {
            if !self.0.is_null() {
                // SAFETY: returned by `rd_kafka_ConfigResource_new`, destroyed once, here.
                unsafe { rd::rd_kafka_ConfigResource_destroy(self.0) }
            }
        }
    }

    /// SETs `set` and DELETEs `delete` on one topic; other overrides stay as they are.
    /// Blocking: call it from `spawn_blocking`.
    pub fn incremental_alter_topic<C: ClientContext>(
        client: &Client<C>,
        topic: &str,
        set: &BTreeMap<String, String>,
        delete: &[String],
        timeout: Duration,
    ) -> Result<(), String> {
        let rk = client.native_ptr();
        let c_topic = cstring(topic)?;
        // Topic configs go to any broker, not a coordinator: librdkafka's own timeout
        // ends the request (see `super::super::coordinator`).
        let mut call = AdminCall::new(
            rk,
            rd::rd_kafka_admin_op_t::RD_KAFKA_ADMIN_OP_INCREMENTALALTERCONFIGS,
            timeout,
            timeout + ANSWER_GRACE,
            "incremental alter configs",
        )?;
        // SAFETY: librdkafka copies the name; the resource is owned by the guard.
        let resource = Resource(unsafe {
            rd::rd_kafka_ConfigResource_new(
                rd::rd_kafka_ResourceType_t::RD_KAFKA_RESOURCE_TOPIC,
                c_topic.as_ptr(),
            )
        });
        if resource.0.is_null() {
            return Err("incremental alter configs: librdkafka could not allocate".into());
        }
        let ops = set
            .iter()
            .map(|(k, v)| (k.as_str(), Some(v.as_str())))
            .chain(delete.iter().map(|k| (k.as_str(), None)));
        for (key, value) in ops {
            let c_key = cstring(key)?;
            let c_value = value.map(cstring).transpose()?;
            let op = if value.is_some() {
                rd::rd_kafka_AlterConfigOpType_t::RD_KAFKA_ALTER_CONFIG_OP_TYPE_SET
            } else {
                rd::rd_kafka_AlterConfigOpType_t::RD_KAFKA_ALTER_CONFIG_OP_TYPE_DELETE
            };
            // SAFETY: `resource` is live; key and value are NUL-terminated and outlive the
            // call (librdkafka copies them); a null value is allowed for DELETE.
            let error = unsafe {
                rd::rd_kafka_ConfigResource_add_incremental_config(
                    resource.0,
                    c_key.as_ptr(),
                    op,
                    c_value.as_ref().map_or(std::ptr::null(), |v| v.as_ptr()),
                )
            };
            if !error.is_null() {
                // SAFETY: a non-null error is owned by us and destroyed right after reading.
                let message = unsafe {
                    let m = text(rd::rd_kafka_error_string(error));
                    rd::rd_kafka_error_destroy(error);
                    m
                };
                return Err(format!("config {key}: {message}"));
            }
        }
        let mut resources = [resource.0];
        // SAFETY: every pointer is live; librdkafka copies the resources and options, and
        // posts its one result event on the call's queue.
        unsafe {
            rd::rd_kafka_IncrementalAlterConfigs(
                rk,
                resources.as_mut_ptr(),
                resources.len(),
                call.options,
                call.queue,
            );
        }
        // SAFETY: the event is live while `call` is; the result is borrowed from it.
        let event = call
            .wait(|e| unsafe { !rd::rd_kafka_event_IncrementalAlterConfigs_result(e).is_null() })?;
        // SAFETY: `event` and the resources it lists live until `call` is dropped.
        unsafe {
            let result = rd::rd_kafka_event_IncrementalAlterConfigs_result(event);
            let mut n = 0usize;
            let list = rd::rd_kafka_IncrementalAlterConfigs_result_resources(result, &raw mut n);
            for i in 0..n {
                let r = *list.add(i);
                let code = rd::rd_kafka_ConfigResource_error(r);
                if code != rd::rd_kafka_resp_err_t::RD_KAFKA_RESP_ERR_NO_ERROR {
                    let why = text(rd::rd_kafka_ConfigResource_error_string(r));
                    let name = text(rd::rd_kafka_err2str(code));
                    return Err(format!("alter configs of {topic}: {name} {why}"));
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    /// Records calls; `add_partitions` fails like tansu 0.6.0 does.
    #[derive(Default)]
    struct Fake {
        calls: Mutex<Vec<String>>,
        validate_first: bool,
    }

    impl Fake {
        fn log(&self, s: String) {
            self.calls.lock().unwrap().push(s);
        }
        fn calls(&self) -> Vec<String> {
            self.calls.lock().unwrap().clone()
        }
    }

    impl ValidateFirst for Fake {
        fn validate_first(&self) -> bool {
            self.validate_first
        }
    }

    impl KafkaAdmin for Fake {
        async fn broker_count(&self) -> Result<usize, String> {
            Ok(1)
        }
        async fn partition_count(&self, topic: &str) -> Result<Option<usize>, String> {
            Ok((topic == "orders").then_some(3))
        }
        async fn create_topic(
            &self,
            name: &str,
            partitions: i32,
            replication: i16,
            _configs: &BTreeMap<String, String>,
            validate_only: bool,
        ) -> Result<(), String> {
            self.log(format!(
                "create {name} {partitions} {replication} {validate_only}"
            ));
            Ok(())
        }
        async fn delete_topic(&self, name: &str) -> Result<(), String> {
            self.log(format!("delete {name}"));
            Ok(())
        }
        async fn alter_configs(
            &self,
            name: &str,
            set: &BTreeMap<String, String>,
            delete: &[String],
        ) -> Result<(), String> {
            self.log(format!("alter {name} {set:?} {delete:?}"));
            Ok(())
        }
        async fn add_partitions(&self, name: &str, total: i32) -> Result<(), String> {
            self.log(format!("partitions {name} {total}"));
            Err("add partitions: Broker: Unsupported feature".into())
        }
        async fn delete_group(&self, group: &str) -> Result<(), String> {
            self.log(format!("delete group {group}"));
            Ok(())
        }
    }

    fn exec(validate_first: bool) -> KafkaExecutor<Fake> {
        KafkaExecutor {
            admin: Fake {
                validate_first,
                ..Fake::default()
            },
        }
    }

    #[tokio::test]
    async fn create_validates_then_dry_runs() {
        let e = exec(true);
        let req = ActionRequest::CreateTopic {
            name: "orders.v2".into(),
            partitions: 3,
            replication: 1,
            configs: BTreeMap::from([("retention.ms".into(), "7d".into())]),
        };
        let r = e.execute(&req).await;
        assert_eq!(r.status, OutcomeStatus::Succeeded, "{}", r.detail);
        assert_eq!(
            e.admin.calls(),
            ["create orders.v2 3 1 true", "create orders.v2 3 1 false"]
        );
        let bad = ActionRequest::CreateTopic {
            name: "orders".into(),
            partitions: 3,
            replication: 3,
            configs: BTreeMap::new(),
        };
        let r = e.execute(&bad).await;
        assert_eq!(r.status, OutcomeStatus::Failed);
        assert!(r.detail.contains("replication"), "{}", r.detail);
        assert_eq!(
            e.admin.calls().len(),
            2,
            "nothing sent for an invalid request"
        );
    }

    #[tokio::test]
    async fn internal_topics_are_never_deleted() {
        let e = exec(false);
        let r = e
            .execute(&ActionRequest::DeleteTopic {
                name: "__consumer_offsets".into(),
            })
            .await;
        assert_eq!(r.status, OutcomeStatus::Failed);
        assert!(e.admin.calls().is_empty());
        let r = e
            .execute(&ActionRequest::DeleteTopic {
                name: "orders".into(),
            })
            .await;
        assert_eq!(r.status, OutcomeStatus::Succeeded);
    }

    #[tokio::test]
    async fn alter_checks_keys() {
        let e = exec(false);
        let both = ActionRequest::AlterTopicConfigs {
            name: "orders".into(),
            set: BTreeMap::from([("retention.ms".into(), "1000".into())]),
            delete: vec!["retention.ms".into()],
        };
        assert_eq!(e.execute(&both).await.status, OutcomeStatus::Failed);
        let empty = ActionRequest::AlterTopicConfigs {
            name: "orders".into(),
            set: BTreeMap::new(),
            delete: vec![],
        };
        assert_eq!(e.execute(&empty).await.status, OutcomeStatus::Failed);
        assert!(e.admin.calls().is_empty());
        let ok = ActionRequest::AlterTopicConfigs {
            name: "orders".into(),
            set: BTreeMap::from([("retention.ms".into(), "1000".into())]),
            delete: vec!["cleanup.policy".into()],
        };
        assert_eq!(e.execute(&ok).await.status, OutcomeStatus::Succeeded);
    }

    /// `CreatePartitions` is not implemented by tansu 0.6.0: its refusal must surface as a
    /// failure, and a shrink or unknown topic must not be sent at all.
    #[tokio::test]
    async fn partitions_only_grow_and_unsupported_fails() {
        let e = exec(false);
        let shrink = ActionRequest::AddPartitions {
            name: "orders".into(),
            total: 2,
        };
        assert_eq!(e.execute(&shrink).await.status, OutcomeStatus::Failed);
        let unknown = ActionRequest::AddPartitions {
            name: "nope".into(),
            total: 6,
        };
        assert!(e.execute(&unknown).await.detail.contains("no topic"));
        assert!(e.admin.calls().is_empty());
        let grow = ActionRequest::AddPartitions {
            name: "orders".into(),
            total: 6,
        };
        let r = e.execute(&grow).await;
        assert_eq!(r.status, OutcomeStatus::Failed);
        assert!(r.detail.contains("Unsupported"), "{}", r.detail);
        assert_eq!(e.admin.calls(), ["partitions orders 6"]);
    }

    #[tokio::test]
    async fn groups_and_foreign_requests() {
        let e = exec(false);
        let r = e
            .execute(&ActionRequest::DeleteGroup {
                group: "billing".into(),
            })
            .await;
        assert_eq!(r.status, OutcomeStatus::Succeeded);
        let r = e
            .execute(&ActionRequest::RefreshApp {
                namespace: "argocd".into(),
                app: "x".into(),
                hard: false,
            })
            .await;
        assert_eq!(r.status, OutcomeStatus::Failed);
    }
}
