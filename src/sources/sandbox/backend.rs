//! The sandbox behind the same backend traits as the real clients: reads and actions go to
//! the simulated world. Its user is the cluster's admin, so every access review allows.

use crate::actions::gate::{ExecResult, Executor};
use crate::model::action::ActionRequest;
use crate::model::error::BackendError;
use crate::model::k8s::access::{AccessAnswer, AccessKey};
use crate::model::k8s::app_ops::ArgoRead;
use crate::model::kafka::TopicConfig;
use crate::model::pg::PgLock;
use crate::sources::backend::{AlertsBackend, Answer, KafkaBackend, KubeBackend, PgBackend};

use super::SandboxHandle;
use super::apps::SandboxKubeExecutor;
use super::kafka::SandboxKafkaExecutor;
use super::pg::SandboxExecutor;

/// Every backend of a sandbox context.
#[derive(Debug, Clone)]
pub struct SandboxBackend {
    pub handle: SandboxHandle,
    pub pg: SandboxExecutor,
    pub kafka: SandboxKafkaExecutor,
    pub kube: SandboxKubeExecutor,
}

impl SandboxBackend {
    /// The backends of `handle`'s world, acting as `user`.
    #[must_use]
    pub fn new(handle: SandboxHandle, user: String) -> Self {
        Self {
            pg: SandboxExecutor::new(handle.clone()),
            kafka: SandboxKafkaExecutor {
                sandbox: handle.clone(),
            },
            kube: SandboxKubeExecutor {
                sandbox: handle.clone(),
                user,
            },
            handle,
        }
    }
}

impl PgBackend for SandboxBackend {
    fn locks<'a>(
        &'a self,
        database: &'a str,
        pid: i32,
    ) -> Answer<'a, Result<Vec<PgLock>, BackendError>> {
        Box::pin(async move {
            self.handle
                .pg_locks(database, pid)
                .await
                .map_err(BackendError::other)
        })
    }

    fn execute<'a>(&'a self, request: &'a ActionRequest) -> Answer<'a, ExecResult> {
        Box::pin(self.pg.execute(request))
    }
}

impl KafkaBackend for SandboxBackend {
    fn topic_configs<'a>(
        &'a self,
        topic: &'a str,
    ) -> Answer<'a, Result<Vec<TopicConfig>, BackendError>> {
        Box::pin(async move {
            self.handle
                .kafka_configs(topic)
                .await
                .map_err(BackendError::other)
        })
    }

    fn plan_topic(&self, request: ActionRequest) -> Answer<'_, Result<String, BackendError>> {
        Box::pin(async move {
            self.handle
                .kafka_plan(request)
                .await
                .map_err(BackendError::other)
        })
    }

    fn execute<'a>(&'a self, request: &'a ActionRequest) -> Answer<'a, ExecResult> {
        Box::pin(self.kafka.execute(request))
    }

    fn plan_reset(
        &self,
        group: String,
        scope: crate::model::kafka_reset::ResetScope,
        target: crate::model::kafka_reset::ResetTarget,
    ) -> Answer<'_, Result<ActionRequest, BackendError>> {
        Box::pin(async move {
            let mut request = ActionRequest::ResetGroupOffsets {
                group,
                scope,
                target,
                plan: Vec::new(),
            };
            match self.handle.kafka_first_aid(request.clone()).await {
                Ok(super::kafka_first_aid::Answer::Plan(planned)) => {
                    // The same request, its plan filled in.
                    if let ActionRequest::ResetGroupOffsets { plan, .. } = &mut request {
                        *plan = planned;
                    }
                    Ok(request)
                }
                Ok(super::kafka_first_aid::Answer::Peek(_)) => Err(BackendError::other(
                    "the sandbox answered a plan with a peek",
                )),
                Err(e) => Err(BackendError::other(e)),
            }
        })
    }

    fn peek<'a>(
        &'a self,
        request: &'a ActionRequest,
    ) -> Answer<'a, Result<crate::model::kafka_peek::PeekResult, BackendError>> {
        Box::pin(async move {
            match self.handle.kafka_first_aid(request.clone()).await {
                Ok(super::kafka_first_aid::Answer::Peek(r)) => Ok(r),
                Ok(super::kafka_first_aid::Answer::Plan(_)) => Err(BackendError::other(
                    "the sandbox answered a peek with a plan",
                )),
                Err(e) => Err(BackendError::other(e)),
            }
        })
    }
}

impl KubeBackend for SandboxBackend {
    fn review(&self, keys: Vec<AccessKey>) -> Answer<'_, Vec<(AccessKey, AccessAnswer)>> {
        let answers = keys
            .into_iter()
            .map(|k| (k, AccessAnswer::Allowed))
            .collect();
        Box::pin(async move { answers })
    }

    fn object<'a>(
        &'a self,
        reference: &'a crate::model::k8s::ObjectRef,
    ) -> Answer<'a, Result<crate::model::k8s::object_ref::ObjectDoc, BackendError>> {
        Box::pin(async move {
            self.handle
                .kube_object(reference.clone())
                .await
                .map_err(|e| BackendError::new(crate::model::error::ErrorKind::NotFound, e))
        })
    }

    fn argo_read<'a>(
        &'a self,
        read: ArgoRead,
        _namespace: &'a str,
        app: &'a str,
    ) -> Answer<'a, Result<serde_json::Value, BackendError>> {
        Box::pin(async move {
            let app = app.to_owned();
            let answer = match read {
                ArgoRead::ManagedResources => self.handle.managed_resources(app).await,
                ArgoRead::SyncWindows => self.handle.sync_windows(app).await,
            };
            answer.map_err(|e| BackendError::new(crate::model::error::ErrorKind::NotFound, e))
        })
    }

    fn execute<'a>(&'a self, request: &'a ActionRequest) -> Answer<'a, ExecResult> {
        Box::pin(self.kube.execute(request))
    }

    fn open_session<'a>(
        &'a self,
        request: &'a ActionRequest,
    ) -> Answer<'a, Result<crate::sources::session::Session, BackendError>> {
        Box::pin(async move { super::shell::open(request).map_err(BackendError::other) })
    }

    fn open_forward<'a>(
        &'a self,
        namespace: &'a str,
        name: &'a str,
        port: u16,
    ) -> Answer<'a, Result<crate::sources::forward::ForwardConn, BackendError>> {
        Box::pin(async move { Ok(super::forward::open(namespace, name, port)) })
    }

    fn service_target<'a>(
        &'a self,
        namespace: &'a str,
        service: &'a str,
        port: u16,
    ) -> Answer<'a, Result<crate::model::k8s::forward_service::ServiceTarget, BackendError>> {
        Box::pin(async move {
            let reference = crate::model::k8s::ObjectRef::new("", "Service", namespace, service);
            let object = self
                .handle
                .kube_object(reference)
                .await
                .map_err(|e| BackendError::new(crate::model::error::ErrorKind::NotFound, e))?
                .object;
            let pods: Vec<serde_json::Value> = self
                .handle
                .pods()
                .await
                .map_err(BackendError::other)?
                .into_iter()
                .filter(|p| p["metadata"]["namespace"] == namespace)
                .collect();
            crate::model::k8s::forward_service::resolve(&object, &pods, port)
                .map_err(BackendError::other)
        })
    }
}

impl AlertsBackend for SandboxBackend {
    fn snapshot(&self) -> Answer<'_, Result<crate::model::alerts::AlertsSnapshot, BackendError>> {
        Box::pin(async move { self.handle.alerts().await.map_err(BackendError::other) })
    }

    fn execute<'a>(&'a self, request: &'a ActionRequest) -> Answer<'a, ExecResult> {
        Box::pin(async move {
            self.handle
                .silence(request.clone(), self.kube.user.clone())
                .await
                .into()
        })
    }
}
