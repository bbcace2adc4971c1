//! Port-forward through kube-rs: `pods/{name}/portforward?ports=N` over WebSocket
//! (`v4.channel.k8s.io`: per port a data channel 2i and an error channel 2i+1, each opened by
//! the port as a little-endian u16), one WebSocket per local connection as kube-rs's
//! `pod_portforward_bind` example does (kube-rs/kube, `examples/pod_portforward_bind.rs`;
//! `kube-client/src/api/portforward.rs`, read in the kube-client 5.0.0 crate this build
//! uses). kube-rs "does not bind to local ports": the runtime owns the listener.

use k8s_openapi::api::core::v1::{Pod, Service};
use kube::api::{Api, ListParams};

use crate::model::k8s::forward_service::{ServiceTarget, resolve, selector};

use crate::model::sanitize::clean;
use crate::sources::forward::ForwardConn;

use super::exec::KubeExecutor;

impl KubeExecutor {
    /// The pod and port Service `namespace/service`'s `port` leads to: the Service read,
    /// its pods listed by its selector, then kubectl's choice.
    ///
    /// # Errors
    /// No client, the reads failed, or the Service leads nowhere (see `resolve`).
    pub async fn service_target(
        &self,
        namespace: &str,
        service: &str,
        port: u16,
    ) -> Result<ServiceTarget, String> {
        let client = self.client().await?;
        let read = |what: String| {
            move |e: kube::Error| match e {
                kube::Error::Api(status) => {
                    format!("{what}: {} ({})", clean(&status.message), status.code)
                }
                other => format!("{what}: {}", clean(&other.to_string())),
            }
        };
        let object = Api::<Service>::namespaced(client.clone(), namespace)
            .get(service)
            .await
            .map_err(read(format!("get services/{service} in {namespace}")))?;
        let object = serde_json::to_value(&object).map_err(|e| e.to_string())?;
        let selector = selector(&object)?;
        let pods = Api::<Pod>::namespaced(client, namespace)
            .list(&ListParams::default().labels(&selector))
            .await
            .map_err(read(format!("list pods ({selector}) in {namespace}")))?;
        let pods: Vec<serde_json::Value> = pods
            .items
            .iter()
            .filter_map(|p| serde_json::to_value(p).ok())
            .collect();
        resolve(&object, &pods, port).map_err(|e| clean(&e))
    }

    /// Opens one forwarded connection to `port` of pod `namespace/name`.
    ///
    /// # Errors
    /// No client, or the API server refused the upgrade (403 RBAC, 404 pod, ...).
    pub async fn open_forward(
        &self,
        namespace: &str,
        name: &str,
        port: u16,
    ) -> Result<ForwardConn, String> {
        let api: Api<Pod> = Api::namespaced(self.client().await?, namespace);
        let mut forwarder = api.portforward(name, &[port]).await.map_err(|e| {
            let what = format!("port-forward to pods/{name} in {namespace}");
            match e {
                kube::Error::Api(status) => {
                    format!("{what}: {} ({})", clean(&status.message), status.code)
                }
                other => format!("{what}: {}", clean(&other.to_string())),
            }
        })?;
        let (Some(stream), Some(error)) = (forwarder.take_stream(port), forwarder.take_error(port))
        else {
            return Err(format!("kube-rs gave no stream for port {port}"));
        };
        // The kubelet's error channel says why the pod side failed; when it says nothing,
        // the forwarder's own end (a protocol error) is the reason, if any.
        let error = Box::pin(async move {
            match error.await {
                Some(message) => Some(clean(&message)),
                None => forwarder.join().await.err().map(|e| clean(&e.to_string())),
            }
        });
        Ok(ForwardConn {
            stream: Box::new(stream),
            error,
        })
    }
}
