//! Routing: what a request path addresses (discovery, a `SelfSubjectAccessReview`, or a
//! resource with its namespace, name and subresource), which verb the request is, and the one
//! handler that records every request and dispatches it.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::access::{forbidden, ssar};
use super::discovery::{api_groups, resource_list, version_info};
use super::errors::{not_found_path, status};
use super::list_watch::{get, list, watch};
use super::logs::pod_log;
use super::recording::{RequestRecord, record_write};
use super::server::{Inner, Shared};
use super::types::{Key, ResourceType};
use super::writes::{create, delete, patch, replace};

/// What a request addresses.
#[derive(Debug, Clone)]
pub(super) struct Target {
    pub(super) ty: ResourceType,
    pub(super) namespace: Option<String>,
    pub(super) name: Option<String>,
    pub(super) subresource: Option<String>,
}

impl Target {
    pub(super) fn key(&self, name: &str) -> Key {
        Key {
            api_version: self.ty.api_version(),
            plural: self.ty.plural.clone(),
            namespace: self.namespace.clone().unwrap_or_default(),
            name: name.into(),
        }
    }
}

enum Route {
    Version,
    CoreVersions,
    Groups,
    Group(String),
    Resources(String, String),
    Ssar,
    Resource(Target),
    Unknown,
}

fn route(inner: &Inner, path: &str) -> Route {
    let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
    let (group, version, rest) = match segs.as_slice() {
        ["version"] => return Route::Version,
        ["api"] => return Route::CoreVersions,
        ["apis"] => return Route::Groups,
        ["apis", group] => return Route::Group((*group).into()),
        ["api", "v1"] => return Route::Resources(String::new(), "v1".into()),
        ["apis", group, version] => return Route::Resources((*group).into(), (*version).into()),
        [
            "apis",
            "authorization.k8s.io",
            "v1",
            "selfsubjectaccessreviews",
        ] => return Route::Ssar,
        ["api", "v1", rest @ ..] => ("", "v1", rest),
        ["apis", group, version, rest @ ..] => (*group, *version, rest),
        _ => return Route::Unknown,
    };
    let (namespace, plural, name, sub) = match rest {
        ["namespaces", ns, plural, tail @ ..] => (Some(*ns), *plural, tail.first(), tail.get(1)),
        [plural, tail @ ..] => (None, *plural, tail.first(), tail.get(1)),
        [] => return Route::Unknown,
    };
    if rest.len() > 5 {
        return Route::Unknown;
    }
    let Some(ty) = inner
        .types
        .iter()
        .find(|t| t.group == group && t.version == version && t.plural == plural)
    else {
        return Route::Unknown;
    };
    // A namespace in the path of a cluster-scoped type (or none on a named namespaced object)
    // addresses nothing.
    if (namespace.is_some() && !ty.namespaced)
        || (namespace.is_none() && ty.namespaced && name.is_some())
    {
        return Route::Unknown;
    }
    Route::Resource(Target {
        ty: ty.clone(),
        namespace: namespace.map(str::to_owned),
        name: name.map(|s| (*s).to_owned()),
        subresource: sub.map(|s| (*s).to_owned()),
    })
}

pub(super) fn param<'a>(query: &'a [(String, String)], name: &str) -> Option<&'a str> {
    query
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

pub(super) fn is_true(v: Option<&str>) -> bool {
    matches!(v, Some("true" | "1"))
}

#[expect(
    clippy::too_many_lines,
    reason = "the one dispatcher: every route side by side reads best whole"
)]
pub(super) async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    upgrade: super::exec::Upgrade,
    body: Bytes,
) -> Response {
    let query: Vec<(String, String)> = Query::try_from_uri(&uri)
        .map(|Query(q)| q)
        .unwrap_or_default();
    let path = uri.path().to_owned();
    let mut inner = shared.lock();
    let route = route(&inner, &path);
    let (verb, resource, subresource) = match (&route, &method) {
        (Route::Resource(t), m) => {
            let verb = match (m, &t.name) {
                (&Method::GET, None) if is_true(param(&query, "watch")) => "watch",
                (&Method::GET, None) => "list",
                (&Method::GET, Some(_)) => "get",
                (&Method::POST, None) => "create",
                (&Method::PUT, Some(_)) => "update",
                (&Method::PATCH, Some(_)) => "patch",
                (&Method::DELETE, Some(_)) => "delete",
                _ => "unknown",
            };
            (verb, t.ty.plural.clone(), t.subresource.clone())
        }
        (Route::Ssar, _) => (
            "selfsubjectaccessreview",
            "selfsubjectaccessreviews".into(),
            None,
        ),
        (Route::Unknown, _) => ("unknown", String::new(), None),
        _ => ("discovery", String::new(), None),
    };
    inner.requests.push(RequestRecord {
        method: method.to_string(),
        path: path.clone(),
        query: uri.query().unwrap_or_default().to_owned(),
        verb: verb.into(),
        resource,
        subresource,
        authorization: headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    });
    match route {
        Route::Version => axum::Json(version_info()).into_response(),
        Route::CoreVersions => axum::Json(json!({
            "kind": "APIVersions",
            "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": shared.addr.to_string()}],
        }))
        .into_response(),
        Route::Groups => axum::Json(api_groups(&inner)).into_response(),
        Route::Group(group) => match api_groups(&inner)["groups"]
            .as_array()
            .and_then(|g| g.iter().find(|g| g["name"] == group.as_str()))
        {
            Some(g) => {
                let mut g = g.clone();
                g["kind"] = json!("APIGroup");
                g["apiVersion"] = json!("v1");
                axum::Json(g).into_response()
            }
            None => not_found_path(),
        },
        Route::Resources(group, version) => resource_list(&inner, &group, &version),
        Route::Ssar => ssar(&mut inner, &body),
        Route::Unknown => not_found_path(),
        Route::Resource(target) if super::ephemeral::is_ephemeral(&target) && method == Method::PATCH => {
            super::ephemeral::patch(&shared, &mut inner, (&method, &uri, &headers), &target, &body)
        }
        Route::Resource(target) if super::portforward::is_portforward(&target) => {
            let request = (
                method.to_string(),
                path,
                uri.query().unwrap_or_default().to_owned(),
            );
            super::portforward::portforward(&shared, &inner, &target, request, &query, upgrade.ok())
        }
        Route::Resource(target) if super::exec::is_exec(&target) => {
            super::exec::exec(&shared, &inner, &target, query, path, upgrade.ok())
        }
        Route::Resource(target) => {
            let ns = target.namespace.clone().unwrap_or_default();
            if let Some(response) = forbidden(&inner, verb, &target, &ns) {
                if method != Method::GET {
                    record_write(&mut inner, &method, &uri, &target, &headers, &body, 403);
                }
                return response;
            }
            if verb == "get"
                && target.ty.plural == "pods"
                && target.subresource.as_deref() == Some("log")
            {
                return pod_log(&shared, inner, &target, &query);
            }
            match verb {
                "list" => list(&inner, &target, &query),
                "watch" => watch(&shared, inner, &target, &query),
                "get" => get(&inner, &target),
                "create" => create(&shared, &mut inner, &method, &uri, &target, &headers, &body),
                "update" => replace(&shared, &mut inner, &method, &uri, &target, &headers, &body),
                "patch" => patch(&shared, &mut inner, &method, &uri, &target, &headers, &body),
                "delete" => delete(&shared, &mut inner, &method, &uri, &target, &headers, &body),
                _ => status(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "MethodNotAllowed",
                    "the server does not allow this method on the requested resource",
                    json!({}),
                ),
            }
        }
    }
}
