//! The real [`KafkaBackend`]: a context's cluster through its cached client.

use crate::actions::gate::{ExecResult, Executor};
use crate::model::action::ActionRequest;
use crate::model::error::{BackendError, ErrorKind};
use crate::model::kafka::TopicConfig;
use crate::sources::backend::{Answer, KafkaBackend};

use super::admin::{KafkaExecutor, RdKafkaAdmin, plan_create};

/// One cluster, read and administered over librdkafka.
#[derive(Debug, Clone)]
pub struct RealKafka {
    pub executor: KafkaExecutor<RdKafkaAdmin>,
}

impl KafkaBackend for RealKafka {
    fn topic_configs<'a>(
        &'a self,
        topic: &'a str,
    ) -> Answer<'a, Result<Vec<TopicConfig>, BackendError>> {
        Box::pin(async move {
            self.executor
                .admin
                .client
                .describe_configs(&[topic.to_owned()])
                .await
                .map_err(BackendError::other)?
                .remove(topic)
                .ok_or_else(|| {
                    BackendError::new(
                        ErrorKind::NotFound,
                        format!("the broker returned no configs for {topic}"),
                    )
                })
        })
    }

    fn plan_topic(&self, request: ActionRequest) -> Answer<'_, Result<String, BackendError>> {
        Box::pin(async move {
            plan_create(&self.executor.admin, &request)
                .await
                .map_err(BackendError::other)
        })
    }

    fn execute<'a>(&'a self, request: &'a ActionRequest) -> Answer<'a, ExecResult> {
        Box::pin(self.executor.execute(request))
    }
}
