//! The real [`KafkaBackend`]: a context's cluster through its cached client.

use std::sync::Arc;

use crate::actions::gate::{ExecResult, Executor};
use crate::model::action::ActionRequest;
use crate::model::error::{BackendError, ErrorKind};
use crate::model::kafka::TopicConfig;
use crate::model::kafka_peek::{PeekLimits, PeekResult};
use crate::model::kafka_reset::{ResetScope, ResetTarget};
use crate::sources::backend::{Answer, KafkaBackend};

use super::admin::{KafkaExecutor, RdKafkaAdmin, plan_create};
use super::client::KafkaClient;

/// One cluster, read and administered over librdkafka.
#[derive(Debug, Clone)]
pub struct RealKafka {
    pub executor: KafkaExecutor<RdKafkaAdmin>,
}

impl RealKafka {
    fn client(&self) -> Arc<KafkaClient> {
        Arc::clone(&self.executor.admin.client)
    }
}

/// Reads messages for a `PeekMessages` request on `client`, within the default caps.
pub async fn peek_request(
    client: &Arc<KafkaClient>,
    request: &ActionRequest,
) -> Result<PeekResult, String> {
    let ActionRequest::PeekMessages {
        topic,
        partition,
        from,
        ..
    } = request
    else {
        return Err(format!("{} is not a peek", request.action_name()));
    };
    let (topic, partition, from) = (topic.clone(), *partition, *from);
    client
        .blocking(move |c| super::peek::peek(c, &topic, partition, from, &PeekLimits::default()))
        .await
}

/// Carries out a reset (or skip) the gate admitted: plans again, guards, commits.
pub async fn reset_request(
    client: &Arc<KafkaClient>,
    request: &ActionRequest,
) -> Result<String, String> {
    let ActionRequest::ResetGroupOffsets {
        group,
        scope,
        target,
        plan,
    } = request
    else {
        return Err(format!("{} is not an offset reset", request.action_name()));
    };
    let (group, scope, target, plan) = (group.clone(), scope.clone(), *target, plan.clone());
    let shared = Arc::clone(client);
    client
        .blocking(move |_| super::reset::execute_reset(&shared, &group, &scope, target, &plan))
        .await
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
        Box::pin(async move {
            match request {
                ActionRequest::ResetGroupOffsets { .. } => {
                    reset_request(&self.client(), request).await.into()
                }
                // Run as an action (an approved request, say), a peek reports what it read;
                // the pane shows messages through `peek`.
                ActionRequest::PeekMessages { .. } => peek_request(&self.client(), request)
                    .await
                    .map(|r| crate::model::kafka_peek::summary(&r))
                    .into(),
                _ => self.executor.execute(request).await,
            }
        })
    }

    fn plan_reset(
        &self,
        group: String,
        scope: ResetScope,
        target: ResetTarget,
    ) -> Answer<'_, Result<ActionRequest, BackendError>> {
        Box::pin(async move {
            let (g, s) = (group.clone(), scope.clone());
            let plan = self
                .client()
                .blocking(move |c| super::reset::plan_reset(c, &g, &s, target))
                .await
                .map_err(BackendError::other)?;
            Ok(ActionRequest::ResetGroupOffsets {
                group,
                scope,
                target,
                plan,
            })
        })
    }

    fn peek<'a>(
        &'a self,
        request: &'a ActionRequest,
    ) -> Answer<'a, Result<PeekResult, BackendError>> {
        Box::pin(async move {
            peek_request(&self.client(), request)
                .await
                .map_err(BackendError::other)
        })
    }
}
