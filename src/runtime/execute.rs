//! Runs admitted actions: one executor per backend of the current context, chosen by the
//! action's kind. The audit gate calls it only after the platform allowed the intent.

use crate::actions::gate::{ExecResult, Executor};
use crate::model::action::ActionRequest;
use crate::sources::kafka::admin::{KafkaExecutor, RdKafkaAdmin};
use crate::sources::kube::exec::KubeExecutor;
use crate::sources::postgres::kill::PgExecutor;
use crate::sources::sandbox::apps::SandboxKubeExecutor;
use crate::sources::sandbox::kafka::SandboxKafkaExecutor;
use crate::sources::sandbox::pg::SandboxExecutor;

/// The executors of the current context.
#[derive(Debug, Clone, Default)]
pub struct AppExecutor {
    /// Set in sandbox contexts: every action goes to the simulated world.
    pub sandbox: Option<SandboxExecutor>,
    pub postgres: PgExecutor,
    pub sandbox_kafka: Option<SandboxKafkaExecutor>,
    pub kafka: Option<KafkaExecutor<RdKafkaAdmin>>,
    pub sandbox_kube: Option<SandboxKubeExecutor>,
    pub kube: Option<KubeExecutor>,
}

fn unsupported(request: &ActionRequest) -> ExecResult {
    ExecResult::failed(format!(
        "no backend in this context can run {}",
        request.action_name()
    ))
}

impl Executor for AppExecutor {
    async fn execute(&self, request: &ActionRequest) -> ExecResult {
        match (request, &self.sandbox) {
            (ActionRequest::KillQuery { .. }, Some(sandbox)) => sandbox.execute(request).await,
            (ActionRequest::KillQuery { .. }, None) => self.postgres.execute(request).await,
            (
                ActionRequest::CreateTopic { .. }
                | ActionRequest::DeleteTopic { .. }
                | ActionRequest::AlterTopicConfigs { .. }
                | ActionRequest::AddPartitions { .. }
                | ActionRequest::DeleteGroup { .. },
                _,
            ) => match (&self.sandbox_kafka, &self.kafka) {
                (Some(sandbox), _) => sandbox.execute(request).await,
                (None, Some(kafka)) => kafka.execute(request).await,
                (None, None) => unsupported(request),
            },
            (
                ActionRequest::SyncApp { .. }
                | ActionRequest::RefreshApp { .. }
                | ActionRequest::RollbackApp { .. }
                | ActionRequest::TerminateAppOperation { .. }
                | ActionRequest::RolloutAction { .. },
                _,
            ) => match (&self.sandbox_kube, &self.kube) {
                (Some(sandbox), _) => sandbox.execute(request).await,
                (None, Some(kube)) => kube.execute(request).await,
                (None, None) => unsupported(request),
            },
        }
    }
}
