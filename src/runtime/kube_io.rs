//! The access reviews the Argo CD and rollout panes ask for, run against the current
//! context's cluster (the sandbox allows everything: its user is the cluster's admin).

use crate::app::kube_access::{AccessAnswer, AccessKey};
use crate::sources::kube::exec::KubeExecutor;
use crate::sources::kube::{Access, can_i};

/// Answers every key, one SelfSubjectAccessReview each.
pub async fn review(
    kube: Option<KubeExecutor>,
    sandbox: bool,
    keys: Vec<AccessKey>,
) -> Vec<(AccessKey, AccessAnswer)> {
    if sandbox {
        return keys
            .into_iter()
            .map(|k| (k, AccessAnswer::Allowed))
            .collect();
    }
    let client = match kube {
        Some(kube) => kube.client().await,
        None => Err("no kube context in this context".to_owned()),
    };
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
}
