//! One trait per backend for what the panes ask on demand (a session's locks, a topic's
//! configs, a topic's dry run, RBAC reviews) and for the actions they run. The real clients
//! and the sandbox implement the same traits, so the choice between them is made once, when
//! a context starts ([`Backends`]), and nothing after that asks "is this the sandbox?".

use std::fmt::Debug;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::actions::gate::ExecResult;
use crate::model::action::ActionRequest;
use crate::model::alerts::AlertsSnapshot;
use crate::model::error::BackendError;
use crate::model::k8s::ObjectRef;
use crate::model::k8s::access::{AccessAnswer, AccessKey};
use crate::model::k8s::app_ops::ArgoRead;
use crate::model::k8s::object_ref::ObjectDoc;
use crate::model::kafka::TopicConfig;
use crate::model::pg::PgLock;

/// What a backend call returns: a boxed future, so the traits can sit behind `Arc<dyn _>`.
pub type Answer<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The Postgres databases of a context.
pub trait PgBackend: Send + Sync + Debug {
    /// The locks of `pid` in `database`, granted and waiting.
    fn locks<'a>(
        &'a self,
        database: &'a str,
        pid: i32,
    ) -> Answer<'a, Result<Vec<PgLock>, BackendError>>;
    /// Runs an admitted Postgres action (cancel or terminate one backend or several, roll
    /// back a prepared transaction).
    fn execute<'a>(&'a self, request: &'a ActionRequest) -> Answer<'a, ExecResult>;
}

/// The Kafka cluster of a context.
pub trait KafkaBackend: Send + Sync + Debug {
    /// Every config of `topic`, with its value and where it comes from.
    fn topic_configs<'a>(
        &'a self,
        topic: &'a str,
    ) -> Answer<'a, Result<Vec<TopicConfig>, BackendError>>;
    /// Checks a new topic's plan without creating it; `Ok` says how it was checked.
    fn plan_topic(&self, request: ActionRequest) -> Answer<'_, Result<String, BackendError>>;
    /// Runs an admitted topic or group action.
    fn execute<'a>(&'a self, request: &'a ActionRequest) -> Answer<'a, ExecResult>;
    /// Plans a group's offset reset (checked against the group's state): the request to
    /// confirm, with the plan in it.
    fn plan_reset(
        &self,
        group: String,
        scope: crate::model::kafka_reset::ResetScope,
        target: crate::model::kafka_reset::ResetTarget,
    ) -> Answer<'_, Result<ActionRequest, BackendError>>;
    /// Reads messages for an admitted `PeekMessages` (never joining a group or committing).
    fn peek<'a>(
        &'a self,
        request: &'a ActionRequest,
    ) -> Answer<'a, Result<crate::model::kafka_peek::PeekResult, BackendError>>;
}

/// The Kubernetes cluster (and Argo CD) of a context.
pub trait KubeBackend: Send + Sync + Debug {
    /// Answers every permission, one access review each.
    fn review(&self, keys: Vec<AccessKey>) -> Answer<'_, Vec<(AccessKey, AccessAnswer)>>;
    /// One object read whole, with its events (the describe and YAML views).
    fn object<'a>(
        &'a self,
        reference: &'a ObjectRef,
    ) -> Answer<'a, Result<ObjectDoc, BackendError>>;
    /// A read only the Argo CD API server answers, the body as it came: an application's
    /// managed resources, live and desired (`ManagedResourcesResponse`, the diff view builds
    /// on it), or its sync windows (`ApplicationSyncWindowsResponse`).
    fn argo_read<'a>(
        &'a self,
        read: ArgoRead,
        namespace: &'a str,
        app: &'a str,
    ) -> Answer<'a, Result<serde_json::Value, BackendError>>;
    /// Runs an admitted Argo CD or workload action.
    fn execute<'a>(&'a self, request: &'a ActionRequest) -> Answer<'a, ExecResult>;
    /// Opens the interactive session an admitted `ExecPod` asks for; the caller wires it to
    /// the terminal and reports its end to the audit.
    fn open_session<'a>(
        &'a self,
        request: &'a ActionRequest,
    ) -> Answer<'a, Result<crate::sources::session::Session, BackendError>>;
    /// One connection to `port` of pod `namespace/name`, for an admitted `PortForward`:
    /// the runtime calls it once per accepted local connection.
    fn open_forward<'a>(
        &'a self,
        namespace: &'a str,
        name: &'a str,
        port: u16,
    ) -> Answer<'a, Result<crate::sources::forward::ForwardConn, BackendError>>;
    /// The pod and port Service `namespace/service`'s port `port` leads to, chosen as
    /// `kubectl port-forward svc/…` chooses them (`crate::model::k8s::forward_service`).
    fn service_target<'a>(
        &'a self,
        namespace: &'a str,
        service: &'a str,
        port: u16,
    ) -> Answer<'a, Result<crate::model::k8s::forward_service::ServiceTarget, BackendError>>;
}

/// The Alertmanager of a context (with Prometheus's pending alerts when configured).
pub trait AlertsBackend: Send + Sync + Debug {
    /// Every alert and silence held now.
    fn snapshot(&self) -> Answer<'_, Result<AlertsSnapshot, BackendError>>;
    /// Runs an admitted silence action (create or expire).
    fn execute<'a>(&'a self, request: &'a ActionRequest) -> Answer<'a, ExecResult>;
}

/// A backend the context does not have: every read says why, every action fails with it.
#[derive(Debug, Clone)]
pub struct Unavailable(pub String);

impl Unavailable {
    fn error(&self) -> BackendError {
        BackendError::unavailable(self.0.clone())
    }

    fn refuse(&self, request: &ActionRequest) -> ExecResult {
        ExecResult::failed(format!(
            "no backend in this context can run {}: {}",
            request.action_name(),
            self.0
        ))
    }
}

impl PgBackend for Unavailable {
    fn locks<'a>(
        &'a self,
        _database: &'a str,
        _pid: i32,
    ) -> Answer<'a, Result<Vec<PgLock>, BackendError>> {
        Box::pin(async move { Err(self.error()) })
    }

    fn execute<'a>(&'a self, request: &'a ActionRequest) -> Answer<'a, ExecResult> {
        Box::pin(async move { self.refuse(request) })
    }
}

impl KafkaBackend for Unavailable {
    fn topic_configs<'a>(
        &'a self,
        _topic: &'a str,
    ) -> Answer<'a, Result<Vec<TopicConfig>, BackendError>> {
        Box::pin(async move { Err(self.error()) })
    }

    fn plan_topic(&self, _request: ActionRequest) -> Answer<'_, Result<String, BackendError>> {
        Box::pin(async move { Err(self.error()) })
    }

    fn plan_reset(
        &self,
        _group: String,
        _scope: crate::model::kafka_reset::ResetScope,
        _target: crate::model::kafka_reset::ResetTarget,
    ) -> Answer<'_, Result<ActionRequest, BackendError>> {
        Box::pin(async move { Err(self.error()) })
    }

    fn peek<'a>(
        &'a self,
        _request: &'a ActionRequest,
    ) -> Answer<'a, Result<crate::model::kafka_peek::PeekResult, BackendError>> {
        Box::pin(async move { Err(self.error()) })
    }

    fn execute<'a>(&'a self, request: &'a ActionRequest) -> Answer<'a, ExecResult> {
        Box::pin(async move { self.refuse(request) })
    }
}

impl KubeBackend for Unavailable {
    fn review(&self, keys: Vec<AccessKey>) -> Answer<'_, Vec<(AccessKey, AccessAnswer)>> {
        let answers = keys
            .into_iter()
            .map(|k| (k, AccessAnswer::Unknown(self.0.clone())))
            .collect();
        Box::pin(async move { answers })
    }

    fn object<'a>(
        &'a self,
        _reference: &'a ObjectRef,
    ) -> Answer<'a, Result<ObjectDoc, BackendError>> {
        Box::pin(async move { Err(self.error()) })
    }

    fn argo_read<'a>(
        &'a self,
        _read: ArgoRead,
        _namespace: &'a str,
        _app: &'a str,
    ) -> Answer<'a, Result<serde_json::Value, BackendError>> {
        Box::pin(async move { Err(self.error()) })
    }

    fn execute<'a>(&'a self, request: &'a ActionRequest) -> Answer<'a, ExecResult> {
        Box::pin(async move { self.refuse(request) })
    }

    fn open_session<'a>(
        &'a self,
        _request: &'a ActionRequest,
    ) -> Answer<'a, Result<crate::sources::session::Session, BackendError>> {
        Box::pin(async move { Err(self.error()) })
    }

    fn open_forward<'a>(
        &'a self,
        _namespace: &'a str,
        _name: &'a str,
        _port: u16,
    ) -> Answer<'a, Result<crate::sources::forward::ForwardConn, BackendError>> {
        Box::pin(async move { Err(self.error()) })
    }

    fn service_target<'a>(
        &'a self,
        _namespace: &'a str,
        _service: &'a str,
        _port: u16,
    ) -> Answer<'a, Result<crate::model::k8s::forward_service::ServiceTarget, BackendError>> {
        Box::pin(async move { Err(self.error()) })
    }
}

impl AlertsBackend for Unavailable {
    fn snapshot(&self) -> Answer<'_, Result<AlertsSnapshot, BackendError>> {
        Box::pin(async move { Err(self.error()) })
    }

    fn execute<'a>(&'a self, request: &'a ActionRequest) -> Answer<'a, ExecResult> {
        Box::pin(async move { self.refuse(request) })
    }
}

/// The backends of the current context, chosen when it starts.
#[derive(Debug, Clone)]
pub struct Backends {
    pub pg: Arc<dyn PgBackend>,
    pub kafka: Arc<dyn KafkaBackend>,
    pub kube: Arc<dyn KubeBackend>,
    pub alerts: Arc<dyn AlertsBackend>,
}

impl Default for Backends {
    /// Before a context starts, nothing is reachable.
    fn default() -> Self {
        Self {
            pg: Arc::new(Unavailable(
                "no Postgres database is configured in this context".into(),
            )),
            kafka: Arc::new(Unavailable(
                "no Kafka brokers are connected in this context".into(),
            )),
            kube: Arc::new(Unavailable("no kube context in this context".into())),
            alerts: Arc::new(Unavailable(
                "no Alertmanager is configured in this context".into(),
            )),
        }
    }
}

/// Runs an admitted action on the backend its kind belongs to.
impl crate::actions::gate::Executor for Backends {
    async fn execute(&self, request: &ActionRequest) -> ExecResult {
        match request {
            ActionRequest::KillQuery { .. }
            | ActionRequest::BulkKill { .. }
            | ActionRequest::RollbackPrepared { .. } => self.pg.execute(request).await,
            ActionRequest::CreateTopic { .. }
            | ActionRequest::DeleteTopic { .. }
            | ActionRequest::AlterTopicConfigs { .. }
            | ActionRequest::AddPartitions { .. }
            | ActionRequest::DeleteGroup { .. }
            | ActionRequest::ResetGroupOffsets { .. }
            | ActionRequest::PeekMessages { .. } => self.kafka.execute(request).await,
            ActionRequest::SyncApp { .. }
            | ActionRequest::RefreshApp { .. }
            | ActionRequest::RollbackApp { .. }
            | ActionRequest::TerminateAppOperation { .. }
            | ActionRequest::RolloutAction { .. }
            | ActionRequest::DeletePod { .. }
            | ActionRequest::ExecPod { .. }
            | ActionRequest::DebugPod { .. }
            | ActionRequest::PortForward { .. }
            | ActionRequest::TerminateAnalysisRun { .. } => self.kube.execute(request).await,
            ActionRequest::CreateSilence { .. } | ActionRequest::ExpireSilence { .. } => {
                self.alerts.execute(request).await
            }
            // The runtime runs it on the console's terminal (`runtime::custom`), never a
            // backend: reaching here is a routing mistake, refused rather than guessed.
            ActionRequest::CustomCommand { .. } => ExecResult::failed(
                "a custom command runs on the console's terminal, not through a backend".into(),
            ),
        }
    }
}
