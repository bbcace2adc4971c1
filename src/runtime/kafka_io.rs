//! Kafka reads the pane asks for on demand (one topic's configs with their sources, the
//! dry run of a new topic), routed
//! to the sandbox's simulated cluster or to the context's cached client.

use crate::model::action::ActionRequest;
use crate::model::kafka::TopicConfig;
use crate::sources::kafka::admin::{RdKafkaAdmin, plan_create};
use crate::sources::sandbox::SandboxHandle;

use super::run::Environment;

/// How to reach the current context's cluster for an on-demand read.
#[derive(Debug, Clone)]
pub enum KafkaLookup {
    Sandbox(SandboxHandle),
    Real(RdKafkaAdmin),
    Unavailable(String),
}

impl KafkaLookup {
    #[must_use]
    pub fn new(env: &Environment) -> Self {
        if let Some(sandbox) = env.current_sandbox() {
            return Self::Sandbox(sandbox);
        }
        match &env.executor.kafka {
            Some(kafka) => Self::Real(kafka.admin.clone()),
            None => Self::Unavailable("no Kafka brokers are connected in this context".into()),
        }
    }

    /// Every config of `topic`, with its value and where it comes from.
    pub async fn configs(self, topic: &str) -> Result<Vec<TopicConfig>, String> {
        match self {
            Self::Sandbox(sandbox) => sandbox.kafka_configs(topic).await,
            Self::Real(admin) => admin
                .client
                .describe_configs(&[topic.to_owned()])
                .await?
                .remove(topic)
                .ok_or_else(|| format!("the broker returned no configs for {topic}")),
            Self::Unavailable(why) => Err(why),
        }
    }

    /// Checks a new topic's plan without creating it.
    pub async fn plan_topic(self, request: ActionRequest) -> Result<String, String> {
        match self {
            Self::Sandbox(sandbox) => sandbox.kafka_plan(request).await,
            Self::Real(admin) => plan_create(&admin, &request).await,
            Self::Unavailable(why) => Err(why),
        }
    }
}
