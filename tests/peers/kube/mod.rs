//! The Kubernetes and Argo CD test peers, proven against the real clients: kube-rs builds its
//! client from the peer's generated kubeconfig and lists, watches (through a 410 Expired),
//! patches and asks `SelfSubjectAccessReviews` exactly as opsdeck's panes will; the Argo CD API
//! peer is driven with reqwest. The peers run in-process, so nothing here is ever skipped.
mod actions;
mod api;
mod app_diff;
mod argocd;
mod debug;
mod first_aid;
mod fixtures;
mod port_forward;
mod rollout_steps;
mod shell;
mod source;
mod watch;

use kube::api::{ApiResource, DynamicObject, GroupVersionKind};

use crate::support;

/// `argoproj.io/v1alpha1` `Application`, as opsdeck addresses it without a typed struct.
pub fn application_resource() -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("argoproj.io", "v1alpha1", "Application"),
        "applications",
    )
}

/// `argoproj.io/v1alpha1` `Rollout`.
pub fn rollout_resource() -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("argoproj.io", "v1alpha1", "Rollout"),
        "rollouts",
    )
}

/// A running peer with every fixture, its request log cleared, and a client for it.
pub async fn peer() -> (support::kube::KubeServer, kube::Client) {
    let server = support::kube::KubeServer::start(support::kube::fixtures()).await;
    server.clear_records();
    let client = server.client().await;
    (server, client)
}

/// The Rollouts of `shop`, as dynamic objects.
pub fn rollouts(client: &kube::Client) -> kube::Api<DynamicObject> {
    kube::Api::namespaced_with(client.clone(), "shop", &rollout_resource())
}
