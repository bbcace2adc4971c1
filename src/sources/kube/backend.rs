//! The real [`KubeBackend`]: a context's cluster (and Argo CD API server, when configured).

use crate::actions::gate::{ExecResult, Executor};
use crate::model::action::ActionRequest;
use crate::model::k8s::access::{AccessAnswer, AccessKey};
use crate::model::k8s::app_ops::ArgoRead;
use crate::sources::backend::{Answer, KubeBackend};

use super::exec::KubeExecutor;
use super::{Access, can_i};

/// One cluster through kube-rs.
#[derive(Debug, Clone)]
pub struct RealKube {
    pub executor: KubeExecutor,
}

impl KubeBackend for RealKube {
    fn review(&self, keys: Vec<AccessKey>) -> Answer<'_, Vec<(AccessKey, AccessAnswer)>> {
        Box::pin(async move {
            let client = self.executor.client().await;
            let mut out = Vec::with_capacity(keys.len());
            for key in keys {
                let answer = match &client {
                    Ok(client) => match can_i(
                        client,
                        key.verb,
                        key.group,
                        key.resource,
                        key.subresource,
                        Some(&key.namespace),
                        None,
                    )
                    .await
                    {
                        Ok(Access::Allowed) => AccessAnswer::Allowed,
                        Ok(Access::Denied(reason)) => AccessAnswer::Denied(reason),
                        Err(e) => AccessAnswer::Unknown(e),
                    },
                    Err(e) => AccessAnswer::Unknown(e.clone()),
                };
                out.push((key, answer));
            }
            out
        })
    }

    fn object<'a>(
        &'a self,
        reference: &'a crate::model::k8s::ObjectRef,
    ) -> Answer<
        'a,
        Result<crate::model::k8s::object_ref::ObjectDoc, crate::model::error::BackendError>,
    > {
        Box::pin(async move {
            let client = self
                .executor
                .client()
                .await
                .map_err(crate::model::error::BackendError::unavailable)?;
            super::object::read(&client, reference).await
        })
    }

    fn argo_read<'a>(
        &'a self,
        read: ArgoRead,
        namespace: &'a str,
        app: &'a str,
    ) -> Answer<'a, Result<serde_json::Value, crate::model::error::BackendError>> {
        Box::pin(async move { Ok(self.executor.argo_read(read, namespace, app).await?) })
    }

    fn execute<'a>(&'a self, request: &'a ActionRequest) -> Answer<'a, ExecResult> {
        Box::pin(self.executor.execute(request))
    }

    fn open_session<'a>(
        &'a self,
        request: &'a ActionRequest,
    ) -> Answer<'a, Result<crate::sources::session::Session, crate::model::error::BackendError>>
    {
        Box::pin(async move {
            self.executor
                .open_session(request)
                .await
                .map_err(crate::model::error::BackendError::other)
        })
    }

    fn open_forward<'a>(
        &'a self,
        namespace: &'a str,
        name: &'a str,
        port: u16,
    ) -> Answer<'a, Result<crate::sources::forward::ForwardConn, crate::model::error::BackendError>>
    {
        Box::pin(async move {
            self.executor
                .open_forward(namespace, name, port)
                .await
                .map_err(crate::model::error::BackendError::other)
        })
    }

    fn service_target<'a>(
        &'a self,
        namespace: &'a str,
        service: &'a str,
        port: u16,
    ) -> Answer<
        'a,
        Result<
            crate::model::k8s::forward_service::ServiceTarget,
            crate::model::error::BackendError,
        >,
    > {
        Box::pin(async move {
            self.executor
                .service_target(namespace, service, port)
                .await
                .map_err(crate::model::error::BackendError::other)
        })
    }
}
