//! Reads one object whole for the describe and YAML views: the resource is found through
//! discovery (so any kind an app manages works, with the group's preferred version), the
//! object is read with `GET`, and its events with the field selector `kubectl describe`
//! builds (name, namespace, kind and uid; kubernetes/kubectl@dee3483a,
//! pkg/describe/describe.go `searchEvents`). An events read that fails (RBAC) leaves the
//! object readable; the failure is logged.

use k8s_openapi::api::core::v1::Event;
use kube::Client;
use kube::api::{Api, DynamicObject, ListParams};
use kube::core::{ApiResource, GroupVersionKind};

use crate::model::error::{BackendError, ErrorKind};
use crate::model::k8s::ObjectRef;
use crate::model::k8s::object_ref::ObjectDoc;

/// The most events one describe shows (kubectl uses the API's default page).
const EVENT_LIMIT: u32 = 500;

fn error(what: &str, e: &kube::Error) -> BackendError {
    match e {
        kube::Error::Api(status) => {
            let kind = match status.code {
                401 => ErrorKind::Auth,
                403 => ErrorKind::Denied,
                404 => ErrorKind::NotFound,
                400 | 422 => ErrorKind::Invalid,
                _ => ErrorKind::Other,
            };
            BackendError::new(
                kind,
                format!("{what}: {} ({})", status.message, status.code),
            )
        }
        other => {
            BackendError::unavailable(format!("{what}: {}", crate::sources::error_chain(other)))
        }
    }
}

/// The API resource of `reference`: its own version and plural when known, else the
/// group's preferred version from discovery.
async fn resource(client: &Client, reference: &ObjectRef) -> Result<ApiResource, BackendError> {
    if let (Some(version), Some(plural)) = (&reference.version, reference.known_plural()) {
        let gvk = GroupVersionKind::gvk(&reference.group, version, &reference.kind);
        return Ok(ApiResource::from_gvk_with_plural(&gvk, plural));
    }
    let group = kube::discovery::group(client, &reference.group)
        .await
        .map_err(|e| error(&format!("discovery of API group {:?}", reference.group), &e))?;
    group
        .recommended_kind(&reference.kind)
        .map(|(resource, _)| resource)
        .ok_or_else(|| {
            BackendError::new(
                ErrorKind::NotFound,
                format!(
                    "the cluster serves no kind {} in API group {:?}",
                    reference.kind, reference.group
                ),
            )
        })
}

/// The object and its events.
pub async fn read(client: &Client, reference: &ObjectRef) -> Result<ObjectDoc, BackendError> {
    let resource = resource(client, reference).await?;
    let api: Api<DynamicObject> = if reference.namespace.is_empty() {
        Api::all_with(client.clone(), &resource)
    } else {
        Api::namespaced_with(client.clone(), &reference.namespace, &resource)
    };
    let object = api
        .get(&reference.name)
        .await
        .map_err(|e| error(&format!("get {reference}"), &e))?;
    let uid = object
        .metadata
        .uid
        .clone()
        .or_else(|| reference.uid.clone());
    let mut value = serde_json::to_value(&object)
        .map_err(|e| BackendError::other(format!("{reference} as JSON: {e}")))?;
    // DynamicObject keeps apiVersion/kind in `types`; make sure both are present.
    value["apiVersion"] = serde_json::json!(resource.api_version);
    value["kind"] = serde_json::json!(resource.kind);

    let mut fields = vec![
        format!("involvedObject.name={}", reference.name),
        format!("involvedObject.kind={}", resource.kind),
    ];
    if !reference.namespace.is_empty() {
        fields.push(format!("involvedObject.namespace={}", reference.namespace));
    }
    if let Some(uid) = uid {
        fields.push(format!("involvedObject.uid={uid}"));
    }
    let events: Api<Event> = if reference.namespace.is_empty() {
        Api::all(client.clone())
    } else {
        Api::namespaced(client.clone(), &reference.namespace)
    };
    let params = ListParams::default()
        .fields(&fields.join(","))
        .limit(EVENT_LIMIT);
    let events = match events.list(&params).await {
        Ok(list) => list
            .items
            .iter()
            .filter_map(|e| serde_json::to_value(e).ok())
            .collect(),
        Err(e) => {
            tracing::warn!(%reference, error = %error("list events", &e), "events of an object");
            Vec::new()
        }
    };
    Ok(ObjectDoc {
        object: value,
        events,
    })
}
