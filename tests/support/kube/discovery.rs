//! Minimal discovery (`/version`, `/apis`, and the resource list of each group version),
//! derived from the served types.

use std::collections::BTreeMap;

use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::errors::not_found_path;
use super::server::Inner;

pub(super) fn version_info() -> Value {
    json!({
        "major": "1",
        "minor": "33",
        "gitVersion": "v1.33.4",
        "gitCommit": "74cdb426c43ed8e4e4d2d1b8f1d0a2c0c6e3a9e1",
        "gitTreeState": "clean",
        "buildDate": "2026-08-12T10:00:00Z",
        "goVersion": "go1.24.6",
        "compiler": "gc",
        "platform": "linux/amd64",
    })
}

pub(super) fn api_groups(inner: &Inner) -> Value {
    let mut groups: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for ty in inner.types.iter().filter(|t| !t.group.is_empty()) {
        let versions = groups.entry(&ty.group).or_default();
        if !versions.contains(&ty.version.as_str()) {
            versions.push(&ty.version);
        }
    }
    groups.entry("authorization.k8s.io").or_default().push("v1");
    let groups: Vec<Value> = groups
        .into_iter()
        .map(|(name, versions)| {
            let versions: Vec<Value> = versions
                .iter()
                .map(|v| json!({"groupVersion": format!("{name}/{v}"), "version": v}))
                .collect();
            json!({"name": name, "preferredVersion": versions[0], "versions": versions})
        })
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

pub(super) fn resource_list(inner: &Inner, group: &str, version: &str) -> Response {
    let mut resources = Vec::new();
    for ty in inner
        .types
        .iter()
        .filter(|t| t.group == group && t.version == version)
    {
        resources.push(json!({
            "name": ty.plural,
            "singularName": ty.singular,
            "namespaced": ty.namespaced,
            "kind": ty.kind,
            "verbs": ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"],
            "shortNames": ty.short_names,
        }));
        if ty.status_subresource {
            resources.push(json!({
                "name": format!("{}/status", ty.plural),
                "singularName": "",
                "namespaced": ty.namespaced,
                "kind": ty.kind,
                "verbs": ["get", "patch", "update"],
            }));
        }
    }
    if group == "authorization.k8s.io" && version == "v1" {
        resources.push(json!({
            "name": "selfsubjectaccessreviews",
            "singularName": "selfsubjectaccessreview",
            "namespaced": false,
            "kind": "SelfSubjectAccessReview",
            "verbs": ["create"],
        }));
    }
    if resources.is_empty() {
        return not_found_path();
    }
    let group_version = if group.is_empty() {
        version.to_owned()
    } else {
        format!("{group}/{version}")
    };
    axum::Json(json!({
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version,
        "resources": resources,
    }))
    .into_response()
}
