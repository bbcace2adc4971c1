//! `PATCH pods/{name}/ephemeralcontainers` (strategic merge), as the API server takes it:
//! `spec.ephemeralContainers` merges by `name` (its patch strategy), a container once added
//! cannot be changed (422), and nothing else of the pod is written. The peer then plays the
//! kubelet: the new container is `running` in `status.ephemeralContainerStatuses` at once,
//! so a client waiting for it (as `kubectl debug` does) attaches next. RBAC: `patch` on
//! `pods/ephemeralcontainers`.

use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::errors::status;
use super::recording::recorded;
use super::routing::Target;
use super::server::{Inner, Shared};
use super::store::store;

/// The request addresses `pods/{name}/ephemeralcontainers`.
pub(super) fn is_ephemeral(target: &Target) -> bool {
    target.ty.plural == "pods" && target.subresource.as_deref() == Some("ephemeralcontainers")
}

/// Adds the patch's ephemeral containers to the pod and starts them.
pub(super) fn patch(
    shared: &Shared,
    inner: &mut Inner,
    (method, uri, headers): (&Method, &Uri, &HeaderMap),
    target: &Target,
    body: &[u8],
) -> Response {
    let answer =
        |inner: &mut Inner, r: Response| recorded(inner, method, uri, target, headers, body, r);
    let ns = target.namespace.clone().unwrap_or_default();
    if let Some(response) = super::access::forbidden(inner, "patch", target, &ns) {
        return answer(inner, response);
    }
    let name = target.name.clone().unwrap_or_default();
    let key = target.key(&name);
    let Some(old) = inner.objects.get(&key).cloned() else {
        return answer(
            inner,
            status(
                StatusCode::NOT_FOUND,
                "NotFound",
                &format!("pods \"{name}\" not found"),
                json!({"name": name, "kind": "pods"}),
            ),
        );
    };
    let patch: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let mut pod = old.clone();
    let mut list: Vec<Value> = old["spec"]["ephemeralContainers"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut statuses: Vec<Value> = old["status"]["ephemeralContainerStatuses"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for added in patch["spec"]["ephemeralContainers"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let added_name = added["name"].as_str().unwrap_or_default();
        match list.iter().find(|c| c["name"] == added_name) {
            Some(existing) if existing == added => {}
            Some(_) => {
                return answer(
                    inner,
                    status(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "Invalid",
                        &format!(
                            "Pod \"{name}\" is invalid: spec.ephemeralContainers: Forbidden: existing ephemeral containers \"{added_name}\" may not be changed"
                        ),
                        json!({"name": name, "kind": "Pod"}),
                    ),
                );
            }
            None => {
                list.push(added.clone());
                statuses.push(json!({
                    "name": added_name,
                    "image": added["image"],
                    "imageID": "",
                    "ready": false,
                    "restartCount": 0,
                    "state": {"running": {"startedAt": "2026-08-22T08:00:00Z"}},
                }));
            }
        }
    }
    pod["spec"]["ephemeralContainers"] = Value::Array(list);
    pod["status"]["ephemeralContainerStatuses"] = Value::Array(statuses);
    let stored = store(shared, inner, key, pod, "MODIFIED");
    answer(inner, axum::Json(stored).into_response())
}
